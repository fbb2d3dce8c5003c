package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

const hmacKey = "test-hmac-key-0123456789"

var formats = []string{"native", "ecs", "ocsf"}

// shipper is the real Enricher and the configured message format.
type shipper struct {
	*enrich.Enricher
	format format.Format
	detail format.Detail
}

// enricher builds the real Enricher from properties, as the plugin does.
func enricher(t testing.TB, props map[string]string) *shipper {
	t.Helper()
	m := conf.MapGetter{"brokers": "127.0.0.1:9092", "topic": "audit", "stages": "RequestReceived,ResponseStarted,ResponseComplete,Panic"}
	for k, v := range props {
		m[k] = v
	}
	cfg, err := conf.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	en, err := enrich.New(cfg.Enrich, cfg.Redact)
	if err != nil {
		t.Fatal(err)
	}
	return &shipper{en, cfg.Format, cfg.Detail}
}

// ship decodes a document, enriches and encodes every event as the
// pipeline does (an untouched event's own bytes spliced): the bytes that
// would reach Kafka.
func ship(t testing.TB, en *shipper, doc []byte) ([][]byte, []*record.Record) {
	t.Helper()
	evs, raws, err := audit.DecodeRaw(doc, nil, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	var out [][]byte
	var recs []*record.Record
	for i := range evs {
		rec := new(record.Record)
		if drop := en.EnrichInto(rec, &evs[i], raws[i]); drop != enrich.DropNone {
			t.Fatalf("dropped: %s", drop)
		}
		msg, err := format.Append(nil, en.format, en.detail, rec)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		out = append(out, msg)
		recs = append(recs, rec)
	}
	return out, recs
}

// leaks reports how secret (or its base64, or any 8-byte substring of it)
// shows in msg, or "".
func leaks(msg []byte, secret string) string { return leaksFrom(msg, secret, len(secret)) }

// leaksFrom is leaks checking only the 8-byte windows that start in the
// first starts bytes (the random part of a fuzz value: a fuzzer-made tail
// like "0.000000" also occurs in timestamps).
func leaksFrom(msg []byte, secret string, starts int) string {
	forms := []string{secret}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(secret)))
	}
	for _, f := range forms {
		if bytes.Contains(msg, []byte(f)) {
			return fmt.Sprintf("value or base64 form %.4s… present", f)
		}
		// also as a JSON-escaped string
		q, _ := json.Marshal(f)
		if bytes.Contains(msg, q[1:len(q)-1]) {
			return fmt.Sprintf("JSON-escaped value %.4s… present", f)
		}
	}
	q, _ := json.Marshal(secret)
	esc := string(q[1 : len(q)-1])
	for _, s := range []string{secret, esc} {
		for i := 0; i+8 <= len(s) && i < starts; i++ {
			if bytes.Contains(msg, []byte(s[i:i+8])) {
				return fmt.Sprintf("substring at %d of the value present", i)
			}
		}
	}
	return ""
}

// rnd makes secret-looking values that occur nowhere else.
type rnd struct{ r *rand.Rand }

func newRnd(seed uint64) *rnd { return &rnd{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

func (r *rnd) str(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.r.IntN(len(alnum))]
	}
	return string(b)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// js quotes a string as JSON.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// ev builds an audit event JSON document.
type ev struct {
	Level, Verb, Resource, Sub, Group, URI string
	Req, Resp                              string // raw JSON or ""
	Annotations                            map[string]string
	StatusMessage                          string
	Set                                    map[string]any // top-level members set as is
}

func (e ev) JSON() []byte {
	if e.Level == "" {
		e.Level = "RequestResponse"
	}
	if e.Verb == "" {
		e.Verb = "create"
	}
	if e.URI == "" {
		e.URI = "/api/v1/namespaces/prod/" + e.Resource
	}
	m := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": e.Level, "auditID": "6f1c1b9e-0000-4000-8000-000000000001",
		"stage": "ResponseComplete", "requestURI": e.URI, "verb": e.Verb,
		"user":      map[string]any{"username": "kubernetes-admin", "groups": []string{"system:masters"}},
		"sourceIPs": []string{"10.0.0.1"}, "userAgent": "kubectl/v1.32.4",
		"objectRef":                map[string]any{"resource": e.Resource, "subresource": e.Sub, "apiGroup": e.Group, "namespace": "prod", "name": "obj", "apiVersion": "v1"},
		"responseStatus":           map[string]any{"code": 201, "metadata": map[string]any{}},
		"requestReceivedTimestamp": "2026-11-22T01:00:00.000000Z", "stageTimestamp": "2026-11-22T01:00:00.010000Z",
	}
	if e.StatusMessage != "" {
		m["responseStatus"] = map[string]any{"code": 422, "status": "Failure", "message": e.StatusMessage, "metadata": map[string]any{}}
	}
	if e.Req != "" {
		m["requestObject"] = json.RawMessage(e.Req)
	}
	if e.Resp != "" {
		m["responseObject"] = json.RawMessage(e.Resp)
	}
	if e.Annotations != nil {
		m["annotations"] = e.Annotations
	}
	for k, v := range e.Set {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func eventJSON(t testing.TB, e *auditv1.Event) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func modes() []map[string]string {
	return []map[string]string{
		{"redaction_mode": "mask"},
		{"redaction_mode": "hash", "redaction_hmac_key": hmacKey},
		{"redaction_mode": "drop"},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func short(b []byte) string {
	s := string(b)
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
