package pipeline_test

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// Backlog sizing. After a Kafka outage, Fluent Bit hands the stored chunks
// to the output back to back (workers 1: one at a time), each close to its
// 2 MB chunk size. The plugin's memory must not grow with the backlog: it
// holds one chunk's work at a time. docker/k8s sizes GOMEMLIMIT and the
// container's memory limit from these figures (see docs/operations.md).
const (
	backlogChunks     = 8
	backlogChunkBytes = 2 << 20 // Fluent Bit's chunk size
	// Targets, checked by BenchmarkBacklog (never by a timed test): the
	// backlog does not add up (the peak live heap while 8 chunks drain is
	// within one chunk of the peak for one chunk), and the memory the Go
	// runtime takes for the plugin at the default GOGC stays under the
	// GOMEMLIMIT the DaemonSet sets.
	backlogMaxGrowth  = backlogChunkBytes
	backlogGoMemLimit = 128 << 20 // docker/k8s/30-daemonset.yaml: GOMEMLIMIT 128MiB
)

// backlog returns backlogChunks chunks of the realistic mix, each filled up
// to about backlogChunkBytes, all different. The events are not kept: only
// the chunks, which in Fluent Bit are its own (C) memory.
func backlog(b *testing.B) [][]byte {
	b.Helper()
	c, err := benchmix.LoadCorpus()
	if err != nil {
		b.Fatal(err)
	}
	events := c.Generate(benchmix.Default(), 2*backlogChunks*backlogChunkBytes/1300)
	var chunks [][]byte
	var cw flbchunk.Writer
	t0 := benchmix.Default().Start
	for i, e := range events {
		cw.AddLine(t0.Add(time.Duration(i)*time.Millisecond), "log", e)
		if len(cw.Bytes()) >= backlogChunkBytes-8<<10 {
			chunks = append(chunks, bytes.Clone(cw.Bytes()))
			cw.Reset()
			if len(chunks) == backlogChunks {
				return chunks
			}
		}
	}
	b.Fatalf("the mix made only %d chunks of %d bytes", len(chunks), backlogChunkBytes)
	return nil
}

// goHeld is the memory the Go runtime holds from the OS: everything it
// mapped minus what it released back.
func goHeld() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// peakDuring runs f and returns the largest value of sample seen at the end
// of a garbage collection while it ran, and once after.
func peakDuring(sample func() uint64, f func()) uint64 {
	var peak atomic.Uint64
	var stop atomic.Bool
	note := func() {
		if v := sample(); v > peak.Load() {
			peak.Store(v)
		}
	}
	var arm func()
	arm = func() {
		sentinel := new([16]byte)
		runtime.SetFinalizer(sentinel, func(*[16]byte) {
			note()
			if !stop.Load() {
				arm()
			}
		})
	}
	arm()
	f()
	note()
	stop.Store(true)
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	return peak.Load()
}

// BenchmarkBacklog drains a backlog of backlogChunks 2 MB chunks of the
// realistic mix, flushed back to back through one pipeline (zstd, native,
// the writer's batcher in place of the broker), as Fluent Bit does after a
// Kafka outage. It reports:
//
//	peak-live-MB     the largest live heap while the backlog drains, above
//	                 the heap before the instance existed: the instance
//	                 itself (compiled rules, pools, the zstd encoder) and the
//	                 work of one flush (sampled at every GC, GOGC=5)
//	growth-MB        that peak minus the peak while one chunk is flushed:
//	                 what the backlog adds (target: under one chunk)
//	go-held-MB       the most memory the Go runtime held from the OS for it
//	                 while the backlog drains at the default GOGC and without
//	                 a memory limit, garbage included: what the plugin adds
//	                 to the container's RSS (target: under the DaemonSet's
//	                 GOMEMLIMIT, which then only trims garbage)
//
// The chunks are Fluent Bit's memory and are not counted.
func BenchmarkBacklog(b *testing.B) {
	chunks := backlog(b)
	cfg := benchConfig(b, "zstd")
	drain := func(p *pipeline.Pipeline, chunks [][]byte) {
		for _, c := range chunks {
			if res := p.Flush(context.Background(), c); res.Status != pipeline.OK {
				b.Fatalf("flush: %v %v", res.Status, res.Err)
			}
		}
	}
	peakLive := func(chunks [][]byte) float64 {
		runtime.GC()
		base := liveHeap()
		old := debug.SetGCPercent(5)
		defer debug.SetGCPercent(old)
		p, err := pipeline.New(cfg, newBatchSink(cfg.Output), quietLog())
		if err != nil {
			b.Fatal(err)
		}
		peak := peakDuring(liveHeap, func() { drain(p, chunks) })
		runtime.KeepAlive(p)
		return float64(int64(peak) - int64(base))
	}
	var chunkBytes float64
	for _, c := range chunks {
		chunkBytes += float64(len(c))
	}
	b.SetBytes(int64(chunkBytes))
	var live, growth, held float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		one := peakLive(chunks[:1])
		all := peakLive(chunks)
		live, growth = max(live, all), max(growth, all-one)

		// The same drain at the default GOGC and no memory limit.
		limit := debug.SetMemoryLimit(-1)
		debug.SetMemoryLimit(1 << 62)
		debug.FreeOSMemory()
		base := goHeld()
		p, err := pipeline.New(cfg, newBatchSink(cfg.Output), quietLog())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		h := peakDuring(goHeld, func() { drain(p, chunks) })
		b.StopTimer()
		runtime.KeepAlive(p)
		debug.SetMemoryLimit(limit)
		held = max(held, float64(int64(h)-int64(base)))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(live/(1<<20), "peak-live-MB")
	b.ReportMetric(growth/(1<<20), "growth-MB")
	b.ReportMetric(held/(1<<20), "go-held-MB")
	b.Logf("backlog of %d chunks, %.2f MB each: peak live heap %.1f MB (%.1f MB more than for one chunk); the Go runtime held up to %.1f MB more than before",
		len(chunks), chunkBytes/float64(len(chunks))/(1<<20), live/(1<<20), growth/(1<<20), held/(1<<20))
	if growth > backlogMaxGrowth {
		b.Errorf("the backlog adds %.1f MB to the peak live heap, target under one chunk (%d MB)", growth/(1<<20), backlogMaxGrowth>>20)
	}
	if held > backlogGoMemLimit {
		b.Errorf("the Go runtime held %.1f MB, above the DaemonSet's GOMEMLIMIT (%d MiB)", held/(1<<20), backlogGoMemLimit>>20)
	}
}
