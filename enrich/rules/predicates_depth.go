package rules

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Predicates of the detection-depth rules. They read what the
// shared body (predicates.go) does not hold: container commands, added
// capabilities, JSON patches, last-applied configurations, CSRs, only when
// their rule has matched everything else (predicates run last). The engine
// calls them with the View (predicate.view): the Object is decoded once,
// from the tapes of the bodies the Body and the redactor read; a JSON
// patch's operations and managed fields' fieldsV1 are still read with
// encoding/json (rare: a patch, an object with managed fields, and only
// once the rest of the rule matched).

// Predicate names, as rule files spell them.
const (
	PredHostPath             = "host_path"
	PredContainerAdded       = "container_added"
	PredRoleEscalation       = "role_escalation"
	PredRoleEscalateVerbs    = "role_escalate_verbs"
	PredTokenForOtherSA      = "token_for_other_service_account"
	PredCSRPrivilegedSubject = "csr_privileged_subject"
)

// depthPredicates is read-only, like predicates.
var depthPredicates = map[string]predicate{
	PredHostPath: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool { return len(hostPaths(b)) > 0 },
		help: "the pod (template) has a hostPath volume, whatever its path"},
	PredContainerAdded: {fn: containerAdded, view: viewContainerAdded,
		help: "a patch or update adds a container to a pod template (JSON patch add, a strategic-merge entry that defines a container, or a container missing from the last-applied configuration)"},
	PredRoleEscalation: {fn: roleEscalation, view: viewRoleEscalation,
		help: "a Role/ClusterRole written grants '*' verbs or resources, or escalate, bind or impersonate (request object, or response object of a JSON patch)"},
	PredRoleEscalateVerbs: {body: true, fn: func(_ *auditv1.Event, b *audit.Body) bool { return b.AnyRule(escalateVerbs) },
		help: "a Role/ClusterRole rule grants escalate, bind or impersonate"},
	PredTokenForOtherSA: {fn: tokenForOtherSA,
		help: "a service account requested a token (serviceaccounts/token) for another service account"},
	PredCSRPrivilegedSubject: {fn: csrPrivilegedSubject, view: viewCSRPrivilegedSubject,
		help: "a CertificateSigningRequest asks for a certificate in group system:masters or for system:admin or a control-plane component"},
}

// lookupPredicate finds a predicate by name in both tables.
func lookupPredicate(n string) (predicate, bool) {
	if p, ok := predicates[n]; ok {
		return p, true
	}
	p, ok := depthPredicates[n]
	return p, ok
}

func escalateVerbs(r *audit.PolicyRule) bool {
	for _, v := range r.Verbs {
		switch v {
		case "escalate", "bind", "impersonate":
			return true
		}
	}
	return false
}

// containerListPath is a JSON-patch path that adds to (or sets) the
// container list of a pod or a pod template.
var containerListPath = regexp.MustCompile(`^/spec/(template/spec/|jobTemplate/spec/template/spec/)?(containers|initContainers)(/(-|[0-9]+))?$`)

// containerAdded tells whether a patch or update adds a container to a pod
// (template):
//   - a JSON patch with an "add" to a container list;
//   - a strategic-merge or merge patch (not a whole object, as server-side
//     apply sends) whose container entry defines a container (an image and
//     a command, args, ports, mounts, env...), as a sidecar does; kubectl
//     set image/env/resources changes only one field;
//   - an object (request of an update, response of a patch or update) with a
//     container that its kubectl.kubernetes.io/last-applied-configuration
//     lacks, or whose managedFields show two containers of the template
//     created by different field managers (kubectl-create made the
//     deployment, kubectl-patch added a container).
//
// objects reads the event's objects: through its View when there is one
// (the View's tapes, the Object decoded once), else on their own.
type objects struct {
	v  *audit.View
	ev *auditv1.Event
}

func (s objects) object() (*audit.Object, bool) {
	if s.v != nil {
		return s.v.Object()
	}
	return audit.ParseObject(s.ev)
}

func (s objects) of(u *runtime.Unknown, o *audit.Object) bool {
	if s.v != nil {
		return s.v.ObjectOf(u, o)
	}
	return audit.UnmarshalObject(u.Raw, o)
}

func containerAdded(ev *auditv1.Event, _ *audit.Body) bool {
	return containerAddedIn(objects{ev: ev})
}

func containerAddedIn(s objects) bool {
	ev := s.ev
	if ev.RequestObject != nil {
		raw := bytes.TrimSpace(ev.RequestObject.Raw)
		if len(raw) > 0 && raw[0] == '[' {
			var ops []struct {
				Op   string `json:"op"`
				Path string `json:"path"`
			}
			if json.Unmarshal(raw, &ops) == nil {
				for _, op := range ops {
					if op.Op == "add" && containerListPath.MatchString(op.Path) {
						return true
					}
				}
			}
		} else if ev.Verb == "patch" {
			var o audit.Object
			// A patch that is a whole object (kind set: server-side apply,
			// an operator's desired state) restates its containers.
			if s.of(ev.RequestObject, &o) && o.Kind == "" {
				for _, s := range o.PodSpecs() {
					for _, c := range append(s.Containers[:len(s.Containers):len(s.Containers)], s.InitContainers...) {
						if c.Image != "" && definesContainer(&c) {
							return true
						}
					}
				}
			}
		}
	}
	for _, u := range objectsOf(ev) {
		var o audit.Object
		if u != nil && s.of(u, &o) && (notLastApplied(&o) || containersOfTwoManagers(&o)) {
			return true
		}
	}
	return false
}

