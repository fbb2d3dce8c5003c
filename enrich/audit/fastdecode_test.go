package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx/jsonxtest"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// fdReferenceDecode is Decode without the fast path: encoding/json only, as
// Decode was before it. Decode must give exactly its results and errors.
func fdReferenceDecode(doc []byte, dst []auditv1.Event) ([]auditv1.Event, error) {
	return decodeEvents(doc, dst, false)
}

// fdEdgeCases are documents built to exercise every branch of the fast path
// and every reason for it to give up.
var fdEdgeCases = []string{
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get"}`,
	`{"auditID":"a","stage":"ResponseComplete","user":{"username":"\u00e9t\u00e9 \ud83d\ude00 \ud83d x \udc00 \u0000 \" \\ \/ \b\f\n\r\t","groups":[],"extra":{}},"annotations":{}}`,
	`{"auditID":"a","stage":"ResponseComplete","userAgent":"caf\xc3\xa9 \xff\xfe bad utf8","requestURI":"/api?x=1&y=<2>"}`,
	// Real invalid UTF-8 bytes (a raw string literal would hold "\x" escapes).
	"{\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"userAgent\":\"caf\xc3\xa9 \xff\xfe bad utf8\",\"requestURI\":\"/api?x=1&y=<2>\"}",
	"{\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"userAgent\":\"\xff\xff\xff\xff\xff\xff\",\"requestURI\":\"/after\",\"verb\":\"get\"}",
	"{\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"userAgent\":\"\\\"\xff\xff\\n\xff\xffz\xed\xa0\x80\",\"requestURI\":\"\\u0041\\u0042\",\"verb\":\"\\ud83d\\ude00\\ud83d\"}",
	"{\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"userAgent\":\"\\t\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\",\"requestURI\":\"/after\"}",
	`{"auditID":"a","stage":"ResponseComplete","annotations":{"k\"":"RBAC: allowed by ClusterRoleBinding \"system:basic-user\" of ClusterRole \"system:basic-user\" to Group \"system:authenticated\"","\u00e9":"\u00e8"}}`,
	`{"auditID":"a","stage":"ResponseComplete","userAgent":"0123456789abcdef0123456789\u00e9abcdef\t0123456789abcdef"}`,
	`{"auditID":"a","stage":"ResponseComplete","user":{"username":"u","extra":{"k":["v",null],"n":null,"e":[]}},"sourceIPs":null,"annotations":{"a":null,"b":"c","b":"d"}}`,
	`{"auditID":"a","stage":"ResponseComplete","objectRef":null,"responseStatus":null,"requestObject":null,"responseObject":null,"impersonatedUser":null,"authenticationMetadata":null}`,
	`{"auditID":"a","stage":"ResponseComplete","objectRef":{},"responseStatus":{},"impersonatedUser":{},"authenticationMetadata":{"impersonationConstraint":"x"}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"kind":"Status","apiVersion":"v1","metadata":{"selfLink":"s","resourceVersion":"1","continue":"c","remainingItemCount":7},"status":"Failure","message":"m","reason":"Forbidden","details":{"name":"n","group":"g","kind":"k","uid":"u","causes":[{"reason":"r","message":"m","field":"f"},null],"retryAfterSeconds":3},"code":403}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"metadata":null,"code":null,"details":{"causes":[]}}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"metadata":{"remainingItemCount":null}}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"code":4.0}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"code":1e2}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"code":99999999999}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"code":-0}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"code":"200"}}`,
	`{"auditID":"a","stage":"ResponseComplete","responseStatus":{"metadata":{"shardInfo":{}}}}`,
	`{"auditID":"a","stage":"ResponseComplete","requestObject":{"a":[1,-2.5e+3,true,false,null,"x\u0041"],"b":{}},"responseObject":"just a string"}`,
	`{"auditID":"a","stage":"ResponseComplete","responseObject":[1,2,{"x":{"y":[[[]]]}}]}`,
	`{"auditID":"a","stage":"ResponseComplete","requestObject":{"a":01}}`,
	`{"auditID":"a","stage":"ResponseComplete","requestObject":{"a":"\x01"}}`,
	`{"auditID":"a","stage":"ResponseComplete","requestObject":{"a":"\q"}}`,
	`{"auditID":"a","stage":"ResponseComplete","requestObject":{"a":tru}}`,
	`{"auditID":"a","stage":"ResponseComplete","requestObject":{"a":1,}}`,
	`{"auditID":"a","stage":"ResponseComplete","requestReceivedTimestamp":"2026-11-22T01:02:03.123456Z","stageTimestamp":"2026-11-22T01:02:03Z"}`,
	`{"auditID":"a","stage":"ResponseComplete","requestReceivedTimestamp":"2026-11-22T01:02:03.123456+02:00","stageTimestamp":null}`,
	`{"auditID":"a","stage":"ResponseComplete","requestReceivedTimestamp":"\u0032026-11-22T01:02:03.123456Z"}`,
	`{"auditID":"a","stage":"ResponseComplete","requestReceivedTimestamp":"yesterday"}`,
	`{"auditID":"a","stage":"ResponseComplete","requestReceivedTimestamp":12}`,
	`{"auditID":"a","stage":"ResponseComplete","apiVersion":"audit.k8s.io/v1beta1","timestamp":"2017-01-02T03:04:05Z"}`,
	`{"auditID":"a","stage":"ResponseComplete","timestamp":null}`,
	`{"auditID":"a","stage":"ResponseComplete","Timestamp":"2017-01-02T03:04:05.000001Z"}`,
	`{"auditID":"a","stage":"ResponseComplete","timestamp":"2017-01-02T03:04:05.000001Z","requestReceivedTimestamp":"2026-11-22T01:02:03.123456Z"}`,
	`{"auditID":"a","stage":"ResponseComplete","Verb":"get"}`,
	`{"auditID":"a","stage":"ResponseComplete","verb":"get","verb":"list"}`,
	`{"auditID":"a","stage":"ResponseComplete","AUDITID":"b"}`,
	`{"auditID":"a","stage":"ResponseComplete","\u0076erb":"get"}`,
	`{"auditID":"a","stage":"ResponseComplete","\u212aind":"Event"}`,
	`{"auditID":"a","stage":"ResponseComplete","unknown":{"deep":[1,{"x":null}]},"metadata":{"creationTimestamp":null}}`,
	`{"auditID":"a","stage":"ResponseComplete","verb":5}`,
	`{"auditID":"a","stage":"ResponseComplete","sourceIPs":["1.2.3.4",5]}`,
	`{"auditID":"a","stage":"ResponseComplete","user":"bob"}`,
	`{"auditID":"a","stage":"ResponseComplete"} x`,
	`{"auditID":"a","stage":"ResponseComplete"}}`,
	`{"auditID":"a","stage":"ResponseComplete"`,
	`{"auditID":"a","stage":"Bogus"}`,
	`{"auditID":"","stage":"ResponseComplete"}`,
	`{"stage":"ResponseComplete"}`,
	`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}`,
	`{"apiVersion":"audit.k8s.io/v1","kind":"Pod","auditID":"a","stage":"ResponseComplete"}`,
	`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","stage":"ResponseComplete"},{"auditID":"b","stage":"Panic"}]}`,
	`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete"}`,
	`{"kind":"Event","auditID":"a","stage":"ResponseComplete","items":[]}`,
	`{}`,
	`[]`,
	` {"auditID":"a","stage":"ResponseComplete"} `,
	"{\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"requestObject\":" + strings.Repeat("[", 1200) + strings.Repeat("]", 1200) + "}",
	"{\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"requestObject\":" + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}",
}

