package pipeline_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
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

// Managed clusters: an Event Hubs batch of AKS records (one of another
// category) and a CloudWatch Logs event are unwrapped and counted by
// envelope kind; an invalid source address is counted (ecs format) and the
// record that is no audit event at all is still not_audit_event.
func TestEnvelopesUnwrappedAndCounted(t *testing.T) {
	b := startBroker(t, 1, []string{"audit"})
	p := open(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "format": "ecs"})
	q := func(s []byte) string { return strconv.Quote(string(s)) }
	ev1 := auditEvent("aks-1", 0, 0)
	ev2 := bytes.Replace(auditEvent("eks-1", 0, 0), []byte(`"sourceIPs":[`), []byte(`"sourceIPs":["not-an-ip",`), 1)
	aks := `{"records":[{"category":"kube-audit","properties":{"log":` + q(ev1) + `}},` +
		`{"category":"kube-apiserver","properties":{"log":"I1120 started"}}]}`
	eks := `{"timestamp":1795254000123,"message":` + q(ev2) + `,"logStream":"kube-apiserver-audit-1"}`
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", []byte(aks))
	cw.AddLine(time.Now(), "log", []byte(eks))
	cw.AddLine(time.Now(), "log", []byte(`{"log":"not audit","stream":"stdout"}`))
	res := p.Flush(context.Background(), cw.Bytes())
	if res.Status != pipeline.OK || res.Events != 2 || res.Shipped != 2 || res.Dropped[enrich.DropNotAudit] != 2 {
		t.Fatalf("flush: %+v", res)
	}
	s := p.Stats().Snapshot()
	if s.Unwrapped["aks"] != 1 || s.Unwrapped["eks"] != 1 || s.InvalidSourceIPs != 1 {
		t.Fatalf("stats: unwrapped %v, invalid IPs %d", s.Unwrapped, s.InvalidSourceIPs)
	}
	for _, r := range consumeAll(t, b.Addrs(), []string{"audit"}, 2) {
		if bytes.Contains(r.Value, []byte(`"ip":"not-an-ip"`)) || bytes.Contains(r.Value, []byte(`"ip":["not-an-ip"`)) {
			t.Errorf("%s: an invalid address in an ip field", r.Key)
		}
	}
}
