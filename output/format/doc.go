// Package format writes the message value of a record in one of three
// schemas:
//
//   - Native: the audit event with the enrichment as its last member. An
//     event logged as it is (record.Record.Raw) is its own bytes with the
//     enrichment spliced in before the final '}'; when redaction,
//     re-levelling or truncation changed members of it
//     (record.Record.Changed), those are patched in (patch.go): each
//     changed member's value re-encoded by the encoder of a re-encoded
//     event, a member gone left out with its comma, a member added before
//     the enrichment, every other byte the logged one. Any other event is
//     encoded as json.Marshal would write it (the differential tests hold
//     all three to the same meaning). The enrichment is Lean by default
//     (record.Native: what the plugin derives, no copies of event fields);
//     Full adds the who, what, where and result copies.
//   - ECS: an Elastic Common Schema document, as Elastic's Kubernetes
//     audit_logs integration maps audit events.
//   - OCSF: an OCSF API Activity event (class 6003).
//
// ECS and OCSF documents are written from a plan of dotted paths
// (fielddoc.go) in one pass, without maps; reference_test.go holds them to a
// map-based encoding byte for byte. Format.Version is the format_version
// header, bumped on a breaking change of a schema.
package format
