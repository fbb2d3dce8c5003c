package jsonx

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Kind is the kind of a tape token.
type Kind uint8

const (
	KindNull Kind = iota + 1
	KindTrue
	KindFalse
	KindNumber
	KindString
	KindObject
	KindArray
)

// Token is one value of a tape (or one object key, a KindString token
// before its value). Start and End are byte offsets into the document: a
// string's span includes its quotes, a container's runs from its opening
// to past its closing bracket. Next is the index of the token after the
// value (past a container's last token: skipping a value is one step).
// N is a container's number of members or elements, and for a string 1
// when it holds an escape (its bytes between the quotes are not its value).
type Token struct {
	Start, End uint32
	Next       uint32
	N          uint32
	Kind       Kind
}

// Raw is the token's text in src, the document it was read from.
func (t *Token) Raw(src []byte) []byte { return src[t.Start:t.End] }

// Escaped reports whether a string token holds an escape.
func (t *Token) Escaped() bool { return t.Kind == KindString && t.N != 0 }

// Tape is one JSON document read once into a flat list of tokens, in
// document order: an object is its token, then each member as a key token
// and the value's tokens; an array is its token, then its elements'. Every
// reader above walks the tape instead of the bytes. A Tape is reused from
// document to document (Parse keeps its storage); it is not safe for
// concurrent use.
type Tape struct {
	Src   []byte  // the document, as passed to Parse (not copied)
	Toks  []Token // the tokens; Toks[0] is the document's value
	stack []open
}

type open struct {
	tok uint32 // the container's token
	n   uint32 // members or elements so far
}

// The limits an audit event's body is read with, once for every reader
// (the rules' and the redactor's): the redactor's, which replaces a body
// beyond them whole.
const (
	BodyMaxDepth  = 200
	BodyMaxValues = 1 << 19
)

// ErrTooDeep and ErrTooLarge are ParseLimits' limits.
var (
	ErrTooDeep  = errors.New("nested too deep")
	ErrTooLarge = errors.New("too many values")
)

// SyntaxError is an invalid document; Offset is where reading stopped.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string {
	return "invalid JSON: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Parse reads src, one JSON document, into the tape, accepting exactly
// what encoding/json accepts (json.Valid: nesting up to MaxDepth
// containers, invalid UTF-8 allowed in strings). On error the tape is
// empty.
func (t *Tape) Parse(src []byte) error {
	return t.ParseLimits(src, math.MaxInt, math.MaxInt)
}

// ParseLimits is Parse with two limits checked at the start of every
// value, in document order, before its syntax: a value inside more than
// maxDepth containers is ErrTooDeep, the value past maxValues (keys are
// not values) is ErrTooLarge. The first problem met decides the error.
func (t *Tape) ParseLimits(src []byte, maxDepth, maxValues int) error {
	_, err := t.read(src, maxDepth, maxValues, false)
	return err
}

// ParsePrefix is ParseLimits of the JSON value src starts with (no space
// before it), which may be followed by anything: it returns the value's
// length n, and the tape is of src[:n] (Src). A decoder that meets a value
// it would otherwise skip reads it into a tape in the same pass.
func (t *Tape) ParsePrefix(src []byte, maxDepth, maxValues int) (n int, err error) {
	return t.read(src, maxDepth, maxValues, true)
}

func (t *Tape) read(src []byte, maxDepth, maxValues int, prefix bool) (n int, err error) {
	if need := min(len(src), 1<<20)/8 + 4; cap(t.Toks) < need {
		// One token per 8 bytes holds most documents (Kubernetes objects
		// take 10 bytes a token, the densest of the lab log's bodies 7.8):
		// grown once, not token by token; a denser one grows by append.
		t.Toks = make([]Token, 0, need)
	}
	t.Toks, t.stack, n, err = parse(src, t.Toks[:0], t.stack[:0], maxDepth, maxValues, prefix)
	t.stack = t.stack[:0]
	if err != nil {
		t.Toks, t.Src = t.Toks[:0], nil
		return 0, err
	}
	t.Src = src[:n]
	return n, nil
}

func syntax(msg string, off int) error { return &SyntaxError{Msg: msg, Offset: off} }

