package redact_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
)

// benchEvent decodes one event document.
func benchEvent(b *testing.B, doc []byte) auditv1.Event {
	evs, err := audit.Decode(doc, nil)
	if err != nil {
		b.Fatal(err)
	}
	return evs[0]
}

// run redacts a fresh shallow copy of tmpl each iteration (the redactor
// never writes into the original body bytes, it replaces them).
func run(b *testing.B, r *redact.Redactor, tmpl auditv1.Event) {
	var req, resp []byte
	if tmpl.RequestObject != nil {
		req = tmpl.RequestObject.Raw
	}
	if tmpl.ResponseObject != nil {
		resp = tmpl.ResponseObject.Raw
	}
	b.SetBytes(int64(len(req) + len(resp) + len(tmpl.RequestURI)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		e := tmpl
		if req != nil {
			e.RequestObject = &runtime.Unknown{Raw: req}
		}
		if resp != nil {
			e.ResponseObject = &runtime.Unknown{Raw: resp}
		}
		r.Event(&e)
	}
	reportCPU(b, cpu)
}

// reportCPU adds cpu-ns/op: process CPU time per operation.
func reportCPU(b *testing.B, since time.Duration) {
	if d := processCPU() - since; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkRedact(b *testing.B) {
	r, err := redact.New(redact.Config{Mode: redact.Mask})
	if err != nil {
		b.Fatal(err)
	}
	rn := newRnd(11)
	var certs []string
	for i := 0; i < 150; i++ {
		certs = append(certs, "# CA "+rn.str(8)+"\n-----BEGIN CERTIFICATE-----\n"+strings.Repeat(rn.str(64)+"\n", 20)+"-----END CERTIFICATE-----")
	}
	podEnv := container(`{"name":"LOG_LEVEL","value":"info"},{"name":"DB_HOST","value":"db.prod.svc"},{"name":"DB_PASSWORD","value":"` + rn.str(20) + `"}`)
	cases := []struct {
		name string
		doc  []byte
	}{
		{"no-body/metadata", ev{Resource: "pods", Level: "Metadata", Verb: "get", URI: "/api/v1/namespaces/prod/pods/web-0", Annotations: map[string]string{
			"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": `RBAC: allowed by RoleBinding "pod-reader/audit-lab" of Role "pod-reader" to User "dev-user"`}}.JSON()},
		{"no-body/watch-query", ev{Resource: "configmaps", Level: "Metadata", Verb: "watch", URI: "/api/v1/namespaces/prod/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dkube-root-ca.crt&resourceVersion=18&timeout=7m56s&timeoutSeconds=476&watch=true"}.JSON()},
		{"no-body/exec", ev{Resource: "pods", Sub: "exec", Level: "Metadata", URI: "/api/v1/namespaces/prod/pods/db-0/exec?command=sh&command=-c&command=cat+%2Fetc%2Fpasswd&container=db&stdin=true&stdout=true&tty=true"}.JSON()},
		{"body/pod-2KB", ev{Resource: "pods", Req: `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"prod","labels":{"app":"web","tier":"frontend"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + js(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[`+podEnv+`]}}`) + `}},"spec":{"containers":[` + podEnv + `],"volumes":[{"name":"t","secret":{"secretName":"web-tls"}}],"serviceAccountName":"web","securityContext":{"runAsNonRoot":true}}}`}.JSON()},
		{"body/secret", ev{Resource: "secrets", Req: `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"type":"Opaque","data":{"username":"YWRtaW4=","password":"` + b64(rn.str(24)) + `"}}`, Resp: `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","uid":"0b4c","resourceVersion":"12"},"type":"Opaque","data":{"username":"YWRtaW4=","password":"` + b64(rn.str(24)) + `"}}`}.JSON()},
		{"body/ca-bundle-220KB", ev{Resource: "configmaps", Verb: "get", Resp: `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"trusted-ca-bundle"},"data":{"ca-bundle.crt":` + js(strings.Join(certs, "\n")) + `}}`}.JSON()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { run(b, r, benchEvent(b, c.doc)) })
	}
	// For scale on the same machine: what encoding/json takes just to
	// decode the pod body into a map (the redactor parses, walks and may
	// re-serialise).
	b.Run("reference/encoding-json-decode-pod", func(b *testing.B) {
		e := benchEvent(b, cases[3].doc)
		b.SetBytes(int64(len(e.RequestObject.Raw)))
		b.ReportAllocs()
		cpu := processCPU()
		for i := 0; i < b.N; i++ {
			var m map[string]any
			if err := json.Unmarshal(e.RequestObject.Raw, &m); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	// The 1000 events of the pipeline's benchmark mix (internal/benchmix),
	// as enrich's BenchmarkStageRedact, with the process CPU time per event.
	b.Run("mix-1000", func(b *testing.B) {
		c, err := benchmix.LoadCorpus()
		if err != nil {
			b.Fatal(err)
		}
		var evs []auditv1.Event
		var n int64
		for _, l := range c.Generate(benchmix.Default(), 1000) {
			evs = append(evs, benchEvent(b, l))
			n += int64(len(l))
		}
		b.SetBytes(n)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for i := 0; i < b.N; i++ {
			for _, e := range evs {
				if e.RequestObject != nil {
					e.RequestObject = &runtime.Unknown{Raw: e.RequestObject.Raw}
				}
				if e.ResponseObject != nil {
					e.ResponseObject = &runtime.Unknown{Raw: e.ResponseObject.Raw}
				}
				r.Event(&e)
			}
		}
		reportCPU(b, cpu)
	})
	// The real lab log, event after event.
	b.Run("lab-log", func(b *testing.B) {
		var evs []auditv1.Event
		var n int64
		for _, l := range readLines(b, filepath.Join(repoRoot(b), "testdata", "lab-policy.audit.log")) {
			evs = append(evs, benchEvent(b, []byte(l)))
			n += int64(len(l))
		}
		b.SetBytes(n / int64(len(evs)))
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		defer reportCPU(b, cpu)
		for i := 0; i < b.N; i++ {
			e := evs[i%len(evs)]
			if e.RequestObject != nil {
				e.RequestObject = &runtime.Unknown{Raw: e.RequestObject.Raw}
			}
			if e.ResponseObject != nil {
				e.ResponseObject = &runtime.Unknown{Raw: e.ResponseObject.Raw}
			}
			r.Event(&e)
		}
	})
}

// BenchmarkRedactHostile: a ConfigMap whose one value is a megabyte of one
// unit repeated, each unit a scanner's trigger (see TestHostileStrings);
// the time per byte must not grow with the length.
func BenchmarkRedactHostile(b *testing.B) {
	r, err := redact.New(redact.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, unit := range []string{"password", "sig=", "Pwd= ", "sk_live_", "<password>", "value: ", "password: ",
		"chpasswd ", "| password-stdin ", "mysql 'a b' ", "--password 'x y' ", "\"mysql ", "--token ",
		"shpat_0123456789abcdef0123456789abcdef ", "ENV ", "\nENV PASSWORD x y"} {
		for _, size := range []int{1 << 16, 1 << 20} {
			s := strings.Repeat(unit, size/len(unit))
			body, _ := json.Marshal(map[string]any{"kind": "ConfigMap", "data": map[string]string{"v": s}})
			tmpl := auditv1.Event{AuditID: "x", Stage: auditv1.StageResponseComplete,
				ObjectRef: &auditv1.ObjectReference{Resource: "configmaps"}, RequestObject: &runtime.Unknown{Raw: body}}
			b.Run(fmt.Sprintf("%s/%dKiB", strings.TrimSpace(unit), size>>10), func(b *testing.B) { run(b, r, tmpl) })
		}
	}
}
