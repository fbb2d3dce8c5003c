package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// Two instances naming the same metrics_listen share one server, each under
// its own plugin_instance label; the server goes away with the last one.
func TestInstancesShareMetricsListen(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const listen = "127.0.0.1:0"
	var insts []*instance
	for range 2 {
		g := conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "metrics_listen": listen, "plugin_log_level": "error"}
		if rc := initInstance(g, func(i *instance) { insts = append(insts, i) }); rc != output.FLB_OK {
			t.Fatalf("init: %d", rc)
		}
	}
	addr := metricsAddr(listen)
	if addr == "" {
		t.Fatal("no metrics server")
	}
	ev := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/x/secrets","verb":"list","user":{"username":"alice"},"objectRef":{"resource":"secrets","namespace":"x"},"responseStatus":{"code":200}}`
	var cw pipeline.ChunkWriter
	cw.AddLine(time.Now(), "log", []byte(ev))
	if res := insts[1].p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK || res.Shipped != 1 {
		t.Fatalf("flush: %+v", res)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`kube_audit_kafka_events_received_total{plugin_instance="` + insts[0].name + `"} 0`,
		`kube_audit_kafka_events_received_total{plugin_instance="` + insts[1].name + `"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
	for _, inst := range insts {
		stopMetrics(listen, inst.name)
		_ = inst.p.Close(time.Second)
	}
	if metricsAddr(listen) != "" {
		t.Error("server kept after its last instance")
	}
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("server still answering after its last instance")
	}
}

func TestMetricsListenBusyFailsInit(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// The broker's own port is taken: the instance must refuse to start.
	g := conf.MapGetter{"brokers": b.Addrs()[0], "metrics_listen": b.Addrs()[0], "plugin_log_level": "error"}
	if rc := initInstance(g, func(*instance) { t.Error("context set for a failed init") }); rc != output.FLB_ERROR {
		t.Fatalf("init with a busy metrics_listen: %d", rc)
	}
}