// fdDocs is every document the equivalence tests use: the real log, the
// benchmark mix (100+ KB bodies included), the public samples when present,
// and the edge cases.
func fdDocs(t testing.TB) (docs [][]byte, real int) {
	t.Helper()
	docs, real, err := benchmix.Documents()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fdEdgeCases {
		docs = append(docs, []byte(e))
	}
	return docs, real
}

func TestDecodeMatchesReference(t *testing.T) {
	docs, _ := fdDocs(t)
	for i, doc := range docs {
		got, gerr := Decode(doc, nil)
		want, werr := fdReferenceDecode(doc, nil)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("doc %d: error %v, reference %v", i, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("doc %d: events differ from the reference:\n%+v\n%+v", i, got, want)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("doc %d: encoded events differ", i)
		}
	}
	// dst reuse: appending after existing events keeps them.
	keep := []auditv1.Event{{AuditID: "x"}}
	out, err := Decode(docs[0], keep)
	if err != nil || len(out) != 2 || out[0].AuditID != "x" {
		t.Fatalf("Decode with a non-empty dst: %v %d", err, len(out))
	}
}

func TestUnmarshalEventMatchesEncodingJSON(t *testing.T) {
	docs, real := fdDocs(t)
	fast := 0
	for i, doc := range docs {
		doc = bytes.TrimSpace(doc)
		var a auditv1.Event
		ts, ok := unmarshalEvent(doc, &a)
		if !ok {
			if !reflect.DeepEqual(a, auditv1.Event{}) {
				t.Fatalf("doc %d: the event is not reset when the fast path gives up", i)
			}
			if i < real {
				t.Errorf("doc %d, a real event, does not take the fast path", i)
			}
			continue
		}
		fast++
		var b struct {
			auditv1.Event
			Timestamp json.RawMessage `json:"timestamp"`
		}
		if err := json.Unmarshal(doc, &b); err != nil {
			t.Fatalf("doc %d: the fast path accepted what encoding/json rejects: %v", i, err)
		}
		if !reflect.DeepEqual(a, b.Event) {
			t.Fatalf("doc %d: fast path and encoding/json differ:\n%+v\n%+v", i, a, b.Event)
		}
		if !bytes.Equal(ts, b.Timestamp) {
			t.Fatalf("doc %d: timestamp %q, encoding/json %q", i, ts, b.Timestamp)
		}
	}
	t.Logf("%d of %d documents took the fast path", fast, len(docs))
}

