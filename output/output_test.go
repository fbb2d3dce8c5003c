package output_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// Every codec, at its default and at its highest level, is read back by a
// real consumer, which checks each batch's CRC and decompresses it.
func TestCodecsReadBack(t *testing.T) {
	b := startBroker(t, 3, []string{"audit"})
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		var c output.Compression
		if err := c.UnmarshalText([]byte(codec)); err != nil {
			t.Fatal(err)
		}
		levels := []int{0, c.MaxLevel()}
		if levels[1] == 0 {
			levels = levels[:1]
		}
		for _, level := range levels {
			t.Run(fmt.Sprintf("%s-%d", codec, level), func(t *testing.T) {
				topic := fmt.Sprintf("audit-%s-%d", codec, level)
				if err := b.Cluster().CreateTopic(topic, 3, nil); err != nil {
					t.Fatal(err)
				}
				w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": topic, "compression": codec, "compression_level": fmt.Sprint(level)}, nil)
				msgs := messages(topic, 300, "info")
				waitWrite(t, w, msgs)
				recs := consume(t, b.Addrs(), []string{topic}, len(msgs))
				if len(recs) != len(msgs) {
					t.Fatalf("read back %d of %d", len(recs), len(msgs))
				}
				want := map[string]string{}
				for _, m := range msgs {
					want[m.AuditID] = string(m.Value)
				}
				for _, r := range recs {
					if want[string(r.Key)] != string(r.Value) {
						t.Fatalf("record %q: value %q, want %q", r.Key, r.Value, want[string(r.Key)])
					}
					delete(want, string(r.Key))
				}
				if len(want) != 0 {
					t.Fatalf("%d messages missing", len(want))
				}
			})
		}
	}
}

// waitWrite writes msgs, retrying while a freshly created topic is not yet
// in the client's metadata cache.
func waitWrite(t *testing.T, w *output.Writer, msgs []output.Message) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := w.Write(context.Background(), msgs)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("write: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestRoutingKeysAndHeaders(t *testing.T) {
	b := startBroker(t, 4, []string{"audit", "alerts"})
	w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "topics_by_severity": "critical=alerts,high=alerts", "cluster_name": "lab"}, nil)
	var msgs []output.Message
	msgs = append(msgs, messages("info", 20, "info")...)
	msgs = append(msgs, messages("high", 7, "high")...)
	msgs = append(msgs, messages("crit", 5, "critical")...)
	// Two stages of one request share an audit id: one partition.
	stage := messages("info", 1, "info")[0]
	stage.Value = []byte(`{"auditID":"info-00000","stage":"RequestReceived"}`)
	msgs = append(msgs, stage)
	if err := w.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	audit := consume(t, b.Addrs(), []string{"audit"}, 21)
	alerts := consume(t, b.Addrs(), []string{"alerts"}, 12)
	if len(audit) != 21 || len(alerts) != 12 {
		t.Fatalf("audit %d (want 21), alerts %d (want 12)", len(audit), len(alerts))
	}
	partOf := map[string]int32{}
	for _, r := range append(audit, alerts...) {
		sev, _ := header(r, output.HeaderSeverity)
		wantTopic := "audit"
		if sev == "high" || sev == "critical" {
			wantTopic = "alerts"
		}
		if r.Topic != wantTopic {
			t.Errorf("severity %s went to %s", sev, r.Topic)
		}
		id, _ := header(r, output.HeaderAuditID)
		if string(r.Key) != id || id == "" {
			t.Errorf("key %q, audit_id header %q", r.Key, id)
		}
		for k, v := range map[string]string{output.HeaderCluster: "lab", output.HeaderContentType: "application/json", output.HeaderFormatVersion: "native/1"} {
			if got, ok := header(r, k); !ok || got != v {
				t.Errorf("header %s = %q, want %q", k, got, v)
			}
		}
		if p, ok := partOf[id]; ok && p != r.Partition {
			t.Errorf("audit id %s in partitions %d and %d", id, p, r.Partition)
		}
		partOf[id] = r.Partition
	}
}

