package pipeline

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// flushBuckets are the upper bounds, in seconds, of the flush-duration
// histogram kept by Stats (read-only).
var flushBuckets = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// FlushBuckets returns the upper bounds, in seconds, of Snapshot.FlushCounts.
func FlushBuckets() []float64 { return flushBuckets[:len(flushBuckets):len(flushBuckets)] }

// maxLabelValues bounds the distinct redaction kinds and Kafka error causes
// counted separately; beyond it they are counted as "other".
const maxLabelValues = 64

// Stats are an instance's cumulative counters, safe for concurrent flushes.
type Stats struct {
	// truncated events lost their bodies to fit max_message_bytes;
	// deadLettered ones were replaced by a stub on dlq_topic.
	truncated, deadLettered atomic.Int64
	invalidIPs              atomic.Int64

	flushes  atomic.Int64
	records  atomic.Int64 // records of chunks answered OK or Error: each record once
	events   atomic.Int64 // events decoded from them
	retried  atomic.Int64 // records of flushes answered Retry: they come back
	shipped  atomic.Int64
	retries  atomic.Int64
	errors   atomic.Int64
	bytesIn  atomic.Int64
	bytesOut atomic.Int64
	busy     atomic.Int64 // nanoseconds spent in Flush

	flushCount [len(flushBuckets) + 1]atomic.Int64 // per flushBuckets bound, then +Inf (not cumulative)

	mu          sync.Mutex
	dropped     map[string]int64
	bySeverity  map[string]int64
	redactions  map[string]int64
	kafkaErrors map[KafkaErrorKey]int64
	unwrapped   map[string]int64 // events taken out of cloud envelopes, by kind
	lastOK      time.Time        // last acknowledged write of at least one message
	failing     time.Time        // first failed write since lastOK; zero when healthy
}

// KafkaErrorKey labels a failed write: its class (transient, permanent,
// undeliverable) and its cause, output.Cause's stable key.
type KafkaErrorKey struct{ Kind, Cause string }

func newStats() *Stats {
	return &Stats{dropped: map[string]int64{}, bySeverity: map[string]int64{},
		redactions: map[string]int64{}, kafkaErrors: map[KafkaErrorKey]int64{}, unwrapped: map[string]int64{}}
}

func (s *Stats) addBytesIn(n int) { s.bytesIn.Add(int64(n)) }

// addRedactions counts the redactions of one record (Enrichment.Redactions:
// the paths redacted) by kind: the part of the event the value was in.
func (s *Stats) addRedactions(paths []string) {
	if len(paths) == 0 {
		return
	}
	s.mu.Lock()
	for _, p := range paths {
		k, n := redactionKind(p)
		if _, ok := s.redactions[k]; !ok {
			if len(s.redactions) >= maxLabelValues {
				k = "other"
			}
			k = strings.Clone(k) // a kept key must not share the flush's buffers
		}
		s.redactions[k] += n
	}
	s.mu.Unlock()
}

// redactionKind maps a redacted path to a label with few values: its root
// (requestObject, responseObject, requestURI, annotations, responseStatus,
// user...), so that key names never become label values. "+N more", which
// stands for paths not listed, counts N as "unlisted".
func redactionKind(path string) (kind string, n int64) {
	if rest, ok := strings.CutPrefix(path, "+"); ok {
		if num, ok := strings.CutSuffix(rest, " more"); ok {
			if v, err := strconv.ParseInt(num, 10, 64); err == nil && v > 0 {
				return "unlisted", v
			}
		}
	}
	if i := strings.IndexAny(path, ".[?/ "); i > 0 {
		path = path[:i]
	}
	if path == "" {
		path = "other"
	}
	return path, 1
}

// addShipped counts an acknowledged write. It returns for how long writes
// had been failing before it, 0 if they were not.
func (s *Stats) addShipped(msgs []output.Message, bytes int) (recoveredAfter time.Duration) {
	s.bytesOut.Add(int64(bytes))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range msgs {
		if m := &msgs[i]; !m.Refused && m.DeadLetter == "" { // stubs and refused ones were not shipped
			s.bySeverity[m.Severity]++
		}
	}
	if len(msgs) > 0 {
		s.lastOK = time.Now()
		if !s.failing.IsZero() {
			recoveredAfter = max(s.lastOK.Sub(s.failing), time.Nanosecond)
		}
		s.failing = time.Time{}
	}
	return recoveredAfter
}

