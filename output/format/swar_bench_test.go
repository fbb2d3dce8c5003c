package format

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// Strings as the native encoder meets them: ids, names, URIs, agents.
var benchStrings = []string{
	"ResponseComplete", "get", "system:serviceaccount:kube-system:replicaset-controller",
	"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/lab-control-plane?timeout=10s",
	"kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/70d3cc9/leader-election",
	"8c0d3b0e-5b7a-4b8e-9d0e-3f1c2a4b5c6d", "10.244.0.1", "kube-system", "leases",
	`RBAC: allowed by ClusterRoleBinding "system:kube-controller-manager" of ClusterRole "system:kube-controller-manager" to User "system:kube-controller-manager"`,
}

func BenchmarkAppendJSONString(b *testing.B) {
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		for _, s := range benchStrings {
			buf = appendJSONString(buf, s)
		}
	}
}

// BenchmarkAppendJSONStringTable is BenchmarkAppendJSONString with the
// byte-table escaper alone, for comparison.
func BenchmarkAppendJSONStringTable(b *testing.B) {
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		for _, s := range benchStrings {
			buf = jsonx.AppendWith(buf, s, jsonx.HTMLSafe)
		}
	}
}

// BenchmarkAppendCompactJSON compacts the longest line of the lab log (a
// compact document with large RBAC bodies: the common case, one append).
func BenchmarkAppendCompactJSON(b *testing.B) {
	var body []byte
	for _, l := range readLines(b, labLog) {
		if len(l) > len(body) {
			body = l
		}
	}
	b.SetBytes(int64(len(body)))
	var buf []byte
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = jsonx.AppendCompact(buf[:0], body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompactBodies compacts every request and response body of the
// benchmark mix's 1000 events, as the native encoder does.
func BenchmarkCompactBodies(b *testing.B) {
	c, err := benchmix.LoadCorpus()
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	size := 0
	for _, l := range c.Generate(benchmix.Default(), 1000) {
		var ev auditv1.Event
		if err := json.Unmarshal(l, &ev); err != nil {
			b.Fatal(err)
		}
		for _, u := range []*runtime.Unknown{ev.RequestObject, ev.ResponseObject} {
			if u != nil {
				bodies = append(bodies, u.Raw)
				size += len(u.Raw)
			}
		}
	}
	b.SetBytes(int64(size))
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		for _, body := range bodies {
			if buf, err = jsonx.AppendCompact(buf, body); err != nil {
				b.Fatal(err)
			}
		}
	}
}
