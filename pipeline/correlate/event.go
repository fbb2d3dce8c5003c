package correlate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Event is one audit event as the rules read it: the event, its view, and
// the single-event enrichment (from the native message, or computed by the
// plugin's enricher for a raw event).
type Event struct {
	View   audit.View
	Time   time.Time
	Offset int64

	enr     []byte // the native message's enrichment, parsed on first use
	sev     record.Severity
	rules   []string
	enrDone bool
	evs     []auditv1.Event
	// A repartitioned copy: the rules (ids) and the group key it was routed
	// for; nil and "" otherwise.
	only []string
	key  string
}

// Route restricts a repartitioned event to the rules and the group key it
// was forwarded for (Forward's headers).
func (e *Event) Route(rules []string, key string) { e.only, e.key = rules, key }

// Severity is the event's single-event severity (info when unknown).
func (e *Event) Severity() record.Severity {
	e.parseEnrichment()
	return e.sev
}

// Rules are the ids of the single-event rules that matched.
func (e *Event) Rules() []string {
	e.parseEnrichment()
	return e.rules
}

func (e *Event) parseEnrichment() {
	if e.enrDone {
		return
	}
	e.enrDone = true
	e.sev = record.SeverityInfo
	var n struct {
		SeverityID int      `json:"severity_id"`
		Rules      []string `json:"rules"`
	}
	if len(e.enr) > 0 && json.Unmarshal(e.enr, &n) == nil {
		if n.SeverityID >= int(record.SeverityInfo) && n.SeverityID <= int(record.SeverityCritical) {
			e.sev = record.Severity(n.SeverityID)
		}
		e.rules = n.Rules
	}
}

// AuditID is the event's audit id.
func (e *Event) AuditID() string { return string(e.View.Event.AuditID) }

// SourceIP is the first source IP of the request.
func (e *Event) SourceIP() string {
	if ips := e.View.Event.SourceIPs; len(ips) > 0 {
		return ips[0]
	}
	return ""
}

// User is the user name of the request.
func (e *Event) User() string { return e.View.Event.User.Username }

// ErrSkipped is returned for a message that holds no event to correlate (a
// stage the plugin does not ship, a list without items).
var ErrSkipped = errors.New("no event to correlate")

// Decoder turns messages into Events. With an enricher, a raw audit event
// is enriched (and filtered by stage) as the plugin would; a native message
// carries its enrichment.
type Decoder struct {
	en  *enrich.Enricher
	rec record.Record
	buf []byte
	// needsEnrichment: decode the enrichment of raw events (the rules
	// read it); native messages keep theirs as bytes, parsed on use.
	needsEnrichment bool
}

// NewDecoder returns a decoder; en may be nil (messages are native).
func NewDecoder(en *enrich.Enricher, rs *RuleSet) *Decoder {
	return &Decoder{en: en, needsEnrichment: rs.needsEnrichment}
}

var enrichmentMember = []byte(`,"enrichment":`)

// Decode reads one message into ev (overwritten). The event's strings share
// one private copy of msg; the enrichment is read from msg itself, which
// must not change until the event has been processed.
func (d *Decoder) Decode(msg []byte, ev *Event) error {
	evs := ev.evs[:0]
	*ev = Event{evs: evs}
	msg = bytes.TrimSpace(msg)
	doc, enr := msg, []byte(nil)
	// A native message is the event with the enrichment as its last member.
	if i := bytes.LastIndex(msg, enrichmentMember); i > 0 && msg[len(msg)-1] == '}' {
		enr = msg[i+len(enrichmentMember) : len(msg)-1]
		if len(enr) > 0 && enr[0] == '{' {
			// audit.Decode copies what it keeps: the buffer is reused.
			d.buf = append(append(d.buf[:0], msg[:i]...), '}')
			doc = d.buf
		} else {
			enr = nil
		}
	}
	var err error
	evs, err = audit.Decode(doc, evs)
	ev.evs = evs
	if err != nil {
		return err
	}
	if len(evs) != 1 {
		if len(evs) == 0 {
			return ErrSkipped
		}
		return fmt.Errorf("a message holds %d events (an EventList): correlate reads one event a message", len(evs))
	}
	a := &evs[0]
	if enr != nil {
		ev.enr = enr
	} else if d.en != nil {
		if drop := d.en.EnrichInto(&d.rec, a, record.Raw{}); drop != enrich.DropNone {
			return ErrSkipped
		}
		e := &d.rec.Enrichment
		ev.sev, ev.rules, ev.enrDone = record.Severity(e.SeverityID), e.Rules, true
		if ev.sev == 0 {
			ev.sev = record.SeverityInfo
		}
	}
	audit.NewView(a, &ev.View)
	ev.Time = a.StageTimestamp.Time
	if ev.Time.IsZero() {
		ev.Time = a.RequestReceivedTimestamp.Time
	}
	return nil
}

