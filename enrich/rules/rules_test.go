package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

const (
	falcoFile   = "../testdata/falco_trace_files.jsonl"
	samplesFile = "../testdata/public_samples.jsonl"
)

type ruleCase struct {
	rule string
	name string
	ev   func(t testing.TB) auditv1.Event
	want bool
}

func ruleCases() []ruleCase {
	adminExec := labEv(res("create", "pods", "exec"), stage(auditv1.StageResponseStarted))
	return append([]ruleCase{
		// Falco rules.
		{"disallowed_k8s_user", "falco some-user creates namespace", falco(51), true},
		{"disallowed_k8s_user", "lab dev-user lists pods", labEv(user("dev-user"), res("list", "pods", "")), true},
		{"disallowed_k8s_user", "falco minikube-user is allowed", falco(49), false},
		{"disallowed_k8s_user", "lab kubernetes-admin is allowed", labEv(user("kubernetes-admin")), false},
		{"create_disallowed_pod", "falco nginx pod (rule enabled)", falco(27), true},
		{"create_privileged_pod", "falco privileged pod", falco(23), true},
		{"create_privileged_pod", "falco privileged 2nd container", falco(21), true},
		{"create_privileged_pod", "crowdsec privileged pod", sample(10), true},
		{"create_privileged_pod", "privileged init container", func(t testing.TB) auditv1.Event {
			return withBody(t, falco(27)(t), func(m map[string]any) {
				obj(m, "spec")["initContainers"] = []any{map[string]any{"name": "init", "image": "busybox", "securityContext": map[string]any{"privileged": true}}}
			})
		}, true},
		{"create_privileged_pod", "falco unprivileged pod", falco(27), false},
		{"create_privileged_pod", "privileged trusted image (calico)", func(t testing.TB) auditv1.Event {
			return withBody(t, falco(23)(t), func(m map[string]any) {
				for _, c := range obj(m, "spec")["containers"].([]any) {
					c.(map[string]any)["image"] = "quay.io/calico/node:v3.27.0"
				}
			})
		}, false},
		{"create_sensitive_mount_pod", "falco sensitive mount", falco(25), true},
		{"create_sensitive_mount_pod", "falco sensitive mount 2nd container", falco(26), true},
		{"create_sensitive_mount_pod", "falco unsensitive mount", falco(28), false},
		{"create_hostnetwork_pod", "falco hostNetwork pod", falco(20), true},
		{"create_hostnetwork_pod", "falco no hostNetwork", falco(22), false},
		{"create_hostpid_pod", "hostPID pod", func(t testing.TB) auditv1.Event {
			return withBody(t, falco(27)(t), func(m map[string]any) { obj(m, "spec")["hostPID"] = true })
		}, true},
		{"create_hostpid_pod", "falco plain pod", falco(27), false},
		{"create_hostipc_pod", "hostIPC pod", func(t testing.TB) auditv1.Event {
			return withBody(t, falco(27)(t), func(m map[string]any) { obj(m, "spec")["hostIPC"] = true })
		}, true},
		{"create_hostipc_pod", "falco plain pod", falco(27), false},
		{"create_nodeport_service", "falco NodePort", falco(29), true},
		{"create_nodeport_service", "falco ClusterIP", falco(30), false},
		{"configmap_private_credentials", "falco aws_access_key_id", falco(12), true},
		{"configmap_private_credentials", "falco aws-access-key-id", falco(13), true},
		{"configmap_private_credentials", "falco aws_s3_access_key_id", falco(14), true},
		{"configmap_private_credentials", "falco aws-s3-access-key-id", falco(15), true},
		{"configmap_private_credentials", "falco password", falco(16), true},
		{"configmap_private_credentials", "falco passphrase", falco(17), true},
		{"configmap_private_credentials", "credential-like key name", func(t testing.TB) auditv1.Event {
			return withBody(t, falco(11)(t), func(m map[string]any) { m["data"] = map[string]any{"DB_PASSWORD": "x"} })
		}, true},
		{"configmap_private_credentials", "falco no sensitive values", falco(11), false},
		{"configmap_private_credentials", "falco plain configmap", falco(10), false},
		{"anonymous_request_allowed", "lab anonymous GET /version", labEv(user("system:anonymous"), uri("/version")), true},
		{"anonymous_request_allowed", "falco anonymous creates namespace", falco(1), true},
		{"anonymous_request_allowed", "lab anonymous denied", labEv(user("system:anonymous"), code(403)), false},
		{"anonymous_request_allowed", "anonymous /healthz", func(t testing.TB) auditv1.Event {
			ev := lab(t, and(user("system:anonymous"), uri("/version")))
			ev.RequestURI = "/healthz?verbose"
			return ev
		}, false},
		{"attach_exec_pod", "falco attach", falco(3), true},
		{"attach_exec_pod", "falco exec", falco(48), true},
		{"attach_exec_pod", "lab exec create ResponseStarted", adminExec, true},
		{"attach_exec_pod", "lab exec ResponseComplete", labEv(res("create", "pods", "exec"), stage(auditv1.StageResponseComplete)), false},
		{"port_forward", "lab port-forward", labEv(res("create", "pods", "portforward")), true},
		{"port_forward", "lab exec", adminExec, false},
		{"ephemeral_container_created", "kubectl debug", func(t testing.TB) auditv1.Event {
			return mk(t, "patch", "", "pods", "ephemeralcontainers", "audit-lab", "web-1", "alice", 200,
				`{"spec":{"ephemeralContainers":[{"name":"debugger-x","image":"busybox:1.36","stdin":true,"tty":true}]}}`)
		}, true},
		{"ephemeral_container_created", "plain pod patch", func(t testing.TB) auditv1.Event {
			return mk(t, "patch", "", "pods", "", "audit-lab", "web-1", "alice", 200, `{"metadata":{"labels":{"a":"b"}}}`)
		}, false},
		{"create_disallowed_namespace", "falco namespace foo", falco(49), true},
		{"create_disallowed_namespace", "lab kube-system bootstrap", labEv(res("create", "namespaces", ""), func(ev *auditv1.Event) bool { return ev.ObjectRef.Name == "kube-system" }), false},
		{"pod_created_in_kube_namespace", "falco pod in kube-system", falco(32), true},
		{"pod_created_in_kube_namespace", "falco pod in kube-public", falco(31), true},
		{"pod_created_in_kube_namespace", "falco pod in default", falco(27), false},
		{"service_account_created_in_kube_namespace", "falco SA in kube-system", falco(38), true},
		{"service_account_created_in_kube_namespace", "falco SA in kube-public", falco(37), true},
		{"service_account_created_in_kube_namespace", "falco SA in default", falco(36), false},
		{"service_account_created_in_kube_namespace", "known controller SA", func(t testing.TB) auditv1.Event {
			ev := falco(38)(t)
			ev.ObjectRef.Name = "replicaset-controller"
			return ev
		}, false},
		{"system_clusterrole_modified", "falco patch system:node-problem-detector", falco(50), true},
		{"system_clusterrole_modified", "falco delete system:kube-aggregator", falco(39), true},
		{"system_clusterrole_modified", "lab apiserver bootstrap", labEv(user("system:apiserver"), res("create", "clusterroles", "")), false},
		{"attach_to_cluster_admin_role", "falco binding to cluster-admin", falco(2), true},
		{"attach_to_cluster_admin_role", "falco binding to system:basic-user", falco(9), false},
		{"clusterrole_with_wildcard_created", "falco wildcard resources", falco(5), true},
		{"clusterrole_with_wildcard_created", "falco wildcard verbs", falco(6), true},
		{"clusterrole_with_wildcard_created", "falco pods/exec role", falco(4), false},
		{"clusterrole_with_write_privileges_created", "falco write privileges", falco(7), true},
		{"clusterrole_with_write_privileges_created", "falco read-only role", falco(4), false},
		{"clusterrole_with_pod_exec_created", "falco pods/exec role", falco(4), true},
		{"clusterrole_with_pod_exec_created", "falco wildcard role", falco(5), false},
		{"deployment_created", "falco", falco(18), true},
		{"deployment_created", "lab kubectl create deployment", labEv(res("create", "deployments", "")), true},
		{"deployment_deleted", "falco", falco(43), true},
		{"service_created", "falco", falco(34), true},
		{"service_deleted", "falco", falco(46), true},
		{"configmap_created", "falco", falco(10), true},
		{"configmap_deleted", "falco", falco(42), true},
		{"namespace_created", "falco", falco(49), true},
		{"namespace_deleted_by_user", "falco", falco(44), true},
		{"namespace_deleted_by_user", "lab dev-user denied", labEv(user("dev-user"), res("delete", "namespaces", "")), false},
		{"serviceaccount_created", "falco", falco(36), true},
		{"serviceaccount_deleted", "falco", falco(47), true},
		{"role_created", "lab pod-reader", labEv(user("kubernetes-admin"), res("create", "roles", "")), true},
		{"role_deleted", "delete pod-reader", func(t testing.TB) auditv1.Event {
			return mk(t, "delete", "rbac.authorization.k8s.io", "roles", "", "audit-lab", "pod-reader", "kubernetes-admin", 200, "")
		}, true},
		{"clusterrole_created", "falco", falco(8), true},
		{"clusterrole_deleted", "falco", falco(40), true},
		{"rolebinding_created", "lab dev-pod-reader", labEv(user("kubernetes-admin"), res("create", "rolebindings", "")), true},
		{"rolebinding_deleted", "delete dev-pod-reader", func(t testing.TB) auditv1.Event {
			return mk(t, "delete", "rbac.authorization.k8s.io", "rolebindings", "", "audit-lab", "dev-pod-reader", "kubernetes-admin", 200, "")
		}, true},
		{"clusterrolebinding_created", "falco", falco(9), true},
		{"clusterrolebinding_deleted", "falco", falco(41), true},
		{"secret_created", "falco", falco(33), true},
		{"secret_created", "falco kube-system", falco(19), false},
		{"secret_created", "falco controller token", falco(35), false},
		{"secret_deleted", "falco", falco(45), true},
		{"secret_get_successful", "lab get secret -o yaml", labEv(user("kubernetes-admin"), res("get", "secrets", ""), code(200)), true},
		{"secret_get_successful", "lab dev-user denied", labEv(user("dev-user"), res("get", "secrets", "")), false},
		{"secret_get_unsuccessful", "lab dev-user denied", labEv(user("dev-user"), res("get", "secrets", "")), true},
		{"secret_get_unsuccessful", "lab not found", labEv(res("get", "secrets", ""), code(404)), true},
		{"all_k8s_audit_events", "any event (rule enabled)", labEv(user("kubernetes-admin")), true},
		{"full_k8s_administrative_access", "lab kubernetes-admin (rule enabled)", labEv(user("kubernetes-admin")), true},
		{"full_k8s_administrative_access", "lab dev-user (rule enabled)", labEv(user("dev-user")), false},
		{"ingress_without_tls_created", "ingress without tls", func(t testing.TB) auditv1.Event {
			return mk(t, "create", "networking.k8s.io", "ingresses", "", "audit-lab", "web", "alice", 201,
				`{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":"audit-lab"},"spec":{"rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}`)
		}, true},
		{"ingress_without_tls_created", "ingress with tls", func(t testing.TB) auditv1.Event {
			return mk(t, "create", "networking.k8s.io", "ingresses", "", "audit-lab", "web", "alice", 201,
				`{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web"},"spec":{"tls":[{"hosts":["web.example.com"],"secretName":"web-tls"}],"rules":[]}}`)
		}, false},
		{"untrusted_node_joined", "kubelet registers (rule enabled)", func(t testing.TB) auditv1.Event {
			return mk(t, "create", "", "nodes", "", "", "worker-9", "system:node:worker-9", 201, `{"kind":"Node","apiVersion":"v1","metadata":{"name":"worker-9"}}`)
		}, true},
		{"untrusted_node_join_failed", "kubelet registration denied (rule enabled)", func(t testing.TB) auditv1.Event {
			return mk(t, "create", "", "nodes", "", "", "worker-9", "system:node:worker-9", 403, `{"kind":"Node","apiVersion":"v1","metadata":{"name":"worker-9"}}`)
		}, true},
		// Our rules.
		{"pod_exec", "lab exec (SPDY create)", adminExec, true},
		{"pod_exec", "lab exec (WebSocket get)", labEv(res("get", "pods", "exec")), true},
		{"pod_exec", "lab attach", labEv(res("create", "pods", "attach")), true},
		{"pod_exec", "lab port-forward", labEv(res("create", "pods", "portforward")), false},
		{"pod_exec_kube_system", "exec into kube-system", func(t testing.TB) auditv1.Event {
			ev := adminExec(t)
			ev.ObjectRef.Namespace = "kube-system"
			return ev
		}, true},
		{"pod_exec_kube_system", "lab exec in audit-lab", adminExec, false},
		{"secret_read_by_user", "lab list secrets", labEv(user("kubernetes-admin"), res("list", "secrets", "")), true},
		{"secret_read_by_user", "lab dev-user denied", labEv(user("dev-user"), res("list", "secrets", "")), false},
		{"secret_read_by_user", "controller reads", func(t testing.TB) auditv1.Event {
			ev := lab(t, and(user("kubernetes-admin"), res("get", "secrets", ""), code(200)))
			ev.User.Username = "system:kube-controller-manager"
			return ev
		}, false},
		{"secret_list_all_namespaces", "lab get secrets -A", labEv(user("kubernetes-admin"), res("list", "secrets", ""), func(ev *auditv1.Event) bool { return ev.ObjectRef.Namespace == "" }), true},
		{"secret_list_all_namespaces", "lab list in a namespace", labEv(user("kubernetes-admin"), res("list", "secrets", ""), func(ev *auditv1.Event) bool { return ev.ObjectRef.Namespace != "" }), false},
		{"token_request", "lab kubectl create token", labEv(res("create", "serviceaccounts", "token")), true},
		{"token_request", "kubelet projected token", func(t testing.TB) auditv1.Event {
			ev := lab(t, res("create", "serviceaccounts", "token"))
			ev.User.Username = "system:node:worker-1"
			return ev
		}, false},
		{"rbac_changed", "lab role created", labEv(user("kubernetes-admin"), res("create", "roles", "")), true},
		{"rbac_changed", "lab clusterrolebinding deleted", labEv(user("kubernetes-admin"), res("delete", "clusterrolebindings", "")), true},
		{"rbac_changed", "lab apiserver bootstrap", labEv(user("system:apiserver"), res("create", "clusterroles", "")), false},
		{"binding_to_cluster_admin", "falco binding to cluster-admin", falco(2), true},
		{"binding_to_cluster_admin", "lab apiserver bootstrap binding", labEv(user("system:apiserver"), res("create", "clusterrolebindings", ""), func(ev *auditv1.Event) bool { return ev.ObjectRef.Name == "cluster-admin" }), false},
		{"impersonation", "lab --as=dev-user", labEv(impersonating("dev-user")), true},
		{"impersonation", "liggitt v1beta1 --as=bob", sample(1), true},
		{"impersonation", "lab plain request", labEv(user("kubernetes-admin")), false},
		{"impersonation_privileged", "lab --as-group=system:masters", labEv(impersonating("dev-user"), func(ev *auditv1.Event) bool { return has(ev.ImpersonatedUser.Groups, "system:masters") }), true},
		{"impersonation_privileged", "lab --as=dev-user", labEv(impersonating("dev-user"), func(ev *auditv1.Event) bool { return !has(ev.ImpersonatedUser.Groups, "system:masters") }), false},
		{"anonymous_request", "lab anonymous list secrets", labEv(user("system:anonymous"), code(403)), true},
		{"anonymous_request", "anonymous /livez", func(t testing.TB) auditv1.Event {
			ev := lab(t, and(user("system:anonymous"), uri("/version")))
			ev.RequestURI = "/livez"
			return ev
		}, false},
		{"request_unauthenticated", "lab bogus token", labEv(code(401)), true},
		{"request_unauthenticated", "lab 403", labEv(code(403)), false},
		{"request_forbidden", "lab dev-user 403", labEv(user("dev-user"), code(403)), true},
		{"request_forbidden", "liggitt v1beta1 403", sample(1), true},
		{"request_forbidden", "lab 200", labEv(code(200)), false},
		{"namespace_deleted", "lab delete audit-lab", labEv(user("kubernetes-admin"), res("delete", "namespaces", "")), true},
		{"namespace_deleted", "lab dev-user denied", labEv(user("dev-user"), res("delete", "namespaces", "")), false},
		{"workload_deleted", "lab delete pod", labEv(user("kubernetes-admin"), res("delete", "pods", "")), true},
		{"workload_deleted", "falco delete deployment", falco(43), true},
		{"workload_deleted", "falco delete service", falco(46), false},
		{"admission_webhook_changed", "create validating webhook", func(t testing.TB) auditv1.Event {
			return mk(t, "create", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", "policy-hook", "alice", 201, "")
		}, true},
		{"admission_webhook_changed", "watch webhooks (openshift)", sample(8), false},
		{"admission_webhook_deleted", "delete mutating webhook", func(t testing.TB) auditv1.Event {
			return mk(t, "delete", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", "istio-sidecar-injector", "alice", 200, "")
		}, true},
		{"admission_webhook_deleted", "delete admission policy", func(t testing.TB) auditv1.Event {
			return mk(t, "delete", "admissionregistration.k8s.io", "validatingadmissionpolicies", "", "", "deny-privileged", "alice", 200, "")
		}, true},
		{"crd_changed", "create CRD", func(t testing.TB) auditv1.Event {
			return mk(t, "create", "apiextensions.k8s.io", "customresourcedefinitions", "", "", "backdoors.evil.example.com", "alice", 201, "")
		}, true},
		{"crd_changed", "lab CRD list", labEv(func(ev *auditv1.Event) bool {
			return ev.ObjectRef != nil && ev.ObjectRef.Resource == "customresourcedefinitions"
		}), false},
		{"node_proxy", "kubelet API through the apiserver", func(t testing.TB) auditv1.Event {
			ev := mk(t, "get", "", "nodes", "proxy", "", "worker-1", "alice", 200, "")
			ev.RequestURI = "/api/v1/nodes/worker-1/proxy/runningpods/"
			return ev
		}, true},
		{"node_proxy", "liggitt list nodes", func(t testing.TB) auditv1.Event {
			return mk(t, "list", "", "nodes", "", "", "", "alice", 200, "")
		}, false},
		{"kube_system_write", "falco admin creates secret in kube-system", falco(19), true},
		{"kube_system_write", "lab apiserver bootstrap", labEv(user("system:apiserver"), res("create", "configmaps", "")), false},
		{"privileged_workload", "falco privileged pod", falco(23), true},
		{"privileged_workload", "privileged deployment template", func(t testing.TB) auditv1.Event {
			return withBody(t, falco(18)(t), func(m map[string]any) {
				spec := obj(m, "spec", "template", "spec")
				spec["containers"] = []any{map[string]any{"name": "x", "image": "nginx", "securityContext": map[string]any{"privileged": true}}}
			})
		}, true},
		{"privileged_workload", "hostPID cronjob", func(t testing.TB) auditv1.Event {
			return mk(t, "create", "batch", "cronjobs", "", "audit-lab", "miner", "alice", 201,
				`{"kind":"CronJob","spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"m","image":"busybox"}]}}}}}}`)
		}, true},
		{"privileged_workload", "falco plain deployment", falco(18), false},
		{"host_root_mount", "hostPath /", func(t testing.TB) auditv1.Event {
			return withBody(t, falco(25)(t), func(m map[string]any) {
				for _, v := range obj(m, "spec")["volumes"].([]any) {
					if hp, ok := v.(map[string]any)["hostPath"].(map[string]any); ok {
						hp["path"] = "/"
					}
				}
			})
		}, true},
		{"host_root_mount", "falco /etc mount", falco(25), false},
		{"pod_security_violation", "openshift pod-security violation", sample(6), true},
		{"pod_security_violation", "falco plain pod", falco(27), false},
	}, depthRuleCases()...) // rules_depth_test.go
}

// enabledForTests switches on the rules that are disabled by default.
const enabledForTests = `rules:
- {id: create_disallowed_pod, enabled: true}
- {id: all_k8s_audit_events, enabled: true}
- {id: full_k8s_administrative_access, enabled: true}
- {id: untrusted_node_joined, enabled: true}
- {id: untrusted_node_join_failed, enabled: true}
`

var allStages = []string{"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"}

func TestDefaultRules(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "enable.yaml")
	if err := os.WriteFile(file, []byte(enabledForTests), 0o600); err != nil {
		t.Fatal(err)
	}
	en := newRules(t, file, "extend")
	def := newRules(t, "", "")
	specs, err := ParseRuleFile(defaultRules, "default")
	if err != nil {
		t.Fatal(err)
	}
	disabled := map[string]bool{}
	positive := map[string]bool{}
	for _, s := range specs {
		if s.Enabled != nil && !*s.Enabled {
			disabled[s.ID] = true
		}
	}
	for _, c := range ruleCases() {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			ev := c.ev(t)
			rec, drop := en.Enrich(&ev)
			if drop != "" {
				t.Fatalf("dropped: %s", drop)
			}
			got := has(rec.Enrichment.Rules, c.rule)
			if got != c.want {
				t.Fatalf("rule %s matched=%v, want %v (matched: %v)", c.rule, got, c.want, rec.Enrichment.Rules)
			}
			if c.want {
				positive[c.rule] = true
				r := findRule(en, c.rule)
				if rec.Enrichment.SeverityID < int(r.Severity) {
					t.Errorf("severity %s below the rule's %s", rec.Enrichment.Severity, r.Severity)
				}
				for _, a := range r.Attack {
					if !has(rec.Enrichment.Attack, a) {
						t.Errorf("technique %s missing: %v", a, rec.Enrichment.Attack)
					}
				}
			}
			if disabled[c.rule] {
				ev := c.ev(t)
				rec, _ := def.Enrich(&ev)
				if has(rec.Enrichment.Rules, c.rule) {
					t.Errorf("rule %s is disabled by default but matched", c.rule)
				}
			}
		})
	}
	for _, s := range specs {
		if !positive[s.ID] {
			t.Errorf("default rule %s has no matching test event", s.ID)
		}
	}
}

