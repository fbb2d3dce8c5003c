package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

// Status is the outcome of a flush, mapped by the plugin to FLB_OK,
// FLB_RETRY and FLB_ERROR.
type Status int

const (
	// OK: every shippable event was acknowledged by the broker (and every
	// other record was counted as dropped, with its reason).
	OK Status = iota
	// Retry: nothing is lost; deliver the identical chunk again later.
	Retry
	// Error: the chunk can never be delivered (garbage, or a broker that can
	// never take the plugin's records: output.Undeliverable); Fluent Bit
	// drops it and counts it. Refusals an operator can fix are Retry.
	Error
)

func (s Status) String() string {
	return [...]string{"ok", "retry", "error"}[s]
}

// Drop reasons counted by the pipeline itself (enrich has its own).
const (
	DropMalformedChunk = "malformed_chunk"
	DropEncode         = "encode_failed"
	// DropTooLarge: an event above max_message_bytes even without its
	// request and response bodies, with no dlq_topic to take its stub.
	DropTooLarge = "too_large"
	// DropUndeliverable: the broker can never take the chunk (it is older
	// than Kafka 0.11); Fluent Bit drops it on FLB_ERROR.
	DropUndeliverable = "undeliverable"
)

// Sink receives the messages of one flush. output.Writer is the real one;
// the command's dry run prints instead. The messages, their values and
// strings are views of the flush's buffers, reused once Write returned
// nil: a sink that keeps anything past that copies it.
type Sink interface {
	Write(ctx context.Context, msgs []output.Message) error
	Close() error
}

// Pipeline is one plugin instance. Flush may be called concurrently.
type Pipeline struct {
	cfg   *conf.Config
	enr   *enrich.Enricher
	sink  Sink
	log   *slog.Logger
	stats *Stats

	mu       sync.RWMutex // held for reading by each flush, for writing by Close
	closed   bool
	inflight sync.WaitGroup
	// stop is cancelled when Close's grace time is over: in-flight writes
	// give up (their chunks are retried by Fluent Bit at its next start).
	stop      context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
	closeErr  error
	// oversize remembers which oversized-event outcomes were logged.
	oversize oversizeLog

	scratch sync.Pool // *scratch: per-flush buffers, reused
}

// New builds a pipeline over sink from a validated configuration.
func New(cfg *conf.Config, sink Sink, log *slog.Logger) (*Pipeline, error) {
	enr, err := enrich.New(cfg.Enrich, cfg.Redact)
	if err != nil {
		return nil, conf.Explain(err)
	}
	stop, cancel := context.WithCancel(context.Background())
	return &Pipeline{cfg: cfg, enr: enr, sink: sink, log: log, stats: newStats(), stop: stop, cancel: cancel}, nil
}

// Stats returns the instance's cumulative counters.
func (p *Pipeline) Stats() *Stats { return p.stats }

// FlushResult is what one flush did.
type FlushResult struct {
	Status  Status
	Records int            // Fluent Bit records in the chunk
	Events  int            // audit events found in them
	Shipped int            // messages acknowledged by the broker
	Dropped map[string]int // by reason
	// Truncated events lost their request/response bodies to fit
	// max_message_bytes (they are in Shipped); DeadLettered events were
	// replaced by a stub on dlq_topic (not in Shipped).
	Truncated    int
	DeadLettered int
	// Unwrapped counts the events taken out of cloud envelopes, by kind
	// (audit.EnvelopeKinds); nil when none.
	Unwrapped map[string]int
	// InvalidIPs counts the source addresses that are not IP addresses,
	// left out of the ecs and ocsf formats' ip fields.
	InvalidIPs int
	Err        error // why Retry or Error
}

