package audit

// Cloud envelopes: managed clusters do not hand out the apiserver's audit
// log as it is written, but wrapped in their logging service's records.
// decode unwraps them when a document is not an audit event itself:
//
//   - AKS: Azure diagnostic records of category kube-audit or
//     kube-audit-admin, the event the JSON string properties.log; one record,
//     or Event Hubs' {"records": [...]} batch.
//   - GKE: Cloud Logging LogEntry whose protoPayload is a
//     google.cloud.audit.AuditLog, mapped field by field into an event
//     (gkeEvent); also inside a Pub/Sub push message ({"message": {"data":
//     base64}}).
//   - EKS: a CloudWatch Logs event (the event the JSON string "message"), and
//     the CloudWatch Logs subscription payload (gzip, base64 or not:
//     {"messageType": "DATA_MESSAGE", "logEvents": [{"message": ...}]}), also
//     inside a Firehose HTTP endpoint request ({"records": [{"data": base64}]}).
//
// Events from an envelope never come with their own bytes (DecodeRaw's raw
// is nil): the bytes are the envelope's.

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Envelope kinds, as DecodeEnvelope reports them and the metrics label them.
const (
	EnvelopeNone = ""    // the document was an audit event (or list) itself
	EnvelopeAKS  = "aks" // Azure diagnostic record (kube-audit, kube-audit-admin)
	EnvelopeGKE  = "gke" // Cloud Audit Logs LogEntry (google.cloud.audit.AuditLog)
	EnvelopeEKS  = "eks" // CloudWatch Logs event or subscription payload
)

// EnvelopeKinds lists the envelope kinds decode unwraps.
func EnvelopeKinds() []string { return []string{EnvelopeAKS, EnvelopeEKS, EnvelopeGKE} }

// maxEnvelopeDepth bounds envelopes inside envelopes (Firehose request →
// subscription payload → CloudWatch event → audit event is 3).
const maxEnvelopeDepth = 4

// maxGunzip bounds a decompressed subscription payload (CloudWatch Logs
// sends at most 1 MB compressed); beyond it the record is refused.
const maxGunzip = 64 << 20

// DecodeEnvelope is DecodeRaw that also says which cloud envelope, if any,
// the events came out of (EnvelopeNone for a plain audit event or list). An
// envelope's events have nil raw bytes.
func DecodeEnvelope(doc []byte, dst []auditv1.Event, raws []record.Raw) ([]auditv1.Event, []record.Raw, string, error) {
	if raws == nil {
		raws = []record.Raw{}
	}
	return decodeAny(doc, dst, raws, true, nil)
}

// decodeAny decodes doc as an audit event or list, and when it is none
// (ErrNotAudit, nothing decoded), as a cloud envelope.
func decodeAny(doc []byte, dst []auditv1.Event, raws []record.Raw, fast bool, a *Arena) ([]auditv1.Event, []record.Raw, string, error) {
	n, nr := len(dst), len(raws)
	dst, raws, err := decode(doc, dst, raws, fast, a)
	if err == nil || len(dst) > n || badItems(err) || !errors.Is(err, ErrNotAudit) {
		return dst, raws, EnvelopeNone, err
	}
	evs, kind, eerr := unwrap(doc, dst[:n], 0, fast) // (envelopes: no arena)
	if kind == EnvelopeNone {
		return dst[:n], raws[:nr], EnvelopeNone, err // not an envelope: the event's error
	}
	if raws != nil {
		for range len(evs) - n {
			raws = append(raws, record.Raw{})
		}
	}
	return evs, raws, kind, eerr
}

// badItems reports whether err is a *BadItemsError. (Apart from decodeAny:
// the target errors.As needs escapes, which cost an allocation per event
// when declared on the path every event takes.)
func badItems(err error) bool {
	var bad *BadItemsError
	return errors.As(err, &bad)
}

// envelope holds the members of every envelope shape that tell them apart
// (a document is one of them at most).
type envelope struct {
	// AKS diagnostic record.
	Category   string `json:"category"`
	Properties *struct {
		Log json.RawMessage `json:"log"` // a JSON string (or the event itself)
	} `json:"properties"`
	// Event Hubs batch (objects) or Firehose request ({"data": base64}).
	Records []json.RawMessage `json:"records"`
	// Firehose record.
	Data *string `json:"data"`
	// GKE LogEntry.
	ProtoPayload json.RawMessage   `json:"protoPayload"`
	InsertID     string            `json:"insertId"`
	Timestamp    json.RawMessage   `json:"timestamp"` // GKE: a string; CloudWatch: a number
	Labels       map[string]string `json:"labels"`
	Operation    *struct {
		ID string `json:"id"`
	} `json:"operation"`
	// CloudWatch Logs event (a string) or Pub/Sub push ({"data": base64}).
	Message json.RawMessage `json:"message"`
	// CloudWatch Logs subscription payload.
	MessageType string `json:"messageType"`
	LogEvents   []struct {
		Message string `json:"message"`
	} `json:"logEvents"`
}

