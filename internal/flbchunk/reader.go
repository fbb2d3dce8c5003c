package flbchunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// A Fluent Bit chunk is a concatenation of msgpack arrays, one per record:
//
//	classic: [timestamp, record]
//	v2:      [[timestamp, metadata], record]
//
// where timestamp is the EventTime extension (type 0: big-endian uint32
// seconds, uint32 nanoseconds), an integer or a float of seconds. This file
// reads that format directly, without building generic maps: a record's audit
// event is either a JSON string under the log key (returned as is) or a map
// (transcoded straight to JSON).

// ErrMalformed is wrapped by every chunk decoding error.
var ErrMalformed = errors.New("malformed chunk")

// maxDepth bounds nesting, so a hostile chunk cannot exhaust the stack.
const maxDepth = 512

// Entry is one decoded record.
type Entry struct {
	Time time.Time
	// JSON is the audit document: the log key's string value, or the record
	// (or the log key's map value) transcoded to JSON. It aliases the chunk or
	// the reader's transcoding buffer (always the buffer: NewReaderCopy),
	// which only grows during the reader's life (documents are appended,
	// never overwritten): valid while the chunk is and until the buffer is
	// handed to another reader (Buffer).
	JSON []byte
	// Decoded: the record was read by the Reader's MapDecoder, which
	// decoded what JSON holds as it wrote it.
	Decoded bool
}

// Reader iterates over the records of one chunk.
type Reader struct {
	b      []byte
	off    int
	logKey string
	buf    []byte // transcoded documents, appended one after the other
	copy   bool   // log key strings are copied into buf too (NewReaderCopy)
	dec    MapDecoder
}

// A MapDecoder reads a record map (tail with a JSON parser) while it
// transcodes it: it appends the record to buf as JSON exactly as the
// Reader would (Cursor.Transcode, jsonx.Append for strings), and returns
// the grown buffer and how many bytes of rec, the chunk from the record map
// on, the map took. With ok false (a record it does not handle, or a
// member named by the log key) the Reader transcodes the record itself, and
// what the decoder appended is dropped.
type MapDecoder func(buf, rec []byte) (out []byte, n int, ok bool)

// SetMapDecoder has the records whose first key is not the log key read by
// d: their Entry then says Decoded.
func (r *Reader) SetMapDecoder(d MapDecoder) { r.dec = d }

// NewReader reads chunk; logKey names the field holding the event.
func NewReader(chunk []byte, logKey string) *Reader {
	return &Reader{b: chunk, logKey: logKey}
}

// NewReaderBuffer is NewReader transcoding into buf's array (from its
// start): a caller reusing one buffer flush after flush, once nothing refers
// to the documents of the previous reader, allocates none.
func NewReaderBuffer(chunk []byte, logKey string, buf []byte) *Reader {
	return &Reader{b: chunk, logKey: logKey, buf: buf[:0]}
}

// NewReaderCopy is NewReaderBuffer that also copies each log key's string
// into buf: every Entry.JSON is in buf, none is a view of chunk, which the
// caller may reuse or free once Next returned. A chunk of records that
// hold the event as a map (tail with a JSON parser) is then never copied:
// only what is transcoded from it is kept.
func NewReaderCopy(chunk []byte, logKey string, buf []byte) *Reader {
	return &Reader{b: chunk, logKey: logKey, buf: slices.Grow(buf[:0], len(chunk)), copy: true}
}

// Buffer returns the transcoding buffer, for a later NewReaderBuffer.
func (r *Reader) Buffer() []byte { return r.buf }

// More reports whether records remain.
func (r *Reader) More() bool { return r.off < len(r.b) }

// Offset is the byte offset of the next record, for error messages.
func (r *Reader) Offset() int { return r.off }

// Next decodes the next record. After an error the rest of the chunk cannot be
// read (msgpack has no resynchronisation point).
func (r *Reader) Next() (Entry, error) {
	start := r.off
	e, err := r.entry()
	if err != nil {
		r.off = len(r.b)
		return Entry{}, fmt.Errorf("%w at byte %d: %v", ErrMalformed, start, err)
	}
	return e, nil
}