func objectsOf(ev *auditv1.Event) [2]*runtime.Unknown {
	var out [2]*runtime.Unknown
	if ev.Verb == "update" {
		out[0] = ev.RequestObject
	}
	out[1] = ev.ResponseObject
	return out
}

func definesContainer(c *audit.ObjectContainer) bool {
	return len(c.Command) > 0 || len(c.Args) > 0 || !isEmptyJSON(c.Ports) || !isEmptyJSON(c.VolumeMounts) ||
		!isEmptyJSON(c.Env) || !isEmptyJSON(c.EnvFrom) || !isEmptyJSON(c.Lifecycle) || c.WorkingDir != "" ||
		c.Stdin || c.TTY || (c.SecurityContext != nil)
}

// notLastApplied: the object's pod template has a container whose name the
// last-applied configuration (kubectl apply) of the object does not list.
func notLastApplied(o *audit.Object) bool {
	la := o.Metadata.Annotations["kubectl.kubernetes.io/last-applied-configuration"]
	if la == "" {
		return false
	}
	var prev audit.Object
	if !audit.UnmarshalObject([]byte(la), &prev) {
		return false
	}
	known := map[string]bool{}
	n := 0
	for _, s := range prev.PodSpecs() {
		for _, c := range append(s.Containers[:len(s.Containers):len(s.Containers)], s.InitContainers...) {
			known[c.Name] = true
			n++
		}
	}
	if n == 0 {
		return false
	}
	for _, s := range o.PodSpecs() {
		for _, c := range append(s.Containers[:len(s.Containers):len(s.Containers)], s.InitContainers...) {
			if c.Name != "" && !known[c.Name] {
				return true
			}
		}
	}
	return false
}

func roleEscalation(ev *auditv1.Event, _ *audit.Body) bool {
	return roleEscalationIn(objects{ev: ev})
}

func roleEscalationIn(s objects) bool {
	o, ok := s.object()
	if !ok {
		return false
	}
	for i := range o.Rules {
		r := &o.Rules[i]
		if has(r.Verbs, "*") || has(r.Resources, "*") || escalateVerbs(r) {
			return true
		}
	}
	return false
}

func tokenForOtherSA(ev *auditv1.Event, _ *audit.Body) bool {
	rest, ok := strings.CutPrefix(ev.User.Username, record.ServiceAccountPrefix)
	r := ev.ObjectRef
	if !ok || r == nil || r.Resource != "serviceaccounts" || r.Subresource != "token" {
		return false
	}
	return rest != r.Namespace+":"+r.Name
}

// privilegedCertNames are subjects whose client certificate is full control.
var privilegedCertNames = []string{"system:admin", "kubernetes-admin", "system:kube-controller-manager", "system:kube-scheduler", "system:apiserver", "kube-apiserver"}

func csrPrivilegedSubject(ev *auditv1.Event, _ *audit.Body) bool {
	return csrPrivilegedSubjectIn(objects{ev: ev})
}

func csrPrivilegedSubjectIn(s objects) bool {
	o, ok := s.object()
	if !ok || len(o.Spec.Request) == 0 {
		return false
	}
	blk, _ := pem.Decode(o.Spec.Request)
	if blk == nil {
		return false
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		return false
	}
	return has(csr.Subject.Organization, "system:masters") || has(privilegedCertNames, csr.Subject.CommonName)
}

// containersOfTwoManagers: the managedFields of the object show containers
// of its pod template owned (".": the list item itself) by field managers
// that share none: one of them was added by another client than the others.
func containersOfTwoManagers(o *audit.Object) bool {
	var owners [][]string // per container, its managers
	for _, mf := range o.Metadata.ManagedFields {
		var fields map[string]json.RawMessage
		if json.Unmarshal(mf.FieldsV1, &fields) != nil {
			continue
		}
		for _, path := range [][]string{
			{"f:spec", "f:template", "f:spec", "f:containers"},
			{"f:spec", "f:jobTemplate", "f:spec", "f:template", "f:spec", "f:containers"},
		} {
			items := fields
			for _, k := range path {
				if items == nil {
					break
				}
				var next map[string]json.RawMessage
				if json.Unmarshal(items[k], &next) != nil {
					next = nil
				}
				items = next
			}
			for key, item := range items {
				if !strings.HasPrefix(key, "k:") {
					continue
				}
				var own map[string]json.RawMessage
				if json.Unmarshal(item, &own) != nil {
					continue
				}
				if _, ok := own["."]; ok {
					owners = append(owners, []string{key, mf.Manager})
				}
			}
		}
	}
	// owners holds (container key, manager) pairs: two containers with no
	// manager in common mean two authors.
	byKey := map[string][]string{}
	for _, kv := range owners {
		byKey[kv[0]] = append(byKey[kv[0]], kv[1])
	}
	var sets [][]string
	for _, ms := range byKey {
		sets = append(sets, ms)
	}
	for i := range sets {
		for j := i + 1; j < len(sets); j++ {
			shared := false
			for _, m := range sets[i] {
				if has(sets[j], m) {
					shared = true
					break
				}
			}
			if !shared {
				return true
			}
		}
	}
	return false
}
