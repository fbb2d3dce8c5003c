package rules

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
)

func bodyOf(t *testing.T, raw string) (*auditv1.Event, *audit.Body) {
	t.Helper()
	ev := &auditv1.Event{RequestObject: &runtime.Unknown{Raw: []byte(raw)}}
	b := &audit.Body{}
	audit.ParseBody(ev, b)
	if !b.OK {
		t.Fatalf("body not parsed: %s", raw)
	}
	return ev, b
}

func TestSensitiveHostPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "//": true, "/etc": true, "/etc/kubernetes/manifests": true, "/proc/1/root": true,
		"/var/run/docker.sock": true, "/run/containerd/containerd.sock": true, "/var/lib/kubelet/pki": true,
		"/root/.ssh": true, "/etc/../etc/shadow": true,
		"/var/log": false, "/etcd-data": false, "/run/xtables.lock": false, "/data": false, "/var/lib/kubelet-extra": false,
	} {
		raw, _ := json.Marshal(map[string]any{"kind": "Pod", "spec": map[string]any{"volumes": []any{map[string]any{"name": "v", "hostPath": map[string]any{"path": p}}}}})
		ev, b := bodyOf(t, string(raw))
		if got := sensitiveHostPath(ev, b); got != want {
			t.Errorf("%q: %v", p, got)
		}
		if got := hostRootMount(ev, b); got != (p == "/" || p == "//") {
			t.Errorf("root %q: %v", p, got)
		}
	}
	ev, b := bodyOf(t, `{"kind":"Pod","spec":{"volumes":[{"name":"v","hostPath":{"path":""}}]}}`)
	if sensitiveHostPath(ev, b) {
		t.Error("empty hostPath counted as /")
	}
}

func TestBodyPredicatesOnTemplatesAndOddBodies(t *testing.T) {
	// A DaemonSet template with an ephemeral-style privileged init container.
	ev, b := bodyOf(t, `{"kind":"DaemonSet","spec":{"template":{"spec":{"hostNetwork":true,"initContainers":[{"name":"i","image":"x","securityContext":{"privileged":true}}],"containers":[{"name":"c","image":"registry.example.com/app:1.0"}]}}}}`)
	if !privilegedContainer(ev, b) || !predicates[PredHostNetwork].fn(ev, b) {
		t.Error("template predicates")
	}
	if imgs := b.Images(); len(imgs) != 2 || imageRepository(imgs[0]) != "registry.example.com/app" {
		t.Errorf("images %v", imgs)
	}
	// A custom resource whose spec.type and spec.containers have other types:
	// parsed as far as possible, no predicate fires.
	ev, b = bodyOf(t, `{"kind":"Widget","spec":{"type":{"a":1},"containers":"many","hostPID":"yes"}}`)
	for name, p := range predicates {
		if p.body && p.fn(ev, b) {
			t.Errorf("%s fired on an unrelated custom resource", name)
		}
	}
	// Image references.
	for in, want := range map[string]string{
		"nginx": "nginx", "nginx:1.27": "nginx", "localhost:5000/app": "localhost:5000/app",
		"localhost:5000/app:v1": "localhost:5000/app", "app@sha256:abc": "app", "quay.io/calico/node:v3.27.0@sha256:abc": "quay.io/calico/node",
	} {
		if got := imageRepository(in); got != want {
			t.Errorf("imageRepository(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkMayNameCredential holds mayNameCredential to its promise: false only
// where neither regexp matches.
func checkMayNameCredential(t testing.TB, s string) {
	t.Helper()
	if !mayNameCredential(s) && (credentialName.MatchString(s) || credentialLine.MatchString(s)) {
		t.Fatalf("mayNameCredential(%q) is false, the regexps match", s)
	}
}

// credentialTextCases are keys and values around the credential words.
var credentialTextCases = []string{
	"", "a", "password", "PASSWD", "pAsSwOrD=1", "passphrase", "db_secret", "SECRET_KEY", "token", "api-key", "apikey",
	"access_key", "private-key", "Credentials", "aws_access_key_id", "aws-s3-access-key-id", "\u212aey", "api\u212aey: x",
	"\u017fecret", "se\u017fret = 1", "pa\u017f\u017fword=1", "to\u212aen: 1", "export FOO_TOKEN=abc", "  my.password : x",
	"key", "ke", "pas", "secre", "toke", "credentia", "monkey", "passage", "tokens", "x\npassword=1", "caf\u00e9",
	"log-level=debug\nretries=3", "\xff\xfe", "\xe2\x84", "P", "S", "T", "K", "C",
}

func TestMayNameCredential(t *testing.T) {
	for _, s := range credentialTextCases {
		checkMayNameCredential(t, s)
	}
	// Every key and string value of the real bodies.
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			checkMayNameCredential(t, v)
			n++
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				checkMayNameCredential(t, k)
				n++
				walk(e)
			}
		}
	}
	for _, raw := range realBodies(t) {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			walk(v)
		}
	}
	t.Logf("%d strings", n)
}

func FuzzMayNameCredential(f *testing.F) {
	for _, s := range credentialTextCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkMayNameCredential(t, s)
	})
}

// realBodies are the request and response bodies of the lab log and of the
// public samples kept in enrich/testdata.
func realBodies(t testing.TB) [][]byte {
	var out [][]byte
	for _, f := range []string{labLog, "../testdata/falco_trace_files.jsonl", "../testdata/public_samples.jsonl"} {
		for _, ev := range decodeFile(t, f) {
			for _, u := range []*runtime.Unknown{ev.RequestObject, ev.ResponseObject} {
				if u != nil && len(u.Raw) > 0 {
					out = append(out, u.Raw)
				}
			}
		}
	}
	return out
}
