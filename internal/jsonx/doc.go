// Package jsonx is the project's low-level JSON, shared by every reader and
// writer above it: the tape (Tape: a document tokenized once), string
// literals appended exactly as encoding/json writes them (Append,
// AppendWith) and decoded as it decodes them (AppendUnquote, Tape.Str),
// word-at-a-time string scanning (ScanString, ScanSkip, ScanHTML), and
// validating compaction of one JSON value (AppendCompact).
//
// # The tape
//
// Tape.Parse reads a document once into a flat, reusable slice of tokens:
// kind, byte span, for a container the index past its last token (skipping
// a value is one step) and its number of members. It accepts exactly what
// json.Valid accepts (TestTapeRandom, FuzzTape); ParseLimits adds the
// limits a body is read with (BodyMaxDepth, BodyMaxValues: the redactor's,
// checked in document order so that the first problem decides the error).
// Strings are not decoded: a reader decodes the ones it looks at, with its
// own semantics (encoding/json's: Tape.Str; the redactor's keeps invalid
// UTF-8). A tape keeps no pointer but to its document.
//
// An audit event's body is read into a tape at most once and shared
// through audit.View (audit.Tapes): the rules' typed Body and Object, the
// redactor's fast path and its tree are all built from it. In the
// pipeline the event decoder reads each body into its tape as it passes it
// (Tape.ParsePrefix: a value followed by the rest of the document), so the
// body's bytes are read once in all; elsewhere the View reads it on first
// need, into tapes the Enricher reuses from event to event.
// The policy's managedFields strip reads its own tape (it runs before the
// View's readers, and changes the body it reads).
//
// # Which readers exist, and why
//
//   - the tape: every reader of a request or response body (above);
//   - the event decoder (enrich/audit fastdecode.go): one pass over each
//     event document into auditv1.Event, its bodies kept as byte spans and,
//     with an audit.Arena, read into their tapes in the same pass; its
//     byte-level body decoder (DecodeBody, ObjectName, StringMap) is what
//     the Body falls back on when a body is beyond the tape's limits, and
//     reads the small documents the summary and the formats ask for;
//   - AppendCompact: the writer's validating copy of a body into an
//     encoded event (one pass that copies runs of bytes; a tape would add
//     a pass);
//   - encoding/json: the reference of every differential test, and the
//     fallback of the typed decoders for what they do not handle exactly
//     as it does (repeated fields, type errors, odd keys).
package jsonx
