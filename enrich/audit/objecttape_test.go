package audit

import (
	"encoding/json"
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// TestObjectFieldTables checks the field lists of objecttape.go against
// Object's types, as encoding/json sees them, in order.
func TestObjectFieldTables(t *testing.T) {
	o := reflect.TypeFor[Object]()
	spec := o.Field(2).Type
	job := spec.Field(2).Type.Elem()
	ctr := reflect.TypeFor[ObjectContainer]()
	sc := ctr.Field(4).Type.Elem()
	for _, c := range []struct {
		typ  reflect.Type
		want []string
	}{
		{o, objectFields},
		{o.Field(1).Type, objectMetaFields},
		{o.Field(1).Type.Field(1).Type.Elem(), managedFieldsFields},
		{spec, objectSpecFields},
		{reflect.TypeFor[ObjectPodSpec](), objectSpecFields[:3]},
		{spec.Field(1).Type.Elem(), objectTemplateFields},
		{job, objectJobFields},
		{job.Field(0).Type, objectJobSpecFields},
		{job.Field(0).Type.Field(0).Type, objectTemplateFields},
		{ctr, objectContainerFields},
		{sc, objectSecCtxFields},
		{sc.Field(0).Type.Elem(), objectCapsFields},
		{reflect.TypeFor[PolicyRule](), ruleFields},
	} {
		got := bodyJSONFields(c.typ)
		for i, n := range got {
			if n == "" {
				got[i] = c.typ.Field(i).Name // no tag: the Go name
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: fields %q, table %q", c.typ, got, c.want)
		}
	}
}

// checkObject holds UnmarshalObject (the tape) to encoding/json.
func checkObject(t testing.TB, raw []byte) {
	t.Helper()
	var want, got Object
	wok := unmarshalObjectJSON(raw, &want)
	gok := UnmarshalObject(raw, &got)
	if wok != gok || !reflect.DeepEqual(got, want) {
		t.Fatalf("UnmarshalObject(%q): %v\n got %+v\nwant %v %+v", raw, gok, got, wok, want)
	}
	var tp jsonx.Tape
	var fast Object
	if tp.Parse(raw) == nil && tp.Toks[0].Kind == jsonx.KindObject && decodeObject(&tp, 0, &fast) && !reflect.DeepEqual(fast, want) {
		t.Fatalf("decodeObject(%q):\n got %+v\nwant %+v", raw, fast, want)
	}
}

var objectEdgeCases = []string{
	`{"metadata":{"annotations":{"a":"b","c":null,"a":"d","\u00e9\n":"x\ty"}}}`, `{"metadata":{"annotations":null}}`,
	`{"metadata":{"annotations":{"a":1}}}`, `{"metadata":{"annotations":[]}}`, `{"metadata":{"Annotations":{"a":"b"}}}`,
	`{"metadata":{"managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{"f:template":{}}}},null,{"fieldsV1":null},{"manager":null}]}}`,
	`{"metadata":{"managedFields":[{"manager":1}]}}`, `{"metadata":{"managedFields":{}}}`, `{"metadata":{"managedFields":null}}`,
	`{"spec":{"containers":[{"name":"a","image":"b","command":["sh","-c","x"],"args":null,"securityContext":{"capabilities":{"add":["NET_ADMIN",null]}}}]}}`,
	`{"spec":{"containers":[{"securityContext":{"capabilities":null}}]}}`, `{"spec":{"containers":[{"securityContext":{"capabilities":{"add":"x"}}}]}}`,
	`{"spec":{"containers":[{"command":[]}]}}`, `{"spec":{"containers":[{"command":[1]}]}}`, `{"spec":{"containers":[{"command":[["x"]]}]}}`,
	`{"spec":{"containers":[{"ports":[{"containerPort":80}],"volumeMounts":null,"env":[],"envFrom":"x","lifecycle":{},"workingDir":"/w","stdin":true,"tty":false}]}}`,
	`{"spec":{"containers":[{"stdin":"true"}]}}`, `{"spec":{"containers":[{"tty":null,"stdin":null,"workingDir":null}]}}`,
	`{"spec":{"template":{"spec":{"containers":[{"name":"t"}]}}}}`, `{"spec":{"template":{"Spec":{"initContainers":[{"name":"t"}]}}}}`,
	`{"spec":{"template":{"SPEC":{}}}}`, `{"spec":{"template":{"spec":{},"spec":{}}}}`,
	`{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"ephemeralContainers":[{"name":"j"}]}}}}}}`,
	`{"spec":{"request":"aGVsbG8="}}`, `{"spec":{"request":"aGVsbG8"}}`, `{"spec":{"request":"aGVs\nbG8="}}`, `{"spec":{"request":""}}`,
	`{"spec":{"request":null}}`, `{"spec":{"request":[104,105]}}`, `{"spec":{"request":1}}`, `{"spec":{"request":"a\u0047Vs"}}`,
	`{"rules":[{"verbs":["*"],"resources":["pods"]}]}`, `{"kind":"Role","rules":[{"verbs":["get"],"verbs":["*"]}]}`,
	`{"spec":{"containers":[{"name":"a"}],"containers":[]}}`, `{"kind":1,"spec":{"containers":[{"command":["x"]}]}}`,
	` {"kind":"Pod"} `, "\u00a0{\"kind\":\"Pod\"}", `{"kınd":"x"}`, `{"spec":{"contaıners":[]}}`,
}

func TestDecodeObjectMatchesEncodingJSON(t *testing.T) {
	cases := append(append([]string(nil), bodyEdgeCases...), objectEdgeCases...)
	cases = append(cases, stringMapCases...)
	for _, c := range cases {
		checkObject(t, []byte(c))
	}
	data, err := os.ReadFile(labLog)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(3))
	n, nFast, nBody := 0, 0, 0
	for l := range strings.Lines(string(data)) {
		var ev auditv1.Event
		if json.Unmarshal([]byte(l), &ev) != nil {
			continue
		}
		for _, o := range [][]byte{rawOf(ev.RequestObject), rawOf(ev.ResponseObject)} {
			if o == nil {
				continue
			}
			n++
			checkObject(t, o)
			var tp jsonx.Tape
			var fast Object
			if tp.Parse(o) == nil && decodeObject(&tp, 0, &fast) {
				nFast++
			}
			var body Body
			if tp.ParseLimits(o, jsonx.BodyMaxDepth, jsonx.BodyMaxValues) == nil && decodeBodyTape(&tp, &body) {
				nBody++
			}
			// One byte changed: mostly invalid, sometimes a type error.
			for range 3 {
				bad := []byte(string(o))
				bad[rnd.Intn(len(bad))] = "\"{}[],:0an\\ "[rnd.Intn(12)]
				checkObject(t, bad)
			}
		}
	}
	if n < 100 || nFast < n*95/100 || nBody < n*95/100 {
		t.Fatalf("%d bodies in %s, %d Objects and %d Bodies decoded from the tape without encoding/json", n, labLog, nFast, nBody)
	}
}

// ResponseName (the tape) is ObjectName (DecodeBody's reader, checked
// against encoding/json by checkBody).
func TestResponseNameMatchesObjectName(t *testing.T) {
	cases := append(append([]string(nil), bodyEdgeCases...), objectEdgeCases...)
	data, err := os.ReadFile(labLog)
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.Lines(string(data)) {
		var ev auditv1.Event
		if json.Unmarshal([]byte(l), &ev) == nil && ev.ResponseObject != nil {
			cases = append(cases, string(ev.ResponseObject.Raw))
		}
	}
	var tapes Tapes
	for _, c := range cases {
		ev := &auditv1.Event{ResponseObject: &runtime.Unknown{Raw: []byte(c)}}
		var v View
		v.UseTapes(&tapes)
		NewView(ev, &v)
		name, ok := v.ResponseName()
		wname, wok := ObjectName([]byte(c))
		if name != wname || ok != wok {
			t.Fatalf("%q: ResponseName %q %v, ObjectName %q %v", c, name, ok, wname, wok)
		}
		tapes.Reset()
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, s := range objectEdgeCases {
		f.Add([]byte(s))
	}
	for _, s := range bodyEdgeCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkObject(t, raw)
	})
}

func rawOf(u *runtime.Unknown) []byte {
	if u == nil || len(u.Raw) == 0 {
		return nil
	}
	return u.Raw
}
