package redact

import auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

// SlowOnly makes r build and walk a tree for every body, as before the fast
// path of fast.go: the reference of the differential tests.
func SlowOnly(r *Redactor) *Redactor {
	r.slowOnly = true
	return r
}

// Clean is the fast path's verdict on a body of an event about ref: true
// when it skips the tree.
func Clean(r *Redactor, body []byte, ref *auditv1.ObjectReference) bool {
	w := walker{r: r, hint: kindHint(ref)}
	return w.clean(body)
}