// Flush processes one chunk. It returns OK only after the sink acknowledged
// every message built from it. chunk is read during the call only (each
// record's document is copied or transcoded into a buffer Flush reuses
// flush after flush), so the caller may free it once Flush returns: the
// plugin hands over Fluent Bit's own memory.
func (p *Pipeline) Flush(ctx context.Context, chunk []byte) FlushResult {
	start := time.Now()
	res := FlushResult{Dropped: map[string]int{}}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		res.Status, res.Err = Retry, errClosed
		return res
	}
	p.inflight.Add(1)
	p.mu.RUnlock()
	defer p.inflight.Done()
	sc, _ := p.scratch.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	msgs, events, raws, buf := sc.msgs[:0], sc.events[:0], sc.raws[:0], sc.buf[:0]
	rec := new(record.Record) // one event at a time: reused
	// The summaries of the flush's events go into one buffer: messages
	// keep them (dead-letter stubs quote them) until the broker acked.
	if sc.text == nil {
		sc.text = make([]byte, 0, 4096)
	}
	rec.Text = sc.text[:0]
	// Every record's document is copied (a log line) or transcoded (a
	// parsed record) into the reader's buffer, and events and messages are
	// views of it until the broker acked (the decoder makes no copy of its
	// own): none is a view of the chunk, Fluent Bit's memory, which a write
	// that timed out could outlive.
	r := flbchunk.NewReaderCopy(chunk, p.cfg.Input.LogKey, sc.json)
	// A record map (tail's JSON parser) is decoded while it is transcoded.
	logKey := p.cfg.Input.LogKey
	r.SetMapDecoder(func(buf, m []byte) ([]byte, int, bool) {
		var n int
		var ok bool
		buf, n, events, raws, ok = sc.arena.DecodeRecord(buf, m, logKey, events[:0], raws[:0])
		return buf, n, ok
	})
	for r.More() {
		entry, err := r.Next()
		if err != nil {
			res.Dropped[DropMalformedChunk]++
			p.log.Error("undecodable chunk data; the rest of the chunk is dropped", "records_read", res.Records, "error", err)
			if res.Records == 0 {
				res.Status, res.Err = Error, err
				p.stats.record(&res, 0)
				return res
			}
			break
		}
		res.Records++
		p.stats.addBytesIn(len(entry.JSON))
		var envelope string
		if !entry.Decoded { // (else DecodeRecord did, above)
			events, raws, envelope, err = sc.arena.DecodeEnvelope(entry.JSON, events[:0], raws[:0])
		}
		if envelope != audit.EnvelopeNone && len(events) > 0 {
			if res.Unwrapped == nil {
				res.Unwrapped = map[string]int{}
			}
			res.Unwrapped[envelope] += len(events)
		}
		if err != nil {
			if bad := (*audit.BadItemsError)(nil); errors.As(err, &bad) {
				// An EventList with some bad items: the good ones go on.
				res.Dropped[enrich.DropNotAudit] += bad.Bad
				p.log.Debug("EventList items dropped", "reason", enrich.DropNotAudit, "items", bad.Bad, "of", bad.Total, "error", err)
			} else {
				res.Dropped[enrich.DropNotAudit]++
				p.log.Debug("record dropped", "reason", enrich.DropNotAudit, "error", err)
				continue
			}
		}
		for i := range events {
			res.Events++
			// The decoder read the event's bodies into tapes as it passed
			// them: the enricher reads them there.
			if drop := p.enr.EnrichTapes(rec, &events[i], raws[i], sc.arena.TapesOf(&events[i])); drop != enrich.DropNone {
				res.Dropped[drop]++
				continue
			}
			rec.Received = entry.Time
			if p.cfg.Format != format.Native {
				res.InvalidIPs += format.InvalidIPs(rec.Event.SourceIPs)
			}
			p.stats.addRedactions(rec.Enrichment.Redactions)
			off := len(buf)
			if buf, err = format.Append(buf, p.cfg.Format, p.cfg.Detail, rec); err != nil {
				buf = buf[:off]
				res.Dropped[DropEncode]++
				p.log.Error("event dropped: cannot encode", "audit_id", rec.Event.AuditID, "error", err)
				continue
			}
			m := p.message(rec, buf[off:len(buf):len(buf)])
			if output.Oversized(p.cfg.Output, &m) {
				var keep bool
				if buf, m, keep = p.shrink(buf, off, rec, m, &res); !keep {
					continue
				}
			}
			msgs = append(msgs, m)
		}
	}
	// In-flight writes end when Close's grace time is over.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.stop, cancel)()
	err := p.write(ctx, msgs, &res)
	if err == nil {
		// The sink acknowledged every message and holds none of them any
		// more: the buffers go back to the pool. After an error they do
		// not (a timed-out write may still be reading them).
		sc.msgs, sc.events, sc.raws, sc.buf, sc.json, sc.text = msgs, events, raws, buf, r.Buffer(), rec.Text
		defer p.putScratch(sc)
	}
	if err != nil {
		res.Err = err
		res.Status = Retry
		var oe *output.Error
		if errors.As(err, &oe) && oe.Kind == output.Undeliverable {
			// Fluent Bit drops the chunk: every message of it is lost, and
			// counted as such.
			res.Status = Error
			res.Dropped[DropUndeliverable] += len(msgs)
		}
		res.Shipped, res.DeadLettered, res.Truncated = 0, 0, 0
		p.stats.record(&res, time.Since(start))
		return res
	}
	if d := p.stats.addShipped(msgs, len(buf)); d > 0 {
		p.log.Info("deliveries to Kafka recovered", "failing_for", d.Round(time.Millisecond).String())
	}
	p.stats.record(&res, time.Since(start))
	return res
}