func TestMessageKeys(t *testing.T) {
	b := startBroker(t, 4, []string{"audit"})
	for _, key := range []string{"user", "namespace", "none"} {
		t.Run(key, func(t *testing.T) {
			topic := "keys-" + key
			if err := b.Cluster().CreateTopic(topic, 4, nil); err != nil {
				t.Fatal(err)
			}
			w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": topic, "message_key": key}, nil)
			msgs := messages(key, 40, "info")
			msgs[0].Namespace = "" // cluster-scoped: no key
			waitWrite(t, w, msgs)
			recs := consume(t, b.Addrs(), []string{topic}, len(msgs))
			if len(recs) != len(msgs) {
				t.Fatalf("read back %d of %d", len(recs), len(msgs))
			}
			byID := map[string]output.Message{}
			for _, m := range msgs {
				byID[m.AuditID] = m
			}
			parts := map[string]int32{}
			for _, r := range recs {
				id, _ := header(r, output.HeaderAuditID)
				m := byID[id]
				want := map[string]string{"user": m.User, "namespace": m.Namespace, "none": ""}[key]
				if string(r.Key) != want || (want == "") != (r.Key == nil) {
					t.Fatalf("%s: key %q (nil %v), want %q", id, r.Key, r.Key == nil, want)
				}
				if want != "" {
					if p, ok := parts[want]; ok && p != r.Partition {
						t.Fatalf("key %s in partitions %d and %d", want, p, r.Partition)
					}
					parts[want] = r.Partition
				}
			}
		})
	}
}

