package redact_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
)

// strictViolations lists the strings of a redacted body that are neither
// redacted nor on the allowlist. The kind of each object is found here on
// its own (the body's kind, a List's items, a watch event's object), not
// by the code under test.
func strictViolations(body []byte, hint string) []string {
	var v any
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return []string{"body does not parse: " + err.Error()}
	}
	var bad []string
	var walk func(v any, kind string, path []string)
	walk = func(v any, kind string, path []string) {
		switch x := v.(type) {
		case string:
			if x == "[REDACTED]" || strings.HasPrefix(x, "sha256:") && len(x) == 71 {
				return
			}
			if !redact.StrictAllowed(kind, path) {
				bad = append(bad, fmt.Sprintf("%s %s: %.40q", kind, strings.Join(path, "."), x))
			}
		case []any:
			for _, e := range x {
				walk(e, kind, append(path[:len(path):len(path)], "[]"))
			}
		case map[string]any:
			if len(path) == 0 {
				if k, ok := x["kind"].(string); ok {
					kind = k
				}
				elem := strings.TrimSuffix(kind, "List")
				for k, e := range x {
					switch {
					case k == "object":
						if _, ok := e.(map[string]any); ok {
							walk(e, hint, nil)
							continue
						}
					case k == "items":
						if items, ok := e.([]any); ok {
							for _, it := range items {
								if m, ok := it.(map[string]any); ok {
									ik := elem
									if s, ok := m["kind"].(string); ok {
										ik = s
									}
									walk(m, ik, nil)
								} else {
									walk(it, elem, []string{"items", "[]"})
								}
							}
							continue
						}
					}
					walk(e, elem, []string{k})
				}
				return
			}
			for k, e := range x {
				if k == "kubectl.kubernetes.io/last-applied-configuration" && len(path) == 2 {
					if s, ok := e.(string); ok && s != "[REDACTED]" && !strings.HasPrefix(s, "sha256:") {
						bad = append(bad, "last-applied-configuration kept")
					}
					continue
				}
				walk(e, kind, append(path[:len(path):len(path)], k))
			}
		}
	}
	if a, ok := v.([]any); ok { // a JSON patch: op, path and from stay
		for _, op := range a {
			if m, ok := op.(map[string]any); ok {
				for k, e := range m {
					if k == "op" || k == "path" || k == "from" {
						continue
					}
					walk(e, "", []string{k})
				}
			} else {
				walk(op, "", []string{"[]"})
			}
		}
		return bad
	}
	walk(v, hint, nil)
	return bad
}

func hintOf(e *auditv1.Event) string {
	if e.ObjectRef == nil || e.ObjectRef.APIGroup != "" {
		return ""
	}
	switch e.ObjectRef.Resource {
	case "secrets":
		return "Secret"
	case "configmaps":
		return "ConfigMap"
	}
	return ""
}

func checkStrict(t *testing.T, name string, r *redact.Redactor, evs []auditv1.Event) int {
	n := 0
	for i := range evs {
		e := clone(evs[i])
		r.Event(&e)
		for _, b := range []*struct {
			name string
			raw  []byte
		}{{"requestObject", raw(e.RequestObject)}, {"responseObject", raw(e.ResponseObject)}} {
			if len(b.raw) == 0 {
				continue
			}
			n++
			if bad := strictViolations(b.raw, hintOf(&e)); len(bad) > 0 {
				t.Errorf("%s event %d %s: %d strings outside the allowlist survive strict mode, e.g. %s", name, i, b.name, len(bad), bad[0])
			}
		}
	}
	return n
}

// Property: over every corpus (the lab log, the public samples, the
// outsiders' corpus, the table, the bench mix, planted and edge bodies) and
// random bodies, in every mode, no string outside the allowlist survives
// strict mode.
func TestStrictProperty(t *testing.T) {
	corpora := diffCorpus(t)
	var out [][]byte
	lines, _ := outsiders(t)
	for _, l := range lines {
		out = append(out, []byte(l))
	}
	corpora["outsiders"] = decodeDocs(t, out)
	corpora["random"] = randomBodies(2000)
	for _, mode := range []redact.Mode{redact.Mask, redact.Hash, redact.Drop} {
		r, err := redact.New(redact.Config{Mode: mode, Strategy: redact.Strict, HMACKey: hmacKey})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for name, evs := range corpora {
			total += checkStrict(t, name, r, evs)
		}
		if total < 1000 {
			t.Fatalf("only %d bodies checked", total)
		}
	}
}

