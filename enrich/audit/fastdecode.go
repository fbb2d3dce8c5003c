package audit

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// unmarshalEvent is the fast path of Decode: it decodes doc, one JSON object,
// into *ev (which must be the zero Event) exactly as json.Unmarshal(doc, ev)
// would, in one pass and without reflection, and returns the raw value of the
// top-level "timestamp" key (v1beta1 events), nil when absent.
//
// It handles what real audit logs hold and gives up (ok false, *ev reset to
// zero) on anything else: a syntax error anywhere, a type that encoding/json
// would reject, a key that matches a field only case-insensitively, a repeated
// field, a non-ASCII or escaped field name, an "items" key (EventList), deep
// nesting. The caller then uses encoding/json, which yields the result or the
// exact error. TestUnmarshalEventMatchesEncodingJSON and
// FuzzUnmarshalEvent hold it to that.
func unmarshalEvent(doc []byte, ev *auditv1.Event) (timestamp []byte, ok bool) {
	ts, _, ok := unmarshalEventRaw(doc, ev, nil, false, nil)
	return ts, ok
}

// unmarshalEventRaw is unmarshalEvent that also returns the event's own
// bytes (doc itself, not a copy) when every member of the document was
// decoded into the event: no unknown field anywhere outside the bodies.
// Those bytes then say exactly what the event says. With spans not nil (and
// zero), it writes there where each top-level member of doc is (a member
// doc does not have keeps the zero Span); they are meant only with raw.
// With alias, the event's strings and bodies are views of doc itself, not of
// a private copy: doc must then stay unchanged while the event is used.
// With an arena, the event's parts and annotations are in its memory (see
// Arena).
func unmarshalEventRaw(doc []byte, ev *auditv1.Event, spans *[record.NumMembers]record.Span, alias bool, a *Arena) (timestamp, raw []byte, ok bool) {
	d := fastDec{b: doc, spans: spans, alias: alias, arena: a}
	if ts, ok := d.event(ev); ok {
		d.ws()
		if d.i == len(d.b) {
			if !d.skipped && uint64(len(doc)) <= math.MaxUint32 {
				raw = doc
			}
			return ts, raw, true
		}
	}
	*ev = auditv1.Event{}
	return nil, nil, false
}

// maxFastDepth bounds nesting on the fast path (encoding/json allows 10000;
// deeper documents take the slow path, which reports them).
const maxFastDepth = 1000

type fastDec struct {
	b []byte
	i int
	// own is a copy of b, made on first need: the event's strings are views
	// of it (an escaped string is decoded in place over its own quoted
	// bytes, which are never shorter, unless invalid UTF-8 makes it grow),
	// and so are its bodies, each capped at its end. The copy is private to
	// one call and never changes after the views are made (the redactor
	// replaces a body rather than writing into it, and even if it did, it
	// could only reach that body's bytes), so the events stay valid however
	// the caller reuses doc. One allocation the size of the document instead
	// of one per string and per body; an event keeps its whole document
	// alive while any of its strings is.
	own []byte
	// lists holds the elements of the event's string lists (groups,
	// sourceIPs, extra values), each list a capacity-bounded window of it:
	// one allocation for most events instead of one or two per list.
	lists []string
	// parts holds the objectRef and responseStatus of the event, which
	// nearly every event has, its bodies, and the first string list
	// elements: one allocation for all (none in an Arena).
	parts *eventParts
	// skipped is set when a member that no field takes was skipped.
	skipped bool
	// alias: the caller keeps b unchanged while the decoded values are
	// used (DecodeRaw), so views are of b itself and no copy is made; an
	// escaped string is then decoded into a buffer of its own.
	alias bool
	// spans, when not nil, receives the span of each member of the
	// top-level object (depth 0: unmarshalEventRaw).
	spans *[record.NumMembers]record.Span
	// arena, when not nil, holds the event's parts and annotations map,
	// and tapes (taken from it on the first body) the tapes of its bodies.
	arena *Arena
	tapes *Tapes
}

