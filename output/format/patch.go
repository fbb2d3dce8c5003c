package format

import (
	"errors"
	"fmt"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Byte-range patches: the native message of an event that redaction,
// re-levelling or truncation changed is still its own bytes, but for the
// top-level members that changed (record.Record.Changed), whose values are
// re-encoded from the event by appendMember, exactly as in a re-encoded
// event. Around them every byte is the logged one: the other members, the
// spacing, the member order.
//
// With the members of the logged object M0 … Mn-1, in the order of the
// bytes, and the gaps G0 (after '{', white space only) and Gi (before Mi,
// white space around one ','):
//
//   - a member not in Changed is copied with the gap before it;
//   - a changed member the event still has (hasMember: json.Marshal would
//     write it) keeps its key and gets its new value;
//   - a changed member the event no longer has (a body dropped, the last
//     annotation deleted) is left out with the gap before it;
//   - a changed member the bytes did not have (an annotations object
//     added) is appended after the last member;
//
// the first member written takes no gap but G0. The enrichment follows as
// in a spliced message. A member of the bytes is never both copied and
// re-encoded, and each is written at most once: the message is a valid
// object whatever members go.

// eventMembers is the number of members of auditv1.Event
// (record.MemberTimestamp is not one).
const eventMembers = record.MemberAnnotations + 1

// hasMember reports whether json.Marshal writes member m of ev (the
// omitempty fields are left out when empty).
func hasMember(ev *auditv1.Event, m record.Member) bool {
	switch m {
	case record.MemberKind:
		return ev.Kind != ""
	case record.MemberAPIVersion:
		return ev.APIVersion != ""
	case record.MemberLevel, record.MemberAuditID, record.MemberStage, record.MemberRequestURI, record.MemberVerb,
		record.MemberUser, record.MemberRequestReceivedTimestamp, record.MemberStageTimestamp:
		return true
	case record.MemberImpersonatedUser:
		return ev.ImpersonatedUser != nil
	case record.MemberAuthenticationMetadata:
		return ev.AuthenticationMetadata != nil
	case record.MemberSourceIPs:
		return len(ev.SourceIPs) > 0
	case record.MemberUserAgent:
		return ev.UserAgent != ""
	case record.MemberObjectRef:
		return ev.ObjectRef != nil
	case record.MemberResponseStatus:
		return ev.ResponseStatus != nil
	case record.MemberRequestObject:
		return ev.RequestObject != nil
	case record.MemberResponseObject:
		return ev.ResponseObject != nil
	case record.MemberAnnotations:
		return len(ev.Annotations) > 0
	}
	return false
}

// appendMember appends the value of member m of ev as json.Marshal writes
// it; bodies are limited to maxBodyDepth nested levels.
func appendMember(dst []byte, ev *auditv1.Event, m record.Member, maxBodyDepth int) ([]byte, error) {
	var err error
	switch m {
	case record.MemberKind:
		return appendJSONString(dst, ev.Kind), nil
	case record.MemberAPIVersion:
		return appendJSONString(dst, ev.APIVersion), nil
	case record.MemberLevel:
		return appendJSONString(dst, string(ev.Level)), nil
	case record.MemberAuditID:
		return appendJSONString(dst, string(ev.AuditID)), nil
	case record.MemberStage:
		return appendJSONString(dst, string(ev.Stage)), nil
	case record.MemberRequestURI:
		return appendJSONString(dst, ev.RequestURI), nil
	case record.MemberVerb:
		return appendJSONString(dst, ev.Verb), nil
	case record.MemberUser:
		return appendUserInfo(dst, &ev.User), nil
	case record.MemberImpersonatedUser:
		if ev.ImpersonatedUser == nil {
			return append(dst, "null"...), nil
		}
		return appendUserInfo(dst, ev.ImpersonatedUser), nil
	case record.MemberAuthenticationMetadata:
		am := ev.AuthenticationMetadata
		if am == nil {
			return append(dst, "null"...), nil
		}
		var a jsonObj
		return a.end(a.opt(dst, "impersonationConstraint", am.ImpersonationConstraint)), nil
	case record.MemberSourceIPs:
		return appendStrings(dst, ev.SourceIPs), nil
	case record.MemberUserAgent:
		return appendJSONString(dst, ev.UserAgent), nil
	case record.MemberObjectRef:
		r := ev.ObjectRef
		if r == nil {
			return append(dst, "null"...), nil
		}
		var a jsonObj
		dst = a.opt(dst, "resource", r.Resource)
		dst = a.opt(dst, "namespace", r.Namespace)
		dst = a.opt(dst, "name", r.Name)
		dst = a.opt(dst, "uid", string(r.UID))
		dst = a.opt(dst, "apiGroup", r.APIGroup)
		dst = a.opt(dst, "apiVersion", r.APIVersion)
		dst = a.opt(dst, "resourceVersion", r.ResourceVersion)
		dst = a.opt(dst, "subresource", r.Subresource)
		return a.end(dst), nil
	case record.MemberResponseStatus:
		if ev.ResponseStatus == nil {
			return append(dst, "null"...), nil
		}
		return appendStatus(dst, ev.ResponseStatus), nil
	case record.MemberRequestObject:
		if ev.RequestObject == nil {
			return append(dst, "null"...), nil
		}
		if dst, err = appendUnknown(dst, ev.RequestObject, maxBodyDepth); err != nil {
			return dst, fmt.Errorf("requestObject: %w", err)
		}
		return dst, nil
	case record.MemberResponseObject:
		if ev.ResponseObject == nil {
			return append(dst, "null"...), nil
		}
		if dst, err = appendUnknown(dst, ev.ResponseObject, maxBodyDepth); err != nil {
			return dst, fmt.Errorf("responseObject: %w", err)
		}
		return dst, nil
	case record.MemberRequestReceivedTimestamp:
		return appendMicroTime(dst, ev.RequestReceivedTimestamp), nil
	case record.MemberStageTimestamp:
		return appendMicroTime(dst, ev.StageTimestamp), nil
	case record.MemberAnnotations:
		if ev.Annotations == nil {
			return append(dst, "null"...), nil
		}
		return appendStringMap(dst, ev.Annotations), nil
	}
	return dst, fmt.Errorf("no event member %d", m)
}

// errSpans: a record.Raw whose spans do not fit its bytes.
var errSpans = errors.New("member spans do not fit the event's bytes")

// appendPatched appends the event's own bytes (raw) with the members in
// changed re-encoded from ev, left out or added (see above), without the
// final '}'. It reports whether it wrote a member (the enrichment then
// needs a ','). raw.Bytes is one JSON object.
func appendPatched(dst []byte, raw *record.Raw, changed record.Members, ev *auditv1.Event) ([]byte, bool, error) {
	b := raw.Bytes
	// The members of the bytes, in their order.
	var order [record.NumMembers]record.Member
	n := 0
	for m := range record.NumMembers {
		k := raw.Spans[m].Key
		if k == 0 {
			continue
		}
		i := n
		for ; i > 0 && raw.Spans[order[i-1]].Key > k; i-- {
			order[i] = order[i-1]
		}
		order[i] = m
		n++
	}
	dst = append(dst, '{')
	wrote := false
	prevEnd := uint32(1) // where the gap before the next member starts
	var err error
	for _, m := range order[:n] {
		sp := raw.Spans[m]
		if sp.Key < prevEnd || sp.Value <= sp.Key || sp.End <= sp.Value || int(sp.End) >= len(b) {
			// Not what audit.DecodeRaw writes: never sliced.
			return dst, wrote, errSpans
		}
		keep, patch := true, false
		if changed.Has(m) {
			keep = m < eventMembers && hasMember(ev, m)
			patch = keep
		}
		if keep {
			gap := b[prevEnd:sp.Key]
			if !wrote {
				gap = b[1:raw.Spans[order[0]].Key] // G0: white space only
			}
			dst = append(dst, gap...)
			if patch {
				dst = append(dst, b[sp.Key:sp.Value]...)
				if dst, err = appendMember(dst, ev, m, jsonx.MaxDepth); err != nil {
					return dst, wrote, err
				}
			} else {
				dst = append(dst, b[sp.Key:sp.End]...)
			}
			wrote = true
		}
		prevEnd = sp.End
	}
	for m := range eventMembers {
		if !changed.Has(m) || raw.Has(m) || !hasMember(ev, m) {
			continue
		}
		if wrote {
			dst = append(dst, ',')
		}
		dst = append(append(append(dst, '"'), appendEventFields[m]...), '"', ':')
		if dst, err = appendMember(dst, ev, m, jsonx.MaxDepth); err != nil {
			return dst, wrote, err
		}
		wrote = true
	}
	return dst, wrote, nil
}
