package redact_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
)

// The fast path (fast.go) against the walk it skips: for every event, a
// Redactor with it and one without must give the same event, byte for byte,
// and the same Result (the Redactions list included).

// diffConfigs: every mode, and user key patterns with an allow-list (which
// change key verdicts: the cache and the fast path must follow them).
func diffConfigs() map[string]redact.Config {
	return map[string]redact.Config{
		"mask": {Mode: redact.Mask},
		"hash": {Mode: redact.Hash, HMACKey: hmacKey},
		"drop": {Mode: redact.Drop},
		"patterns": {Mode: redact.Mask, KeyPatterns: []string{"*_pin", "*passphrase*", "ima*", "label?"},
			AllowKeys: []string{"public_token", "password", "data"}},
	}
}

type pair struct{ fast, slow *redact.Redactor }

func diffPairs(t testing.TB) map[string]pair {
	out := map[string]pair{}
	for name, c := range diffConfigs() {
		f, err := redact.New(c)
		if err != nil {
			t.Fatal(err)
		}
		s, err := redact.New(c)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = pair{f, redact.SlowOnly(s)}
	}
	return out
}

// same redacts copies of evs with both Redactors and reports the first
// difference.
func same(p pair, evs []auditv1.Event) string {
	for i := range evs {
		a, b := clone(evs[i]), clone(evs[i])
		ra, rb := p.fast.Event(&a), p.slow.Event(&b)
		if !reflect.DeepEqual(ra, rb) {
			return fmt.Sprintf("event %d: results differ: fast %+v, walk %+v", i, ra, rb)
		}
		for _, u := range [][2]*runtime.Unknown{{a.RequestObject, b.RequestObject}, {a.ResponseObject, b.ResponseObject}} {
			if (u[0] == nil) != (u[1] == nil) || u[0] != nil && (!bytes.Equal(u[0].Raw, u[1].Raw) || u[0].ContentType != u[1].ContentType) {
				return fmt.Sprintf("event %d: bodies differ", i)
			}
		}
		ja, _ := json.Marshal(&a)
		jb, _ := json.Marshal(&b)
		if !bytes.Equal(ja, jb) {
			return fmt.Sprintf("event %d: events differ:\nfast: %s\nwalk: %s", i, short(ja), short(jb))
		}
	}
	return ""
}

// clone copies what the redactor writes to.
func clone(e auditv1.Event) auditv1.Event {
	if u := e.RequestObject; u != nil {
		e.RequestObject = &runtime.Unknown{Raw: u.Raw, ContentType: u.ContentType}
	}
	if u := e.ResponseObject; u != nil {
		e.ResponseObject = &runtime.Unknown{Raw: u.Raw, ContentType: u.ContentType}
	}
	if s := e.ResponseStatus; s != nil {
		c := *s
		if c.Details != nil {
			d := *c.Details
			d.Causes = append(d.Causes[:0:0], d.Causes...)
			c.Details = &d
		}
		e.ResponseStatus = &c
	}
	e.User.Extra = cloneExtra(e.User.Extra)
	if u := e.ImpersonatedUser; u != nil {
		c := *u
		c.Extra = cloneExtra(c.Extra)
		e.ImpersonatedUser = &c
	}
	if e.Annotations != nil {
		m := make(map[string]string, len(e.Annotations))
		for k, v := range e.Annotations {
			m[k] = v
		}
		e.Annotations = m
	}
	return e
}

func cloneExtra(x map[string]authnv1.ExtraValue) map[string]authnv1.ExtraValue {
	if x == nil {
		return nil
	}
	m := make(map[string]authnv1.ExtraValue, len(x))
	for k, v := range x {
		m[k] = append(authnv1.ExtraValue(nil), v...)
	}
	return m
}

// asHints re-files every body of evs under each resource with a kind hint
// (and none), so that each body meets the structural rules of every kind.
func asHints(evs []auditv1.Event) []auditv1.Event {
	refs := []*auditv1.ObjectReference{
		nil,
		{Resource: "secrets"}, {Resource: "configmaps"},
		{Resource: "tokenreviews", APIGroup: "authentication.k8s.io"},
		{Resource: "serviceaccounts", Subresource: "token"},
	}
	var out []auditv1.Event
	for _, e := range evs {
		for _, u := range []*runtime.Unknown{e.RequestObject, e.ResponseObject} {
			if u == nil {
				continue
			}
			for _, ref := range refs {
				out = append(out, auditv1.Event{ObjectRef: ref, RequestObject: &runtime.Unknown{Raw: u.Raw}})
			}
		}
	}
	return out
}

