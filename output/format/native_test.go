package format

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/randfill"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// encodeNativeMarshal is the reference implementation of the native format,
// with encoding/json: the event (or its exact bytes) and the enrichment of
// detail d marshalled, the enrichment spliced in before the event's closing
// brace. appendNative must write the same bytes (and fail when it fails).
func encodeNativeMarshal(dst []byte, rec *record.Record, d Detail) ([]byte, error) {
	ev := rec.Raw.Bytes
	if ev == nil || rec.Changed != 0 {
		var err error
		if ev, err = json.Marshal(rec.Event); err != nil {
			return dst, fmt.Errorf("encode event: %w", err)
		}
	}
	var v any = rec.Enrichment.Native(rec.Event)
	if d == Full {
		e := &rec.Enrichment
		v = struct {
			record.Native
			Who    record.Who    `json:"who"`
			What   record.What   `json:"what"`
			Where  record.Where  `json:"where"`
			Result record.Result `json:"result"`
		}{rec.Enrichment.Native(rec.Event), e.Who, e.What, e.Where, e.Result}
	}
	enr, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("encode enrichment: %w", err)
	}
	dst = append(dst, ev[:len(ev)-1]...)
	if len(ev) > 2 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"`+NativeEnrichment+`":`...)
	dst = append(dst, enr...)
	return append(dst, '}'), nil
}

// checkNative compares appendNative with the reference for one record, in
// both details, re-encoded and spliced into the event's bytes, and the ecs
// and ocsf encoders with theirs (checkFormats).
func checkNative(t testing.TB, what string, rec *record.Record) {
	t.Helper()
	checkFormats(t, what, rec)
	for _, d := range []Detail{Lean, Full} {
		checkNativeAs(t, what+" "+d.String(), rec, d)
		if raw, err := json.Marshal(rec.Event); err == nil {
			spliced := *rec
			spliced.Raw, spliced.Changed = record.Raw{Bytes: raw}, 0
			checkNativeAs(t, what+" "+d.String()+" spliced", &spliced, d)
		}
	}
}

func checkNativeAs(t testing.TB, what string, rec *record.Record, d Detail) {
	t.Helper()
	want, werr := encodeNativeMarshal(nil, rec, d)
	prefix := []byte("prefix")
	got, gerr := appendNative(bytes.Clone(prefix), rec, d)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%s: error %v, json.Marshal's %v", what, gerr, werr)
	}
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("%s: the bytes before dst's end changed", what)
	}
	if werr != nil {
		if len(got) != len(prefix) {
			t.Fatalf("%s: failed but left %d bytes in dst", what, len(got)-len(prefix))
		}
		return
	}
	if g := got[len(prefix):]; !bytes.Equal(g, want) {
		t.Fatalf("%s: differs from json.Marshal\n%s", what, diffAt(g, want))
	}
}

func diffAt(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-80)
	return fmt.Sprintf("at byte %d:\n got: %q\nwant: %q", i, got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
}

// checkLines decodes each line with encoding/json, gives it an enrichment
// filled at random (seeded by the line) and compares every encoder with its
// reference; every 7th record is also compared with its bodies removed, as
// the pipeline truncates an oversized one.
func checkLines(t *testing.T, name string, lines [][]byte) int {
	t.Helper()
	n := 0
	for i, l := range lines {
		var ev auditv1.Event
		if json.Unmarshal(l, &ev) != nil || ev.AuditID == "" {
			continue
		}
		rec := &record.Record{Event: &ev}
		randomFiller(randfill.New().RandSource(rand.NewSource(int64(i)))).Fill(&rec.Enrichment)
		what := fmt.Sprintf("%s:%d", name, i+1)
		checkNative(t, what, rec)
		n++
		if i%7 == 0 {
			ev.RequestObject, ev.ResponseObject = nil, nil
			checkNative(t, what+" truncated", rec)
		}
	}
	return n
}

func TestAppendNativeMatchesMarshal(t *testing.T) {
	t.Run("lab", func(t *testing.T) {
		if n := checkLines(t, "lab", readLines(t, labLog)); n < 600 {
			t.Fatalf("only %d records compared", n)
		}
	})
	t.Run("testdata", func(t *testing.T) {
		files, _ := filepath.Glob("../../enrich/testdata/*.jsonl")
		n := 0
		for _, f := range files {
			if !strings.HasSuffix(f, ".golden.json") {
				n += checkLines(t, f, readLines(t, f))
			}
		}
		if n == 0 {
			t.Fatal("nothing compared")
		}
	})
	t.Run("benchmix", func(t *testing.T) {
		c, err := benchmix.LoadCorpus()
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, "benchmix", c.Generate(benchmix.Default(), 500))
	})
	t.Run("public", func(t *testing.T) {
		dir := publicCorpus(t)
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		n := 0
		for _, f := range files {
			if st, err := os.Stat(f); err != nil || st.IsDir() || strings.HasSuffix(f, ".md") {
				continue
			}
			n += checkLines(t, filepath.Base(f), readLines(t, f))
		}
		t.Logf("%d public records compared", n)
	})
}

// tricky are strings that exercise every escaping rule.
var tricky = []string{
	"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>",
	"ctl \x00\x01\x07\b\f\n\r\t\x1f\x7f", "line\u2028sep\u2029para", "bad utf8 \xff\xfe \xc3( \xe2\x80 \xe2\x80\xa8",
	"truncated rune \xe2", "ünïcödé 日本語 🎉", "\u2027\u202a", strings.Repeat("x", 300) + "<",
}

// trickyJSON are bodies: valid (with whitespace, escapes, HTML and
// separators to rewrite) and invalid ones (json.Marshal fails on them).
var trickyJSON = []string{
	`{}`, `[]`, ` { "a" : [ 1 , 2.5e-3 , -0 , true , false , null ] } `, "\n{\"a\":\"<b>&</b>\"}\n",
	`{"s":"\u003c\"\\\/\b\f\n\r\t\u2028"}`, "{\"s\":\"raw\u2028\u2029 sep\"}", "{\"s\":\"\xff bad\"}",
	`"just a string"`, `123`, `-1.5E+10`, `null`, `[[[[[]]]]]`, "\t[ {} , [ ] ]\r\n",
	// invalid
	``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`,
	`tru`, `nul`, `falsey`, `"\x"`, `"\u12g4"`, "\"ctl\x01\"", `"open`, `{"a":1}x`, `{} {}`, `{'a':1}`,
	`[1]]`, `{"a":1]`, "\"<\\<\"", `{1:2}`, `NaN`, `+1`,
}

