package redact_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// src hands out fuzz-chosen decisions.
type src struct{ b []byte }

func (s *src) pick(n int) int {
	if len(s.b) == 0 || n <= 1 {
		return 0
	}
	v := int(s.b[0]) % n
	s.b = s.b[1:]
	return v
}

func (s *src) word(list ...string) string { return list[s.pick(len(list))] }

const tailChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.~-"

// plant builds one event with a secret at a fuzz-chosen secret place, in a
// fuzz-chosen wrapping, and returns it with the secret forms that must not
// ship.
func plant(data []byte) (doc []byte, secrets []string, mode string) {
	h := sha256.Sum256(data)
	r := newRnd(binary.LittleEndian.Uint64(h[:8]))
	core := r.str(16)
	s := &src{b: data}
	mode = s.word("mask", "hash", "drop")
	// The fuzzer shapes the tail of the value; the random core keeps it unique.
	tail := ""
	for n := s.pick(12); n > 0; n-- {
		tail += string(tailChars[s.pick(len(tailChars))])
	}
	secret := core + tail
	key := s.word("password", "token", "k", "tls.key", ".dockerconfigjson", "a-b_c.d", "ca.crt", "config")
	envName := s.word("DB_PASSWORD", "MYSQL_ROOT_PASSWD", "APP_SECRET", "GH_TOKEN", "API_KEY", "AWS_ACCESS_KEY", "SSH_PRIVATE_KEY", "X_CREDENTIALS", "db-pwd", "Client_Secret")
	cmKey := s.word("password", "db.password", "api_key", "secret.txt", "auth-token", "private-key", "credentials", "passphrase")

	var e ev
	var obj, kind string
	secrets = []string{secret}
	switch s.pick(16) {
	case 0:
		kind, e.Resource = "Secret", "secrets"
		obj = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{` + js(key) + `:` + js(b64(secret)) + `}}`
	case 1:
		kind, e.Resource = "Secret", "secrets"
		obj = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"stringData":{` + js(key) + `:` + js(secret) + `}}`
	case 2:
		kind, e.Resource, e.Group = "TokenReview", "tokenreviews", "authentication.k8s.io"
		obj = `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":` + js(secret) + `}}`
	case 3:
		kind, e.Resource, e.Sub = "TokenRequest", "serviceaccounts", "token"
		obj = `{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","status":{"token":` + js(secret) + `,"expirationTimestamp":"2026-01-01T00:00:00Z"}}`
	case 4:
		c := `{"name":"c","image":"nginx:1.27","env":[{"name":"A","value":"b"},{"name":` + js(envName) + `,"value":` + js(secret) + `}]}`
		switch s.pick(4) {
		case 0:
			kind, e.Resource = "Pod", "pods"
			obj = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[` + c + `]}}`
		case 1:
			kind, e.Resource, e.Group = "Deployment", "deployments", "apps"
			obj = `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"template":{"spec":{"initContainers":[` + c + `]}}}}`
		case 2:
			kind, e.Resource, e.Group = "CronJob", "cronjobs", "batch"
			obj = `{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"d"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[` + c + `]}}}}}}`
		default:
			kind, e.Resource, e.Group = "StatefulSet", "statefulsets", "apps"
			obj = `{"kind":"StatefulSet","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[` + c + `]}}}}`
		}
	case 5:
		kind, e.Resource = "ConfigMap", "configmaps"
		obj = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"ui":"x=y",` + js(cmKey) + `:` + js(secret) + `}}`
	case 6:
		e.Resource, e.Level = "pods", "Metadata"
		e.URI = "/api/v1/namespaces/prod/pods?" + s.word("token", "access_token", "id_token", "password") + "=" + url.QueryEscape(secret) + "&watch=true"
	case 7:
		e.Resource, e.Sub, e.Level = "pods", s.word("exec", "attach"), "Metadata"
		q := url.QueryEscape(secret)
		e.URI = "/api/v1/namespaces/prod/pods/p/" + e.Sub + "?command=sh&" + s.word("command=--password%3D"+q, "command=PASSWORD%3D"+q, "command=--token&command="+q, "command=-c&command=export+API_TOKEN%3D"+q) + "&stdin=true"
	default:
		// A secret shape inside some string of some object.
		var shaped string
		switch s.pick(8) {
		case 0:
			shaped = "ghp_" + core + r.str(20)
		case 1:
			shaped = "AKIA" + strings.ToUpper(core)
			secrets = []string{shaped}
		case 2:
			shaped = jwt(r) + core
		case 3:
			shaped = "https://user:" + secret + "@db.example.com/x"
		case 4:
			shaped = "[default]\naws_secret_access_key = " + secret + "\n"
		case 5:
			shaped = pemKey(secret)
		case 6:
			shaped = `{"auths":{"r.io":{"auth":` + js(b64("u:"+secret)) + `}}}`
		default:
			shaped = "xoxb-" + core + "-" + r.str(8)
		}
		if len(secrets) == 1 && secrets[0] == secret && !strings.Contains(shaped, secret) {
			secrets = []string{core}
		}
		kind, e.Resource = "ConfigMap", "configmaps"
		obj = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"notes":` + js(shaped) + `}}`
		if s.pick(2) == 0 {
			kind, e.Resource, e.Group = "Widget", "widgets", "example.com"
			obj = `{"kind":"Widget","apiVersion":"example.com/v1","metadata":{"name":"w","annotations":{"x":` + js(shaped) + `}},"spec":{"a":[{"b":` + js(shaped) + `}]}}`
		}
	}
	if obj != "" {
		// Wrap it: as is, in a list, in a watch event, in last-applied, or
		// as a JSON patch / merge patch of the object (kind from the resource).
		switch s.pick(6) {
		case 1:
			item := obj
			if kind == "Secret" || s.pick(2) == 0 {
				item = strings.Replace(obj, `"kind":"`+kind+`",`, "", 1) // list items carry no kind
			}
			obj = `{"kind":"` + kind + `List","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"other"}},` + item + `]}`
			e.Verb = "list"
		case 2:
			obj = `{"type":"` + s.word("ADDED", "MODIFIED", "DELETED") + `","object":` + obj + `}`
			e.Verb = "watch"
		case 3:
			obj = `{"kind":"` + kind + `","apiVersion":"v1","metadata":{"name":"x","annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + js(obj+"\n") + `}}}`
		case 4:
			if kind == "Secret" || kind == "ConfigMap" {
				var m map[string]any
				_ = json.Unmarshal([]byte(obj), &m)
				var ops []map[string]any
				for _, f := range []string{"data", "stringData"} {
					if d, ok := m[f].(map[string]any); ok {
						for k, v := range d {
							ops = append(ops, map[string]any{"op": "add", "path": "/" + f + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), "value": v})
						}
					}
				}
				if len(ops) > 0 {
					b, _ := json.Marshal(ops)
					obj, e.Verb = string(b), "patch"
				}
			}
		case 5:
			if kind == "Secret" || kind == "ConfigMap" || kind == "TokenReview" {
				obj = strings.Replace(obj, `"kind":"`+kind+`",`, "", 1) // merge patch: no kind
				e.Verb = "patch"
			}
		}
		if s.pick(2) == 0 {
			e.Req = obj
		} else {
			e.Resp = obj
		}
	}
	return e.JSON(), secrets, mode
}

// Random events with planted secrets at random secret places: the shipped
// message never holds them, and redacting twice equals redacting once.
func FuzzRedact(f *testing.F) {
	for i := 0; i < 64; i++ {
		f.Add([]byte{byte(i), byte(i * 7), byte(i * 13), byte(i / 3), byte(i * 5), byte(i), 3, 1, 4, 1, 5, 9, 2, 6})
	}
	ens := map[string]*shipper{}
	for _, m := range modes() {
		ens[m["redaction_mode"]] = enricher(f, m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, secrets, mode := plant(data)
		en := ens[mode]
		msgs, recs := ship(t, en, doc)
		for _, s := range secrets {
			if why := leaksFrom(msgs[0], s, 16); why != "" {
				t.Fatalf("%s: %s\nin:  %s\nout: %s", mode, why, doc, msgs[0])
			}
		}
		if len(recs[0].Enrichment.Redactions) == 0 {
			t.Fatalf("nothing listed as redacted: %s", msgs[0])
		}
		once := eventJSON(t, recs[0].Event)
		_, recs2 := ship(t, en, once)
		if twice := eventJSON(t, recs2[0].Event); string(twice) != string(once) {
			t.Fatalf("not idempotent:\n1: %s\n2: %s", once, twice)
		}
	})
}
