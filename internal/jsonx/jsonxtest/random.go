// Package jsonxtest holds test helpers for the JSON readers and writers.
package jsonxtest

import (
	"math/rand"
	"strings"
)

// Random writes a random JSON value with random insignificant
// whitespace, and strings of long plain runs mixed with what the compactor
// must act on (HTML characters, U+2028/U+2029 and near misses, escapes,
// non-ASCII), so that the word-at-a-time scan meets them at every offset.
func Random(rnd *rand.Rand, b *strings.Builder, depth int) {
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
			Random(rnd, b, depth+1)
			if n > 1 {
				b.WriteByte(',')
			}
		}
		ws()
		b.WriteByte('}')
	default:
		b.WriteByte('[')
		for n := rnd.Intn(5); n > 0; n-- {
			Random(rnd, b, depth+1)
			if n > 1 {
				b.WriteByte(',')
			}
		}
		ws()
		b.WriteByte(']')
	}
	ws()
}