func TestAppendNativeEdgeCases(t *testing.T) {
	base := func() *record.Record {
		ev := line(t, labLog, 1)
		return &record.Record{Event: &ev, Enrichment: record.Enrichment{Severity: "info", SeverityID: 1}}
	}
	for i, s := range tricky {
		rec := base()
		ev := rec.Event
		ev.RequestURI, ev.UserAgent, ev.Verb, ev.AuditID = s, s, s, types.UID(s)
		ev.User = authnv1.UserInfo{Username: s, UID: s, Groups: []string{s, ""}, Extra: map[string]authnv1.ExtraValue{s: {s}, "nil": nil, "empty": {}, s + "2": {"a", s}}}
		ev.Annotations = map[string]string{s: s, "b": s, "a<": "", "\u2028": "x", "Z": "z"}
		ev.ObjectRef = &auditv1.ObjectReference{Name: s, Subresource: s}
		rec.Enrichment.Summary, rec.Enrichment.Who.User, rec.Enrichment.Rules = s, s, []string{s}
		rec.Enrichment.What.Command = s
		checkNative(t, fmt.Sprintf("tricky string %d", i), rec)
	}
	for i, body := range trickyJSON {
		rec := base()
		rec.Event.RequestObject = &runtime.Unknown{Raw: []byte(body)}
		rec.Event.ResponseObject = &runtime.Unknown{Raw: []byte(`{"ok":true}`)}
		checkNative(t, fmt.Sprintf("body %d %q", i, body), rec)
		rec.Event.RequestObject, rec.Event.ResponseObject = rec.Event.ResponseObject, rec.Event.RequestObject
		checkNative(t, fmt.Sprintf("response body %d %q", i, body), rec)
	}
	deep := strings.Repeat("[", jsonx.MaxDepth) + strings.Repeat("]", jsonx.MaxDepth)
	for _, body := range []string{deep, "[" + deep + "]", strings.Repeat(`{"a":`, jsonx.MaxDepth) + "1" + strings.Repeat("}", jsonx.MaxDepth)} {
		rec := base()
		rec.Event.RequestObject = &runtime.Unknown{Raw: []byte(body)}
		checkNative(t, fmt.Sprintf("depth %d", strings.Count(body, "[")+strings.Count(body, "{")), rec)
	}
	unknowns := map[string]*runtime.Unknown{
		"nil raw":        {},
		"empty raw":      {Raw: []byte{}},
		"protobuf":       {Raw: []byte(`{}`), ContentType: "application/vnd.kubernetes.protobuf"},
		"json type":      {Raw: []byte(`{}`), ContentType: runtime.ContentTypeJSON},
		"type meta":      {TypeMeta: runtime.TypeMeta{Kind: "Pod", APIVersion: "v1"}, Raw: []byte(`{"x":1}`), ContentEncoding: "gzip"},
		"protobuf nil":   {ContentType: "application/vnd.kubernetes.protobuf"},
		"yaml":           {Raw: []byte("a: 1"), ContentType: "application/yaml"},
		"whitespace big": {Raw: bytes.Repeat([]byte(" [1, \"<\" ]\n"), 1)},
	}
	for name, u := range unknowns {
		rec := base()
		rec.Event.RequestObject = u
		checkNative(t, name, rec)
	}
	times := []time.Time{
		{}, time.Unix(0, 0), time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 1, 1, 0, 0, 0, 1, time.FixedZone("x", 5*3600+1800)), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 3, 4, 5, 6, 7, 8000, time.UTC), time.Date(2024, 6, 1, 1, 2, 3, 120000, time.Local),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 23, 0, 0, 0, time.FixedZone("y", -11*3600)),
	}
	for i, tm := range times {
		rec := base()
		rec.Event.RequestReceivedTimestamp = metav1.NewMicroTime(tm)
		rec.Event.StageTimestamp = metav1.MicroTime{Time: tm}
		checkNative(t, fmt.Sprintf("time %d %v", i, tm), rec)
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 123456789.123, 1e20, 1e21, 1.5e21, -1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)} {
		rec := base()
		rec.Enrichment.Result.LatencyMS = f
		checkNative(t, fmt.Sprintf("latency %v", f), rec)
	}
	rc := int64(0)
	rec := base()
	rec.Event.ResponseStatus = &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		ListMeta: metav1.ListMeta{SelfLink: "/x", ResourceVersion: "1", Continue: "c", RemainingItemCount: &rc, ShardInfo: &metav1.ShardInfo{}},
		Status:   "Failure", Message: "<no>", Reason: "Invalid", Code: 422,
		Details: &metav1.StatusDetails{Name: "n", Group: "g", Kind: "k", UID: "u", RetryAfterSeconds: -3,
			Causes: []metav1.StatusCause{{}, {Type: "FieldValueInvalid", Message: "m&", Field: "spec"}}},
	}
	rec.Event.ImpersonatedUser = &authnv1.UserInfo{}
	rec.Event.AuthenticationMetadata = &auditv1.AuthenticationMetadata{}
	rec.Event.ObjectRef = &auditv1.ObjectReference{}
	rec.Event.SourceIPs = []string{}
	rec.Enrichment.Truncated = true
	rec.Enrichment.Attack, rec.Enrichment.Redactions = []string{}, []string{"a", ""}
	checkNative(t, "full status", rec)
	rec.Event.ResponseStatus = &metav1.Status{Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{}}}
	rec.Event.AuthenticationMetadata.ImpersonationConstraint = "x"
	checkNative(t, "empty status", rec)
	var zero auditv1.Event
	checkNative(t, "zero event", &record.Record{Event: &zero})
}