func (r *Reader) entry() (Entry, error) {
	var e Entry
	n, err := r.arrayLen()
	if err != nil {
		return e, fmt.Errorf("record: %w", err)
	}
	if n != 2 {
		return e, fmt.Errorf("record is an array of %d, want 2", n)
	}
	if r.off < len(r.b) && isArray(r.b[r.off]) { // v2: [timestamp, metadata]
		hn, err := r.arrayLen()
		if err != nil {
			return e, err
		}
		if hn < 1 {
			return e, errors.New("empty record header")
		}
		if e.Time, err = r.timestamp(); err != nil {
			return e, err
		}
		for i := 1; i < hn; i++ { // metadata: not needed
			if err := r.skip(0); err != nil {
				return e, err
			}
		}
	} else if e.Time, err = r.timestamp(); err != nil {
		return e, err
	}
	if r.dec != nil && r.off < len(r.b) && isMap(r.b[r.off]) && !r.logKeyFirst() {
		start := len(r.buf)
		if out, n, ok := r.dec(r.buf, r.b[r.off:]); ok && n > 0 && n <= len(r.b)-r.off && len(out) >= start {
			r.buf, r.off = out, r.off+n
			e.JSON, e.Decoded = out[start:len(out):len(out)], true
			return e, nil
		}
		r.buf = r.buf[:start]
	}
	e.JSON, err = r.record()
	return e, err
}

// logKeyFirst reports whether the record map at r.off starts with the log
// key (tail without a parser: {"log": line}).
func (r *Reader) logKeyFirst() bool {
	save := r.off
	defer func() { r.off = save }()
	if n, err := r.mapLen(); err != nil || n == 0 {
		return false
	}
	k, err := r.str()
	return err == nil && string(k) == r.logKey
}

// record finds the audit document in the record map: the value of the log
// key (a string, or a map transcoded to JSON), else the record itself (tail
// with a JSON parser). The record is transcoded while the log key is looked
// for, in one pass: when the key turns up, what was transcoded is dropped.
func (r *Reader) record() ([]byte, error) {
	n, err := r.mapLen()
	if err != nil {
		return nil, fmt.Errorf("record body: %w", err)
	}
	start := len(r.buf)
	r.buf = append(r.buf, '{')
	for i := 0; i < n; i++ {
		if r.off < len(r.b) && isStr(r.b[r.off]) {
			save := r.off
			key, err := r.str()
			if err != nil {
				r.buf = r.buf[:start]
				return nil, err
			}
			if string(key) == r.logKey && r.off < len(r.b) && (isStr(r.b[r.off]) || isMap(r.b[r.off])) {
				r.buf = r.buf[:start]
				if isStr(r.b[r.off]) {
					v, err := r.str()
					if err != nil {
						return nil, err
					}
					if r.copy {
						r.buf = append(r.buf, v...)
						v = r.buf[start:len(r.buf):len(r.buf)]
					}
					return v, r.skipPairs(n - i - 1)
				}
				if r.buf, err = r.transcode(r.buf, 0); err != nil {
					r.buf = r.buf[:start]
					return nil, err
				}
				return r.buf[start:len(r.buf):len(r.buf)], r.skipPairs(n - i - 1)
			}
			r.off = save
		}
		if i > 0 {
			r.buf = append(r.buf, ',')
		}
		if r.buf, err = r.transcodePair(r.buf, 1); err != nil {
			r.buf = r.buf[:start]
			return nil, err
		}
	}
	r.buf = append(r.buf, '}')
	return r.buf[start:len(r.buf):len(r.buf)], nil
}

func (r *Reader) skipPairs(n int) error {
	for i := 0; i < 2*n; i++ {
		if err := r.skip(0); err != nil {
			return err
		}
	}
	return nil
}

func isArray(c byte) bool { return c&0xf0 == 0x90 || c == 0xdc || c == 0xdd }
func isMap(c byte) bool   { return c&0xf0 == 0x80 || c == 0xde || c == 0xdf }
func isStr(c byte) bool {
	return c&0xe0 == 0xa0 || c == 0xd9 || c == 0xda || c == 0xdb || c == 0xc4 || c == 0xc5 || c == 0xc6
}

var errShort = errors.New("unexpected end of chunk")

func (r *Reader) take(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, errShort
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b, nil
}