type eventParts struct {
	ref    auditv1.ObjectReference
	status metav1.Status
	// details is the responseStatus's.
	details metav1.StatusDetails
	bodies  [2]runtime.Unknown // requestObject, responseObject
	lists   [6]string
}

func (d *fastDec) eventParts() *eventParts {
	if d.parts == nil {
		if d.arena != nil {
			d.parts = d.arena.part()
		} else {
			d.parts = new(eventParts)
		}
	}
	return d.parts
}

// copyDoc returns own, the private copy of the document, or the document
// itself when the decoder aliases it.
func (d *fastDec) copyDoc() []byte {
	if d.alias {
		return d.b
	}
	if d.own == nil {
		d.own = bytes.Clone(d.b)
	}
	return d.own
}

// text returns the string of d.b[start:end], which holds no escape: a view
// of the private copy.
func (d *fastDec) text(start, end int) string {
	if start == end {
		return ""
	}
	return unsafe.String(&d.copyDoc()[start], end-start)
}

// JSON field names per Go type, as encoding/json sees them. A key that is not
// one of them exactly but equals one case-insensitively makes the fast path
// give up (encoding/json would fill the field). TestFastDecodeFieldTables
// checks these against the types by reflection.
var (
	eventFields      = []string{"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser", "authenticationMetadata", "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp", "stageTimestamp", "annotations"}
	userFields       = []string{"username", "uid", "groups", "extra"}
	authnMetaFields  = []string{"impersonationConstraint"}
	objectRefFields  = []string{"resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "resourceVersion", "subresource"}
	statusFields     = []string{"kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"}
	listMetaFields   = []string{"selfLink", "resourceVersion", "continue", "remainingItemCount", "shardInfo"}
	detailsFields    = []string{"name", "group", "kind", "uid", "causes", "retryAfterSeconds"}
	causeFields      = []string{"reason", "message", "field"}
	topLevelExtras   = []string{"timestamp", "items"}
	eventFieldsExtra = append(append([]string(nil), eventFields...), topLevelExtras...)
)

func (d *fastDec) ws() {
	i, b := d.i, d.b
	if i < len(b) && b[i] > ' ' {
		return // the common case: compact JSON
	}
	for i < len(b) && jsonx.IsSpace(b[i]) {
		i++
	}
	d.i = i
}

// peek returns the next non-space byte (0 at the end).
func (d *fastDec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *fastDec) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c { // compact JSON: no space to skip
		d.i++
		return true
	}
	return d.eatSpaced(c)
}

