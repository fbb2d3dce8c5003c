// Package audittest holds what the enrich packages' tests share: the real
// lab log and samples found from the module root, event selectors over them,
// and builders of realistic events. It is imported by tests only.
package audittest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
)

// Filter selects events.
type Filter = func(*auditv1.Event) bool

// Repo returns the path of a file of the repository, given relative to the
// module root (testdata/lab-policy.audit.log).
func Repo(t testing.TB, rel string) string {
	t.Helper()
	root, err := benchmix.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}

// LabLog is the real kube-apiserver 1.32 log, part of the repository.
func LabLog(t testing.TB) string { return Repo(t, "testdata/lab-policy.audit.log") }

// ReadLines returns the non-empty lines of a file, blanks trimmed.
func ReadLines(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, append([]byte(nil), l...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// DecodeFile decodes every line of a JSON Lines file of audit events.
func DecodeFile(t testing.TB, name string) []auditv1.Event {
	t.Helper()
	var evs []auditv1.Event
	for i, l := range ReadLines(t, name) {
		var err error
		if evs, err = audit.Decode(l, evs); err != nil {
			t.Fatalf("%s:%d: %v", name, i+1, err)
		}
	}
	return evs
}

// Line returns event n (1-based line) of a file, decoded.
func Line(t testing.TB, name string, n int) auditv1.Event {
	t.Helper()
	ls := ReadLines(t, name)
	if n < 1 || n > len(ls) {
		t.Fatalf("%s has no line %d", name, n)
	}
	evs, err := audit.Decode(ls[n-1], nil)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%s:%d: %v", name, n, err)
	}
	return evs[0]
}

// Find returns a deep copy of the first of evs that f selects.
func Find(t testing.TB, evs []auditv1.Event, f Filter) auditv1.Event {
	t.Helper()
	for i := range evs {
		if f(&evs[i]) {
			return *evs[i].DeepCopy()
		}
	}
	t.Fatal("no such event")
	return auditv1.Event{}
}

// PublicCorpus returns the directory of the shared public samples
// (../shared next to the repository), or skips the test.
func PublicCorpus(t testing.TB) string {
	t.Helper()
	dir := Repo(t, "../shared/testdata/audit/public")
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	t.Skip("../shared/testdata/audit/public is absent")
	return ""
}

// Event selectors over the lab log.
func User(u string) Filter {
	return func(ev *auditv1.Event) bool { return ev.User.Username == u }
}

func And(fs ...Filter) Filter {
	return func(ev *auditv1.Event) bool {
		for _, f := range fs {
			if !f(ev) {
				return false
			}
		}
		return true
	}
}

func Res(verb, resource, sub string) Filter {
	return func(ev *auditv1.Event) bool {
		return ev.Verb == verb && ev.ObjectRef != nil && ev.ObjectRef.Resource == resource && ev.ObjectRef.Subresource == sub
	}
}

func Code(c int32) Filter {
	return func(ev *auditv1.Event) bool { return ev.ResponseStatus != nil && ev.ResponseStatus.Code == c }
}

func Stage(s auditv1.Stage) Filter {
	return func(ev *auditv1.Event) bool { return ev.Stage == s }
}

func URI(prefix string) Filter {
	return func(ev *auditv1.Event) bool { return strings.HasPrefix(ev.RequestURI, prefix) }
}

func Impersonating(u string) Filter {
	return func(ev *auditv1.Event) bool { return ev.ImpersonatedUser != nil && ev.ImpersonatedUser.Username == u }
}

// WithBody edits the request object of an event.
func WithBody(t testing.TB, ev auditv1.Event, f func(m map[string]any)) auditv1.Event {
	t.Helper()
	m := map[string]any{}
	if ev.RequestObject != nil {
		if err := json.Unmarshal(ev.RequestObject.Raw, &m); err != nil {
			t.Fatal(err)
		}
	}
	f(m)
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ev.RequestObject = &runtime.Unknown{Raw: raw, ContentType: "application/json"}
	return ev
}

func Obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	return m
}

// Mk builds a realistic event (the shape of the lab log's kubectl events)
// for what no real sample shows.
func Mk(t testing.TB, verb, group, resource, sub, ns, name, username string, code int32, body string) auditv1.Event {
	t.Helper()
	r := map[string]any{"resource": resource, "apiVersion": "v1"}
	if group != "" {
		r["apiGroup"] = group
	}
	for k, v := range map[string]string{"subresource": sub, "namespace": ns, "name": name} {
		if v != "" {
			r[k] = v
		}
	}
	doc := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
		"auditID": "00000000-1111-2222-3333-444444444444", "stage": "ResponseComplete",
		"requestURI": "/apis/" + group + "/v1/" + resource, "verb": verb,
		"user":      map[string]any{"username": username, "groups": []string{"system:authenticated"}},
		"sourceIPs": []string{"10.0.0.7"}, "userAgent": "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07",
		"objectRef":                r,
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": code},
		"requestReceivedTimestamp": "2026-11-22T02:21:19.289650Z", "stageTimestamp": "2026-11-22T02:21:19.301552Z",
		"annotations": map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""},
	}
	if body != "" {
		doc["requestObject"] = json.RawMessage(body)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := audit.Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return evs[0]
}

// Falco returns a builder of line n of Falco's k8s-audit trace files
// (enrich/testdata/falco_trace_files.jsonl).
func Falco(n int) func(testing.TB) auditv1.Event {
	return func(t testing.TB) auditv1.Event {
		return Line(t, Repo(t, "enrich/testdata/falco_trace_files.jsonl"), n)
	}
}

// Sample returns a builder of line n of the public samples kept in the
// repository (enrich/testdata/public_samples.jsonl).
func Sample(n int) func(testing.TB) auditv1.Event {
	return func(t testing.TB) auditv1.Event {
		return Line(t, Repo(t, "enrich/testdata/public_samples.jsonl"), n)
	}
}
