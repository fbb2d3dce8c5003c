package pipeline

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden.json")

// TestGolden decodes, enriches and encodes each testdata/golden/NAME.json
// (one real event) in every format and compares with NAME.golden.json.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.json")
	if err != nil {
		t.Fatal(err)
	}
	formats := []format.Format{format.Native, format.ECS, format.OCSF}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			doc, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			got.WriteString("{\n")
			for i, f := range formats {
				en, err := enrich.New(enrich.Config{ClusterName: "lab", NodeName: "node-1", Stages: allStages, Images: f == format.ECS}, redact.Config{})
				if err != nil {
					t.Fatal(err)
				}
				evs, raws, err := audit.DecodeRaw(doc, nil, nil)
				if err != nil || len(evs) != 1 {
					t.Fatalf("decode: %v", err)
				}
				rec := new(record.Record)
				if drop := en.EnrichInto(rec, &evs[0], raws[0]); drop != enrich.DropNone {
					t.Fatalf("dropped: %s", drop)
				}
				out, err := format.Append(nil, f, format.Lean, rec)
				if err != nil {
					t.Fatal(err)
				}
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, out, "  ", "  "); err != nil {
					t.Fatalf("%s: invalid JSON: %v", f, err)
				}
				got.WriteString(`  "` + f.String() + `": `)
				got.Write(pretty.Bytes())
				if i < len(formats)-1 {
					got.WriteByte(',')
				}
				got.WriteByte('\n')
			}
			got.WriteString("}\n")
			golden := strings.TrimSuffix(in, ".json") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./pipeline -run Golden -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from %s; run with -update and review the diff.\n%s", in, golden, firstDiff(got.Bytes(), want))
			}
		})
	}
	if n == 0 {
		t.Fatal("no golden inputs")
	}
}

func firstDiff(got, want []byte) string {
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if gl[i] != wl[i] {
			return "line " + itoa(i+1) + ":\n got: " + gl[i] + "\nwant: " + wl[i]
		}
	}
	return "lengths differ"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// allStages ships every stage, so that each golden input is encoded.
var allStages = []string{"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"}