// parse appends the tokens of src to toks (its storage reused, as is
// stack's), with everything in locals. With prefix, it stops at the end of
// the first value and returns where that is; else the value must be all of
// src but spaces.
func parse(src []byte, toks []Token, stack []open, maxDepth, maxValues int, prefix bool) ([]Token, []open, int, error) {
	if uint64(len(src)) >= math.MaxUint32 {
		if !prefix {
			return toks, stack, 0, syntax("document too large", 0)
		}
		src = src[:math.MaxUint32-1] // offsets fit: a longer value fails as cut short
	}
	b := src
	i := 0
	values := 0
	for i < len(b) && b[i] <= ' ' && IsSpace(b[i]) {
		i++
	}
	// Read a value at i, then what follows it, until the top-level value
	// ends.
value:
	if len(stack) > maxDepth {
		return toks, stack, 0, ErrTooDeep
	}
	values++
	if values > maxValues {
		return toks, stack, 0, ErrTooLarge
	}
	if i >= len(b) {
		return toks, stack, 0, syntax("unexpected end of JSON input", i)
	}
	if len(stack) > 0 {
		stack[len(stack)-1].n++
	}
	switch c := b[i]; c {
	case '{', '[':
		if len(stack) >= MaxDepth {
			return toks, stack, 0, syntax("exceeded max depth", i)
		}
		k := Kind(KindObject)
		if c == '[' {
			k = KindArray
		}
		stack = append(stack, open{tok: uint32(len(toks))})
		toks = grow(toks)
		tk := &toks[len(toks)-1]
		tk.Start = uint32(i)
		tk.Kind = k
		i++
		for i < len(b) && b[i] <= ' ' && IsSpace(b[i]) {
			i++
		}
		if i < len(b) && b[i] == c+2 { // '}' or ']'
			goto closeContainer
		}
		if c == '[' {
			goto value
		}
		goto key
	case '"':
		j, esc := ScanSkip(b, i+1), uint32(0) // a plain string ends at j
		if j < len(b) && b[j] == '"' {
			j++
		} else {
			var err error
			if j, esc, err = scanStringTok(b, i); err != nil {
				return toks, stack, 0, err
			}
		}
		toks = grow(toks)
		tk := &toks[len(toks)-1]
		tk.Start = uint32(i)
		tk.End = uint32(j)
		tk.Next = uint32(len(toks))
		tk.N = esc
		tk.Kind = KindString
		i = j
	case 't', 'f', 'n':
		lit, k := "true", KindTrue
		if c == 'f' {
			lit, k = "false", KindFalse
		} else if c == 'n' {
			lit, k = "null", KindNull
		}
		j, err := literal(b, i, lit)
		if err != nil {
			return toks, stack, 0, tapeErr(err, i)
		}
		toks = grow(toks)
		tk := &toks[len(toks)-1]
		tk.Start = uint32(i)
		tk.End = uint32(j)
		tk.Next = uint32(len(toks))
		tk.Kind = k
		i = j
	default:
		j, ok := ScanNumber(b, i)
		if !ok {
			if j >= len(b) {
				return toks, stack, 0, syntax("unexpected end of JSON input", j)
			}
			return toks, stack, 0, syntax("invalid character in number", j)
		}
		toks = grow(toks)
		tk := &toks[len(toks)-1]
		tk.Start = uint32(i)
		tk.End = uint32(j)
		tk.Next = uint32(len(toks))
		tk.Kind = KindNumber
		i = j
	}
	// A value ended at i.
after:
	if len(stack) == 0 && prefix {
		return toks, stack, i, nil
	}
	for i < len(b) && b[i] <= ' ' && IsSpace(b[i]) {
		i++
	}
	if len(stack) == 0 {
		if i != len(b) {
			return toks, stack, 0, syntax("invalid character after top-level value", i)
		}
		return toks, stack, i, nil
	}
	if i >= len(b) {
		return toks, stack, 0, syntax("unexpected end of JSON input", i)
	}
	{
		top := &toks[stack[len(stack)-1].tok]
		switch c := b[i]; {
		case c == ',':
			i++
			for i < len(b) && b[i] <= ' ' && IsSpace(b[i]) {
				i++
			}
			if top.Kind == KindArray {
				goto value
			}
			goto key
		case c == '}' && top.Kind == KindObject, c == ']' && top.Kind == KindArray:
			goto closeContainer
		default:
			return toks, stack, 0, syntax("invalid character after value", i)
		}
	}
closeContainer: // b[i] closes the innermost container
	{
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		tk := &toks[o.tok]
		tk.End, tk.Next, tk.N = uint32(i+1), uint32(len(toks)), o.n
		i++
		goto after
	}
key: // an object key is at i (spaces skipped)
	// The string token below is the value case's, inline twice on purpose:
	// a shared function call costs the tape 10 % on real bodies
	// (BenchmarkTapeBodies).
	if i >= len(b) {
		return toks, stack, 0, syntax("unexpected end of JSON input", i)
	}
	if b[i] != '"' {
		return toks, stack, 0, syntax("invalid character looking for beginning of object key string", i)
	}
	{
		j, esc := ScanSkip(b, i+1), uint32(0) // a plain string ends at j
		if j < len(b) && b[j] == '"' {
			j++
		} else {
			var err error
			if j, esc, err = scanStringTok(b, i); err != nil {
				return toks, stack, 0, err
			}
		}
		toks = grow(toks)
		tk := &toks[len(toks)-1]
		tk.Start = uint32(i)
		tk.End = uint32(j)
		tk.Next = uint32(len(toks))
		tk.N = esc
		tk.Kind = KindString
		i = j
	}
	for i < len(b) && b[i] <= ' ' && IsSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return toks, stack, 0, syntax("unexpected end of JSON input", i)
	}
	if b[i] != ':' {
		return toks, stack, 0, syntax("invalid character after object key", i)
	}
	i++
	for i < len(b) && b[i] <= ' ' && IsSpace(b[i]) {
		i++
	}
	goto value
}

