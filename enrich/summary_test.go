package enrich

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

func TestSummaries(t *testing.T) {
	en := newEnricher(t, Config{ClusterName: "lab", NodeName: "node-1", Stages: allStages})
	for _, c := range []struct {
		name string
		ev   func(testing.TB) auditv1.Event
		want string
	}{
		{"exec", labEv(res("create", "pods", "exec"), stage(auditv1.StageResponseStarted), func(ev *auditv1.Event) bool {
			return len(ev.RequestURI) > 0 && ev.RequestURI[len(ev.RequestURI)-1] == 'e'
		}),
			`kubernetes-admin exec'd "cat /etc/passwd" into pod debug in audit-lab from 127.0.0.1 (kubectl/v1.32.4): failed, 400`},
		{"falco exec", falco(48), `minikube-user exec'd "bash" into pod nginx-deployment-7998647bdf-phvq7 in default from 192.168.99.1: allowed, 101`},
		{"secret list all", labEv(user("kubernetes-admin"), res("list", "secrets", ""), func(ev *auditv1.Event) bool { return ev.ObjectRef.Namespace == "" }),
			`kubernetes-admin listed secrets in all namespaces from 127.0.0.1 (kubectl/v1.32.4): allowed, 200`},
		{"impersonated 403", labEv(impersonating("dev-user"), res("list", "secrets", ""), code(403)),
			`kubernetes-admin as dev-user listed secrets in audit-lab from 127.0.0.1 (kubectl/v1.32.4): denied, 403`},
		{"anonymous non-resource", labEv(user("system:anonymous"), uri("/version")),
			`system:anonymous requested GET /version from 127.0.0.1 (curl/7.88.1): allowed, 200`},
		{"401", labEv(code(401)), `an unauthenticated client listed secrets in all namespaces from 127.0.0.1 (curl/7.88.1): denied, 401`},
		{"token", labEv(res("create", "serviceaccounts", "token")), `kubernetes-admin requested a token for service account default in audit-lab from 127.0.0.1 (kubectl/v1.32.4): allowed, 201`},
		{"namespace delete", labEv(user("kubernetes-admin"), res("delete", "namespaces", "")), `kubernetes-admin deleted namespace audit-lab from 127.0.0.1 (kubectl/v1.32.4): allowed, 200`},
		{"v1beta1 request received", sample(4), `system:admin deleted role audit2rbac:bob in default from ::1: pending`},
	} {
		ev := c.ev(t)
		rec, drop := en.Enrich(&ev)
		if drop != DropNone {
			t.Fatalf("%s: dropped %s", c.name, drop)
		}
		if rec.Enrichment.Summary != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, rec.Enrichment.Summary, c.want)
		}
	}
}

// TestSummaryBoundsLongParts: a client chooses the length of its user
// agent, URL and exec command, an identity provider that of a user name;
// the sentence cuts each part (at a character, marked …) and keeps its end,
// the outcome. The fields beside it keep the whole values.
func TestSummaryBoundsLongParts(t *testing.T) {
	en := newEnricher(t, Config{Stages: allStages})
	long := strings.Repeat("é", 50_000) // two bytes a character: a cut could split one
	ev := lab(t, and(user("system:anonymous"), uri("/version")))
	ev.User.Username = "u" + long
	ev.RequestURI = "/x" + long
	ev.UserAgent = "tool" + long + "/v1 (linux)"
	ev.SourceIPs = []string{"10.0.0.1" + long}
	exec := lab(t, and(res("create", "pods", "exec"), func(ev *auditv1.Event) bool {
		return strings.Contains(ev.RequestURI, "command=")
	}))
	exec.RequestURI = "/api/v1/namespaces/n/pods/p/exec?command=sh&command=-c&command=" + strings.Repeat("x", 100_000) + "&stdout=true"
	for name, ev := range map[string]auditv1.Event{"non-resource": ev, "exec": exec} {
		rec, drop := en.Enrich(&ev)
		if drop != DropNone {
			t.Fatalf("%s: dropped %s", name, drop)
		}
		s := rec.Enrichment.Summary
		if len(s) > 2048 || !utf8.ValidString(s) || !strings.Contains(s, "…") {
			t.Errorf("%s: summary of %d bytes (valid UTF-8: %v): %.300s", name, len(s), utf8.ValidString(s), s)
		}
		if out := rec.Enrichment.Outcome(); !strings.Contains(s, ": "+out) {
			t.Errorf("%s: the outcome %q is cut off: …%s", name, out, s[max(0, len(s)-80):])
		}
	}
	if rec, _ := en.Enrich(&ev); rec.Enrichment.Who.User != ev.User.Username {
		t.Error("the enrichment's user is cut too")
	}
}

