package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// ErrNotAudit is returned for a record that is not an audit event (or list).
var ErrNotAudit = errors.New("not an audit event")

// wire is one JSON document as it may arrive: an Event of any audit.k8s.io
// version (v1beta1 differs from v1 only by the extra "timestamp" and
// "metadata" fields, which v1 ignores), or an EventList whose events are in
// "items". The document is parsed once, straight into the v1 model.
type wire struct {
	auditv1.Event
	// Items are decoded one by one, so that one bad item (a wrong type, a
	// missing auditID) costs that item only.
	Items []json.RawMessage `json:"items"`
	// v1beta1 only: when the request reached the apiserver.
	Timestamp json.RawMessage `json:"timestamp"`
}

// wireItem is one EventList item, which may also be v1beta1.
type wireItem struct {
	auditv1.Event
	Timestamp json.RawMessage `json:"timestamp"`
}

// BadItemsError reports the items of an EventList that are not audit events.
// Decode returns it together with the list's good events, appended to dst:
// the caller ships those and counts Bad items as dropped. It wraps
// ErrNotAudit.
type BadItemsError struct {
	Bad, Total int
	First      error // why the first bad item was refused; wraps ErrNotAudit
}

func (e *BadItemsError) Error() string {
	return fmt.Sprintf("%d of %d EventList items are not audit events (first: %v)", e.Bad, e.Total, e.First)
}

func (e *BadItemsError) Unwrap() error { return e.First }

// Decode parses one JSON document into audit events and appends them to dst:
// a single Event (audit.k8s.io/v1, v1beta1, or without apiVersion, as Falco's
// fixtures have it), or an EventList from the webhook backend, split into its
// events. A document that is neither is tried as a managed cluster's cloud
// envelope (AKS, GKE, EKS: see envelope.go and DecodeEnvelope), whose events
// are unwrapped. Every event comes out as audit.k8s.io/v1. It returns an
// error wrapping ErrNotAudit for anything else, with dst as it was; for an
// EventList (or an envelope batch) with some bad items, a *BadItemsError
// with the good items appended. Errors never quote the input.
//
// The events do not refer to doc: the caller may reuse its buffer at once.
// Their strings and bodies are views of one private copy of the document
// (bodies capped at their end), which stays alive while any of them is.
func Decode(doc []byte, dst []auditv1.Event) ([]auditv1.Event, error) {
	evs, _, _, err := decodeAny(doc, dst, nil, true, nil)
	return evs, err
}

// DecodeRaw is Decode that also appends to raws, for each event appended to
// dst, the event's own bytes when they say exactly what the decoded event
// says (audit.k8s.io/v1, kind Event, a level of its own, every member known:
// nothing was normalised or left out; never for an event out of a cloud
// envelope, whose bytes are the envelope's), or a Raw with nil Bytes, and
// where each top-level member is in them (record.Raw.Spans). A writer may
// ship those bytes instead of re-encoding the event, patching the members
// that changed since (record.Record.Changed). The bytes alias doc (no copy
// is made), and so do the events' strings and bodies (Decode's private copy
// of the document is not made): doc must stay unchanged while the events are
// used. The pipeline copies each chunk once into a buffer of its own, which
// lives until the broker acknowledged.
func DecodeRaw(doc []byte, dst []auditv1.Event, raws []record.Raw) ([]auditv1.Event, []record.Raw, error) {
	if raws == nil {
		raws = []record.Raw{}
	}
	evs, raws, _, err := decodeAny(doc, dst, raws, true, nil)
	return evs, raws, err
}

// finishFast appends ev, decoded by the fast path (from JSON or from a
// record map), to dst as decode does: checked and normalised, with its
// bytes raw (nil: not its own) in the Raw that raws, when not nil, holds
// last for it (its spans written by the decoder).
func finishFast(dst []auditv1.Event, raws []record.Raw, ev *auditv1.Event, ts, raw []byte) ([]auditv1.Event, []record.Raw, error) {
	if ev.Kind == "EventList" && auditAPIVersion(ev.APIVersion) {
		return dst, raws[:max(len(raws)-1, 0)], nil // a list without "items" (the fast path gives up on those)
	}
	if ev.APIVersion != auditV1 || ev.Kind != "Event" || !exactLevel(ev.Level) || ts != nil {
		// normalise changes it (or may: a v1beta1 timestamp in a
		// v1 event): the bytes no longer say it
		raw = nil
	}
	n := len(dst)
	dst, err := single(dst, ev, ts)
	if raws != nil {
		switch {
		case len(dst) == n:
			raws = raws[:len(raws)-1]
		case raw == nil:
			raws[len(raws)-1] = record.Raw{} // no spans without the bytes
		default:
			raws[len(raws)-1].Bytes = raw
		}
	}
	return dst, raws, err
}

