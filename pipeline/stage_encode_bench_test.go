package pipeline

import (
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

// BenchmarkStageEncode is the encoding of enriched records (1000 events of
// the default mix, each with its exact bytes as the pipeline decodes it),
// per format.
func BenchmarkStageEncode(b *testing.B) {
	c, err := benchmix.LoadCorpus()
	if err != nil {
		b.Fatal(err)
	}
	en, err := enrich.New(enrich.Config{ClusterName: "bench", NodeName: "node-1", Images: true}, redact.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var recs []*record.Record
	for _, l := range c.Generate(benchmix.Default(), 1000) {
		evs, raws, err := audit.DecodeRaw(l, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := range evs {
			rec := new(record.Record)
			if drop := en.EnrichInto(rec, &evs[i], raws[i]); drop == enrich.DropNone {
				recs = append(recs, rec)
			}
		}
	}
	for _, f := range []format.Format{format.Native, format.ECS, format.OCSF} {
		b.Run(f.String(), func(b *testing.B) {
			size := 0
			for _, r := range recs {
				out, err := format.Append(nil, f, format.Lean, r)
				if err != nil {
					b.Fatal(err)
				}
				size += len(out)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			var buf []byte
			for i := 0; i < b.N; i++ {
				buf = buf[:0]
				for _, r := range recs {
					if buf, err = format.Append(buf, f, format.Lean, r); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)*float64(len(recs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