// The field tables of the fast path list every JSON field of the types it
// decodes: a field added by a newer k8s.io/apiserver must not be ignored.
func TestFastDecodeFieldTables(t *testing.T) {
	// event's switch uses the indexes of eventFieldsExtra.
	if len(eventFieldsExtra) != 21 || eventFieldsExtra[0] != "kind" || eventFieldsExtra[18] != "annotations" || eventFieldsExtra[19] != "timestamp" {
		t.Errorf("eventFieldsExtra changed: %v", eventFieldsExtra)
	}
	for _, c := range []struct {
		typ   any
		names []string
	}{
		{auditv1.Event{}, eventFields},
		{authnv1.UserInfo{}, userFields},
		{auditv1.AuthenticationMetadata{}, authnMetaFields},
		{auditv1.ObjectReference{}, objectRefFields},
		{metav1.Status{}, statusFields},
		{metav1.ListMeta{}, listMetaFields},
		{metav1.StatusDetails{}, detailsFields},
		{metav1.StatusCause{}, causeFields},
	} {
		got := fdJSONNames(reflect.TypeOf(c.typ))
		if !reflect.DeepEqual(got, c.names) {
			t.Errorf("%T: JSON fields %v, fast path table %v", c.typ, got, c.names)
		}
	}
}

// The events of Decode own their memory: strings and bodies stay as they
// were when the caller overwrites (reuses) the document's buffer.
func TestDecodeEventsOutliveTheBuffer(t *testing.T) {
	docs, _ := fdDocs(t)
	for i, doc := range docs {
		buf := bytes.Clone(doc)
		got, gerr := Decode(buf, nil)
		for j := range buf {
			buf[j] = 'X'
		}
		want, werr := fdReferenceDecode(doc, nil)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("doc %d: events changed with the input buffer:\n%+v\n%+v", i, got, want)
		}
	}
}