func TestWhoWhatWhereResult(t *testing.T) {
	en := newEnricher(t, Config{ClusterName: "lab", NodeName: "node-1"})
	ev := lab(t, and(user("system:serviceaccount:audit-lab:app-sa"), code(403)))
	rec, _ := en.Enrich(&ev)
	e := rec.Enrichment
	if e.Who.ServiceAccountNamespace != "audit-lab" || e.Who.ServiceAccountName != "app-sa" || e.Who.Client != "curl" {
		t.Errorf("who: %+v", e.Who)
	}
	if e.Where.Cluster != "lab" || e.Where.Node != "node-1" || len(e.Where.SourceIPs) != 1 || e.Cluster != "lab" || e.Node != "node-1" {
		t.Errorf("where: %+v", e.Where)
	}
	if e.Result.Code != 403 || e.Result.Decision != "forbid" || e.Result.Allowed || e.Result.Reason != "Forbidden" || e.Result.LatencyMS <= 0 || e.Result.DecisionReason == "" && e.Result.Message == "" {
		t.Errorf("result: %+v", e.Result)
	}
	ev = lab(t, and(res("create", "pods", "exec"), stage(auditv1.StageResponseStarted)))
	rec, _ = en.Enrich(&ev)
	w := rec.Enrichment.What
	if w.Verb != "create" || w.Resource != "pods" || w.Subresource != "exec" || w.Name != "debug" || w.Namespace != "audit-lab" || w.APIVersion != "v1" || w.Command != "cat /etc/passwd" || w.Container != "debug" {
		t.Errorf("what: %+v", w)
	}
	ev = lab(t, impersonating("dev-user"))
	rec, _ = en.Enrich(&ev)
	if rec.Enrichment.Who.ImpersonatedUser != "dev-user" || rec.Enrichment.Who.User != "kubernetes-admin" {
		t.Errorf("impersonation: %+v", rec.Enrichment.Who)
	}
	ev = lab(t, uri("/version"))
	rec, _ = en.Enrich(&ev)
	if rec.Enrichment.What.NonResourceURL != "/version" || rec.Enrichment.What.Resource != "" {
		t.Errorf("non-resource: %+v", rec.Enrichment.What)
	}
	ev = sample(6)(t) // openshift pod-security violation
	rec, _ = en.Enrich(&ev)
	if rec.Enrichment.Result.PodSecurityViolations == "" {
		t.Errorf("pod security violations not reported")
	}
	if rec.Enrichment.Who.Pod != "catalog-operator-5449869557-xvbtf" || rec.Enrichment.Who.ServiceAccountName != "olm-operator-serviceaccount" {
		t.Errorf("bound token pod: %+v", rec.Enrichment.Who)
	}
}

func TestStages(t *testing.T) {
	en := newEnricher(t, Config{}) // default: ResponseComplete, Panic
	for _, c := range []struct {
		name string
		ev   func(testing.TB) auditv1.Event
		ship bool
	}{
		{"ResponseComplete", labEv(user("kubernetes-admin")), true},
		{"exec ResponseStarted", labEv(res("create", "pods", "exec"), stage(auditv1.StageResponseStarted)), true},
		{"attach ResponseStarted", labEv(res("create", "pods", "attach"), stage(auditv1.StageResponseStarted)), true},
		{"portforward ResponseStarted", labEv(res("create", "pods", "portforward"), stage(auditv1.StageResponseStarted)), true},
		{"401 ResponseStarted (no ResponseComplete follows)", labEv(code(401)), true},
		{"watch ResponseStarted", sample(8), false},
		{"RequestReceived", sample(4), false},
		{"Panic", func(t testing.TB) auditv1.Event {
			ev := lab(t, user("kubernetes-admin"))
			ev.Stage = auditv1.StagePanic
			return ev
		}, true},
	} {
		ev := c.ev(t)
		_, drop := en.Enrich(&ev)
		if (drop == DropNone) != c.ship || (!c.ship && drop != DropStage) {
			t.Errorf("%s: drop %q, want shipped=%v", c.name, drop, c.ship)
		}
	}
	only := newEnricher(t, Config{Stages: []string{"RequestReceived"}})
	ev := sample(4)(t)
	if _, drop := only.Enrich(&ev); drop != DropNone {
		t.Errorf("stages=RequestReceived: %q", drop)
	}
	ev = lab(t, user("kubernetes-admin"))
	if _, drop := only.Enrich(&ev); drop != DropStage {
		t.Errorf("stages=RequestReceived, ResponseComplete: %q", drop)
	}
}

func TestTruncate(t *testing.T) {
	en := newEnricher(t, Config{})
	ev := lab(t, and(user("kubernetes-admin"), res("create", "clusterroles", "")))
	rec, _ := en.Enrich(&ev)
	before, _ := marshalRecord(rec)
	en.Truncate(rec)
	after, err := marshalRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		RequestObject  json.RawMessage   `json:"requestObject"`
		ResponseObject json.RawMessage   `json:"responseObject"`
		Annotations    map[string]string `json:"annotations"`
		Enrichment     record.Enrichment `json:"enrichment"`
	}
	if err := json.Unmarshal(after, &m); err != nil {
		t.Fatal(err)
	}
	if m.RequestObject != nil || m.ResponseObject != nil || m.Annotations[audit.AnnotationTruncated] != "true" || !m.Enrichment.Truncated {
		t.Errorf("truncated: %s", after)
	}
	if len(after) >= len(before) || m.Enrichment.Severity == "" || m.Annotations["authorization.k8s.io/decision"] != "allow" {
		t.Errorf("truncation lost the wrong things: %d -> %d bytes", len(before), len(after))
	}
	// An event without annotations.
	ev = lab(t, code(401))
	rec, _ = en.Enrich(&ev)
	en.Truncate(rec)
	if rec.Event.Annotations[audit.AnnotationTruncated] != "true" {
		t.Error("no annotation on an event without annotations")
	}
}

// TestConcurrentEnrich runs one Enricher from many goroutines (go test
// -race checks that it is read-only after New).
func TestConcurrentEnrich(t *testing.T) {
	en := newEnricher(t, Config{PolicyFile: "testdata/lab-policy.yaml"})
	lines := readLines(t, labLog)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(lines); i += 3 {
				evs, err := audit.Decode(lines[i], nil)
				if err != nil {
					t.Error(err)
					return
				}
				if rec, drop := en.Enrich(&evs[0]); drop == DropNone {
					if _, err := marshalRecord(rec); err != nil {
						t.Error(err)
					}
				}
			}
		}(g)
	}
	wg.Wait()
}
