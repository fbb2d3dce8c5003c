// Package enrich understands kube-apiserver audit events: it decodes them into
// the typed audit.k8s.io/v1 model, filters and re-levels them, judges their
// severity from data-driven rules, summarises them for an analyst, redacts
// secrets, and encodes the result in the configured schema.
package enrich

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// ErrNotAudit is returned for a record that is not an audit event (or list).
var ErrNotAudit = errors.New("not an audit event")

// envelope holds the fields that tell what a JSON document is.
type envelope struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Items      json.RawMessage `json:"items"`
	AuditID    string          `json:"auditID"`
	Stage      string          `json:"stage"`
	Verb       string          `json:"verb"`
	// v1beta1 only: when the event was generated.
	Timestamp *json.RawMessage `json:"timestamp"`
}

// Decode parses one JSON document into audit events: a single Event
// (audit.k8s.io/v1, v1beta1, or without apiVersion, as Falco fixtures have it),
// or an EventList from the webhook backend, split into its events.
// It returns ErrNotAudit (wrapped) for anything else.
func Decode(doc []byte, dst []auditv1.Event) ([]auditv1.Event, error) {
	return decode(doc, dst, true)
}

// decode is Decode; with fast false it uses encoding/json only (the tests
// hold the fast path to giving exactly the same results).
func decode(doc []byte, dst []auditv1.Event, fast bool) ([]auditv1.Event, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || doc[0] != '{' {
		return dst, fmt.Errorf("%w: not a JSON object", ErrNotAudit)
	}
	if fast {
		if out, ok, err := decodeFast(doc, dst); ok {
			return out, err
		}
	}
	// General path, encoding/json: an envelope first, then the event or list.
	var env envelope
	if err := json.Unmarshal(doc, &env); err != nil {
		return dst, fmt.Errorf("%w: %s", ErrNotAudit, jsonProblem(err))
	}
	if !auditAPIVersion(env.APIVersion) {
		return dst, fmt.Errorf("%w: apiVersion %q", ErrNotAudit, env.APIVersion)
	}
	switch env.Kind {
	case "EventList":
		var list auditv1.EventList
		if err := json.Unmarshal(doc, &list); err != nil {
			return dst, fmt.Errorf("%w: EventList: %s", ErrNotAudit, jsonProblem(err))
		}
		for i := range list.Items {
			if err := check(&list.Items[i]); err != nil {
				return dst, fmt.Errorf("EventList item %d: %w", i, err)
			}
		}
		return append(dst, list.Items...), nil
	case "Event", "":
	default:
		return dst, fmt.Errorf("%w: kind %q", ErrNotAudit, env.Kind)
	}
	if env.AuditID == "" || env.Stage == "" {
		return dst, fmt.Errorf("%w: no auditID or stage", ErrNotAudit)
	}
	dst = append(dst, auditv1.Event{})
	ev := &dst[len(dst)-1]
	if err := json.Unmarshal(doc, ev); err != nil {
		return dst[:len(dst)-1], fmt.Errorf("%w: %s", ErrNotAudit, jsonProblem(err))
	}
	if err := check(ev); err != nil {
		return dst[:len(dst)-1], err
	}
	if ev.RequestReceivedTimestamp.IsZero() && env.Timestamp != nil {
		// v1beta1 events of old apiservers may carry only "timestamp".
		_ = json.Unmarshal(*env.Timestamp, &ev.RequestReceivedTimestamp)
	}
	ev.APIVersion = auditv1.SchemeGroupVersion.String()
	ev.Kind = "Event"
	return dst, nil
}

func auditAPIVersion(v string) bool {
	switch v {
	case "", "audit.k8s.io/v1", "audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1":
		return true
	}
	return false
}

func check(ev *auditv1.Event) error {
	if ev.AuditID == "" || ev.Stage == "" {
		return fmt.Errorf("%w: no auditID or stage", ErrNotAudit)
	}
	switch ev.Stage {
	case auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic:
	default:
		return fmt.Errorf("%w: unknown stage %q", ErrNotAudit, ev.Stage)
	}
	return nil
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

// decodeFast is the fast path of decode: one pass straight into the event
// (see unmarshalEvent), then the same checks as the general path applies to
// the same values. ok is false when the general path must decide.
func decodeFast(doc []byte, dst []auditv1.Event) (out []auditv1.Event, ok bool, err error) {
	var ev auditv1.Event
	ts, fast := unmarshalEvent(doc, &ev)
	if !fast || !auditAPIVersion(ev.APIVersion) || (ev.Kind != "Event" && ev.Kind != "") || ev.AuditID == "" || ev.Stage == "" {
		return dst, false, nil
	}
	if err := check(&ev); err != nil {
		return append(dst, ev)[:len(dst)], true, err // as the general path leaves dst
	}
	if ev.RequestReceivedTimestamp.IsZero() && ts != nil && string(ts) != "null" {
		_ = json.Unmarshal(ts, &ev.RequestReceivedTimestamp)
	}
	ev.APIVersion = auditv1.SchemeGroupVersion.String()
	ev.Kind = "Event"
	return append(dst, ev), true, nil
}
