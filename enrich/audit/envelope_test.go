package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// envelopes reads testdata/envelopes.jsonl: {"name": ..., "envelope": {...}}.
func envelopes(t testing.TB) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/envelopes.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Name     string          `json:"name"`
			Envelope json.RawMessage `json:"envelope"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out[l.Name] = l.Envelope
	}
	return out
}

func TestEnvelopes(t *testing.T) {
	envs := envelopes(t)
	b64, err := os.ReadFile("testdata/eks-subscription.b64")
	if err != nil {
		t.Fatal(err)
	}
	envs["eks-subscription-base64"] = b64
	for _, c := range []struct {
		name, kind string
		ids        []string
		bad        int // items that are not audit events (BadItemsError)
		notAudit   bool
	}{
		{name: "aks-record", kind: EnvelopeAKS, ids: []string{"0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a01"}},
		{name: "aks-eventhubs", kind: EnvelopeAKS, ids: []string{"0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a01", "0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a02"}, bad: 1},
		{name: "gke-secret-get", kind: EnvelopeGKE, ids: []string{"5d8e3f1a-0b2c-4d6e-8f9a-1b2c3d4e5f60"}},
		{name: "gke-crb-forbidden", kind: EnvelopeGKE, ids: []string{"5d8e3f1a-0b2c-4d6e-8f9a-1b2c3d4e5f61"}},
		{name: "gke-pubsub-push", kind: EnvelopeGKE, ids: []string{"5d8e3f1a-0b2c-4d6e-8f9a-1b2c3d4e5f60"}},
		{name: "eks-cloudwatch", kind: EnvelopeEKS, ids: []string{"0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a03"}},
		{name: "eks-subscription", kind: EnvelopeEKS, ids: []string{"0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a01", "0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a03"}},
		{name: "eks-subscription-base64", kind: EnvelopeEKS, ids: []string{"0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a01", "0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a03"}},
		{name: "eks-firehose", kind: EnvelopeEKS, ids: []string{"0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a01", "0b7a1c52-5d2e-4b0e-9d3c-2f1a7e9c6a03"}},
		{name: "eks-control", kind: EnvelopeEKS, notAudit: true},
	} {
		doc, ok := envs[c.name]
		if !ok {
			t.Fatalf("%s: not in testdata", c.name)
		}
		evs, raws, kind, err := DecodeEnvelope(doc, nil, nil)
		if kind != c.kind {
			t.Errorf("%s: kind %q, want %q", c.name, kind, c.kind)
		}
		var bad *BadItemsError
		switch {
		case c.notAudit:
			if !errors.Is(err, ErrNotAudit) || len(evs) != 0 {
				t.Errorf("%s: %d events, err %v; want none and ErrNotAudit", c.name, len(evs), err)
			}
			continue
		case c.bad > 0:
			if !errors.As(err, &bad) || bad.Bad != c.bad || bad.Total != c.bad+len(c.ids) {
				t.Errorf("%s: err %v, want %d bad of %d", c.name, err, c.bad, c.bad+len(c.ids))
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		}
		if len(evs) != len(c.ids) || len(raws) != len(evs) {
			t.Fatalf("%s: %d events, %d raws, want %d", c.name, len(evs), len(raws), len(c.ids))
		}
		for i, ev := range evs {
			if string(ev.AuditID) != c.ids[i] || ev.Stage == "" || ev.APIVersion != "audit.k8s.io/v1" {
				t.Errorf("%s[%d]: auditID %q stage %q apiVersion %q", c.name, i, ev.AuditID, ev.Stage, ev.APIVersion)
			}
			if raws[i].Bytes != nil {
				t.Errorf("%s[%d]: raw bytes for an event from an envelope", c.name, i)
			}
		}
		// Decode and DecodeRaw unwrap the same way.
		evs2, err2 := Decode(doc, nil)
		if len(evs2) != len(evs) || (err2 == nil) != (err == nil) {
			t.Errorf("%s: Decode gives %d events, %v", c.name, len(evs2), err2)
		}
	}
}

func TestEnvelopeGKEMapping(t *testing.T) {
	envs := envelopes(t)
	evs, _, _, err := DecodeEnvelope(envs["gke-secret-get"], nil, nil)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	ev := evs[0]
	r := ev.ObjectRef
	if ev.Verb != "get" || r == nil || r.Resource != "secrets" || r.Namespace != "prod" || r.Name != "db-password" ||
		r.APIGroup != "" || r.APIVersion != "v1" || ev.RequestURI != "/api/v1/namespaces/prod/secrets/db-password" {
		t.Errorf("verb %q ref %+v uri %q", ev.Verb, r, ev.RequestURI)
	}
	if ev.User.Username != "bob@example.com" || len(ev.SourceIPs) != 1 || ev.SourceIPs[0] != "203.0.113.17" ||
		!strings.HasPrefix(ev.UserAgent, "kubectl/v1.30.5") {
		t.Errorf("user %+v ips %v ua %q", ev.User, ev.SourceIPs, ev.UserAgent)
	}
	if ev.ResponseStatus == nil || ev.ResponseStatus.Code != 200 || ev.Annotations[AnnotationDecision] != "allow" ||
		ev.RequestReceivedTimestamp.UTC().Format("2006-01-02T15:04:05.000000Z") != "2026-11-20T10:01:02.345678Z" ||
		ev.Level != auditv1.LevelMetadata || ev.Stage != auditv1.StageResponseComplete {
		t.Errorf("status %+v annotations %v time %v level %s", ev.ResponseStatus, ev.Annotations, ev.RequestReceivedTimestamp, ev.Level)
	}
	evs, _, _, err = DecodeEnvelope(envs["gke-crb-forbidden"], nil, nil)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	ev = evs[0]
	if r := ev.ObjectRef; ev.Verb != "create" || r == nil || r.APIGroup != "rbac.authorization.k8s.io" || r.Resource != "clusterrolebindings" ||
		r.Name != "evil-admin" || r.Namespace != "" || ev.ResponseStatus.Code != 403 || ev.Level != auditv1.LevelRequest ||
		ev.RequestObject == nil || !json.Valid(ev.RequestObject.Raw) {
		t.Errorf("verb %q ref %+v status %+v level %s", ev.Verb, ev.ObjectRef, ev.ResponseStatus, ev.Level)
	}
}

func TestGKEResourceNames(t *testing.T) {
	for name, want := range map[string]string{
		"readyz":                             "/readyz",
		"core/v1/namespaces":                 "/api/v1/namespaces g= r=namespaces n= s= ns=",
		"core/v1/namespaces/prod":            "/api/v1/namespaces/prod g= r=namespaces n=prod s= ns=",
		"core/v1/namespaces/prod/pods":       "/api/v1/namespaces/prod/pods g= r=pods n= s= ns=prod",
		"core/v1/namespaces/p/pods/x/exec":   "/api/v1/namespaces/p/pods/x/exec g= r=pods n=x s=exec ns=p",
		"apps/v1/namespaces/p/deployments/d": "/apis/apps/v1/namespaces/p/deployments/d g=apps r=deployments n=d s= ns=p",
		"storage.k8s.io/v1beta1/csidrivers":  "/apis/storage.k8s.io/v1beta1/csidrivers g=storage.k8s.io r=csidrivers n= s= ns=",
	} {
		ref, got := gkeObject(name)
		if ref != nil {
			got += " g=" + ref.APIGroup + " r=" + ref.Resource + " n=" + ref.Name + " s=" + ref.Subresource + " ns=" + ref.Namespace
		}
		if got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestEnvelopeRejects: records that are no envelope stay ErrNotAudit, as
// before (counted as not_audit_event).
func TestEnvelopeRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"fluent record":      `{"log":"hello","stream":"stdout"}`,
		"plain message":      `{"message":"GET /healthz 200"}`,
		"other protoPayload": `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"storage.objects.get"},"insertId":"x"}`,
		"base64 text":        `aGVsbG8gd29ybGQ=`,
		"records of text":    `{"records":["a","b"]}`,
		"deep":               strings.Repeat(`{"message":`, 20) + `{}` + strings.Repeat(`}`, 20),
	} {
		evs, _, _, err := DecodeEnvelope([]byte(doc), nil, nil)
		if !errors.Is(err, ErrNotAudit) || len(evs) != 0 {
			t.Errorf("%s: %d events, %v", name, len(evs), err)
		}
	}
}

// TestPublicEnvelopes decodes the envelopes of the public corpus (AKS and
// GKE records of Elastic's integration) when ../shared is present: every
// line gives events now.
func TestPublicEnvelopes(t *testing.T) {
	dir := publicCorpus(t)
	kinds := map[string]int{}
	for _, f := range []string{"elastic-integrations_kubernetes_audit_logs_test-audit.mixed-envelopes.log", "elastic-integrations_kubernetes_audit_logs_test-kube-audit.aks-envelope.log"} {
		for i, l := range readLines(t, filepath.Join(dir, f)) {
			evs, _, kind, err := DecodeEnvelope(l, nil, nil)
			if err != nil || len(evs) == 0 {
				t.Errorf("%s:%d: %d events, %v", f, i+1, len(evs), err)
			}
			kinds[kind] += len(evs)
		}
	}
	if kinds[EnvelopeAKS] < 2 || kinds[EnvelopeGKE] < 1 {
		t.Errorf("envelope kinds %v", kinds)
	}
	t.Logf("events by envelope kind: %v", kinds)
}

func FuzzEnvelope(f *testing.F) {
	for _, doc := range envelopes(f) {
		f.Add(doc)
	}
	if b, err := os.ReadFile("testdata/eks-subscription.b64"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"records":[{"data":"H4sIAAAAAAAA/w=="}]}`))
	f.Add([]byte(`{"protoPayload":{"@type":"google.cloud.audit.AuditLog","methodName":"io.k8s.x.v1.y.get","resourceName":"x/v1/namespaces/a/b/c/d/e"},"insertId":"i","timestamp":"bad"}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		evs, raws, kind, err := DecodeEnvelope(doc, nil, nil)
		if len(raws) != len(evs) {
			t.Fatalf("%d raws for %d events", len(raws), len(evs))
		}
		if err != nil && !errors.Is(err, ErrNotAudit) {
			t.Fatalf("error %v does not wrap ErrNotAudit", err)
		}
		for i := range evs {
			if evs[i].AuditID == "" || evs[i].Stage == "" {
				t.Fatalf("event without auditID or stage")
			}
			if kind != EnvelopeNone && raws[i].Bytes != nil {
				t.Fatalf("raw bytes for an event from an envelope")
			}
			var v View
			NewView(&evs[i], &v)
			_ = v.Body()
		}
	})
}