func (r *Reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errShort
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// uintN reads a big-endian unsigned integer of n bytes.
func (r *Reader) uintN(n int) (uint64, error) {
	b, err := r.take(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// length reads a 1/2/4-byte length and checks it against what is left, so a
// hostile length cannot make us allocate or loop.
func (r *Reader) length(n int, elemMin int) (int, error) {
	v, err := r.uintN(n)
	if err != nil {
		return 0, err
	}
	if v > uint64(len(r.b)-r.off)/uint64(elemMin) {
		return 0, fmt.Errorf("length %d exceeds the chunk", v)
	}
	return int(v), nil
}

func (r *Reader) arrayLen() (int, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case c&0xf0 == 0x90:
		return int(c & 0x0f), nil
	case c == 0xdc:
		return r.length(2, 1)
	case c == 0xdd:
		return r.length(4, 1)
	}
	return 0, fmt.Errorf("expected an array, found type 0x%02x", c)
}

func (r *Reader) mapLen() (int, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case c&0xf0 == 0x80:
		return int(c & 0x0f), nil
	case c == 0xde:
		return r.length(2, 2)
	case c == 0xdf:
		return r.length(4, 2)
	}
	return 0, fmt.Errorf("expected a map, found type 0x%02x", c)
}

// str reads a str or bin value without copying.
func (r *Reader) str() ([]byte, error) {
	c, err := r.byte()
	if err != nil {
		return nil, err
	}
	var n int
	switch {
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c == 0xd9 || c == 0xc4:
		n, err = r.length(1, 1)
	case c == 0xda || c == 0xc5:
		n, err = r.length(2, 1)
	case c == 0xdb || c == 0xc6:
		n, err = r.length(4, 1)
	default:
		r.off--
		return nil, fmt.Errorf("expected a string, found type 0x%02x", c)
	}
	if err != nil {
		return nil, err
	}
	return r.take(n)
}

// timestamp reads an EventTime, an integer or a float of seconds.
func (r *Reader) timestamp() (time.Time, error) {
	c, err := r.byte()
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case c <= 0x7f:
		return time.Unix(int64(c), 0), nil
	case c >= 0xe0: // negative fixint
		return time.Unix(int64(int8(c)), 0), nil
	case c == 0xcc, c == 0xcd, c == 0xce, c == 0xcf:
		v, err := r.uintN(1 << (c - 0xcc))
		return time.Unix(int64(v), 0), err
	case c == 0xd0, c == 0xd1, c == 0xd2, c == 0xd3:
		v, err := r.uintN(1 << (c - 0xd0))
		return time.Unix(signExtend(v, 1<<(c-0xd0)), 0), err
	case c == 0xca:
		v, err := r.uintN(4)
		return floatTime(float64(math.Float32frombits(uint32(v)))), err
	case c == 0xcb:
		v, err := r.uintN(8)
		return floatTime(math.Float64frombits(v)), err
	case c == 0xd7: // fixext 8
		t, err := r.byte()
		if err != nil {
			return time.Time{}, err
		}
		b, err := r.take(8)
		if err != nil {
			return time.Time{}, err
		}
		if t != 0 {
			return time.Time{}, fmt.Errorf("timestamp is extension type %d, want 0 (EventTime)", t)
		}
		return time.Unix(int64(binary.BigEndian.Uint32(b)), int64(binary.BigEndian.Uint32(b[4:]))), nil
	case c == 0xc7: // ext 8 with length 8
		n, err := r.byte()
		if err != nil {
			return time.Time{}, err
		}
		t, err := r.byte()
		if err != nil {
			return time.Time{}, err
		}
		b, err := r.take(int(n))
		if err != nil {
			return time.Time{}, err
		}
		if t != 0 || n != 8 {
			return time.Time{}, fmt.Errorf("timestamp is extension type %d of %d bytes, want EventTime", t, n)
		}
		return time.Unix(int64(binary.BigEndian.Uint32(b)), int64(binary.BigEndian.Uint32(b[4:]))), nil
	}
	return time.Time{}, fmt.Errorf("timestamp of type 0x%02x", c)
}

