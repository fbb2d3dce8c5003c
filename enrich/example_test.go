package enrich_test

import (
	"fmt"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
)

// An exec into a pod with a password on its command line: the rules judge
// the event as logged, the redactor takes the password out of the request
// URI, and the summary quotes the redacted command.
func ExampleEnricher_Enrich() {
	en, err := enrich.New(enrich.Config{ClusterName: "prod-eu", NodeName: "cp-1"}, redact.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	line := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"9d0e6c1a-5f3b-4c2d-8e7f-1a2b3c4d5e6f","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods/db-0/exec?command=mysql\u0026command=-uroot\u0026command=-pS3cr3tPassw0rd\u0026container=db\u0026stdin=true\u0026tty=true","verb":"create","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07","objectRef":{"resource":"pods","namespace":"prod","name":"db-0","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2026-11-22T02:21:19.289650Z","stageTimestamp":"2026-11-22T02:21:19.301552Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`)
	evs, err := audit.Decode(line, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, drop := en.Enrich(&evs[0])
	if drop != enrich.DropNone {
		fmt.Println("dropped:", drop)
		return
	}
	e := rec.Enrichment
	fmt.Println(e.Severity, e.Rules, e.Attack)
	fmt.Println(e.Summary)
	fmt.Println(e.Redactions)
	// Output:
	// medium [disallowed_k8s_user pod_exec] [T1078 T1609]
	// alice exec'd "mysql -uroot -p[REDACTED]" into pod db-0 in prod from 10.0.0.7 (kubectl/v1.32.4): allowed, 101
	// [requestURI.query.command[2]]
}
