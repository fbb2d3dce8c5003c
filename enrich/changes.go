package enrich

import (
	"strings"
	"unsafe"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Which top-level members of an event changed since it was decoded, for the
// native format's byte-range patches (record.Record.Changed). Each kind of
// member is told the cheapest way that cannot miss a change:
//
//   - level, requestURI, userAgent: strings, compared by value with what
//     they were (a value equal to the logged one means what its bytes say);
//   - requestObject, responseObject: compared by identity (the
//     runtime.Unknown and its bytes: data pointer, length, content type).
//     The policy and the redactor replace a body, never write into one;
//   - user, impersonatedUser, responseStatus, annotations, whose maps and
//     slices the redactor edits in place: by the paths it lists (the root of
//     each, redact.Result.Redactions), and the redactor's own annotation
//     when it removed a body.
//
// When in doubt a member is marked: a "+N more" entry (paths not listed)
// marks every member redaction can touch, and a path whose root is none of
// the above, or a change the policy reports and no comparison finds, drops
// the bytes (the event is re-encoded whole). Marking too much costs a
// re-encoded member; missing one would ship a logged value.

// redactable: the members the redactor may change.
const redactable = 1<<record.MemberRequestURI | 1<<record.MemberUserAgent | 1<<record.MemberUser |
	1<<record.MemberImpersonatedUser | 1<<record.MemberResponseStatus | 1<<record.MemberRequestObject |
	1<<record.MemberResponseObject | 1<<record.MemberAnnotations

// before is what the policy and redaction may replace in an event, taken
// before they run.
type before struct {
	level           auditv1.Level
	uri, userAgent  string
	request, respon body
}

// body is a request or response body as it was: its identity.
type body struct {
	u           *runtime.Unknown
	data        *byte
	n           int
	contentType string
}

func bodyOf(u *runtime.Unknown) body {
	if u == nil {
		return body{}
	}
	return body{u: u, data: unsafe.SliceData(u.Raw), n: len(u.Raw), contentType: u.ContentType}
}

// same reports whether u is the body b was taken of, unchanged.
func (b *body) same(u *runtime.Unknown) bool {
	if u != b.u {
		return false
	}
	return u == nil || unsafe.SliceData(u.Raw) == b.data && len(u.Raw) == b.n && u.ContentType == b.contentType
}

func (b *before) take(ev *auditv1.Event) {
	*b = before{level: ev.Level, uri: ev.RequestURI, userAgent: ev.UserAgent,
		request: bodyOf(ev.RequestObject), respon: bodyOf(ev.ResponseObject)}
}

// compared returns the members found changed by comparing ev with b.
func (b *before) compared(ev *auditv1.Event) record.Members {
	var s record.Members
	if ev.Level != b.level {
		s.Add(record.MemberLevel)
	}
	if ev.RequestURI != b.uri {
		s.Add(record.MemberRequestURI)
	}
	if ev.UserAgent != b.userAgent {
		s.Add(record.MemberUserAgent)
	}
	if !b.request.same(ev.RequestObject) {
		s.Add(record.MemberRequestObject)
	}
	if !b.respon.same(ev.ResponseObject) {
		s.Add(record.MemberResponseObject)
	}
	return s
}

// redactedMembers returns the members the redaction paths are in; ok is
// false for a path it cannot place.
func redactedMembers(res *redact.Result) (s record.Members, ok bool) {
	if res.BodyRemoved {
		s.Add(record.MemberAnnotations) // redact.Annotation
	}
	for _, p := range res.Redactions {
		root := p
		if i := strings.IndexAny(p, ".["); i >= 0 {
			root = p[:i]
		}
		switch root {
		case "requestURI":
			s.Add(record.MemberRequestURI)
		case "userAgent":
			s.Add(record.MemberUserAgent)
		case "user":
			s.Add(record.MemberUser)
		case "impersonatedUser":
			s.Add(record.MemberImpersonatedUser)
		case "responseStatus":
			s.Add(record.MemberResponseStatus)
		case "requestObject":
			s.Add(record.MemberRequestObject)
		case "responseObject":
			s.Add(record.MemberResponseObject)
		case "annotations":
			s.Add(record.MemberAnnotations)
		default:
			if strings.HasPrefix(p, "+") && strings.HasSuffix(p, " more") {
				s |= redactable // paths past redact.MaxPaths: not listed
				continue
			}
			return 0, false
		}
	}
	return s, true
}
