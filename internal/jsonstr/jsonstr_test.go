package jsonstr

import (
	"encoding/json"
	"testing"
)

// Append agrees with encoding/json (without its HTML escaping) on every
// input, for both string and []byte.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\n\r\t\x00\x1f", "é ünïcode 日本", "bad \xff\xfe utf8", "<html>&", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Append(nil, s)
		if b := Append(nil, []byte(s)); string(b) != string(got) {
			t.Fatalf("string and []byte differ: %s vs %s", got, b)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q: decodes to %q, encoding/json's to %q", s, back, wantBack)
		}
	})
}
