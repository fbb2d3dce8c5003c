package jsonx

import (
	"slices"
	"unicode/utf8"
)

// Table marks the ASCII bytes that are written as they are; every other
// byte is escaped (or, from 0x80, checked as UTF-8).
type Table [256]bool

// HTMLSafe is json.Marshal's escaping: '<', '>' and '&' become \u003c,
// \u003e and \u0026.
var HTMLSafe = func() *Table {
	var t Table
	for c := 0x20; c < utf8.RuneSelf; c++ {
		switch c {
		case '"', '\\', '<', '>', '&':
		default:
			t[c] = true
		}
	}
	return &t
}()

// NoHTML is the escaping of an Encoder with SetEscapeHTML(false).
var NoHTML = func() *Table {
	t := *HTMLSafe
	t['<'], t['>'], t['&'] = true, true, true
	return &t
}()

const hexDigits = "0123456789abcdef"

// Append appends s as a JSON string with NoHTML escaping.
func Append[S ~string | ~[]byte](dst []byte, s S) []byte { return AppendWith(dst, s, NoHTML) }

// AppendWith appends s as encoding/json writes a string: \" \\ \b \f \n \r
// \t, \u00XX for other control bytes (and for bytes t does not mark plain),
// \ufffd for each invalid UTF-8 byte, \u2028 and \u2029.
func AppendWith[S ~string | ~[]byte](dst []byte, s S, t *Table) []byte {
	i := 0
	if len(s) >= 8 {
		i = plainPrefix(s, t)
	}
	for i < len(s) && t[s[i]] {
		i++
	}
	if i == len(s) { // plain, as most strings are: grow once, copy once
		n := len(dst)
		dst = slices.Grow(dst, len(s)+2)[:n+len(s)+2]
		dst[n] = '"'
		copy(dst[n+1:], s)
		dst[n+1+len(s)] = '"'
		return dst
	}
	dst = append(dst, '"')
	start := 0
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if t[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainPrefix returns how many leading bytes of s are plain for t, read
// eight at a time, or 0 when t is neither NoHTML nor HTMLSafe (AppendWith's
// loop then looks byte by byte).
func plainPrefix[S ~string | ~[]byte](s S, t *Table) int {
	switch t {
	case NoHTML:
		return scanText(s)
	case HTMLSafe:
		return ScanHTML(s, 0)
	}
	return 0
}
