package policy

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/internal/audittest"
)

// stripManagedFieldsJSON is the reference: what stripManagedFields did with
// encoding/json before it read a tape.
func stripManagedFieldsJSON(u *runtime.Unknown) bool {
	if u == nil || !bytes.Contains(u.Raw, []byte(`"managedFields"`)) {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(u.Raw, &top) != nil {
		return false
	}
	changed := stripMetaJSON(top)
	if items, ok := top["items"]; ok {
		var list []map[string]json.RawMessage
		if json.Unmarshal(items, &list) == nil {
			itemsChanged := false
			for _, it := range list {
				itemsChanged = stripMetaJSON(it) || itemsChanged
			}
			if itemsChanged {
				if b, err := json.Marshal(list); err == nil {
					top["items"], changed = b, true
				}
			}
		}
	}
	if !changed {
		return false
	}
	raw, err := json.Marshal(top)
	if err != nil {
		return false
	}
	u.Raw = raw
	return true
}

func stripMetaJSON(obj map[string]json.RawMessage) bool {
	var meta map[string]json.RawMessage
	if json.Unmarshal(obj["metadata"], &meta) != nil {
		return false
	}
	if _, ok := meta["managedFields"]; !ok {
		return false
	}
	delete(meta, "managedFields")
	b, err := json.Marshal(meta)
	if err != nil {
		return false
	}
	obj["metadata"] = b
	return true
}

func checkStrip(t testing.TB, raw []byte) {
	t.Helper()
	want := &runtime.Unknown{Raw: raw}
	got := &runtime.Unknown{Raw: raw}
	wok, gok := stripManagedFieldsJSON(want), stripManagedFields(got)
	if wok != gok || !bytes.Equal(want.Raw, got.Raw) {
		t.Fatalf("stripManagedFields(%q): %v %q\nencoding/json: %v %q", raw, gok, got.Raw, wok, want.Raw)
	}
}

var stripCases = []string{
	`{"kind":"PodList","items":[{"metadata":{"name":"a","managedFields":[{"manager":"x"}]}},{"metadata":{"name":"b"}}]}`,
	`{"kind":"Pod","metadata":{"name":"a","managedFields":[{"manager":"x"}],"labels":{"z":"<&>","a":"\u2028"}},"spec":{ "x" : [1, 2] }}`,
	`{"metadata":{"managedFields":null}}`, `{"metadata":{"managedFields":1,"managedFields":2,"b":1,"a":2,"b":3}}`,
	`{"metadata":{"managed\u0046ields":[]},"z":1,"a":"\u00e9"}`, `{"metadata":null,"managedFields":1}`, `{"metadata":"managedFields"}`,
	`{"items":null,"x":"managedFields"}`, `{"items":[null,{"metadata":{"managedFields":[]}},{}]}`, `{"items":[1,{"metadata":{"managedFields":[]}}]}`,
	`{"items":{"metadata":{"managedFields":[]}}}`, `{"items":[{"metadata":{"managedFields":[]}}],"items":[]}`,
	`{"items":[{"metadata":{"managedFields":[]},"b":1,"a":{"c" : 2}}],"metadata":{"managedFields":[]}}`,
	`null`, `[{"metadata":{"managedFields":[]}}]`, `{"metadata":{"managedFields":[]}`, `"managedFields"`,
	"{\"metadata\":{\"managedFields\":[],\"\xff\":1,\"\\ud800\":2}}", `{"metadata":{"managedFields":[],"a<b":"x"}}`,
	` {"metadata":{"managedFields":[]}} `,
}

func TestStripManagedFieldsMatchesEncodingJSON(t *testing.T) {
	for _, c := range stripCases {
		checkStrip(t, []byte(c))
	}
	rnd := rand.New(rand.NewSource(5))
	n := 0
	for _, ev := range audittest.DecodeFile(t, audittest.LabLog(t)) {
		for _, u := range []*runtime.Unknown{ev.RequestObject, ev.ResponseObject} {
			if u == nil || !strings.Contains(string(u.Raw), `"managedFields"`) {
				continue
			}
			n++
			checkStrip(t, u.Raw)
			for range 3 {
				bad := []byte(string(u.Raw))
				bad[rnd.Intn(len(bad))] = "\"{}[],:0an\\ "[rnd.Intn(12)]
				checkStrip(t, bad)
			}
		}
	}
	if n == 0 {
		t.Fatal("no body with managedFields in the lab log")
	}
}

func FuzzStripManagedFields(f *testing.F) {
	for _, c := range stripCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkStrip(t, raw)
	})
}
