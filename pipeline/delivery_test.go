package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

func startBroker(t *testing.T, partitions int32, topics []string, opts ...kfake.Opt) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start(partitions, topics, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func open(t *testing.T, props conf.MapGetter) *pipeline.Pipeline {
	t.Helper()
	if props["stages"] == "" {
		props["stages"] = "ResponseComplete,ResponseStarted,Panic"
	}
	cfg, err := conf.Load(props)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(time.Second) })
	return p
}

func consumeAll(t *testing.T, addrs, topics []string, want int) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Reading stops as soon as want records arrived; the idle time only
	// ends a read that falls short. A consumer may back off a few seconds
	// before it fetches every partition of a fresh broker when the machine
	// is loaded (-race, packages in parallel): 3 s idle cut such reads short.
	idle := 3 * time.Second
	if want > 0 {
		idle = 15 * time.Second
	}
	recs, err := embedded.Consume(ctx, addrs, topics, want, idle)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// auditEvent is a ResponseComplete event with an optional request body and
// an optional large annotation (which truncation does not remove).
func auditEvent(id string, body, annotation int) []byte {
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
		"auditID": id, "stage": "ResponseComplete", "verb": "create",
		"requestURI":               "/api/v1/namespaces/team-a/configmaps",
		"user":                     map[string]any{"username": "alice"},
		"sourceIPs":                []string{"10.0.0.7"},
		"objectRef":                map[string]any{"resource": "configmaps", "namespace": "team-a", "name": "big-" + id, "apiVersion": "v1"},
		"responseStatus":           map[string]any{"code": 201},
		"requestReceivedTimestamp": "2026-11-22T02:00:00.000000Z",
		"stageTimestamp":           "2026-11-22T02:00:00.010000Z",
	}
	if body > 0 {
		ev["requestObject"] = map[string]any{"kind": "ConfigMap", "apiVersion": "v1", "data": map[string]string{"blob": strings.Repeat("a", body)}}
		ev["responseObject"] = map[string]any{"kind": "ConfigMap", "apiVersion": "v1", "data": map[string]string{"blob": strings.Repeat("b", body)}}
	}
	if annotation > 0 {
		ev["annotations"] = map[string]string{"example.com/note": strings.Repeat("n", annotation)}
	}
	b, _ := json.Marshal(ev)
	return b
}

