package output_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// BenchmarkConcurrentWrite measures one writer used by 1, 2, 4 and 8
// Fluent Bit workers at once, against an embedded broker over TCP that
// answers every produce request after 5ms (a broker across a network, with
// acks all). Concurrent writes overlap their round trips on the shared
// connections, so writes/s grows with the workers until the CPU is the bound.
func BenchmarkConcurrentWrite(b *testing.B) {
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			broker := startBrokerB(b, kfake.BlackholeProduce(), kfake.SleepOutOfOrder())
			c := broker.Cluster()
			c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				c.SleepControl(func() { time.Sleep(5 * time.Millisecond) })
				return nil, nil, false
			})
			cfg, err := conf.Load(conf.MapGetter{"brokers": broker.Addrs()[0], "topic": "audit", "message_key": "none"})
			if err != nil {
				b.Fatal(err)
			}
			w, err := output.New(cfg.Output, (&logBuf{}).logger())
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			batches := make([][]output.Message, workers)
			for i := range batches {
				batches[i] = messages(fmt.Sprint(i), 100, "info")
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for g := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if err := w.Write(context.Background(), batches[g]); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
