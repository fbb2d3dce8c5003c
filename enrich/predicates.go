package enrich

import (
	"encoding/json"
	"errors"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// predicate is a named test over an event and its parsed body. Predicates
// are named in rule files and implemented here; the table is read-only.
type predicate struct {
	// body says the predicate needs the parsed request (or response) object.
	body bool
	fn   func(ev *auditv1.Event, b *body) bool
	help string
}

// Predicate names, as rule files spell them.
const (
	PredPrivilegedContainer = "privileged_container"
	PredHostPID             = "host_pid"
	PredHostNetwork         = "host_network"
	PredHostIPC             = "host_ipc"
	PredSensitiveHostPath   = "sensitive_host_path"
	PredHostRootMount       = "host_root_mount"
	PredRoleWildcard        = "role_wildcard"
	PredRoleWriteVerbs      = "role_write_verbs"
	PredRolePodExec         = "role_pod_exec"
	PredBindingClusterAdmin = "binding_cluster_admin"
	PredServiceNodePort     = "service_nodeport"
	PredConfigMapCredential = "configmap_credentials"
	PredIngressWithoutTLS   = "ingress_without_tls"
	PredEphemeralContainer  = "ephemeral_container"
	PredImpersonation       = "impersonation"
	PredImpersonatePriv     = "impersonation_privileged"
)

var predicates = map[string]predicate{
	PredPrivilegedContainer: {body: true, fn: privilegedContainer,
		help: "a container, init container or ephemeral container of the pod (or pod template) is privileged"},
	PredHostPID: {body: true, fn: func(_ *auditv1.Event, b *body) bool { return b.anyPodSpec(func(s *podSpec) bool { return s.HostPID }) },
		help: "the pod (template) shares the host PID namespace"},
	PredHostNetwork: {body: true, fn: func(_ *auditv1.Event, b *body) bool {
		return b.anyPodSpec(func(s *podSpec) bool { return s.HostNetwork })
	},
		help: "the pod (template) uses the host network"},
	PredHostIPC: {body: true, fn: func(_ *auditv1.Event, b *body) bool { return b.anyPodSpec(func(s *podSpec) bool { return s.HostIPC }) },
		help: "the pod (template) shares the host IPC namespace"},
	PredSensitiveHostPath: {body: true, fn: sensitiveHostPath,
		help: "a hostPath volume is /, or is (under) /etc, /proc, /root, /home/admin, /var/lib/kubelet, or a container runtime's socket or directory"},
	PredHostRootMount: {body: true, fn: hostRootMount,
		help: "a hostPath volume mounts the host's root directory /"},
	PredRoleWildcard: {body: true, fn: func(_ *auditv1.Event, b *body) bool {
		return b.anyRule(func(r *policyRule) bool { return has(r.Verbs, "*") || has(r.Resources, "*") })
	}, help: "a Role/ClusterRole rule grants '*' verbs or '*' resources"},
	PredRoleWriteVerbs: {body: true, fn: func(_ *auditv1.Event, b *body) bool {
		return b.anyRule(func(r *policyRule) bool {
			for _, v := range r.Verbs {
				switch v {
				case "create", "update", "patch", "delete", "deletecollection":
					return true
				}
			}
			return false
		})
	}, help: "a Role/ClusterRole rule grants create, update, patch, delete or deletecollection"},
	PredRolePodExec: {body: true, fn: func(_ *auditv1.Event, b *body) bool {
		return b.anyRule(func(r *policyRule) bool { return has(r.Resources, "pods/exec") })
	}, help: "a Role/ClusterRole rule grants pods/exec"},
	PredBindingClusterAdmin: {body: true, fn: func(_ *auditv1.Event, b *body) bool { return b.RoleRef.Name == "cluster-admin" },
		help: "a RoleBinding/ClusterRoleBinding refers to the cluster-admin role"},
	PredServiceNodePort: {body: true, fn: func(_ *auditv1.Event, b *body) bool { return b.Spec.Type == "NodePort" },
		help: "a Service of type NodePort"},
	PredConfigMapCredential: {body: true, fn: configMapCredential,
		help: "a ConfigMap key, or a key=value line in a value, looks like a credential (password, passphrase, token, secret, access key, private key, ...)"},
	PredIngressWithoutTLS: {body: true, fn: func(_ *auditv1.Event, b *body) bool { return b.Kind == "Ingress" && isEmptyJSON(b.Spec.TLS) },
		help: "an Ingress without a tls section"},
	PredEphemeralContainer: {body: true, fn: func(_ *auditv1.Event, b *body) bool { return len(b.Spec.EphemeralContainers) > 0 },
		help: "the pod body has ephemeral containers"},
	PredImpersonation: {fn: func(ev *auditv1.Event, _ *body) bool { return ev.ImpersonatedUser != nil },
		help: "the request impersonated another user"},
	PredImpersonatePriv: {fn: impersonationPrivileged,
		help: "the request impersonated system:masters, system:admin, a node or a kube-system service account"},
}

// body is what the predicates need of a request or response object, parsed
// at most once per event and only when a candidate rule needs it. Its JSON
// shape is the contract of decodeBody (bodydecode.go), which must fill it
// exactly as encoding/json does; TestBodyFieldTables checks the field lists.
type body struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec    bodySpec     `json:"spec"`
	Rules   []policyRule `json:"rules"`
	RoleRef struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Data json.RawMessage `json:"data"`

	ok bool // something was parsed
}

