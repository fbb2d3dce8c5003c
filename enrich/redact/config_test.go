package redact_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
)

func TestConfiguredPathsPatternsAllowList(t *testing.T) {
	r := newRnd(3)
	pin, extra, cardPin, pub, jwtv, lic := r.str(12), r.str(16), r.str(10), r.str(18), jwt(r), r.str(20)
	obj := `{"kind":"Widget","apiVersion":"example.com/v1","metadata":{"name":"w"},"spec":{"config":{"a":{"pin":` + js(pin) + `,"label":"keep-me-1"},"b":{"pin":null}},` +
		`"extra":{"deep":` + js(extra) + `},"atm_pin":` + js(cardPin) + `,"public_token":` + js(pub) + `,"tokenish":{"public_token":` + js(jwtv) + `},"licensePassphrase":` + js(lic) + `,` +
		`"template":{"spec":{"containers":[{"name":"c","env":[{"name":"CARD_PIN","value":` + js(cardPin+"x") + `},{"name":"PUBLIC_TOKEN","value":` + js(pub+"y") + `}]}]}}}}`
	doc := ev{Resource: "widgets", Group: "example.com", Req: obj, URI: "/apis/example.com/v1/widgets?atm_pin=" + cardPin + "z"}.JSON()
	en := enricher(t, map[string]string{
		"redact_paths":        "spec.config.*.pin, requestObject.spec.extra",
		"redact_key_patterns": "*_pin,*passphrase*",
		"redact_allow_keys":   "public_token",
	})
	msgs, recs := ship(t, en, doc)
	for _, s := range []string{pin, extra, cardPin, jwtv, lic, cardPin + "x", cardPin + "z"} {
		if why := leaks(msgs[0], s); why != "" {
			t.Errorf("leak: %s\n%s", why, short(msgs[0]))
		}
	}
	for _, k := range []string{"keep-me-1", `"public_token":"` + pub + `"`, `"value":"` + pub + `y"`, `"b":{"pin":null}`} {
		if !strings.Contains(string(msgs[0]), k) {
			t.Errorf("lost %s\n%s", k, short(msgs[0]))
		}
	}
	for _, p := range []string{"requestObject.spec.config.a.pin", "requestObject.spec.extra", "requestObject.spec.atm_pin", "requestURI.query.atm_pin", "requestObject.spec.tokenish.public_token"} {
		if !contains(recs[0].Enrichment.Redactions, p) {
			t.Errorf("redactions %q lack %s", recs[0].Enrichment.Redactions, p)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	key := "a-secret-hmac-key-value"
	for _, c := range []struct {
		cfg  redact.Config
		prop string
	}{
		{redact.Config{Paths: []string{"spec..x"}}, "redact.Paths"},
		{redact.Config{Paths: []string{"*"}}, "redact.Paths"},
		{redact.Config{KeyPatterns: []string{"*"}}, "redact.KeyPatterns"},
		{redact.Config{AllowKeys: []string{" "}}, "redact.AllowKeys"},
		{redact.Config{Mode: redact.Hash, HMACKey: "short"}, "redact.HMACKey"},
		{redact.Config{Mode: redact.Hash, HMACKey: key[:10], Paths: []string{"a..b"}}, "redact.Paths"},
	} {
		_, err := redact.New(c.cfg)
		var fe *fielderr.Error
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), c.prop) {
			t.Errorf("%+v: error %v, want one about %s", c.cfg.Paths, err, c.prop)
			continue
		}
		if strings.Contains(err.Error(), key[:10]) || strings.Contains(err.Error(), "short") {
			t.Errorf("error shows the key: %v", err)
		}
	}
	if _, err := redact.New(redact.Config{Mode: redact.Hash, HMACKey: key, Paths: []string{"data.x"}, KeyPatterns: []string{"*_pin"}, AllowKeys: []string{"ok_token"}}); err != nil {
		t.Fatal(err)
	}
	// Through conf.Load, as the plugin does: problems name the property.
	_, err := conf.Load(conf.MapGetter{"brokers": "b:9092", "topic": "t", "redaction_mode": "hash"})
	if err == nil || !strings.Contains(err.Error(), "redaction_hmac_key") {
		t.Fatalf("hash mode without a key: %v", err)
	}
}

