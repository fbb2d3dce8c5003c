package metrics_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/metrics"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func labLines(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("../testdata/lab-policy.audit.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, addr string) scrape {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value sums the series of family name whose labels include want.
func (s scrape) value(name string, want map[string]string) (float64, bool) {
	f := s["kube_audit_kafka_"+name]
	if f == nil {
		return 0, false
	}
	total, found := 0.0, false
next:
	for _, m := range f.Metric {
		for k, v := range want {
			ok := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					ok = true
				}
			}
			if !ok {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total, found
}

func (s scrape) must(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	v, ok := s.value(name, want)
	if !ok {
		t.Fatalf("no series %s %v", name, want)
	}
	return v
}

type health struct {
	Status    string           `json:"status"`
	Instances []metrics.Health `json:"instances"`
}

func getHealth(t *testing.T, addr string) (int, health) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

// The real log is flushed through the real pipeline into kfake; the scraped
// counters must equal what the flushes reported and what the broker holds.
// Then the broker goes away: the failed writes are counted by kind, and
// /healthz turns 503 once failures last longer than its threshold.
func TestScrapeAfterRealFlushes(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)

	srv, err := metrics.Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const name = "kube_audit_kafka.0"
	wire := func() int64 {
		n, ok := p.WireBytes()
		if !ok {
			t.Error("the Kafka writer does not count wire bytes")
		}
		return n
	}
	if err := srv.Add(name, metrics.Source{Stats: p.Stats().Snapshot, WireBytes: wire}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Add(name, metrics.Source{Stats: p.Stats().Snapshot}); err == nil {
		t.Fatal("a second instance of the same name was accepted")
	}
	code, h := getHealth(t, srv.Addr())
	if code != 200 || len(h.Instances) != 1 || h.Instances[0].LastDelivery != nil {
		t.Fatalf("healthz before any delivery: %d %+v", code, h)
	}

	lines := labLines(t)
	lines = append(lines, []byte(`{"not":"an audit event"}`))
	var cw flbchunk.Writer
	var shipped, events, records, flushes int
	dropped := map[string]int{}
	for i, l := range lines {
		cw.AddLine(time.Now(), "log", l)
		if cw.Len() == 100 || i == len(lines)-1 {
			res := p.Flush(context.Background(), cw.Bytes())
			if res.Status != pipeline.OK {
				t.Fatalf("flush: %v %v", res.Status, res.Err)
			}
			flushes++
			shipped += res.Shipped
			events += res.Events
			records += res.Records
			for k, v := range res.Dropped {
				dropped[k] += v
			}
			cw.Reset()
		}
	}
	if shipped == 0 || len(dropped) == 0 {
		t.Fatalf("test data should ship and drop: shipped %d dropped %v", shipped, dropped)
	}
	recs, err := embedded.Consume(context.Background(), b.Addrs(), []string{"audit"}, shipped, 15*time.Second) // stops at shipped; the idle time only ends a short read
	if err != nil || len(recs) != shipped {
		t.Fatalf("broker holds %d messages, want %d (%v)", len(recs), shipped, err)
	}

	s := scrapeMetrics(t, srv.Addr())
	inst := map[string]string{"plugin_instance": name}
	for metric, want := range map[string]int{
		"records_received_total": records, "events_received_total": events,
		"events_shipped_total": shipped, "flush_duration_seconds": flushes,
		"flush_retries_total": 0, "flush_errors_total": 0,
	} {
		if got := s.must(t, metric, inst); got != float64(want) {
			t.Errorf("%s = %v, want %d", metric, got, want)
		}
	}
	for reason, n := range dropped {
		if got := s.must(t, "dropped_total", map[string]string{"plugin_instance": name, "reason": reason}); got != float64(n) {
			t.Errorf("dropped_total{reason=%q} = %v, want %d", reason, got, n)
		}
	}
	if s["go_memstats_heap_alloc_bytes"] == nil || s["process_resident_memory_bytes"] == nil {
		t.Error("no Go runtime or process series")
	}
	bySev := 0.0
	for _, m := range s["kube_audit_kafka_events_shipped_total"].Metric {
		for _, l := range m.Label {
			if l.GetName() == "severity" && l.GetValue() == "" {
				t.Errorf("shipped series without severity")
			}
		}
		bySev += m.Counter.GetValue()
	}
	if bySev != float64(shipped) {
		t.Errorf("shipped by severity sums to %v, want %d", bySev, shipped)
	}
	in, enc := s.must(t, "bytes_received_total", inst), s.must(t, "bytes_encoded_total", inst)
	if in <= 0 || enc <= 0 {
		t.Errorf("bytes received %v, encoded %v", in, enc)
	}
	// zstd on audit JSON: far fewer bytes on the wire than encoded.
	if sent := s.must(t, "bytes_sent_total", inst); sent <= 0 || sent >= enc/2 {
		t.Errorf("bytes sent %v for %v encoded: not compressed", sent, enc)
	} else {
		t.Logf("lab log, zstd: %.0f bytes received, %.0f encoded, %.0f on the wire", in, enc, sent)
	}
	if last := s.must(t, "last_delivery_timestamp_seconds", inst); time.Since(time.Unix(int64(last), 0)) > time.Minute {
		t.Errorf("last delivery %v is not recent", last)
	}
	code, h = getHealth(t, srv.Addr())
	if code != 200 || h.Instances[0].LastDelivery == nil || !h.Instances[0].Healthy || h.Instances[0].Shipped != int64(shipped) {
		t.Fatalf("healthz after deliveries: %d %+v", code, h)
	}

	// The broker goes away: the chunk is retried, the failure counted.
	strict, err := metrics.Listen("127.0.0.1:0", time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	if err := strict.Add(name, metrics.Source{Stats: p.Stats().Snapshot}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	cw.Reset()
	cw.AddLine(time.Now(), "log", lines[0])
	if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.Retry {
		t.Fatalf("flush with the broker gone: %v %v", res.Status, res.Err)
	}
	s = scrapeMetrics(t, srv.Addr())
	if got := s.must(t, "write_errors_total", map[string]string{"plugin_instance": name, "kind": "transient"}); got != 1 {
		t.Errorf("write_errors_total{kind=transient} = %v, want 1", got)
	}
	if got := s.must(t, "write_errors_total", map[string]string{"plugin_instance": name, "kind": "transient", "cause": "broker_unreachable"}); got != 1 {
		t.Errorf("write_errors_total{kind=transient,cause=broker_unreachable} = %v, want 1", got)
	}
	if got := s.must(t, "flush_retries_total", inst); got != 1 {
		t.Errorf("flush_retries_total = %v, want 1", got)
	}
	// The retried chunk's record is counted apart, not as received again.
	if got := s.must(t, "records_retried_total", inst); got != 1 {
		t.Errorf("records_retried_total = %v, want 1", got)
	}
	if got := s.must(t, "records_received_total", inst); got != float64(records) {
		t.Errorf("records_received_total = %v after a retry, want still %d", got, records)
	}
	if got := s.must(t, "events_received_total", inst); got != float64(events) {
		t.Errorf("events_received_total = %v after a retry, want still %d", got, events)
	}
	if got := s.must(t, "delivery_failing_seconds", inst); got <= 0 {
		t.Errorf("delivery_failing_seconds = %v, want > 0", got)
	}
	if code, h := getHealth(t, srv.Addr()); code != 200 || h.Instances[0].FailingSince == nil {
		t.Errorf("healthz with a fresh failure (threshold 2m): %d %+v", code, h)
	}
	time.Sleep(time.Millisecond)
	if code, h := getHealth(t, strict.Addr()); code != 503 || h.Status != "failing" || h.Instances[0].Healthy || h.Instances[0].LastDelivery == nil {
		t.Errorf("healthz failing past its threshold: %d %+v", code, h)
	}
}

// Two instances share one listen address; each has its own series, and
// removing one leaves the other.
func TestInstancesShareAServer(t *testing.T) {
	b, err := embedded.Start(1, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	srv, err := metrics.Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	lines := labLines(t)
	ps := map[string]*pipeline.Pipeline{}
	for i, topic := range []string{"a", "b"} {
		cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": topic})
		if err != nil {
			t.Fatal(err)
		}
		p, err := pipeline.Open(cfg, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(time.Second)
		name := "kube_audit_kafka." + topic
		ps[name] = p
		if err := srv.Add(name, metrics.Source{Stats: p.Stats().Snapshot, WireBytes: func() int64 { return int64(1000 * (i + 1)) }}); err != nil {
			t.Fatal(err)
		}
		var cw flbchunk.Writer
		for _, l := range lines[:10*(i+1)] {
			cw.AddLine(time.Now(), "log", l)
		}
		if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK {
			t.Fatal(res.Err)
		}
	}
	s := scrapeMetrics(t, srv.Addr())
	for name, want := range map[string]float64{"kube_audit_kafka.a": 10, "kube_audit_kafka.b": 20} {
		if got := s.must(t, "records_received_total", map[string]string{"plugin_instance": name}); got != want {
			t.Errorf("%s records = %v, want %v", name, got, want)
		}
		if got, want := s.must(t, "events_shipped_total", map[string]string{"plugin_instance": name}), float64(ps[name].Stats().Snapshot().Shipped); got != want {
			t.Errorf("%s shipped = %v, want %v", name, got, want)
		}
	}
	if got := s.must(t, "bytes_sent_total", map[string]string{"plugin_instance": "kube_audit_kafka.b"}); got != 2000 {
		t.Errorf("bytes_sent_total = %v", got)
	}
	if left := srv.Remove("kube_audit_kafka.a"); left != 1 {
		t.Fatalf("%d instances left", left)
	}
	s = scrapeMetrics(t, srv.Addr())
	if _, ok := s.value("records_received_total", map[string]string{"plugin_instance": "kube_audit_kafka.a"}); ok {
		t.Error("removed instance still scraped")
	}
	if _, ok := s.value("records_received_total", map[string]string{"plugin_instance": "kube_audit_kafka.b"}); !ok {
		t.Error("remaining instance not scraped")
	}
}

// Scrapes while flushes run: counters are read consistently (run with -race).
func TestScrapeDuringFlushes(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	srv, err := metrics.Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Add("i", metrics.Source{Stats: p.Stats().Snapshot}); err != nil {
		t.Fatal(err)
	}
	lines := labLines(t)[:200]
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i += 20 {
			var cw flbchunk.Writer
			for _, l := range lines[i : i+20] {
				cw.AddLine(time.Now(), "log", l)
			}
			if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK {
				t.Error(res.Err)
			}
		}
	}()
	last := -1.0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		v := scrapeMetrics(t, srv.Addr()).must(t, "records_received_total", map[string]string{"plugin_instance": "i"})
		if v < last {
			t.Fatalf("counter went back: %v after %v", v, last)
		}
		last = v
	}
	if got := scrapeMetrics(t, srv.Addr()).must(t, "records_received_total", map[string]string{"plugin_instance": "i"}); got != 200 {
		t.Fatalf("records %v, want 200", got)
	}
}

// oversizedEvent is a ResponseComplete event with request and response
// bodies of body bytes each and an annotation (which truncation keeps) of
// note bytes.
func oversizedEvent(id string, body, note int) []byte {
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
		"auditID": id, "stage": "ResponseComplete", "verb": "create",
		"requestURI": "/api/v1/namespaces/team-a/configmaps", "user": map[string]any{"username": "alice"},
		"objectRef":                map[string]any{"resource": "configmaps", "namespace": "team-a", "name": id, "apiVersion": "v1"},
		"responseStatus":           map[string]any{"code": 201},
		"requestReceivedTimestamp": "2026-11-22T02:00:00.000000Z", "stageTimestamp": "2026-11-22T02:00:00.010000Z",
		"requestObject":  map[string]any{"data": map[string]string{"blob": strings.Repeat("a", body)}},
		"responseObject": map[string]any{"data": map[string]string{"blob": strings.Repeat("b", body)}},
	}
	if note > 0 {
		ev["annotations"] = map[string]string{"example.com/note": strings.Repeat("n", note)}
	}
	b, _ := json.Marshal(ev)
	return b
}

// Truncated and dead-lettered events are counted as the flushes reported
// them; a refusal an operator must fix is labelled with output's cause.
func TestOversizedAndCauseSeries(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit", "audit-dlq"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	srv, err := metrics.Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "dlq_topic": "audit-dlq", "max_message_bytes": "8192"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	if err := srv.Add("big", metrics.Source{Stats: p.Stats().Snapshot}); err != nil {
		t.Fatal(err)
	}
	var cw flbchunk.Writer
	for i := range 3 {
		cw.AddLine(time.Now(), "log", oversizedEvent(fmt.Sprintf("bodies-%d", i), 20000, 0))
	}
	cw.AddLine(time.Now(), "log", oversizedEvent("huge-1", 20000, 9000))
	cw.AddLine(time.Now(), "log", oversizedEvent("huge-2", 20000, 9000))
	res := p.Flush(context.Background(), cw.Bytes())
	if res.Status != pipeline.OK || res.Truncated != 3 || res.DeadLettered != 2 {
		t.Fatalf("flush: %+v", res)
	}
	s := scrapeMetrics(t, srv.Addr())
	inst := map[string]string{"plugin_instance": "big"}
	if got := s.must(t, "events_truncated_total", inst); got != 3 {
		t.Errorf("events_truncated_total = %v, want 3", got)
	}
	if got := s.must(t, "events_dead_lettered_total", inst); got != 2 {
		t.Errorf("events_dead_lettered_total = %v, want 2", got)
	}

	// A topic that does not exist: retried, labelled unknown_topic.
	cfg2, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "missing"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := pipeline.Open(cfg2, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close(time.Second)
	if err := srv.Add("missing", metrics.Source{Stats: p2.Stats().Snapshot}); err != nil {
		t.Fatal(err)
	}
	if res := p2.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.Retry {
		t.Fatalf("flush to a missing topic: %v %v", res.Status, res.Err)
	}
	s = scrapeMetrics(t, srv.Addr())
	if got := s.must(t, "write_errors_total", map[string]string{"plugin_instance": "missing", "kind": "permanent", "cause": "unknown_topic"}); got != 1 {
		t.Errorf("write_errors_total{kind=permanent,cause=unknown_topic} = %v, want 1", got)
	}
	if got := s.must(t, "events_truncated_total", map[string]string{"plugin_instance": "missing"}); got != 0 {
		t.Errorf("a failed flush counted %v truncated events", got)
	}
}

// Before anything happened, every known reason, cause and severity has its
// series at 0 (so increase() sees the first one), build_info is there, and
// every series carries both instance labels.
func TestSeriesExistAtZero(t *testing.T) {
	srv, err := metrics.Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	if err := srv.Add("kube_audit_kafka#1", metrics.Source{Name: "kube_audit_kafka.0", Stats: p.Stats().Snapshot}); err != nil {
		t.Fatal(err)
	}
	s := scrapeMetrics(t, srv.Addr())
	inst := map[string]string{"plugin_instance": "kube_audit_kafka#1", "name": "kube_audit_kafka.0"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range inst {
			m[a] = b
		}
		return m
	}
	for _, r := range pipeline.DropReasons() {
		if v := s.must(t, "dropped_total", with("reason", r)); v != 0 {
			t.Errorf("dropped_total{reason=%q} = %v", r, v)
		}
	}
	for _, sev := range record.SeverityNames() {
		s.must(t, "events_shipped_total", with("severity", sev))
	}
	for _, c := range []string{"broker_unreachable", "timeout", "auth_failed", "unknown_topic", "topic_authorization", "tls_untrusted"} {
		s.must(t, "write_errors_total", with("cause", c))
	}
	s.must(t, "write_errors_total", map[string]string{"kind": "undeliverable", "cause": "unsupported_message_format"})
	for _, m := range []string{"records_received_total", "records_retried_total", "events_received_total", "flush_retries_total", "delivery_failing_seconds"} {
		s.must(t, m, inst)
	}
	if _, ok := s["kube_audit_kafka_kafka_errors_total"]; ok {
		t.Error("the old name kafka_errors_total is still served")
	}
	bi := s["kube_audit_kafka_build_info"]
	if bi == nil || len(bi.Metric) != 1 || bi.Metric[0].Gauge.GetValue() != 1 {
		t.Fatalf("build_info: %v", bi)
	}
	labels := map[string]bool{}
	for _, l := range bi.Metric[0].Label {
		labels[l.GetName()] = l.GetValue() != ""
	}
	if !labels["version"] || !labels["revision"] || !labels["goversion"] {
		t.Errorf("build_info labels: %v", bi.Metric[0].Label)
	}
	// Without a name, the name label is the instance's own.
	if err := srv.Add("other", metrics.Source{Stats: p.Stats().Snapshot}); err != nil {
		t.Fatal(err)
	}
	scrapeMetrics(t, srv.Addr()).must(t, "records_received_total", map[string]string{"plugin_instance": "other", "name": "other"})
}

// What /metrics serves passes promtool's lint rules (client_golang's
// promlint, the same checks as `promtool check metrics`).
func TestMetricsLint(t *testing.T) {
	srv, err := metrics.Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	if err := srv.Add("kube_audit_kafka#1", metrics.Source{Name: "kube_audit_kafka.0", Stats: p.Stats().Snapshot, WireBytes: func() int64 { return 0 }}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		if strings.HasPrefix(pr.Metric, "kube_audit_kafka_") {
			t.Errorf("%s: %s", pr.Metric, pr.Text)
		}
	}
}

// Events out of cloud envelopes are counted by kind (every kind shown at
// 0 before its first), and invalid source addresses of the ecs format.
func TestEnvelopeAndInvalidIPSeries(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	srv, err := metrics.Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "format": "ecs"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	if err := srv.Add("env", metrics.Source{Stats: p.Stats().Snapshot}); err != nil {
		t.Fatal(err)
	}
	ev := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"e1","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","user":{"username":"alice"},"sourceIPs":["no-ip"],"requestReceivedTimestamp":"2026-11-22T02:00:00.000000Z","stageTimestamp":"2026-11-22T02:00:00.001000Z"}`
	q, _ := json.Marshal(ev)
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", []byte(`{"category":"kube-audit","properties":{"log":`+string(q)+`}}`))
	if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK || res.Shipped != 1 {
		t.Fatalf("flush: %+v", res)
	}
	s := scrapeMetrics(t, srv.Addr())
	for kind, want := range map[string]float64{"aks": 1, "gke": 0, "eks": 0} {
		if got := s.must(t, "envelope_events_total", map[string]string{"plugin_instance": "env", "kind": kind}); got != want {
			t.Errorf("envelope_events_total{kind=%s} = %v, want %v", kind, got, want)
		}
	}
	if got := s.must(t, "invalid_source_ips_total", map[string]string{"plugin_instance": "env"}); got != 1 {
		t.Errorf("invalid_source_ips_total = %v, want 1", got)
	}
}
