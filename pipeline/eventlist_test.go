package pipeline_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// A webhook EventList whose middle item is not an audit event: the two good
// items are shipped, the bad one is counted as dropped, and the flush is OK.
func TestEventListWithABadItem(t *testing.T) {
	b := startBroker(t, 1, []string{"audit"})
	p := open(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"})
	list := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` +
		string(auditEvent("first", 0, 0)) + `,` +
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","verb":"get"}` + `,` +
		string(auditEvent("third", 0, 0)) + `]}`
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", []byte(list))
	res := p.Flush(context.Background(), cw.Bytes())
	if res.Status != pipeline.OK || res.Records != 1 || res.Events != 2 || res.Shipped != 2 ||
		res.Dropped[enrich.DropNotAudit] != 1 || len(res.Dropped) != 1 {
		t.Fatalf("flush: %+v", res)
	}
	if s := p.Stats().Snapshot(); s.Dropped[enrich.DropNotAudit] != 1 || s.Shipped != 2 {
		t.Fatalf("stats: dropped %v, shipped %d", s.Dropped, s.Shipped)
	}
	var ids []string
	for _, r := range consumeAll(t, b.Addrs(), []string{"audit"}, 2) {
		ids = append(ids, string(r.Key))
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"first", "third"}) {
		t.Fatalf("read back %v, want first and third", ids)
	}
}
