package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// The speed work (fast event decoder, pooled flush buffers) must not change a
// byte of what is shipped. This test puts the real log and the benchmark mix
// (100+ KB events included) through Flush, in every chunk form and in chunks
// of several sizes (so pooled buffers are reused across flushes of different
// sizes), and compares every message with the straightforward computation:
// encoding/json into the audit model, then the same Enrich and Encode.
func TestFlushOutputUnchanged(t *testing.T) {
	lines, err := benchmix.Lines()
	if err != nil {
		t.Fatal(err)
	}
	c, err := benchmix.NewCorpus(lines)
	if err != nil {
		t.Fatal(err)
	}
	docs := append(append([][]byte(nil), lines...), c.Generate(benchmix.Default(), 1200)...)

	cfg := benchConfig(t, "zstd")
	enr, err := enrich.New(cfg.Enrich, cfg.Redact)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		value                         []byte
		id, severity, user, namespace string
	}
	var wants []want
	for i, d := range docs {
		evs, raws, err := audit.DecodeRaw(d, nil, nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("doc %d: %v", i, err)
		}
		ev := &evs[0]
		var rec record.Record
		if drop := enr.EnrichInto(&rec, ev, raws[0]); drop != enrich.DropNone {
			continue
		}
		v, err := format.Append(nil, cfg.Format, cfg.Detail, &rec)
		if err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{v, string(ev.AuditID), rec.Enrichment.Severity, ev.User.Username, rec.Enrichment.What.Namespace})
	}

	for _, form := range []string{"log_key", "map", "v2", "int_time"} {
		t.Run(form, func(t *testing.T) {
			var got captureSink
			p, err := pipeline.New(cfg, &got, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			sizes := []int{1, 7, 100, 450, 33}
			for i, k := 0, 0; i < len(docs); k++ {
				n := min(sizes[k%len(sizes)], len(docs)-i)
				cw := flbchunk.Writer{V2: form == "v2", IntTime: form == "int_time"}
				for _, d := range docs[i : i+n] {
					if form == "map" {
						if err := cw.AddJSON(time.Unix(1, 0), d); err != nil {
							t.Fatal(err)
						}
					} else {
						cw.AddLine(time.Unix(1, 0), "log", d)
					}
				}
				if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK {
					t.Fatalf("flush: %v %v", res.Status, res.Err)
				}
				i += n
			}
			if len(got.msgs) != len(wants) {
				t.Fatalf("%d messages, want %d", len(got.msgs), len(wants))
			}
			for i, m := range got.msgs {
				w := wants[i]
				value := w.value
				if form == "map" {
					// The record map is transcoded from msgpack: numbers
					// and key order in bodies may be written differently,
					// so compare what the value means.
					if !sameJSON(t, m.Value, value) {
						t.Fatalf("message %d differs (map form)", i)
					}
				} else if !bytes.Equal(m.Value, value) {
					t.Fatalf("message %d differs:\n%s\nwant\n%s", i, clip(m.Value), clip(value))
				}
				if m.AuditID != w.id || m.Severity != w.severity || m.User != w.user || m.Namespace != w.namespace {
					t.Fatalf("message %d: fields %q %q %q %q, want %q %q %q %q", i, m.AuditID, m.Severity, m.User, m.Namespace, w.id, w.severity, w.user, w.namespace)
				}
			}
		})
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func clip(b []byte) []byte {
	if len(b) > 600 {
		return b[:600]
	}
	return b
}
