package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// Object is what the rules read of an object beyond Body: containers
// commands, added capabilities, annotations and managed fields, a CSR. It is
// decoded from the body's tape (objecttape.go), apart from Body's decoder.
type Object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Annotations   map[string]string `json:"annotations"`
		ManagedFields []struct {
			Manager  string          `json:"manager"`
			FieldsV1 json.RawMessage `json:"fieldsV1"`
		} `json:"managedFields"`
	} `json:"metadata"`
	Spec struct {
		ObjectPodSpec
		Template    *struct{ Spec ObjectPodSpec } `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template struct{ Spec ObjectPodSpec } `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
		// CertificateSigningRequest.
		Request []byte `json:"request"`
	} `json:"spec"`
	Rules []PolicyRule `json:"rules"`
}

type ObjectPodSpec struct {
	Containers          []ObjectContainer `json:"containers"`
	InitContainers      []ObjectContainer `json:"initContainers"`
	EphemeralContainers []ObjectContainer `json:"ephemeralContainers"`
}

type ObjectContainer struct {
	Name            string   `json:"name"`
	Image           string   `json:"image"`
	Command         []string `json:"command"`
	Args            []string `json:"args"`
	SecurityContext *struct {
		Capabilities *struct {
			Add []string `json:"add"`
		} `json:"capabilities"`
	} `json:"securityContext"`
	// Fields that define a new container rather than change one.
	Ports        json.RawMessage `json:"ports"`
	VolumeMounts json.RawMessage `json:"volumeMounts"`
	Env          json.RawMessage `json:"env"`
	EnvFrom      json.RawMessage `json:"envFrom"`
	Lifecycle    json.RawMessage `json:"lifecycle"`
	WorkingDir   string          `json:"workingDir"`
	Stdin        bool            `json:"stdin"`
	TTY          bool            `json:"tty"`
}

// podSpecs returns the pod spec, the pod template's and the job template's.
func (o *Object) PodSpecs() []*ObjectPodSpec {
	out := []*ObjectPodSpec{&o.Spec.ObjectPodSpec}
	if t := o.Spec.Template; t != nil {
		out = append(out, &t.Spec)
	}
	if j := o.Spec.JobTemplate; j != nil {
		out = append(out, &j.Spec.Template.Spec)
	}
	return out
}

func (s *ObjectPodSpec) All() [][]ObjectContainer {
	return [][]ObjectContainer{s.Containers, s.InitContainers, s.EphemeralContainers}
}

func (o *Object) AddedCapabilities() []string {
	var out []string
	for _, s := range o.PodSpecs() {
		for _, cs := range s.All() {
			for _, c := range cs {
				if c.SecurityContext != nil && c.SecurityContext.Capabilities != nil {
					for _, a := range c.SecurityContext.Capabilities.Add {
						out = append(out, NormCapability(a))
					}
				}
			}
		}
	}
	return out
}

// UnmarshalObject reads raw as json.Unmarshal does, keeping a partial parse
// (a field of an unexpected type); false for invalid JSON or a non-object.
// raw is read into a tape and decoded from it (decodeObject); what that
// does not handle goes to encoding/json.
func UnmarshalObject(raw []byte, o *Object) bool {
	var tp jsonx.Tape
	return unmarshalObject(&tp, raw, o)
}

// unmarshalObjectJSON is UnmarshalObject with encoding/json: the reference,
// and the fallback of decodeObject.
func unmarshalObjectJSON(raw []byte, o *Object) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	err := json.Unmarshal(raw, o)
	var te *json.UnmarshalTypeError
	return err == nil || errors.As(err, &te)
}

// parseDepthObject reads the request object, or the response object when
// the request was not logged or is not an object (a JSON patch).
func ParseObject(ev *auditv1.Event) (*Object, bool) {
	o := new(Object)
	var tp jsonx.Tape
	if ev.RequestObject != nil && unmarshalObject(&tp, ev.RequestObject.Raw, o) {
		return o, true
	}
	*o = Object{}
	if ev.ResponseObject != nil && unmarshalObject(&tp, ev.ResponseObject.Raw, o) {
		return o, true
	}
	return nil, false
}

// eventCommand is the command line of an exec (its command= parameters) or
// of the ephemeral container a pods/ephemeralcontainers request adds (the
// last one of the body with a command or args), and the container's name.
func Command(ev *auditv1.Event) (cmd, container string) {
	r := ev.ObjectRef
	if r == nil || r.Resource != "pods" || r.APIGroup != "" {
		return "", ""
	}
	switch r.Subresource {
	case "exec", "attach":
		return ExecCommand(ev.RequestURI)
	case "ephemeralcontainers":
		return ephemeralCommand(ev)
	}
	return "", ""
}

func ephemeralCommand(ev *auditv1.Event) (cmd, container string) {
	o, ok := ParseObject(ev)
	if !ok {
		return "", ""
	}
	ecs := o.Spec.EphemeralContainers
	for i := len(ecs) - 1; i >= 0; i-- {
		c := &ecs[i]
		if len(c.Command) == 0 && len(c.Args) == 0 {
			continue
		}
		return joinCommand(append(append([]string(nil), c.Command...), c.Args...)), c.Name
	}
	return "", ""
}

// joinCommand joins arguments into one shell-like line, as execCommand does.
func joinCommand(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

// normCapability is the capability's name as the runtimes read it:
// "cap_sys_admin" and "SYS_ADMIN" are one.
func NormCapability(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	return strings.TrimPrefix(c, "CAP_")
}

// mentionsCapabilities: a body of the event has the key "capabilities", or
// an escape that could spell it (most pod bodies have neither: they are not
// parsed for capabilities_added).
func mentionsCapabilities(ev *auditv1.Event) bool {
	for _, o := range []*runtime.Unknown{ev.RequestObject, ev.ResponseObject} {
		if o != nil && (bytes.Contains(o.Raw, []byte(`"capabilities"`)) || bytes.Contains(o.Raw, []byte(`\u`))) {
			return true
		}
	}
	return false
}

// ExecCommand decodes the command=... parameters of an exec request URI
// into a shell-like line, and the container= parameter.
func ExecCommand(uri string) (cmd, container string) {
	_, q, ok := strings.Cut(uri, "?")
	if !ok {
		return "", ""
	}
	vals, err := url.ParseQuery(q)
	if err != nil && len(vals) == 0 {
		return "", ""
	}
	args := vals["command"]
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	return b.String(), vals.Get("container")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>(){}*?!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command is the event's command line and container: the command=
// parameters of an exec or attach, or the command and args of the
// ephemeral container a pods/ephemeralcontainers request adds, as the event
// was logged: computed once, for the rules, before redaction. What is shipped
// (the summary) reads Command(ev) again after redaction.
func (v *View) Command() (cmd, container string) {
	if !v.cmdDone {
		v.cmdDone = true
		v.cmd, v.container = Command(v.Event)
	}
	return v.cmd, v.container
}

// CommandLower is Command's command line in lower case.
func (v *View) CommandLower() string {
	if v.cmdLower == "" {
		cmd, _ := v.Command()
		v.cmdLower = strings.ToLower(cmd)
	}
	return v.cmdLower
}

// Capabilities lists the Linux capabilities the containers of the pod
// (template) in the body add, normalised (NormCapability).
func (v *View) Capabilities() []string {
	if !v.capsDone {
		v.capsDone = true
		if mentionsCapabilities(v.Event) {
			if o, ok := v.Object(); ok {
				v.caps = o.AddedCapabilities()
			}
		}
	}
	return v.caps
}
