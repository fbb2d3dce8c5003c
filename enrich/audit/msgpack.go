package audit

import (
	"bytes"
	"math"
	"time"
	"unsafe"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// DecodeRecord is Arena.DecodeEnvelope for an event that Fluent Bit's tail
// input parsed into a record map (its JSON parser): in one pass over the
// msgpack record rec it appends the record to buf as JSON, exactly as
// flbchunk.Reader transcodes it, and decodes the event from what it reads
// (the top-level strings, user, objectRef, source IPs, annotations,
// responseStatus and times; bodies, status details and rare members by the
// fast decoder from the JSON it has just written), instead of transcoding
// first and decoding the JSON after. It returns the grown buffer, the bytes of rec the map
// took, and the event appended to dst and its Raw to raws, whose strings
// and bodies are views of the JSON (doc: out[len(buf):]) as with
// DecodeEnvelope.
//
// ok is false for anything else: a member named logKey (the Reader reads
// that record itself), an envelope or an EventList, a document the fast
// decoder gives up on, an error, or a buffer that had to grow (the views
// made so far would be of the old array). The caller then transcodes the
// record and decodes the JSON the usual way; what DecodeRecord appended is
// to be dropped. It is an flbchunk.MapDecoder: TestDecodeRecordMatches and
// FuzzDecodeRecord hold it to the transcoder and DecodeEnvelope.
func (a *Arena) DecodeRecord(buf, rec []byte, logKey string, dst []auditv1.Event, raws []record.Raw) (out []byte, n int, events []auditv1.Event, raws2 []record.Raw, ok bool) {
	a.np, a.nm, a.nt, a.lastTapes = 0, 0, 0, 0
	var ev auditv1.Event
	a.spans = [record.NumMembers]record.Span{}
	out, n, ts, raw, ok := a.mapEvent(buf, rec, logKey, &ev, &a.spans)
	if !ok {
		return buf, 0, dst, raws, false
	}
	raws = append(raws, record.Raw{Spans: a.spans})
	nd, nr := len(dst), len(raws)
	dst, raws, err := finishFast(dst, raws, &ev, ts, raw)
	if err != nil || len(dst) != nd+1 || len(raws) != nr {
		return buf, 0, dst[:nd], raws[:nr-1], false // not one event: the usual way says what
	}
	return out, n, dst, raws, true
}

// mapEvent transcodes and decodes the record map at rec's start (see
// DecodeRecord); ts and raw as unmarshalEventRaw returns them.
func (a *Arena) mapEvent(buf, rec []byte, logKey string, ev *auditv1.Event, spans *[record.NumMembers]record.Span) (out []byte, n int, ts, raw []byte, ok bool) {
	start, capacity := len(buf), cap(buf)
	m := mpDec{c: flbchunk.NewCursor(rec), out: buf, d: fastDec{alias: true, arena: a}, top: top{logKey, spans, start}}
	if !m.fields(eventFieldsExtra, func(idx int) bool { return m.member(idx, ev, &ts) }) {
		return nil, 0, nil, nil, false
	}
	out = m.out
	if cap(out) != capacity || len(out)-start > math.MaxUint32 {
		return nil, 0, nil, nil, false // grown: the views made are of the old array
	}
	if !m.d.skipped {
		raw = out[start:len(out):len(out)]
	}
	return out, m.c.Off(), ts, raw, true
}

// mpDec reads msgpack values from c and appends them to out as JSON, as
// flbchunk transcodes them, decoding what it reads with fastDec's rules. The
// members it does not read itself (bodies, responseStatus, times, rare
// ones) d reads from the JSON just written: its strings are views of out
// (alias), escaped ones in the arena's text, as are this reader's.
type mpDec struct {
	c   flbchunk.Cursor
	out []byte
	d   fastDec
	top top
}

// top is what the event's own map needs: no member named logKey (the
// Reader reads that record), and the span of each member, from start.
type top struct {
	logKey string
	spans  *[record.NumMembers]record.Span
	start  int
}

// member reads the event's member idx (its index in eventFieldsExtra)
// into ev.
func (m *mpDec) member(idx int, ev *auditv1.Event, ts *[]byte) bool {
	var ok bool
	if s := topString(ev, idx); s != nil {
		*s, ok = m.str()
		return ok
	}
	switch idx {
	case 7: // user
		return m.c.Nil() && m.null() || m.user(&ev.User)
	case 10: // sourceIPs
		ev.SourceIPs, ok = m.strings()
		return ok
	case 12: // objectRef
		if m.c.Nil() {
			return m.null()
		}
		ev.ObjectRef = &m.d.eventParts().ref
		return m.objectRef(ev.ObjectRef)
	case 13: // responseStatus
		if m.c.Nil() {
			return m.null()
		}
		ev.ResponseStatus = &m.d.eventParts().status
		return m.status(ev.ResponseStatus)
	case 16: // requestReceivedTimestamp
		return m.microTime(&ev.RequestReceivedTimestamp)
	case 17: // stageTimestamp
		return m.microTime(&ev.StageTimestamp)
	case 18: // annotations
		ev.Annotations, ok = m.stringMap()
		return ok
	}
	return m.json(func() bool { return m.d.member(idx, ev, ts) })
}

// microTime is fastDec.microTime: a plain string is parsed as it is read.
func (m *mpDec) microTime(t *metav1.MicroTime) bool {
	if !m.c.IsStr() {
		return m.json(func() bool { return m.d.microTime(t) })
	}
	v, _ := m.c.Str()
	p := len(m.out)
	m.out = jsonx.Append(m.out, v)
	if len(m.out)-p != len(v)+2 { // escaped: as from the document
		m.d.b, m.d.i = m.out, p
		return m.d.microTime(t) && m.d.i == len(m.out)
	}
	pt, ok := parseMicroUTC(v)
	if !ok {
		var err error
		if pt, err = time.Parse(metav1.RFC3339Micro, string(v)); err != nil {
			return false
		}
	}
	t.Time = pt.Local()
	return true
}

func (m *mpDec) status(st *metav1.Status) bool {
	return m.fields(statusFields, func(k int) bool {
		var ok bool
		switch k {
		case 0:
			st.Kind, ok = m.str()
		case 1:
			st.APIVersion, ok = m.str()
		case 3:
			st.Status, ok = m.str()
		case 4:
			st.Message, ok = m.str()
		case 5:
			var s string
			s, ok = m.str()
			st.Reason = metav1.StatusReason(s)
		default: // metadata, details, code: from their JSON
			ok = m.json(func() bool {
				switch k {
				case 2:
					return m.d.null() || m.d.listMeta(&st.ListMeta)
				case 6:
					if m.d.null() {
						return true
					}
					st.Details = &m.d.eventParts().details
					return m.d.details(st.Details)
				}
				n, ok := m.d.integer(32)
				st.Code = int32(n)
				return ok
			})
		}
		return ok
	})
}

// json appends the next value and has d decode it from its JSON.
func (m *mpDec) json(decode func() bool) bool {
	p := len(m.out)
	var ok bool
	if m.out, ok = m.c.Transcode(m.out); !ok {
		return false
	}
	m.d.b, m.d.i = m.out, p
	return decode() && m.d.i == len(m.out)
}

// null appends the null a Nil consumed.
func (m *mpDec) null() bool {
	m.out = append(m.out, "null"...)
	return true
}

// plainKey appends key and its colon; false for a key that is not plain
// ASCII without escapes (the fast decoder's keys).
func (m *mpDec) plainKey(key []byte) bool {
	if jsonx.ScanString(key, 0) != len(key) {
		return false
	}
	m.out = append(jsonx.Append(m.out, key), ':')
	return true
}

// unknown appends the value of a member no field of names takes; false
// when a field would take it case-insensitively, as encoding/json does.
func (m *mpDec) unknown(names []string, key []byte) bool {
	for _, name := range names {
		if bytes.EqualFold([]byte(name), key) {
			return false
		}
	}
	m.d.skipped = true
	var ok bool
	m.out, ok = m.c.Transcode(m.out)
	return ok
}

// fields is fastDec.fields for a map. The first call reads the event's
// map: it stops at the log key and records the spans of the members (its
// depth 0).
func (m *mpDec) fields(names []string, set func(int) bool) bool {
	t := m.top
	m.top = top{}
	n, ok := m.c.MapLen()
	if !ok {
		return false
	}
	m.out = append(m.out, '{')
	var seen uint64
	next := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			m.out = append(m.out, ',')
		}
		keyAt := len(m.out) - t.start
		key, ok := m.c.Str()
		if !ok || t.spans != nil && string(key) == t.logKey {
			return false
		}
		idx := fieldIndex(names, key, next)
		if idx >= 0 { // a field's name: plain, written as it is
			m.out = append(append(append(m.out, '"'), key...), '"', ':')
		} else if !m.plainKey(key) {
			return false
		}
		valueAt := len(m.out) - t.start
		switch {
		case idx < 0:
			if !m.unknown(names, key) {
				return false
			}
		case seen&(1<<idx) != 0:
			return false
		default:
			seen |= 1 << idx
			next = idx + 1
			if !set(idx) {
				return false
			}
			if t.spans != nil && idx < len(t.spans) {
				t.spans[idx] = record.Span{Key: uint32(keyAt), Value: uint32(valueAt), End: uint32(len(m.out) - t.start)}
			}
		}
	}
	m.out = append(m.out, '}')
	return true
}

