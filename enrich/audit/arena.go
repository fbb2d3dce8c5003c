package audit

import (
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Arena is memory the decoder reuses from one document to the next: the
// objectRef, responseStatus, body headers and first string-list elements of
// each event, its annotations map, and the tapes of its bodies (which the
// decoder reads while it passes them: TapesOf). Decode, DecodeRaw and
// DecodeEnvelope give each event memory of its own; Arena.DecodeEnvelope
// puts the events of a document into the arena's, and the next call through
// the same arena reuses it. So the events of one call must no longer be used
// when the next begins: a caller that decodes one record, enriches and
// encodes its events, then decodes the next (the pipeline) allocates none of
// this per event. Their strings are views of the document, or, when escaped,
// of the arena's text, which every call appends to and only Clear empties:
// strings stay valid (as long as the document does) until Clear. The zero
// Arena is ready; an Arena is not safe for concurrent use.
type Arena struct {
	parts []eventParts
	np    int
	maps  []map[string]string
	nm    int
	// tapes holds the tapes of the events' bodies, read while decoding,
	// one Tapes per event with a body (the first nt this call).
	tapes     []*Tapes
	nt        int
	lastTapes int // where TapesOf found the last
	// text holds the events' escaped strings, decoded. Unlike the parts
	// and maps, which hold no string of their own, it is not reused from
	// one call to the next: strings outlive their events (a message keeps
	// the user name as its key), so only Clear empties it.
	text []byte
	// spans: the member spans DecodeRecord records (a local array would
	// escape through the decoder's closures: one allocation per record).
	spans [record.NumMembers]record.Span
}

// DecodeEnvelope is the package's DecodeEnvelope with the events in the
// arena's memory (see Arena).
func (a *Arena) DecodeEnvelope(doc []byte, dst []auditv1.Event, raws []record.Raw) ([]auditv1.Event, []record.Raw, string, error) {
	a.np, a.nm, a.nt, a.lastTapes = 0, 0, 0, 0
	if raws == nil {
		raws = []record.Raw{}
	}
	return decodeAny(doc, dst, raws, true, a)
}

// maxArenaMap bounds the annotations kept in a reused map: one event with
// many annotations does not leave every later one a map that large.
const maxArenaMap = 32

// part returns zeroed eventParts for one event.
func (a *Arena) part() *eventParts {
	if a.np == len(a.parts) {
		// A new, larger slab: the parts handed out in this call stay on
		// the old one, the next call uses the new one only.
		a.parts = make([]eventParts, max(4, 2*len(a.parts)))
		a.np = 0
	}
	p := &a.parts[a.np]
	a.np++
	*p = eventParts{}
	return p
}

// nextTapes returns empty tapes for one event's bodies.
func (a *Arena) nextTapes() *Tapes {
	if a.nt == len(a.tapes) {
		a.tapes = append(a.tapes, new(Tapes))
	}
	t := a.tapes[a.nt]
	a.nt++
	t.Reset()
	return t
}

// TapesOf returns the tapes the last call read ev's bodies into, for the
// View that enriches ev (View.UseTapes), or nil when it read none. The tapes
// are the arena's: the next call reuses them.
func (a *Arena) TapesOf(ev *auditv1.Event) *Tapes {
	// Asked in decoding order (the events of a list one after the other),
	// the search starts where the last one ended: no quadratic cost.
	for k := range a.nt {
		i := (a.lastTapes + k) % a.nt
		t := a.tapes[i]
		if u := t.bodies[0].u; u != nil && u == ev.RequestObject || t.bodies[1].u != nil && t.bodies[1].u == ev.ResponseObject {
			a.lastTapes = i
			return t
		}
	}
	return nil
}

// stringMap returns an empty map for one event's annotations.
func (a *Arena) stringMap() map[string]string {
	if a.nm == len(a.maps) {
		a.maps = append(a.maps, nil)
	}
	m := a.maps[a.nm]
	if m == nil || len(m) > maxArenaMap {
		// (a map grown large stays large: a new one is cheaper to clear)
		m = map[string]string{}
		a.maps[a.nm] = m
	} else {
		clear(m)
	}
	a.nm++
	return m
}

// maxArenaText bounds the decoded text a cleared arena keeps for reuse.
const maxArenaText = 1 << 20

// Clear drops the arena's references to the last events' strings (a pooled
// arena then pins none of them) and empties its text: every string of the
// events decoded since the last Clear must no longer be used. The memory
// stays for reuse.
func (a *Arena) Clear() {
	clear(a.parts)
	for i, m := range a.maps {
		if len(m) > maxArenaMap {
			a.maps[i] = nil // (stringMap makes a small one)
		} else {
			clear(m)
		}
	}
	for _, t := range a.tapes {
		t.Reset()
	}
	a.np, a.nm, a.nt, a.lastTapes = 0, 0, 0, 0
	if cap(a.text) > maxArenaText {
		a.text = nil
	}
	a.text = a.text[:0]
}