// unwrap appends the events of the envelope doc to dst. kind is
// EnvelopeNone when doc is no envelope; with a kind, the error (wrapping
// ErrNotAudit) is about what the envelope holds: a *BadItemsError when some
// of its items are not audit events.
func unwrap(doc []byte, dst []auditv1.Event, depth int, fast bool) ([]auditv1.Event, string, error) {
	if depth > maxEnvelopeDepth {
		return dst, EnvelopeNone, nil
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return dst, EnvelopeNone, nil
	}
	if doc[0] != '{' {
		inner, ok := unpack(doc)
		if !ok {
			return dst, EnvelopeNone, nil
		}
		return unwrap(inner, dst, depth+1, fast)
	}
	var env envelope
	if json.Unmarshal(doc, &env) != nil {
		return dst, EnvelopeNone, nil
	}
	switch {
	case env.Properties != nil && len(env.Properties.Log) > 0 && isAKSCategory(env.Category):
		log := []byte(env.Properties.Log)
		if log[0] == '"' {
			var s string
			if json.Unmarshal(log, &s) != nil {
				return dst, EnvelopeAKS, fmt.Errorf("%w: AKS properties.log is not a string", ErrNotAudit)
			}
			log = []byte(s)
		}
		return inner(dst, log, EnvelopeAKS, fast)
	case env.Category != "" && env.Properties != nil:
		// Another category of Azure diagnostics (kube-apiserver, guard...).
		return dst, EnvelopeAKS, fmt.Errorf("%w: AKS diagnostic record of category %q", ErrNotAudit, clip(env.Category))
	case len(env.ProtoPayload) > 0:
		ev, err := gkeEvent(&env)
		if err != nil {
			return dst, EnvelopeGKE, err
		}
		return append(dst, ev), EnvelopeGKE, nil
	case env.MessageType != "" || env.LogEvents != nil:
		if env.MessageType != "" && env.MessageType != "DATA_MESSAGE" {
			return dst, EnvelopeEKS, fmt.Errorf("%w: CloudWatch Logs %s", ErrNotAudit, clip(env.MessageType))
		}
		items := make([][]byte, len(env.LogEvents))
		for i := range env.LogEvents {
			items[i] = []byte(env.LogEvents[i].Message)
		}
		return batch(dst, items, depth, EnvelopeEKS, fast)
	case env.Records != nil:
		items := make([][]byte, len(env.Records))
		for i, r := range env.Records {
			items[i] = r
		}
		return batch(dst, items, depth, EnvelopeNone, fast)
	case env.Data != nil:
		b, ok := unpack([]byte(*env.Data))
		if !ok {
			return dst, EnvelopeNone, nil
		}
		return unwrap(b, dst, depth+1, fast)
	case len(env.Message) > 0 && env.Message[0] == '"':
		var msg string
		if json.Unmarshal(env.Message, &msg) != nil || !strings.HasPrefix(strings.TrimSpace(msg), "{") {
			return dst, EnvelopeNone, nil // a log line of another kind
		}
		return inner(dst, []byte(msg), EnvelopeEKS, fast)
	case len(env.Message) > 0 && env.Message[0] == '{':
		// Pub/Sub push: the LogEntry is base64 in message.data.
		return unwrap(env.Message, dst, depth+1, fast)
	}
	return dst, EnvelopeNone, nil
}

// inner decodes the audit event an envelope holds as a JSON string.
func inner(dst []auditv1.Event, doc []byte, kind string, fast bool) ([]auditv1.Event, string, error) {
	n := len(dst)
	dst, _, err := decode(doc, dst, nil, fast, nil)
	var bad *BadItemsError
	if err != nil && !errors.As(err, &bad) {
		return dst[:n], kind, fmt.Errorf("%s envelope: %w", kind, err)
	}
	return dst, kind, err
}