// Fail closed: a body that cannot be parsed, is nested too deep or is too
// large goes whole; the event is marked; redacting again changes nothing.
func TestFailClosed(t *testing.T) {
	secret := newRnd(5).str(24)
	deep := strings.Repeat("[", 300) + js(secret) + strings.Repeat("]", 300)
	big := `{"kind":"ConfigMap","data":{"a":` + js(secret+strings.Repeat("x", redact.MaxBodyBytes)) + `}}`
	for _, c := range []struct {
		name, body, reason string
	}{
		{"unparsable", `{"kind":"Secret","data":{"password":"` + secret + `"`, "invalid JSON"},
		{"trailing data", `{"kind":"ConfigMap"} {"password":"` + secret + `"}`, "invalid JSON"},
		{"too deep", deep, "nested deeper"},
		{"too large", big, "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, mode := range []redact.Mode{redact.Mask, redact.Hash, redact.Drop} {
				r, err := redact.New(redact.Config{Mode: mode, HMACKey: hmacKey})
				if err != nil {
					t.Fatal(err)
				}
				e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, Level: auditv1.LevelRequestResponse,
					ObjectRef:      &auditv1.ObjectReference{Resource: "configmaps"},
					RequestObject:  &runtime.Unknown{Raw: []byte(c.body)},
					ResponseObject: &runtime.Unknown{Raw: []byte(`{"kind":"ConfigMap","metadata":{"name":"ok"}}`)}}
				res := r.Event(e)
				if !res.BodyRemoved || !contains(res.Redactions, "requestObject") {
					t.Fatalf("result %+v", res)
				}
				var m map[string]string
				if err := json.Unmarshal(e.RequestObject.Raw, &m); err != nil || !strings.HasPrefix(m[redact.MarkerKey], "body removed: ") || !strings.Contains(m[redact.MarkerKey], c.reason) {
					t.Fatalf("body %s (%v)", e.RequestObject.Raw[:min(200, len(e.RequestObject.Raw))], err)
				}
				if got := e.Annotations[redact.Annotation]; !strings.HasPrefix(got, "requestObject removed: ") {
					t.Fatalf("annotation %q", got)
				}
				if string(e.ResponseObject.Raw) != `{"kind":"ConfigMap","metadata":{"name":"ok"}}` {
					t.Fatalf("other body touched: %s", e.ResponseObject.Raw)
				}
				out, _ := json.Marshal(e)
				if leaks(out, secret) != "" {
					t.Fatal("secret shipped")
				}
				again := r.Event(e)
				out2, _ := json.Marshal(e)
				if string(out) != string(out2) || again.BodyRemoved || len(again.Redactions) != 0 {
					t.Fatalf("second pass changed the event: %+v", again)
				}
			}
		})
	}
}

// Drop mode removes fields (object members, query parameters,
// annotations); array elements and parts of strings are masked.
func TestDropMode(t *testing.T) {
	r, _ := redact.New(redact.Config{Mode: redact.Drop})
	s := newRnd(9)
	a, b, c, d := s.str(20), s.str(20), jwt(s), s.str(12)
	e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete,
		RequestURI:    "/api/v1/namespaces/a/pods/p/exec?command=x&command=--token&command=" + d + "&token=" + a + "&container=c",
		Annotations:   map[string]string{"example.com/t": "Bearer " + c, "authorization.k8s.io/decision": "allow"},
		ObjectRef:     &auditv1.ObjectReference{Resource: "secrets"},
		RequestObject: &runtime.Unknown{Raw: []byte(`{"kind":"Secret","metadata":{"name":"n"},"data":{"k":"` + b64(b) + `","ca.crt":"` + b64(cert) + `"}}`)}}
	res := r.Event(e)
	out, _ := json.Marshal(e)
	for _, v := range []string{a, b, c, d} {
		if leaks(out, v) != "" {
			t.Fatalf("leak in %s", out)
		}
	}
	if string(e.RequestObject.Raw) != `{"kind":"Secret","metadata":{"name":"n"},"data":{"ca.crt":"`+b64(cert)+`"}}` {
		t.Fatalf("body %s", e.RequestObject.Raw)
	}
	if e.RequestURI != "/api/v1/namespaces/a/pods/p/exec?command=x&command=--token&command=%5BREDACTED%5D&container=c" {
		t.Fatalf("uri %s", e.RequestURI)
	}
	if _, ok := e.Annotations["example.com/t"]; ok || e.Annotations["authorization.k8s.io/decision"] != "allow" {
		t.Fatalf("annotations %v", e.Annotations)
	}
	if len(res.Redactions) != 4 {
		t.Fatalf("redactions %q", res.Redactions)
	}
}

