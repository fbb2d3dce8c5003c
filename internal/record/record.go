package record

import (
	"strings"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Severity is how bad an event is, numbered 1–5 like OCSF severity_id.
type Severity int

const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"", "info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < SeverityInfo || s > SeverityCritical {
		return "info"
	}
	return severityNames[s]
}

// SeverityNames lists the severity names, lowest first.
func SeverityNames() []string {
	return append([]string(nil), severityNames[SeverityInfo:]...)
}

// ParseSeverity reads a severity name.
func ParseSeverity(name string) (Severity, bool) {
	for i := SeverityInfo; i <= SeverityCritical; i++ {
		if severityNames[i] == name {
			return i, true
		}
	}
	return 0, false
}

// Enrichment is what kube-audit-kafka adds to each event, shipped as the
// top-level "enrichment" object of the native format.
type Enrichment struct {
	Severity   string   `json:"severity"`
	SeverityID int      `json:"severity_id"`
	Rules      []string `json:"rules,omitempty"`
	Attack     []string `json:"attack,omitempty"`
	Who        Who      `json:"who"`
	What       What     `json:"what"`
	Where      Where    `json:"where"`
	Result     Result   `json:"result"`
	Summary    string   `json:"summary"`
	Redactions []string `json:"redactions,omitempty"`
	// Level is the level the event was shipped at after node-side re-levelling.
	Level string `json:"level,omitempty"`
	// LoggedLevel is the level the apiserver logged, when re-levelling lowered it.
	LoggedLevel string `json:"logged_level,omitempty"`
	// Truncated is set when bodies were removed to fit max_message_bytes.
	Truncated bool   `json:"truncated,omitempty"`
	Cluster   string `json:"cluster,omitempty"`
	Node      string `json:"node,omitempty"`

	// scratch backs Rules and Attack for most events (RuleScratch): a
	// record reused event after event allocates none.
	scratch [8]string
}

// RuleScratch returns room for the rule ids and techniques of one event,
// inside the Enrichment: valid until the Enrichment is overwritten.
func (e *Enrichment) RuleScratch() []string { return e.scratch[:0:len(e.scratch)] }

// Who acted.
type Who struct {
	User                    string   `json:"user"`
	Groups                  []string `json:"groups,omitempty"`
	ServiceAccountNamespace string   `json:"service_account_namespace,omitempty"`
	ServiceAccountName      string   `json:"service_account_name,omitempty"`
	// Pod and PodNode: the pod (and its node) whose bound service-account
	// token made the request; CredentialID: the token's id (user.extra).
	Pod                string   `json:"pod,omitempty"`
	PodNode            string   `json:"pod_node,omitempty"`
	CredentialID       string   `json:"credential_id,omitempty"`
	ImpersonatedUser   string   `json:"impersonated_user,omitempty"`
	ImpersonatedGroups []string `json:"impersonated_groups,omitempty"`
	SourceIPs          []string `json:"source_ips,omitempty"`
	UserAgent          string   `json:"user_agent,omitempty"`
	Client             string   `json:"client,omitempty"`
	ClientVersion      string   `json:"client_version,omitempty"`
	// ClientType: kubectl, client-go (any other Kubernetes Go client),
	// browser, http-tool (curl, wget, python-requests...), or other.
	ClientType string `json:"client_type,omitempty"`
}