// grow is toks one token longer, the new one's fields left to the
// caller: set in place (a Token literal appended goes through the stack).
func grow(toks []Token) []Token {
	if n := len(toks); n < cap(toks) {
		toks = toks[:n+1]
		toks[n] = Token{}
		return toks
	}
	return append(toks, Token{})
}

func tapeErr(err error, off int) error {
	if err == errEndOfJSON {
		return syntax("unexpected end of JSON input", off)
	}
	return syntax("invalid character in literal", off)
}

// scanStringTok checks the string at b[i] (its opening quote): the offset
// past its closing quote, and 1 when it holds an escape.
func scanStringTok(b []byte, i int) (int, uint32, error) {
	i = ScanSkip(b, i+1) // 8 bytes at a time, the stop byte from its word
	if i < len(b) && b[i] == '"' {
		return i + 1, 0, nil
	}
	esc := uint32(0)
	for {
		i = ScanSkip(b, i)
		if i >= len(b) {
			return i, esc, syntax("unexpected end of JSON input", i)
		}
		switch b[i] {
		case '"':
			return i + 1, esc, nil
		case '\\':
			esc = 1
			i++
			if i >= len(b) {
				return i, esc, syntax("unexpected end of JSON input", i)
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for k := 0; k < 4; k++ {
					if i >= len(b) {
						return i, esc, syntax("unexpected end of JSON input", i)
					}
					if !IsHex(b[i]) {
						return i, esc, syntax("invalid character in \\u hexadecimal character escape", i)
					}
					i++
				}
			default:
				return i, esc, syntax("invalid character in string escape code", i)
			}
		default: // a control byte
			return i, esc, syntax("invalid character in string literal", i)
		}
	}
}

// Skip is the index of the token after the value at k.
func (t *Tape) Skip(k int) int { return int(t.Toks[k].Next) }

// Raw is the text of the value at k.
func (t *Tape) Raw(k int) []byte { return t.Src[t.Toks[k].Start:t.Toks[k].End] }

// Plain is the value of a string token without escape, as a view of the
// document's bytes; ok false when it holds an escape (the caller decodes
// it as its semantics say) or is not a string.
func (t *Tape) Plain(k int) (s []byte, ok bool) {
	tk := &t.Toks[k]
	if tk.Kind != KindString || tk.N != 0 {
		return nil, false
	}
	return t.Src[tk.Start+1 : tk.End-1], true
}

// Member finds key in the object at k (the last member so named, as
// encoding/json's maps keep it; keys compared as written, escapes not
// decoded): the index of its value, or -1.
func (t *Tape) Member(k int, key string) int {
	tk := &t.Toks[k]
	if tk.Kind != KindObject {
		return -1
	}
	found := -1
	for i := k + 1; i < int(tk.Next); {
		kt := &t.Toks[i]
		if kt.N == 0 && string(t.Src[kt.Start+1:kt.End-1]) == key {
			found = i + 1
		}
		i = int(t.Toks[i+1].Next)
	}
	return found
}

// AppendUnquote appends the value of the JSON string literal lit (with its
// quotes, already checked: a tape's string token) as encoding/json decodes
// it: escapes decoded, invalid UTF-8 and unpaired surrogates as U+FFFD.
func AppendUnquote(dst, lit []byte) []byte {
	s := lit[1 : len(lit)-1]
	for i := 0; i < len(s); {
		j := ScanString(s, i)
		dst = append(dst, s[i:j]...)
		i = j
		if i >= len(s) {
			break
		}
		c := s[i]
		if c != '\\' {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if p := utf16.DecodeRune(r, hex4(s[i+2:])); p != utf8.RuneError {
						dst = utf8.AppendRune(dst, p)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
	}
	return dst
}

// hex4 is the value of 4 hex digits (checked by the tape).
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Str is the value of the string token at k as encoding/json decodes it: a
// view of the document when it holds neither escape nor invalid UTF-8, a
// new string otherwise.
func (t *Tape) Str(k int) string {
	tk := &t.Toks[k]
	s := t.Src[tk.Start+1 : tk.End-1]
	if tk.N == 0 && utf8.Valid(s) {
		if len(s) == 0 {
			return ""
		}
		return unsafe.String(&s[0], len(s))
	}
	b := AppendUnquote(nil, t.Src[tk.Start:tk.End])
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