// An event above max_message_bytes loses its bodies and is marked like the
// apiserver's truncate backend marks it; one still too large goes to the
// dead-letter topic as a stub, or without one is counted as dropped. The
// chunk succeeds either way.
func TestOversizedEvents(t *testing.T) {
	b := startBroker(t, 2, []string{"audit", "audit-dlq"})
	chunk := func() []byte {
		var cw flbchunk.Writer
		cw.AddLine(time.Now(), "log", auditEvent("small", 0, 0))
		cw.AddLine(time.Now(), "log", auditEvent("bodies", 20000, 0))
		cw.AddLine(time.Now(), "log", auditEvent("huge", 20000, 9000))
		return cw.Bytes()
	}

	p := open(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "dlq_topic": "audit-dlq", "max_message_bytes": "8192"})
	res := p.Flush(context.Background(), chunk())
	if res.Status != pipeline.OK || res.Shipped != 2 || res.Truncated != 1 || res.DeadLettered != 1 || len(res.Dropped) != 0 {
		t.Fatalf("flush: %+v", res)
	}
	recs := consumeAll(t, b.Addrs(), []string{"audit"}, 2)
	if len(recs) != 2 {
		t.Fatalf("read back %d of 2", len(recs))
	}
	for _, r := range recs {
		if len(r.Value) > 8192 {
			t.Fatalf("%s: %d bytes shipped", r.Key, len(r.Value))
		}
		var ev struct {
			Annotations    map[string]string `json:"annotations"`
			RequestObject  json.RawMessage   `json:"requestObject"`
			ResponseObject json.RawMessage   `json:"responseObject"`
			Enrichment     struct {
				Summary string `json:"summary"`
			} `json:"enrichment"`
		}
		if err := json.Unmarshal(r.Value, &ev); err != nil {
			t.Fatal(err)
		}
		truncated := ev.Annotations["audit.k8s.io/truncated"] == "true"
		if string(r.Key) == "bodies" != truncated || ev.Enrichment.Summary == "" || ev.RequestObject != nil || ev.ResponseObject != nil {
			t.Fatalf("%s: truncated %v, enrichment %+v, bodies %d/%d bytes", r.Key, truncated, ev.Enrichment, len(ev.RequestObject), len(ev.ResponseObject))
		}
	}
	dlq := consumeAll(t, b.Addrs(), []string{"audit-dlq"}, 1)
	if len(dlq) != 1 {
		t.Fatalf("dead letters: %d, want 1", len(dlq))
	}
	var stub map[string]any
	if err := json.Unmarshal(dlq[0].Value, &stub); err != nil {
		t.Fatal(err)
	}
	if stub["auditID"] != "huge" || stub["reason"] != "too_large" || stub["size"].(float64) <= 8192 || stub["severity"] == "" ||
		!strings.Contains(stub["summary"].(string), "alice") || !strings.Contains(stub["summary"].(string), "big-huge") || stub["topic"] != "audit" {
		t.Fatalf("stub: %v", stub)
	}
	if strings.Contains(string(dlq[0].Value), "nnnnnnnn") || string(dlq[0].Key) != "huge" {
		t.Fatalf("stub carries the body or lacks the key: %s", dlq[0].Value)
	}
	for _, h := range dlq[0].Headers {
		if h.Key == output.HeaderDLQReason && string(h.Value) != "too_large" {
			t.Fatalf("dlq_reason header %q", h.Value)
		}
	}

	// Without a dead-letter topic the event is counted as dropped.
	p2 := open(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "max_message_bytes": "8192"})
	res = p2.Flush(context.Background(), chunk())
	if res.Status != pipeline.OK || res.Shipped != 2 || res.Dropped[pipeline.DropTooLarge] != 1 {
		t.Fatalf("flush without dlq: %+v", res)
	}
	if s := p2.Stats().Snapshot(); s.Dropped[pipeline.DropTooLarge] != 1 || s.Truncated != 1 {
		t.Fatalf("stats: %+v", s)
	}
}

// The broker stops in the middle of the real log and comes back on the same
// port with its data. Failed flushes return Retry and are retried as Fluent
// Bit retries a chunk; every event arrives at least once.
func TestBrokerStoppedMidStream(t *testing.T) {
	lines := readLines(t, "../testdata/lab-policy.audit.log")
	dir := t.TempDir()
	b := startBroker(t, 3, []string{"audit"}, kfake.DataDir(dir))
	addr := b.Addrs()[0]
	var port int
	fmt.Sscan(addr[strings.LastIndexByte(addr, ':')+1:], &port)
	p := open(t, conf.MapGetter{"brokers": addr, "topic": "audit", "write_timeout": "2s"})

	var chunks [][]byte
	for i := 0; i < len(lines); i += 40 {
		var cw flbchunk.Writer
		for _, l := range lines[i:min(i+40, len(lines))] {
			cw.AddLine(time.Now(), "log", l)
		}
		chunks = append(chunks, cw.Bytes())
	}
	retries, shipped := 0, 0
	for i, attempt := 0, 0; i < len(chunks); attempt++ {
		switch attempt {
		case 5:
			b.Close()
		case 9:
			b = startBroker(t, 3, nil, kfake.DataDir(dir), kfake.Ports(port))
		}
		res := p.Flush(context.Background(), chunks[i])
		switch res.Status {
		case pipeline.OK:
			shipped += res.Shipped
			i++
		case pipeline.Retry:
			retries++
			if attempt > 300 {
				t.Fatalf("still failing long after the restart: %v", res.Err)
			}
			time.Sleep(100 * time.Millisecond)
		default:
			t.Fatalf("outage made the chunk fail for good: %v", res.Err)
		}
	}
	if retries == 0 {
		t.Fatal("the outage was not exercised")
	}
	recs := consumeAll(t, b.Addrs(), []string{"audit"}, shipped)
	ids := map[string]bool{}
	for _, r := range recs {
		ids[string(r.Key)] = true
	}
	if want := distinctIDs(t, lines); len(ids) != want || len(recs) < len(lines) {
		t.Fatalf("%d distinct audit ids in %d records, want %d ids, at least %d records", len(ids), len(recs), want, len(lines))
	}
	t.Logf("%d retried flushes; %d records for %d events", retries, len(recs), len(lines))
}

