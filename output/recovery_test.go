package output_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	p, err := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// consumePatiently is consume with a longer idle time: a consumer of a
// topic created or reloaded moments ago may back off a few seconds before
// it fetches every partition when the machine is loaded (-race, packages in
// parallel), and consume's 3 s would end the read too early.
func consumePatiently(t *testing.T, addrs, topics []string, want int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recs, err := embedded.Consume(ctx, addrs, topics, want, 15*time.Second, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// stored is how many records the broker holds in topic: the sum of its
// partitions' end offsets, read straight from the broker (no consumer
// timing involved).
func stored(t *testing.T, addrs []string, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := embedded.Stored(ctx, addrs, topic)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeSoon is the first write after the broker came back: it must succeed
// at once (Fluent Bit's first retry comes a second or so later), not after
// kafka-go's cached failure expires.
func writeSoon(t *testing.T, w *output.Writer, msgs []output.Message) {
	t.Helper()
	start := time.Now()
	if err := w.Write(context.Background(), msgs); err != nil {
		t.Fatalf("first write after the broker came back failed (after %v): %v", time.Since(start), err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("first write after the broker came back took %v", d)
	}
}

// The broker is down when the writer first connects, then comes up: the
// very next write succeeds, with TLS settings intact.
func TestFirstWriteAfterBrokerUpSucceeds(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"plain", false}, {"tls-sasl", true}} {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			props := conf.MapGetter{"brokers": fmt.Sprintf("127.0.0.1:%d", port), "topic": "audit", "write_timeout": "3s"}
			var opts []kfake.Opt
			var consumer []kgo.Opt
			if tc.tls {
				p := newPKI(t, "recovery-ca")
				props["tls_enabled"], props["tls_ca_file"], props["tls_server_name"] = "on", p.caFile, "localhost"
				props["sasl_mechanism"], props["sasl_username"], props["sasl_password"] = "SCRAM-SHA-256", "shipper", "s3cret-pass"
				opts = append(opts, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{p.serverCert}, MinVersion: tls.VersionTLS12}),
					kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "shipper", "s3cret-pass"))
				consumer = append(consumer, kgo.DialTLSConfig(&tls.Config{RootCAs: p.pool, ServerName: "localhost"}),
					kgo.SASL(scram.Auth{User: "shipper", Pass: "s3cret-pass"}.AsSha256Mechanism()))
			}
			w := newWriter(t, props, nil)
			for range 3 {
				err := w.Write(context.Background(), messages("down", 5, "info"))
				if err == nil || output.Classify(err) != output.Transient {
					t.Fatalf("broker down: want a transient error, got %v", err)
				}
			}
			startBroker(t, 1, []string{"audit"}, append(opts, kfake.Ports(port))...)
			time.Sleep(time.Second) // Fluent Bit's retry back-off, shortest
			msgs := messages("up", 5, "info")
			writeSoon(t, w, msgs)
			if recs := consumePatiently(t, []string{fmt.Sprintf("127.0.0.1:%d", port)}, []string{"audit"}, 5, consumer...); len(recs) != 5 {
				t.Fatalf("read back %d of 5", len(recs))
			}
		})
	}
}

// The broker stops after writes succeeded and restarts on the same port
// with its data: the first write after it is back succeeds.
func TestFirstWriteAfterBrokerRestartSucceeds(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, 3, []string{"audit"}, kfake.DataDir(dir))
	addr := b.Addrs()[0]
	w := newWriter(t, conf.MapGetter{"brokers": addr, "topic": "audit", "write_timeout": "3s"}, nil)
	if err := w.Write(context.Background(), messages("before", 20, "info")); err != nil {
		t.Fatal(err)
	}
	b.Close()
	for range 3 {
		err := w.Write(context.Background(), messages("down", 20, "info"))
		if err == nil || output.Classify(err) != output.Transient {
			t.Fatalf("broker down: want a transient error, got %v", err)
		}
	}
	b = startBroker(t, 3, nil, kfake.DataDir(dir), kfake.Ports(portOf(t, addr)))
	time.Sleep(time.Second)
	writeSoon(t, w, messages("after", 20, "info"))
	if n := stored(t, b.Addrs(), "audit"); n != 40 {
		t.Fatalf("the broker holds %d records, want 40", n)
	}
	recs := consumePatiently(t, b.Addrs(), []string{"audit"}, 40)
	if len(recs) != 40 {
		t.Fatalf("read back %d of 40", len(recs))
	}
}

// write_timeout is the longest wait for the broker, whichever step it is
// spent in: a broker that accepts connections but never answers, or answers
// everything but metadata, fails the flush at write_timeout, not at one of
// kafka-go's shorter defaults (10 s to connect, 6 s for metadata).
func TestWriteTimeoutHonoured(t *testing.T) {
	const timeout = 11 * time.Second
	silentMetadata := func(t *testing.T) string {
		b := startBroker(t, 1, []string{"audit"})
		b.Cluster().ControlKey(int16(kmsg.Metadata), func(kmsg.Request) (kmsg.Response, error, bool) {
			b.Cluster().KeepControl()
			return nil, nil, true
		})
		return b.Addrs()[0]
	}
	blackHole := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			var held []net.Conn // accepted, never read nor answered
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				held = append(held, c)
			}
		}()
		return l.Addr().String()
	}
	for name, broker := range map[string]func(*testing.T) string{"silent-metadata": silentMetadata, "black-hole": blackHole} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWriter(t, conf.MapGetter{"brokers": broker(t), "topic": "audit", "write_timeout": timeout.String()}, nil)
			start := time.Now()
			err := w.Write(context.Background(), messages("slow", 1, "info"))
			d := time.Since(start)
			if err == nil || output.Classify(err) != output.Transient {
				t.Fatalf("want a transient error, got %v", err)
			}
			if d < timeout-500*time.Millisecond {
				t.Fatalf("gave up after %v with write_timeout %v: %v", d, timeout, err)
			}
		})
	}
}

// The operator creates the missing topic: the very next write goes through,
// not only after kafka-go's cached metadata expires.
func TestFirstWriteAfterTopicCreatedSucceeds(t *testing.T) {
	b := startBroker(t, 1, []string{"audit"})
	w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "late"}, nil)
	for range 2 {
		if c := output.Cause(w.Write(context.Background(), messages("x", 3, "info"))); c != "unknown_topic" {
			t.Fatalf("missing topic: cause %q", c)
		}
	}
	if err := b.Cluster().CreateTopic("late", 2, nil); err != nil {
		t.Fatal(err)
	}
	writeSoon(t, w, messages("late", 3, "info"))
	if n := stored(t, b.Addrs(), "late"); n != 3 {
		t.Fatalf("the broker holds %d records, want 3", n)
	}
	if recs := consumePatiently(t, b.Addrs(), []string{"late"}, 3); len(recs) != 3 {
		t.Fatalf("read back %d of 3", len(recs))
	}
}