// What was done.
type What struct {
	Verb           string `json:"verb"`
	Resource       string `json:"resource,omitempty"`
	Subresource    string `json:"subresource,omitempty"`
	Name           string `json:"name,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	APIGroup       string `json:"api_group,omitempty"`
	APIVersion     string `json:"api_version,omitempty"`
	NonResourceURL string `json:"non_resource_url,omitempty"`
	// Command is the exec command decoded from the request URI.
	Command   string `json:"command,omitempty"`
	Container string `json:"container,omitempty"`
}

// Where it happened.
type Where struct {
	Cluster   string   `json:"cluster,omitempty"`
	Node      string   `json:"node,omitempty"`
	SourceIPs []string `json:"source_ips,omitempty"`
}

// Result of the request.
type Result struct {
	Code                  int32   `json:"code,omitempty"`
	Status                string  `json:"status,omitempty"`
	Reason                string  `json:"reason,omitempty"`
	Message               string  `json:"message,omitempty"`
	Decision              string  `json:"decision,omitempty"`
	DecisionReason        string  `json:"decision_reason,omitempty"`
	LatencyMS             float64 `json:"latency_ms"`
	Allowed               bool    `json:"allowed"`
	PodSecurityViolations string  `json:"pod_security_violations,omitempty"`
}

// Record is one event on its way through the pipeline: the (possibly
// re-levelled and redacted) event and what was learnt about it.
type Record struct {
	Event *auditv1.Event
	// Raw, when Raw.Bytes is not nil, is the event exactly as it was
	// logged (its own bytes and where its members are: audit.DecodeRaw),
	// and Changed the top-level members that redaction, re-levelling or
	// truncation changed, added or removed since (the event says what
	// they are now). The native format ships these bytes with the changed
	// members' values re-encoded in place and the enrichment spliced in,
	// instead of re-encoding the event. A change that cannot be told
	// member by member leaves Raw.Bytes nil: the event is re-encoded.
	Raw        Raw
	Changed    Members
	Enrichment Enrichment
	// Images are the container images of a pod created or changed by the
	// request, from the body the rules parsed (no second parse); ecs ships
	// them as container.image.name.
	Images []string
	// Received is when Fluent Bit took the record in (the record's
	// timestamp in the chunk); zero when unknown. ocsf ships it as the
	// logger's logged_time.
	Received time.Time
	// Text, when not nil, is where the text made for the event (its
	// summary) is appended, as a view, instead of into an allocation of its
	// own. It outlives the event: enrichment keeps it, and the owner (the
	// pipeline, once per flush) empties it when no text made earlier is
	// used any more. Appending never writes over text made earlier (a full
	// buffer is replaced, not overwritten).
	Text []byte
}

// ServiceAccountPrefix starts the user name of every service account.
const ServiceAccountPrefix = "system:serviceaccount:"

// Outcome is allowed, denied (401, 403 or an authorizer's forbid), failed
// (another error) or pending (no response yet).
func (e *Enrichment) Outcome() string {
	c := e.Result.Code
	switch {
	case c == 401 || c == 403 || e.Result.Decision == "forbid":
		return "denied"
	case c >= 400:
		return "failed"
	case c == 0:
		if e.Result.Decision == "allow" {
			return "allowed"
		}
		return "pending"
	}
	return "allowed"
}

// HTTPMethod maps an audit verb to the HTTP method of the request.
func HTTPMethod(verb string) string {
	switch verb {
	case "get", "list", "watch":
		return "GET"
	case "create":
		return "POST"
	case "update":
		return "PUT"
	case "patch":
		return "PATCH"
	case "delete", "deletecollection":
		return "DELETE"
	}
	return strings.ToUpper(verb)
}

// Native is the enrichment the native format ships by default: what is
// derived from the event, never a copy of one of its fields (user, groups,
// source IPs, user agent, verb, object reference, response status are all
// in the event beside it). The "full" detail adds the copies as who, what,
// where and result objects after these members.
type Native struct {
	Severity      string   `json:"severity"`
	SeverityID    int      `json:"severity_id"`
	Rules         []string `json:"rules,omitempty"`
	Attack        []string `json:"attack,omitempty"`
	Summary       string   `json:"summary"`
	Client        string   `json:"client,omitempty"`
	ClientVersion string   `json:"client_version,omitempty"`
	ClientType    string   `json:"client_type,omitempty"`
	// Resource is [group/]resource[/subresource] ("pods/exec",
	// "rbac.authorization.k8s.io/clusterrolebindings"), or the URL path of
	// a non-resource request.
	Resource string `json:"resource,omitempty"`
	// Name is the object's name when the event's objectRef has none (a
	// create with generateName: the name is read from the body).
	Name string `json:"name,omitempty"`
	// Command and Container: the command of an exec or attach, decoded from
	// the request URI (after redaction).
	Command    string   `json:"command,omitempty"`
	Container  string   `json:"container,omitempty"`
	LatencyMS  float64  `json:"latency_ms"`
	Allowed    bool     `json:"allowed"`
	Redactions []string `json:"redactions,omitempty"`
	// LoggedLevel is the level the apiserver logged, when the node-side
	// policy lowered it (the event's level is the one shipped).
	LoggedLevel string `json:"logged_level,omitempty"`
	Truncated   bool   `json:"truncated,omitempty"`
	Cluster     string `json:"cluster,omitempty"`
	Node        string `json:"node,omitempty"`
}

// Native returns the derived part of the enrichment of ev.
func (e *Enrichment) Native(ev *auditv1.Event) Native {
	n := Native{
		Severity: e.Severity, SeverityID: e.SeverityID, Rules: e.Rules, Attack: e.Attack, Summary: e.Summary,
		Client: e.Who.Client, ClientVersion: e.Who.ClientVersion, ClientType: e.Who.ClientType,
		Command: e.What.Command, Container: e.What.Container, LatencyMS: e.Result.LatencyMS, Allowed: e.Result.Allowed,
		Redactions: e.Redactions, LoggedLevel: e.LoggedLevel, Truncated: e.Truncated,
		Cluster: e.Cluster, Node: e.Node,
	}
	n.Resource = e.What.Path()
	if ev == nil || ev.ObjectRef == nil || ev.ObjectRef.Name == "" {
		n.Name = e.What.Name
	}
	return n
}

// Path is [group/]resource[/subresource] of a resource request, or the URL
// path of a non-resource request.
func (w *What) Path() string {
	if w.Resource == "" {
		return w.NonResourceURL
	}
	p := w.Resource
	if w.APIGroup != "" {
		p = w.APIGroup + "/" + p
	}
	if w.Subresource != "" {
		p += "/" + w.Subresource
	}
	return p
}