func TestSASL(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			b := startBroker(t, 1, []string{"audit"}, kfake.EnableSASL(), kfake.Superuser(mech, "shipper", "s3cret-pass"))
			var consumerAuth kgo.Opt
			switch mech {
			case "PLAIN":
				consumerAuth = kgo.SASL(plain.Auth{User: "shipper", Pass: "s3cret-pass"}.AsMechanism())
			case "SCRAM-SHA-256":
				consumerAuth = kgo.SASL(scram.Auth{User: "shipper", Pass: "s3cret-pass"}.AsSha256Mechanism())
			default:
				consumerAuth = kgo.SASL(scram.Auth{User: "shipper", Pass: "s3cret-pass"}.AsSha512Mechanism())
			}
			props := conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "sasl_mechanism": mech, "sasl_username": "shipper", "sasl_password": "s3cret-pass"}
			w := newWriter(t, props, nil)
			msgs := messages("sasl", 10, "info")
			if err := w.Write(context.Background(), msgs); err != nil {
				t.Fatal(err)
			}
			if recs := consume(t, b.Addrs(), []string{"audit"}, len(msgs), consumerAuth); len(recs) != len(msgs) {
				t.Fatalf("read back %d of %d", len(recs), len(msgs))
			}

			// Wrong password: refused, classified, logged once, never leaked.
			var lb logBuf
			props["sasl_password"] = "wrong-pass-123"
			bad := newWriter(t, props, lb.logger())
			for range 3 {
				err := bad.Write(context.Background(), messages("bad", 2, "info"))
				if err == nil {
					t.Fatal("write with a wrong password succeeded")
				}
				if k := output.Classify(err); k != output.Permanent {
					t.Fatalf("wrong password classified %v: %v", k, err)
				}
			}
			logs := lb.String()
			if n := strings.Count(logs, "level=ERROR"); n != 1 {
				t.Fatalf("want the cause logged once, got %d lines:\n%s", n, logs)
			}
			if !strings.Contains(logs, "sasl_password") || strings.Contains(logs, "wrong-pass-123") || strings.Contains(logs, "s3cret-pass") {
				t.Fatalf("log should name the property and never the password:\n%s", logs)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	good := newPKI(t, "good-ca")
	other := newPKI(t, "other-ca")
	serverTLS := &tls.Config{Certificates: []tls.Certificate{good.serverCert}, MinVersion: tls.VersionTLS12}
	b := startBroker(t, 1, []string{"audit"}, kfake.TLS(serverTLS))
	consumerTLS := kgo.DialTLSConfig(&tls.Config{RootCAs: good.pool})

	t.Run("right-ca", func(t *testing.T) {
		w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "tls_enabled": "on", "tls_ca_file": good.caFile}, nil)
		msgs := messages("tls", 10, "info")
		if err := w.Write(context.Background(), msgs); err != nil {
			t.Fatal(err)
		}
		if recs := consume(t, b.Addrs(), []string{"audit"}, len(msgs), consumerTLS); len(recs) != len(msgs) {
			t.Fatalf("read back %d of %d", len(recs), len(msgs))
		}
	})
	t.Run("wrong-ca", func(t *testing.T) {
		var lb logBuf
		w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "tls_enabled": "on", "tls_ca_file": other.caFile, "write_timeout": "3s"}, lb.logger())
		err := w.Write(context.Background(), messages("tls", 1, "info"))
		if err == nil {
			t.Fatal("write to a broker signed by another CA succeeded")
		}
		if k := output.Classify(err); k != output.Permanent {
			t.Fatalf("classified %v: %v", k, err)
		}
		if !strings.Contains(lb.String(), "tls_ca_file") {
			t.Fatalf("log does not say what to change:\n%s", lb.String())
		}
	})
	t.Run("server-name", func(t *testing.T) {
		w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "tls_enabled": "on", "tls_ca_file": good.caFile, "tls_server_name": "localhost"}, nil)
		if err := w.Write(context.Background(), messages("sni", 1, "info")); err != nil {
			t.Fatal(err)
		}
		var lb logBuf
		w = newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "tls_enabled": "on", "tls_ca_file": good.caFile, "tls_server_name": "kafka.example", "write_timeout": "3s"}, lb.logger())
		err := w.Write(context.Background(), messages("sni", 1, "info"))
		if err == nil || output.Classify(err) != output.Permanent || !strings.Contains(lb.String(), "tls_server_name") {
			t.Fatalf("wrong server name: %v\n%s", err, lb.String())
		}
	})
	t.Run("mutual", func(t *testing.T) {
		mtls := &tls.Config{Certificates: []tls.Certificate{good.serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: good.pool, MinVersion: tls.VersionTLS12}
		mb := startBroker(t, 1, []string{"audit"}, kfake.TLS(mtls))
		w := newWriter(t, conf.MapGetter{"brokers": mb.Addrs()[0], "topic": "audit", "tls_enabled": "on", "tls_ca_file": good.caFile, "tls_cert_file": good.certFile, "tls_key_file": good.keyFile}, nil)
		if err := w.Write(context.Background(), messages("mtls", 5, "info")); err != nil {
			t.Fatal(err)
		}
		noCert := newWriter(t, conf.MapGetter{"brokers": mb.Addrs()[0], "topic": "audit", "tls_enabled": "on", "tls_ca_file": good.caFile, "write_timeout": "3s"}, nil)
		if err := noCert.Write(context.Background(), messages("mtls", 1, "info")); err == nil {
			t.Fatal("write without a client certificate succeeded")
		}
	})
}

