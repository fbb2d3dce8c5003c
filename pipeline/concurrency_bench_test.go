package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// BenchmarkConcurrentFlush measures one instance flushed by 1, 2, 4 and 8
// Fluent Bit workers at once: chunks of 100 events of the real log, zstd,
// acks all, into an embedded broker over TCP that discards what it gets
// (so its storage does not bound the figure). events/s is the instance's
// throughput.
func BenchmarkConcurrentFlush(b *testing.B) {
	data, err := os.ReadFile("../testdata/lab-policy.audit.log")
	if err != nil {
		b.Fatal(err)
	}
	var chunks [][]byte
	var cw flbchunk.Writer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		cw.AddLine(time.Now(), "log", append([]byte(nil), sc.Bytes()...))
		if cw.Len() == 100 {
			chunks = append(chunks, append([]byte(nil), cw.Bytes()...))
			cw.Reset()
		}
	}
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			broker, err := embedded.Start(6, []string{"audit"}, kfake.BlackholeProduce())
			if err != nil {
				b.Fatal(err)
			}
			defer broker.Close()
			cfg, err := conf.Load(conf.MapGetter{"brokers": broker.Addrs()[0], "topic": "audit", "stages": "ResponseComplete,ResponseStarted,Panic"})
			if err != nil {
				b.Fatal(err)
			}
			p, err := pipeline.Open(cfg, quietLog())
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(time.Second)
			b.SetBytes(int64(len(chunks[0])))
			var next, events atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						res := p.Flush(context.Background(), chunks[int(i)%len(chunks)])
						if res.Status != pipeline.OK {
							b.Errorf("flush: %v %v", res.Status, res.Err)
							return
						}
						events.Add(int64(res.Shipped))
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(events.Load())/b.Elapsed().Seconds(), "events/s")
		})
	}
}
