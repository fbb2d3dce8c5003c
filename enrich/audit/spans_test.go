package audit

import (
	"bytes"
	"slices"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// TestMemberOrder: the fast decoder writes the span of the member at index k
// of eventFieldsExtra into Spans[k]: the indexes are the record.Members.
func TestMemberOrder(t *testing.T) {
	for m := range record.NumMembers {
		if eventFieldsExtra[m] != m.String() {
			t.Errorf("member %d is %q, eventFieldsExtra has %q", m, m.String(), eventFieldsExtra[m])
		}
	}
}

// TestDecodeRawSpans: the spans DecodeRaw records cover each member's key
// and value exactly, in any spacing and order, for single events and
// EventList items; a member the bytes lack has none.
func TestDecodeRawSpans(t *testing.T) {
	docs := [][]byte{
		[]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","requestURI":"/x","verb":"get","user":{"username":"u"},"requestObject":null,"annotations":{"k":"v"}}`),
		[]byte(" \t{ \"annotations\" :\t{ \"k\" : \"v\" } ,\n\"stage\": \"ResponseComplete\" , \"auditID\":\"a\",\"level\" : \"Request\",\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Event\"  ,  \"sourceIPs\" : [ \"1.2.3.4\" ] }\n"),
	}
	want := map[string]string{"kind": `"Event"`, "apiVersion": `"audit.k8s.io/v1"`, "level": `"Metadata"`, "stage": `"ResponseComplete"`, "requestObject": "null", "annotations": `{"k":"v"}`}
	for i, doc := range docs {
		_, raws, err := DecodeRaw(doc, nil, nil)
		if err != nil || len(raws) != 1 || raws[0].Bytes == nil {
			t.Fatalf("doc %d: %v, %d raws", i, err, len(raws))
		}
		checkSpans(t, &raws[0])
		if i == 0 {
			for m := range record.NumMembers {
				sp := raws[0].Spans[m]
				if w, ok := want[m.String()]; ok && string(raws[0].Bytes[sp.Value:sp.End]) != w {
					t.Errorf("%s: %q, want %q", m, raws[0].Bytes[sp.Value:sp.End], w)
				}
			}
			if raws[0].Has(record.MemberObjectRef) || !raws[0].Has(record.MemberRequestObject) {
				t.Errorf("objectRef (absent) or requestObject (null) wrong: %+v", raws[0].Spans)
			}
		}
	}
	list := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + string(docs[0]) + `, ` + string(bytes.TrimSpace(docs[1])) + `]}`)
	_, raws, err := DecodeRaw(list, nil, nil)
	if err != nil || len(raws) != 2 {
		t.Fatalf("list: %v, %d raws", err, len(raws))
	}
	for i := range raws {
		if raws[i].Bytes == nil {
			t.Fatalf("item %d: no bytes", i)
		}
		checkSpans(t, &raws[i])
	}
}

// checkSpans: every span is the member's plain key, ':' and a value with
// no white space around it; between them (in the order of the bytes) are
// only white space and one ',', before the first only '{', after the last
// only '}'.
func checkSpans(t *testing.T, r *record.Raw) {
	t.Helper()
	b := r.Bytes
	var order []record.Member
	for m := range record.NumMembers {
		sp := r.Spans[m]
		if sp.Key == 0 {
			continue
		}
		key := string(bytes.TrimRight(b[sp.Key:sp.Value], " \t\r\n:"))
		if key != `"`+m.String()+`"` {
			t.Errorf("%s: key bytes %q", m, b[sp.Key:sp.Value])
		}
		if v := b[sp.Value:sp.End]; len(bytes.TrimSpace(v)) != len(v) || len(v) == 0 {
			t.Errorf("%s: value bytes %q", m, v)
		}
		order = append(order, m)
	}
	slices.SortFunc(order, func(x, y record.Member) int { return int(r.Spans[x].Key) - int(r.Spans[y].Key) })
	prev := 0
	for i, m := range order {
		gap, want := string(bytes.TrimSpace(b[prev:r.Spans[m].Key])), ","
		if i == 0 {
			want = "{"
		}
		if gap != want {
			t.Errorf("before %s: %q", m, gap)
		}
		prev = int(r.Spans[m].End)
	}
	if len(order) == 0 || string(bytes.TrimSpace(b[prev:])) != "}" {
		t.Errorf("after the last member: %q", b[prev:])
	}
}

// TestDecodeRawTimestamp: a v1 event with a v1beta1 "timestamp" member does
// not keep its bytes (normalise may read the time from it).
func TestDecodeRawTimestamp(t *testing.T) {
	doc := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","timestamp":"2026-01-02T03:04:05Z"}`)
	evs, raws, err := DecodeRaw(doc, nil, nil)
	if err != nil || len(evs) != 1 {
		t.Fatal(err)
	}
	if evs[0].RequestReceivedTimestamp.IsZero() {
		t.Fatal("timestamp not read")
	}
	if raws[0].Bytes != nil {
		t.Fatal("bytes kept: they have no requestReceivedTimestamp")
	}
}

// FuzzDecodeRawSpans: whatever the document, DecodeRaw gives the events of
// Decode, a Raw for each, and spans that hold (checkSpans) wherever it kept
// the bytes.
func FuzzDecodeRawSpans(f *testing.F) {
	for _, l := range readLines(f, "../testdata/public_samples.jsonl") {
		f.Add(l)
	}
	f.Add([]byte(" {\"kind\" : \"Event\" ,\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\t\"auditID\":\"a\",\"stage\":\"Panic\",\"annotations\":{}}\n"))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a","stage":"Panic"}, {"auditID":"b","stage":"Panic"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		evs, raws, err := DecodeRaw(doc, nil, nil)
		want, werr := Decode(doc, nil)
		if (err == nil) != (werr == nil) || len(evs) != len(want) || len(raws) != len(evs) {
			t.Fatalf("DecodeRaw: %d events, %d raws, %v; Decode: %d events, %v", len(evs), len(raws), err, len(want), werr)
		}
		for i := range raws {
			if raws[i].Bytes != nil {
				checkSpans(t, &raws[i])
			}
		}
	})
}

// TestDecodeRawNoBytesNoSpans: a Raw without bytes is the zero Raw.
func TestDecodeRawNoBytesNoSpans(t *testing.T) {
	for _, doc := range []string{
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","level":"Metadata","auditID":"a","stage":"Panic"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"Panic","unknown":1}`,
		`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"apiVersion":"audit.k8s.io/v1beta1","level":"Metadata","auditID":"a","stage":"Panic"}]}`,
	} {
		_, raws, err := DecodeRaw([]byte(doc), nil, nil)
		if err != nil || len(raws) != 1 {
			t.Fatalf("%s: %v", doc, err)
		}
		if raws[0].Spans != ([record.NumMembers]record.Span{}) {
			t.Errorf("%s: spans without bytes", doc)
		}
		if raws[0].Bytes != nil {
			t.Errorf("%s: bytes kept", doc)
		}
	}
}
