package audit

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
)

// TestBodyFieldTables checks the field lists of bodydecode.go against the
// types, as encoding/json sees them, in order.
func TestBodyFieldTables(t *testing.T) {
	names := bodyJSONFields
	for _, c := range []struct {
		typ  reflect.Type
		want []string
	}{
		{reflect.TypeFor[Body](), bodyFields},
		{reflect.TypeFor[Body]().Field(1).Type, nameField},
		{reflect.TypeFor[BodySpec](), specFields},
		{reflect.TypeFor[PodSpec](), podSpecFields},
		{reflect.TypeFor[PodTemplate](), specField},
		{reflect.TypeFor[JobTemplateRef](), specField},
		{reflect.TypeFor[JobTemplateRef]().Field(0).Type, templateField},
		{reflect.TypeFor[Container](), containerFields},
		{reflect.TypeFor[SecurityContext](), securityContextFields},
		{reflect.TypeFor[Volume](), volumeFields},
		{reflect.TypeFor[HostPathSource](), hostPathFields},
		{reflect.TypeFor[PolicyRule](), ruleFields},
		{reflect.TypeFor[Body]().Field(4).Type, roleRefFields},
	} {
		if got := names(c.typ); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: fields %q, table %q", c.typ, got, c.want)
		}
	}
}

// bodyJSONFields lists the JSON names of the fields of a struct type, with
// the fields of embedded structs in place.
func bodyJSONFields(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			out = append(out, bodyJSONFields(f.Type)...)
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if !f.IsExported() || name == "-" {
			continue
		}
		out = append(out, name)
	}
	return out
}