// Bad settings are all reported at init, each naming its property: first
// by conf.Load, then, for what only the writer loads (certificates, keys),
// by output.New.
func TestInitProblems(t *testing.T) {
	_, err := conf.Load(conf.MapGetter{
		"brokers":           "127.0.0.1:9092",
		"compression":       "snappy",
		"compression_level": "7",
		"sasl_mechanism":    "SCRAM-SHA-1",
		"required_acks":     "two",
		"message_key":       "pod",
		"max_message_bytes": "10",
	})
	wantKeys(t, err, "compression_level", "sasl_mechanism", "required_acks", "message_key", "max_message_bytes")

	p := newPKI(t, "ca")
	_, err = output.New(load(t, conf.MapGetter{
		"brokers":       "127.0.0.1:9092",
		"tls_enabled":   "on",
		"tls_ca_file":   p.keyFile, // a key, not a certificate
		"tls_cert_file": p.certFile,
		"tls_key_file":  p.caFile, // a certificate, not a key
	}), (&logBuf{}).logger())
	wantKeys(t, err, "tls_ca_file", "tls_cert_file")

	// Configurations built in code are checked as well.
	_, err = output.New(output.Config{Brokers: []string{"127.0.0.1:1"}, WriteTimeout: time.Second, MaxMessageBytes: 1 << 20,
		Compression: output.CompressionNone, CompressionLevel: 3,
		TLS: output.TLS{Enabled: true, CAFile: p.keyFile, CertFile: p.certFile}}, (&logBuf{}).logger())
	wantKeys(t, err, "topic", "compression_level", "tls_ca_file", "tls_cert_file")
}

func wantKeys(t *testing.T, err error, keys ...string) {
	t.Helper()
	err = conf.Explain(err) // output names fields; conf names their properties
	var probs conf.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("want conf.Problems, got %v", err)
	}
	got := map[string]bool{}
	for _, e := range probs {
		var pe *conf.PropertyError
		if errors.As(e, &pe) {
			got[pe.Key] = true
		}
	}
	for _, k := range keys {
		if !got[k] {
			t.Errorf("no problem reported for %s; got %v", k, err)
		}
	}
	if len(probs) != len(keys) {
		t.Errorf("%d problems, want %d: %v", len(probs), len(keys), err)
	}
}

func TestInsecureSkipVerifyWarns(t *testing.T) {
	var lb logBuf
	if _, err := output.New(load(t, conf.MapGetter{"brokers": "127.0.0.1:9", "tls_enabled": "on", "tls_insecure_skip_verify": "on", "required_acks": "none"}), lb.logger()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lb.String(), "TLS_INSECURE_SKIP_VERIFY") || !strings.Contains(lb.String(), "required_acks none") {
		t.Fatalf("missing warnings:\n%s", lb.String())
	}
}

func TestUnknownTopicLoggedOnce(t *testing.T) {
	b := startBroker(t, 1, []string{"audit"})
	var lb logBuf
	w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "missing"}, lb.logger())
	for range 4 {
		err := w.Write(context.Background(), messages("x", 1, "info"))
		if output.Classify(err) != output.Permanent {
			t.Fatalf("unknown topic: %v", err)
		}
	}
	if n := strings.Count(lb.String(), "create the topic"); n != 1 {
		t.Fatalf("cause logged %d times, want once:\n%s", n, lb.String())
	}
}

// Produce errors a real broker returns while a partition moves or its
// replicas lag are transient: the write fails, the retry succeeds.
func TestTransientProduceErrors(t *testing.T) {
	for _, e := range []*kerr.Error{kerr.NotEnoughReplicas, kerr.NotLeaderForPartition, kerr.RequestTimedOut} {
		t.Run(e.Message, func(t *testing.T) {
			b := startBroker(t, 1, []string{"audit"})
			b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: e, Count: 1})
			w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"}, nil)
			msgs := messages("t", 5, "info")
			err := w.Write(context.Background(), msgs)
			if err == nil || output.Classify(err) != output.Transient {
				t.Fatalf("want a transient error, got %v", err)
			}
			if err := w.Write(context.Background(), msgs); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if recs := consume(t, b.Addrs(), []string{"audit"}, 5); len(recs) < 5 {
				t.Fatalf("read back %d", len(recs))
			}
		})
	}
}