func decodeDocs(t testing.TB, docs [][]byte) []auditv1.Event {
	var evs []auditv1.Event
	for _, d := range docs {
		var err error
		if evs, err = audit.Decode(d, evs); err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
	return evs
}

// diffCorpus: the real lab log, the benchmark mix, the redaction table, the
// planted secrets of the fuzz target and, when present, the public samples.
func diffCorpus(t testing.TB) map[string][]auditv1.Event {
	diffOnce.Do(func() { diffEvents = loadDiffCorpus(t) })
	return diffEvents
}

var (
	diffOnce   sync.Once
	diffEvents map[string][]auditv1.Event
)

func loadDiffCorpus(t testing.TB) map[string][]auditv1.Event {
	out := map[string][]auditv1.Event{}
	var lab [][]byte
	for _, l := range readLines(t, filepath.Join(repoRoot(t), "testdata", "lab-policy.audit.log")) {
		lab = append(lab, []byte(l))
	}
	out["lab-log"] = decodeDocs(t, lab)
	c, err := benchmix.NewCorpus(lab)
	if err != nil {
		t.Fatal(err)
	}
	out["benchmix"] = decodeDocs(t, c.Generate(benchmix.Default(), 1000))
	var table [][]byte
	for _, c := range cases() {
		table = append(table, c.doc)
	}
	out["table"] = decodeDocs(t, table)
	var edges []auditv1.Event
	for _, b := range edgeBodies {
		edges = append(edges, auditv1.Event{RequestObject: &runtime.Unknown{Raw: []byte(b)}})
	}
	out["edges"] = edges
	var planted [][]byte
	for i := 0; i < 3000; i++ {
		planted = append(planted, doc(plant([]byte{byte(i), byte(i >> 8), byte(i * 7), byte(i * 13), byte(i / 3), byte(i * 5), byte(i >> 3), 3, 1, 4})))
	}
	out["planted"] = decodeDocs(t, planted)
	var outsiders [][]byte
	for _, l := range readLines(t, filepath.Join("testdata", "outsiders.audit.log")) {
		outsiders = append(outsiders, []byte(l))
	}
	out["outsiders"] = decodeDocs(t, outsiders)
	if dir := publicCorpus(t); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
		var pub [][]byte
		for _, f := range files {
			for _, l := range readLines(t, f) {
				pub = append(pub, []byte(l))
			}
		}
		out["public"] = decodeDocs(t, pub)
	}
	for name, evs := range out {
		out[name+"/as-hints"] = asHints(evs)
	}
	return out
}

