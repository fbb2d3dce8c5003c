// Package flbchunk reads and writes the Fluent Bit chunk format: a
// concatenation of msgpack arrays, one per record,
//
//	classic: [timestamp, record]
//	v2:      [[timestamp, metadata], record]
//
// where timestamp is the EventTime extension (type 0: big-endian uint32
// seconds, uint32 nanoseconds), an integer or a float of seconds. Reader
// reads it directly, without building generic maps: a record's audit event
// is either a JSON string under the log key (returned as is) or a map
// (transcoded straight to JSON). A MapDecoder (the event decoder's
// Arena.DecodeRecord) may take a record map instead and decode it while it
// transcodes it, reading it with a Cursor (the Reader's own msgpack
// readers). Writer builds chunks as Fluent Bit's tail input hands them to
// an output (the command and the tests use it).
package flbchunk
