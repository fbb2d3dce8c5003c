// Package audit is the audit event as the rest of the plugin reads it.
//
// Decode and DecodeRaw read one document (an audit.k8s.io/v1 or v1beta1
// Event, or an EventList from the webhook backend) into k8s.io/apiserver's
// auditv1.Event, normalised to v1. A hand-written decoder handles the shapes
// the apiserver writes in one pass, without reflection; anything it does not
// handle exactly as encoding/json would (odd keys, repeated members, errors)
// goes to encoding/json, and differential tests and fuzz targets hold the
// two to the same results. Strings and bodies are views of one private copy
// of the document. DecodeRaw also returns an event's own bytes when they say
// exactly what the decoded event says (v1, kind Event, a level of its own,
// no v1beta1 timestamp, no member left out anywhere outside the bodies),
// and where each top-level member is in them (record.Raw: key, value and
// end offsets in a fixed array indexed by record.Member, written by the
// fast decoder as it reads each member: no allocation, no second pass). The
// native format ships those bytes instead of re-encoding, patching the
// members that changed since.
//
// View is what rules, summaries and the policy read of one event, computed
// once; its Body (the typed request or response object: pod specs, RBAC
// rules, role refs) is parsed on first use and shared by all of them.
// Given Tapes (UseTapes: scratch the Enricher reuses from event to event),
// a View reads each body at most once, on first need, into a jsonx.Tape
// (BodyTape), with the redactor's limits: the Body is decoded from it
// (decodeBodyTape, encoding/json's results, DecodeBody and encoding/json
// only for what it gives up on), the redactor walks the same tape
// (redact.EventView), and the summary reads a created object's name from
// it. Without Tapes, the Body is decoded from the bytes (DecodeBody): a
// tape pays only when it is shared.
// Object is what Body does not hold (container commands and capabilities,
// annotations, managed fields, CSRs), decoded from the body's jsonx.Tape
// (objecttape.go) with encoding/json's results, encoding/json itself only
// for what that decoder gives up on (TestDecodeObjectMatchesEncodingJSON);
// View.Object decodes it once per event, from the View's tapes. Command is
// the command line of an exec, attach or ephemeral container.
//
// An Arena (Arena.DecodeEnvelope, the pipeline's) is memory the decoder
// reuses from record to record: each event's objectRef, responseStatus,
// status details, body headers and first list elements, its annotations
// map, and the tapes of its bodies, which the decoder reads as it passes
// them (jsonx.Tape.ParsePrefix) instead of skipping them; Arena.TapesOf
// hands them to the View (found by the body's identity: a wrong pairing
// would only cost a second read). Escaped strings are decoded into the
// arena's text, which outlives the record (messages keep strings) and is
// emptied only by Clear, once per flush. With an arena, a Metadata event
// is decoded without an allocation.
//
// Arena.DecodeRecord reads an event that Fluent Bit's JSON parser turned
// into a record map (msgpack) as it transcodes it to JSON (msgpack.go, an
// flbchunk.MapDecoder): the top-level members, user, objectRef, source IPs,
// annotations, responseStatus and times from the msgpack values, the rest
// (bodies, into their tapes; status details; rare members) by the fast
// decoder from the JSON it has just written. It writes exactly the bytes
// flbchunk's transcoder writes and decodes what DecodeEnvelope decodes from
// them, or gives the record back (TestDecodeRecordMatches, FuzzDecodeRecord).
package audit