// edgeBodies: one body per rule of the walk and per corner of the fast
// path (numbers and booleans under credential keys, env entries without a
// name or with a non-string one, last-applied values that are no object,
// labels holding objects, Status echoes, JSON patches...).
var edgeBodies = []string{
	`{"kind":"Pod","metadata":{"name":"p","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"env\":[{\"name\":\"DB_PASSWORD\",\"value\":\"x\"}]}]}}\n"}},"spec":{}}`,
	`{"spec":{"containers":[{"command":["mysql","-pS3cr3tS3cr3t"],"args":["--token","abc"],"env":[{"value":"v"},{"name":1,"value":2},{"name":"TOKEN","value":true}]}]}}`,
	`{"kind":"SecretList","items":[{"data":{"a":"b"}}]}`, `{"kind":"ConfigMap","binaryData":{"x":"eyJhdXRocyI6e319"}}`,
	`{"kind":"Status","message":"Invalid value: \"x\"","details":{}}`, `{"object":{"kind":"Secret","data":{"k":"dg=="}}}`,
	`{"kind":"TokenReview","spec":{"token":"abc"}}`, `{"kind":"TokenRequest","status":{"token":"abc"}}`,
	`{"a":{"password":12},"b":"https://u:p4ssw0rd@h/x","c":["sh","-c","redis-cli -a pw ping"]}`, `[{"op":"add","path":"/data/x","value":"y"}]`,
	`{"metadata":{"labels":{"x":"Bearer abcdefghijklmnop"},"annotations":{"authentication.k8s.io/legacy-token":"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}}`,
	`{"x":"{\"auths\":{}}","y":[1,"--password=zz"],"secret":{"secretName":"n"},"token":null,"apiKey":""}`, `"eyJhbGciOi.eyJzdWIi.sig"`, `{"a":1e5}{`,
	`{"password":12,"token":true,"secret":null,"apiKey":"","x":{"passwd":-1.5e3}}`,
	`{"atm_pin":null,"b":{"x_pin":"[REDACTED]"}}`, `{"c":{"y_pin":{"a":1}}}`, `{"d":{"z_pin":[1]}}`, `{"e":{"q_pin":false}}`, `{"f":{"w_pin":""}}`,
	`{"g":{"v_pin":3}}`, `{"password":true}`, `{"token":7}`, `{"secret":"[REDACTED]"}`, `{"image":"x"}`, `{"labels":{"a":"b"}}`,
	`{"env":[{"value":"x"}],"spec":{"env":[{"name":7,"value":"y"},{"name":"A_TOKEN","value":"[REDACTED]"},{"name":"B_TOKEN","value":3}]}}`,
	`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"[1]"}}}`,
	`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"not json"}}}`,
	`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":""}}}`,
	`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Secret\",\"data\":{\"a\":\"b\"}}"}}}`,
	`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":7,"imagePassword":"x"}}}`,
	`{"metadata":"password=abcdefgh","labels":{"a":{"token":"x"}},"annotations":{"token":"y"}}`,
	`{"metadata":{"labels":{"token":"abc","x":{"password":"p"}},"metadata":{"annotations":{"secret":"s"}}}}`,
	`{"kind":"Status","message":"Invalid value: \"s3cr3tvalue\"","details":{"causes":[{"message":"Invalid value: \"abc\""}]}}`,
	`{"kind":"SecretList","items":[{"stringData":{"a":"b"}}]}`, `{"kind":"ConfigMapList","items":[{"binaryData":{"k":"cGFzc3dvcmQ9aHVudGVyMg=="}}]}`,
	`{"type":"ADDED","object":{"data":{"a":"YQ=="}}}`, `{"kind":"TokenReviewList","items":[{"spec":{"token":"t"}}]}`,
	`{"spec":{"containers":[{"command":["mysql","-uroot","-phunter22"],"args":["redis-cli","-a","pw12345678"]},{"command":["curl","-u","me:pass1234"]},{"args":["--password","x","--token=abc"]},{"args":[1,"--password","y"]}]}}`,
	`{"spec":{"containers":[{"command":["sh","-c","export API_TOKEN=abcdefgh && curl -H 'Authorization: Bearer abcdefghijklmnop' https://x"]}]}}`,
	`{"a":"{\"auths\":{\"r\":{\"auth\":\"dTpw\"}}}","b":"{\"password\":\"x\",\"auth\":\"y\"}","c":["{\"auths\":{}}"]}`,
	`{"a":"\u0041KIAABCDEFGHIJKLMNOP","b":"line\nBearer abcdefghijkl","c":"p\u0061ssword: hunter2hunter2"}`,
	`[{"op":"add","path":"/spec/containers/0/env/0","value":{"name":"DB_PASSWORD","value":"x"}}]`, `[1,2]`, `"just a string with token=abcdefgh"`, `12`, `null`,
	`{"a":[["--token","t"]],"b":[{"c":"--password"},"v"],"secretName":"n","publicKey":"k"}`,
	// Name/value records, numbers under credential keys, messages, Secret
	// names under keys that refer to one (issue 12).
	`{"parameters":[{"name":"db-password","value":"x"},{"name":"replicas","value":"3"}]}`,
	`{"credentials":[{"type":"password","value":"y","temporary":false}],"b":{"value":"z","key":"API_TOKEN"}}`,
	`{"accessTokenLifespan":300,"password":1234,"tokenMaxAge":"3600","pin":7}`,
	`{"httpHeaders":[{"name":"Authorization","values":["Bearer abcdefghij",3]}],"h":{"Name":"X-Api-Key","Value":"k"}}`,
	`{"x":{"name":"TOKEN","value":"$(REF)"},"y":{"name":"a","name2":"b","id":"c","key":"d","value":"e"}}`,
	`{"status":{"containerStatuses":[{"state":{"terminated":{"message":"auth token Zt4Rw6Qb2Lm89c1fAbCd rejected"}}}]}}`,
	`{"message":"Invalid value: \"hunter2\"","spec":{"message":"plain words only here"}}`,
	`{"metadata":{"annotations":{"x.io/auth-secret":"billing-basic-auth","x.io/token":"Zt4Rw6Qb2Lm89c1fAbCd"}},"secret":"my-secret"}`,
	`{"data":{"release":"H4sIAAAAAAAA/6tWKkktLlGyUlAqzs9NVdJRyk9JBbLz8lNSdZSS8kuBksVwjgAAAP//"}}`,
}

