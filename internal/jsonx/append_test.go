package jsonx

import (
	"bytes"
	"encoding/json"
	"testing"
)

// AppendWith writes exactly what encoding/json writes, with and without
// HTML escaping, for string and []byte alike.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\n\r\t\b\f\x00\x1f", "é ünïcode 日本", "bad \xff\xfe utf8 \xe2\x82", "<html>&", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		html, _ := json.Marshal(s)
		if got := AppendWith(nil, s, HTMLSafe); !bytes.Equal(got, html) {
			t.Fatalf("%q: HTMLSafe %s, encoding/json %s", s, got, html)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		noHTML := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
		if got := Append(nil, s); !bytes.Equal(got, noHTML) {
			t.Fatalf("%q: NoHTML %s, encoding/json %s", s, got, noHTML)
		}
		if got := Append(nil, []byte(s)); !bytes.Equal(got, noHTML) {
			t.Fatalf("%q: []byte %s, encoding/json %s", s, got, noHTML)
		}
	})
}
