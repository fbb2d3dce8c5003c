package audit

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// recordChunk is a chunk of docs as tail's JSON parser hands them over:
// each a record map (docs that are no JSON object are left out).
func recordChunk(docs [][]byte) ([]byte, int) {
	var w flbchunk.Writer
	for _, d := range docs {
		_ = w.AddJSON(time.Unix(1, 0), d) // (not an object: not added)
	}
	return w.Bytes(), w.Len()
}

// compareRecords reads chunk twice: the Reader transcoding each record map
// then DecodeEnvelope (the usual way), and the Reader with DecodeRecord as
// its MapDecoder (as Flush reads it). Every document must be the same
// bytes, and every record DecodeRecord took must decode to the same events,
// Raws (bytes and member spans) and body tapes. It returns how many records
// DecodeRecord took.
// With room false the Reader's buffer starts at the chunk's size, as in
// Flush's first flush, and grows on the way (a record met then goes the
// usual way); with room, it has room for all.
func compareRecords(t *testing.T, chunk []byte, room bool) (fused, records int) {
	t.Helper()
	var buf []byte
	if room {
		buf = make([]byte, 0, 8*len(chunk)+4096)
	}
	plain := flbchunk.NewReaderCopy(chunk, "log", nil)
	var ours, theirs Arena
	var events []auditv1.Event
	var raws []record.Raw
	mp := flbchunk.NewReaderCopy(chunk, "log", buf)
	mp.SetMapDecoder(func(buf, m []byte) ([]byte, int, bool) {
		var n int
		var ok bool
		buf, n, events, raws, ok = ours.DecodeRecord(buf, m, "log", events[:0], raws[:0])
		return buf, n, ok
	})
	for plain.More() {
		want, werr := plain.Next()
		got, gerr := mp.Next()
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("record %d: errors %v and %v", records, werr, gerr)
		}
		if werr != nil {
			return fused, records
		}
		if !bytes.Equal(got.JSON, want.JSON) {
			t.Fatalf("record %d: transcoded\n%s\nthe Reader writes\n%s", records, got.JSON, want.JSON)
		}
		records++
		if !got.Decoded {
			continue
		}
		fused++
		wantEvs, wantRaws, _, err := theirs.DecodeEnvelope(want.JSON, nil, nil)
		if err != nil || len(wantEvs) != 1 {
			t.Fatalf("record %d: DecodeRecord took what DecodeEnvelope gives %d events for (%v): %s", records, len(wantEvs), err, want.JSON)
		}
		if len(events) != 1 || !reflect.DeepEqual(events[0], wantEvs[0]) {
			t.Fatalf("record %d: events differ:\n%+v\n%+v", records, events, wantEvs[0])
		}
		if !bytes.Equal(raws[0].Bytes, wantRaws[0].Bytes) || raws[0].Spans != wantRaws[0].Spans {
			t.Fatalf("record %d: raws differ:\n%+v\n%+v", records, raws[0], wantRaws[0])
		}
		if a, b := ours.TapesOf(&events[0]), theirs.TapesOf(&wantEvs[0]); (a == nil) != (b == nil) ||
			a != nil && (!reflect.DeepEqual(a.bodies[0].tape.Toks, b.bodies[0].tape.Toks) || !reflect.DeepEqual(a.bodies[1].tape.Toks, b.bodies[1].tape.Toks)) {
			t.Fatalf("record %d: body tapes differ", records)
		}
	}
	return fused, records
}

// recordCases are events in the shapes a record map may take apart from the
// corpus's: nulls and empty values, escapes and non-ASCII, unknown and
// case-folded keys, other types where strings are expected.
var recordCases = []string{
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":null,"sourceIPs":null,"objectRef":null,"annotations":null}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{},"sourceIPs":[],"objectRef":{},"annotations":{}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"a\"b\u00e9\u2028","groups":[null,"g\n",""],"extra":{"k":["v",null]},"uid":null},"sourceIPs":["1.2.3.4",null]}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","annotations":{"a":"x\"y","b":null,"c":"","d\u0000":"\ud800"}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","objectRef":{"resource":"pods","Namespace":"x"}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","objectRef":{"resource":"pods","other":{"x":[1,2.5,true]}}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u","groups":"g"}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":7}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","VERB":"get"}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","extraTop":{"a":null}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","annotations":{"a":1}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","timestamp":"2024-01-01T00:00:00Z"}`,
	`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a","stage":"ResponseComplete","verb":"create","requestObject":{"kind":"Secret","data":{"k":"dg=="}},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2024-01-01T00:00:00.000001Z","stageTimestamp":"2024-01-01T00:00:01.500000Z"}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"bad"}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"2024-01-01T00:00:01.500000\u005a","requestReceivedTimestamp":null}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"2024-01-01T01:00:01.500000+01:00"}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"delete","responseStatus":{"kind":"Status","apiVersion":"v1","metadata":{"resourceVersion":"5"},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods","causes":[{"reason":"r","message":"m","field":"f"}]},"code":404}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","responseStatus":{"code":null,"details":null,"metadata":null}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","responseStatus":{"code":2.5}}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","log":"x"}`,
	`{"category":"kube-audit","properties":{"log":"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"}"}}`,
}