// randomRecords fills events and enrichments at random (every field, nil or
// not, tricky strings and bodies among random ones).
func randomFiller(f *randfill.Filler) *randfill.Filler {
	str := func(c randfill.Continue) string {
		switch c.Intn(4) {
		case 0:
			return tricky[c.Intn(len(tricky))]
		case 1:
			b := make([]byte, c.Intn(12))
			for i := range b {
				b[i] = byte(c.Intn(256))
			}
			return string(b)
		case 2:
			return ""
		}
		return c.String(20)
	}
	return f.NilChance(0.3).NumElements(0, 4).MaxDepth(8).Funcs(
		func(s *string, c randfill.Continue) { *s = str(c) },
		func(s *types.UID, c randfill.Continue) { *s = types.UID(str(c)) },
		func(s *auditv1.Level, c randfill.Continue) { *s = auditv1.Level(str(c)) },
		func(s *auditv1.Stage, c randfill.Continue) { *s = auditv1.Stage(str(c)) },
		func(s *metav1.StatusReason, c randfill.Continue) { *s = metav1.StatusReason(str(c)) },
		func(s *metav1.CauseType, c randfill.Continue) { *s = metav1.CauseType(str(c)) },
		func(u *runtime.Unknown, c randfill.Continue) {
			*u = runtime.Unknown{}
			switch c.Intn(8) {
			case 0:
				u.Raw = nil
			case 1:
				u.Raw = []byte(str(c))
				u.ContentType = str(c)
			default:
				u.Raw = []byte(trickyJSON[c.Intn(len(trickyJSON))])
			}
		},
		func(t *metav1.MicroTime, c randfill.Continue) {
			switch c.Intn(4) {
			case 0:
				*t = metav1.MicroTime{}
			case 1:
				*t = metav1.NewMicroTime(time.Unix(c.Int63n(1<<40)-1<<39, c.Int63n(1e9)).In(time.FixedZone("z", c.Intn(50000)-25000)))
			default:
				*t = metav1.NewMicroTime(time.Unix(c.Int63n(2e9), c.Int63n(1e9)))
			}
		},
		func(f *float64, c randfill.Continue) {
			switch c.Intn(4) {
			case 0:
				*f = math.Float64frombits(c.Uint64())
			case 1:
				*f = float64(c.Intn(100000)) / 1000
			default:
				*f = c.Float64() * math.Pow(10, float64(c.Intn(60)-30))
			}
		},
	)
}

