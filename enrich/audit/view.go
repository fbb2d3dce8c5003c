package audit

import (
	"encoding/json"
	"errors"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

const (
	AnnotationDecision      = "authorization.k8s.io/decision"
	AnnotationReason        = "authorization.k8s.io/reason"
	AnnotationPSAViolations = "pod-security.kubernetes.io/audit-violations"
	// AnnotationTruncated marks an event whose bodies were removed to fit
	// the broker's message size (see Enricher.Truncate).
	AnnotationTruncated = "audit.k8s.io/truncated"
)

// View is what rules, summaries and the policy read of one event, computed
// once; the body is parsed only when one of them asks for it.
type View struct {
	Event       *auditv1.Event
	Verb        string
	Group       string
	Resource    string
	Subresource string
	Name        string
	Namespace   string
	Path        string // non-resource requests
	IsResource  bool
	Code        int32
	Decision    string
	parsed      *Body // parsed on first use: most events are never looked into
	images      []string
	imagesDone  bool
	// The command line (Command) and added capabilities (Capabilities).
	cmd, container, cmdLower string
	cmdDone                  bool
	caps                     []string
	capsDone                 bool
	tapes                    *Tapes // the bodies' tapes (UseTapes)
	obj                      *Object
	objDone                  bool
}

// NewView fills *v with the fields of ev that rules and summaries read
// (keeping the tapes it was given: UseTapes).
func NewView(ev *auditv1.Event, v *View) {
	*v = View{Event: ev, Verb: ev.Verb, tapes: v.tapes}
	if r := ev.ObjectRef; r != nil {
		v.IsResource = true
		v.Group, v.Resource, v.Subresource = r.APIGroup, r.Resource, r.Subresource
		v.Name, v.Namespace = r.Name, r.Namespace
	} else {
		v.Path = ev.RequestURI
		if i := strings.IndexByte(v.Path, '?'); i >= 0 {
			v.Path = v.Path[:i]
		}
	}
	if ev.ResponseStatus != nil {
		v.Code = ev.ResponseStatus.Code
	}
	v.Decision = ev.Annotations[AnnotationDecision]
}

// Images are the container images of the pod (template) in the body,
// computed on first use.
func (v *View) Images() []string {
	if !v.imagesDone {
		v.images, v.imagesDone = v.Body().Images(), true
	}
	return v.images
}

// Body is the typed view of the request (or response) object, parsed on
// first use and then shared by every rule and the summary.
func (v *View) Body() *Body {
	if v.parsed == nil {
		if v.tapes != nil {
			// The event's scratch holds it (no allocation); reset with it.
			v.parsed = &v.tapes.body
			*v.parsed = Body{}
		} else {
			v.parsed = new(Body)
		}
		v.parseBody(v.parsed)
	}
	return v.parsed
}

// Body is what the predicates need of a request or response object, parsed
// at most once per event and only when a candidate rule needs it. Its JSON
// shape is the contract of decodeBody (bodydecode.go), which must fill it
// exactly as encoding/json does; TestBodyFieldTables checks the field lists.
type Body struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec    BodySpec     `json:"spec"`
	Rules   []PolicyRule `json:"rules"`
	RoleRef struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Data json.RawMessage `json:"data"`

	OK bool `json:"-"` // something was parsed
}

// BodySpec is the spec of a pod, a workload (pod template), a CronJob (job
// template), a Service (type) or an Ingress (tls).
type BodySpec struct {
	PodSpec
	Template    *PodTemplate    `json:"template"`
	JobTemplate *JobTemplateRef `json:"jobTemplate"`
	Type        string          `json:"type"`
	TLS         json.RawMessage `json:"tls"`
}

type PodTemplate struct {
	Spec PodSpec `json:"spec"`
}

type JobTemplateRef struct {
	Spec struct {
		Template PodTemplate `json:"template"`
	} `json:"spec"`
}

type PodSpec struct {
	HostPID             bool        `json:"hostPID"`
	HostNetwork         bool        `json:"hostNetwork"`
	HostIPC             bool        `json:"hostIPC"`
	Containers          []Container `json:"containers"`
	InitContainers      []Container `json:"initContainers"`
	EphemeralContainers []Container `json:"ephemeralContainers"`
	Volumes             []Volume    `json:"volumes"`
}

type Volume struct {
	HostPath *HostPathSource `json:"hostPath"`
}

type HostPathSource struct {
	Path string `json:"path"`
}

type Container struct {
	Image           string           `json:"image"`
	SecurityContext *SecurityContext `json:"securityContext"`
}

type SecurityContext struct {
	Privileged *bool `json:"privileged"`
}

type PolicyRule struct {
	Verbs     []string `json:"verbs"`
	Resources []string `json:"resources"`
}

// ParseBody reads the request object, or the response object when the
// request was not logged, into b, which must be the zero body. It gives what
// json.Unmarshal gives: a partial parse (a field of an unexpected type in a
// custom resource) keeps what was read; invalid JSON leaves b.ok false.
// The body is read into a tape (View.BodyTape, the one the redactor
// walks) and decoded from it (decodeBodyTape); what that does not handle
// goes to DecodeBody, then encoding/json (parseBodyBytes).
func ParseBody(ev *auditv1.Event, b *Body) {
	v := View{Event: ev, tapes: new(Tapes)}
	v.parseBody(b)
}

// parseBodyBytes is ParseBody without a tape.
func parseBodyBytes(ev *auditv1.Event, b *Body) {
	raw := []byte(nil)
	if ev.RequestObject != nil && len(ev.RequestObject.Raw) > 0 {
		raw = ev.RequestObject.Raw
	} else if ev.ResponseObject != nil && len(ev.ResponseObject.Raw) > 0 {
		raw = ev.ResponseObject.Raw
	}
	if raw == nil {
		return
	}
	if DecodeBody(raw, b) {
		b.OK = true
		return
	}
	*b = Body{}
	UnmarshalBody(raw, b)
}

// podSpecs calls f for the pod spec of a Pod, and the pod template of a
// workload (Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob...).
func (b *Body) AnyPodSpec(f func(*PodSpec) bool) bool {
	if f(&b.Spec.PodSpec) {
		return true
	}
	if t := b.Spec.Template; t != nil && f(&t.Spec) {
		return true
	}
	if j := b.Spec.JobTemplate; j != nil && f(&j.Spec.Template.Spec) {
		return true
	}
	return false
}

func (b *Body) AnyRule(f func(*PolicyRule) bool) bool {
	for i := range b.Rules {
		if f(&b.Rules[i]) {
			return true
		}
	}
	return false
}

// Images lists every container image of the pod (template).
func (b *Body) Images() []string {
	var out []string
	b.AnyPodSpec(func(s *PodSpec) bool {
		for _, cs := range [][]Container{s.Containers, s.InitContainers, s.EphemeralContainers} {
			for _, c := range cs {
				out = append(out, c.Image)
			}
		}
		return false
	})
	return out
}

// UnmarshalBody is parseBody's reference: encoding/json.
func UnmarshalBody(raw []byte, b *Body) {
	err := json.Unmarshal(raw, b)
	var te *json.UnmarshalTypeError
	b.OK = err == nil || errors.As(err, &te)
}