func TestDecodeRecordMatches(t *testing.T) {
	fusedCases := 0
	for i, e := range recordCases {
		chunk, n := recordChunk([][]byte{[]byte(e)})
		if n != 1 {
			t.Fatalf("case %d: not an object", i)
		}
		if fused, _ := compareRecords(t, chunk, true); fused == 1 {
			fusedCases++
			t.Logf("case %d taken", i)
		}
	}
	// The usual events among them (nulls, empties, escapes, unknown
	// members, bodies) are taken; the odd ones go the usual way.
	if fusedCases < 12 { // 0-3, 5, 9, 11, 13, 15-18
		t.Fatalf("DecodeRecord took %d of the %d cases", fusedCases, len(recordCases))
	}
	lines, err := benchmix.Lines()
	if err != nil {
		t.Fatal(err)
	}
	c, err := benchmix.NewCorpus(lines)
	if err != nil {
		t.Fatal(err)
	}
	// The edge cases one chunk each: a record the Reader rejects ends its
	// chunk (both readers must reject it).
	for _, e := range fdEdgeCases {
		if chunk, n := recordChunk([][]byte{[]byte(e)}); n > 0 {
			compareRecords(t, chunk, true)
		}
	}
	docs := append(append([][]byte(nil), lines...), c.Generate(benchmix.Default(), 1500)...)
	chunk, n := recordChunk(docs)
	fused, records := compareRecords(t, chunk, false)
	if records != n {
		t.Fatalf("read %d records of %d", records, n)
	}
	// Nearly all: those the fast decoder gives up on, envelopes, and the
	// records met when the buffer grows go the usual way.
	if fused < n*9/10 {
		t.Fatalf("DecodeRecord took %d records of %d", fused, n)
	}
	t.Logf("%d of %d records decoded while transcoded", fused, n)
}

func FuzzDecodeRecord(f *testing.F) {
	for _, e := range recordCases {
		f.Add([]byte(e))
	}
	for _, e := range fdEdgeCases {
		f.Add([]byte(e))
	}
	if lines, err := benchmix.Lines(); err == nil {
		for _, l := range lines[:40] {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		chunk, n := recordChunk([][]byte{doc, doc})
		if n == 0 {
			return
		}
		compareRecords(t, chunk, true)
	})
}

// A warm arena decodes a record map without allocating (the member spans
// once escaped: one allocation per record).
func TestDecodeRecordAllocs(t *testing.T) {
	doc := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/namespaces/one/pods/x","responseStatus":{"metadata":{},"code":200},"user":{"username":"u","groups":["g"]},"sourceIPs":["10.0.0.1"],"userAgent":"kubectl/v1.32.4","objectRef":{"resource":"pods","namespace":"one","name":"x"},"requestObject":{"a":1},"responseObject":{"b":[1,2]},"requestReceivedTimestamp":"2026-11-22T02:00:00.000001Z","stageTimestamp":"2026-11-22T02:00:00.003217Z","annotations":{"authorization.k8s.io/decision":"allow"}}`)
	chunk, n := recordChunk([][]byte{doc})
	if n != 1 {
		t.Fatal("not an object")
	}
	var rec []byte
	r := flbchunk.NewReaderCopy(chunk, "log", nil)
	r.SetMapDecoder(func(buf, m []byte) ([]byte, int, bool) {
		rec = bytes.Clone(m)
		return buf, 0, false
	})
	if _, err := r.Next(); err != nil || rec == nil {
		t.Fatal(err)
	}
	var a Arena
	buf := make([]byte, 0, 4*len(doc))
	dst := make([]auditv1.Event, 0, 1)
	raws := make([]record.Raw, 0, 1)
	var ok bool
	allocs := testing.AllocsPerRun(100, func() {
		a.Clear()
		_, _, dst, raws, ok = a.DecodeRecord(buf[:0], rec, "log", dst[:0], raws[:0])
	})
	if !ok || len(dst) != 1 || dst[0].ObjectRef.Name != "x" || dst[0].RequestObject == nil {
		t.Fatalf("not decoded: %v %+v", ok, dst)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per record in a warm arena", allocs)
	}
}