// eatSpaced is eat past spaces (out of eat, which is inlined).
func (d *fastDec) eatSpaced(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

// null consumes a null literal if one is next.
func (d *fastDec) null() bool {
	if d.peek() == 'n' && len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// fields iterates over the members of an object whose keys are struct field
// names: for a known name it calls set with the name's index in names and
// with d positioned at the value; an unknown key's value is skipped.
func (d *fastDec) fields(names []string, depth int, set func(int) bool) bool {
	if depth > maxFastDepth || !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return true
	}
	var seen uint64
	next := 0 // where the key is looked for first: writers keep struct order
	for {
		if d.peek() != '"' {
			return false
		}
		keyAt := d.i
		// The names from next on are tried against the bytes as they are
		// (a quoted name, then the closing quote): no scan for the end of
		// the key in the usual case.
		idx := -1
		var key []byte
		for j := next; j < len(names); j++ {
			if e := keyAt + 1 + len(names[j]); e < len(d.b) && d.b[e] == '"' && string(d.b[keyAt+1:e]) == names[j] {
				idx, key, d.i = j, d.b[keyAt+1:e], e+1
				break
			}
		}
		if idx < 0 {
			var ok bool
			if key, ok = d.plainKey(); !ok {
				return false
			}
		}
		if d.i < len(d.b) && d.b[d.i] == ':' { // eat(':'), inlined by hand
			d.i++
		} else if !d.eatSpaced(':') {
			return false
		}
		if idx < 0 {
			for j := 0; j < next; j++ {
				if names[j] == string(key) {
					idx = j
					break
				}
			}
		}
		if idx < 0 {
			for _, n := range names {
				if bytes.EqualFold([]byte(n), key) {
					return false // encoding/json would match it
				}
			}
			d.skipped = true
			d.ws()
			if !d.skip(depth + 1) {
				return false
			}
		} else {
			if seen&(1<<idx) != 0 {
				return false // repeated field: merging semantics, leave it to encoding/json
			}
			seen |= 1 << idx
			next = idx + 1
			d.ws()
			valueAt := d.i
			if !set(idx) {
				return false
			}
			if depth == 0 && d.spans != nil && idx < len(d.spans) {
				// A member of the event: its index in eventFieldsExtra
				// is its record.Member (TestMemberOrder).
				d.spans[idx] = record.Span{Key: uint32(keyAt), Value: uint32(valueAt), End: uint32(d.i)}
			}
		}
		if d.i < len(d.b) && d.b[d.i] == ',' { // eat(','), inlined by hand
			d.i++
			continue
		}
		if d.eatSpaced(',') {
			continue
		}
		return d.eat('}')
	}
}

// plainKey reads an object key made of printable ASCII without escapes.
func (d *fastDec) plainKey() ([]byte, bool) {
	b := d.b
	start := d.i + 1 // after '"'
	i := jsonx.ScanString(b, start)
	if i < len(b) && b[i] == '"' {
		d.i = i + 1
		return b[start:i], true
	}
	return nil, false
}

// str reads a string value (null gives ""), unquoted as encoding/json does.
func (d *fastDec) str() (string, bool) {
	switch d.peek() {
	case '"':
	case 'n':
		return "", d.null()
	default:
		return "", false
	}
	start := d.i + 1
	i := jsonx.ScanString(d.b, start)
	if i >= len(d.b) {
		return "", false
	}
	switch c := d.b[i]; {
	case c == '"':
		d.i = i + 1
		return d.text(start, i), true
	case c < 0x20:
		return "", false
	}
	d.i = i
	return d.unquote(start) // an escape or a non-ASCII byte
}

// unquote decodes the string starting at start (after its opening quote),
// with escapes and non-ASCII bytes, d.i at the first of them: invalid UTF-8
// and unpaired surrogates become U+FFFD, as with encoding/json.
//
// The string is decoded into the private copy over its own quoted bytes:
// every escape is longer than what it stands for, so the decoded bytes never
// pass the ones read, and no other view covers them. An invalid UTF-8 byte
// (1 byte, decoded to 3) could: the decoding then moves to a new array.
func (d *fastDec) unquote(start int) (string, bool) {
	var out []byte
	base := 0           // where the string starts in out
	inPlace := !d.alias // never write into a document the caller owns
	switch {
	case inPlace:
		out = d.copyDoc()[start:d.i] // the plain bytes so far are in place already
	case d.arena != nil:
		// Appended to the arena's text (a full text is replaced, never
		// overwritten: the strings made before stay as they are).
		base = len(d.arena.text)
		out = append(d.arena.text, d.b[start:d.i]...)
		defer func() { d.arena.text = out }()
	default:
		out = append(make([]byte, 0, d.i-start+16), d.b[start:d.i]...)
	}
	put := func(p ...byte) {
		if inPlace && start+len(out)+len(p) > d.i {
			// Would pass the bytes read: leave the copy.
			out = append(make([]byte, 0, len(out)+len(p)+16), out...)
			inPlace = false
		}
		if inPlace {
			out = out[:len(out)+len(p)]
			copy(out[len(out)-len(p):], p)
		} else {
			out = append(out, p...)
		}
	}
	var rb [utf8.UTFMax]byte
	for d.i < len(d.b) {
		if j := jsonx.ScanString(d.b, d.i); j > d.i {
			n := d.i
			d.i = j
			put(d.b[n:j]...)
			if j == len(d.b) {
				break
			}
		}
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if len(out) == base {
				return "", true
			}
			return unsafe.String(&out[base], len(out)-base), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return "", false
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				put(e)
			case 'b':
				put('\b')
			case 'f':
				put('\f')
			case 'n':
				put('\n')
			case 'r':
				put('\r')
			case 't':
				put('\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					save := d.i
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						d.i += 2
						if r2, ok := d.hex4(); ok {
							if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
								put(utf8.AppendRune(rb[:0], p)...)
								continue
							}
						}
					}
					d.i = save // the next escape, if any, is read on its own
					r = utf8.RuneError
				}
				put(utf8.AppendRune(rb[:0], r)...)
			default:
				return "", false
			}
		case c < utf8.RuneSelf:
			d.i++
			put(c)
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				d.i++
				put(utf8.AppendRune(rb[:0], utf8.RuneError)...)
			} else {
				d.i += size
				put(d.b[d.i-size : d.i]...)
			}
		}
	}
	return "", false
}

