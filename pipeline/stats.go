package pipeline

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// Stats are an instance's cumulative counters, safe for concurrent flushes.
type Stats struct {
	// truncated events lost their bodies to fit max_message_bytes;
	// deadLettered ones were replaced by a stub on dlq_topic.
	truncated, deadLettered atomic.Int64

	flushes  atomic.Int64
	records  atomic.Int64
	events   atomic.Int64
	shipped  atomic.Int64
	retries  atomic.Int64
	errors   atomic.Int64
	bytesIn  atomic.Int64
	bytesOut atomic.Int64
	busy     atomic.Int64 // nanoseconds spent in Flush

	mu         sync.Mutex
	dropped    map[string]int64
	bySeverity map[string]int64
}

func newStats() *Stats {
	return &Stats{dropped: map[string]int64{}, bySeverity: map[string]int64{}}
}

func (s *Stats) addBytesIn(n int) { s.bytesIn.Add(int64(n)) }

func (s *Stats) addShipped(msgs []output.Message, bytes int) {
	s.bytesOut.Add(int64(bytes))
	s.mu.Lock()
	for i := range msgs {
		s.bySeverity[msgs[i].Severity]++
	}
	s.mu.Unlock()
}

func (s *Stats) record(res *FlushResult, d time.Duration) {
	s.truncated.Add(int64(res.Truncated))
	s.deadLettered.Add(int64(res.DeadLettered))

	s.flushes.Add(1)
	s.records.Add(int64(res.Records))
	s.events.Add(int64(res.Events))
	s.shipped.Add(int64(res.Shipped))
	s.busy.Add(int64(d))
	switch res.Status {
	case Retry:
		s.retries.Add(1)
	case Error:
		s.errors.Add(1)
	}
	if len(res.Dropped) > 0 {
		s.mu.Lock()
		for k, v := range res.Dropped {
			s.dropped[k] += int64(v)
		}
		s.mu.Unlock()
	}
}

// Snapshot is a point-in-time copy of Stats.
type Snapshot struct {
	// Truncated and DeadLettered count oversized events (see FlushResult).
	Truncated, DeadLettered int64

	Flushes, Records, Events, Shipped int64
	Retries, Errors                   int64
	BytesIn, BytesOut                 int64
	Busy                              time.Duration
	Dropped, BySeverity               map[string]int64
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Snapshot{
		Flushes: s.flushes.Load(), Records: s.records.Load(), Events: s.events.Load(), Shipped: s.shipped.Load(),
		Truncated: s.truncated.Load(), DeadLettered: s.deadLettered.Load(),
		Retries: s.retries.Load(), Errors: s.errors.Load(),
		BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load(), Busy: time.Duration(s.busy.Load()),
		Dropped: maps.Clone(s.dropped), BySeverity: maps.Clone(s.bySeverity),
	}
}