// bodySpec is the spec of a pod, a workload (pod template), a CronJob (job
// template), a Service (type) or an Ingress (tls).
type bodySpec struct {
	podSpec
	Template    *podTemplate    `json:"template"`
	JobTemplate *jobTemplateRef `json:"jobTemplate"`
	Type        string          `json:"type"`
	TLS         json.RawMessage `json:"tls"`
}

type podTemplate struct {
	Spec podSpec `json:"spec"`
}

type jobTemplateRef struct {
	Spec struct {
		Template podTemplate `json:"template"`
	} `json:"spec"`
}

type podSpec struct {
	HostPID             bool        `json:"hostPID"`
	HostNetwork         bool        `json:"hostNetwork"`
	HostIPC             bool        `json:"hostIPC"`
	Containers          []container `json:"containers"`
	InitContainers      []container `json:"initContainers"`
	EphemeralContainers []container `json:"ephemeralContainers"`
	Volumes             []volume    `json:"volumes"`
}

type volume struct {
	HostPath *hostPathSource `json:"hostPath"`
}

type hostPathSource struct {
	Path string `json:"path"`
}

type container struct {
	Image           string           `json:"image"`
	SecurityContext *securityContext `json:"securityContext"`
}

type securityContext struct {
	Privileged *bool `json:"privileged"`
}

type policyRule struct {
	Verbs     []string `json:"verbs"`
	Resources []string `json:"resources"`
}

// parseBody reads the request object, or the response object when the
// request was not logged, into b, which must be the zero body. It gives what
// json.Unmarshal gives: a partial parse (a field of an unexpected type in a
// custom resource) keeps what was read; invalid JSON leaves b.ok false.
// decodeBody reads real bodies without reflection; anything it does not
// handle goes to encoding/json.
func parseBody(ev *auditv1.Event, b *body) {
	raw := []byte(nil)
	if ev.RequestObject != nil && len(ev.RequestObject.Raw) > 0 {
		raw = ev.RequestObject.Raw
	} else if ev.ResponseObject != nil && len(ev.ResponseObject.Raw) > 0 {
		raw = ev.ResponseObject.Raw
	}
	if raw == nil {
		return
	}
	if decodeBody(raw, b) {
		b.ok = true
		return
	}
	*b = body{}
	unmarshalBody(raw, b)
}

// unmarshalBody is parseBody's reference: encoding/json.
func unmarshalBody(raw []byte, b *body) {
	err := json.Unmarshal(raw, b)
	var te *json.UnmarshalTypeError
	b.ok = err == nil || errors.As(err, &te)
}