func TestAppendNativeRandom(t *testing.T) {
	f := randomFiller(randfill.New().RandSource(rand.NewSource(6)))
	for i := 0; i < 20000; i++ {
		var ev auditv1.Event
		rec := &record.Record{Event: &ev}
		f.Fill(&ev)
		f.Fill(&rec.Enrichment)
		checkNative(t, fmt.Sprintf("random %d", i), rec)
	}
}

func FuzzAppendNative(f *testing.F) {
	for _, l := range readLines(f, labLog)[:50] {
		f.Add(l)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// As a document, when it is one.
		var dec auditv1.Event
		if json.Unmarshal(data, &dec) == nil {
			checkNative(t, "decoded", &record.Record{Event: &dec, Enrichment: record.Enrichment{Severity: "info", SeverityID: 1}})
		}
		// As the randomness of a filled record.
		var ev auditv1.Event
		rec := &record.Record{Event: &ev}
		fl := randomFiller(randfill.NewFromGoFuzz(data))
		fl.Fill(&ev)
		fl.Fill(&rec.Enrichment)
		checkNative(t, "filled", rec)
	})
}

func FuzzAppendCompactJSON(f *testing.F) {
	for _, s := range trickyJSON {
		f.Add([]byte(s))
	}
	for _, l := range readLines(f, labLog)[:20] {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		want, werr := json.Marshal(runtime.Unknown{Raw: src})
		got, gerr := jsonx.AppendCompact([]byte("x"), src)
		if src == nil {
			return // Raw nil is null, never compacted
		}
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%q: error %v, json.Marshal's %v", src, gerr, werr)
		}
		if werr == nil && !bytes.Equal(got[1:], want) {
			t.Fatalf("%q:\n got %q\nwant %q", src, got[1:], want)
		}
		if werr != nil && string(got) != "x" {
			t.Fatalf("%q: failed but wrote %q", src, got)
		}
	})
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	})
}

