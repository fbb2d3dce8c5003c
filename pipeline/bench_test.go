package pipeline_test

// The flush-path benchmarks (issue 6). Every benchmark that moves events
// reports events/s; those that take a chunk report MB/s of chunk bytes. Run
// them side by side on one core:
//
//	go test -run '^$' -bench 'Flush|Compress|Soak|ChunkDecode' -benchmem -cpu 1 ./pipeline
//
// The broker is excluded: the flush benchmarks hand their messages to
// output.Batcher, which does all the Kafka writer's work before the socket
// (records with keys and headers, batches, compression, CRC).

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	kcompress "github.com/segmentio/kafka-go/compress"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// benchChunkEvents is the number of events in the benchmark chunk: about
// 1.4 MB of the default mix, a typical Fluent Bit chunk (tail's chunks are cut
// near 2 MB).
const benchChunkEvents = 1000

type fixture struct {
	events [][]byte
	chunk  []byte
	stats  benchmix.Stats
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[string]*fixture{}
)

// mix returns a chunk (tail without a parser: {"log": line}) of n events of
// the mix cfg, built once per process.
func mix(b testing.TB, name string, cfg benchmix.Config, n int) *fixture {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	key := fmt.Sprintf("%s/%d", name, n)
	if f := fixtures[key]; f != nil {
		return f
	}
	c, err := benchmix.LoadCorpus()
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{events: c.Generate(cfg, n)}
	f.stats = benchmix.Describe(f.events)
	var cw flbchunk.Writer
	t0 := cfg.Start
	for i, e := range f.events {
		cw.AddLine(t0.Add(time.Duration(i)*time.Millisecond), "log", e)
	}
	f.chunk = bytes.Clone(cw.Bytes())
	fixtures[key] = f
	b.Logf("%s mix: %v; chunk %d bytes", name, f.stats, len(f.chunk))
	return f
}