// batch decodes the items of a list envelope (Event Hubs, Firehose,
// subscription payload): with kind EnvelopeEKS, each a CloudWatch Logs
// message (an audit event); else each an envelope, and the kind is the
// first item's. Items that are not audit events are reported in a
// *BadItemsError (Total counts the events and the bad items).
func batch(dst []auditv1.Event, items [][]byte, depth int, kind string, fast bool) ([]auditv1.Event, string, error) {
	n0 := len(dst)
	var first error
	bad := 0
	for i, it := range items {
		n := len(dst)
		var k string
		var err error
		if kind == EnvelopeEKS {
			dst, k, err = inner(dst, it, EnvelopeEKS, fast)
		} else {
			dst, k, err = unwrap(it, dst, depth+1, fast)
			if k == EnvelopeNone && err == nil {
				err = fmt.Errorf("%w: not a known envelope", ErrNotAudit)
			}
		}
		if kind == EnvelopeNone {
			kind = k
		}
		if err == nil {
			continue
		}
		if b := (*BadItemsError)(nil); errors.As(err, &b) {
			bad += b.Bad
		} else {
			dst = dst[:n]
			bad++
		}
		if first == nil {
			first = fmt.Errorf("envelope item %d: %w", i, err)
		}
	}
	if kind == EnvelopeNone {
		return dst[:n0], EnvelopeNone, nil // no item was an envelope: not a batch of them
	}
	switch {
	case first == nil:
		return dst, kind, nil
	case len(dst) == n0:
		return dst, kind, fmt.Errorf("%w: no audit event in the envelope (first: %v)", ErrNotAudit, first)
	}
	return dst, kind, &BadItemsError{Bad: bad, Total: bad + len(dst) - n0, First: first}
}

func isAKSCategory(c string) bool {
	return strings.EqualFold(c, "kube-audit") || strings.EqualFold(c, "kube-audit-admin")
}

// unpack reads a base64 (standard or URL alphabet) and/or gzip payload; ok
// false when doc is neither.
func unpack(doc []byte) ([]byte, bool) {
	doc = bytes.TrimSpace(doc)
	if len(doc) >= 2 && doc[0] == '"' && doc[len(doc)-1] == '"' {
		var s string
		if json.Unmarshal(doc, &s) != nil {
			return nil, false
		}
		doc = []byte(s)
	}
	if len(doc) >= 2 && doc[0] == 0x1f && doc[1] == 0x8b {
		return gunzip(doc)
	}
	b, err := base64.StdEncoding.DecodeString(string(doc))
	if err != nil {
		if b, err = base64.URLEncoding.DecodeString(string(doc)); err != nil {
			return nil, false
		}
	}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		return gunzip(b)
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		return t, true
	}
	return nil, false
}

func gunzip(b []byte) ([]byte, bool) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxGunzip+1))
	if err != nil || len(out) > maxGunzip {
		return nil, false
	}
	return out, true
}