// jsonFieldNames lists the JSON member names encoding/json gives a struct
// type, in order (embedded structs without a name promoted).
func jsonFieldNames(typ reflect.Type) []string {
	var names []string
	for i := 0; i < typ.NumField(); i++ {
		sf := typ.Field(i)
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			names = append(names, jsonFieldNames(sf.Type)...)
			continue
		}
		if name == "" {
			name = sf.Name
		}
		names = append(names, name)
	}
	return names
}

// TestAppendJSONFieldTables fails when a type the encoder writes gains,
// loses or reorders a field: the encoder must then be updated.
func TestAppendJSONFieldTables(t *testing.T) {
	for _, c := range []struct {
		v     any
		names []string
	}{
		{auditv1.Event{}, appendEventFields},
		{authnv1.UserInfo{}, appendUserFields},
		{auditv1.AuthenticationMetadata{}, appendAuthnMetaFields},
		{auditv1.ObjectReference{}, appendObjectRefFields},
		{metav1.Status{}, appendStatusFields},
		{metav1.ListMeta{}, appendListMetaFields},
		{metav1.ShardInfo{}, appendShardInfoFields},
		{metav1.StatusDetails{}, appendDetailsFields},
		{metav1.StatusCause{}, appendCauseFields},
		{record.Enrichment{}, appendEnrichmentFields},
		{record.Who{}, appendWhoFields},
		{record.What{}, appendWhatFields},
		{record.Where{}, appendWhereFields},
		{record.Result{}, appendResultFields},
	} {
		typ := reflect.TypeOf(c.v)
		if got := jsonFieldNames(typ); !reflect.DeepEqual(got, c.names) {
			t.Errorf("%v has JSON fields %q; the appending encoder writes %q: update appendjson.go", typ, got, c.names)
		}
	}
	// The types with their own MarshalJSON: the encoder follows those.
	for _, typ := range []reflect.Type{reflect.TypeOf(metav1.MicroTime{}), reflect.TypeOf(runtime.Unknown{})} {
		if !typ.Implements(reflect.TypeOf((*json.Marshaler)(nil)).Elem()) {
			t.Errorf("%v no longer has MarshalJSON", typ)
		}
	}
	// The others are written by their fields and kinds: a MarshalJSON or
	// MarshalText added to one would change json.Marshal's output.
	for _, v := range []any{
		auditv1.Event{}, auditv1.Level(""), auditv1.Stage(""), types.UID(""), auditv1.ObjectReference{}, auditv1.AuthenticationMetadata{},
		metav1.Status{}, metav1.ListMeta{}, metav1.ShardInfo{}, metav1.StatusDetails{}, metav1.StatusCause{}, metav1.StatusReason(""), metav1.CauseType(""), metav1.TypeMeta{},
		authnv1.UserInfo{}, authnv1.ExtraValue{}, record.Enrichment{}, record.Who{}, record.What{}, record.Where{}, record.Result{},
	} {
		typ := reflect.TypeOf(v)
		for _, iface := range []reflect.Type{reflect.TypeOf((*json.Marshaler)(nil)).Elem(), reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()} {
			if typ.Implements(iface) || reflect.PointerTo(typ).Implements(iface) {
				t.Errorf("%v implements %v now: the appending encoder must follow it", typ, iface)
			}
		}
	}
}

