package redact

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// A small JSON tree that keeps key order and the original bytes of every
// value, so that a body is parsed once, walked once, and re-serialised only
// where something was redacted: untouched parts are copied byte for byte.

type nodeKind uint8

const (
	kNull nodeKind = iota
	kBool
	kNum
	kStr
	kObj
	kArr
)

type node struct {
	kind nodeKind
	// raw is the value's original text; nil once the node was changed.
	raw []byte
	// str is the decoded value of a string.
	str string
	// keys and vals are an object's members in order (keys decoded), or an
	// array's elements (keys nil).
	keys  []string
	vals  []*node
	dirty bool // changed below: re-serialise instead of copying raw
}

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) getStr(key string) string {
	if v := n.get(key); v != nil && v.kind == kStr {
		return v.str
	}
	return ""
}

// setStr replaces a node's value by a string.
func (n *node) setStr(s string) {
	*n = node{kind: kStr, str: s, dirty: true}
}

// remove deletes member i of an object.
func (n *node) remove(i int) {
	n.keys = append(n.keys[:i], n.keys[i+1:]...)
	n.vals = append(n.vals[:i], n.vals[i+1:]...)
	n.dirty = true
}

var (
	errTooDeep  = errors.New("nested too deep")
	errTooLarge = errors.New("too large")
	errSyntax   = errors.New("invalid JSON")
)

// arena holds the memory of parsed trees, reused from event to event (a
// Redactor keeps a pool of them): node chunks, member slabs and the tapes
// documents are read into.
type arena struct {
	nodes  [][]node
	ks     [][]string
	vs     [][]*node
	ni     int // chunks in use
	ki, vi int
	held   int           // values the chunks can hold
	tape   jsonx.Tape    // what parse reads a document into
	inner  []*jsonx.Tape // the prescan's, for last-applied manifests
}

// maxPooledValues bounds what an arena keeps between events.
const maxPooledValues = 1 << 16

// reset clears what the last tree used (no reference to an old body stays)
// and reports whether the arena is worth keeping.
func (a *arena) reset() bool {
	for _, c := range a.nodes[:a.ni] {
		clear(c)
	}
	for _, c := range a.ks[:a.ki] {
		clear(c)
	}
	for _, c := range a.vs[:a.vi] {
		clear(c)
	}
	a.ni, a.ki, a.vi = 0, 0, 0
	a.tape.Src = nil
	for _, t := range a.inner {
		t.Src = nil
	}
	if cap(a.tape.Toks) > 2*maxPooledValues {
		a.tape = jsonx.Tape{}
	}
	return a.held <= maxPooledValues
}

// parser builds a tree from a tape, and decodes strings.
type parser struct {
	b     []byte
	pos   int
	a     *arena
	chunk []node
	slabK []string
	slabV []*node
	grain int // allocation unit, from the body size
}

func (p *parser) carveK(n int) []string {
	if len(p.slabK) < n {
		a := p.a
		if a.ki < len(a.ks) && len(a.ks[a.ki]) >= n {
			p.slabK = a.ks[a.ki]
		} else {
			c := make([]string, max(p.grain, n))
			if a.ki < len(a.ks) {
				a.ks[a.ki] = c
			} else {
				a.ks = append(a.ks, c)
			}
			p.slabK = c
		}
		a.ki++
	}
	s := p.slabK[:n:n]
	p.slabK = p.slabK[n:]
	return s
}

func (p *parser) carveV(n int) []*node {
	if len(p.slabV) < n {
		a := p.a
		if a.vi < len(a.vs) && len(a.vs[a.vi]) >= n {
			p.slabV = a.vs[a.vi]
		} else {
			c := make([]*node, max(p.grain, n))
			if a.vi < len(a.vs) {
				a.vs[a.vi] = c
			} else {
				a.vs = append(a.vs, c)
			}
			p.slabV = c
		}
		a.vi++
	}
	s := p.slabV[:n:n]
	p.slabV = p.slabV[n:]
	return s
}

func (p *parser) alloc() *node {
	if len(p.chunk) == 0 {
		a := p.a
		if a.ni < len(a.nodes) {
			p.chunk = a.nodes[a.ni]
		} else {
			c := make([]node, p.grain)
			a.nodes = append(a.nodes, c)
			a.held += len(c)
			p.chunk = c
			p.grain = min(p.grain*2, 4096) // bodies with many values: fewer, larger chunks
		}
		a.ni++
	}
	n := &p.chunk[0]
	p.chunk = p.chunk[1:]
	return n
}

// parse reads one JSON document into a tree held by a (until a.reset):
// the document is read once into the arena's tape (jsonx.Tape: syntax and
// limits, in document order, as the recursive parser this replaced), and
// the tree built from the tokens. Errors never quote the input.
func parse(b []byte, maxDepth, maxNodes int, a *arena) (*node, error) {
	if err := a.tape.ParseLimits(b, maxDepth, maxNodes); err != nil {
		return nil, tapeErr(err)
	}
	return buildTree(&a.tape, a), nil
}

