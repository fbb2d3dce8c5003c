package enrich_test

// Per-stage benchmarks of enrich over the realistic mix of internal/benchmix
// (see pipeline/bench_test.go for the whole flush). Run on one core:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./enrich

import (
	"maps"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
)

var (
	benchOnce   sync.Once
	benchLines  [][]byte
	benchBytes  int
	benchSetErr error
)

// benchEvents is 1000 events of the default mix, as JSON.
func benchEvents(b *testing.B) ([][]byte, int) {
	benchOnce.Do(func() {
		c, err := benchmix.LoadCorpus()
		if err != nil {
			benchSetErr = err
			return
		}
		benchLines = c.Generate(benchmix.Default(), 1000)
		for _, l := range benchLines {
			benchBytes += len(l)
		}
	})
	if benchSetErr != nil {
		b.Fatal(benchSetErr)
	}
	return benchLines, benchBytes
}

func decodeAll(b *testing.B, lines [][]byte) []auditv1.Event {
	var evs []auditv1.Event
	for _, l := range lines {
		var err error
		if evs, err = audit.Decode(l, evs); err != nil {
			b.Fatal(err)
		}
	}
	return evs
}

func enricher(b *testing.B, props conf.MapGetter) *enrich.Enricher {
	cfg, err := conf.Load(props)
	if err != nil {
		b.Fatal(err)
	}
	en, err := enrich.New(cfg.Enrich, cfg.Redact)
	if err != nil {
		b.Skipf("enrich.New: %v", err)
	}
	return en
}

func reportEvents(b *testing.B, perOp int) {
	b.ReportMetric(float64(b.N)*float64(perOp)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStageDecode is the audit parse: JSON document to auditv1.Event.
func BenchmarkStageDecode(b *testing.B) {
	lines, size := benchEvents(b)
	evs := make([]auditv1.Event, 0, 1)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			var err error
			if evs, err = audit.Decode(l, evs[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, len(lines))
}

// BenchmarkStageEnrich is the enrichment of decoded events (filters, severity
// rules, summary). Each iteration enriches copies of the decoded events, as
// Enrich may change an event in place.
func BenchmarkStageEnrich(b *testing.B) {
	lines, _ := benchEvents(b)
	evs := decodeAll(b, lines)
	en := enricher(b, conf.MapGetter{"brokers": "x:9092", "topic": "audit"})
	work := make([]auditv1.Event, len(evs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(work, evs)
		for j := range work {
			if _, drop := en.Enrich(&work[j]); drop != enrich.DropNone {
				b.Fatalf("event dropped: %s", drop)
			}
		}
	}
	reportEvents(b, len(evs))
}

// BenchmarkStageRedact is the redaction stage (secrets in request URIs,
// annotations, status messages, user extra and bodies; default mask mode)
// over the decoded events of the mix. The redactor changes events in place
// (it replaces body bytes and masks annotation values), so each iteration
// redacts fresh copies, made with the timer stopped. Like real logs, the mix
// holds few secrets (redactions/event says how many): this is mostly the
// cost of looking. enrich/redact's own BenchmarkRedact measures bodies with
// secrets (Secret, pod env, CA bundle) and the lab log.
func BenchmarkStageRedact(b *testing.B) {
	lines, _ := benchEvents(b)
	evs := decodeAll(b, lines)
	r, err := redact.New(redact.Config{Mode: redact.Mask})
	if err != nil {
		b.Fatal(err)
	}
	work := make([]auditv1.Event, len(evs))
	fresh := func() {
		for i := range evs {
			e := evs[i]
			if u := e.RequestObject; u != nil {
				e.RequestObject = &runtime.Unknown{Raw: u.Raw, ContentType: u.ContentType}
			}
			if u := e.ResponseObject; u != nil {
				e.ResponseObject = &runtime.Unknown{Raw: u.Raw, ContentType: u.ContentType}
			}
			if s := e.ResponseStatus; s != nil {
				c := *s
				e.ResponseStatus = &c
			}
			e.Annotations = maps.Clone(e.Annotations)
			e.User.Extra = maps.Clone(e.User.Extra)
			work[i] = e
		}
	}
	redactions := 0
	fresh()
	for i := range work {
		redactions += len(r.Event(&work[i]).Redactions)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fresh()
		b.StartTimer()
		for j := range work {
			r.Event(&work[j])
		}
	}
	reportEvents(b, len(work))
	b.ReportMetric(float64(redactions)/float64(len(work)), "redactions/event")
}

// BenchmarkStageDecodeRaw is BenchmarkStageDecode as the pipeline decodes:
// each event with its own bytes and the spans of its members.
func BenchmarkStageDecodeRaw(b *testing.B) {
	lines, size := benchEvents(b)
	evs, raws, err := audit.DecodeRaw(lines[0], nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			if evs, raws, err = audit.DecodeRaw(l, evs[:0], raws[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, len(lines))
}