// decode is Decode (raws nil) and DecodeRaw; with fast false it uses
// encoding/json only (the tests hold the fast path to giving exactly the
// same results); a, when not nil, holds the events' parts (see Arena).
func decode(doc []byte, dst []auditv1.Event, raws []record.Raw, fast bool, a *Arena) ([]auditv1.Event, []record.Raw, error) {
	if len(doc) == 0 || doc[0] != '{' || doc[len(doc)-1] != '}' {
		doc = bytes.TrimSpace(doc) // (nothing to trim when it starts with '{' and ends with '}')
	}
	if len(doc) == 0 || doc[0] != '{' {
		return dst, raws, fmt.Errorf("%w: not a JSON object", ErrNotAudit)
	}
	if fast {
		// One pass without reflection; anything it does not handle exactly
		// like encoding/json (EventList, odd keys, errors) goes the slow way.
		// The event is decoded on the stack and copied into dst.
		var ev auditv1.Event
		var spans *[record.NumMembers]record.Span
		if raws != nil {
			// The spans are written straight into the Raw appended for
			// the event (taken back when there is none).
			raws = append(raws, record.Raw{})
			spans = &raws[len(raws)-1].Spans
		}
		if ts, raw, ok := unmarshalEventRaw(doc, &ev, spans, raws != nil, a); ok {
			return finishFast(dst, raws, &ev, ts, raw)
		}
		if raws != nil {
			raws = raws[:len(raws)-1]
		}
	}
	w := new(wire)
	if err := json.Unmarshal(doc, w); err != nil {
		return dst, raws, fmt.Errorf("%w: %s", ErrNotAudit, jsonProblem(err))
	}
	if !auditAPIVersion(w.APIVersion) {
		return dst, raws, fmt.Errorf("%w: apiVersion %q", ErrNotAudit, clip(w.APIVersion))
	}
	switch w.Kind {
	case "EventList":
		var bad *BadItemsError
		for i, raw := range w.Items {
			var spans *[record.NumMembers]record.Span
			if raws != nil {
				raws = append(raws, record.Raw{})
				spans = &raws[len(raws)-1].Spans
			}
			ev, evRaw, err := decodeItem(raw, fast, spans, a)
			if err != nil {
				if raws != nil {
					raws = raws[:len(raws)-1]
				}
				if bad == nil {
					bad = &BadItemsError{Total: len(w.Items), First: fmt.Errorf("EventList item %d: %w", i, err)}
				}
				bad.Bad++
				continue
			}
			dst = append(dst, ev)
			if raws != nil {
				if evRaw == nil {
					raws[len(raws)-1] = record.Raw{} // no spans without the bytes
				} else {
					raws[len(raws)-1].Bytes = evRaw
				}
			}
		}
		if bad != nil {
			return dst, raws, bad
		}
		return dst, raws, nil
	case "Event", "":
		if w.Items != nil {
			return dst, raws, fmt.Errorf("%w: items in a single event", ErrNotAudit)
		}
	default:
		return dst, raws, fmt.Errorf("%w: kind %q", ErrNotAudit, clip(w.Kind))
	}
	n := len(dst)
	dst, err := single(dst, &w.Event, w.Timestamp)
	if raws != nil && len(dst) > n {
		raws = append(raws, record.Raw{}) // encoding/json's decoding: no exact bytes
	}
	return dst, raws, err
}

// single checks and normalises one decoded event (not a list) and appends
// it to dst.
func single(dst []auditv1.Event, ev *auditv1.Event, v1beta1Timestamp json.RawMessage) ([]auditv1.Event, error) {
	if !auditAPIVersion(ev.APIVersion) {
		return dst, fmt.Errorf("%w: apiVersion %q", ErrNotAudit, clip(ev.APIVersion))
	}
	if ev.Kind != "Event" && ev.Kind != "" {
		return dst, fmt.Errorf("%w: kind %q", ErrNotAudit, clip(ev.Kind))
	}
	if err := normalise(ev, v1beta1Timestamp); err != nil {
		return dst, err
	}
	return append(dst, *ev), nil
}

