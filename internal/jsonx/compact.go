package jsonx

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// MaxDepth is encoding/json's nesting limit: deeper bodies are an
// error there, and so here.
const MaxDepth = 10000

// jsonStrSpecial marks the bytes of a JSON string that AppendCompact
// does not copy as they are: the end quote, a backslash, control bytes
// (invalid), the HTML characters (escaped) and 0xE2, the first byte of
// U+2028 and U+2029 (escaped).
var jsonStrSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		t[c] = true
	}
	return t
}()

var errEndOfJSON = errors.New("unexpected end of JSON input")

func syntaxErr(what string, off int) error {
	return errors.New("invalid JSON: " + what + " at offset " + strconv.Itoa(off))
}

// AppendCompact appends src, a JSON document, as encoding/json writes a
// json.Marshaler's output with HTML escaping on: whitespace between tokens
// removed, '<', '>', '&', U+2028 and U+2029 escaped as \u00XX and \u202X,
// everything else as it is (escapes, numbers, invalid UTF-8). An invalid
// document is an error (no byte of src is in it), as it is there; on error
// dst is returned unchanged.
func AppendCompact(dst, src []byte) ([]byte, error) {
	return AppendCompactDepth(dst, src, MaxDepth)
}

// AppendCompactDepth is AppendCompact with another nesting limit.
//
// Bytes are copied in runs: src[pend:i] is what is still to be copied as it
// is, flushed only where something is left out (whitespace) or changed (an
// escaped character). A body that is already compact and needs no escaping,
// as the apiserver writes them, is one append.
func AppendCompactDepth(dst, src []byte, maxDepth int) ([]byte, error) {
	n0 := len(dst)
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	const (
		stValue = iota // a value is next
		stKey          // an object key is next (after '{' or ',')
		stEnd          // a value ended
	)
	st, i, pend := stValue, 0, 0
	var err error
	for {
		if i < len(src) && src[i] <= ' ' && IsSpace(src[i]) {
			dst = append(dst, src[pend:i]...)
			for i < len(src) && IsSpace(src[i]) {
				i++
			}
			pend = i
		}
		switch st {
		case stValue:
			if i >= len(src) {
				return dst[:n0], errEndOfJSON
			}
			switch c := src[i]; c {
			case '{', '[':
				if len(stack) >= maxDepth {
					return dst[:n0], syntaxErr("exceeded max depth", i)
				}
				stack = append(stack, c)
				i++
				if i < len(src) && src[i] <= ' ' && IsSpace(src[i]) {
					dst = append(dst, src[pend:i]...)
					for i < len(src) && IsSpace(src[i]) {
						i++
					}
					pend = i
				}
				if i < len(src) && src[i] == c+2 { // '}' or ']'
					i++
					stack = stack[:len(stack)-1]
					st = stEnd
				} else if c == '{' {
					st = stKey
				}
				continue
			case '"':
				if dst, i, pend, err = compactString(dst, src, i, pend); err != nil {
					return dst[:n0], err
				}
			case 't':
				if i, err = literal(src, i, "true"); err != nil {
					return dst[:n0], err
				}
			case 'f':
				if i, err = literal(src, i, "false"); err != nil {
					return dst[:n0], err
				}
			case 'n':
				if i, err = literal(src, i, "null"); err != nil {
					return dst[:n0], err
				}
			default:
				j, ok := ScanNumber(src, i)
				if !ok {
					return dst[:n0], syntaxErr("invalid character looking for beginning of value", j)
				}
				i = j
			}
			st = stEnd
		case stKey:
			if i >= len(src) {
				return dst[:n0], errEndOfJSON
			}
			if src[i] != '"' {
				return dst[:n0], syntaxErr("invalid character looking for beginning of object key string", i)
			}
			if dst, i, pend, err = compactString(dst, src, i, pend); err != nil {
				return dst[:n0], err
			}
			if i < len(src) && src[i] <= ' ' && IsSpace(src[i]) {
				dst = append(dst, src[pend:i]...)
				for i < len(src) && IsSpace(src[i]) {
					i++
				}
				pend = i
			}
			if i >= len(src) {
				return dst[:n0], errEndOfJSON
			}
			if src[i] != ':' {
				return dst[:n0], syntaxErr("invalid character after object key", i)
			}
			i++
			st = stValue
		case stEnd:
			if len(stack) == 0 {
				if i != len(src) {
					return dst[:n0], syntaxErr("invalid character after top-level value", i)
				}
				return append(dst, src[pend:i]...), nil
			}
			if i >= len(src) {
				return dst[:n0], errEndOfJSON
			}
			top, c := stack[len(stack)-1], src[i]
			switch {
			case c == ',':
				i++
				if top == '{' {
					st = stKey
				} else {
					st = stValue
				}
			case c == top+2:
				i++
				stack = stack[:len(stack)-1]
			default:
				return dst[:n0], syntaxErr("invalid character after value", i)
			}
		}
	}
}