func (d *fastDec) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	d.i += 4
	return r, true
}

// strings reads an array of strings (null gives nil, [] an empty slice).
func (d *fastDec) strings() ([]string, bool) {
	if d.null() {
		return nil, true
	}
	if !d.eat('[') {
		return nil, false
	}
	if d.eat(']') {
		return []string{}, true
	}
	if d.lists == nil {
		d.lists = d.eventParts().lists[:0]
	}
	start := len(d.lists)
	for {
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		// A grown d.lists leaves the lists made so far on the old array,
		// where nothing writes any more.
		d.lists = append(d.lists, s)
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			end := len(d.lists)
			return d.lists[start:end:end], true
		}
		return nil, false
	}
}

// stringMap reads an object of strings (null gives nil, {} an empty map).
func (d *fastDec) StringMap() (map[string]string, bool) {
	if d.null() {
		return nil, true
	}
	if !d.eat('{') {
		return nil, false
	}
	var out map[string]string
	if d.arena != nil {
		out = d.arena.stringMap()
	} else {
		out = map[string]string{}
	}
	if d.eat('}') {
		return out, true
	}
	for {
		if d.peek() != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok || !d.eat(':') {
			return nil, false
		}
		v, ok := d.str()
		if !ok {
			return nil, false
		}
		out[k] = v
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return out, true
		}
		return nil, false
	}
}

func (d *fastDec) extraMap() (map[string]authnv1.ExtraValue, bool) {
	if d.null() {
		return nil, true
	}
	if !d.eat('{') {
		return nil, false
	}
	out := map[string]authnv1.ExtraValue{}
	if d.eat('}') {
		return out, true
	}
	for {
		if d.peek() != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok || !d.eat(':') {
			return nil, false
		}
		v, ok := d.strings()
		if !ok {
			return nil, false
		}
		out[k] = v
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return out, true
		}
		return nil, false
	}
}

// integer reads an integer that fits in bits (null leaves zero).
func (d *fastDec) integer(bits int) (int64, bool) {
	if d.null() {
		return 0, true
	}
	start := d.i
	if !d.number() {
		return 0, false
	}
	n, err := strconv.ParseInt(string(d.b[start:d.i]), 10, bits)
	return n, err == nil
}

// number skips a JSON number, checking its grammar.
func (d *fastDec) number() bool {
	b, i := d.b, d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	d.i = i
	return true
}

