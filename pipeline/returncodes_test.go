package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// The README's return-code and failure tables: refusals an operator must
// fix are retried (the same chunk goes through once fixed), and only a
// broker that can never take the records makes the flush an error.
func TestBrokerRefusalsStatus(t *testing.T) {
	for _, tc := range []struct {
		err  *kerr.Error
		want pipeline.Status
	}{
		{kerr.NotEnoughReplicas, pipeline.Retry},
		{kerr.TopicAuthorizationFailed, pipeline.Retry},
		{kerr.ClusterAuthorizationFailed, pipeline.Retry},
		{kerr.UnknownTopicOrPartition, pipeline.Retry},
		{kerr.PolicyViolation, pipeline.Retry},
		{kerr.InvalidRecord, pipeline.Retry},
		{kerr.UnsupportedCompressionType, pipeline.Retry},
		{kerr.UnsupportedForMessageFormat, pipeline.Error},
	} {
		t.Run(tc.err.Message, func(t *testing.T) {
			b := startBroker(t, 1, []string{"audit"})
			b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: tc.err, Count: 1})
			p := open(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"})
			var cw flbchunk.Writer
			cw.AddLine(time.Now(), "log", auditEvent("refused", 0, 0))
			if res := p.Flush(context.Background(), cw.Bytes()); res.Status != tc.want {
				t.Fatalf("status %v, want %v (%v)", res.Status, tc.want, res.Err)
			}
			if tc.want == pipeline.Retry {
				// Fixed (the fault is gone): the very next retry goes through.
				if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK || res.Shipped != 1 {
					t.Fatalf("retry after the fix: %v %v", res.Status, res.Err)
				}
			}
		})
	}
}

// holdingSink keeps the messages of a failed write, as a timed-out produce
// request still reading them would.
type holdingSink struct{ held []output.Message }

func (s *holdingSink) Write(_ context.Context, msgs []output.Message) error {
	s.held = msgs
	return errors.New("timed out")
}
func (s *holdingSink) Close() error { return nil }

// The plugin hands Flush Fluent Bit's own memory, freed when the flush
// returns: whatever outlives the call (messages of a write that timed out)
// must not be a view of it.
func TestFlushKeepsNoViewOfTheChunk(t *testing.T) {
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:1", "topic": "audit", "format": "native"})
	if err != nil {
		t.Fatal(err)
	}
	sink := &holdingSink{}
	p, err := pipeline.New(cfg, sink, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var cw flbchunk.Writer
	for i := range 20 {
		cw.AddLine(time.Now(), "log", auditEvent(fmt.Sprintf("held-%02d", i), 64, 0))
	}
	chunk := bytes.Clone(cw.Bytes())
	if res := p.Flush(context.Background(), chunk); res.Status != pipeline.Retry {
		t.Fatalf("status %v, want Retry (%v)", res.Status, res.Err)
	}
	if len(sink.held) != 20 {
		t.Fatalf("the sink holds %d messages, want 20", len(sink.held))
	}
	var before []string // every field: the strings too
	for _, m := range sink.held {
		before = append(before, fmt.Sprintf("%+v", m))
	}
	for i := range chunk {
		chunk[i] = 'x' // Fluent Bit frees or reuses it
	}
	for i, m := range sink.held {
		if after := fmt.Sprintf("%+v", m); after != before[i] {
			t.Fatalf("message %d changed with the chunk:\n%s\n%s", i, before[i], after)
		}
		var v struct {
			AuditID string `json:"auditID"`
		}
		if err := json.Unmarshal(m.Value, &v); err != nil || v.AuditID != fmt.Sprintf("held-%02d", i) {
			t.Fatalf("message %d: %v %q", i, err, m.Value)
		}
	}
	_ = p.Close(time.Second)
}

// checkingSink checks, when Write is called, that every message's fields
// still say what its value says: the views a flush hands the sink (summaries
// in the flush's text buffer, strings of the chunk) were not written over by
// the events decoded and enriched after theirs.
type checkingSink struct {
	t      *testing.T
	writes int
}

func (s *checkingSink) Write(_ context.Context, msgs []output.Message) error {
	s.writes++
	for i, m := range msgs {
		var v struct {
			AuditID    string `json:"auditID"`
			User       struct{ Username string }
			ObjectRef  struct{ Namespace string }
			Enrichment struct {
				Summary string `json:"summary"`
			} `json:"enrichment"`
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			s.t.Fatalf("message %d: %v", i, err)
		}
		if m.AuditID != v.AuditID || m.User != v.User.Username || m.Namespace != v.ObjectRef.Namespace || m.Summary != v.Enrichment.Summary || m.Summary == "" {
			s.t.Fatalf("write %d, message %d: fields %q %q %q %q, value says %q %q %q %q", s.writes, i,
				m.AuditID, m.User, m.Namespace, m.Summary, v.AuditID, v.User.Username, v.ObjectRef.Namespace, v.Enrichment.Summary)
		}
	}
	return nil
}
func (s *checkingSink) Close() error { return nil }

func TestFlushViewsHoldUntilWrite(t *testing.T) {
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:1", "topic": "audit", "format": "native", "message_key": "user"})
	if err != nil {
		t.Fatal(err)
	}
	sink := &checkingSink{t: t}
	p, err := pipeline.New(cfg, sink, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, "../testdata/lab-policy.audit.log")
	for i := 0; i < len(lines); i += 7 {
		// Escaped user names and namespaces are decoded into memory of the
		// flush's own, not views of the chunk.
		l := bytes.Replace(lines[i], []byte(`"username":"`), []byte(`"username":"\u00e9t\u00e9-`), 1)
		lines[i] = bytes.Replace(l, []byte(`"namespace":"`), []byte(`"namespace":"ns\u002d`), 1)
	}
	for _, part := range [][][]byte{lines[:len(lines)/2], lines[len(lines)/2:], lines} {
		var cw flbchunk.Writer
		for _, l := range part {
			cw.AddLine(time.Now(), "log", l)
		}
		if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK || res.Shipped == 0 {
			t.Fatalf("flush: %v %v shipped %d", res.Status, res.Err, res.Shipped)
		}
	}
	if sink.writes != 3 {
		t.Fatalf("%d writes", sink.writes)
	}
	_ = p.Close(time.Second)
}
