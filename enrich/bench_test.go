package enrich

import (
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
)

// benchMix is a realistic mix: the real lab log (apiserver bootstrap with
// large RBAC bodies, kubectl traffic, denials, impersonation, exec) and
// Falco's captures (pod, workload, configmap and RBAC bodies).
func benchMix(b *testing.B) [][]byte {
	lines := append([][]byte(nil), readLines(b, labLog)...)
	return append(lines, readLines(b, falcoFile)...)
}

func benchEnrich(b *testing.B, e Config) {
	lines := benchMix(b)
	events := make([]auditv1.Event, 0, len(lines))
	var bytes int64
	for _, l := range lines {
		var err error
		if events, err = audit.Decode(l, events); err != nil {
			b.Fatal(err)
		}
		bytes += int64(len(l))
	}
	en := newEnricher(b, e)
	b.SetBytes(bytes / int64(len(events)))
	b.ReportAllocs()
	b.ResetTimer()
	ev := new(auditv1.Event)
	for i := 0; i < b.N; i++ {
		*ev = events[i%len(events)] // shallow copy: re-levelling only replaces pointers
		en.Enrich(ev)
	}
}

// BenchmarkEnrich: filtering, rules and summary only, per event.
func BenchmarkEnrich(b *testing.B) {
	benchEnrich(b, Config{ClusterName: "bench"})
}

// BenchmarkEnrichPolicy adds node-side re-levelling with the lab policy.
func BenchmarkEnrichPolicy(b *testing.B) {
	benchEnrich(b, Config{ClusterName: "bench", PolicyFile: "testdata/lab-policy.yaml"})
}

// BenchmarkDecode: the lab log and Falco's captures, per document.
func BenchmarkDecode(b *testing.B) {
	lines := benchMix(b)
	b.ReportAllocs()
	var evs []auditv1.Event
	var n int64
	for _, l := range lines {
		n += int64(len(l))
	}
	b.SetBytes(n / int64(len(lines)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if evs, err = audit.Decode(lines[i%len(lines)], evs[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