// str is fastDec.str: a string, or null for "".
func (m *mpDec) str() (string, bool) {
	if m.c.Nil() {
		return "", m.null()
	}
	if !m.c.IsStr() {
		return "", false
	}
	v, _ := m.c.Str()
	p := len(m.out)
	m.out = jsonx.Append(m.out, v)
	if len(m.out)-p == len(v)+2 { // plain: the value is its JSON's content
		return view(m.out[p+1 : len(m.out)-1]), true
	}
	m.d.b, m.d.i = m.out, p // escaped: decoded as from the document
	s, ok := m.d.str()
	return s, ok && m.d.i == len(m.out)
}

// strings is fastDec.strings.
func (m *mpDec) strings() ([]string, bool) {
	if m.c.Nil() {
		return nil, m.null()
	}
	n, ok := m.c.ArrayLen()
	if !ok {
		return nil, false
	}
	if n == 0 {
		m.out = append(m.out, '[', ']')
		return []string{}, true
	}
	d := &m.d
	if d.lists == nil {
		d.lists = d.eventParts().lists[:0]
	}
	start := len(d.lists)
	m.out = append(m.out, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			m.out = append(m.out, ',')
		}
		s, ok := m.str()
		if !ok {
			return nil, false
		}
		d.lists = append(d.lists, s)
	}
	m.out = append(m.out, ']')
	end := len(d.lists)
	return d.lists[start:end:end], true
}

