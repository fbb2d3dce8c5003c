package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/segmentio/kafka-go/compress"

	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// measuringSink wraps the real sink (the Kafka writer, or the dry-run
// printer) and tallies what it acknowledged: messages by topic and severity,
// value bytes, and those values compressed per flush batch with the
// configured codec.
type measuringSink struct {
	inner  pipeline.Sink
	router output.Router
	codec  compress.Codec // nil: compression none

	mu          sync.Mutex
	messages    int64
	valueBytes  int64
	compressed  int64
	measureTime time.Duration // spent compressing for the measurement only
	bySeverity  map[string]int64
	byTopic     map[string]int64
}

func newMeasuringSink(inner pipeline.Sink, c output.Config) *measuringSink {
	return &measuringSink{
		inner:      inner,
		router:     output.NewRouter(c),
		codec:      measureCodec(c),
		bySeverity: map[string]int64{},
		byTopic:    map[string]int64{},
	}
}

func (s *measuringSink) Write(ctx context.Context, msgs []output.Message) error {
	if err := s.inner.Write(ctx, msgs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for i := range msgs {
		m := &msgs[i]
		n += int64(len(m.Value))
		s.bySeverity[m.Severity]++
		s.byTopic[s.router.Topic(m)]++
	}
	s.messages += int64(len(msgs))
	s.valueBytes += n
	if s.codec == nil || len(msgs) == 0 {
		s.compressed += n
		return nil
	}
	start := time.Now()
	var cw countWriter
	w := s.codec.NewWriter(&cw)
	for i := range msgs {
		w.Write(msgs[i].Value) // countWriter never fails
	}
	w.Close()
	s.compressed += cw.n
	s.measureTime += time.Since(start)
	return nil
}

func (s *measuringSink) Close() error { return s.inner.Close() }

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// measureCodec is the very codec the Kafka writer compresses with, at the
// configured level (nil for compression none).
func measureCodec(c output.Config) compress.Codec {
	codec, _ := output.NewCodec(c.Compression, c.CompressionLevel) // conf.Load validated the level
	return codec
}

// dryRunSink prints each message as {"topic":…,"key":…,"value":…}, routed by
// output.Router exactly as the Kafka writer routes it.
type dryRunSink struct {
	w      *bufio.Writer
	router output.Router
	line   []byte
}

func newDryRunSink(w io.Writer, c output.Config) *dryRunSink {
	return &dryRunSink{w: bufio.NewWriterSize(w, 1<<20), router: output.NewRouter(c)}
}

func (d *dryRunSink) Write(_ context.Context, msgs []output.Message) error {
	for i := range msgs {
		m := &msgs[i]
		b := append(d.line[:0], `{"topic":`...)
		b = appendJSON(b, d.router.Topic(m))
		b = append(b, `,"key":`...)
		if k := d.router.Key(m); k == nil {
			b = append(b, "null"...)
		} else {
			b = appendJSON(b, string(k))
		}
		b = append(b, `,"value":`...)
		b = append(b, m.Value...)
		b = append(b, "}\n"...)
		d.line = b
		if _, err := d.w.Write(b); err != nil {
			return err
		}
	}
	return d.w.Flush()
}

func (d *dryRunSink) Close() error { return d.w.Flush() }

func appendJSON(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
