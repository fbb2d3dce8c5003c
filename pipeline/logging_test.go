package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// At debug level, through every path that logs (shipped, dropped records,
// undecodable chunks, broker down), no line holds a secret or a record body.
func TestLogsHoldNoSecretNorBody(t *testing.T) {
	const (
		secret  = "hunter2-s3cr3t-value"
		b64     = "aHVudGVyMi1zM2NyM3QtdmFsdWU="
		hmacKey = "0123456789abcdef-hmac"
		saslPw  = "sasl-pass-w0rd"
	)
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit",
		"redaction_mode": "hash", "redaction_hmac_key": hmacKey, "plugin_log_level": "debug",
		"sasl_mechanism": "PLAIN", "sasl_username": "u", "sasl_password": saslPw})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log.Debug("configuration", "config", cfg.String())
	// SASL against a broker without SASL fails; use a plain config for the writes.
	plain := *cfg
	plain.Output.SASL = output.SASL{}
	p, err := pipeline.Open(&plain, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)

	event := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"4d2c","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/x/secrets","verb":"create","user":{"username":"alice"},` +
		`"objectRef":{"resource":"secrets","namespace":"x","name":"db"},"responseStatus":{"code":201},` +
		`"requestObject":{"kind":"Secret","apiVersion":"v1","data":{"password":"` + b64 + `"},"stringData":{"token":"` + secret + `"}}}`
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", []byte(event))
	cw.AddLine(time.Now(), "log", []byte(`{"password":"`+secret+`"}`))        // not an audit event
	cw.AddLine(time.Now(), "log", []byte(`{"auditID": "`+secret+`", "verb"`)) // truncated JSON
	if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK {
		t.Fatalf("flush: %+v", res)
	}
	garbage := append(append([]byte(nil), cw.Bytes()[:40]...), []byte(secret)...)
	p.Flush(context.Background(), garbage)
	p.Flush(context.Background(), []byte("\xc1"+secret))
	b.Close()
	cw.Reset()
	cw.AddLine(time.Now(), "log", []byte(event))
	if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.Retry {
		t.Fatalf("flush with the broker gone: %+v", res)
	}

	logs := out.String()
	if strings.Count(logs, "\n") < 3 {
		t.Fatalf("too few lines to judge:\n%s", logs)
	}
	for _, bad := range []string{secret, b64, hmacKey, saslPw, "requestObject", `"stringData"`} {
		if strings.Contains(logs, bad) {
			t.Errorf("log holds %q:\n%s", bad, logs)
		}
	}
}

// A broker refusing one produce makes one flush retry; the next acknowledged
// write logs one line saying deliveries recovered, and clears the failure.
func TestRecoveryIsLoggedOnce(t *testing.T) {
	b, err := embedded.Start(1, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p, err := pipeline.Open(cfg, slog.New(slog.NewTextHandler(&out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	var cw flbchunk.Writer
	cw.AddLine(time.Now(), "log", []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"r1","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"responseStatus":{"code":200}}`))
	b.Cluster().ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		return nil, errors.New("injected: connection dropped"), true
	})
	if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.Retry {
		t.Fatalf("flush against a failing broker: %+v", res)
	}
	if s := p.Stats().Snapshot(); s.FailingSince.IsZero() {
		t.Fatal("failure not recorded")
	}
	for i := range 2 {
		if res := p.Flush(context.Background(), cw.Bytes()); res.Status != pipeline.OK {
			t.Fatalf("flush %d after the fault: %+v", i, res)
		}
	}
	if n := strings.Count(out.String(), `msg="deliveries to Kafka recovered" failing_for=`); n != 1 {
		t.Fatalf("%d recovery lines:\n%s", n, out.String())
	}
	if s := p.Stats().Snapshot(); !s.FailingSince.IsZero() || s.LastDelivery.IsZero() {
		t.Fatalf("after recovery: %+v", s)
	}
}
