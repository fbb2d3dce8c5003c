package policy

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/internal/audittest"
)

// TestPolicyReproducesApiserverLevels evaluates the lab's own audit policy
// over the log it produced: the attributes rebuilt from each event must lead
// k8s.io/apiserver's evaluator to the level the apiserver logged.
func TestPolicyReproducesApiserverLevels(t *testing.T) {
	p, err := Load("../testdata/lab-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range audittest.DecodeFile(t, audittest.LabLog(t)) {
		var v audit.View
		audit.NewView(&ev, &v)
		attrs := attributes(&ev, &v)
		got := p.eval.EvaluatePolicyRule(&attrs)
		if string(got.Level) != string(ev.Level) {
			t.Errorf("%s %s %s: policy level %s, apiserver logged %s", ev.AuditID, ev.Verb, ev.RequestURI, got.Level, ev.Level)
		}
	}
}

func TestStripManagedFieldsOfList(t *testing.T) {
	list := []byte(`{"kind":"PodList","items":[{"metadata":{"name":"a","managedFields":[{"manager":"x"}]}},{"metadata":{"name":"b"}}]}`)
	u := &runtime.Unknown{Raw: list}
	stripManagedFields(u)
	if strings.Contains(string(u.Raw), "managedFields") || !strings.Contains(string(u.Raw), `"b"`) {
		t.Errorf("list: %s", u.Raw)
	}
}