// decodeItem decodes and checks one EventList item; errors wrap ErrNotAudit.
// With spans not nil, it writes there where the item's top-level members
// are (meant only with the item's own bytes).
func decodeItem(raw json.RawMessage, fast bool, spans *[record.NumMembers]record.Span, a *Arena) (auditv1.Event, []byte, error) {
	var it wireItem
	ts, own, ok := []byte(nil), []byte(nil), false
	if fast {
		// raw is encoding/json's copy, private to this item: its views are safe.
		ts, own, ok = unmarshalEventRaw(raw, &it.Event, spans, true, a)
	}
	if ok {
		it.Timestamp = ts
	} else if err := json.Unmarshal(raw, &it); err != nil {
		return auditv1.Event{}, nil, fmt.Errorf("%w: %s", ErrNotAudit, jsonProblem(err))
	}
	if !auditAPIVersion(it.APIVersion) || (it.Kind != "" && it.Kind != "Event") {
		return auditv1.Event{}, nil, fmt.Errorf("%w: apiVersion %q kind %q", ErrNotAudit, clip(it.APIVersion), clip(it.Kind))
	}
	exactBytes := own != nil && it.APIVersion == auditV1 && it.Kind == "Event" && exactLevel(it.Level) && it.Timestamp == nil
	if err := normalise(&it.Event, it.Timestamp); err != nil {
		return auditv1.Event{}, nil, err
	}
	if !exactBytes {
		own = nil
	}
	return it.Event, own, nil
}

// exactLevel reports whether normalise keeps level as it is.
func exactLevel(l auditv1.Level) bool {
	switch l {
	case auditv1.LevelMetadata, auditv1.LevelRequest, auditv1.LevelRequestResponse:
		return true
	}
	return false
}

// normalise checks one event and brings it to the v1 shape.
func normalise(ev *auditv1.Event, v1beta1Timestamp json.RawMessage) error {
	if ev.AuditID == "" || ev.Stage == "" {
		return fmt.Errorf("%w: no auditID or stage", ErrNotAudit)
	}
	switch ev.Stage {
	case auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic:
	default:
		return fmt.Errorf("%w: unknown stage %q", ErrNotAudit, clip(string(ev.Stage)))
	}
	switch ev.Level {
	case "", auditv1.LevelMetadata, auditv1.LevelRequest, auditv1.LevelRequestResponse:
	case auditv1.LevelNone:
		// The apiserver never writes a None event; treat it as Metadata.
		ev.Level = auditv1.LevelMetadata
	default:
		return fmt.Errorf("%w: unknown level %q", ErrNotAudit, clip(string(ev.Level)))
	}
	if ev.Level == "" {
		// Hand-made events (Falco fixtures) may omit the level: infer it.
		switch {
		case ev.ResponseObject != nil:
			ev.Level = auditv1.LevelRequestResponse
		case ev.RequestObject != nil:
			ev.Level = auditv1.LevelRequest
		default:
			ev.Level = auditv1.LevelMetadata
		}
	}
	if ev.RequestReceivedTimestamp.IsZero() && len(v1beta1Timestamp) > 0 {
		// v1beta1 events carry the receive time as "timestamp", with second
		// precision (RFC 3339, which MicroTime's parser does not accept).
		var s string
		if json.Unmarshal(v1beta1Timestamp, &s) == nil {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				ev.RequestReceivedTimestamp = metav1.NewMicroTime(t)
			}
		}
	}
	ev.APIVersion = auditV1
	ev.Kind = "Event"
	return nil
}

// auditV1 is the apiVersion of every decoded event (read-only).
var auditV1 = auditv1.SchemeGroupVersion.String()

func auditAPIVersion(v string) bool {
	switch v {
	case "", "audit.k8s.io/v1", "audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1":
		return true
	}
	return false
}

// clip bounds a value quoted in an error (never a body; only short
// identifiers such as apiVersion or kind).
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// jsonProblem describes a JSON error without quoting the input (which may
// hold a secret): only the kind of problem and where.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s: expected %s", te.Field, te.Type)
	}
	return "invalid JSON"
}
