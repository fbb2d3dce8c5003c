package enrich

import (
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
}

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
	// Command is the exec command decoded from the request URI, or the
	// command and args of the ephemeral container a request adds.
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
	Event      *auditv1.Event
	Enrichment Enrichment
}