// encodeCatching runs an encoder, turning a panic into an error (a random
// record can be inconsistent: impersonated user named without the object).
func encodeCatching(enc func([]byte, *record.Record) ([]byte, error), rec *record.Record) (out []byte, err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			panicked = true
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	out, err = enc([]byte("prefix"), rec)
	return out, err, false
}

// checkFormats compares appendECS and appendOCSF with the map-based
// reference implementations (format_ref_test.go).
func checkFormats(t testing.TB, what string, rec *record.Record) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want func([]byte, *record.Record) ([]byte, error)
	}{{"ecs", appendECS, encodeECSMap}, {"ocsf", appendOCSF, encodeOCSFMap}} {
		want, werr, wp := encodeCatching(c.want, rec)
		got, gerr, gp := encodeCatching(c.got, rec)
		if gp {
			t.Fatalf("%s %s: %v (reference: %v)", what, c.name, gerr, werr)
		}
		if wp {
			continue // an inconsistent random record the reference does not survive
		}
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%s %s: error %v, reference's %v", what, c.name, gerr, werr)
		}
		if werr != nil {
			if string(got) != "prefix" {
				t.Fatalf("%s %s: failed but left bytes in dst", what, c.name)
			}
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s %s: differs from the map encoding\n%s", what, c.name, diffAt(got, want))
		}
	}
}

// TestFormatsMatchMapEncoding: the ecs and ocsf encoders are compared with
// the map encoding wherever checkNative runs (TestAppendNative*, the fuzz
// target); this checks the write plans themselves.
func TestFormatsMatchMapEncoding(t *testing.T) {
	for name, plan := range map[string]*docPlan{"ecs": ecsPlan, "ocsf": ocsfPlan} {
		if len(plan.order) != len(plan.segs) || len(plan.segs) > maxDocFields {
			t.Errorf("%s: plan of %d fields for %d paths (max %d)", name, len(plan.order), len(plan.segs), maxDocFields)
		}
		for i, a := range plan.segs {
			for j, b := range plan.segs {
				if i != j && len(a) < len(b) && slices.Equal(a, b[:len(a)]) {
					t.Errorf("%s: %q is both a value and an object (%q)", name, strings.Join(a, "."), strings.Join(b, "."))
				}
			}
		}
	}
	checkLines(t, "lab", readLines(t, labLog))
}

// TestAppendFloat64 holds appendFloat64, and its path for thousandths
// (latency_ms), to what encoding/json writes.
func TestAppendFloat64(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	vals := []float64{0.001, -0.001, 0.01, 0.1, 1, 10, 3.216, 0.461, 1.72, 999.999, 1000, 1e-7, 1e21, 123456789.012, -42.5, 5e-324, math.MaxFloat64, 1 << 40, (1 << 40) / 1000.0}
	for range 200000 {
		n := rng.Int63n(1 << 42)
		if rng.Intn(4) == 0 {
			n = rng.Int63n(100000)
		}
		if rng.Intn(8) == 0 {
			n = -n
		}
		vals = append(vals, float64(n)/1000, float64(n)/100, float64(n)/10000, rng.Float64()*float64(n))
	}
	for _, f := range vals {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendFloat64(nil, f)
		if err != nil || string(got) != string(want) {
			t.Fatalf("appendFloat64(%v) = %q, %v; encoding/json %q", f, got, err, want)
		}
	}
	if _, err := appendFloat64(nil, math.NaN()); err == nil {
		t.Error("NaN: no error")
	}
	if got, _ := appendFloat64(nil, math.Copysign(0, -1)); string(got) != "-0" {
		t.Errorf("-0: %q", got)
	}
}