// Many messages near the size limit are cut into batches the broker
// accepts; a message the topic refuses alone is marked, the others land.
func TestBatchLimits(t *testing.T) {
	const limit = 4096
	b := startBroker(t, 1, []string{"audit"}, kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(limit)}))
	w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "max_message_bytes": fmt.Sprint(limit), "compression": "none", "message_key": "none"}, nil)
	msgs := messages("big", 60, "info")
	for i := range msgs {
		msgs[i].Value = fmt.Appendf(nil, `{"auditID":%q,"pad":%q}`, msgs[i].AuditID, strings.Repeat("y", 900+i))
	}
	if err := w.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if recs := consume(t, b.Addrs(), []string{"audit"}, len(msgs)); len(recs) != len(msgs) {
		t.Fatalf("read back %d of %d", len(recs), len(msgs))
	}

	// The writer believes 64 KiB fit, the topic takes 4 KiB.
	if err := b.Cluster().CreateTopic("small", 1, map[string]string{"max.message.bytes": fmt.Sprint(limit)}); err != nil {
		t.Fatal(err)
	}
	var lb logBuf
	w2 := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "small", "max_message_bytes": "65536", "compression": "none"}, lb.logger())
	msgs = messages("mixed", 9, "info")
	msgs[4].Value = []byte(`{"pad":"` + strings.Repeat("z", 3*limit) + `"}`)
	waitWrite(t, w2, msgs)
	for i, m := range msgs {
		if m.Refused != (i == 4) {
			t.Fatalf("message %d refused=%v", i, m.Refused)
		}
	}
	if recs := consume(t, b.Addrs(), []string{"small"}, 8); len(recs) != 8 {
		t.Fatalf("read back %d of 8", len(recs))
	}
	if !strings.Contains(lb.String(), "lower max_message_bytes") {
		t.Fatalf("cause not logged:\n%s", lb.String())
	}
}

// The broker stops in the middle of a stream and comes back on the same
// port with its data: failed writes are retried (as Fluent Bit retries the
// chunk) and every message arrives at least once.
func TestBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, 3, []string{"audit"}, kfake.DataDir(dir))
	addr := b.Addrs()[0]
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	w := newWriter(t, conf.MapGetter{"brokers": addr, "topic": "audit", "write_timeout": "2s"}, nil)

	const chunks = 30
	var all []output.Message
	pending := [][]output.Message{}
	for i := range chunks {
		pending = append(pending, messages(fmt.Sprintf("c%02d", i), 50, "info"))
	}
	failed := 0
	var restarted bool
	for i := 0; len(pending) > 0; i++ {
		if i == 10 {
			b.Close()
		}
		if i == 15 {
			var p int
			fmt.Sscan(port, &p)
			b = startBroker(t, 3, nil, kfake.DataDir(dir), kfake.Ports(p))
			restarted = true
		}
		chunk := pending[0]
		if err := w.Write(context.Background(), chunk); err != nil {
			if k := output.Classify(err); k == output.Undeliverable {
				t.Fatalf("broker outage classified %v: %v", k, err)
			}
			failed++
			if i > 200 {
				t.Fatalf("still failing after the restart: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
			continue // Fluent Bit retries the same chunk
		}
		all = append(all, chunk...)
		pending = pending[1:]
	}
	if !restarted || failed == 0 {
		t.Fatalf("the outage was not exercised (restarted %v, failed writes %d)", restarted, failed)
	}
	recs := consume(t, b.Addrs(), []string{"audit"}, len(all))
	ids := map[string]bool{}
	for _, r := range recs {
		ids[string(r.Key)] = true
	}
	if len(ids) != chunks*50 {
		t.Fatalf("%d distinct audit ids arrived of %d (%d records)", len(ids), chunks*50, len(recs))
	}
	t.Logf("%d failed writes during the outage, %d records for %d events", failed, len(recs), len(ids))
}

// Several Fluent Bit workers flush through one writer at once.
func TestConcurrentWrites(t *testing.T) {
	b := startBroker(t, 6, []string{"audit", "alerts"})
	w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "topics_by_severity": "critical=alerts"}, nil)
	const workers, writes, per = 8, 20, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*writes)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				sev := "info"
				if i%5 == 0 {
					sev = "critical"
				}
				if err := w.Write(context.Background(), messages(fmt.Sprintf("w%d-%d", g, i), per, sev)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	recs := consume(t, b.Addrs(), []string{"audit", "alerts"}, workers*writes*per)
	ids := map[string]bool{}
	for _, r := range recs {
		ids[string(r.Key)] = true
	}
	if len(recs) != workers*writes*per || len(ids) != len(recs) {
		t.Fatalf("%d records, %d distinct, want %d", len(recs), len(ids), workers*writes*per)
	}
}

