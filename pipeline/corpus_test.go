package pipeline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

// TestPublicCorpus sends every public sample through audit.Decode,
// Enrich and format.Append in every format: no error for an audit event, no panic, valid JSON.
func TestPublicCorpus(t *testing.T) {
	dir := publicCorpus(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	formats := []format.Format{format.Native, format.ECS, format.OCSF}
	en, err := enrich.New(enrich.Config{ClusterName: "corpus", NodeName: "node-1", Stages: allStages, Images: true}, redact.Config{})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, file := range files {
		if strings.HasSuffix(file, ".md") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			evs, err := audit.Decode(l, nil)
			if err != nil { // AKS and GKE envelopes included: they are unwrapped
				t.Errorf("%s:%d: %v", filepath.Base(file), i+1, err)
				continue
			}
			for _, f := range formats {
				for j := range evs {
					ev := evs[j] // each format enriches its own copy
					rec, drop := en.Enrich(&ev)
					if drop != enrich.DropNone {
						t.Errorf("%s:%d: dropped %s with every stage shipped", filepath.Base(file), i+1, drop)
						continue
					}
					out, err := format.Append(nil, f, format.Lean, rec)
					if err != nil {
						t.Errorf("%s:%d %s: %v", filepath.Base(file), i+1, f, err)
						continue
					}
					if !json.Valid(out) {
						t.Errorf("%s:%d %s: invalid JSON", filepath.Base(file), i+1, f)
					}
					if rec.Enrichment.Summary == "" || rec.Enrichment.SeverityID < 1 {
						t.Errorf("%s:%d: no summary or severity", filepath.Base(file), i+1)
					}
				}
				total += len(evs)
			}
		}
	}
	if total < 3*985 {
		t.Errorf("only %d events went through (want all 985 in 3 formats)", total)
	}
	t.Logf("%d event encodings", total)
}

// publicCorpus returns the directory of the shared public samples, or skips.
func publicCorpus(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../../shared/testdata/audit/public")
	if err == nil {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	t.Skip("../shared/testdata/audit/public is absent")
	return ""
}