// write ships msgs; a message the broker refuses alone as too large (its
// topic's limit is below max_message_bytes) is dead-lettered or dropped,
// like an event that is too large even truncated.
func (p *Pipeline) write(ctx context.Context, msgs []output.Message, res *FlushResult) error {
	if err := p.sink.Write(ctx, msgs); err != nil {
		return err
	}
	var stubs []output.Message
	for i := range msgs {
		m := &msgs[i]
		switch {
		case !m.Refused && m.DeadLetter == "":
			res.Shipped++
		case !m.Refused:
			res.DeadLettered++
		case m.DeadLetter == "" && p.cfg.Output.DLQTopic != "":
			stubs = append(stubs, p.stub(m, deadLetter{Reason: DLQBrokerTooLarge, Size: len(m.Value)}))
		default:
			res.Dropped[DropTooLarge]++
			p.oversize.log(p.log, &p.oversize.refused, "event dropped: the broker refused it as too large and it cannot be dead-lettered; set dlq_topic, and max_message_bytes to the topic's max.message.bytes", "audit_id", m.AuditID, "bytes", len(m.Value))
		}
	}
	if len(stubs) == 0 {
		return nil
	}
	if err := p.sink.Write(ctx, stubs); err != nil {
		return err
	}
	for i := range stubs {
		if stubs[i].Refused {
			res.Dropped[DropTooLarge]++
			p.oversize.log(p.log, &p.oversize.stubRefused, "event dropped: the dead-letter topic refused its stub; check dlq_topic's max.message.bytes", "audit_id", stubs[i].AuditID)
		} else {
			res.DeadLettered++
		}
	}
	return nil
}

var errClosed = errors.New("plugin instance is shutting down")

// scratch is the per-flush working memory: decoded events, messages, and the
// buffer their values are encoded into. Flushes reuse it through a pool, so a
// steady stream of flushes does not allocate (and zero) a chunk-sized output
// buffer each time.
type scratch struct {
	msgs   []output.Message
	events []auditv1.Event
	raws   []record.Raw // exact bytes of each event and where its members are, or none (audit.DecodeRaw)
	buf    []byte
	json   []byte // the chunk's documents, copied or transcoded (flbchunk.NewReaderCopy)
	text   []byte // the events' summaries (record.Record.Text)
	// arena holds the parts and annotations of one record's events, reused
	// by the next record (each record's events are enriched and encoded
	// before the next is decoded), and their escaped strings, decoded, for
	// the whole flush: messages keep strings (a user name as the key), views
	// of json or of the arena's text, until the broker acked.
	arena audit.Arena
}

// maxPooledBuf bounds the output buffer kept for reuse: an unusually large
// flush does not pin its memory.
const maxPooledBuf = 32 << 20

func (p *Pipeline) putScratch(sc *scratch) {
	if cap(sc.buf) > maxPooledBuf {
		sc.buf = nil
	}
	if cap(sc.json) > maxPooledBuf {
		sc.json = nil
	}
	if cap(sc.text) > maxPooledBuf {
		sc.text = nil
	}
	// Drop the references to this flush's events and strings.
	clear(sc.msgs[:cap(sc.msgs)])
	clear(sc.events[:cap(sc.events)])
	clear(sc.raws[:cap(sc.raws)])
	sc.arena.Clear()
	p.scratch.Put(sc)
}

// Close waits up to grace for in-flight flushes to be acknowledged, then
// cancels the ones still waiting (they return Retry: Fluent Bit keeps their
// chunks) and releases the sink. Later flushes return Retry. Safe to call
// more than once.
func (p *Pipeline) Close(grace time.Duration) error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		done := make(chan struct{})
		go func() { p.inflight.Wait(); close(done) }()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			p.log.Warn("shutdown grace time over with flushes in flight; they are cancelled and Fluent Bit keeps their chunks", "grace", grace)
			p.cancel()
			select { // cancelled writes return at once
			case <-done:
			case <-time.After(time.Second):
			}
		}
		p.cancel()
		if err := p.sink.Close(); err != nil {
			p.closeErr = fmt.Errorf("close output: %w", err)
		}
	})
	return p.closeErr
}

// Open builds a pipeline that ships to the Kafka brokers of cfg.
func Open(cfg *conf.Config, log *slog.Logger) (*Pipeline, error) {
	w, err := output.New(cfg.Output, log)
	if err != nil {
		return nil, conf.Explain(err)
	}
	return New(cfg, w, log)
}
