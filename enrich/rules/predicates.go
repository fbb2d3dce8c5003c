package rules

import (
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
)

// predicate is a named test over an event and its parsed body. Predicates
// are named in rule files and implemented here; the table is read-only.
type predicate struct {
	// body says the predicate needs the parsed request (or response) object.
	body bool
	fn   func(ev *auditv1.Event, b *audit.Body) bool
	// view, when set, names fn's form reading the event's objects through
	// its View (the tapes the Body and the redactor read): what the engine
	// calls. A name, not a func value: a View passed to a func value would
	// escape to the heap, one allocation per event.
	view viewPred
	help string
}

type viewPred uint8

const (
	noView viewPred = iota
	viewContainerAdded
	viewRoleEscalation
	viewCSRPrivilegedSubject
)

// call runs the predicate on the event of v.
func (p *predicate) call(v *audit.View, b *audit.Body) bool {
	s := objects{v: v, ev: v.Event}
	switch p.view {
	case viewContainerAdded:
		return containerAddedIn(s)
	case viewRoleEscalation:
		return roleEscalationIn(s)
	case viewCSRPrivilegedSubject:
		return csrPrivilegedSubjectIn(s)
	}
	return p.fn(v.Event, b)
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
	PredHostPID: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool {
		return b.AnyPodSpec(func(s *audit.PodSpec) bool { return s.HostPID })
	},
		help: "the pod (template) shares the host PID namespace"},
	PredHostNetwork: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool {
		return b.AnyPodSpec(func(s *audit.PodSpec) bool { return s.HostNetwork })
	},
		help: "the pod (template) uses the host network"},
	PredHostIPC: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool {
		return b.AnyPodSpec(func(s *audit.PodSpec) bool { return s.HostIPC })
	},
		help: "the pod (template) shares the host IPC namespace"},
	PredSensitiveHostPath: {body: true, fn: sensitiveHostPath,
		help: "a hostPath volume is /, or is (under) /etc, /proc, /root, /home/admin, /var/lib/kubelet, or a container runtime's socket or directory"},
	PredHostRootMount: {body: true, fn: hostRootMount,
		help: "a hostPath volume mounts the host's root directory /"},
	PredRoleWildcard: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool {
		return b.AnyRule(func(r *audit.PolicyRule) bool { return has(r.Verbs, "*") || has(r.Resources, "*") })
	}, help: "a Role/ClusterRole rule grants '*' verbs or '*' resources"},
	PredRoleWriteVerbs: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool {
		return b.AnyRule(func(r *audit.PolicyRule) bool {
			for _, v := range r.Verbs {
				switch v {
				case "create", "update", "patch", "delete", "deletecollection":
					return true
				}
			}
			return false
		})
	}, help: "a Role/ClusterRole rule grants create, update, patch, delete or deletecollection"},
	PredRolePodExec: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool {
		return b.AnyRule(func(r *audit.PolicyRule) bool { return has(r.Resources, "pods/exec") })
	}, help: "a Role/ClusterRole rule grants pods/exec"},
	PredBindingClusterAdmin: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool { return b.RoleRef.Name == "cluster-admin" },
		help: "a RoleBinding/ClusterRoleBinding refers to the cluster-admin role"},
	PredServiceNodePort: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool { return b.Spec.Type == "NodePort" },
		help: "a Service of type NodePort"},
	PredConfigMapCredential: {body: true, fn: configMapCredential,
		help: "a ConfigMap key, or a key=value line in a value, looks like a credential (password, passphrase, token, secret, access key, private key, ...)"},
	PredIngressWithoutTLS: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool { return b.Kind == "Ingress" && isEmptyJSON(b.Spec.TLS) },
		help: "an Ingress without a tls section"},
	PredEphemeralContainer: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool { return len(b.Spec.EphemeralContainers) > 0 },
		help: "the pod body has ephemeral containers"},
	PredImpersonation: {fn: func(ev *auditv1.Event, _ *audit.Body) bool { return ev.ImpersonatedUser != nil },
		help: "the request impersonated another user"},
	PredImpersonatePriv: {fn: impersonationPrivileged,
		help: "the request impersonated system:masters, system:admin, a node or a kube-system service account"},
}

func privilegedContainer(_ *auditv1.Event, b *audit.Body) bool {
	return b.AnyPodSpec(func(s *audit.PodSpec) bool {
		for _, cs := range [][]audit.Container{s.Containers, s.InitContainers, s.EphemeralContainers} {
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

func hostPaths(b *audit.Body) []string {
	var out []string
	b.AnyPodSpec(func(s *audit.PodSpec) bool {
		for _, v := range s.Volumes {
			if v.HostPath != nil && v.HostPath.Path != "" {
				out = append(out, path.Clean("/"+v.HostPath.Path))
			}
		}
		return false
	})
	return out
}

func sensitiveHostPath(_ *auditv1.Event, b *audit.Body) bool {
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

func hostRootMount(_ *auditv1.Event, b *audit.Body) bool {
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

func configMapCredential(_ *auditv1.Event, b *audit.Body) bool {
	if b.Kind != "" && b.Kind != "ConfigMap" {
		return false
	}
	if isEmptyJSON(b.Data) {
		return false
	}
	data, ok := audit.StringMap(b.Data)
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
func impersonationPrivileged(ev *auditv1.Event, _ *audit.Body) bool {
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
