package summary

import (
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Place names where the events were collected: the cluster and the node.
type Place struct {
	Cluster, Node string
}

// Fill fills who, what, where and result, and the summary sentence. With
// text not nil and *text not nil, the sentence is appended to *text and is a
// view of it (see record.Record.Text); else it has memory of its own.
func Fill(v *audit.View, e *record.Enrichment, at Place, text *[]byte) {
	ev := v.Event
	e.Cluster, e.Node = at.Cluster, at.Node

	e.Who = record.Who{User: ev.User.Username, Groups: ev.User.Groups, SourceIPs: ev.SourceIPs, UserAgent: ev.UserAgent}
	if rest, ok := strings.CutPrefix(ev.User.Username, record.ServiceAccountPrefix); ok {
		if ns, name, ok := strings.Cut(rest, ":"); ok {
			e.Who.ServiceAccountNamespace, e.Who.ServiceAccountName = ns, name
		}
	}
	if x := ev.User.Extra; len(x) > 0 {
		e.Who.Pod = firstExtra(x["authentication.kubernetes.io/pod-name"])
		e.Who.PodNode = firstExtra(x["authentication.kubernetes.io/node-name"])
		e.Who.CredentialID = firstExtra(x["authentication.kubernetes.io/credential-id"])
	}
	if ev.ImpersonatedUser != nil {
		e.Who.ImpersonatedUser = ev.ImpersonatedUser.Username
		e.Who.ImpersonatedGroups = ev.ImpersonatedUser.Groups
	}
	e.Who.Client, e.Who.ClientVersion = ParseUserAgent(ev.UserAgent)
	e.Who.ClientType = ClientType(ev.UserAgent, e.Who.Client)

	e.What = record.What{Verb: ev.Verb}
	if v.IsResource {
		r := ev.ObjectRef
		e.What.Resource, e.What.Subresource, e.What.Name, e.What.Namespace = r.Resource, r.Subresource, r.Name, r.Namespace
		e.What.APIGroup, e.What.APIVersion = r.APIGroup, r.APIVersion
		if e.What.Name == "" && ev.Verb == "create" && r.Subresource == "" && (ev.RequestObject != nil || ev.ResponseObject != nil) {
			// The apiserver often logs a create before the name is known
			// (generateName); the body has it. Parsed once, shared with the rules.
			if b := v.Body(); b.OK {
				e.What.Name = b.Metadata.Name
			}
			if e.What.Name == "" && ev.ResponseObject != nil && ev.RequestObject != nil {
				// generateName: the name is in the created object.
				if name, ok := v.ResponseName(); ok {
					e.What.Name = name
				}
			}
		}
		if r.Resource == "pods" && (r.Subresource == "exec" || r.Subresource == "attach" || r.Subresource == "ephemeralcontainers") {
			// The exec's command= parameters, or the added ephemeral
			// container's command and args: read again, after redaction
			// (the View's Command is the one the rules saw, unredacted).
			e.What.Command, e.What.Container = audit.Command(ev)
		}
	} else {
		e.What.NonResourceURL = v.Path
	}

	e.Where = record.Where{Cluster: at.Cluster, Node: at.Node, SourceIPs: ev.SourceIPs}

	e.Result = record.Result{}
	if s := ev.ResponseStatus; s != nil {
		e.Result.Code, e.Result.Status, e.Result.Reason = s.Code, s.Status, string(s.Reason)
		e.Result.Message = clipMessage(s.Message)
	}
	e.Result.Decision = v.Decision // (read by NewView)
	e.Result.DecisionReason = ev.Annotations[audit.AnnotationReason]
	e.Result.PodSecurityViolations = ev.Annotations[audit.AnnotationPSAViolations]
	switch {
	case e.Result.Decision != "":
		e.Result.Allowed = e.Result.Decision == "allow"
	default:
		e.Result.Allowed = e.Result.Code > 0 && e.Result.Code != 401 && e.Result.Code != 403
	}
	if !ev.RequestReceivedTimestamp.IsZero() && !ev.StageTimestamp.IsZero() {
		e.Result.LatencyMS = float64(ev.StageTimestamp.Sub(ev.RequestReceivedTimestamp.Time).Microseconds()) / 1000
	}
	e.Summary = summary(ev, e, text)
}

func firstExtra(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// clipMessage keeps a status message short (messages are the apiserver's
// own text, e.g. why a request was forbidden).
func clipMessage(s string) string {
	if len(s) > 512 {
		return s[:cutAt(s, 512)] + "…"
	}
	return s
}

// ParseUserAgent extracts the client program and version from a user agent:
// "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07" -> kubectl, v1.32.4
// (every client-go program, including kube-apiserver and controllers, looks
// like this); browsers -> Chrome, Firefox, Edge, Safari; curl/7.88.1 -> curl.
func ParseUserAgent(ua string) (client, version string) {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return "", ""
	}
	if strings.HasPrefix(ua, "Mozilla/") {
		for _, b := range [...]struct{ token, name string }{
			{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"},
		} {
			if i := strings.Index(ua, b.token); i >= 0 {
				return b.name, firstToken(ua[i+len(b.token):])
			}
		}
		return "browser", ""
	}
	prod := firstToken(ua)
	name, ver, _ := strings.Cut(prod, "/")
	// client-go appends the component to the commit: "kubernetes/abc/ctrl".
	return name, ver
}

// ClientType classifies a user agent (see Who.ClientType).
func ClientType(ua, client string) string {
	switch {
	case ua == "":
		return ""
	case client == "kubectl":
		return "kubectl"
	case strings.Contains(ua, " kubernetes/"):
		// client-go's default: "<program>/<version> (<os>/<arch>) kubernetes/<commit>".
		return "client-go"
	case strings.HasPrefix(ua, "Mozilla/"):
		return "browser"
	}
	switch strings.ToLower(client) {
	case "curl", "wget", "python-requests", "go-http-client", "httpie", "postmanruntime", "insomnia", "python-urllib", "okhttp", "axios", "node-fetch", "java", "apache-httpclient", "powershell":
		return "http-tool"
	}
	return "other"
}

func firstToken(s string) string {
	for i := 0; i < len(s); i++ { // (strings.IndexAny builds its byte set on every call)
		switch s[i] {
		case ' ', ';', '(', ')':
			return s[:i]
		}
	}
	return s
}

// pastTense turns a verb into what the summary says ("" for a verb it does
// not know: the summary then says the verb).
func pastTense(verb string) string {
	switch verb {
	case "get":
		return "read"
	case "list":
		return "listed"
	case "watch":
		return "watched"
	case "create":
		return "created"
	case "update":
		return "updated"
	case "patch":
		return "patched"
	case "delete":
		return "deleted"
	case "deletecollection":
		return "deleted all"
	case "proxy":
		return "proxied"
	case "impersonate":
		return "impersonated"
	case "bind":
		return "bound"
	case "escalate":
		return "escalated"
	case "approve":
		return "approved"
	case "post":
		return "posted to"
	case "put":
		return "put"
	case "head", "options":
		return "requested"
	}
	return ""
}

// singular turns a plural resource name into its singular for a sentence.
func singular(r string) string {
	switch {
	case strings.HasSuffix(r, "ies"):
		return r[:len(r)-3] + "y"
	case strings.HasSuffix(r, "sses"), strings.HasSuffix(r, "xes"), strings.HasSuffix(r, "ches"):
		return r[:len(r)-2]
	case r == "endpoints":
		return r
	case strings.HasSuffix(r, "s"):
		return r[:len(r)-1]
	}
	return r
}

// summary is the one-line sentence an analyst reads first, e.g.
// alice exec'd "sh -c id" into pod web-1 in audit-lab from 10.0.0.7 (kubectl/v1.32.0): allowed, 101
// It is built in a stack buffer, then appended to text (see Fill) or copied
// into a string of its own.
func summary(ev *auditv1.Event, e *record.Enrichment, text *[]byte) string {
	var buf [256]byte
	b := buf[:0]
	who := e.Who.User
	if who == "" {
		who = "an unauthenticated client"
	}
	b = part(b, who)
	if e.Who.ImpersonatedUser != "" {
		b = append(b, " as "...)
		b = part(b, e.Who.ImpersonatedUser)
	}
	b = append(b, ' ')
	w := &e.What
	switch {
	case w.Resource == "pods" && w.Subresource == "exec":
		b = append(b, "exec'd "...)
		if w.Command != "" {
			b = strconv.AppendQuote(b, clip(w.Command))
			b = append(b, ' ')
		}
		b = append(b, "into pod "...)
		b = appendInNS(part(b, w.Name), w)
	case w.Resource == "pods" && w.Subresource == "attach":
		b = append(b, "attached to pod "...)
		b = appendInNS(part(b, w.Name), w)
	case w.Resource == "pods" && w.Subresource == "portforward":
		b = append(b, "port-forwarded to pod "...)
		b = appendInNS(part(b, w.Name), w)
	case w.Resource == "pods" && w.Subresource == "log":
		b = append(b, "read the logs of pod "...)
		b = appendInNS(part(b, w.Name), w)
	case w.Resource == "serviceaccounts" && w.Subresource == "token" && w.Verb == "create":
		b = append(b, "requested a token for service account "...)
		b = appendInNS(part(b, w.Name), w)
	case w.Resource != "":
		verb := pastTense(w.Verb)
		if verb == "" {
			verb = w.Verb
		}
		b = part(b, verb)
		b = append(b, ' ')
		if w.Name == "" && (w.Verb == "list" || w.Verb == "watch" || w.Verb == "deletecollection") {
			b = part(b, w.Resource)
		} else {
			b = part(b, singular(w.Resource))
		}
		if w.Subresource != "" {
			b = append(b, '/')
			b = part(b, w.Subresource)
		}
		if w.Name != "" {
			b = append(b, ' ')
			b = part(b, w.Name)
		}
		if w.Namespace != "" && w.Resource != "namespaces" {
			b = appendInNS(b, w)
		} else if w.Name == "" && (w.Verb == "list" || w.Verb == "watch") {
			b = append(b, " in all namespaces"...)
		}
	default:
		b = append(b, "requested "...)
		b = part(b, strings.ToUpper(record.HTTPMethod(w.Verb)))
		b = append(b, ' ')
		b = part(b, w.NonResourceURL)
	}
	if len(ev.SourceIPs) > 0 {
		b = append(b, " from "...)
		b = part(b, ev.SourceIPs[0])
	}
	if e.Who.Client != "" {
		b = append(b, " ("...)
		b = part(b, e.Who.Client)
		if e.Who.ClientVersion != "" {
			b = append(b, '/')
			b = part(b, e.Who.ClientVersion)
		}
		b = append(b, ')')
	}
	b = append(b, ": "...)
	b = append(b, e.Outcome()...)
	if e.Result.Code != 0 {
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(e.Result.Code), 10)
	}
	if text == nil || *text == nil || len(b) == 0 {
		return string(b)
	}
	// A view of text; a full text is replaced (append), never overwritten.
	off := len(*text)
	*text = append(*text, b...)
	return unsafe.String(&(*text)[off], len(b))
}

// maxPart bounds each part of the sentence taken from the event (a name, a
// command, a URL, a user): the sentence is read at a glance, and the event
// and the enrichment's fields carry the whole values. A client can send a
// user agent, a URL or an exec command of any length; without a bound the
// summary would repeat it, in every message and dead-letter stub.
const maxPart = 256

// part appends s, cut to maxPart bytes (at a character) and marked "…".
func part(b []byte, s string) []byte {
	if len(s) <= maxPart {
		return append(b, s...)
	}
	return append(append(b, s[:cutAt(s, maxPart)]...), "…"...)
}

// clip is s as part appends it.
func clip(s string) string {
	if len(s) <= maxPart {
		return s
	}
	return s[:cutAt(s, maxPart)] + "…"
}

// cutAt is where s, longer than limit bytes, is cut: at most limit bytes, not
// inside a UTF-8 sequence.
func cutAt(s string, limit int) int {
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// appendInNS appends " in <namespace>" when the request has one.
func appendInNS(b []byte, w *record.What) []byte {
	if w.Namespace != "" {
		b = append(b, " in "...)
		b = part(b, w.Namespace)
	}
	return b
}
