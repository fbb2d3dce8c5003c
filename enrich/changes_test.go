package enrich

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

func members(ms ...record.Member) record.Members {
	var s record.Members
	for _, m := range ms {
		s.Add(m)
	}
	return s
}

// TestRedactedMembers: each redaction path marks the member it is in; paths
// not listed mark every member redaction may change; a path placed in no
// member is not ok (the event is then re-encoded whole).
func TestRedactedMembers(t *testing.T) {
	for _, c := range []struct {
		paths   []string
		removed bool
		want    record.Members
		ok      bool
	}{
		{nil, false, 0, true},
		{nil, true, members(record.MemberAnnotations), true},
		{[]string{"requestURI.query.token", "requestURI.path"}, false, members(record.MemberRequestURI), true},
		{[]string{"userAgent"}, false, members(record.MemberUserAgent), true},
		{[]string{`annotations["example.com/x"]`, "annotations.a"}, false, members(record.MemberAnnotations), true},
		{[]string{"user.extra.token[0]", "impersonatedUser.extra.x[1]"}, false, members(record.MemberUser, record.MemberImpersonatedUser), true},
		{[]string{"responseStatus.message", "responseStatus.details.causes[0].field"}, false, members(record.MemberResponseStatus), true},
		{[]string{"requestObject.data.password", "responseObject", "requestObject.*"}, true, members(record.MemberRequestObject, record.MemberResponseObject, record.MemberAnnotations), true},
		{[]string{"userAgent", "+3 more"}, false, redactable, true},
		{[]string{"userAgent", "somewhere.else"}, false, 0, false},
		{[]string{"+"}, false, 0, false},
	} {
		got, ok := redactedMembers(&redact.Result{Redactions: c.paths, BodyRemoved: c.removed})
		if ok != c.ok || ok && got != c.want {
			t.Errorf("%q (body removed %v): %b %v, want %b %v", c.paths, c.removed, got, ok, c.want, c.ok)
		}
	}
}

// TestBeforeCompared: strings by value, bodies by identity (a body
// replaced, its bytes replaced or retyped, or dropped).
func TestBeforeCompared(t *testing.T) {
	body := func() *runtime.Unknown {
		return &runtime.Unknown{Raw: []byte(`{"a":1}`), ContentType: runtime.ContentTypeJSON}
	}
	ev := auditv1.Event{Level: auditv1.LevelRequestResponse, RequestURI: "/x?a=1", UserAgent: "ua", RequestObject: body(), ResponseObject: body()}
	var b before
	b.take(&ev)
	if got := b.compared(&ev); got != 0 {
		t.Fatalf("unchanged: %b", got)
	}
	// The same values in new strings are not a change.
	ev.RequestURI, ev.UserAgent = string([]byte("/x?a=1")), string([]byte("ua"))
	if got := b.compared(&ev); got != 0 {
		t.Fatalf("same values: %b", got)
	}
	ev.Level, ev.RequestURI, ev.UserAgent = auditv1.LevelMetadata, "/x?a=2", "ub"
	ev.RequestObject.Raw = []byte(`{"a":2}`)
	ev.ResponseObject = nil
	want := members(record.MemberLevel, record.MemberRequestURI, record.MemberUserAgent, record.MemberRequestObject, record.MemberResponseObject)
	if got := b.compared(&ev); got != want {
		t.Fatalf("changed: %b, want %b", got, want)
	}
	for name, edit := range map[string]func(u *runtime.Unknown) *runtime.Unknown{
		"replaced":         func(*runtime.Unknown) *runtime.Unknown { return body() },
		"bytes shortened":  func(u *runtime.Unknown) *runtime.Unknown { u.Raw = u.Raw[:len(u.Raw)-1]; return u },
		"content type":     func(u *runtime.Unknown) *runtime.Unknown { u.ContentType = "application/yaml"; return u },
		"bytes moved":      func(u *runtime.Unknown) *runtime.Unknown { u.Raw = append([]byte(nil), u.Raw...); return u },
		"same bytes, kept": nil,
	} {
		ev := auditv1.Event{RequestObject: body()}
		b.take(&ev)
		if edit != nil {
			ev.RequestObject = edit(ev.RequestObject)
		}
		if got := b.compared(&ev).Has(record.MemberRequestObject); got != (edit != nil) {
			t.Errorf("%s: changed %v", name, got)
		}
	}
}