// randomBodies: objects of known and unknown kinds, lists, watch events,
// patches, with keys from the allowlist and others, and random strings.
func randomBodies(n int) []auditv1.Event {
	r := newRnd(99)
	kinds := []string{"Pod", "Deployment", "ConfigMap", "Secret", "Widget", "RoleBinding", "Lease", "", "PodList", "WidgetList"}
	keys := []string{"name", "value", "image", "labels", "spec", "metadata", "data", "token", "command", "args", "rules", "verbs",
		"message", "annotations", "items", "object", "env", "resources", "securityContext", "x", "kind", "namespace", "uid", "[]"}
	var gen func(depth int) any
	gen = func(depth int) any {
		switch c := r.r.IntN(6); {
		case depth > 4 || c < 2:
			return r.str(1 + r.r.IntN(30))
		case c == 2:
			return r.r.IntN(1000)
		case c == 3:
			a := make([]any, r.r.IntN(4))
			for i := range a {
				a[i] = gen(depth + 1)
			}
			return a
		default:
			m := map[string]any{}
			for i := r.r.IntN(5); i >= 0; i-- {
				k := keys[r.r.IntN(len(keys))]
				if k == "[]" {
					k = r.str(6)
				}
				m[k] = gen(depth + 1)
			}
			return m
		}
	}
	var evs []auditv1.Event
	for i := 0; i < n; i++ {
		body := map[string]any{}
		if k := kinds[r.r.IntN(len(kinds))]; k != "" {
			body["kind"] = k
		}
		for j := r.r.IntN(6); j >= 0; j-- {
			body[keys[r.r.IntN(len(keys))]] = gen(1)
		}
		var b []byte
		switch i % 7 {
		case 5:
			b, _ = json.Marshal([]any{map[string]any{"op": "add", "path": "/spec/" + r.str(5), "value": gen(2)}})
		case 6:
			b, _ = json.Marshal(map[string]any{"type": "ADDED", "object": body})
		default:
			b, _ = json.Marshal(body)
		}
		res := []string{"pods", "configmaps", "secrets", "widgets"}[i%4]
		doc := ev{Resource: res, Req: string(b), Resp: string(b)}.JSON()
		evs = append(evs, mustDecode(doc)...)
	}
	return evs
}

func raw(u *runtime.Unknown) []byte {
	if u == nil {
		return nil
	}
	return u.Raw
}

func mustDecode(doc []byte) []auditv1.Event {
	evs, err := audit.Decode(doc, nil)
	if err != nil {
		panic(err)
	}
	return evs
}

// Strict mode keeps what an analyst needs of known kinds, and the rules
// still see the event as logged.
func TestStrictKeeps(t *testing.T) {
	lines, _ := outsiders(t)
	en := enricher(t, map[string]string{"redaction_strategy": "strict"})
	det := enricher(t, map[string]string{"redaction_strategy": "detect"})
	var all []string
	for i, l := range lines {
		out, recs := ship(t, en, []byte(l))
		all = append(all, string(out[0]))
		_, drecs := ship(t, det, []byte(l))
		// The rules judged the event as logged, whatever the strategy.
		if a, b := fmt.Sprint(recs[0].Enrichment.Rules, recs[0].Enrichment.Severity), fmt.Sprint(drecs[0].Enrichment.Rules, drecs[0].Enrichment.Severity); a != b {
			t.Errorf("line %d: rules %s in strict mode, %s in detect mode", i+1, a, b)
		}
	}
	msg := strings.Join(all, "\n")
	for _, keep := range []string{`"image":"registry.k8s.io/kube-apiserver:v1.31.4"`, `"name":"apiserver-proxy"`, `"replicas":1`,
		`"accessTokenLifespan":300`, `"name":"acme-realm"`, `"ingressClassName":"nginx"`, `"owner":"helm"`} {
		if !strings.Contains(msg, keep) {
			t.Errorf("strict mode lost %s", keep)
		}
	}
	for _, gone := range []string{`--tls-private-key-file=/etc/kubernetes/pki/apiserver.key`, `"realm":"acme"`, `"plugin":"request-transformer"`} {
		if strings.Contains(msg, gone) {
			t.Errorf("strict mode kept %s", gone)
		}
	}
}

func TestStrategyProperty(t *testing.T) {
	m := conf.MapGetter{"brokers": "127.0.0.1:9092", "redaction_strategy": "allowlist"}
	_, err := conf.Load(m)
	if err == nil || !strings.Contains(err.Error(), "redaction_strategy") {
		t.Fatalf("want an error naming redaction_strategy, got %v", err)
	}
	if _, err := redact.New(redact.Config{Strategy: 7}); err == nil || !strings.Contains(conf.Explain(err).Error(), "redaction_strategy") {
		t.Fatalf("want an error naming redaction_strategy, got %v", err)
	}
}