// tapeErr is the parser's error for a tape's.
func tapeErr(err error) error {
	var se *jsonx.SyntaxError
	switch {
	case err == jsonx.ErrTooDeep:
		return errTooDeep
	case err == jsonx.ErrTooLarge:
		return errTooLarge
	case errors.As(err, &se):
		return fmt.Errorf("%w at byte %d", errSyntax, se.Offset)
	}
	return errSyntax
}

// buildTree builds the tree of a tape read without error, in a.
func buildTree(tp *jsonx.Tape, a *arena) *node {
	// A first guess of one value per 32 bytes; chunks grow from there.
	p := &parser{b: tp.Src, a: a, grain: min(max(len(tp.Src)/32, 8), 256)}
	return p.build(tp, 0)
}

func (p *parser) build(tp *jsonx.Tape, k int) *node {
	tk := &tp.Toks[k]
	n := p.alloc()
	n.raw = p.b[tk.Start:tk.End]
	switch tk.Kind {
	case jsonx.KindObject:
		n.kind = kObj
		if tk.N > 0 {
			n.keys, n.vals = p.carveK(int(tk.N)), p.carveV(int(tk.N))
			for j, i := 0, k+1; j < len(n.keys); j++ {
				n.keys[j] = p.strTok(tp, i)
				n.vals[j] = p.build(tp, i+1)
				i = int(tp.Toks[i+1].Next)
			}
		}
	case jsonx.KindArray:
		n.kind = kArr
		if tk.N > 0 {
			n.vals = p.carveV(int(tk.N))
			for j, i := 0, k+1; j < len(n.vals); j++ {
				n.vals[j] = p.build(tp, i)
				i = int(tp.Toks[i].Next)
			}
		}
	case jsonx.KindString:
		n.kind = kStr
		n.str = p.strTok(tp, k)
	case jsonx.KindNumber:
		n.kind = kNum
	case jsonx.KindNull:
		n.kind = kNull
	default:
		n.kind = kBool
	}
	return n
}

// strTok is the value of the string token k, as str decodes it: a view of
// the document's bytes when it holds no escape (invalid UTF-8 kept as it
// is).
func (p *parser) strTok(tp *jsonx.Tape, k int) string { return tokStr(tp, k) }

func tokStr(tp *jsonx.Tape, k int) string {
	tk := &tp.Toks[k]
	if !tk.Escaped() {
		if tk.End-tk.Start == 2 {
			return ""
		}
		return unsafe.String(&tp.Src[tk.Start+1], tk.End-tk.Start-2)
	}
	p := parser{b: tp.Src, pos: int(tk.Start)}
	s, _ := p.str() // checked by the tape
	return s
}

func (p *parser) fail() error {
	return fmt.Errorf("%w at byte %d", errSyntax, p.pos)
}

// str reads a string at p.pos (on its opening quote) and decodes it.
// Quotes and backslashes are found with bytes.IndexByte (vectorised), each
// position searched once.
func (p *parser) str() (string, error) {
	b := p.b
	start := p.pos + 1
	// Most strings are plain (no escape): one pass, eight bytes at a time,
	// finds the first quote, backslash or control character. A quote ends
	// the string exactly as below; anything else goes the general way.
	if i := jsonx.ScanSkip(b, start); i < len(b) && b[i] == '"' {
		p.pos = i + 1
		if i == start {
			return "", nil
		}
		return unsafe.String(&b[start], i-start), nil
	}
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
		// The first quote from i must exist (else the error is at the
		// end); up to it, the first quote, backslash or control character
		// decides.
		if qpos >= 0 && qpos < i {
			qpos = indexFrom(b, i, '"')
		}
		if qpos < 0 {
			p.pos = len(b)
			return "", p.fail()
		}
		j := jsonx.ScanSkip(b[:qpos+1], i)
		buf = append(buf, b[i:j]...)
		if c := b[j]; c == '"' {
			p.pos = j + 1
			if len(buf) == 0 {
				return "", nil
			}
			return unsafe.String(&buf[0], len(buf)), nil // buf is ours alone and never written again
		} else if c != '\\' {
			p.pos = j
			return "", p.fail()
		}
		i = j
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

// indexFrom is bytes.IndexByte from position i, as an absolute position.
func indexFrom(b []byte, i int, c byte) int {
	if i >= len(b) {
		return -1
	}
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return -1
}

// ctl is the position of the first control character (not allowed raw in
// a JSON string), or -1.
func ctl(b []byte) int {
	for i, c := range b {
		if c < 0x20 {
			return i
		}
	}
	return -1
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(v), err == nil
}

// appendNode serialises n: raw bytes where unchanged.
func appendNode(dst []byte, n *node) []byte {
	if n.raw != nil && (!n.dirty || n.kind == kNum || n.kind == kBool || n.kind == kNull) {
		return append(dst, n.raw...)
	}
	switch n.kind {
	case kObj:
		dst = append(dst, '{')
		for i, k := range n.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonx.Append(dst, k)
			dst = append(dst, ':')
			dst = appendNode(dst, n.vals[i])
		}
		return append(dst, '}')
	case kArr:
		dst = append(dst, '[')
		for i, v := range n.vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendNode(dst, v)
		}
		return append(dst, ']')
	case kStr:
		return jsonx.Append(dst, n.str)
	}
	return append(dst, "null"...)
}
