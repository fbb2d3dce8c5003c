package pipeline

import (
	"encoding/json"
	"log/slog"
	"sync/atomic"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

// Dead-letter reasons, in the stub's "reason" field and dlq_reason header.
const (
	// DLQTooLarge: above max_message_bytes even without request and
	// response bodies.
	DLQTooLarge = "too_large"
	// DLQBrokerTooLarge: within max_message_bytes, but the broker refused
	// it as too large (its topic's limit is lower).
	DLQBrokerTooLarge = "broker_too_large"
)

// deadLetter is the stub that stands for an event on dlq_topic. It holds
// the event's identity and enrichment summary, never its body.
type deadLetter struct {
	AuditID         string `json:"auditID"`
	Reason          string `json:"reason"`
	Size            int    `json:"size"`
	MaxMessageBytes int    `json:"maxMessageBytes"`
	Severity        string `json:"severity"`
	Summary         string `json:"summary,omitempty"`
	Stage           string `json:"stage,omitempty"`
	StageTimestamp  string `json:"stageTimestamp,omitempty"`
	Cluster         string `json:"cluster,omitempty"`
	// Topic is where the event would have gone.
	Topic string `json:"topic"`
}

// message builds the output message of rec, whose encoding is value.
func (p *Pipeline) message(rec *record.Record, value []byte) output.Message {
	return output.Message{
		Value:         value,
		AuditID:       string(rec.Event.AuditID),
		Severity:      rec.Enrichment.Severity,
		User:          rec.Event.User.Username,
		Namespace:     rec.Enrichment.What.Namespace,
		Cluster:       p.cfg.Enrich.ClusterName,
		ContentType:   output.ContentTypeJSON,
		FormatVersion: p.cfg.Format.Version(),
		Summary:       rec.Enrichment.Summary,
		Stage:         string(rec.Event.Stage),
		StageTime:     rec.Event.StageTimestamp.Time,
	}
}

// shrink handles an event whose message m (buf[off:]) is above
// max_message_bytes: like the apiserver's truncate backend it first drops
// the request and response bodies; if that is not enough the event becomes a
// stub on dlq_topic, or, without one, is dropped and counted. keep is false
// when nothing is to be shipped.
func (p *Pipeline) shrink(buf []byte, off int, rec *record.Record, m output.Message, res *FlushResult) (_ []byte, _ output.Message, keep bool) {
	size := len(m.Value)
	if rec.Event.RequestObject != nil || rec.Event.ResponseObject != nil {
		p.enr.Truncate(rec)
		var err error
		if buf, err = format.Append(buf[:off], p.cfg.Format, p.cfg.Detail, rec); err == nil {
			m.Value = buf[off:len(buf):len(buf)]
			if !output.Oversized(p.cfg.Output, &m) {
				res.Truncated++
				p.log.Debug("event truncated: request and response bodies dropped", "audit_id", m.AuditID, "bytes", size, "truncated_bytes", len(m.Value))
				return buf, m, true
			}
		}
	}
	buf = buf[:off]
	if p.cfg.Output.DLQTopic == "" {
		res.Dropped[DropTooLarge]++
		p.oversize.log(p.log, &p.oversize.dropped, "event dropped: too large even without request and response bodies, and no dlq_topic is set; set dlq_topic to keep a trace of such events, or raise max_message_bytes with the topic's max.message.bytes", "audit_id", m.AuditID, "bytes", size, "max_message_bytes", p.cfg.Output.MaxMessageBytes)
		return buf, m, false
	}
	p.oversize.log(p.log, &p.oversize.deadLettered, "event dead-lettered: too large even without request and response bodies; raise max_message_bytes with the topic's max.message.bytes to ship such events whole", "audit_id", m.AuditID, "bytes", size, "max_message_bytes", p.cfg.Output.MaxMessageBytes, "dlq_topic", p.cfg.Output.DLQTopic)
	return buf, p.stub(&m, deadLetter{Reason: DLQTooLarge, Size: size}), true
}

// stub builds the dead-letter message standing for m.
func (p *Pipeline) stub(m *output.Message, d deadLetter) output.Message {
	d.AuditID, d.Severity, d.Summary, d.Stage = m.AuditID, m.Severity, m.Summary, m.Stage
	d.MaxMessageBytes = p.cfg.Output.MaxMessageBytes
	d.Cluster = m.Cluster
	d.Topic = output.NewRouter(p.cfg.Output).Topic(m)
	if !m.StageTime.IsZero() {
		d.StageTimestamp = m.StageTime.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	}
	v, _ := json.Marshal(&d) // strings and ints only: cannot fail
	s := *m
	s.Value, s.DeadLetter, s.Refused = v, d.Reason, false
	return s
}

// oversizeLog logs the first oversized event of each outcome at warning
// level, with what to change, and the later ones at debug level: a stream of
// huge events must not flood the log. Every one is counted in the stats.
type oversizeLog struct {
	dropped, deadLettered, refused, stubRefused atomic.Bool
}

func (*oversizeLog) log(log *slog.Logger, first *atomic.Bool, msg string, args ...any) {
	if first.CompareAndSwap(false, true) {
		log.Warn(msg+" (first such event; later ones are logged at debug level and counted)", args...)
		return
	}
	log.Debug(msg, args...)
}
