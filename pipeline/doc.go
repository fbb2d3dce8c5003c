// Package pipeline is one plugin instance, in plain Go (no cgo, no Fluent
// Bit types): Flush takes one Fluent Bit chunk and answers OK only once the
// broker acknowledged every message of it.
//
//	chunk (msgpack) --flbchunk.Reader--> event JSON, no generic maps
//	  --audit.Arena.DecodeEnvelope--> auditv1.Event (+ its exact bytes and member spans when it is v1 and complete, its bodies' tapes)
//	    (a record map, from tail's JSON parser: --audit.Arena.DecodeRecord--> the same, decoded while transcoded)
//	  --enrich.Enricher--> stages -> policy re-level -> rules -> redact -> summary
//	  --format.Append--> native (own bytes, changed members patched, + enrichment spliced) | ecs | ocsf
//	  --oversize--> truncate bodies -> dead-letter stub on dlq_topic
//	  --Sink.Write--> one synchronous, acknowledged write (output.Writer)
//
// Each event is read once: the decoder's strings and bodies are views of one
// private copy of the document, and an event is shipped as its own bytes,
// with only the members redaction, re-levelling or truncation changed
// re-encoded. Every record that is not shipped is counted with its reason
// (FlushResult.Dropped, Stats): not_audit_event, stage_filtered,
// policy_level_none, too_large, ...; nothing is lost silently.
//
// Memory: Flush copies each record's document (a log line) or transcodes it
// (a parsed record) once into a pooled buffer, and everything after is views
// of it: events (decoded into the scratch's audit.Arena,
// reused record after record), summaries (one text buffer per flush),
// messages and the writer's records (pooled by the writer). A Metadata
// event costs well under one allocation.
//
// A Pipeline holds no state between flushes beyond its configuration, the
// sink and pooled scratch buffers; flushes may run concurrently (Fluent
// Bit's workers). Retry is answered for anything the broker could not take
// now, so Fluent Bit re-delivers the chunk; Error only for a chunk that can
// never succeed. Close waits for in-flight flushes, then cancels them.
package pipeline
