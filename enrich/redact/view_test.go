package redact_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
)

// EventView, reading the bodies through the View's tapes (read first by
// the rules' Body, or by the redactor itself), redacts exactly as Event,
// which reads them on its own: same result, same event, in both
// strategies, over the corpora.
func TestEventViewMatchesEvent(t *testing.T) {
	var lines []string
	for _, f := range []string{filepath.Join(repoRoot(t), "testdata", "lab-policy.audit.log"), "testdata/outsiders.audit.log"} {
		lines = append(lines, readLines(t, f)...)
	}
	var tapes audit.Tapes // reused from event to event, as the Enricher does
	for _, strategy := range []redact.Strategy{redact.Detect, redact.Strict} {
		r, err := redact.New(redact.Config{Mode: redact.Mask, Strategy: strategy})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, l := range lines {
			var a, b auditv1.Event
			if json.Unmarshal([]byte(l), &a) != nil || json.Unmarshal([]byte(l), &b) != nil {
				continue
			}
			var v audit.View
			v.UseTapes(&tapes)
			audit.NewView(&b, &v)
			if i%2 == 0 {
				v.Body() // the rules read the body first
			}
			ra, rb := r.Event(&a), r.EventView(&b, &v)
			ja, _ := json.Marshal(&a)
			jb, _ := json.Marshal(&b)
			if !reflect.DeepEqual(ra, rb) || string(ja) != string(jb) {
				t.Fatalf("%v line %d: EventView %v\n%s\nEvent %v\n%s", strategy, i+1, rb, jb, ra, ja)
			}
			tapes.Reset()
			n++
		}
		if n < 600 {
			t.Fatalf("only %d events", n)
		}
	}
}
