package pipeline_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

// Planted values: each is a secret the redactor must take out of the
// member it is in (patchDocs), and none may reach a patched message.
const (
	plantURI     = "zQ8vN3kLp2Rw7Xy4Tb6Hm"
	plantAgent   = "ghp_4fRt6YhUj8IkOl0PzXcVbNm1QaSwDe3RfT5g"
	plantAnnot   = "Hu9Kd2Lw6Qz8Xp4Nm7Vb3"
	plantExtra   = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImlhdCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlZm9yZXN0"
	plantImp     = "Rk7Tz3Wq9Ym2Lx5Vn8Pb4"
	plantStatus  = "Jg5Hs8Fd2Kq7Wz3Xm9Ct6"
	plantRequest = "aHVudGVyMmh1bnRlcjJodW50ZXIy"
	plantResp    = "c2VjcmV0LXJlc3BvbnNlLXZhbHVl"
)

var plants = []string{plantURI, plantAgent, plantAnnot, plantExtra, plantImp, plantStatus, plantRequest, plantResp}

// patchMember is one top-level member of a made-up event: its key and value
// (compact JSON).
type patchMember struct{ k, v string }

// patchBase is an event with a secret in every member the redactor reads,
// in the apiserver's member order.
func patchBase() []patchMember {
	return []patchMember{
		{"kind", `"Event"`},
		{"apiVersion", `"audit.k8s.io/v1"`},
		{"level", `"RequestResponse"`},
		{"auditID", `"6f1c2d3e-0000-4000-8000-000000000001"`},
		{"stage", `"ResponseComplete"`},
		{"requestURI", `"/api/v1/namespaces/prod/secrets?access_token=` + plantURI + `&limit=5"`},
		{"verb", `"create"`},
		{"user", `{"username":"system:serviceaccount:ci:deployer","groups":["system:serviceaccounts","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=abc"],"proxy-token":["` + plantExtra + `"]}}`},
		{"impersonatedUser", `{"username":"admin","extra":{"access-token":["` + plantImp + `Zk"]}}`},
		{"sourceIPs", `["10.0.0.7"]`},
		{"userAgent", `"curl/8.5.0 token ` + plantAgent + `"`},
		{"objectRef", `{"resource":"secrets","namespace":"prod","name":"db","apiVersion":"v1"}`},
		{"responseStatus", `{"metadata":{},"status":"Failure","message":"Secret \"db\" is invalid: data[password]: Invalid value: \"` + plantStatus + `\": must be shorter","reason":"Invalid","code":422}`},
		{"requestObject", `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"prod"},"data":{"password":"` + plantRequest + `"},"type":"Opaque"}`},
		{"responseObject", `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"prod"},"data":{"password":"` + plantResp + `"}}`},
		{"requestReceivedTimestamp", `"2026-11-30T09:14:01.123456Z"`},
		{"stageTimestamp", `"2026-11-30T09:14:01.145678Z"`},
		{"annotations", `{"authorization.k8s.io/decision":"allow","example.com/config":"password=` + plantAnnot + `"}`},
	}
}

// patchSpacing writes an object's members with odd spacing.
type patchSpacing struct {
	name                         string
	open, colon, comma, closeObj string
}

var spacings = []patchSpacing{
	{"compact", "{", ":", ",", "}"},
	{"spaced", "{ ", " : ", " , ", " }"},
	{"lines", "{\n  ", ": ", ",\n  ", "\n}"},
	{"tabs", "{\t", "\t:\t", "\t,\r\n\t", "\t}"},
}

func (s patchSpacing) doc(ms []patchMember) []byte {
	var b strings.Builder
	b.WriteString(s.open)
	for i, m := range ms {
		if i > 0 {
			b.WriteString(s.comma)
		}
		fmt.Fprintf(&b, "%q%s%s", m.k, s.colon, m.v)
	}
	b.WriteString(s.closeObj)
	return []byte(b.String())
}

