package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

func openPipeline(t *testing.T, brokers string) *pipeline.Pipeline {
	t.Helper()
	cfg, err := conf.Load(conf.MapGetter{"brokers": brokers, "topic": "audit"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Two instances naming the same metrics_listen share one server, each under
// its own plugin_instance label; the server goes away with the last one.
func TestInstancesShareMetricsListen(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const listen = "127.0.0.1:0"
	names := []string{"kube_audit_kafka#1", "kube_audit_kafka#2"}
	var ps []*pipeline.Pipeline
	for _, name := range names {
		p := openPipeline(t, b.Addrs()[0])
		defer p.Close(time.Second)
		if err := startMetrics(listen, name, "", p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	addr := metricsAddr(listen)
	if addr == "" {
		t.Fatal("no metrics server")
	}
	ev := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/x/secrets","verb":"list","user":{"username":"alice"},"objectRef":{"resource":"secrets","namespace":"x"},"responseStatus":{"code":200}}`
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", []byte(ev))
	if res := ps[1].Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK || res.Shipped != 1 {
		t.Fatalf("flush: %+v", res)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`kube_audit_kafka_events_received_total{name="` + names[0] + `",plugin_instance="` + names[0] + `"} 0`,
		`kube_audit_kafka_events_received_total{name="` + names[1] + `",plugin_instance="` + names[1] + `"} 1`,
		`kube_audit_kafka_bytes_sent_total{name="` + names[1] + `",plugin_instance="` + names[1] + `"} `,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
	stopMetrics(listen, names[0])
	if metricsAddr(listen) != addr {
		t.Fatal("server closed while an instance still uses it")
	}
	stopMetrics(listen, names[1])
	if metricsAddr(listen) != "" {
		t.Error("server kept after its last instance")
	}
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("server still answering after its last instance")
	}
}

// A metrics_listen that cannot be bound is an init error, and leaves no
// server behind.
func TestMetricsListenBusy(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p := openPipeline(t, b.Addrs()[0])
	defer p.Close(time.Second)
	busy := b.Addrs()[0] // the broker's own port
	if err := startMetrics(busy, "kube_audit_kafka#1", "kube_audit_kafka.0", p); err == nil || !strings.Contains(err.Error(), busy) {
		t.Fatalf("busy address: %v", err)
	}
	if metricsAddr(busy) != "" {
		t.Error("a server is registered for the busy address")
	}
}

func TestMetricsName(t *testing.T) {
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := metricsName(cfg, 1); got != "kube_audit_kafka.0" {
		t.Errorf("default name of #1: %q", got)
	}
	if got := metricsName(cfg, 3); got != "kube_audit_kafka.2" {
		t.Errorf("default name of #3: %q", got)
	}
	cfg.Observe.MetricsName = "audit_out"
	if got := metricsName(cfg, 1); got != "audit_out" {
		t.Errorf("metrics_name: %q", got)
	}
}
