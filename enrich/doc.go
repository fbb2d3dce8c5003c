// Package enrich is a small orchestrator over one-concern packages:
//
//	audit    the event: decoding (v1, v1beta1, EventList), the View and the
//	         typed Body that rules and summaries share, the command line
//	rules    severity rules as data (rules.yaml), their engine and predicates
//	policy   node-side re-levelling with k8s.io/apiserver's own evaluator
//	redact   secrets out of every payload, fail-closed
//	summary  who, what, where, result, and the sentence an analyst reads
//
// Enricher.EnrichInto runs them in that order for one event: the stages
// filter, the policy (which may drop or lower the event), the rules (on the
// event as logged: they only name what matched), redaction (after the
// policy, so bodies it strips are not walked, and before the summary, which
// quotes the exec command), then the summary. Each body is read at most
// once, into a jsonx.Tape held by the View (audit.Tapes, pooled by the
// Enricher), and that one read serves the rules' Body, the summary, ecs's
// container images and the redactor (redact.EventView); a body the policy
// rewrites (omitManagedFields) or the redactor changes is read again only
// if someone reads it after.
//
// The record keeps the event's exact bytes (audit.DecodeRaw) and the set of
// top-level members the policy, redaction or Truncate changed since
// (record.Record.Changed, changes.go), so that the native format ships the
// bytes as they are, or with those members patched: the member's value
// re-encoded, everything else the logged bytes. Each member is told the
// cheapest sure way: level, requestURI and userAgent by comparing strings,
// the bodies by identity (nothing writes into a body, it is replaced), the
// members the redactor edits in place (user, impersonatedUser,
// responseStatus, annotations) by the roots of the redaction paths. When in
// doubt a member is marked; a path placed in no member, or a policy change
// no comparison finds, drops the bytes and the event is re-encoded whole.
//
// An Enricher is built once per plugin instance and is read-only afterwards:
// concurrent flushes share it.
package enrich