func findRule(en *testEnricher, id string) *Rule {
	for _, r := range en.RuleSet.list {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func TestSeverityIsHighestOfMatchedRules(t *testing.T) {
	en := newRules(t, "", "")
	// Reading a secret matches secret_get_successful (high) and
	// secret_read_by_user (high); a 403 list matches low and medium rules.
	ev := lab(t, and(user("dev-user"), res("get", "secrets", "")))
	rec, _ := en.Enrich(&ev)
	want := record.SeverityLow
	for _, id := range rec.Enrichment.Rules {
		if r := findRule(en, id); r.Severity > want {
			want = r.Severity
		}
	}
	if rec.Enrichment.Severity != want.String() || rec.Enrichment.SeverityID != int(want) || len(rec.Enrichment.Rules) < 3 {
		t.Errorf("severity %s (%d), rules %v; want %s", rec.Enrichment.Severity, rec.Enrichment.SeverityID, rec.Enrichment.Rules, want)
	}
	// No rule: info.
	ev = lab(t, and(user("system:apiserver"), res("get", "namespaces", "")))
	rec, _ = en.Enrich(&ev)
	if rec.Enrichment.Severity != "info" || rec.Enrichment.SeverityID != 1 || len(rec.Enrichment.Rules) != 0 {
		t.Errorf("unmatched event: %s %v", rec.Enrichment.Severity, rec.Enrichment.Rules)
	}
}

func writeRules(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "my-rules.yaml")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRulesFileModes(t *testing.T) {
	custom := `rules:
- id: crown_jewels
  description: anything touching the payments namespace
  severity: critical
  attack: [T1530]
  match:
    namespaces: ["pay*"]
- id: secret_get_successful
  description: overridden by id
  severity: low
  match:
    verbs: [get]
    resources: [{group: "", resources: [secrets]}]
- id: request_forbidden
  enabled: false
`
	f := writeRules(t, custom)
	ext := newRules(t, f, "extend")
	ids := ext.IDs()
	if !has(ids, "crown_jewels") || !has(ids, "pod_exec") || has(ids, "request_forbidden") {
		t.Errorf("extend: %v", ids)
	}
	if r := findRule(ext, "secret_get_successful"); r == nil || r.Severity != record.SeverityLow {
		t.Errorf("extend did not override secret_get_successful: %+v", r)
	}
	ev := lab(t, and(user("kubernetes-admin"), res("get", "secrets", ""), code(200)))
	ev.ObjectRef.Namespace = "payments"
	rec, _ := ext.Enrich(&ev)
	if rec.Enrichment.Severity != "critical" || !has(rec.Enrichment.Attack, "T1530") {
		t.Errorf("custom rule: %s %v", rec.Enrichment.Severity, rec.Enrichment.Attack)
	}

	rep := newRules(t, f, "replace")
	if ids := rep.IDs(); len(ids) != 2 || ids[0] != "crown_jewels" {
		t.Errorf("replace: %v", ids)
	}
}

func TestRulesFileErrors(t *testing.T) {
	for name, c := range map[string]struct{ body, want string }{
		"unknown predicate": {`rules: [{id: r1, severity: high, match: {predicates: [is_evil]}}]`, `rule "r1": match: unknown predicate "is_evil"`},
		"bad glob":          {`rules: [{id: r2, severity: high, match: {users: ["ali[ce"]}}]`, `rule "r2": match: users: pattern "ali[ce": unclosed '['`},
		"bad severity":      {`rules: [{id: r3, severity: urgent}]`, `rule "r3": severity "urgent"`},
		"bad code":          {`rules: [{id: r4, severity: low, match: {codes: ["4x"]}}]`, `rule "r4": match: codes`},
		"bad stage":         {`rules: [{id: r5, severity: low, except: [{stages: [Done]}]}]`, `rule "r5": except #1: stages: unknown stage "Done"`},
		"bad technique":     {`rules: [{id: r6, severity: low, attack: [lateral]}]`, `rule "r6": attack technique "lateral"`},
		"unknown key":       {`rules: [{id: r7, severity: low, match: {verb: [get]}}]`, `unknown field "verb"`},
		"no id":             {`rules: [{severity: low}]`, `rule #1 has no id`},
		"duplicate":         {`rules: [{id: r8, severity: low}, {id: r8, severity: high}]`, `rule "r8" is defined twice`},
		"toggle unknown":    {`rules: [{id: no_such_rule, enabled: false}]`, `rule "no_such_rule": no default rule has this id`},
		"bad resource":      {`rules: [{id: r9, severity: low, match: {resources: [{group: "", resources: ["a/b/c"]}]}}]`, `rule "r9": match: resource "a/b/c"`},
	} {
		f := writeRules(t, c.body)
		_, err := Load(f, "extend")
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), f) {
			t.Errorf("%s: error %q does not name the file and %q", name, err, c.want)
		}
	}
	if _, err := Load("/nonexistent/rules.yaml", ""); err == nil {
		t.Error("missing rules file: no error")
	}
}

func TestResourceMatchFollowsAuditPolicy(t *testing.T) {
	exec := lab(t, res("create", "pods", "exec"))
	pod := lab(t, res("delete", "pods", ""))
	for _, c := range []struct {
		spec      string
		exec, pod bool
	}{
		{"pods", false, true},
		{"pods/exec", true, false},
		{"pods/*", true, true},
		{"*/exec", true, false},
		{"*", true, true},
	} {
		m, err := compileMatch(&MatchSpec{Resources: []GroupResources{{Group: "", Resources: []string{c.spec}}}})
		if err != nil {
			t.Fatal(err)
		}
		var v audit.View
		audit.NewView(&exec, &v)
		if got := m.matches(&v); got != c.exec {
			t.Errorf("%s on pods/exec: %v", c.spec, got)
		}
		audit.NewView(&pod, &v)
		if got := m.matches(&v); got != c.pod {
			t.Errorf("%s on pods: %v", c.spec, got)
		}
	}
}
