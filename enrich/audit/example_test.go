package audit_test

import (
	"fmt"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
)

// One line of a kube-apiserver audit log: Decode reads it (and v1beta1
// events and EventLists) into k8s.io/apiserver's auditv1.Event; DecodeRaw
// also keeps the event's own bytes, which say exactly what the event says.
func ExampleDecodeRaw() {
	line := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"2b6c3a0e-7e0c-4b1e-9a55-3f0d4c1e9a10","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/secrets/db","verb":"get","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07","objectRef":{"resource":"secrets","namespace":"prod","name":"db","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-22T02:21:19.289650Z","stageTimestamp":"2026-11-22T02:21:19.301552Z"}`)
	evs, raws, err := audit.DecodeRaw(line, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := evs[0]
	fmt.Println(ev.User.Username, ev.Verb, ev.ObjectRef.Resource, ev.ObjectRef.Namespace+"/"+ev.ObjectRef.Name, ev.ResponseStatus.Code)
	fmt.Println("own bytes kept:", len(raws[0].Bytes) == len(line))

	_, err = audit.Decode([]byte(`{"kind":"Pod","apiVersion":"v1"}`), nil)
	fmt.Println(err)
	// Output:
	// alice get secrets prod/db 200
	// own bytes kept: true
	// not an audit event: apiVersion "v1"
}