// checkBody compares parseBody and objectName on raw with encoding/json and
// reports whether the fast path decoded it.
func checkBody(t testing.TB, raw []byte) bool {
	t.Helper()
	var want Body
	err := json.Unmarshal(raw, &want)
	var te *json.UnmarshalTypeError
	want.OK = err == nil || errors.As(err, &te)

	var got Body
	ParseBody(&auditv1.Event{RequestObject: &runtime.Unknown{Raw: raw}}, &got)
	if len(raw) == 0 {
		want = Body{} // parseBody does not look at an empty object
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseBody(%q):\n got %+v\nwant %+v", raw, got, want)
	}
	var fast Body
	isFast := DecodeBody(raw, &fast)
	if isFast {
		fast.OK = true
		if err != nil {
			t.Fatalf("decodeBody(%q) succeeded where encoding/json says %v", raw, err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("decodeBody(%q):\n got %+v\nwant %+v", raw, fast, want)
		}
	}

	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	mErr := json.Unmarshal(raw, &m)
	name, ok := ObjectName(raw)
	if ok != (mErr == nil) || (ok && name != m.Metadata.Name) {
		t.Fatalf("objectName(%q) = %q, %v; encoding/json %q, %v", raw, name, ok, m.Metadata.Name, mErr)
	}
	var wantMap map[string]string
	wantMapOK := json.Unmarshal(raw, &wantMap) == nil
	if gotMap, ok := StringMap(raw); ok != wantMapOK || (ok && !reflect.DeepEqual(gotMap, wantMap)) {
		t.Fatalf("StringMap(%q) = %q, %v; encoding/json %q, %v", raw, gotMap, ok, wantMap, wantMapOK)
	}
	return isFast
}

// realBodies are the request and response objects of the lab log, of the
// benchmark mix, of enrich/testdata and of the public corpus (when present).
func realBodies(t testing.TB) [][]byte {
	var evs []auditv1.Event
	evs = append(evs, decodeFile(t, labLog)...)
	c, err := benchmix.LoadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Generate(benchmix.Default(), 1000) {
		if evs, err = Decode(l, evs); err != nil {
			t.Fatal(err)
		}
	}
	// enrich/testdata (copies of public samples, the golden inputs) and the
	// shared public corpus when present (a fresh clone has none: no skip).
	files, _ := filepath.Glob("../testdata/*.json*")
	if dir, err := filepath.Abs("../../../shared/testdata/audit/public"); err == nil {
		more, _ := filepath.Glob(filepath.Join(dir, "*.json*"))
		files = append(files, more...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		var docs [][]byte
		if strings.HasSuffix(f, ".json") { // one event, maybe indented
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs = [][]byte{data}
		} else {
			docs = readLines(t, f)
		}
		for _, doc := range docs {
			if more, err := Decode(doc, nil); err == nil {
				evs = append(evs, more...)
			}
		}
	}
	var out [][]byte
	for i := range evs {
		for _, o := range []*runtime.Unknown{evs[i].RequestObject, evs[i].ResponseObject} {
			if o != nil && len(o.Raw) > 0 {
				out = append(out, o.Raw)
			}
		}
	}
	return out
}

func TestDecodeBodyMatchesEncodingJSON(t *testing.T) {
	bodies := realBodies(t)
	fast := 0
	for _, raw := range bodies {
		if checkBody(t, raw) {
			fast++
		}
	}
	t.Logf("%d real bodies, %d on the fast path", len(bodies), fast)
	if len(bodies) < 500 || fast != len(bodies) {
		t.Errorf("%d of %d real bodies on the fast path; want all", fast, len(bodies))
	}
	for _, raw := range bodyEdgeCases {
		checkBody(t, []byte(raw))
	}
	for _, raw := range stringMapCases {
		checkBody(t, []byte(raw))
	}
	// Deep nesting: the fast path gives up, encoding/json decides.
	for _, n := range []int{maxFastDepth + 10, 10001} {
		deep := `{"spec":{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `},"kind":"Pod"}`
		checkBody(t, []byte(deep))
	}
}

// bodyEdgeCases exercise encoding/json's rules: null, case-insensitive keys,
// repeated keys (merging), type errors, escapes, invalid JSON.
var bodyEdgeCases = []string{
	``, ` `, `{}`, ` {} `, "\t{\n}\r\n", `null`, `[]`, `"x"`, `1`, `true`, `{} x`, `{}{}`, `{`, `}`,
	`{"kind":"Pod"}`, `{"Kind":"Pod"}`, `{"KIND":"Pod"}`, `{"kind":"Pod","kind":"Service"}`,
	`{"kind":null}`, `{"kind":1}`, `{"kind":true}`, `{"kind":{}}`, `{"kind":"P\u00f6d\n\"\\\/\b\f\r\t"}`,
	`{"kind":"\ud800"}`, `{"kind":"\ud83d\ude00\ud800\udc00x"}`, "{\"kind\":\"a\xffb\xc3\"}", "{\"kind\":\"a\x01\"}",
	`{"k\u0069nd":"Pod"}`, `{"ſpec":{"type":"NodePort"}}`, "{\"\u212aind\":\"x\"}", `{"kinds":"x","kin":"y"}`,
	`{ "kind" : "Pod" , "spec" : { "hostPID" : true , "hostIPC":false} }`,
	`{"metadata":{"name":"a"}}`, `{"metadata":{"name":"a","Name":"b"}}`, `{"metadata":null}`, `{"metadata":{"name":null}}`,
	`{"metadata":[]}`, `{"metadata":{"name":["a"]}}`, `{"metadata":{"generateName":"a-","labels":{"x":"y"}},"metadata":{"name":"b"}}`,
	`{"spec":{"hostPID":true,"hostNetwork":true,"hostIPC":true}}`, `{"spec":{"hostpid":true}}`, `{"spec":{"HostNetwork":true}}`,
	`{"spec":{"hostPID":"yes"}}`, `{"spec":{"hostPID":null}}`, `{"spec":{"hostPID":1}}`, `{"spec":{"hostPID":tru}}`, `{"spec":{"hostPID":truex}}`,
	`{"spec":null}`, `{"spec":[]}`, `{"spec":"x"}`, `{"spec":{"type":"NodePort"},"spec":{"hostPID":true}}`,
	`{"spec":{"template":{"spec":{"hostPID":true}}},"spec":{"type":"NodePort"}}`,
	`{"spec":{"containers":null}}`, `{"spec":{"containers":[]}}`, `{"spec":{"containers":{}}}`, `{"spec":{"containers":[1]}}`,
	`{"spec":{"containers":[null,{"image":"x","securityContext":{"privileged":null}}]}}`,
	`{"spec":{"containers":[{"image":"a","securityContext":{"privileged":true,"runAsUser":0}},{"image":"b","securityContext":{"privileged":false}}]}}`,
	`{"spec":{"containers":[{"securityContext":null}]}}`, `{"spec":{"containers":[{"securityContext":[]}]}}`,
	`{"spec":{"containers":[{"securityContext":{"privileged":"true"}}]}}`, `{"spec":{"containers":[{"securityContext":{"Privileged":true}}]}}`,
	`{"spec":{"containers":[{"image":"a"},]}}`, `{"spec":{"containers":[{"image":"a"}}}`, `{"spec":{"containers":[,]}}`,
	`{"spec":{"initContainers":[{"image":"i"}],"ephemeralContainers":[{"image":"e","securityContext":{"privileged":true}}]}}`,
	`{"spec":{"volumes":[{"hostPath":{"path":"/"}},{"hostPath":null},null,{"emptyDir":{}},{"hostPath":{"path":null,"type":"Directory"}}]}}`,
	`{"spec":{"volumes":[{"hostPath":"/"}]}}`, `{"spec":{"volumes":null}}`, `{"spec":{"volumes":[]}}`, `{"spec":{"volumes":[{"HostPath":{"path":"/"}}]}}`,
	`{"spec":{"template":null}}`, `{"spec":{"template":[]}}`, `{"spec":{"template":{"spec":null}}}`, `{"spec":{"template":{"metadata":{},"spec":{"containers":[{"image":"t"}],"template":{}}}}}`,
	`{"spec":{"template":{"spec":{"type":"NodePort","hostNetwork":true}}}}`,
	`{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"image":"a"}],"hostPID":true}}}}}}`,
	`{"spec":{"jobTemplate":null}}`, `{"spec":{"jobTemplate":{"spec":null}}}`, `{"spec":{"jobTemplate":{"spec":{"template":null}}}}`,
	`{"spec":{"jobTemplate":{"spec":{"template":{"spec":null}}}}}`, `{"spec":{"jobTemplate":1}}`,
	`{"spec":{"type":"NodePort"}}`, `{"spec":{"type":null}}`, `{"spec":{"type":3}}`,
	`{"kind":"Ingress","spec":{"tls":null}}`, `{"spec":{"tls":[]}}`, `{"spec":{"tls":[{"hosts":["a"],"secretName":"s"}]}}`, `{"spec":{"tls": [ ] }}`,
	`{"spec":{"tls":"x"}}`, `{"spec":{"tls":-1.5e+3}}`, `{"spec":{"tls":01}}`, `{"spec":{"tls":1.}}`, `{"spec":{"tls":true}}`,
	`{"rules":[{"verbs":["*"],"resources":null},null,{"verbs":[null,"get"]}]}`, `{"rules":null}`, `{"rules":[]}`, `{"rules":{}}`,
	`{"rules":[{"verbs":"get"}]}`, `{"rules":[{"verbs":[1]}]}`, `{"rules":[{"Verbs":["get"]}]}`, `{"rules":[{"verbs":[],"resources":[]}]}`,
	`{"rules":[{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["create","get"]}],"rules":[]}`,
	`{"roleRef":{"kind":"ClusterRole","name":"cluster-admin","apiGroup":"rbac.authorization.k8s.io"}}`, `{"roleRef":null}`,
	`{"roleRef":{"kind":null,"name":1}}`, `{"roleRef":{"NAME":"x"}}`,
	`{"data":null}`, `{"data":{"a":"b"}}`, `{"data": {"a" : "b"} }`, `{"data":"str"}`, `{"data":1.5e3}`, `{"data":[1,{"x":null}]}`,
	`{"data":{"a":"b"},"data":null}`, `{"data":{"a":`, `{"data":{"a":"b"}`,
	`{"ok":true,"OK":1,"x":[{"y":[null,true,false,-0,1e9]}]}`, `{"x":"\u00zz"}`, `{"x":"\q"}`, `{"x":nul}`, `{"x":[1 2]}`, `{"x" "y"}`, `{"x":1,}`,
	`{"kind":"Pod"}` + "\x00", `{"kind":"Pod"} `, "\ufeff{}",
}

// stringMapCases are ConfigMap data for stringMap.
var stringMapCases = []string{
	`{"a":"b","c":null,"a":"d"}`, `{"a\u00e9\n":"x\ty"}`, `{"a":1}`, `{"a":{}}`, `{"a":"b",}`, `{"a" "b"}`,
	`{"password":"hunter2","config.ini":"[db]\npassword = x\n"}`, `{}`, `{ }`, `[]`, `null`, `"x"`, `{"a":"b"}x`,
	"{\"a\xff\":\"\xfe\"}", `{"\ud800":"\udc00"}`,
}

func FuzzDecodeBody(f *testing.F) {
	for _, s := range stringMapCases {
		f.Add([]byte(s))
	}
	for _, s := range bodyEdgeCases {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile(labLog); err == nil {
		n := 0
		for l := range strings.Lines(string(data)) {
			var ev auditv1.Event
			if json.Unmarshal([]byte(l), &ev) == nil && ev.RequestObject != nil && n < 40 {
				f.Add(ev.RequestObject.Raw)
				n++
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkBody(t, raw)
	})
}

// BenchmarkParseBody compares encoding/json and the fast path over the
// bodies the severity rules parse in the benchmark mix: the request (else
// response) object of the mix's writes.
func BenchmarkParseBody(b *testing.B) {
	c, err := benchmix.LoadCorpus()
	if err != nil {
		b.Fatal(err)
	}
	var evs []auditv1.Event
	for _, l := range c.Generate(benchmix.Default(), 1000) {
		if evs, err = Decode(l, evs); err != nil {
			b.Fatal(err)
		}
	}
	var sel []*auditv1.Event
	size := 0
	for i := range evs {
		ev := &evs[i]
		switch ev.Verb {
		case "create", "update", "patch":
		default:
			continue
		}
		for _, o := range []*runtime.Unknown{ev.RequestObject, ev.ResponseObject} {
			if o != nil && len(o.Raw) > 0 {
				sel = append(sel, ev)
				size += len(o.Raw)
				break
			}
		}
	}
	for _, bc := range []struct {
		name  string
		parse func(*auditv1.Event, *Body)
	}{
		{"encoding-json", func(ev *auditv1.Event, b *Body) {
			if o := ev.RequestObject; o != nil && len(o.Raw) > 0 {
				UnmarshalBody(o.Raw, b)
			} else {
				UnmarshalBody(ev.ResponseObject.Raw, b)
			}
		}},
		{"fast", ParseBody},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				for _, ev := range sel {
					var bd Body
					bc.parse(ev, &bd)
					if !bd.OK {
						b.Fatal("body not parsed")
					}
				}
			}
			b.ReportMetric(float64(len(sel)), "bodies/op")
		})
	}
}
