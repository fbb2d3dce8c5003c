// Package record holds the types that cross the pipeline: a Record (the audit
// event, its exact bytes with where each top-level member is (Raw) and which
// members changed since (Changed), and what was learnt about it) is made by enrich, written by output/format, and read back by
// the watch and correlate commands (Native is the native message's
// enrichment). Severity has its one definition here.
package record
