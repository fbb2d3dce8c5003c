package format

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// An appending JSON encoder for the native format: the audit event and the
// enrichment are written straight into the caller's buffer, byte for byte as
// json.Marshal writes them (field order and omitempty of the struct tags,
// HTML-safe string escaping, sorted map keys, MicroTime and runtime.Unknown
// as their MarshalJSON methods and encoding/json's compaction make them),
// without reflection and without allocating.
//
// TestAppendNativeMatchesMarshal holds it to encodeNativeMarshal (the
// json.Marshal implementation, in a test file) over the real logs, the
// benchmark mix and edge cases; FuzzAppendNative over arbitrary events;
// TestAppendJSONFieldTables checks the field lists below against the Go
// types, so that a field added to a type (Enrichment, or a Kubernetes type
// after an upgrade) fails a test until it is encoded here.

// appendNative appends the native message: the event with the enrichment
// as its last member. An event logged as it is (rec.Raw) is its own bytes,
// the enrichment spliced in before the final '}': as they are when nothing
// changed the event, else with the members that changed (rec.Changed)
// patched (appendPatched). Any other is encoded as json.Marshal would
// write it.
func appendNative(dst []byte, rec *record.Record, d Detail) ([]byte, error) {
	n := len(dst)
	if raw := rec.Raw.Bytes; len(raw) >= 2 && raw[0] == '{' && raw[len(raw)-1] == '}' {
		// The exact bytes of a JSON object (audit.DecodeRaw): "{}" has no
		// member to follow.
		var wrote bool
		var err error
		if rec.Changed == 0 {
			body := bytes.TrimRight(raw[:len(raw)-1], " \t\r\n")
			dst = append(dst, body...)
			wrote = len(body) > 1
		} else if dst, wrote, err = appendPatched(dst, &rec.Raw, rec.Changed, rec.Event); err == errSpans {
			// Spans that do not fit: the event re-encoded, as without
			// its bytes.
			plain := *rec
			plain.Raw, plain.Changed = record.Raw{}, 0
			return appendNative(dst[:n], &plain, d)
		} else if err != nil {
			return dst[:n], fmt.Errorf("encode event: %w", err)
		}
		if wrote {
			dst = append(dst, ',')
		}
		dst = append(dst, `"`+NativeEnrichment+`":`...)
	} else {
		var err error
		if dst, err = appendEvent(dst, rec.Event); err != nil {
			return dst[:n], fmt.Errorf("encode event: %w", err)
		}
		// The event is a JSON object: the enrichment goes in before its end.
		dst = append(dst[:len(dst)-1], `,"`+NativeEnrichment+`":`...)
	}
	dst, err := appendNativeEnrichment(dst, rec, d)
	if err != nil {
		return dst[:n], fmt.Errorf("encode enrichment: %w", err)
	}
	return append(dst, '}'), nil
}

// appendNativeEnrichment writes record.Native's members (lean) and, for
// Full, the who, what, where and result objects of the full enrichment.
func appendNativeEnrichment(dst []byte, rec *record.Record, d Detail) ([]byte, error) {
	e := &rec.Enrichment
	o := jsonObj{}
	dst = o.str(dst, "severity", e.Severity)
	dst = strconv.AppendInt(o.key(dst, "severity_id"), int64(e.SeverityID), 10)
	dst = o.strs(dst, "rules", e.Rules)
	dst = o.strs(dst, "attack", e.Attack)
	dst = o.str(dst, "summary", e.Summary)
	dst = o.opt(dst, "client", e.Who.Client)
	dst = o.opt(dst, "client_version", e.Who.ClientVersion)
	dst = o.opt(dst, "client_type", e.Who.ClientType)
	if w := &e.What; w.Resource != "" {
		// [group/]resource[/subresource], written in place when no part
		// needs escaping (API groups and resources are DNS names).
		dst = o.key(dst, "resource")
		if plain(w.APIGroup) && plain(w.Resource) && plain(w.Subresource) {
			dst = append(dst, '"')
			if w.APIGroup != "" {
				dst = append(append(dst, w.APIGroup...), '/')
			}
			dst = append(dst, w.Resource...)
			if w.Subresource != "" {
				dst = append(append(dst, '/'), w.Subresource...)
			}
			dst = append(dst, '"')
		} else {
			dst = appendJSONString(dst, w.Path())
		}
	} else {
		dst = o.opt(dst, "resource", w.NonResourceURL)
	}
	if ref := rec.Event.ObjectRef; ref == nil || ref.Name == "" {
		dst = o.opt(dst, "name", e.What.Name)
	}
	dst = o.opt(dst, "command", e.What.Command)
	dst = o.opt(dst, "container", e.What.Container)
	var err error
	if dst, err = appendFloat64(o.key(dst, "latency_ms"), e.Result.LatencyMS); err != nil {
		return dst, err
	}
	dst = strconv.AppendBool(o.key(dst, "allowed"), e.Result.Allowed)
	dst = o.strs(dst, "redactions", e.Redactions)
	dst = o.opt(dst, "logged_level", e.LoggedLevel)
	if e.Truncated {
		dst = append(o.key(dst, "truncated"), "true"...)
	}
	dst = o.opt(dst, "cluster", e.Cluster)
	dst = o.opt(dst, "node", e.Node)
	if d == Full {
		if dst, err = appendCopies(dst, &o, e, nil); err != nil {
			return dst, err
		}
	}
	return o.end(dst), nil
}