// field reads a value (or several) of an event for group keys, distinct
// counts and step comparisons.
type field struct {
	name string
	fn   func(e *Event, dst []string) []string
}

func one(s string, dst []string) []string {
	if s == "" {
		return dst
	}
	return append(dst, s)
}

var fields = []field{
	{"user", func(e *Event, d []string) []string { return one(e.User(), d) }},
	{"source_ip", func(e *Event, d []string) []string { return one(e.SourceIP(), d) }},
	{"namespace", func(e *Event, d []string) []string { return one(e.View.Namespace, d) }},
	{"verb", func(e *Event, d []string) []string { return one(e.View.Verb, d) }},
	{"user_agent", func(e *Event, d []string) []string { return one(e.View.Event.UserAgent, d) }},
	{"code", func(e *Event, d []string) []string {
		if e.View.Code == 0 {
			return d
		}
		return append(d, strconv.Itoa(int(e.View.Code)))
	}},
	// resource: [group/]resource[/subresource], or the URL path.
	{"resource", func(e *Event, d []string) []string { return one(resourcePath(&e.View), d) }},
	{"name", func(e *Event, d []string) []string { return one(objectName(&e.View), d) }},
	// scope: namespace/resource ("" namespace: cluster-wide).
	{"scope", func(e *Event, d []string) []string {
		return append(d, e.View.Namespace+"/"+resourcePath(&e.View))
	}},
	// object: resource namespace/name.
	{"object", func(e *Event, d []string) []string {
		n := objectName(&e.View)
		if n == "" {
			return d
		}
		return append(d, resourcePath(&e.View)+" "+e.View.Namespace+"/"+n)
	}},
	// pod: namespace/name of a pod request (the pod itself or a subresource).
	{"pod", func(e *Event, d []string) []string {
		v := &e.View
		if !v.IsResource || v.Resource != "pods" || v.Group != "" {
			return d
		}
		n := objectName(v)
		if n == "" {
			return d
		}
		return append(d, v.Namespace+"/"+n)
	}},
	// token_subject: the service account user a serviceaccounts/token
	// request mints a token for.
	{"token_subject", func(e *Event, d []string) []string {
		v := &e.View
		if v.Resource != "serviceaccounts" || v.Subresource != "token" || v.Name == "" {
			return d
		}
		return append(d, record.ServiceAccountPrefix+v.Namespace+":"+v.Name)
	}},
	// binding_subjects: the users and service accounts a RoleBinding or
	// ClusterRoleBinding in the request grants.
	{"binding_subjects", func(e *Event, d []string) []string { return bindingSubjects(e, d) }},
	// event_rule: the single-event rules that matched.
	{"event_rule", func(e *Event, d []string) []string { return append(d, e.Rules()...) }},
}

// FieldNames lists the fields rules may name in group_by, distinct, key and
// different.
func FieldNames() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

func lookupField(name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func resourcePath(v *audit.View) string {
	if !v.IsResource {
		return v.Path
	}
	p := v.Resource
	if v.Group != "" {
		p = v.Group + "/" + p
	}
	if v.Subresource != "" {
		p += "/" + v.Subresource
	}
	return p
}

// objectName is the object's name, or, for a create with generateName, the
// name in the body.
func objectName(v *audit.View) string {
	if v.Name != "" || !v.IsResource || v.Verb != "create" {
		return v.Name
	}
	return v.Body().Metadata.Name
}

func bindingSubjects(e *Event, d []string) []string {
	v := &e.View
	if v.Group != "rbac.authorization.k8s.io" || (v.Resource != "rolebindings" && v.Resource != "clusterrolebindings") || v.Subresource != "" {
		return d
	}
	ev := v.Event
	var raw []byte
	if ev.RequestObject != nil && len(ev.RequestObject.Raw) > 0 {
		raw = ev.RequestObject.Raw
	} else if ev.ResponseObject != nil {
		raw = ev.ResponseObject.Raw
	}
	var b struct {
		Subjects []struct {
			Kind      string `json:"kind"`
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"subjects"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &b) != nil {
		return d
	}
	for _, s := range b.Subjects {
		switch s.Kind {
		case "User":
			d = one(s.Name, d)
		case "ServiceAccount":
			ns := s.Namespace
			if ns == "" {
				ns = v.Namespace
			}
			d = append(d, record.ServiceAccountPrefix+ns+":"+s.Name)
		}
	}
	return d
}