func TestRequiredAcks(t *testing.T) {
	b := startBroker(t, 2, []string{"audit"})
	for i, acks := range []string{"all", "one", "none"} {
		w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "required_acks": acks}, nil)
		if err := w.Write(context.Background(), messages(acks, 10, "info")); err != nil {
			t.Fatalf("acks %s: %v", acks, err)
		}
		if recs := consume(t, b.Addrs(), []string{"audit"}, 10*(i+1)); len(recs) != 10*(i+1) {
			t.Fatalf("acks %s: read back %d", acks, len(recs))
		}
	}
}

// One partition fails while the others are written: the write fails as a
// whole, the retry writes everything again. Duplicates, no loss.
func TestPartialFailureRetriesWholeWrite(t *testing.T) {
	b := startBroker(t, 4, []string{"audit"})
	b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "audit", Partitions: []int32{2}, Err: kerr.NotEnoughReplicas, Count: 1})
	w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit"}, nil)
	msgs := messages("p", 200, "info")
	err := w.Write(context.Background(), msgs)
	if err == nil || output.Classify(err) != output.Transient || !strings.Contains(err.Error(), "audit/2") {
		t.Fatalf("want a transient failure naming audit/2, got %v", err)
	}
	if err := w.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	recs := consume(t, b.Addrs(), []string{"audit"}, 0)
	ids := map[string]int{}
	for _, r := range recs {
		ids[string(r.Key)]++
	}
	dups := len(recs) - len(ids)
	if len(ids) != len(msgs) || dups == 0 || dups >= len(msgs) {
		t.Fatalf("%d records, %d distinct of %d, %d duplicates", len(recs), len(ids), len(msgs), dups)
	}
}

// Three brokers, the first bootstrap address dead; partition leaders then
// move. Writes fail transiently until the metadata refreshes, then land.
func TestLeadersMoveAndBootstrapFailover(t *testing.T) {
	b := startBroker(t, 6, []string{"audit"}, kfake.NumBrokers(3))
	w := newWriter(t, conf.MapGetter{"brokers": "127.0.0.1:1," + strings.Join(b.Addrs(), ","), "topic": "audit", "write_timeout": "2s"}, nil)
	if err := w.Write(context.Background(), messages("before", 60, "info")); err != nil {
		t.Fatal(err)
	}
	b.Cluster().ShufflePartitionLeaders()
	failures := 0
	deadline := time.Now().Add(30 * time.Second)
	msgs := messages("after", 60, "info")
	for {
		err := w.Write(context.Background(), msgs)
		if err == nil {
			break
		}
		if k := output.Classify(err); k != output.Transient {
			t.Fatalf("leader move classified %v: %v", k, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing: %v", err)
		}
		failures++
		time.Sleep(250 * time.Millisecond)
	}
	recs := consume(t, b.Addrs(), []string{"audit"}, 0)
	ids := map[string]bool{}
	for _, r := range recs {
		ids[string(r.Key)] = true
	}
	if len(ids) != 120 {
		t.Fatalf("%d distinct of 120", len(ids))
	}
	t.Logf("%d failed writes while the leaders moved", failures)
}