func doc(d []byte, _ []string, _ string) []byte { return d }

func TestFastPathSameAsWalk(t *testing.T) {
	pairs := diffPairs(t)
	for name, evs := range diffCorpus(t) {
		for cname, p := range pairs {
			if d := same(p, evs); d != "" {
				t.Errorf("%s, %s: %s", name, cname, d)
			}
		}
	}
}

// The fast path is taken where it should be: most bodies of a real log hold
// nothing to redact. (Were it never taken, the test above would prove
// nothing.)
func TestFastPathTaken(t *testing.T) {
	r, err := redact.New(redact.Config{Mode: redact.Mask})
	if err != nil {
		t.Fatal(err)
	}
	for name, min := range map[string]float64{"lab-log": 0.9, "benchmix": 0.9} {
		bodies, fast := 0, 0
		for _, e := range diffCorpus(t)[name] {
			for _, u := range []*runtime.Unknown{e.RequestObject, e.ResponseObject} {
				if u == nil || len(u.Raw) == 0 {
					continue
				}
				bodies++
				if redact.Clean(r, u.Raw, e.ObjectRef) {
					fast++
				}
			}
		}
		if got := float64(fast) / float64(bodies); got < min {
			t.Errorf("%s: fast path for %d of %d bodies, want at least %.0f%%", name, fast, bodies, min*100)
		}
	}
	// And not where a rule fires.
	for _, c := range cases() {
		for _, e := range decodeDocs(t, [][]byte{c.doc}) {
			for _, u := range []*runtime.Unknown{e.RequestObject, e.ResponseObject} {
				if u != nil && len(u.Raw) > 0 && redact.Clean(r, u.Raw, e.ObjectRef) {
					for _, s := range c.secrets {
						if strings.Contains(string(u.Raw), s) {
							t.Errorf("%s: a body holding a secret skipped the walk", c.name)
						}
					}
				}
			}
		}
	}
}

// Fuzzed bodies under every kind hint, and fuzz-planted secrets: the fast
// path and the walk agree.
func FuzzFastPath(f *testing.F) {
	for _, s := range edgeBodies {
		for k := 0; k < 6; k++ {
			f.Add(append([]byte{byte(k)}, s...))
		}
	}
	for i := 0; i < 32; i++ {
		f.Add([]byte{byte(i), 0xff, byte(i * 7), byte(i * 13), byte(i / 3), byte(i * 5), 3, 1, 4, 1, 5, 9})
	}
	pairs := diffPairs(f)
	names := []string{"mask", "hash", "drop", "patterns"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		p := pairs[names[int(data[0]>>4)%len(names)]]
		var evs []auditv1.Event
		if data[1] == 0xff { // planted secrets in whole events
			d, _, _ := plant(data[2:])
			evs = asHints(decodeDocs(t, [][]byte{d}))
		} else { // a body as is, under each kind hint
			evs = asHints([]auditv1.Event{{RequestObject: &runtime.Unknown{Raw: data[1:]}}})
		}
		if d := same(p, evs); d != "" {
			t.Fatal(d)
		}
	})
}