// Fluent Bit workers flush one instance concurrently.
func TestConcurrentFlushes(t *testing.T) {
	lines := readLines(t, "../testdata/lab-policy.audit.log")[:300] // kept short for -race
	b := startBroker(t, 6, []string{"audit"})
	p := open(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"})
	const workers = 4
	var wg sync.WaitGroup
	shipped := make([]int, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(lines); i += 50 {
				var cw flbchunk.Writer
				for _, l := range lines[i:min(i+50, len(lines))] {
					cw.AddLine(time.Now(), "log", l)
				}
				res := p.Flush(context.Background(), cw.Bytes())
				if res.Status != pipeline.OK {
					t.Errorf("worker %d: %v %v", g, res.Status, res.Err)
					return
				}
				shipped[g] += res.Shipped
			}
		}()
	}
	wg.Wait()
	for g, n := range shipped {
		if n != len(lines) {
			t.Fatalf("worker %d shipped %d of %d", g, n, len(lines))
		}
	}
	recs := consumeAll(t, b.Addrs(), []string{"audit"}, workers*len(lines))
	if len(recs) != workers*len(lines) {
		t.Fatalf("read back %d of %d", len(recs), workers*len(lines))
	}
	if s := p.Stats().Snapshot(); s.Shipped != int64(workers*len(lines)) {
		t.Fatalf("stats shipped %d", s.Shipped)
	}
}

// Close waits for in-flight flushes up to its grace time, then cancels
// them: they return Retry so Fluent Bit keeps their chunks.
func TestCloseGrace(t *testing.T) {
	b := startBroker(t, 1, []string{"audit"})
	// The broker never answers produce requests.
	b.Cluster().ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster().KeepControl()
		return nil, nil, true
	})
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "write_timeout": "30s"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", auditEvent("pending", 0, 0))
	done := make(chan pipeline.FlushResult)
	go func() { done <- p.Flush(context.Background(), cw.Bytes()) }()
	time.Sleep(300 * time.Millisecond) // the write is in flight
	start := time.Now()
	if err := p.Close(500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v with a 500ms grace", d)
	}
	select {
	case res := <-done:
		if res.Status != pipeline.Retry {
			t.Fatalf("in-flight flush at shutdown: %v %v", res.Status, res.Err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("in-flight flush still blocked after Close")
	}
	if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.Retry {
		t.Fatalf("flush after Close: %v", res.Status)
	}
}

// A flush in flight at shutdown is delivered when the broker answers within
// the grace time.
func TestCloseDeliversInFlight(t *testing.T) {
	b := startBroker(t, 1, []string{"audit"}, kfake.SleepOutOfOrder())
	c := b.Cluster()
	produced := make(chan struct{}, 1)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		select {
		case produced <- struct{}{}: // the write is in flight
		default:
		}
		c.SleepControl(func() { time.Sleep(400 * time.Millisecond) }) // a slow broker
		return nil, nil, false
	})
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", auditEvent("late", 0, 0))
	done := make(chan pipeline.FlushResult, 1)
	go func() { done <- p.Flush(context.Background(), cw.Bytes()) }()
	select {
	case <-produced:
	case <-time.After(10 * time.Second):
		t.Fatal("the write never reached the broker")
	}
	// Close waits for the broker's answer, which comes 400 ms after the
	// request arrived. (Not a check on the flush's result channel at
	// once: Flush's caller receives the result just after Close may
	// return, which made this test flaky under load.)
	start := time.Now()
	if err := p.Close(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("Close returned after %v, before the in-flight flush", d)
	}
	select {
	case res := <-done:
		if res.Status != pipeline.OK || res.Shipped != 1 {
			t.Fatalf("in-flight flush: %v %v", res.Status, res.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the in-flight flush never returned")
	}
	if recs := consumeAll(t, b.Addrs(), []string{"audit"}, 1); len(recs) != 1 {
		t.Fatalf("read back %d", len(recs))
	}
}
