package jsonx

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// AppendWith writes exactly what encoding/json writes, with and without
// HTML escaping, for string and []byte alike.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\n\r\t\b\f\x00\x1f", "é ünïcode 日本", "bad \xff\xfe utf8 \xe2\x82", "<html>&", "\u2028\u2029", "a long plain string of more than eight bytes", "sixteen bytes ok\"then a quote", "0123456789abcdef\x01"} {
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

// plainPrefix reads eight bytes at a time: every byte that needs escaping or
// checking, at every position of a word, in long strings (FuzzAppend's seeds
// are short).
func TestAppendEveryPosition(t *testing.T) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, c := range []string{"\x00", "\x1f", " ", "!", "\"", "#", "\\", "<", ">", "&", "\x7f", "\x80", "\xff", "é", "\u2028", "日", "\xe2\x80"} {
		for n := 0; n < 40; n++ {
			for pos := 0; pos <= n; pos++ {
				s := strings.Repeat("a", pos) + c + strings.Repeat("z", n-pos)
				html, _ := json.Marshal(s)
				if got := AppendWith(nil, s, HTMLSafe); !bytes.Equal(got, html) {
					t.Fatalf("%q: HTMLSafe %s, encoding/json %s", s, got, html)
				}
				b.Reset()
				enc.Encode(s)
				if got := Append(nil, []byte(s)); !bytes.Equal(got, bytes.TrimSuffix(b.Bytes(), []byte("\n"))) {
					t.Fatalf("%q: NoHTML %s, encoding/json %s", s, got, b.Bytes())
				}
			}
		}
	}
}