func benchConfig(b testing.TB, codec string) *conf.Config {
	b.Helper()
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:9092", "topic": "audit", "compression": codec})
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// compressSink stands in for the Kafka writer without the network. Built
// by newBatchSink (the flush benchmarks) it does all of the writer's work on
// the CPU through output.Batcher: records with their keys and headers, cut
// into batches at max_message_bytes, compressed with the writer's codec and
// level, framed and checksummed. Built by newCompressSink (the compression
// floor) it only frames each message as a Kafka v2 record (length,
// attributes, deltas, key, value, no headers), cuts batches alike and
// compresses them with the same codec. Its buffers are reused across writes.
type compressSink struct {
	batcher  *output.Batcher // nil: compression only
	codec    kcompress.Codec // nil: none
	router   output.Router
	maxBatch int
	raw      bytes.Buffer
	out      []byte
	rec      []byte
	In, Out  int64 // bytes framed, bytes after compression
	Batches  int
}

func newCompressSink(c output.Config) *compressSink {
	codec, err := output.NewCodec(c.Compression, c.CompressionLevel)
	if err != nil {
		panic(err) // conf.Load validated the level
	}
	return &compressSink{codec: codec, router: output.NewRouter(c), maxBatch: c.MaxMessageBytes}
}

func newBatchSink(c output.Config) *compressSink {
	bt, err := output.NewBatcher(c)
	if err != nil {
		panic(err) // conf.Load validated the level
	}
	return &compressSink{batcher: bt}
}

func (s *compressSink) Write(_ context.Context, msgs []output.Message) error {
	if s.batcher != nil {
		return s.batcher.Encode(msgs, func(_ string, batch []byte, records int) error {
			s.In += int64(records)
			s.Out += int64(len(batch))
			s.Batches++
			return nil
		})
	}
	s.raw.Reset()
	for i := range msgs {
		m := &msgs[i]
		key := s.router.Key(m)
		r := s.rec[:0]
		r = append(r, 0)                     // attributes
		r = binary.AppendVarint(r, 0)        // timestamp delta
		r = binary.AppendVarint(r, int64(i)) // offset delta
		r = binary.AppendVarint(r, int64(len(key)))
		r = append(r, key...)
		r = binary.AppendVarint(r, int64(len(m.Value)))
		r = append(r, m.Value...)
		r = binary.AppendVarint(r, 0) // headers
		if s.raw.Len() > 0 && s.raw.Len()+len(r) > s.maxBatch {
			if err := s.flushBatch(); err != nil {
				return err
			}
		}
		var l [binary.MaxVarintLen64]byte
		s.raw.Write(l[:binary.PutVarint(l[:], int64(len(r)))])
		s.raw.Write(r)
		s.rec = r
	}
	return s.flushBatch()
}

func (s *compressSink) flushBatch() error {
	if s.raw.Len() == 0 {
		return nil
	}
	s.In += int64(s.raw.Len())
	s.Batches++
	if s.codec == nil {
		s.Out += int64(s.raw.Len())
		s.raw.Reset()
		return nil
	}
	out, err := output.AppendCompressed(s.codec, s.out[:0], s.raw.Bytes())
	if err != nil {
		return err
	}
	s.out = out
	s.Out += int64(len(out))
	s.raw.Reset()
	return nil
}

func (s *compressSink) Close() error { return nil }

// captureSink keeps a copy of every message value.
type captureSink struct{ msgs []output.Message }

func (s *captureSink) Write(_ context.Context, msgs []output.Message) error {
	for _, m := range msgs {
		// Views of the flush's buffers: copied (the Sink contract).
		m.Value = bytes.Clone(m.Value)
		m.AuditID, m.User, m.Namespace = strings.Clone(m.AuditID), strings.Clone(m.User), strings.Clone(m.Namespace)
		m.Summary, m.Cluster = strings.Clone(m.Summary), strings.Clone(m.Cluster)
		s.msgs = append(s.msgs, m)
	}
	return nil
}
func (s *captureSink) Close() error { return nil }

// meter is taken before a timed loop; reportRates reports after it.
type meter struct {
	mem runtime.MemStats
	cpu time.Duration
}

func startMeter() *meter {
	m := &meter{cpu: cpuTime()}
	runtime.ReadMemStats(&m.mem)
	return m
}

// cpuTime is the CPU time (user+system) the process has used. Throughput per
// CPU-second is what "per core" means, and unlike wall-clock time it does not
// depend on what else runs on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports events/s (wall clock), events/cpu-s, and allocations
// per event from the memory statistics taken around the timed loop.
func reportRates(b *testing.B, eventsPerOp int, m *meter) {
	cpu := cpuTime() - m.cpu
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(eventsPerOp)
	b.ReportMetric(n/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "events/cpu-s")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(after.Mallocs-m.mem.Mallocs)/n, "allocs/event")
}

// BenchmarkFlush is the target of issue 6: a chunk of the realistic mix in,
// compressed Kafka-ready batches out (zstd, native format).
func BenchmarkFlush(b *testing.B) { benchFlush(b, "default", benchmix.Default(), "zstd") }

// BenchmarkFlushMetadata is the same over Metadata-level events only, for
// the allocations-per-Metadata-event target.
func BenchmarkFlushMetadata(b *testing.B) {
	benchFlush(b, "metadata", benchmix.MetadataOnly(), "zstd")
}

// BenchmarkFlushCodec is BenchmarkFlush with every codec.
func BenchmarkFlushCodec(b *testing.B) {
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		b.Run(codec, func(b *testing.B) { benchFlush(b, "default", benchmix.Default(), codec) })
	}
}

// BenchmarkFlushParsed is BenchmarkFlush with each event as tail's JSON
// parser hands it over, a record map: decoded while it is transcoded
// (audit.Arena.DecodeRecord).
func BenchmarkFlushParsed(b *testing.B) {
	benchFlushForm(b, "default", benchmix.Default(), "zstd", true)
}

func benchFlush(b *testing.B, name string, mcfg benchmix.Config, codec string) {
	benchFlushForm(b, name, mcfg, codec, false)
}