// jsonObj writes the members of one JSON object: open with '{', then key before
// each member, then close.
type jsonObj struct {
	sep byte
	// plain is the string escaping: nil for encoding/json's default
	// (HTML-safe), jsonx.NoHTML for an Encoder with SetEscapeHTML(false).
	plain *jsonx.Table
}

// string appends s with o's escaping.
func (o *jsonObj) string(dst []byte, s string) []byte {
	if o.plain == nil {
		return appendJSONString(dst, s)
	}
	return jsonx.AppendWith(dst, s, o.plain)
}

func (o *jsonObj) key(dst []byte, k string) []byte {
	if o.sep == 0 {
		o.sep = '{'
	}
	dst = append(dst, o.sep, '"')
	o.sep = ','
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

func (o *jsonObj) end(dst []byte) []byte {
	if o.sep == 0 {
		dst = append(dst, '{')
	}
	return append(dst, '}')
}

// str writes a member whose value is a string without omitempty.
func (o *jsonObj) str(dst []byte, k, v string) []byte {
	return o.string(o.key(dst, k), v)
}

// opt writes a string member with omitempty.
func (o *jsonObj) opt(dst []byte, k, v string) []byte {
	if v == "" {
		return dst
	}
	return o.string(o.key(dst, k), v)
}

// strs writes a []string member with omitempty.
func (o *jsonObj) strs(dst []byte, k string, v []string) []byte {
	if len(v) == 0 {
		return dst
	}
	return appendStringsTable(o.key(dst, k), v, o.plain)
}

// int32 writes an int32 member with omitempty.
func (o *jsonObj) int32(dst []byte, k string, v int32) []byte {
	if v == 0 {
		return dst
	}
	return strconv.AppendInt(o.key(dst, k), int64(v), 10)
}

// appendStrings writes a []string (nil is null).
func appendStrings(dst []byte, v []string) []byte { return appendStringsTable(dst, v, nil) }

// appendStringsTable is appendStrings with the escaping of plain (nil:
// HTML-safe).
func appendStringsTable(dst []byte, v []string, plain *jsonx.Table) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		if plain == nil {
			dst = appendJSONString(dst, s)
		} else {
			dst = jsonx.AppendWith(dst, s, plain)
		}
	}
	return append(dst, ']')
}