// skip moves past one value, checking its syntax as encoding/json's scanner
// does. d is at the value's first byte; the value is at nesting depth depth
// (deeper than maxFastDepth: give up). One loop with a stack of the open
// containers rather than a call per value.
func (d *fastDec) skip(depth int) bool {
	b, i := d.b, d.i
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	var ok bool
value:
	if depth+len(stack) > maxFastDepth {
		return false
	}
	i = skipSpace(b, i)
	if i >= len(b) {
		return false
	}
	switch c := b[i]; c {
	case '"':
		if i, ok = skipStr(b, i); !ok {
			return false
		}
	case '{', '[':
		stack = append(stack, c)
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == c+2 { // '}' or ']'
			i++
			stack = stack[:len(stack)-1]
			break
		}
		if c == '{' {
			goto key
		}
		goto value
	case 't', 'f', 'n':
		lit := "null"
		if c == 't' {
			lit = "true"
		} else if c == 'f' {
			lit = "false"
		}
		if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
			return false
		}
		i += len(lit)
	default:
		if i, ok = jsonx.ScanNumber(b, i); !ok {
			return false
		}
	}
	// A value ended.
	for len(stack) > 0 {
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		top := stack[len(stack)-1]
		switch b[i] {
		case ',':
			i++
			if top == '{' {
				goto key
			}
			goto value
		case top + 2:
			i++
			stack = stack[:len(stack)-1]
		default:
			return false
		}
	}
	d.i = i
	return true
key:
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '"' {
		return false
	}
	if i, ok = skipStr(b, i); !ok {
		return false
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return false
	}
	i++
	goto value
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && jsonx.IsSpace(b[i]) {
		i++
	}
	return i
}

