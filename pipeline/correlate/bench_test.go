package correlate

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

// nativeCorpus is n messages as the plugin ships them (native format, lean
// enrichment) for benchmix's realistic mix of events.
func nativeCorpus(b *testing.B, n int) ([][]byte, int64) {
	b.Helper()
	c, err := benchmix.LoadCorpus()
	if err != nil {
		b.Fatal(err)
	}
	pc, err := conf.Load(conf.MapGetter{"stages": "ResponseStarted,ResponseComplete,Panic"})
	if err != nil {
		b.Fatal(err)
	}
	en, err := enrich.New(pc.Enrich, pc.Redact)
	if err != nil {
		b.Fatal(err)
	}
	var msgs [][]byte
	var size int64
	for _, doc := range c.Generate(benchmix.Default(), n) {
		evs, raws, err := audit.DecodeRaw(doc, nil, nil)
		if err != nil || len(evs) != 1 {
			continue
		}
		rec, drop := en.Enrich(&evs[0])
		if drop != enrich.DropNone {
			continue
		}
		rec.Raw = raws[0]
		if len(rec.Enrichment.Redactions) > 0 {
			rec.Raw = record.Raw{}
		}
		m, err := format.Append(nil, format.Native, format.Lean, rec)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
		size += int64(len(m))
	}
	return msgs, size
}

// BenchmarkCorrelate: events/s one partition's goroutine consumes (decode
// of the native message, every default rule), on benchmix's realistic mix;
// with -cpu 1 it is the figure per core.
func BenchmarkCorrelate(b *testing.B) {
	msgs, size := nativeCorpus(b, 50000)
	rs, err := LoadRules("", "extend")
	if err != nil {
		b.Fatal(err)
	}
	dec := NewDecoder(nil, rs)
	var ev Event
	var eng *Engine
	var alerts []*Alert
	b.SetBytes(size / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(msgs)
		if j == 0 {
			eng = NewEngine(rs, Limits{}, 0) // a new pass: time starts again
		}
		if err := dec.Decode(msgs[j], &ev); err != nil {
			continue
		}
		ev.Offset = int64(i)
		alerts = eng.Process(&ev, alerts[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkConsumeKafka: a Consumer reading one partition from kfake over
// TCP on 127.0.0.1 until every message is correlated (the broker runs in
// the same process and shares the CPUs). b.N is the number of messages.
func BenchmarkConsumeKafka(b *testing.B) {
	msgs, _ := nativeCorpus(b, 20000)
	br, err := embedded.Start(1, []string{"kube-audit", "kube-audit-alerts"})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	ctx := context.Background()
	prod, err := kgo.NewClient(kgo.SeedBrokers(br.Addrs()...), kgo.DefaultProduceTopic("kube-audit"), kgo.ProducerBatchMaxBytes(900<<10), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	recs := make([]*kgo.Record, b.N)
	for i := range recs {
		recs[i] = &kgo.Record{Value: msgs[i%len(msgs)]}
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	cfg := &Config{Kafka: output.Config{Brokers: br.Addrs()}, Topics: []string{"kube-audit"}, GroupID: "bench",
		AlertsTopic: "kube-audit-alerts", RulesMode: "extend", Format: FormatNative, CommitInterval: 100 * time.Millisecond}
	c, err := NewConsumer(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	c.Timings = Timings{Heartbeat: 300 * time.Millisecond, Session: 6 * time.Second, Rebalance: 5 * time.Second, JoinBackoff: 200 * time.Millisecond}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	b.ResetTimer()
	go func() { defer close(done); _ = c.Run(cctx) }()
	for c.Stats().Events < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	cancel()
	<-done
}
