// Package policy lowers an event's level at the node: an audit.k8s.io/v1
// Policy file evaluated by k8s.io/apiserver's own policy evaluator, over the
// request attributes the apiserver saw (the authenticated user, not the
// impersonated one). It never raises a level; level None and omitStages
// drop the event; omitManagedFields strips metadata.managedFields from the
// bodies (read once into a jsonx.Tape; the objects it rewrites come out
// exactly as encoding/json wrote them, members sorted). Apply reports
// whether it changed the event, so that the members it changed are
// re-encoded rather than shipped as their logged bytes.
package policy