// auditLog is the part of a google.cloud.audit.AuditLog that maps to an
// audit event.
type auditLog struct {
	Type               string `json:"@type"`
	ServiceName        string `json:"serviceName"`
	MethodName         string `json:"methodName"`
	ResourceName       string `json:"resourceName"`
	AuthenticationInfo struct {
		PrincipalEmail string `json:"principalEmail"`
	} `json:"authenticationInfo"`
	RequestMetadata struct {
		CallerIP                string `json:"callerIp"`
		CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent"`
	} `json:"requestMetadata"`
	Status *struct {
		Code    int32  `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Request  json.RawMessage `json:"request"`
	Response json.RawMessage `json:"response"`
}

// gkeEvent maps a Cloud Audit Logs entry of GKE into an audit event.
func gkeEvent(env *envelope) (auditv1.Event, error) {
	var al auditLog
	if err := json.Unmarshal(env.ProtoPayload, &al); err != nil {
		return auditv1.Event{}, fmt.Errorf("%w: gke protoPayload: %s", ErrNotAudit, jsonProblem(err))
	}
	if !strings.HasSuffix(al.Type, "google.cloud.audit.AuditLog") || !strings.HasPrefix(al.MethodName, "io.k8s.") {
		return auditv1.Event{}, fmt.Errorf("%w: gke protoPayload of type %q method %q", ErrNotAudit, clip(al.Type), clip(al.MethodName))
	}
	ev := auditv1.Event{Stage: auditv1.StageResponseComplete, Level: auditv1.LevelMetadata}
	switch {
	case env.Operation != nil && env.Operation.ID != "":
		ev.AuditID = types.UID(env.Operation.ID)
	default:
		ev.AuditID = types.UID(env.InsertID)
	}
	ev.Verb = gkeVerb(al.MethodName)
	ev.User.Username = al.AuthenticationInfo.PrincipalEmail
	if al.RequestMetadata.CallerIP != "" {
		ev.SourceIPs = []string{al.RequestMetadata.CallerIP}
	}
	ev.UserAgent = al.RequestMetadata.CallerSuppliedUserAgent
	ev.ObjectRef, ev.RequestURI = gkeObject(al.ResourceName)
	if s := al.Status; s != nil {
		ev.ResponseStatus = &metav1.Status{Code: grpcToHTTP(s.Code), Message: s.Message}
		if ev.ResponseStatus.Code >= 400 {
			ev.ResponseStatus.Status = metav1.StatusFailure
		} else {
			ev.ResponseStatus.Status = metav1.StatusSuccess
		}
	}
	var ts string
	_ = json.Unmarshal(env.Timestamp, &ts)
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		ev.RequestReceivedTimestamp = metav1.NewMicroTime(t)
		ev.StageTimestamp = ev.RequestReceivedTimestamp
	}
	if len(env.Labels) > 0 {
		ev.Annotations = make(map[string]string, len(env.Labels))
		for k, v := range env.Labels {
			ev.Annotations[k] = v
		}
	}
	if b := jsonObject(al.Request); b != nil {
		ev.RequestObject = &runtime.Unknown{Raw: b, ContentType: runtime.ContentTypeJSON}
		ev.Level = auditv1.LevelRequest
	}
	if b := jsonObject(al.Response); b != nil {
		ev.ResponseObject = &runtime.Unknown{Raw: b, ContentType: runtime.ContentTypeJSON}
		ev.Level = auditv1.LevelRequestResponse
	}
	if ev.Verb == "" {
		return auditv1.Event{}, fmt.Errorf("%w: gke method %q has no verb", ErrNotAudit, clip(al.MethodName))
	}
	if err := normalise(&ev, nil); err != nil {
		return auditv1.Event{}, err
	}
	return ev, nil
}

// jsonObject is a private copy of b when it is a JSON object.
func jsonObject(b json.RawMessage) []byte {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' && json.Valid(t) {
		return bytes.Clone(t)
	}
	return nil
}

// gkeVerb is the verb of a method name (io.k8s.core.v1.secrets.get: get;
// io.k8s.get for a non-resource request).
func gkeVerb(method string) string {
	i := strings.LastIndexByte(method, '.')
	v := method[i+1:]
	switch v {
	case "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
		"post", "put", "head", "options", "proxy", "connect", "impersonate", "bind", "escalate", "approve", "sign", "use":
		return v
	}
	return ""
}

// gkeObject reads a resourceName: [group/]version/[namespaces/NS/]resource[/name[/subresource]]
// ("core/v1/namespaces/default/secrets/s1", "rbac.authorization.k8s.io/v1/clusterroles/admin"),
// or a non-resource path ("readyz"). It returns the object reference and the
// request URI the apiserver would have logged (without its query).
func gkeObject(name string) (*auditv1.ObjectReference, string) {
	segs := strings.Split(strings.Trim(name, "/"), "/")
	if len(segs) < 3 || !isAPIVersion(segs[1]) {
		return nil, "/" + strings.Trim(name, "/")
	}
	ref := &auditv1.ObjectReference{APIGroup: segs[0], APIVersion: segs[1]}
	prefix := "/apis/" + segs[0] + "/" + segs[1]
	if segs[0] == "core" || segs[0] == "" {
		ref.APIGroup, prefix = "", "/api/"+segs[1]
	}
	rest := segs[2:]
	if len(rest) >= 3 && rest[0] == "namespaces" {
		ref.Namespace, rest = rest[1], rest[2:]
	}
	ref.Resource = rest[0]
	if len(rest) > 1 {
		ref.Name = rest[1]
	}
	if len(rest) > 2 {
		ref.Subresource = strings.Join(rest[2:], "/")
	}
	return ref, prefix + "/" + strings.Join(segs[2:], "/")
}

func isAPIVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] < '1' || s[1] > '9' {
		return false
	}
	rest := strings.TrimLeft(s[1:], "0123456789")
	for _, p := range []string{"alpha", "beta"} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			return r != "" && strings.Trim(r, "0123456789") == ""
		}
	}
	return rest == ""
}

// grpcToHTTP maps a google.rpc.Code to the HTTP status the apiserver
// answered (the mapping of google.rpc's code.proto).
func grpcToHTTP(c int32) int32 {
	switch c {
	case 0:
		return 200
	case 1:
		return 499 // CANCELLED
	case 3, 9, 11:
		return 400 // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
	case 4:
		return 504
	case 5:
		return 404
	case 6, 10:
		return 409 // ALREADY_EXISTS, ABORTED
	case 7:
		return 403
	case 8:
		return 429
	case 12:
		return 501
	case 14:
		return 503
	case 16:
		return 401
	}
	return 500 // UNKNOWN, INTERNAL, DATA_LOSS, and codes outside the enum
}
