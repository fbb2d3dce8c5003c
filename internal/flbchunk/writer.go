package flbchunk

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Writer builds Fluent Bit chunks the way Fluent Bit's tail input hands
// them to an output. The command uses it to replay audit logs through the
// real pipeline, and tests use it to build chunks of every form.
type Writer struct {
	// V2 writes records in Fluent Bit 2.x form, [[timestamp, metadata], record].
	V2 bool
	// IntTime writes integer-second timestamps instead of EventTime.
	IntTime bool
	buf     []byte
	n       int
}

// Len is the number of records written since the last Reset.
func (w *Writer) Len() int { return w.n }

// Bytes returns the chunk. It aliases the writer's buffer until Reset.
func (w *Writer) Bytes() []byte { return w.buf }

// Reset empties the writer, keeping its buffer.
func (w *Writer) Reset() { w.buf, w.n = w.buf[:0], 0 }

func (w *Writer) header(t time.Time) {
	w.n++
	w.buf = append(w.buf, 0x92)
	if w.V2 {
		w.buf = append(w.buf, 0x92)
	}
	if w.IntTime {
		w.buf = appendInt(w.buf, t.Unix())
	} else {
		w.buf = append(w.buf, 0xd7, 0x00)
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(t.Unix()))
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(t.Nanosecond()))
	}
	if w.V2 {
		w.buf = append(w.buf, 0x80) // empty metadata map
	}
}

// AddLine writes a record {key: line}, as tail without a parser does.
func (w *Writer) AddLine(t time.Time, key string, line []byte) {
	w.header(t)
	w.buf = append(w.buf, 0x81)
	w.buf = appendStr(w.buf, []byte(key))
	w.buf = appendStr(w.buf, line)
}

// AddJSON writes the JSON object doc as the record map itself, as tail with
// a JSON parser does.
func (w *Writer) AddJSON(t time.Time, doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	w.header(t)
	w.buf = AppendMsgpack(w.buf, v)
	return nil
}

// AppendMsgpack appends a JSON-like value (from encoding/json with UseNumber,
// or plain Go values) as msgpack. Map keys are written in sorted order.
func AppendMsgpack(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, 0xc0)
	case bool:
		if x {
			return append(dst, 0xc3)
		}
		return append(dst, 0xc2)
	case string:
		return appendStr(dst, []byte(x))
	case []byte:
		return appendStr(dst, x)
	case int:
		return appendInt(dst, int64(x))
	case int64:
		return appendInt(dst, x)
	case float64:
		dst = append(dst, 0xcb)
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return appendInt(dst, i)
		}
		f, _ := x.Float64()
		return AppendMsgpack(dst, f)
	case []any:
		dst = appendLen(dst, len(x), 0x90, 0xdc, 0xdd)
		for _, e := range x {
			dst = AppendMsgpack(dst, e)
		}
		return dst
	case map[string]any:
		dst = appendLen(dst, len(x), 0x80, 0xde, 0xdf)
		for _, k := range sortedMapKeys(x) {
			dst = appendStr(dst, []byte(k))
			dst = AppendMsgpack(dst, x[k])
		}
		return dst
	}
	panic(fmt.Sprintf("AppendMsgpack: unsupported type %T", v))
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // insertion sort: records have few keys
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func appendLen(dst []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n < 16:
		return append(dst, fix|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, b32), uint32(n))
}

func appendStr(dst, s []byte) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
	}
	return append(dst, s...)
}

func appendInt(dst []byte, i int64) []byte {
	switch {
	case i >= 0 && i <= 0x7f:
		return append(dst, byte(i))
	case i < 0 && i >= -32:
		return append(dst, byte(int8(i)))
	case i >= 0:
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), uint64(i))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(i))
}