// Field names as json.Marshal writes them, in struct order.
// TestAppendJSONFieldTables compares these with the types.
var (
	appendEventFields      = []string{"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser", "authenticationMetadata", "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp", "stageTimestamp", "annotations"}
	appendUserFields       = []string{"username", "uid", "groups", "extra"}
	appendAuthnMetaFields  = []string{"impersonationConstraint"}
	appendObjectRefFields  = []string{"resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "resourceVersion", "subresource"}
	appendStatusFields     = []string{"kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"}
	appendListMetaFields   = []string{"selfLink", "resourceVersion", "continue", "remainingItemCount", "shardInfo"}
	appendShardInfoFields  = []string{"selector"}
	appendDetailsFields    = []string{"name", "group", "kind", "uid", "causes", "retryAfterSeconds"}
	appendCauseFields      = []string{"reason", "message", "field"}
	appendEnrichmentFields = []string{"severity", "severity_id", "rules", "attack", "who", "what", "where", "result", "summary", "redactions", "level", "logged_level", "truncated", "cluster", "node"}
	appendWhoFields        = []string{"user", "groups", "service_account_namespace", "service_account_name", "pod", "pod_node", "credential_id", "impersonated_user", "impersonated_groups", "source_ips", "user_agent", "client", "client_version", "client_type"}
	appendWhatFields       = []string{"verb", "resource", "subresource", "name", "namespace", "api_group", "api_version", "non_resource_url", "command", "container"}
	appendWhereFields      = []string{"cluster", "node", "source_ips"}
	appendResultFields     = []string{"code", "status", "reason", "message", "decision", "decision_reason", "latency_ms", "allowed", "pod_security_violations"}
)

// appendEvent appends ev as json.Marshal(ev) does.
func appendEvent(dst []byte, ev *auditv1.Event) ([]byte, error) {
	return appendEventDepth(dst, ev, jsonx.MaxDepth)
}

// appendEventDepth is appendEvent with bodies limited to maxBodyDepth
// nested levels (encoding/json's limit is relative to the document it
// compacts: a body inside an event embedded as a json.RawMessage has one
// level less). Each member is written by appendMember, as a patched
// message's changed members are (patch.go).
func appendEventDepth(dst []byte, ev *auditv1.Event, maxBodyDepth int) ([]byte, error) {
	var o jsonObj
	var err error
	for m := range eventMembers {
		if !hasMember(ev, m) {
			continue
		}
		if dst, err = appendMember(o.key(dst, appendEventFields[m]), ev, m, maxBodyDepth); err != nil {
			return dst, err
		}
	}
	return o.end(dst), nil
}

func appendUserInfo(dst []byte, u *authnv1.UserInfo) []byte {
	var o jsonObj
	dst = o.opt(dst, "username", u.Username)
	dst = o.opt(dst, "uid", u.UID)
	dst = o.strs(dst, "groups", u.Groups)
	if len(u.Extra) > 0 {
		dst = o.key(dst, "extra")
		var keys [8]string
		ks := keys[:0]
		for k := range u.Extra {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		var m jsonObj
		for _, k := range ks {
			dst = appendStrings(m.keyEscaped(dst, k), u.Extra[k])
		}
		dst = m.end(dst)
	}
	return o.end(dst)
}

// keyEscaped writes a member whose key is data (a map key).
func (o *jsonObj) keyEscaped(dst []byte, k string) []byte {
	if o.sep == 0 {
		o.sep = '{'
	}
	dst = append(dst, o.sep)
	o.sep = ','
	return append(appendJSONString(dst, k), ':')
}

func appendStringMap(dst []byte, m map[string]string) []byte {
	var keys [16]string
	ks := keys[:0]
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	var o jsonObj
	for _, k := range ks {
		dst = appendJSONString(o.keyEscaped(dst, k), m[k])
	}
	return o.end(dst)
}

func appendStatus(dst []byte, s *metav1.Status) []byte {
	var o jsonObj
	dst = o.opt(dst, "kind", s.Kind)
	dst = o.opt(dst, "apiVersion", s.APIVersion)
	// ListMeta is a struct: omitempty never leaves it out.
	dst = o.key(dst, "metadata")
	var lm jsonObj
	dst = lm.opt(dst, "selfLink", s.SelfLink)
	dst = lm.opt(dst, "resourceVersion", s.ResourceVersion)
	dst = lm.opt(dst, "continue", s.Continue)
	if s.RemainingItemCount != nil {
		dst = strconv.AppendInt(lm.key(dst, "remainingItemCount"), *s.RemainingItemCount, 10)
	}
	if s.ShardInfo != nil {
		var si jsonObj
		dst = si.str(lm.key(dst, "shardInfo"), "selector", s.ShardInfo.Selector)
		dst = si.end(dst)
	}
	dst = lm.end(dst)
	dst = o.opt(dst, "status", s.Status)
	dst = o.opt(dst, "message", s.Message)
	dst = o.opt(dst, "reason", string(s.Reason))
	if d := s.Details; d != nil {
		var do jsonObj
		dst = o.key(dst, "details")
		dst = do.opt(dst, "name", d.Name)
		dst = do.opt(dst, "group", d.Group)
		dst = do.opt(dst, "kind", d.Kind)
		dst = do.opt(dst, "uid", string(d.UID))
		if len(d.Causes) > 0 {
			dst = append(do.key(dst, "causes"), '[')
			for i := range d.Causes {
				if i > 0 {
					dst = append(dst, ',')
				}
				c := &d.Causes[i]
				var co jsonObj
				dst = co.opt(dst, "reason", string(c.Type))
				dst = co.opt(dst, "message", c.Message)
				dst = co.opt(dst, "field", c.Field)
				dst = co.end(dst)
			}
			dst = append(dst, ']')
		}
		dst = do.int32(dst, "retryAfterSeconds", d.RetryAfterSeconds)
		dst = do.end(dst)
	}
	dst = o.int32(dst, "code", s.Code)
	return o.end(dst)
}

var errUnknownNotJSON = errors.New("runtime.Unknown: MarshalJSON on non-json data")

// appendUnknown writes a body as runtime.Unknown's MarshalJSON and then
// encoding/json's compaction (with HTML escaping) make it.
func appendUnknown(dst []byte, u *runtime.Unknown, maxDepth int) ([]byte, error) {
	if u.ContentType != "" && u.ContentType != runtime.ContentTypeJSON {
		return dst, errUnknownNotJSON
	}
	if u.Raw == nil {
		return append(dst, "null"...), nil
	}
	return jsonx.AppendCompactDepth(dst, u.Raw, maxDepth)
}

// appendMicroTime writes t as metav1.MicroTime's MarshalJSON does: null when
// zero, else RFC3339 in UTC with microseconds (truncated).
func appendMicroTime(dst []byte, t metav1.MicroTime) []byte {
	if t.IsZero() {
		return append(dst, "null"...)
	}
	u := t.UTC()
	year, month, day := u.Date()
	if year < 0 || year > 9999 {
		dst = append(dst, '"')
		dst = u.AppendFormat(dst, metav1.RFC3339Micro)
		return append(dst, '"')
	}
	hour, min, sec := u.Clock()
	us := u.Nanosecond() / int(time.Microsecond)
	var b [28]byte
	b[0] = '"'
	put4(b[1:], year)
	b[5] = '-'
	put2(b[6:], int(month))
	b[8] = '-'
	put2(b[9:], day)
	b[11] = 'T'
	put2(b[12:], hour)
	b[14] = ':'
	put2(b[15:], min)
	b[17] = ':'
	put2(b[18:], sec)
	b[20] = '.'
	put2(b[21:], us/10000)
	put2(b[23:], us/100%100)
	put2(b[25:], us%100)
	b[27] = 'Z'
	return append(append(dst, b[:]...), '"')
}

func put2(b []byte, v int) { b[0], b[1] = byte('0'+v/10), byte('0'+v%10) }
func put4(b []byte, v int) { put2(b, v/100); put2(b[2:], v%100) }

// appendEnrichment appends e as json.Marshal(e) does; with noHTML as an
// Encoder with SetEscapeHTML(false) does.
func appendEnrichment(dst []byte, e *record.Enrichment, noHTML bool) ([]byte, error) {
	var plain *jsonx.Table
	if noHTML {
		plain = jsonx.NoHTML
	}
	o := jsonObj{plain: plain}
	dst = o.str(dst, "severity", e.Severity)
	dst = strconv.AppendInt(o.key(dst, "severity_id"), int64(e.SeverityID), 10)
	dst = o.strs(dst, "rules", e.Rules)
	dst = o.strs(dst, "attack", e.Attack)
	dst, err := appendCopies(dst, &o, e, plain)
	if err != nil {
		return dst, err
	}
	dst = o.str(dst, "summary", e.Summary)
	dst = o.strs(dst, "redactions", e.Redactions)
	dst = o.opt(dst, "level", e.Level)
	dst = o.opt(dst, "logged_level", e.LoggedLevel)
	if e.Truncated {
		dst = append(o.key(dst, "truncated"), "true"...)
	}
	dst = o.opt(dst, "cluster", e.Cluster)
	dst = o.opt(dst, "node", e.Node)
	return o.end(dst), nil
}

// appendCopies writes the who, what, where and result members of the full
// enrichment (record.Enrichment's JSON): mostly copies of event fields.
func appendCopies(dst []byte, o *jsonObj, e *record.Enrichment, plain *jsonx.Table) ([]byte, error) {
	w := &e.Who
	wo := jsonObj{plain: plain}
	dst = o.key(dst, "who")
	dst = wo.str(dst, "user", w.User)
	dst = wo.strs(dst, "groups", w.Groups)
	dst = wo.opt(dst, "service_account_namespace", w.ServiceAccountNamespace)
	dst = wo.opt(dst, "service_account_name", w.ServiceAccountName)
	dst = wo.opt(dst, "pod", w.Pod)
	dst = wo.opt(dst, "pod_node", w.PodNode)
	dst = wo.opt(dst, "credential_id", w.CredentialID)
	dst = wo.opt(dst, "impersonated_user", w.ImpersonatedUser)
	dst = wo.strs(dst, "impersonated_groups", w.ImpersonatedGroups)
	dst = wo.strs(dst, "source_ips", w.SourceIPs)
	dst = wo.opt(dst, "user_agent", w.UserAgent)
	dst = wo.opt(dst, "client", w.Client)
	dst = wo.opt(dst, "client_version", w.ClientVersion)
	dst = wo.opt(dst, "client_type", w.ClientType)
	dst = wo.end(dst)

	wh := &e.What
	ho := jsonObj{plain: plain}
	dst = o.key(dst, "what")
	dst = ho.str(dst, "verb", wh.Verb)
	dst = ho.opt(dst, "resource", wh.Resource)
	dst = ho.opt(dst, "subresource", wh.Subresource)
	dst = ho.opt(dst, "name", wh.Name)
	dst = ho.opt(dst, "namespace", wh.Namespace)
	dst = ho.opt(dst, "api_group", wh.APIGroup)
	dst = ho.opt(dst, "api_version", wh.APIVersion)
	dst = ho.opt(dst, "non_resource_url", wh.NonResourceURL)
	dst = ho.opt(dst, "command", wh.Command)
	dst = ho.opt(dst, "container", wh.Container)
	dst = ho.end(dst)

	whr := jsonObj{plain: plain}
	dst = o.key(dst, "where")
	dst = whr.opt(dst, "cluster", e.Where.Cluster)
	dst = whr.opt(dst, "node", e.Where.Node)
	dst = whr.strs(dst, "source_ips", e.Where.SourceIPs)
	dst = whr.end(dst)

	r := &e.Result
	ro := jsonObj{plain: plain}
	dst = o.key(dst, "result")
	dst = ro.int32(dst, "code", r.Code)
	dst = ro.opt(dst, "status", r.Status)
	dst = ro.opt(dst, "reason", r.Reason)
	dst = ro.opt(dst, "message", r.Message)
	dst = ro.opt(dst, "decision", r.Decision)
	dst = ro.opt(dst, "decision_reason", r.DecisionReason)
	var err error
	if dst, err = appendFloat64(ro.key(dst, "latency_ms"), r.LatencyMS); err != nil {
		return dst, err
	}
	dst = strconv.AppendBool(ro.key(dst, "allowed"), r.Allowed)
	dst = ro.opt(dst, "pod_security_violations", r.PodSecurityViolations)
	dst = ro.end(dst)

	return dst, nil
}

// appendFloat64 writes f as encoding/json writes a float64 (ES6 number
// formatting); NaN and infinities are an error, as they are there.
func appendFloat64(dst []byte, f float64) ([]byte, error) {
	if n := math.Round(f * 1000); f != 0 && math.Abs(n) < 1<<40 && n/1000 == f {
		// Thousandths (latency_ms is whole microseconds): f is the double
		// nearest n/1000, and no other decimal that short is within half
		// an ulp of it, so n/1000 without trailing zeros is the shortest
		// decimal strconv would search for.
		return appendMilli(dst, int64(n)), nil
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendMilli writes n/1000 in decimal, without trailing zeros.
func appendMilli(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	dst = strconv.AppendInt(dst, n/1000, 10)
	if frac := n % 1000; frac != 0 {
		digits := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		end := 4
		for digits[end-1] == '0' {
			end--
		}
		dst = append(dst, digits[:end]...)
	}
	return dst
}

// appendJSONString writes s as json.Marshal writes a string (HTML-safe).
// Most strings need no escaping: they are found 8 bytes at a time and
// copied in one append.
func appendJSONString(dst []byte, s string) []byte {
	i := jsonx.ScanHTML(s, 0)
	dst = append(dst, '"')
	dst = append(dst, s[:i]...)
	if i == len(s) {
		return append(dst, '"')
	}
	// s[:i] is plain ASCII, so s[i] starts a character: the rest is escaped
	// on its own, without the opening quote AppendWith writes.
	n := len(dst)
	dst = jsonx.AppendWith(dst, s[i:], jsonx.HTMLSafe)
	return append(dst[:n], dst[n+1:]...)
}

// plain reports whether s is written as a JSON string without escaping.
func plain(s string) bool { return jsonx.ScanHTML(s, 0) == len(s) }
