package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
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