// DecodeRaw's events are views of the document itself: the same events as
// the reference's, and the document is never written to (an escaped string
// is decoded into a buffer of its own, not over its quoted bytes), so the
// event's exact bytes still say what they said.
func TestDecodeRawAliasesAndNeverWrites(t *testing.T) {
	docs, _ := fdDocs(t)
	aliased := 0
	for i, doc := range docs {
		buf := bytes.Clone(doc)
		got, raws, gerr := DecodeRaw(buf, nil, nil)
		if !bytes.Equal(buf, doc) {
			t.Fatalf("doc %d: DecodeRaw wrote into the document", i)
		}
		want, werr := fdReferenceDecode(doc, nil)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("doc %d: DecodeRaw differs from the reference:\n%+v\n%+v", i, got, want)
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
		for j := range got {
			if id := string(got[j].AuditID); raws[j].Bytes != nil && id != "" {
				if p := uintptr(unsafe.Pointer(unsafe.StringData(id))); p >= lo && p < lo+uintptr(len(buf)) {
					aliased++
				}
			}
		}
	}
	if aliased == 0 {
		t.Fatal("no event's strings are views of its document")
	}
}

// A body is capped at its end: appending to it cannot reach the bytes of
// the document after it (other bodies, or what strings are views of).
func TestDecodeBodiesAreCapped(t *testing.T) {
	doc := []byte(`{"auditID":"a","stage":"ResponseComplete","requestObject":{"x":1},"responseObject":{"y":2},"verb":"get"}`)
	evs, err := Decode(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := &evs[0]
	req := ev.RequestObject.Raw
	if cap(req) != len(req) {
		t.Fatalf("requestObject has capacity %d past its %d bytes", cap(req), len(req))
	}
	_ = append(req, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"...)
	if string(ev.ResponseObject.Raw) != `{"y":2}` || ev.Verb != "get" {
		t.Fatalf("appending to one body changed the event: %s %q", ev.ResponseObject.Raw, ev.Verb)
	}
}

func fdJSONNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, fdJSONNames(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

func FuzzUnmarshalEvent(f *testing.F) {
	for _, e := range fdEdgeCases {
		f.Add([]byte(e))
	}
	if lines, err := benchmix.Lines(); err == nil {
		for _, l := range lines[:40] {
			f.Add(l)
		}
	}
	var arena Arena
	f.Fuzz(func(t *testing.T, doc []byte) {
		var a auditv1.Event
		ts, ok := unmarshalEvent(doc, &a)
		if !ok {
			return
		}
		var b struct {
			auditv1.Event
			Timestamp json.RawMessage `json:"timestamp"`
		}
		if err := json.Unmarshal(doc, &b); err != nil {
			t.Fatalf("fast path accepted what encoding/json rejects: %v", err)
		}
		if !reflect.DeepEqual(a, b.Event) || !bytes.Equal(ts, b.Timestamp) {
			t.Fatalf("fast path and encoding/json differ:\n%+v\n%+v", a, b.Event)
		}
		// Aliasing the document: the same event, and the document intact.
		orig := bytes.Clone(doc)
		var c auditv1.Event
		if _, _, ok := unmarshalEventRaw(doc, &c, nil, true, nil); !ok || !reflect.DeepEqual(a, c) {
			t.Fatalf("aliasing decode differs (%v):\n%+v\n%+v", ok, a, c)
		}
		// In an arena that earlier inputs used: the same event, nothing of
		// theirs left in it.
		arena.Clear()
		var e auditv1.Event
		if _, _, ok := unmarshalEventRaw(doc, &e, nil, true, &arena); !ok || !reflect.DeepEqual(a, e) {
			t.Fatalf("decode in an arena differs (%v):\n%+v\n%+v", ok, a, e)
		}
		if !bytes.Equal(doc, orig) {
			t.Fatal("aliasing decode wrote into the document")
		}
		got, gerr := Decode(doc, nil)
		want, werr := fdReferenceDecode(doc, nil)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode differs from the reference: %v / %v", gerr, werr)
		}
	})
}

// parseMicroUTC must agree with time.Parse(metav1.RFC3339Micro) on every
// input it accepts (and accept the apiserver's form).
func TestParseMicroUTC(t *testing.T) {
	check := func(s string) {
		t.Helper()
		got, ok := parseMicroUTC([]byte(s))
		want, err := time.Parse(metav1.RFC3339Micro, s)
		if ok && (err != nil || !got.Equal(want) || got.Location() != want.Location() || got.String() != want.String()) {
			t.Errorf("%q: %v, time.Parse %v (%v)", s, got, want, err)
		}
	}
	for _, s := range []string{
		"2026-11-21T10:04:05.123456Z", "2024-02-29T23:59:59.999999Z", "2023-02-29T00:00:00.000000Z", "2100-02-29T00:00:00.000000Z",
		"2000-02-29T00:00:00.000000Z", "2026-04-31T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z", "2026-00-01T00:00:00.000000Z",
		"2026-01-00T00:00:00.000000Z", "2026-01-01T24:00:00.000000Z", "2026-01-01T23:60:00.000000Z", "2026-01-01T23:59:60.000000Z",
		"0000-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z", "2026-01-01T00:00:00.00000aZ", "2026-01-01T00:00:00.000000+00:00",
		"2026-01-01 00:00:00.000000Z", "2026-1-01T00:00:00.000000Z", "+026-01-01T00:00:00.000000Z",
		"0000-02-29T00:00:00.000000Z", "0000-03-01T00:00:00.000000Z", "0001-01-01T00:00:00.000000Z", "1969-12-31T23:59:59.999999Z",
		"1600-02-29T12:00:00.000000Z", "1900-02-28T12:00:00.000000Z", "1970-01-01T00:00:00.000000Z",
	} {
		check(s)
	}
	if _, ok := parseMicroUTC([]byte("2026-11-21T10:04:05.123456Z")); !ok {
		t.Error("the apiserver's form is not taken by the fast path")
	}
	rnd := rand.New(rand.NewSource(6))
	for i := 0; i < 100000; i++ {
		// Any time from year 0000 to 9999 (before 1970 too).
		tm := time.Unix(rnd.Int63n(253402300800+62167219200)-62167219200, rnd.Int63n(1e9)).UTC()
		check(tm.Format(metav1.RFC3339Micro))
		b := []byte(tm.Format(metav1.RFC3339Micro))
		b[rnd.Intn(len(b))] = "0123456789:-TZ."[rnd.Intn(15)]
		check(string(b))
	}
}

// skip accepts exactly the values encoding/json accepts: random documents
// with whitespace, escapes and non-ASCII (valid), and each with one byte
// changed or cut short (mostly not), as a body and as an unknown key's value.
func TestFastSkipMatchesValid(t *testing.T) {
	rnd := rand.New(rand.NewSource(8))
	check := func(v []byte) {
		t.Helper()
		for _, wrap := range []string{`{"auditID":"a","stage":"Panic","requestObject":%s}`, `{"auditID":"a","stage":"Panic","unknownKey":%s}`} {
			doc := []byte(fmt.Sprintf(wrap, v))
			var ev auditv1.Event
			_, ok := unmarshalEvent(doc, &ev)
			valid := json.Valid(doc)
			if ok && !valid {
				t.Fatalf("fast path accepted invalid %q", doc)
			}
			if valid && !ok && !bytes.ContainsAny(v, "\xff") && json.Valid(v) {
				t.Fatalf("fast path gave up on valid %q", doc)
			}
		}
	}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		jsonxtest.Random(rnd, &b, 0)
		v := []byte(b.String())
		check(v)
		if len(v) > 0 {
			bad := bytes.Clone(v)
			bad[rnd.Intn(len(bad))] = "\x00\x1f\"\\{}[],: aZ0tn-."[rnd.Intn(17)]
			check(bad)
			check(v[:rnd.Intn(len(v))])
		}
	}
}

// Arena.DecodeEnvelope gives the events DecodeEnvelope gives, document after
// document through one arena (whose memory each call reuses: nothing of an
// earlier document is left in a later one's events), and the events of one
// list each get parts of their own. After warming up, a plain event takes no
// allocation for its parts and annotations.
func TestArenaDecodesAlike(t *testing.T) {
	docs, _ := fdDocs(t)
	list := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` +
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","objectRef":{"resource":"pods","namespace":"one"},"responseStatus":{"code":200},"annotations":{"k":"1"}},` +
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"b","stage":"ResponseComplete","verb":"list","objectRef":{"resource":"secrets","namespace":"two"},"responseStatus":{"code":403},"annotations":{"k":"2","j":"3"}}]}`)
	docs = append(docs, list)
	var a Arena
	for i, doc := range append(docs, docs...) {
		want, wraws, wkind, werr := DecodeEnvelope(doc, nil, nil)
		got, graws, gkind, gerr := a.DecodeEnvelope(doc, nil, nil)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || gkind != wkind || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(graws, wraws) {
			t.Fatalf("doc %d: the arena's events differ:\n%+v\n%+v", i, got, want)
		}
	}
	// An escaped string stays as it was through later calls, until Clear.
	esc, _, _, err := a.DecodeEnvelope([]byte(`{"auditID":"x","stage":"ResponseComplete","user":{"username":"caf\u00e9"}}`), nil, nil)
	if err != nil || esc[0].User.Username != "café" {
		t.Fatal(esc, err)
	}
	for range 100 {
		a.DecodeEnvelope([]byte(`{"auditID":"y","stage":"ResponseComplete","user":{"username":"th\u00e9"}}`), nil, nil)
	}
	if esc[0].User.Username != "café" {
		t.Fatalf("an escaped string changed with later calls: %q", esc[0].User.Username)
	}
	evs, _, _, err := a.DecodeEnvelope(list, nil, nil)
	if err != nil || len(evs) != 2 {
		t.Fatal(len(evs), err)
	}
	if evs[0].ObjectRef == evs[1].ObjectRef || evs[0].ObjectRef.Namespace != "one" || evs[1].ObjectRef.Namespace != "two" ||
		evs[0].Annotations["k"] != "1" || evs[1].Annotations["k"] != "2" || len(evs[0].Annotations) != 1 {
		t.Fatalf("the events of one list share memory: %+v %+v", evs[0], evs[1])
	}
	doc := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods?limit=1\u0026watch=true","responseStatus":{"code":404,"details":{"name":"x","kind":"pods"}},"user":{"username":"u","groups":["g"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"one"},"requestObject":{"a":1},"responseObject":{"b":[1,2]},"annotations":{"k":"1"}}`)
	dst := make([]auditv1.Event, 0, 1)
	raws := make([]record.Raw, 0, 1)
	allocs := testing.AllocsPerRun(100, func() {
		a.Clear()
		dst, raws, _, _ = a.DecodeEnvelope(doc, dst[:0], raws[:0])
	})
	if ev := &dst[0]; ev.RequestURI != "/api/v1/pods?limit=1&watch=true" || ev.ResponseStatus.Details.Name != "x" || ev.RequestObject == nil {
		t.Fatalf("decoded %+v", ev)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per event in a warm arena", allocs)
	}
}