func IsSpace(c byte) bool {
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n')
}

func literal(src []byte, i int, lit string) (int, error) {
	if len(src)-i < len(lit) {
		for k := 1; i+k < len(src); k++ {
			if src[i+k] != lit[k] {
				return 0, syntaxErr("invalid character in literal", i+k)
			}
		}
		return 0, errEndOfJSON
	}
	if string(src[i:i+len(lit)]) != lit {
		return 0, syntaxErr("invalid character in literal", i)
	}
	return i + len(lit), nil
}

// ScanNumber returns the end of the JSON number at src[i:] (ok false, and
// the offset of the bad byte, when there is none).
func ScanNumber(src []byte, i int) (int, bool) {
	if i < len(src) && src[i] == '-' {
		i++
	}
	if i >= len(src) {
		return i, false
	}
	switch c := src[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	default:
		return i, false
	}
	if i < len(src) && src[i] == '.' {
		i++
		if i >= len(src) || !isDigit(src[i]) {
			return i, false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || !isDigit(src[i]) {
			return i, false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	return i, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func IsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// compactString checks the JSON string at src[i] (its opening quote),
// escaping the HTML characters and U+2028/U+2029: src[pend:] is still to be
// copied; it returns the offset after the closing quote and the new pend.
func compactString(dst, src []byte, i, pend int) ([]byte, int, int, error) {
	i++
	for {
		// Most strings (keys, short values) end within a few bytes: a byte
		// loop first, 8 bytes at a time past that.
		for end := min(len(src), i+16); i < end && !jsonStrSpecial[src[i]]; {
			i++
		}
		if i < len(src) && !jsonStrSpecial[src[i]] {
			for ; i+8 <= len(src); i += 8 {
				if HTMLStop(binary.LittleEndian.Uint64(src[i:])) != 0 {
					break
				}
			}
			for i < len(src) && !jsonStrSpecial[src[i]] {
				i++
			}
		}
		if i >= len(src) {
			return dst, i, pend, errEndOfJSON
		}
		switch c := src[i]; c {
		case '"':
			return dst, i + 1, pend, nil
		case '\\':
			i++
			if i >= len(src) {
				return dst, i, pend, errEndOfJSON
			}
			switch src[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for k := 0; k < 4; k++ {
					if i >= len(src) {
						return dst, i, pend, errEndOfJSON
					}
					if !IsHex(src[i]) {
						return dst, i, pend, syntaxErr("invalid character in \\u hexadecimal character escape", i)
					}
					i++
				}
			default:
				return dst, i, pend, syntaxErr("invalid character in string escape code", i)
			}
		case '<', '>', '&':
			dst = append(dst, src[pend:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xF])
			i++
			pend = i
		case 0xE2:
			if i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8 {
				dst = append(dst, src[pend:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigit[src[i+2]&0xF])
				i += 3
				pend = i
			} else {
				i++
			}
		default: // a control byte
			return dst, i, pend, syntaxErr("invalid character in string literal", i)
		}
	}
}

const hexDigit = "0123456789abcdef"