func floatTime(f float64) time.Time {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

func signExtend(v uint64, size int) int64 {
	shift := 64 - 8*size
	return int64(v<<shift) >> shift
}

// skip moves past one value of any type.
func (r *Reader) skip(depth int) error {
	if depth > maxDepth {
		return errors.New("nesting too deep")
	}
	c, err := r.byte()
	if err != nil {
		return err
	}
	var n int
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return nil
	case c&0xe0 == 0xa0:
		_, err = r.take(int(c & 0x1f))
		return err
	case c&0xf0 == 0x90:
		return r.skipN(int(c&0x0f), depth)
	case c&0xf0 == 0x80:
		return r.skipN(2*int(c&0x0f), depth)
	}
	switch c {
	case 0xcc, 0xd0:
		_, err = r.take(1)
	case 0xcd, 0xd1:
		_, err = r.take(2)
	case 0xce, 0xd2, 0xca:
		_, err = r.take(4)
	case 0xcf, 0xd3, 0xcb:
		_, err = r.take(8)
	case 0xd9, 0xc4:
		if n, err = r.length(1, 1); err == nil {
			_, err = r.take(n)
		}
	case 0xda, 0xc5:
		if n, err = r.length(2, 1); err == nil {
			_, err = r.take(n)
		}
	case 0xdb, 0xc6:
		if n, err = r.length(4, 1); err == nil {
			_, err = r.take(n)
		}
	case 0xdc:
		if n, err = r.length(2, 1); err == nil {
			err = r.skipN(n, depth)
		}
	case 0xdd:
		if n, err = r.length(4, 1); err == nil {
			err = r.skipN(n, depth)
		}
	case 0xde:
		if n, err = r.length(2, 2); err == nil {
			err = r.skipN(2*n, depth)
		}
	case 0xdf:
		if n, err = r.length(4, 2); err == nil {
			err = r.skipN(2*n, depth)
		}
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext: type byte + 1..16 bytes
		_, err = r.take(1 + 1<<(c-0xd4))
	case 0xc7, 0xc8, 0xc9:
		if n, err = r.length(1<<(c-0xc7), 1); err == nil {
			_, err = r.take(1 + n)
		}
	default:
		return fmt.Errorf("invalid type 0x%02x", c)
	}
	return err
}