// In an arena the decoder reads each body into a tape as it passes it: the
// View that enriches the event finds it there (no second read), the same
// tape a fresh read gives. A body over the limits is skipped, and the View
// meets the same limit on its own read.
func TestArenaReadsBodiesOnce(t *testing.T) {
	deep := strings.Repeat(`{"a":`, jsonx.BodyMaxDepth+5) + "1" + strings.Repeat("}", jsonx.BodyMaxDepth+5)
	doc := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a","stage":"ResponseComplete","verb":"create",` +
		`"objectRef":{"resource":"secrets","namespace":"n"},"requestObject":{"kind":"Secret","data":{"k":"dmFsdWU="}},"responseObject":` + deep + `}`)
	var a Arena
	evs, _, _, err := a.DecodeEnvelope(doc, nil, nil)
	if err != nil || len(evs) != 1 {
		t.Fatal(len(evs), err)
	}
	ev := &evs[0]
	tapes := a.TapesOf(ev)
	if tapes == nil {
		t.Fatal("no tapes for an event with a body")
	}
	var v View
	v.UseTapes(tapes)
	NewView(ev, &v)
	got, err := v.BodyTape(ev.RequestObject)
	if err != nil || got != &tapes.bodies[0].tape {
		t.Fatalf("the View read the body again (%v)", err)
	}
	var fresh jsonx.Tape
	if err := fresh.ParseLimits(ev.RequestObject.Raw, jsonx.BodyMaxDepth, jsonx.BodyMaxValues); err != nil ||
		!slices.Equal(fresh.Toks, got.Toks) || !bytes.Equal(got.Src, ev.RequestObject.Raw) {
		t.Fatalf("the decoder's tape differs from a fresh read (%v)", err)
	}
	if _, err := v.BodyTape(ev.ResponseObject); !errors.Is(err, jsonx.ErrTooDeep) {
		t.Fatalf("a body over the limits: %v", err)
	}
	if string(ev.ResponseObject.Raw) != deep {
		t.Fatal("the deep body was not kept whole")
	}
	// Another event's tapes are not this one's.
	other := auditv1.Event{RequestObject: &runtime.Unknown{Raw: ev.RequestObject.Raw}}
	if a.TapesOf(&other) != nil {
		t.Fatal("tapes found for an event the arena did not decode")
	}
	// The events of a list: each its own tapes, asked in any order.
	var items []string
	for i := range 5 {
		items = append(items, fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"%d","stage":"ResponseComplete","verb":"get","responseObject":{"n":%d}}`, i, i))
	}
	list := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + strings.Join(items, ",") + `]}`
	evs, _, _, err = a.DecodeEnvelope([]byte(list), nil, nil)
	if err != nil || len(evs) != 5 {
		t.Fatal(len(evs), err)
	}
	for _, i := range []int{0, 1, 2, 3, 4, 2, 0, 4} {
		tp := a.TapesOf(&evs[i])
		if tp == nil || tp.bodies[1].u != evs[i].ResponseObject || string(tp.bodies[1].tape.Src) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("event %d: tapes %v", i, tp)
		}
	}
}

// The Body read from the decoder's tape is views of the event's own body
// (no copy), and stays as it was when the body is replaced, as redaction
// and re-levelling do (they never write into a body).
func TestBodyIsViewsOfTheBody(t *testing.T) {
	doc := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a","stage":"ResponseComplete","verb":"create",` +
		`"objectRef":{"resource":"roles","namespace":"n","apiGroup":"rbac.authorization.k8s.io"},` +
		`"requestObject":{"kind":"Role","metadata":{"name":"reader"},"rules":[{"verbs":["get","list"],"resources":["secrets"]}],"data":{"k":"v"}}}`)
	var a Arena
	evs, _, _, err := a.DecodeEnvelope(doc, nil, nil)
	if err != nil || len(evs) != 1 {
		t.Fatal(len(evs), err)
	}
	ev := &evs[0]
	var v View
	v.UseTapes(a.TapesOf(ev))
	NewView(ev, &v)
	b := v.Body()
	raw := ev.RequestObject.Raw
	lo, hi := uintptr(unsafe.Pointer(&raw[0])), uintptr(unsafe.Pointer(&raw[len(raw)-1]))
	for _, s := range []string{b.Kind, b.Metadata.Name, b.Rules[0].Verbs[1], b.Rules[0].Resources[0], unsafe.String(unsafe.SliceData(b.Data), len(b.Data))} {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); s == "" || p < lo || p > hi {
			t.Fatalf("%q is not a view of the event's body", s)
		}
	}
	if cap(b.Data) != len(b.Data) {
		t.Fatal("data is not capped at its end")
	}
	ev.RequestObject.Raw = []byte(`{"kind":"Role","metadata":{"name":"` + strings.Repeat("x", len(raw)) + `"}}`)
	if b.Kind != "Role" || b.Metadata.Name != "reader" || b.Rules[0].Verbs[1] != "list" || string(b.Data) != `{"k":"v"}` {
		t.Fatalf("the Body changed with the replaced body: %+v", b)
	}
}