func benchFlushForm(b *testing.B, name string, mcfg benchmix.Config, codec string, parsed bool) {
	f := mix(b, name, mcfg, benchChunkEvents)
	if parsed {
		var cw flbchunk.Writer
		for i, e := range f.events {
			if err := cw.AddJSON(mcfg.Start.Add(time.Duration(i)*time.Millisecond), e); err != nil {
				b.Fatal(err)
			}
		}
		f = &fixture{events: f.events, stats: f.stats, chunk: cw.Bytes()}
	}
	cfg := benchConfig(b, codec)
	sink := newBatchSink(cfg.Output)
	p, err := pipeline.New(cfg, sink, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if res := p.Flush(ctx, f.chunk); res.Status != pipeline.OK || res.Shipped != len(f.events) {
		b.Fatalf("flush: %v shipped %d of %d: %v %v", res.Status, res.Shipped, len(f.events), res.Err, res.Dropped)
	}
	heap := flushHeap(b, cfg, f.chunk)
	b.SetBytes(int64(len(f.chunk)))
	b.ReportAllocs()
	m := startMeter()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Flush(ctx, f.chunk)
	}
	b.StopTimer()
	reportRates(b, len(f.events), m)
	b.ReportMetric(heap, "peak-heap/chunk")
	b.ReportMetric(float64(sink.In)/float64(sink.Out), "ratio")
}

// flushHeap measures the heap in use during a flush, relative to the chunk
// size. The live heap is sampled at the end of every garbage collection while
// one flush runs with GOGC=5 (so the collector runs many times during it),
// and the peak is compared with the live heap before the pipeline existed.
// The pipeline is built and warmed by one flush inside the measurement, so
// its pooled buffers and the sink's count. The chunk itself (Fluent Bit's
// memory) is not counted.
func flushHeap(b *testing.B, cfg *conf.Config, chunk []byte) float64 {
	runtime.GC()
	base := liveHeap()
	p, err := pipeline.New(cfg, newBatchSink(cfg.Output), quietLog())
	if err != nil {
		b.Fatal(err)
	}
	p.Flush(context.Background(), chunk)
	peak := peakLiveHeap(func() { p.Flush(context.Background(), chunk) })
	runtime.KeepAlive(p)
	return float64(int64(peak)-int64(base)) / float64(len(chunk))
}

// liveHeap is the heap marked live by the last garbage collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakLiveHeap runs f with GOGC=5 and returns the largest live heap seen at
// the end of a collection while it ran (a finalizer re-armed at every cycle
// samples it).
func peakLiveHeap(f func()) uint64 {
	var peak atomic.Uint64
	var stop atomic.Bool
	var arm func()
	arm = func() {
		sentinel := new([16]byte)
		runtime.SetFinalizer(sentinel, func(*[16]byte) {
			if v := liveHeap(); v > peak.Load() {
				peak.Store(v)
			}
			if !stop.Load() {
				arm()
			}
		})
	}
	old := debug.SetGCPercent(5)
	arm()
	f()
	stop.Store(true)
	debug.SetGCPercent(old)
	runtime.GC()
	time.Sleep(10 * time.Millisecond) // let the last finalizer run
	return peak.Load()
}