func (s *Stats) record(res *FlushResult, d time.Duration) {
	s.truncated.Add(int64(res.Truncated))
	s.deadLettered.Add(int64(res.DeadLettered))

	s.flushes.Add(1)
	// A chunk answered Retry comes back whole: its records are counted once,
	// when it is finally delivered (or given up), and apart while retried.
	if res.Status == Retry {
		s.retried.Add(int64(res.Records))
	} else {
		s.records.Add(int64(res.Records))
		s.events.Add(int64(res.Events))
	}
	s.shipped.Add(int64(res.Shipped))
	s.busy.Add(int64(d))
	i := 0
	for i < len(flushBuckets) && d.Seconds() > flushBuckets[i] {
		i++
	}
	s.flushCount[i].Add(1)
	switch res.Status {
	case Retry:
		s.retries.Add(1)
	case Error:
		s.errors.Add(1)
	}
	var oe *output.Error
	failed := res.Status != OK && errors.As(res.Err, &oe)
	// A retried chunk comes back whole: its drops are counted when it is
	// finally delivered (or given up), not at every attempt.
	countDrops := len(res.Dropped) > 0 && res.Status != Retry
	countUnwrapped := len(res.Unwrapped) > 0 && res.Status != Retry
	if res.Status != Retry {
		s.invalidIPs.Add(int64(res.InvalidIPs))
	}
	if countDrops || failed || countUnwrapped {
		s.mu.Lock()
		if countDrops {
			for k, v := range res.Dropped {
				s.dropped[k] += int64(v)
			}
		}
		if countUnwrapped {
			for k, v := range res.Unwrapped {
				s.unwrapped[k] += int64(v)
			}
		}
		if failed {
			k := KafkaErrorKey{Kind: oe.Kind.String(), Cause: output.Cause(oe.Err)}
			if _, ok := s.kafkaErrors[k]; !ok && len(s.kafkaErrors) >= maxLabelValues {
				k.Cause = "other"
			}
			s.kafkaErrors[k]++
			if s.failing.IsZero() {
				s.failing = time.Now()
			}
		}
		s.mu.Unlock()
	}
}

// DropReasons returns every reason a record or event is dropped for, as
// counted in Snapshot.Dropped (enrich's reasons, then the pipeline's), so
// that metrics can show each at 0 before its first drop.
func DropReasons() []string {
	return []string{enrich.DropStage, enrich.DropPolicy, enrich.DropPolicyStage, enrich.DropNotAudit,
		DropMalformedChunk, DropEncode, DropTooLarge, DropUndeliverable}
}

// Snapshot is a point-in-time copy of Stats.
type Snapshot struct {
	// Truncated and DeadLettered count oversized events (see FlushResult).
	Truncated, DeadLettered int64

	// Records and Events count each record of a chunk once, when the chunk
	// is settled (delivered, or given up); RetriedRecords counts the records
	// of every flush answered Retry (Fluent Bit delivers them again).
	Flushes, Records, Events, Shipped int64
	RetriedRecords                    int64
	Retries, Errors                   int64
	BytesIn, BytesOut                 int64
	Busy                              time.Duration
	Dropped, BySeverity               map[string]int64
	// Redactions counts redacted values by kind.
	Redactions map[string]int64
	// KafkaErrors counts failed writes by class and cause.
	KafkaErrors map[KafkaErrorKey]int64
	// Unwrapped counts the events taken out of cloud envelopes, by kind
	// (audit.EnvelopeKinds), each once (as Events).
	Unwrapped map[string]int64
	// InvalidSourceIPs counts source addresses that are not IP addresses,
	// left out of the ecs and ocsf ip fields (each once, as Events).
	InvalidSourceIPs int64
	// FlushCounts holds, per bound of FlushBuckets and then +Inf, how many
	// flushes took at most that long (not cumulative).
	FlushCounts []uint64
	// LastDelivery is when the broker last acknowledged a write; zero: never.
	LastDelivery time.Time
	// FailingSince is when writes started failing without a success since;
	// zero when the last write succeeded.
	FailingSince time.Time
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := make([]uint64, len(flushBuckets)+1)
	for i := range counts {
		counts[i] = uint64(s.flushCount[i].Load())
	}
	return Snapshot{
		Flushes: s.flushes.Load(), Records: s.records.Load(), Events: s.events.Load(), Shipped: s.shipped.Load(),
		Truncated: s.truncated.Load(), DeadLettered: s.deadLettered.Load(),
		Retries: s.retries.Load(), Errors: s.errors.Load(), RetriedRecords: s.retried.Load(),
		BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load(), Busy: time.Duration(s.busy.Load()),
		Dropped: maps.Clone(s.dropped), BySeverity: maps.Clone(s.bySeverity),
		Redactions: maps.Clone(s.redactions), KafkaErrors: maps.Clone(s.kafkaErrors),
		Unwrapped: maps.Clone(s.unwrapped), InvalidSourceIPs: s.invalidIPs.Load(),
		FlushCounts: counts, LastDelivery: s.lastOK, FailingSince: s.failing,
	}
}

// WireBytes returns the bytes the output sent to the brokers (after
// compression), when the sink counts them.
func (p *Pipeline) WireBytes() (int64, bool) {
	if w, ok := p.sink.(interface{ WireBytes() int64 }); ok {
		return w.WireBytes(), true
	}
	return 0, false
}

// EnvelopeKinds returns the kinds of cloud envelope counted in
// Snapshot.Unwrapped, so that metrics can show each at 0.
func EnvelopeKinds() []string { return audit.EnvelopeKinds() }
