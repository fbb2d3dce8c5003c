package enrich

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
)

func writePolicy(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

const nodePolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["system:apiserver"]
- level: None
  nonResourceURLs: ["/version", "/api*"]
- level: Request
  omitStages: ["ResponseStarted"]
  resources: [{group: "", resources: ["pods/exec", "pods/attach"]}]
- level: Metadata
  resources: [{group: "rbac.authorization.k8s.io", resources: ["clusterroles"]}]
- level: Request
  resources: [{group: "rbac.authorization.k8s.io", resources: ["clusterrolebindings"]}]
- level: RequestResponse
`

func TestPolicyRelevels(t *testing.T) {
	en := newEnricher(t, Config{Stages: allStages, PolicyFile: writePolicy(t, nodePolicy)})

	ev := lab(t, user("system:apiserver"))
	if _, drop := en.Enrich(&ev); drop != DropPolicy {
		t.Errorf("level None: drop %q, want %q", drop, DropPolicy)
	}
	ev = lab(t, and(user("system:anonymous"), uri("/version")))
	if _, drop := en.Enrich(&ev); drop != DropPolicy {
		t.Errorf("non-resource None: drop %q", drop)
	}

	// Metadata strips both bodies.
	ev = lab(t, and(user("kubernetes-admin"), res("create", "clusterroles", "")))
	if ev.Level != auditv1.LevelRequestResponse || ev.RequestObject == nil || ev.ResponseObject == nil {
		t.Fatalf("test event: %s", ev.Level)
	}
	rec, drop := en.Enrich(&ev)
	if drop != DropNone || ev.RequestObject != nil || ev.ResponseObject != nil || ev.Level != auditv1.LevelMetadata {
		t.Errorf("Metadata: drop %q level %s bodies %v %v", drop, ev.Level, ev.RequestObject != nil, ev.ResponseObject != nil)
	}
	if rec.Enrichment.Level != "Metadata" || rec.Enrichment.LoggedLevel != "RequestResponse" {
		t.Errorf("enrichment level %q logged %q", rec.Enrichment.Level, rec.Enrichment.LoggedLevel)
	}
	// Rules still judge the event (severity from metadata).
	if !slices.Contains(rec.Enrichment.Rules, "rbac_changed") {
		t.Errorf("rules after re-levelling: %v", rec.Enrichment.Rules)
	}

	// Request strips only the response.
	ev = lab(t, and(user("kubernetes-admin"), res("create", "clusterrolebindings", "")))
	rec, _ = en.Enrich(&ev)
	if ev.RequestObject == nil || ev.ResponseObject != nil || rec.Enrichment.Level != "Request" {
		t.Errorf("Request: level %s bodies %v %v", rec.Enrichment.Level, ev.RequestObject != nil, ev.ResponseObject != nil)
	}

	// Never raised: a Metadata event under a RequestResponse rule.
	ev = lab(t, and(user("kubernetes-admin"), res("get", "secrets", "")))
	rec, _ = en.Enrich(&ev)
	if ev.Level != auditv1.LevelMetadata || rec.Enrichment.Level != "Metadata" || rec.Enrichment.LoggedLevel != "" {
		t.Errorf("raised: %s %q", ev.Level, rec.Enrichment.LoggedLevel)
	}

	// omitStages of the rule drops ResponseStarted (even though exec's
	// ResponseStarted is shipped regardless of stages), with its own reason.
	ev = lab(t, and(res("create", "pods", "exec"), stage(auditv1.StageResponseStarted)))
	if _, drop := en.Enrich(&ev); drop != DropPolicyStage {
		t.Errorf("omitStages: drop %q, want %q", drop, DropPolicyStage)
	}
	// The policy-wide omitStages (RequestReceived) applies too.
	ev = lab(t, and(res("create", "pods", "exec"), stage(auditv1.StageResponseComplete)))
	ev.Stage = auditv1.StageRequestReceived
	if _, drop := en.Enrich(&ev); drop != DropPolicyStage {
		t.Errorf("policy omitStages: drop %q", drop)
	}
	ev = lab(t, and(res("create", "pods", "exec"), stage(auditv1.StageResponseComplete)))
	rec, drop = en.Enrich(&ev)
	if drop != DropNone || rec.Enrichment.Level != "Request" || ev.ResponseObject != nil {
		t.Errorf("exec ResponseComplete: %q %s", drop, rec.Enrichment.Level)
	}
}

func TestPolicyFileErrors(t *testing.T) {
	for name, body := range map[string]string{
		"not yaml":  "rules: [",
		"bad level": "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n",
		"not v1":    "apiVersion: audit.k8s.io/v2\nkind: Policy\nrules:\n- level: None\n",
	} {
		_, err := New(Config{PolicyFile: writePolicy(t, body)}, redact.Config{})
		if err == nil || !strings.Contains(err.Error(), "enrich.PolicyFile") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPolicyOmitManagedFields(t *testing.T) {
	pol := "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitManagedFields: true\nrules:\n- level: RequestResponse\n"
	en := newEnricher(t, Config{PolicyFile: writePolicy(t, pol)})
	ev := lab(t, and(user("kubernetes-admin"), res("create", "roles", "")))
	if !strings.Contains(string(ev.ResponseObject.Raw), `"managedFields"`) {
		t.Fatal("test event has no managedFields")
	}
	rec, drop := en.Enrich(&ev)
	if drop != DropNone {
		t.Fatal(drop)
	}
	for _, u := range [][]byte{ev.RequestObject.Raw, ev.ResponseObject.Raw} {
		if strings.Contains(string(u), "managedFields") || !strings.Contains(string(u), `"pod-reader"`) {
			t.Errorf("managedFields kept or object damaged: %.200s", u)
		}
	}
	if rec.Enrichment.Level != "RequestResponse" {
		t.Errorf("level %s", rec.Enrichment.Level)
	}

}
