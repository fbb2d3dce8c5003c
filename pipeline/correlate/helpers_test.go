package correlate

import (
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// ev is a synthetic audit event.
type ev struct {
	user, ip, verb, group, resource, sub, ns, name string
	code                                           int
	at                                             time.Duration // after t0
	stage                                          string
	body                                           string // requestObject JSON
}

var t0 = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

var seq atomic.Int64

func (e ev) json() []byte {
	n := seq.Add(1)
	stage := e.stage
	if stage == "" {
		stage = "ResponseComplete"
	}
	code := e.code
	if code == 0 {
		code = 200
	}
	ts := t0.Add(e.at).Format("2006-01-02T15:04:05.000000Z")
	m := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Request",
		"auditID": fmt.Sprintf("00000000-0000-0000-0000-%012d", n), "stage": stage,
		"requestURI": "/api/v1/x", "verb": e.verb,
		"user":                     map[string]any{"username": e.user, "groups": []string{"system:authenticated"}},
		"sourceIPs":                []string{e.ip},
		"userAgent":                "kubectl/v1.33.0 (linux/amd64) kubernetes/abc",
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": code},
		"requestReceivedTimestamp": ts, "stageTimestamp": ts,
	}
	if e.resource != "" {
		m["objectRef"] = map[string]any{"resource": e.resource, "subresource": e.sub, "namespace": e.ns, "name": e.name, "apiGroup": e.group, "apiVersion": "v1"}
	}
	if e.body != "" {
		m["requestObject"] = json.RawMessage(e.body)
	}
	b, _ := json.Marshal(m)
	return b
}

// run feeds events to one engine with the default rules and returns the
// alerts.
func run(t *testing.T, evs []ev) []*Alert {
	t.Helper()
	rs, err := LoadRules("", "extend")
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(nil, rs)
	eng := NewEngine(rs, Limits{}, 0)
	var out []*Alert
	var e Event
	for i, x := range evs {
		if err := dec.Decode(x.json(), &e); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		e.Offset = int64(i)
		out = eng.Process(&e, out)
	}
	return out
}

func byRule(alerts []*Alert, rule string) []*Alert {
	var out []*Alert
	for _, a := range alerts {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

func writeFile(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