// patchDocs: events with secrets in every member the redactor changes, each
// secret member also alone, first and last, in several spacings; events
// whose only annotation goes (drop mode) and whose bodies go whole (a body
// nested too deep: the redactor's annotation added where there was none).
func patchDocs() [][]byte {
	base := patchBase()
	var sets [][]patchMember
	sets = append(sets, base)
	rev := append([]patchMember(nil), base...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	sets = append(sets, rev)
	plain := map[string]string{
		"requestURI":     `"/api/v1/namespaces/prod/secrets"`,
		"user":           `{"username":"alice","groups":["dev"]}`,
		"userAgent":      `"kubectl/v1.31.0 (linux/amd64) kubernetes/abc1234"`,
		"responseStatus": `{"metadata":{},"code":201}`,
		"requestObject":  `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"replicas":"3"}}`,
		"responseObject": `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"}}`,
		"annotations":    `{"authorization.k8s.io/decision":"allow"}`,
	}
	secretive := []string{"requestURI", "user", "impersonatedUser", "userAgent", "responseStatus", "requestObject", "responseObject", "annotations"}
	for _, only := range secretive {
		// Only one member holds a secret: first, in place, last.
		var ms []patchMember
		var secret patchMember
		for _, m := range base {
			switch {
			case m.k == only:
				secret = m
				ms = append(ms, m)
			case m.k == "impersonatedUser":
			case plain[m.k] != "":
				ms = append(ms, patchMember{m.k, plain[m.k]})
			default:
				ms = append(ms, m)
			}
		}
		sets = append(sets, ms)
		var rest []patchMember
		for _, m := range ms {
			if m.k != only {
				rest = append(rest, m)
			}
		}
		sets = append(sets, append([]patchMember{secret}, rest...), append(append([]patchMember(nil), rest...), secret))
	}
	// A body nested deeper than the redactor walks: replaced whole, and
	// the event annotated although it had no annotations.
	deep := strings.Repeat(`{"a":`, 260) + `"x"` + strings.Repeat(`}`, 260)
	var noAnn []patchMember
	for _, m := range base {
		switch m.k {
		case "annotations", "impersonatedUser":
		case "requestObject":
			noAnn = append(noAnn, patchMember{m.k, deep})
		case "responseObject":
			noAnn = append(noAnn, patchMember{m.k, plain[m.k]})
		default:
			noAnn = append(noAnn, m)
		}
	}
	sets = append(sets, noAnn)
	// The only annotation holds a secret: in drop mode the member goes.
	var oneAnn []patchMember
	for _, m := range base {
		if m.k == "annotations" {
			m.v = `{"example.com/config":"password=` + plantAnnot + `"}`
		}
		oneAnn = append(oneAnn, m)
	}
	sets = append(sets, oneAnn, append([]patchMember{oneAnn[len(oneAnn)-1]}, oneAnn[:len(oneAnn)-1]...))
	var docs [][]byte
	for _, s := range spacings {
		for _, ms := range sets {
			docs = append(docs, s.doc(ms))
		}
	}
	return docs
}

// TestPatchKeepsBytes: a patched message is the event's own bytes but for
// the members that changed. Every member not changed is there byte for byte,
// in the order of the input, with the white space before it; each changed
// member the event still has keeps its key; no planted secret and no old
// value of a changed member is left; and the message means what the
// re-encoded one means. Over every configuration of spliceConfigs.
func TestPatchKeepsBytes(t *testing.T) {
	docs := patchDocs()
	for _, c := range spliceConfigs(t) {
		t.Run(c.name, func(t *testing.T) {
			patched, added, removed := 0, 0, 0
			for i, d := range docs {
				evs, raws, err := audit.DecodeRaw(d, nil, nil)
				if err != nil || len(evs) != 1 || raws[0].Bytes == nil {
					t.Fatalf("document %d: not decoded with its bytes (%v)", i, err)
				}
				raw := raws[0]
				var rec record.Record
				if c.en.EnrichInto(&rec, &evs[0], raw) != enrich.DropNone {
					t.Fatalf("document %d dropped", i)
				}
				if c.truncate {
					c.en.Truncate(&rec)
				}
				if rec.Raw.Bytes == nil {
					t.Fatalf("document %d: re-encoded (changed %b)", i, rec.Changed)
				}
				if rec.Changed == 0 {
					continue
				}
				patched++
				msg, err := format.Append(nil, format.Native, format.Lean, &rec)
				if err != nil {
					t.Fatal(err)
				}
				checkPatched(t, fmt.Sprintf("document %d", i), raw.Bytes, &raw, rec.Changed, msg, true)
				for m := range record.NumMembers {
					if rec.Changed.Has(m) && raw.Has(m) && !strings.Contains(string(msg), `"`+m.String()+`"`) {
						removed++
					}
					if rec.Changed.Has(m) && !raw.Has(m) && strings.Contains(string(msg), `"`+m.String()+`"`) {
						added++
					}
				}
				for _, p := range plants {
					if bytes.Contains(msg, []byte(p)) {
						t.Fatalf("document %d: planted %.6s… shipped:\n%s", i, p, msg)
					}
				}
				enc := rec
				enc.Raw = record.Raw{}
				want, err := format.Append(nil, format.Native, format.Lean, &enc)
				if err != nil {
					t.Fatal(err)
				}
				if !sameMeaning(t, msg, want) {
					t.Fatalf("document %d: patched and encoded messages differ:\n%s\n%s", i, msg, want)
				}
			}
			// Added: the redactor's annotation on a body replaced whole (the
			// policy drops it first); removed: an only annotation in drop
			// mode, bodies the policy or truncation drops.
			wantAdded := c.name != "policy"
			wantRemoved := c.name == "drop" || c.name == "policy" || c.name == "truncated"
			if patched == 0 || wantAdded && added == 0 || wantRemoved && removed == 0 {
				t.Fatalf("%d documents patched, %d members added, %d removed", patched, added, removed)
			}
			t.Logf("%d of %d documents patched, %d members added, %d removed", patched, len(docs), added, removed)
		})
	}
}

// checkPatched checks msg, the patched message of doc (raw: its bytes and
// spans; changed: the members patched), against doc: after '{' the white
// space of the input, then every unchanged member with the gap before it
// (but the first written), in the input's order; the key of each changed
// member still there; with oldGone, no old value of a changed member (a
// member marked in doubt may keep its value).
func checkPatched(t *testing.T, what string, doc []byte, raw *record.Raw, changed record.Members, msg []byte, oldGone bool) {
	t.Helper()
	order := membersInOrder(raw)
	g0 := doc[1:raw.Spans[order[0]].Key]
	if msg[0] != '{' || !bytes.HasPrefix(msg[1:], g0) {
		t.Fatalf("%s: the message does not start as the input:\n%q\n%q", what, msg, doc)
	}
	at := 1 + len(g0)
	first := true
	event := msg[:bytes.LastIndex(msg, []byte(`"enrichment":`))] // (logged_level is an old value)
	for k, m := range order {
		sp := raw.Spans[m]
		if changed.Has(m) {
			old := doc[sp.Value:sp.End]
			if oldGone && len(old) > 8 && bytes.Contains(event, old) {
				t.Fatalf("%s: the old value of changed member %d is shipped:\n%s", what, m, msg)
			}
			if i := bytes.Index(msg[at:], doc[sp.Key:sp.Value]); i >= 0 {
				at += i + int(sp.Value-sp.Key)
				first = false
			}
			continue
		}
		own := doc[sp.Key:sp.End]
		if !first {
			own = doc[raw.Spans[order[k-1]].End:sp.End] // the gap before it too
		}
		i := bytes.Index(msg[at:], own)
		if i < 0 || first && i != 0 {
			t.Fatalf("%s: unchanged member %d is not its own bytes in the input's order:\n%q\nin\n%q", what, m, own, msg)
		}
		at += i + len(own)
		first = false
	}
}

// membersInOrder lists the members of raw in the order of its bytes.
func membersInOrder(raw *record.Raw) []record.Member {
	var ms []record.Member
	for m := range record.NumMembers {
		if raw.Has(m) {
			ms = append(ms, m)
		}
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && raw.Spans[ms[j-1]].Key > raw.Spans[ms[j]].Key; j-- {
			ms[j-1], ms[j] = ms[j], ms[j-1]
		}
	}
	return ms
}

// BenchmarkNativePatched: the native message of events the redactor
// changed (patchDocs, a secret in every member it reads), patched into
// their own bytes and re-encoded whole.
func BenchmarkNativePatched(b *testing.B) {
	cs := spliceConfigs(b)
	var recs []*record.Record
	for _, d := range patchDocs() {
		evs, raws, err := audit.DecodeRaw(d, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		rec := new(record.Record)
		if cs[0].en.EnrichInto(rec, &evs[0], raws[0]) != enrich.DropNone || rec.Changed == 0 {
			b.Fatal("not patched")
		}
		recs = append(recs, rec)
	}
	for _, patched := range []bool{true, false} {
		name := "patched"
		if !patched {
			name = "encoded"
		}
		b.Run(name, func(b *testing.B) {
			rs := recs
			if !patched {
				rs = nil
				for _, r := range recs {
					enc := *r
					enc.Raw = record.Raw{}
					rs = append(rs, &enc)
				}
			}
			size := 0
			for _, r := range rs {
				out, err := format.Append(nil, format.Native, format.Lean, r)
				if err != nil {
					b.Fatal(err)
				}
				size += len(out)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var buf []byte
			var err error
			for b.Loop() {
				buf = buf[:0]
				for _, r := range rs {
					if buf, err = format.Append(buf, format.Native, format.Lean, r); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rs)), "ns/event")
		})
	}
}
