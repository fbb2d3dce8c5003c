// Package jsonx is the project's low-level JSON, shared by every reader and
// writer above it: string literals appended exactly as encoding/json writes
// them (Append, AppendWith), word-at-a-time string scanning (ScanString,
// ScanSkip, ScanHTML), and validating compaction of one JSON value
// (AppendCompact).
package jsonx
