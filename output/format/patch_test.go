package format

import (
	"bytes"
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// TestMemberKeys: appendEventFields is indexed by record.Member.
func TestMemberKeys(t *testing.T) {
	for m := range eventMembers {
		if appendEventFields[m] != m.String() {
			t.Errorf("member %d: %q, appendEventFields has %q", m, m.String(), appendEventFields[m])
		}
	}
	if len(appendEventFields) != int(eventMembers) {
		t.Errorf("%d event fields, %d members", len(appendEventFields), eventMembers)
	}
}

// TestAppendPatched: members changed, removed and added, first, last and in
// between, in odd spacing: exactly these bytes (the event part of the
// message, up to the enrichment).
func TestAppendPatched(t *testing.T) {
	const head = `"kind":"Event","apiVersion":"audit.k8s.io/v1"`
	for _, c := range []struct {
		name    string
		doc     string
		edit    func(ev *auditv1.Event)
		changed []record.Member
		want    string
	}{
		{
			name: "nothing changed", doc: `{` + head + `,"level":"Metadata","auditID":"a","stage":"ResponseComplete"}`,
			edit: func(*auditv1.Event) {}, want: `{` + head + `,"level":"Metadata","auditID":"a","stage":"ResponseComplete",`,
		},
		{
			name: "changed in between", doc: `{` + head + `,"level":"Metadata","auditID":"a","requestURI":"/x?token=s","stage":"ResponseComplete"}`,
			edit:    func(ev *auditv1.Event) { ev.RequestURI = "/x?token=<&>" },
			changed: []record.Member{record.MemberRequestURI},
			want:    `{` + head + `,"level":"Metadata","auditID":"a","requestURI":"/x?token=\u003c\u0026\u003e","stage":"ResponseComplete",`,
		},
		{
			name: "changed first and last, spaced", doc: "{ \"requestURI\" :\t\"/x?token=s\" , " + head + ",\"level\":\"Metadata\",\"auditID\":\"a\",\"stage\":\"ResponseComplete\" ,\n \"userAgent\" : \"t\"\n}",
			edit:    func(ev *auditv1.Event) { ev.RequestURI, ev.UserAgent = "/x", "[REDACTED]" },
			changed: []record.Member{record.MemberRequestURI, record.MemberUserAgent},
			want:    "{ \"requestURI\" :\t\"/x\" , " + head + ",\"level\":\"Metadata\",\"auditID\":\"a\",\"stage\":\"ResponseComplete\" ,\n \"userAgent\" : \"[REDACTED]\",",
		},
		{
			name: "removed first", doc: "{\n  \"requestObject\" : {\"a\": 1},\n  " + head + ",\"level\":\"Request\",\"auditID\":\"a\",\"stage\":\"ResponseComplete\"}",
			edit:    func(ev *auditv1.Event) { ev.RequestObject, ev.Level = nil, auditv1.LevelMetadata },
			changed: []record.Member{record.MemberRequestObject, record.MemberLevel},
			want:    "{\n  " + head + ",\"level\":\"Metadata\",\"auditID\":\"a\",\"stage\":\"ResponseComplete\",",
		},
		{
			name: "removed last", doc: `{` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete" , "requestObject":{"a":1} }`,
			edit:    func(ev *auditv1.Event) { ev.RequestObject = nil },
			changed: []record.Member{record.MemberRequestObject},
			want:    `{` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete",`,
		},
		{
			name: "removed in between and adjacent", doc: `{` + head + `,"level":"RequestResponse","requestObject":{"a":1}, "responseObject" : {"b":2},"auditID":"a","stage":"ResponseComplete"}`,
			edit: func(ev *auditv1.Event) {
				ev.RequestObject, ev.ResponseObject, ev.Level = nil, nil, auditv1.LevelMetadata
			},
			changed: []record.Member{record.MemberRequestObject, record.MemberResponseObject, record.MemberLevel},
			want:    `{` + head + `,"level":"Metadata","auditID":"a","stage":"ResponseComplete",`,
		},
		{
			name: "removed the first two", doc: `{ "annotations":{"k":"password=x"},"requestObject":{"a":1},` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete"}`,
			edit:    func(ev *auditv1.Event) { ev.RequestObject, ev.Annotations = nil, map[string]string{} },
			changed: []record.Member{record.MemberRequestObject, record.MemberAnnotations},
			want:    `{ ` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete",`,
		},
		{
			name: "added", doc: `{` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete","requestObject":{"a":1} }`,
			edit: func(ev *auditv1.Event) {
				ev.RequestObject = &runtime.Unknown{Raw: []byte(`{"kube-audit-kafka.redacted":"body removed: x"}`), ContentType: runtime.ContentTypeJSON}
				ev.Annotations = map[string]string{"z": "1", "a": "2"}
			},
			changed: []record.Member{record.MemberRequestObject, record.MemberAnnotations},
			want:    `{` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete","requestObject":{"kube-audit-kafka.redacted":"body removed: x"},"annotations":{"a":"2","z":"1"},`,
		},
		{
			name: "added and removed", doc: "{\t" + `"requestObject":{"a":1},` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete"}`,
			edit: func(ev *auditv1.Event) {
				ev.RequestObject = nil
				ev.Annotations = map[string]string{"audit.k8s.io/truncated": "true"}
			},
			changed: []record.Member{record.MemberRequestObject, record.MemberAnnotations, record.MemberResponseObject},
			want:    "{\t" + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete","annotations":{"audit.k8s.io/truncated":"true"},`,
		},
		{
			name: "changed but the same, null kept", doc: `{` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete","impersonatedUser":null,"user":{ "username" : "u" }}`,
			edit:    func(*auditv1.Event) {},
			changed: []record.Member{record.MemberUser, record.MemberImpersonatedUser},
			want:    `{` + head + `,"level":"Request","auditID":"a","stage":"ResponseComplete","user":{"username":"u"},`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, raws, err := audit.DecodeRaw([]byte(c.doc), nil, nil)
			if err != nil || raws[0].Bytes == nil {
				t.Fatalf("decode: %v, bytes %v", err, raws[0].Bytes != nil)
			}
			rec := &record.Record{Event: &evs[0], Raw: raws[0]}
			c.edit(rec.Event)
			for _, m := range c.changed {
				rec.Changed.Add(m)
			}
			msg, err := appendNative(nil, rec, Lean)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(msg) {
				t.Fatalf("not JSON: %q", msg)
			}
			got := msg[:bytes.Index(msg, []byte(`"enrichment":`))]
			if string(got) != c.want {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
			// The meaning is the re-encoded event's.
			enc := *rec
			enc.Raw, enc.Changed = record.Raw{}, 0
			want, err := appendNative(nil, &enc, Lean)
			if err != nil {
				t.Fatal(err)
			}
			var x, y auditv1.Event
			if json.Unmarshal(msg, &x) != nil || json.Unmarshal(want, &y) != nil {
				t.Fatal("not an event")
			}
			a, _ := json.Marshal(&x)
			b, _ := json.Marshal(&y)
			if !bytes.Equal(a, b) {
				t.Fatalf("patched\n%s\nencoded\n%s", a, b)
			}
		})
	}
}

// TestAppendPatchedBadSpans: spans that do not fit the bytes (never from
// audit.DecodeRaw) are not sliced: the event is re-encoded.
func TestAppendPatchedBadSpans(t *testing.T) {
	doc := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete"}`
	for name, bad := range map[string]record.Span{
		"past the end":   {Key: 10, Value: 20, End: 500},
		"overlapping":    {Key: 2, Value: 20, End: 30},
		"value over key": {Key: 40, Value: 30, End: 50},
	} {
		evs, raws, err := audit.DecodeRaw([]byte(doc), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := &record.Record{Event: &evs[0], Raw: raws[0]}
		rec.Raw.Spans[record.MemberUserAgent] = bad
		rec.Changed.Add(record.MemberLevel)
		got, err := appendNative(nil, rec, Lean)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plain := *rec
		plain.Raw, plain.Changed = record.Raw{}, 0
		want, _ := appendNative(nil, &plain, Lean)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %s", name, got)
		}
	}
}
