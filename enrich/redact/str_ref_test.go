package redact

import (
	"math/rand/v2"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// strRef is parser.str as it was before the word-at-a-time scans: the
// reference of TestStrSameAsBefore (value, end position and error
// position, which a body's fail-closed marker quotes).
func (p *parser) strRef() (string, error) {
	b := p.b
	start := p.pos + 1
	qpos := indexFrom(b, start, '"')
	if qpos < 0 {
		p.pos = len(b)
		return "", p.fail()
	}
	bpos := indexFrom(b[:qpos], start, '\\')
	if bpos < 0 {
		if c := ctl(b[start:qpos]); c >= 0 {
			p.pos = start + c
			return "", p.fail()
		}
		p.pos = qpos + 1
		if qpos == start {
			return "", nil
		}
		// No copy: the string shares the body's bytes, which nothing
		// writes to while the tree lives (a changed body gets a new
		// buffer); every string that outlives the walk is built anew.
		return unsafe.String(&b[start], qpos-start), nil
	}
	buf := make([]byte, 0, qpos-start+16)
	i := start
	for {
		if qpos >= 0 && qpos < i {
			qpos = indexFrom(b, i, '"')
		}
		if qpos < 0 {
			p.pos = len(b)
			return "", p.fail()
		}
		if bpos >= 0 && bpos < i {
			bpos = indexFrom(b[:qpos], i, '\\')
		}
		if bpos < 0 || bpos > qpos {
			if c := ctl(b[i:qpos]); c >= 0 {
				p.pos = i + c
				return "", p.fail()
			}
			buf = append(buf, b[i:qpos]...)
			p.pos = qpos + 1
			if len(buf) == 0 {
				return "", nil
			}
			return unsafe.String(&buf[0], len(buf)), nil // buf is ours alone and never written again
		}
		if c := ctl(b[i:bpos]); c >= 0 {
			p.pos = i + c
			return "", p.fail()
		}
		buf = append(buf, b[i:bpos]...)
		i = bpos
		if i+1 >= len(b) {
			p.pos = i
			return "", p.fail()
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(b, i+2)
			if !ok {
				p.pos = i
				return "", p.fail()
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r2, ok := hex4(b, i+2); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							i += 6
							buf = utf8.AppendRune(buf, d)
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			p.pos = i
			return "", p.fail()
		}
		i += 2
	}
}

func TestStrSameAsBefore(t *testing.T) {
	alphabet := []string{"a", "Zz", `"`, `\\`, `\"`, `\n`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\u12`, `\x`, "\x01", "\x1f", " ", "é", "\xff", "0123456789abcdef"}
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 300000; n++ {
		b := []byte{'"'}
		for k := r.IntN(24); k > 0; k-- {
			b = append(b, alphabet[r.IntN(len(alphabet))]...)
		}
		if r.IntN(3) > 0 {
			b = append(b, '"')
		}
		b = append(b, "tail"[:r.IntN(5)]...)
		p1, p2 := &parser{b: b}, &parser{b: b}
		v1, e1 := p1.str()
		v2, e2 := p2.strRef()
		if v1 != v2 || p1.pos != p2.pos || (e1 == nil) != (e2 == nil) || e1 != nil && e1.Error() != e2.Error() {
			t.Fatalf("%q: str %q %d %v, before %q %d %v", b, v1, p1.pos, e1, v2, p2.pos, e2)
		}
	}
}
