package enrich

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// randomJSON writes a random JSON value with random insignificant
// whitespace, and strings of long plain runs mixed with what the compactor
// must act on (HTML characters, U+2028/U+2029 and near misses, escapes,
// non-ASCII), so that the word-at-a-time scan meets them at every offset.
func randomJSON(rnd *rand.Rand, b *strings.Builder, depth int) {
	ws := func() {
		if rnd.Intn(3) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r\n  ", "    "}[rnd.Intn(5)])
		}
	}
	str := func() {
		b.WriteByte('"')
		for n := rnd.Intn(6); n > 0; n-- {
			b.WriteString(strings.Repeat("abcdefgh"[:1+rnd.Intn(8)], rnd.Intn(4)))
			b.WriteString([]string{"", "<", ">", "&", "\u2028", "\u2029", "\xe2\x80\xa7", "\xe2\x82\xac", "\\\"", "\\\\", "\\u003c", "\\n", "é", "日本", " ", "/", "\xff"}[rnd.Intn(17)])
		}
		b.WriteByte('"')
	}
	ws()
	switch k := rnd.Intn(8); {
	case depth > 4 || k < 2:
		str()
	case k == 2:
		b.WriteString([]string{"0", "-1.5e+3", "12345678901234567890", "true", "false", "null", "3.25"}[rnd.Intn(7)])
	case k < 5:
		b.WriteByte('{')
		for n := rnd.Intn(5); n > 0; n-- {
			ws()
			str()
			ws()
			b.WriteByte(':')
			randomJSON(rnd, b, depth+1)
			if n > 1 {
				b.WriteByte(',')
			}
		}
		ws()
		b.WriteByte('}')
	default:
		b.WriteByte('[')
		for n := rnd.Intn(5); n > 0; n-- {
			randomJSON(rnd, b, depth+1)
			if n > 1 {
				b.WriteByte(',')
			}
		}
		ws()
		b.WriteByte(']')
	}
	ws()
}

// appendCompactJSON matches json.Marshal of a runtime.Unknown on random
// documents, valid and (one byte changed or cut short) mostly not.
func TestAppendCompactJSONRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(7))
	check := func(src []byte) {
		t.Helper()
		want, werr := json.Marshal(runtime.Unknown{Raw: src})
		got, gerr := appendCompactJSON([]byte("x"), src)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%q: error %v, json.Marshal's %v", src, gerr, werr)
		}
		if werr == nil && !bytes.Equal(got[1:], want) {
			t.Fatalf("%q:\n got %q\nwant %q", src, got[1:], want)
		}
		if werr != nil && string(got) != "x" {
			t.Fatalf("%q: failed but wrote %q", src, got)
		}
	}
	for i := 0; i < 30000; i++ {
		var b strings.Builder
		randomJSON(rnd, &b, 0)
		src := []byte(b.String())
		check(src)
		if len(src) > 0 {
			bad := bytes.Clone(src)
			bad[rnd.Intn(len(bad))] = "\x00\x1f\"\\{}[],: <aZ0\xe2"[rnd.Intn(16)]
			check(bad)
			check(src[:rnd.Intn(len(src))])
		}
	}
}

// appendJSONString matches json.Marshal on random strings: plain runs of
// every length before, between and after what must be escaped.
func TestAppendJSONStringRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(9))
	parts := []string{"<", ">", "&", "\"", "\\", "\n", "\x00", "\x7f", "é", "\u2028", "\u2029", "\xe2\x80", "\xff", "日本", "\U0001F600"}
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		for n := rnd.Intn(4); n >= 0; n-- {
			b.WriteString(strings.Repeat("x", rnd.Intn(20)))
			if rnd.Intn(3) > 0 {
				b.WriteString(parts[rnd.Intn(len(parts))])
			}
		}
		s := b.String()
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}
