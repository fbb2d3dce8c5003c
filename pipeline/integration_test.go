package pipeline_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			out = append(out, append([]byte(nil), sc.Bytes()...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The real apiserver log goes through the real pipeline into a real
// Kafka-protocol broker over TCP, for each codec, and every message is read
// back by a real consumer.
func TestShipRealLogEveryCodec(t *testing.T) {
	lines := readLines(t, "../testdata/lab-policy.audit.log")
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			b, err := embedded.Start(3, []string{"audit"})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "compression": codec, "stages": "ResponseComplete,ResponseStarted,Panic"})
			if err != nil {
				t.Fatal(err)
			}
			p, err := pipeline.Open(cfg, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close(time.Second)
			var cw flbchunk.Writer
			shipped := 0
			for i, l := range lines {
				cw.AddLine(time.Now(), "log", l)
				if cw.Len() == 100 || i == len(lines)-1 {
					res := p.Flush(context.Background(), cw.Bytes())
					if res.Status != pipeline.OK {
						t.Fatalf("flush: %v %v", res.Status, res.Err)
					}
					shipped += res.Shipped
					cw.Reset()
				}
			}
			if shipped != len(lines) {
				t.Fatalf("shipped %d of %d events", shipped, len(lines))
			}
			recs, err := embedded.Consume(context.Background(), b.Addrs(), []string{"audit"}, len(lines), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(lines) {
				t.Fatalf("read back %d of %d", len(recs), len(lines))
			}
			ids := map[string]bool{}
			for _, r := range recs {
				var m struct {
					AuditID    string `json:"auditID"`
					Enrichment struct {
						Severity string `json:"severity"`
						Summary  string `json:"summary"`
					} `json:"enrichment"`
				}
				if err := json.Unmarshal(r.Value, &m); err != nil {
					t.Fatalf("message is not JSON: %v", err)
				}
				if m.AuditID == "" || string(r.Key) != m.AuditID || m.Enrichment.Severity == "" || m.Enrichment.Summary == "" {
					t.Fatalf("bad message: key %q id %q enrichment %+v", r.Key, m.AuditID, m.Enrichment)
				}
				ids[m.AuditID] = true
			}
			if want := distinctIDs(t, lines); len(ids) != want {
				t.Fatalf("%d distinct audit ids read back, want %d", len(ids), want)
			}
		})
	}
}

func distinctIDs(t *testing.T, lines [][]byte) int {
	ids := map[string]bool{}
	for _, l := range lines {
		var m struct {
			AuditID string `json:"auditID"`
		}
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		ids[m.AuditID] = true
	}
	return len(ids)
}