func (r *Reader) skipN(n, depth int) error {
	for i := 0; i < n; i++ {
		if err := r.skip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// transcodePair appends the next key and value of a map as a JSON member.
func (r *Reader) transcodePair(dst []byte, depth int) ([]byte, error) {
	var err error
	if r.off < len(r.b) && r.b[r.off]&0xe0 == 0xa0 { // a fixstr key: most
		n := int(r.b[r.off] & 0x1f)
		if n >= len(r.b)-r.off {
			return dst, errShort
		}
		r.off += 1 + n
		dst = append(jsonx.Append(dst, r.b[r.off-n:r.off]), ':')
		if r.off < len(r.b) && r.b[r.off]&0xe0 == 0xa0 { // and a fixstr value
			n = int(r.b[r.off] & 0x1f)
			if n >= len(r.b)-r.off {
				return dst, errShort
			}
			r.off += 1 + n
			return jsonx.Append(dst, r.b[r.off-n:r.off]), nil
		}
		return r.transcode(dst, depth)
	}
	if r.off < len(r.b) && isStr(r.b[r.off]) {
		if dst, err = r.transcode(dst, depth); err != nil {
			return dst, err
		}
	} else { // JSON keys are strings: quote whatever the key is
		var key []byte
		if key, err = r.transcode(nil, depth); err != nil {
			return dst, err
		}
		dst = jsonx.Append(dst, key)
	}
	dst = append(dst, ':')
	return r.transcode(dst, depth)
}

// transcode appends the next value as JSON.
func (r *Reader) transcode(dst []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errors.New("nesting too deep")
	}
	c, err := r.byte()
	if err != nil {
		return dst, err
	}
	switch {
	case c&0xe0 == 0xa0: // fixstr: most keys and values, read here
		n := int(c & 0x1f)
		if n > len(r.b)-r.off {
			return dst, errShort
		}
		r.off += n
		return jsonx.Append(dst, r.b[r.off-n:r.off]), nil
	case c == 0xd9: // str8: the longer strings (URIs, user agents, reasons)
		if r.off >= len(r.b) {
			return dst, errShort
		}
		n := int(r.b[r.off])
		if n >= len(r.b)-r.off {
			return dst, errShort
		}
		r.off += 1 + n
		return jsonx.Append(dst, r.b[r.off-n:r.off]), nil
	case c <= 0x7f:
		return strconv.AppendUint(dst, uint64(c), 10), nil
	case c >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(c)), 10), nil
	case c == 0xda, c == 0xdb, c == 0xc4, c == 0xc5, c == 0xc6: // (str8: above)
		r.off--
		s, err := r.str()
		if err != nil {
			return dst, err
		}
		return jsonx.Append(dst, s), nil
	case c&0xf0 == 0x90, c == 0xdc, c == 0xdd:
		r.off--
		n, err := r.arrayLen()
		if err != nil {
			return dst, err
		}
		dst = append(dst, '[')
		for i := 0; i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = r.transcode(dst, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case c&0xf0 == 0x80, c == 0xde, c == 0xdf:
		r.off--
		n, err := r.mapLen()
		if err != nil {
			return dst, err
		}
		dst = append(dst, '{')
		for i := 0; i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = r.transcodePair(dst, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	switch c {
	case 0xc0:
		return append(dst, "null"...), nil
	case 0xc2:
		return append(dst, "false"...), nil
	case 0xc3:
		return append(dst, "true"...), nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		v, err := r.uintN(1 << (c - 0xcc))
		return strconv.AppendUint(dst, v, 10), err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		v, err := r.uintN(1 << (c - 0xd0))
		return strconv.AppendInt(dst, signExtend(v, 1<<(c-0xd0)), 10), err
	case 0xca, 0xcb:
		var f float64
		if c == 0xca {
			v, err := r.uintN(4)
			if err != nil {
				return dst, err
			}
			f = float64(math.Float32frombits(uint32(v)))
		} else {
			v, err := r.uintN(8)
			if err != nil {
				return dst, err
			}
			f = math.Float64frombits(v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(dst, "null"...), nil
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64), nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7, 0xc8, 0xc9:
		r.off--
		if c == 0xd7 || c == 0xc7 {
			save := r.off
			if t, err := r.timestamp(); err == nil { // EventTime inside a record
				return strconv.AppendFloat(dst, float64(t.UnixNano())/1e9, 'f', -1, 64), nil
			}
			r.off = save
		}
		if err := r.skip(depth); err != nil {
			return dst, err
		}
		return append(dst, "null"...), nil
	}
	return dst, fmt.Errorf("invalid type 0x%02x", c)
}

// Cursor reads msgpack values one after the other, for a MapDecoder: the
// Reader's own readers, so that what it transcodes is what the Reader would.
type Cursor struct{ r Reader }

// NewCursor reads b from its start.
func NewCursor(b []byte) Cursor { return Cursor{r: Reader{b: b}} }

// Off is the offset of the next value.
func (c *Cursor) Off() int { return c.r.off }

// MapLen reads a map header.
func (c *Cursor) MapLen() (int, bool) {
	n, err := c.r.mapLen()
	return n, err == nil
}

// ArrayLen reads an array header.
func (c *Cursor) ArrayLen() (int, bool) {
	n, err := c.r.arrayLen()
	return n, err == nil
}

// IsStr reports whether the next value is a str or bin.
func (c *Cursor) IsStr() bool { return c.r.off < len(c.r.b) && isStr(c.r.b[c.r.off]) }

// Nil consumes a nil if one is next.
func (c *Cursor) Nil() bool {
	if c.r.off < len(c.r.b) && c.r.b[c.r.off] == 0xc0 {
		c.r.off++
		return true
	}
	return false
}

// Str reads a str or bin value, a view of the cursor's bytes.
func (c *Cursor) Str() ([]byte, bool) {
	s, err := c.r.str()
	return s, err == nil
}

// Transcode appends the next value as JSON, as the Reader writes a member's
// value of a record map (depth 1).
func (c *Cursor) Transcode(dst []byte) ([]byte, bool) {
	dst, err := c.r.transcode(dst, 1)
	return dst, err == nil
}
