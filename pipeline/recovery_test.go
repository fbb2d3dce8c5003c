package pipeline_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// Fluent Bit starts before Kafka, and later Kafka restarts: each time,
// concurrent flushes return Retry while the broker is away, and Fluent Bit's
// first retries, a second after the broker is back and from several workers
// at once, all succeed: no cached failure outlives the outage.
func TestFirstRetryAfterBrokerBackSucceeds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	p := open(t, conf.MapGetter{"brokers": addr, "topic": "audit", "write_timeout": "3s"})
	const workers = 4
	round := 0
	flushAll := func(want pipeline.Status, when string) {
		t.Helper()
		round++
		out := make([]pipeline.FlushResult, workers)
		var wg sync.WaitGroup
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var cw flbchunk.Writer
				for j := range 10 {
					cw.AddLine(time.Now(), "log", auditEvent(fmt.Sprintf("r%d-w%d-%d", round, g, j), 0, 0))
				}
				out[g] = p.Flush(context.Background(), cw.Bytes())
			}()
		}
		wg.Wait()
		for g, res := range out {
			if res.Status != want || want == pipeline.OK && res.Shipped != 10 {
				t.Fatalf("%s, worker %d: %v (shipped %d), want %v: %v", when, g, res.Status, res.Shipped, want, res.Err)
			}
		}
	}

	flushAll(pipeline.Retry, "Kafka not started yet")
	flushAll(pipeline.Retry, "Kafka not started yet")
	b := startBroker(t, 3, []string{"audit"}, kfake.DataDir(dir), kfake.Ports(port))
	time.Sleep(time.Second) // Fluent Bit's shortest retry back-off
	flushAll(pipeline.OK, "first retry after Kafka started")

	b.Close()
	flushAll(pipeline.Retry, "Kafka stopped")
	flushAll(pipeline.Retry, "Kafka stopped")
	b = startBroker(t, 3, nil, kfake.DataDir(dir), kfake.Ports(port))
	time.Sleep(time.Second)
	flushAll(pipeline.OK, "first retry after Kafka restarted")

	// A longer idle time than consumeAll's: a consumer of a reloaded broker
	// may back off a few seconds before fetching every partition when the
	// machine is loaded.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recs, err := embedded.Consume(ctx, b.Addrs(), []string{"audit"}, 2*10*workers, 15*time.Second)
	if err != nil || len(recs) != 2*10*workers {
		t.Fatalf("read back %d of %d: %v", len(recs), 2*10*workers, err)
	}
}