// stringMap is fastDec.StringMap.
func (m *mpDec) stringMap() (map[string]string, bool) {
	if m.c.Nil() {
		return nil, m.null()
	}
	n, ok := m.c.MapLen()
	if !ok {
		return nil, false
	}
	out := m.d.arena.stringMap()
	m.out = append(m.out, '{')
	for i := 0; i < n; i++ {
		if i > 0 {
			m.out = append(m.out, ',')
		}
		if !m.c.IsStr() {
			return nil, false // a key JSON would quote: fastDec reads it, this does not
		}
		k, ok := m.str()
		if !ok {
			return nil, false
		}
		m.out = append(m.out, ':')
		v, ok := m.str()
		if !ok {
			return nil, false
		}
		out[k] = v
	}
	m.out = append(m.out, '}')
	return out, true
}

func (m *mpDec) user(u *authnv1.UserInfo) bool {
	return m.fields(userFields, func(k int) bool {
		var ok bool
		switch k {
		case 0:
			u.Username, ok = m.str()
		case 1:
			u.UID, ok = m.str()
		case 2:
			u.Groups, ok = m.strings()
		case 3:
			ok = m.json(func() bool {
				var ok bool
				u.Extra, ok = m.d.extraMap()
				return ok
			})
		}
		return ok
	})
}

func (m *mpDec) objectRef(r *auditv1.ObjectReference) bool {
	return m.fields(objectRefFields, func(k int) bool {
		s, ok := m.str()
		*objectRefField(r, k) = s
		return ok
	})
}

// fieldIndex is the index of key in names, looked for from next first
// (writers keep struct order), or -1.
func fieldIndex(names []string, key []byte, next int) int {
	for j := next; j < len(names); j++ { // (no name is empty: n[0] is there)
		if n := names[j]; len(n) == len(key) && n[0] == key[0] && n == string(key) {
			return j
		}
	}
	for j := 0; j < next && j < len(names); j++ {
		if n := names[j]; len(n) == len(key) && n[0] == key[0] && n == string(key) {
			return j
		}
	}
	return -1
}

// topString is the event's string field of member idx (its index in
// eventFieldsExtra), for the members that are plain strings, else nil.
func topString(ev *auditv1.Event, idx int) *string {
	switch idx {
	case 0:
		return &ev.Kind
	case 1:
		return &ev.APIVersion
	case 2:
		return (*string)(&ev.Level)
	case 3:
		return (*string)(&ev.AuditID)
	case 4:
		return (*string)(&ev.Stage)
	case 5:
		return &ev.RequestURI
	case 6:
		return &ev.Verb
	case 11:
		return &ev.UserAgent
	}
	return nil
}

// view is b as a string, without a copy ("" for none).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
