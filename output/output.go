// Package output writes messages to Kafka through kafka-go: one synchronous,
// acknowledged write per flush, with broker errors classified into transient
// (retry the chunk) and permanent (fix the configuration).
package output

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

// Message is one record to ship. The pipeline fills it; the writer picks the
// topic, key and headers from its fields.
type Message struct {
	Value     []byte
	AuditID   string
	Severity  string
	User      string
	Namespace string
}

// Router decides where a message goes and how it is keyed. It is pure: the
// writer uses it, and so does the command's dry run.
type Router struct{ cfg conf.Output }

// NewRouter builds a router from validated configuration.
func NewRouter(c conf.Output) Router { return Router{cfg: c} }

// Topic is the topic a message is written to.
func (r Router) Topic(m *Message) string {
	return r.cfg.Topic
}

// Key is the message key, nil for message_key none.
func (r Router) Key(m *Message) []byte {
	switch r.cfg.MessageKey {
	case conf.KeyAuditID:
		return []byte(m.AuditID)
	case conf.KeyUser:
		return []byte(m.User)
	case conf.KeyNamespace:
		return []byte(m.Namespace)
	}
	return nil
}

// Writer ships messages to Kafka. Safe for concurrent use.
type Writer struct {
	cfg    conf.Output
	router Router
	w      *kafka.Writer
	log    *slog.Logger
	wire   *wireCounter
}

// New builds a writer. It does not connect: the first Write does.
func New(c conf.Output, log *slog.Logger) (*Writer, error) {
	if len(c.Brokers) == 0 {
		return nil, &conf.PropertyError{Key: "brokers", Err: errors.New("required: at least one host:port")}
	}
	wire := newWireCounter(min(c.WriteTimeout, 5*time.Second))
	w := &kafka.Writer{
		Addr:     kafka.TCP(c.Brokers...),
		Balancer: &kafka.Hash{},
		// Fluent Bit retries a failed chunk itself, with its own backoff and
		// storage; retrying inside a flush would only block its engine.
		MaxAttempts: 1,
		// A flush is one synchronous write: batches are cut by size, and the
		// timeout only bounds the wait for a partial batch of a concurrent flush.
		BatchSize:    1 << 20,
		BatchBytes:   int64(maxRequestBytes(c.MaxMessageBytes)),
		BatchTimeout: time.Millisecond,
		WriteTimeout: c.WriteTimeout,
		ReadTimeout:  c.WriteTimeout,
		RequiredAcks: acks(c.RequiredAcks),
		Compression:  codec(c.Compression),
		Transport:    &kafka.Transport{ClientID: c.ClientID, DialTimeout: min(c.WriteTimeout, 5*time.Second), Dial: wire.dial},
	}
	if c.RequiredAcks == conf.AcksNone {
		log.Warn("required_acks none: the broker does not confirm writes, delivery is unconfirmed and events can be lost silently")
	}
	return &Writer{cfg: c, router: NewRouter(c), w: w, log: log, wire: wire}, nil
}

func maxRequestBytes(maxMessage int) int {
	// A batch holds many messages; Kafka's limit applies to the whole
	// (compressed) batch, so cut batches at the configured message limit.
	return maxMessage
}

func acks(a conf.Acks) kafka.RequiredAcks {
	switch a {
	case conf.AcksOne:
		return kafka.RequireOne
	case conf.AcksNone:
		return kafka.RequireNone
	}
	return kafka.RequireAll
}

func codec(c conf.Compression) compress.Compression {
	switch c {
	case conf.CompressionGzip:
		return compress.Gzip
	case conf.CompressionSnappy:
		return compress.Snappy
	case conf.CompressionLZ4:
		return compress.Lz4
	case conf.CompressionZstd:
		return compress.Zstd
	}
	return compress.None
}

// Write ships msgs and returns once the broker acknowledged all of them, or
// with an error that Classify explains.
func (w *Writer) Write(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	km := make([]kafka.Message, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		km[i] = kafka.Message{Topic: w.router.Topic(m), Key: w.router.Key(m), Value: m.Value}
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	if err := w.w.WriteMessages(ctx, km...); err != nil {
		return &Error{Kind: Classify(err), Err: err}
	}
	return nil
}

// Close flushes nothing (writes are synchronous) and releases connections.
func (w *Writer) Close() error { return w.w.Close() }

// Kind tells what to do about a failed write.
type Kind int

const (
	// Transient: the broker may accept the same messages later; retry.
	Transient Kind = iota
	// Permanent: retrying the same data with the same configuration fails again.
	Permanent
)

func (k Kind) String() string {
	if k == Permanent {
		return "permanent"
	}
	return "transient"
}

// Error is a failed write with its classification.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("kafka write (%s): %v", e.Kind, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Classify sorts a kafka-go error. Anything not known to be permanent is
// transient: retrying costs a delay, giving up loses audit events.
func Classify(err error) Kind {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && Classify(e) == Permanent {
				return Permanent
			}
		}
		return Transient
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.TopicAuthorizationFailed, kafka.ClusterAuthorizationFailed,
			kafka.SASLAuthenticationFailed, kafka.UnsupportedSASLMechanism,
			kafka.InvalidTopic, kafka.MessageSizeTooLarge, kafka.RecordListTooLarge,
			kafka.UnsupportedCompressionType, kafka.UnsupportedVersion, kafka.InvalidRequiredAcks:
			return Permanent
		}
	}
	return Transient
}