// skipStr returns the offset after the string at b[i] (its opening quote);
// ok is false when it is not a valid JSON string.
func skipStr(b []byte, i int) (int, bool) {
	i++
	for {
		i = jsonx.ScanSkip(b, i)
		if i >= len(b) {
			return i, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		default: // a backslash
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !jsonx.IsHex(b[i+2]) || !jsonx.IsHex(b[i+3]) || !jsonx.IsHex(b[i+4]) || !jsonx.IsHex(b[i+5]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		}
	}
}

// raw skips a value and returns its bytes.
func (d *fastDec) raw(depth int) ([]byte, bool) {
	d.ws()
	start := d.i
	if !d.skip(depth) {
		return nil, false
	}
	return d.b[start:d.i], true
}

// microTime reads a metav1.MicroTime as its UnmarshalJSON does.
func (d *fastDec) microTime(t *metav1.MicroTime) bool {
	start := d.i
	if d.peek() == '"' {
		d.i++
		s := d.i
		d.i = jsonx.ScanString(d.b, s)
		if d.i < len(d.b) && d.b[d.i] == '"' {
			pt, ok := parseMicroUTC(d.b[s:d.i])
			if !ok {
				var err error
				if pt, err = time.Parse(metav1.RFC3339Micro, string(d.b[s:d.i])); err != nil {
					return false
				}
			}
			d.i++
			t.Time = pt.Local()
			return true
		}
		d.i = start
	}
	raw, ok := d.raw(0)
	return ok && t.UnmarshalJSON(raw) == nil
}

// body reads the request (i 0) or response (i 1) object of the event, a
// *runtime.Unknown: null gives nil, anything else what its UnmarshalJSON
// makes of it, as with encoding/json (Raw the value's bytes, here a view of
// the document, or of the private copy, capped at the value's end). In an
// arena (with the document aliased: the tape's bytes are then the body's
// own), it reads the body into a tape, the one the View and the redactor
// then use, instead of skipping it: one pass over its bytes.
func (d *fastDec) body(i int) (*runtime.Unknown, bool) {
	if d.null() {
		return nil, true
	}
	d.ws()
	start := d.i
	var bt *bodyTape
	if d.arena != nil && d.alias {
		if d.tapes == nil {
			d.tapes = d.arena.nextTapes()
		}
		bt = &d.tapes.bodies[i]
		if n, err := bt.tape.ParsePrefix(d.b[start:], jsonx.BodyMaxDepth, jsonx.BodyMaxValues); err == nil {
			d.i = start + n
		} else if errors.Is(err, jsonx.ErrTooDeep) || errors.Is(err, jsonx.ErrTooLarge) {
			bt = nil // skipped: the View reads it again, and meets the same limit
		} else {
			return nil, false // not JSON: encoding/json says why
		}
	}
	if bt == nil && !d.skip(1) {
		return nil, false
	}
	end := d.i
	u := &d.eventParts().bodies[i]
	*u = runtime.Unknown{Raw: d.copyDoc()[start:end:end], ContentType: runtime.ContentTypeJSON}
	if bt != nil {
		bt.u, bt.raw, bt.err = u, u.Raw, nil
	}
	return u, true
}

func (d *fastDec) event(ev *auditv1.Event) ([]byte, bool) {
	var ts []byte
	// fields records the spans of these members (depth 0) in d.spans.
	ok := d.fields(eventFieldsExtra, 0, func(k int) bool { return d.member(k, ev, &ts) })
	return ts, ok
}

// member reads the value of the event's member k (its index in
// eventFieldsExtra) into ev; a v1beta1 timestamp into *ts.
func (d *fastDec) member(k int, ev *auditv1.Event, ts *[]byte) bool {
	var ok bool
	switch k { // the index in eventFieldsExtra
	case 0: // kind
		ev.Kind, ok = d.str()
	case 1: // apiVersion
		ev.APIVersion, ok = d.str()
	case 2: // level
		var s string
		s, ok = d.str()
		ev.Level = auditv1.Level(s)
	case 3: // auditID
		var s string
		s, ok = d.str()
		ev.AuditID = types.UID(s)
	case 4: // stage
		var s string
		s, ok = d.str()
		ev.Stage = auditv1.Stage(s)
	case 5: // requestURI
		ev.RequestURI, ok = d.str()
	case 6: // verb
		ev.Verb, ok = d.str()
	case 7: // user
		ok = d.null() || d.user(&ev.User, 1)
	case 8: // impersonatedUser
		if d.null() {
			return true
		}
		ev.ImpersonatedUser = new(authnv1.UserInfo)
		ok = d.user(ev.ImpersonatedUser, 1)
	case 9: // authenticationMetadata
		if d.null() {
			return true
		}
		m := new(auditv1.AuthenticationMetadata)
		ev.AuthenticationMetadata = m
		ok = d.fields(authnMetaFields, 1, func(int) bool {
			var ok bool
			m.ImpersonationConstraint, ok = d.str()
			return ok
		})
	case 10: // sourceIPs
		ev.SourceIPs, ok = d.strings()
	case 11: // userAgent
		ev.UserAgent, ok = d.str()
	case 12: // objectRef
		if d.null() {
			return true
		}
		ev.ObjectRef = &d.eventParts().ref
		ok = d.objectRef(ev.ObjectRef)
	case 13: // responseStatus
		if d.null() {
			return true
		}
		ev.ResponseStatus = &d.eventParts().status
		ok = d.status(ev.ResponseStatus)
	case 14: // requestObject
		ev.RequestObject, ok = d.body(0)
	case 15: // responseObject
		ev.ResponseObject, ok = d.body(1)
	case 16: // requestReceivedTimestamp
		ok = d.microTime(&ev.RequestReceivedTimestamp)
	case 17: // stageTimestamp
		ok = d.microTime(&ev.StageTimestamp)
	case 18: // annotations
		ev.Annotations, ok = d.StringMap()
	case 19: // timestamp, v1beta1: not an Event field, returned raw
		*ts, ok = d.raw(1)
	}
	return ok // "items" and anything unhandled: give up
}

func (d *fastDec) user(u *authnv1.UserInfo, depth int) bool {
	return d.fields(userFields, depth, func(k int) bool {
		var ok bool
		switch k {
		case 0:
			u.Username, ok = d.str()
		case 1:
			u.UID, ok = d.str()
		case 2:
			u.Groups, ok = d.strings()
		case 3:
			u.Extra, ok = d.extraMap()
		}
		return ok
	})
}

func (d *fastDec) objectRef(r *auditv1.ObjectReference) bool {
	return d.fields(objectRefFields, 1, func(k int) bool {
		s, ok := d.str()
		*objectRefField(r, k) = s
		return ok
	})
}

// objectRefField is the field of r named objectRefFields[k].
func objectRefField(r *auditv1.ObjectReference, k int) *string {
	switch k {
	case 0:
		return &r.Resource
	case 1:
		return &r.Namespace
	case 2:
		return &r.Name
	case 3:
		return (*string)(&r.UID)
	case 4:
		return &r.APIGroup
	case 5:
		return &r.APIVersion
	case 6:
		return &r.ResourceVersion
	}
	return &r.Subresource
}

func (d *fastDec) status(st *metav1.Status) bool {
	return d.fields(statusFields, 1, func(k int) bool {
		var ok bool
		switch k {
		case 0:
			st.Kind, ok = d.str()
		case 1:
			st.APIVersion, ok = d.str()
		case 2:
			ok = d.null() || d.listMeta(&st.ListMeta)
		case 3:
			st.Status, ok = d.str()
		case 4:
			st.Message, ok = d.str()
		case 5:
			var s string
			s, ok = d.str()
			st.Reason = metav1.StatusReason(s)
		case 6:
			if d.null() {
				return true
			}
			st.Details = &d.eventParts().details
			ok = d.details(st.Details)
		case 7:
			var n int64
			n, ok = d.integer(32)
			st.Code = int32(n)
		}
		return ok
	})
}

func (d *fastDec) listMeta(m *metav1.ListMeta) bool {
	return d.fields(listMetaFields, 2, func(k int) bool {
		var ok bool
		switch k {
		case 0:
			m.SelfLink, ok = d.str()
		case 1:
			m.ResourceVersion, ok = d.str()
		case 2:
			m.Continue, ok = d.str()
		case 3:
			if d.null() {
				return true
			}
			var n int64
			n, ok = d.integer(64)
			m.RemainingItemCount = &n
		}
		return ok // shardInfo: give up
	})
}

func (d *fastDec) details(x *metav1.StatusDetails) bool {
	return d.fields(detailsFields, 2, func(k int) bool {
		var ok bool
		switch k {
		case 0:
			x.Name, ok = d.str()
		case 1:
			x.Group, ok = d.str()
		case 2:
			x.Kind, ok = d.str()
		case 3:
			var s string
			s, ok = d.str()
			x.UID = types.UID(s)
		case 4:
			x.Causes, ok = d.causes()
		case 5:
			var n int64
			n, ok = d.integer(32)
			x.RetryAfterSeconds = int32(n)
		}
		return ok
	})
}

func (d *fastDec) causes() ([]metav1.StatusCause, bool) {
	if d.null() {
		return nil, true
	}
	if !d.eat('[') {
		return nil, false
	}
	out := []metav1.StatusCause{}
	if d.eat(']') {
		return out, true
	}
	for {
		var c metav1.StatusCause
		if !d.null() {
			d.ws()
			if !d.fields(causeFields, 3, func(k int) bool {
				s, ok := d.str()
				switch k {
				case 0:
					c.Type = metav1.CauseType(s)
				case 1:
					c.Message = s
				case 2:
					c.Field = s
				}
				return ok
			}) {
				return nil, false
			}
		}
		out = append(out, c)
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			return out, true
		}
		return nil, false
	}
}

// parseMicroUTC parses the form the apiserver writes,
// 2006-01-02T15:04:05.000000Z, to what time.Parse(metav1.RFC3339Micro)
// returns for it; ok is false for anything else (time.Parse then decides,
// out-of-range fields included).
func parseMicroUTC(b []byte) (time.Time, bool) {
	if len(b) != 27 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' || b[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(b []byte) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	us, ok7 := num(b[20:26])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	// Days since 1970-01-01 of the proleptic Gregorian date (the civil-days
	// algorithm of H. Hinnant), as time.Date computes it, without its
	// normalisation (the fields are in range).
	y := year
	if month <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := month + 9
	if month > 2 {
		mp = month - 3
	}
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era)*146097 + int64(doe) - 719468
	unix := days*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(unix, int64(us)*1000).UTC(), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