// BenchmarkFlushBaseline is the obvious implementation, for comparison:
// fluent-bit-go's decoder (ugorji/go/codec into map[interface{}]interface{}),
// conversion to map[string]interface{}, encoding/json into the audit model and
// out again, the same enrichment and the same compressing sink.
func BenchmarkFlushBaseline(b *testing.B) {
	f := mix(b, "default", benchmix.Default(), benchChunkEvents)
	cfg := benchConfig(b, "zstd")
	bl, err := newBaseline(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sink := newBatchSink(cfg.Output)
	if n, err := bl.flush(f.chunk, sink); err != nil || n != len(f.events) {
		b.Fatalf("baseline shipped %d of %d: %v", n, len(f.events), err)
	}
	b.SetBytes(int64(len(f.chunk)))
	b.ReportAllocs()
	m := startMeter()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bl.flush(f.chunk, sink); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRates(b, len(f.events), m)
}

// BenchmarkFlushRatios runs the three benchmarks the targets compare —
// one flush, one baseline flush, one compression of the flush's output —
// interleaved in every iteration, and reports their CPU times per chunk and
// the two ratios (baseline/flush, flush/compress). On a shared machine
// whose speed drifts by tens of percent from one second to the next, ratios
// taken within one iteration hold better than ratios of separate runs.
// Times are the process's CPU time (getrusage), the collector's included:
// the baseline's garbage is collected during whatever runs next, and its
// cache misses are left to it too, so flush/compress comes out lower here
// than from separate runs (BenchmarkFlushClasses/mix has flush and
// compression alone, in turns).
func BenchmarkFlushRatios(b *testing.B) {
	f := mix(b, "default", benchmix.Default(), benchChunkEvents)
	cfg := benchConfig(b, "zstd")
	p, err := pipeline.New(cfg, newBatchSink(cfg.Output), quietLog())
	if err != nil {
		b.Fatal(err)
	}
	bl, err := newBaseline(cfg)
	if err != nil {
		b.Fatal(err)
	}
	blSink := newBatchSink(cfg.Output)
	msgs, _, _ := flushOutput(b, "zstd")
	comp := newCompressSink(cfg.Output)
	ctx := context.Background()
	var spent [3]time.Duration // flush, baseline, compression
	run := [3]func(){
		func() {
			if res := p.Flush(ctx, f.chunk); res.Status != pipeline.OK {
				b.Fatal(res.Err)
			}
		},
		func() {
			if _, err := bl.flush(f.chunk, blSink); err != nil {
				b.Fatal(err)
			}
		},
		func() {
			if err := comp.Write(ctx, msgs); err != nil {
				b.Fatal(err)
			}
		},
	}
	for _, f := range run { // warm up
		f()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The order rotates, so that the collector's work left over by one
		// (the baseline allocates much more) falls on each of the others
		// alike.
		for k := range 3 {
			j := (i + k) % 3
			t := cpuTime()
			run[j]()
			spent[j] += cpuTime() - t
		}
	}
	flush, base, compress := spent[0], spent[1], spent[2]
	n := float64(b.N)
	b.ReportMetric(flush.Seconds()*1e3/n, "flush-cpu-ms")
	b.ReportMetric(base.Seconds()*1e3/n, "baseline-cpu-ms")
	b.ReportMetric(compress.Seconds()*1e3/n, "compress-cpu-ms")
	b.ReportMetric(float64(len(f.events))*n/flush.Seconds(), "flush-events/cpu-s")
	b.ReportMetric(base.Seconds()/flush.Seconds(), "baseline/flush")
	b.ReportMetric(flush.Seconds()/compress.Seconds(), "flush/compress")
}

// BenchmarkFlushClasses says where a flush costs more than compressing its
// output: per class of event (the mix's Metadata events; events with bodies
// of 1-6 KB; list responses of 100-300 KB; the whole mix), one flush and one
// compression of that flush's output in every iteration, in turns first,
// each run with the caches the other left, as in a real flush.
func BenchmarkFlushClasses(b *testing.B) {
	bodies := benchmix.Default()
	bodies.Metadata, bodies.Request, bodies.LargeEvery = 0, 0.15, 0
	lists := benchmix.Default()
	lists.LargeEvery = 1
	for _, c := range []struct {
		name string
		mix  benchmix.Config
		n    int
	}{
		{"metadata", benchmix.MetadataOnly(), benchChunkEvents},
		{"bodies", bodies, 300},
		{"lists", lists, 4},
		{"mix", benchmix.Default(), benchChunkEvents},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := mix(b, "classes-"+c.name, c.mix, c.n)
			cfg := benchConfig(b, "zstd")
			var capture captureSink
			cp, err := pipeline.New(cfg, &capture, quietLog())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if res := cp.Flush(ctx, f.chunk); res.Status != pipeline.OK || res.Shipped != len(f.events) {
				b.Fatalf("flush: %v shipped %d of %d: %v", res.Status, res.Shipped, len(f.events), res.Err)
			}
			p, err := pipeline.New(cfg, newBatchSink(cfg.Output), quietLog())
			if err != nil {
				b.Fatal(err)
			}
			comp := newCompressSink(cfg.Output)
			run := [2]func(){
				func() { p.Flush(ctx, f.chunk) },
				func() {
					if err := comp.Write(ctx, capture.msgs); err != nil {
						b.Fatal(err)
					}
				},
			}
			run[0]()
			run[1]()
			var spent [2]time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range 2 {
					j := (i + k) % 2
					t := cpuTime()
					run[j]()
					spent[j] += cpuTime() - t
				}
			}
			n := float64(b.N)
			b.ReportMetric(spent[0].Seconds()*1e6/n/float64(len(f.events)), "flush-cpu-µs/event")
			b.ReportMetric(spent[1].Seconds()*1e6/n/float64(len(f.events)), "compress-cpu-µs/event")
			b.ReportMetric(spent[0].Seconds()/spent[1].Seconds(), "flush/compress")
		})
	}
}