// podSpecs calls f for the pod spec of a Pod, and the pod template of a
// workload (Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob...).
func (b *body) anyPodSpec(f func(*podSpec) bool) bool {
	if f(&b.Spec.podSpec) {
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

func (b *body) anyRule(f func(*policyRule) bool) bool {
	for i := range b.Rules {
		if f(&b.Rules[i]) {
			return true
		}
	}
	return false
}

// images lists every container image of the pod (template).
func (b *body) images() []string {
	var out []string
	b.anyPodSpec(func(s *podSpec) bool {
		for _, cs := range [][]container{s.Containers, s.InitContainers, s.EphemeralContainers} {
			for _, c := range cs {
				out = append(out, c.Image)
			}
		}
		return false
	})
	return out
}

func privilegedContainer(_ *auditv1.Event, b *body) bool {
	return b.anyPodSpec(func(s *podSpec) bool {
		for _, cs := range [][]container{s.Containers, s.InitContainers, s.EphemeralContainers} {
			for _, c := range cs {
				if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
					return true
				}
			}
		}
		return false
	})
}

// sensitiveHostDirs are host directories whose mount hands a pod the node.
// "/" is matched exactly (everything is under it); the others with their
// subdirectories.
var sensitiveHostDirs = []string{
	"/etc", "/proc", "/root", "/home/admin", "/var/lib/kubelet",
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/docker",
	"/var/run/crio", "/run/crio", "/var/run/containerd", "/run/containerd",
}

func hostPaths(b *body) []string {
	var out []string
	b.anyPodSpec(func(s *podSpec) bool {
		for _, v := range s.Volumes {
			if v.HostPath != nil && v.HostPath.Path != "" {
				out = append(out, path.Clean("/"+v.HostPath.Path))
			}
		}
		return false
	})
	return out
}

func sensitiveHostPath(_ *auditv1.Event, b *body) bool {
	for _, p := range hostPaths(b) {
		if p == "/" {
			return true
		}
		for _, d := range sensitiveHostDirs {
			if p == d || strings.HasPrefix(p, d+"/") {
				return true
			}
		}
	}
	return false
}

func hostRootMount(_ *auditv1.Event, b *body) bool {
	for _, p := range hostPaths(b) {
		if p == "/" {
			return true
		}
	}
	return false
}

// credentialName matches a key that names a credential.
var credentialName = regexp.MustCompile(`(?i)(passw(or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|aws[_-](s3[_-])?access[_-]key[_-]id)`)

// credentialLine matches a "name = value" or "name: value" line whose name
// names a credential, as found in properties, ini and env files.
var credentialLine = regexp.MustCompile(`(?im)^\s*(export\s+)?[\w.-]*(passw(or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|aws[_-](s3[_-])?access[_-]key[_-]id)[\w.-]*\s*[=:]\s*\S`)

func configMapCredential(_ *auditv1.Event, b *body) bool {
	if b.Kind != "" && b.Kind != "ConfigMap" {
		return false
	}
	if isEmptyJSON(b.Data) {
		return false
	}
	data, ok := stringMap(b.Data)
	if !ok {
		return false
	}
	for k, v := range data {
		if mayNameCredential(k) && credentialName.MatchString(k) ||
			mayNameCredential(v) && credentialLine.MatchString(v) {
			return true
		}
	}
	return false
}

// mayNameCredential is a quick test before credentialName and
// credentialLine: each of their words contains "pass", "secret", "token",
// "key" or "credential", which (?i) matches in any ASCII case. It answers
// true for any non-ASCII text, where case folding is Unicode's (the Kelvin
// sign is a k, the long s an s): the regexps decide.
func mayNameCredential(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return true
		}
		var w string
		switch c | 0x20 {
		case 'p':
			w = "pass"
		case 's':
			w = "secret"
		case 't':
			w = "token"
		case 'k':
			w = "key"
		case 'c':
			w = "credential"
		default:
			continue
		}
		if len(s)-i >= len(w) && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// privilegedIdentities are impersonation targets that amount to full control.
func impersonationPrivileged(ev *auditv1.Event, _ *body) bool {
	iu := ev.ImpersonatedUser
	if iu == nil {
		return false
	}
	if iu.Username == "system:admin" || strings.HasPrefix(iu.Username, "system:node:") ||
		strings.HasPrefix(iu.Username, "system:serviceaccount:kube-system:") {
		return true
	}
	return has(iu.Groups, "system:masters") || has(iu.Groups, "system:nodes")
}

func has(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func isEmptyJSON(r json.RawMessage) bool {
	s := strings.TrimSpace(string(r))
	return s == "" || s == "null" || s == "[]" || s == "{}"
}
