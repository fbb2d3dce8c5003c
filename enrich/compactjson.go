package enrich

import (
	"errors"
	"strconv"
)

// maxCompactDepth is encoding/json's nesting limit: deeper bodies are an
// error there, and so here.
const maxCompactDepth = 10000

// jsonStrSpecial marks the bytes of a JSON string that appendCompactJSON
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

// appendCompactJSON appends src, a JSON document, as encoding/json writes a
// json.Marshaler's output with HTML escaping on: whitespace between tokens
// removed, '<', '>', '&', U+2028 and U+2029 escaped as \u00XX and \u202X,
// everything else as it is (escapes, numbers, invalid UTF-8). An invalid
// document is an error (no byte of src is in it), as it is there; on error
// dst is returned unchanged.
func appendCompactJSON(dst, src []byte) ([]byte, error) {
	return appendCompactJSONDepth(dst, src, maxCompactDepth)
}

// appendCompactJSONDepth is appendCompactJSON with another nesting limit.
func appendCompactJSONDepth(dst, src []byte, maxDepth int) ([]byte, error) {
	n0 := len(dst)
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	const (
		stValue = iota // a value is next
		stKey          // an object key is next (after '{' or ',')
		stEnd          // a value ended
	)
	st, i := stValue, 0
	var err error
	for {
		for i < len(src) && isJSONSpace(src[i]) {
			i++
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
				dst = append(dst, c)
				i++
				for i < len(src) && isJSONSpace(src[i]) {
					i++
				}
				if i < len(src) && src[i] == c+2 { // '}' or ']'
					dst = append(dst, c+2)
					i++
					stack = stack[:len(stack)-1]
					st = stEnd
				} else if c == '{' {
					st = stKey
				}
				continue
			case '"':
				if dst, i, err = compactString(dst, src, i); err != nil {
					return dst[:n0], err
				}
			case 't':
				if i, err = literal(src, i, "true"); err != nil {
					return dst[:n0], err
				}
				dst = append(dst, "true"...)
			case 'f':
				if i, err = literal(src, i, "false"); err != nil {
					return dst[:n0], err
				}
				dst = append(dst, "false"...)
			case 'n':
				if i, err = literal(src, i, "null"); err != nil {
					return dst[:n0], err
				}
				dst = append(dst, "null"...)
			default:
				j, ok := scanNumber(src, i)
				if !ok {
					return dst[:n0], syntaxErr("invalid character looking for beginning of value", j)
				}
				dst = append(dst, src[i:j]...)
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
			if dst, i, err = compactString(dst, src, i); err != nil {
				return dst[:n0], err
			}
			for i < len(src) && isJSONSpace(src[i]) {
				i++
			}
			if i >= len(src) {
				return dst[:n0], errEndOfJSON
			}
			if src[i] != ':' {
				return dst[:n0], syntaxErr("invalid character after object key", i)
			}
			dst = append(dst, ':')
			i++
			st = stValue
		case stEnd:
			if len(stack) == 0 {
				if i != len(src) {
					return dst[:n0], syntaxErr("invalid character after top-level value", i)
				}
				return dst, nil
			}
			if i >= len(src) {
				return dst[:n0], errEndOfJSON
			}
			top, c := stack[len(stack)-1], src[i]
			switch {
			case c == ',':
				dst = append(dst, ',')
				i++
				if top == '{' {
					st = stKey
				} else {
					st = stValue
				}
			case c == top+2:
				dst = append(dst, c)
				i++
				stack = stack[:len(stack)-1]
			default:
				return dst[:n0], syntaxErr("invalid character after value", i)
			}
		}
	}
}

func isJSONSpace(c byte) bool {
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

// scanNumber returns the end of the JSON number at src[i:] (ok false, and
// the offset of the bad byte, when there is none).
func scanNumber(src []byte, i int) (int, bool) {
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

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// compactString copies the JSON string at src[i] (its opening quote) with
// the HTML characters and U+2028/U+2029 escaped; it returns the offset after
// the closing quote.
func compactString(dst, src []byte, i int) ([]byte, int, error) {
	start := i // copied up to here
	i++
	for {
		for i < len(src) && !jsonStrSpecial[src[i]] {
			i++
		}
		if i >= len(src) {
			return dst, i, errEndOfJSON
		}
		switch c := src[i]; c {
		case '"':
			i++
			return append(dst, src[start:i]...), i, nil
		case '\\':
			i++
			if i >= len(src) {
				return dst, i, errEndOfJSON
			}
			switch src[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for k := 0; k < 4; k++ {
					if i >= len(src) {
						return dst, i, errEndOfJSON
					}
					if !isHex(src[i]) {
						return dst, i, syntaxErr("invalid character in \\u hexadecimal character escape", i)
					}
					i++
				}
			default:
				return dst, i, syntaxErr("invalid character in string escape code", i)
			}
		case '<', '>', '&':
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xF])
			i++
			start = i
		case 0xE2:
			if i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8 {
				dst = append(dst, src[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigit[src[i+2]&0xF])
				i += 3
				start = i
			} else {
				i++
			}
		default: // a control byte
			return dst, i, syntaxErr("invalid character in string literal", i)
		}
	}
}

const hexDigit = "0123456789abcdef"