// flushOutput is what one flush of the benchmark chunk hands to the sink.
func flushOutput(b *testing.B, codec string) ([]output.Message, *conf.Config, *fixture) {
	f := mix(b, "default", benchmix.Default(), benchChunkEvents)
	cfg := benchConfig(b, codec)
	var cap captureSink
	p, err := pipeline.New(cfg, &cap, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	if res := p.Flush(context.Background(), f.chunk); res.Status != pipeline.OK {
		b.Fatal(res.Err)
	}
	return cap.msgs, cfg, f
}

// BenchmarkCompressOnly only compresses (zstd) the messages one flush of the
// benchmark chunk outputs: the floor no pipeline can go under.
func BenchmarkCompressOnly(b *testing.B) { benchCompress(b, "zstd") }

// BenchmarkCompress is compression alone, per codec.
func BenchmarkCompress(b *testing.B) {
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		b.Run(codec, func(b *testing.B) { benchCompress(b, codec) })
	}
}

func benchCompress(b *testing.B, codec string) {
	msgs, cfg, f := flushOutput(b, codec)
	sink := newCompressSink(cfg.Output)
	ctx := context.Background()
	if err := sink.Write(ctx, msgs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(f.chunk))) // same unit as BenchmarkFlush
	b.ReportAllocs()
	m := startMeter()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := sink.Write(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRates(b, len(msgs), m)
	b.ReportMetric(float64(sink.In)/float64(sink.Out), "ratio")
}

// BenchmarkChunkDecode is the chunk decoder alone: records as tail without a
// parser writes them ({"log": line}) and as tail with the JSON parser does
// (the event is the record map, transcoded to JSON).
func BenchmarkChunkDecode(b *testing.B) {
	f := mix(b, "default", benchmix.Default(), benchChunkEvents)
	var cw flbchunk.Writer
	for _, e := range f.events {
		if err := cw.AddJSON(time.Unix(1, 0), e); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		chunk []byte
	}{{"log_key", f.chunk}, {"map", cw.Bytes()}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.chunk)))
			b.ReportAllocs()
			m := startMeter()
			b.ResetTimer()
			var buf []byte // the transcoding buffer, reused as Flush reuses it
			for i := 0; i < b.N; i++ {
				r := flbchunk.NewReaderBuffer(c.chunk, "log", buf)
				for r.More() {
					if _, err := r.Next(); err != nil {
						b.Fatal(err)
					}
				}
				buf = r.Buffer()
			}
			b.StopTimer()
			reportRates(b, len(f.events), m)
		})
	}
}

// BenchmarkSoak runs 10,000 flushes (of 20-event chunks of the realistic mix,
// rotating over 25 different chunks, large events included) per iteration and
// reports the heap growth between the first 100 flushes and the end: the
// live heap after a full collection, which must not grow. Run it with
// -benchtime=1x.
func BenchmarkSoak(b *testing.B) {
	const flushes, per, kinds = 10000, 20, 25
	f := mix(b, "default", benchmix.Default(), kinds*per)
	chunks := make([][]byte, kinds)
	for i := range chunks {
		var cw flbchunk.Writer
		for _, e := range f.events[i*per : (i+1)*per] {
			cw.AddLine(time.Unix(1, 0), "log", e)
		}
		chunks[i] = bytes.Clone(cw.Bytes())
	}
	cfg := benchConfig(b, "zstd")
	p, err := pipeline.New(cfg, newBatchSink(cfg.Output), quietLog())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var growth, first float64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var h0 uint64
		for j := 0; j < flushes; j++ {
			if j == 100 {
				b.StopTimer()
				h0 = live()
				b.StartTimer()
			}
			if res := p.Flush(ctx, chunks[j%len(chunks)]); res.Status != pipeline.OK {
				b.Fatal(res.Err)
			}
		}
		b.StopTimer()
		h1 := live()
		growth, first = float64(int64(h1)-int64(h0)), float64(h0)
		b.Logf("soak: live heap %d B after 100 flushes, %d B after %d", h0, h1, flushes)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(growth, "heap-growth-B")
	b.ReportMetric(first, "heap-live-B")
	b.ReportMetric(float64(b.N*flushes*per)/b.Elapsed().Seconds(), "events/s")
}
