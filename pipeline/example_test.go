package pipeline_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// printSink stands in for the Kafka writer: it prints what one flush would
// write, and acknowledges it.
type printSink struct{}

func (printSink) Write(_ context.Context, msgs []output.Message) error {
	for _, m := range msgs {
		fmt.Println(m.AuditID, m.Severity, m.FormatVersion, len(m.Value) > 0)
	}
	return nil
}

func (printSink) Close() error { return nil }

// A chunk as Fluent Bit's tail input hands it to the output: one record
// holds an audit event, one does not. The flush is OK once the sink
// acknowledged the message; the other record is counted, with its reason.
func ExamplePipeline_Flush() {
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:9092"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := pipeline.New(cfg, printSink{}, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(time.Second)
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/secrets/db","verb":"get","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.32.4","objectRef":{"resource":"secrets","namespace":"prod","name":"db","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-22T02:21:19.289650Z","stageTimestamp":"2026-11-22T02:21:19.301552Z"}`))
	cw.AddLine(time.Now(), "log", []byte(`GET /healthz 200`))
	res := p.Flush(context.Background(), cw.Bytes())
	fmt.Println(res.Status, res.Dropped)
	// Output:
	// 7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f high native/2 true
	// ok map[not_audit_event:1]
}