// An event without bodies, query or suspicious annotations is not touched.
func TestNoBodyUntouched(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, RequestURI: "/api/v1/namespaces/a/pods?limit=500&resourceVersion=0",
		Annotations: map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": `RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"`}}
	before, _ := json.Marshal(e)
	if res := r.Event(e); len(res.Redactions) != 0 || res.BodyRemoved {
		t.Fatalf("%+v", res)
	}
	after, _ := json.Marshal(e)
	if string(before) != string(after) {
		t.Fatalf("changed: %s", after)
	}
}

func TestManyRedactionsCapped(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	var items []string
	for i := 0; i < 150; i++ {
		items = append(items, `{"metadata":{"name":"s"},"data":{"a":"YWJjZGVmZ2hpams="}}`)
	}
	e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, ObjectRef: &auditv1.ObjectReference{Resource: "secrets"},
		ResponseObject: &runtime.Unknown{Raw: []byte(`{"kind":"SecretList","items":[` + strings.Join(items, ",") + `]}`)}}
	res := r.Event(e)
	if len(res.Redactions) != redact.MaxPaths+1 || res.Redactions[redact.MaxPaths] != "+50 more" {
		t.Fatalf("%d redactions, last %q", len(res.Redactions), res.Redactions[len(res.Redactions)-1])
	}
	if strings.Contains(string(e.ResponseObject.Raw), "YWJjZGVmZ2hpams=") {
		t.Fatal("a value past the listing cap was not redacted")
	}
}

// A credential key of any length (a request body's keys are the client's
// to choose) has its value redacted — keys over 128 bytes were taken for no
// credential key and their values shipped — and is named in its redaction
// path cut at 256 bytes, at a character, marked …: the enrichment does not
// repeat it whole.
func TestLongKeyPathsBounded(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	key := "db_password_" + strings.Repeat("é", 50_000)
	body, _ := json.Marshal(map[string]any{"kind": "ConfigMap", "data": map[string]string{key: "Hunter2Hunter2x"}})
	e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, ObjectRef: &auditv1.ObjectReference{Resource: "configmaps"},
		RequestObject: &runtime.Unknown{Raw: body}}
	res := r.Event(e)
	if strings.Contains(string(e.RequestObject.Raw), "Hunter2Hunter2x") || len(res.Redactions) != 1 {
		t.Fatalf("not redacted: %d paths", len(res.Redactions))
	}
	p := res.Redactions[0]
	if !strings.HasPrefix(p, "requestObject.data[") || len(p) > 400 || !strings.Contains(p, "…") || !utf8.ValidString(p) {
		t.Errorf("path of %d bytes: %.120s…", len(p), p)
	}
}

// A name/value record whose name is long and names a credential has its
// value redacted, as an object's key of any length does (names over 128
// bytes were taken for none and their values shipped).
func TestLongRecordName(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	for _, name := range []string{"db_password_" + strings.Repeat("x", 300), "the " + strings.Repeat("very ", 40) + "password"} {
		body, _ := json.Marshal(map[string]any{"kind": "Foo", "spec": map[string]any{"params": []any{map[string]any{"name": name, "value": "Hunter2Hunter2x"}}}})
		e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, ObjectRef: &auditv1.ObjectReference{Resource: "foos"},
			RequestObject: &runtime.Unknown{Raw: body}}
		r.Event(e)
		if strings.Contains(string(e.RequestObject.Raw), "Hunter2Hunter2x") {
			t.Errorf("name of %d bytes: value shipped", len(name))
		}
	}
}

// An assignment in text whose key is long (--password-<300 bytes>=x, a
// properties line, an XML element) is read with its whole key: only its
// last 129 bytes (an XML tag: 64) were, and a credential word before them
// shipped the value.
func TestLongAssignmentKey(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	long := strings.Repeat("x", 300)
	for _, text := range []string{"--password-" + long + "=Hunter2Hunter2x", "db.password." + long + ": Hunter2Hunter2x",
		"<db_password_" + long + ">Hunter2Hunter2x</db_password_" + long + ">"} {
		body, _ := json.Marshal(map[string]any{"kind": "ConfigMap", "data": map[string]string{"v": "run " + text + "\n"}})
		e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, ObjectRef: &auditv1.ObjectReference{Resource: "configmaps"},
			RequestObject: &runtime.Unknown{Raw: body}}
		r.Event(e)
		if strings.Contains(string(e.RequestObject.Raw), "Hunter2Hunter2x") {
			t.Errorf("%.30s…: value shipped", text)
		}
	}
}

// A flag naming a credential, whose value is the next argument, is one
// whatever its length (over 64 bytes it was taken for none).
func TestLongCredentialFlag(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	body, _ := json.Marshal(map[string]any{"kind": "Pod", "spec": map[string]any{"containers": []any{map[string]any{"name": "c",
		"args": []string{"--db-password-" + strings.Repeat("x", 100), "Hunter2Hunter2x"}}}}})
	e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, ObjectRef: &auditv1.ObjectReference{Resource: "pods"},
		RequestObject: &runtime.Unknown{Raw: body}}
	r.Event(e)
	if strings.Contains(string(e.RequestObject.Raw), "Hunter2Hunter2x") {
		t.Error("the value after a long credential flag shipped")
	}
}

// A JSON patch path deeper than the walk limit does not crash the walker:
// the operation's value goes whole.
func TestJSONPatchDeepPath(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	secret := newRnd(13).str(20)
	path := strings.Repeat("/a", 2_000_000)
	e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, ObjectRef: &auditv1.ObjectReference{Resource: "configmaps"},
		RequestObject: &runtime.Unknown{Raw: []byte(`[{"op":"add","path":"` + path + `","value":"` + secret + `"},{"op":"add","path":"/data/x","value":"plain"}]`)}}
	res := r.Event(e)
	if strings.Contains(string(e.RequestObject.Raw), secret) || !contains(res.Redactions, "requestObject[0].value") || !strings.Contains(string(e.RequestObject.Raw), `"plain"`) {
		t.Fatalf("%q", res.Redactions)
	}
}

// One Redactor serves concurrent flushes (run with -race).
func TestConcurrentUse(t *testing.T) {
	r, _ := redact.New(redact.Config{Mode: redact.Hash, HMACKey: hmacKey})
	docs := []string{}
	for _, c := range cases() { // bodies of every kind: the key cache and the fast path are shared
		docs = append(docs, string(c.doc))
	}
	done := make(chan []string)
	for g := 0; g < 4; g++ {
		go func() {
			var outs []string
			for _, d := range docs {
				var e auditv1.Event
				if err := json.Unmarshal([]byte(d), &e); err != nil {
					panic(err)
				}
				r.Event(&e)
				b, _ := json.Marshal(&e)
				outs = append(outs, string(b))
			}
			done <- outs
		}()
	}
	first := <-done
	for g := 1; g < 4; g++ {
		if got := <-done; strings.Join(got, "\n") != strings.Join(first, "\n") {
			t.Fatal("concurrent results differ")
		}
	}
}

// Hostile strings: every scan stays linear (a quadratic one would make this
// test run for minutes, not milliseconds), and the results stay redacted.
func TestHostileStrings(t *testing.T) {
	r, _ := redact.New(redact.Config{})
	const n = 1 << 20
	for _, unit := range []string{
		"-----BEGIN CERTIFICATE-----", "-----BEGIN X-----", "-----BEGIN ", "AKIA", "xglpat-", "glpat-", "LS0tLS1CRUdJT", "eyJhbGciOi.",
		"eyJ", "a=", "password: ", "password=", "https://a:", "Bearer ", "ghp_", "xoxb-", "://", "\\u00e9", "hooks.slack.com/services/",
		// Each of these once took time quadratic in the string's length
		// (a megabyte: a minute and more), since each occurrence re-read
		// the whole word or string: a directive word made of "pass", a SAS
		// "sig=" key asking the whole string for sv=, a Pwd= asking it for
		// ';'. BenchmarkRedactHostile measures them.
		"password", "pass", "sig=", "Pwd= ", "sk_live_", "<password>", "value: ",
		// Also quadratic once: each chpasswd on a line read the whole line
		// (a megabyte: 35 s); the commands in text (cmdtext.go).
		"chpasswd ", "| password-stdin ", "mysql 'a b' ", "--password 'x y' ", "\"mysql ", "--token ", "u:p@tcp(",
		// Every match of a rule now goes (no cap of 64): still linear.
		"shpat_0123456789abcdef0123456789abcdef ",
	} {
		s := strings.Repeat(unit, n/len(unit))
		body, _ := json.Marshal(map[string]any{"kind": "ConfigMap", "data": map[string]string{"v": s}})
		e := &auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete, ObjectRef: &auditv1.ObjectReference{Resource: "configmaps"},
			RequestURI:    "/api/v1/namespaces/a/configmaps?x=" + strings.Repeat(unit, 4096/len(unit)),
			RequestObject: &runtime.Unknown{Raw: body}}
		r.Event(e)
		if !json.Valid(e.RequestObject.Raw) {
			t.Fatalf("%q: body no longer JSON", unit)
		}
	}
}
