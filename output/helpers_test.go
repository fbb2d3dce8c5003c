package output_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// logBuf collects log lines of a writer, safely across goroutines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func startBroker(t *testing.T, partitions int32, topics []string, opts ...kfake.Opt) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start(partitions, topics, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func startBrokerB(b *testing.B, opts ...kfake.Opt) *embedded.Broker {
	b.Helper()
	br, err := embedded.Start(6, []string{"audit"}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(br.Close)
	return br
}

// load validates properties as the plugin does.
func load(t *testing.T, props conf.MapGetter) output.Config {
	t.Helper()
	cfg, err := conf.Load(props)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Output
}

func newWriter(t *testing.T, props conf.MapGetter, log *slog.Logger) *output.Writer {
	t.Helper()
	if log == nil {
		log = (&logBuf{}).logger()
	}
	w, err := output.New(load(t, props), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// messages builds n messages with distinct audit ids and JSON values.
func messages(prefix string, n int, severity string) []output.Message {
	out := make([]output.Message, n)
	for i := range out {
		id := fmt.Sprintf("%s-%05d", prefix, i)
		out[i] = output.Message{
			Value:         fmt.Appendf(nil, `{"auditID":%q,"verb":"get","pad":%q}`, id, strings.Repeat("x", i%50)),
			AuditID:       id,
			Severity:      severity,
			User:          fmt.Sprintf("user-%d", i%3),
			Namespace:     fmt.Sprintf("ns-%d", i%4),
			Cluster:       "lab",
			FormatVersion: "native/1",
		}
	}
	return out
}

func consume(t *testing.T, addrs, topics []string, want int, opts ...kgo.Opt) []*kgo.Record {
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
	recs, err := embedded.Consume(ctx, addrs, topics, want, idle, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// pki is a test certificate authority with a server and a client
// certificate, written as PEM files.
type pki struct {
	dir                                string
	caFile, certFile, keyFile          string // client cert and key
	serverCert                         tls.Certificate
	pool                               *x509.CertPool
	caKey                              *ecdsa.PrivateKey
	ca                                 *x509.Certificate
	serverName, clientName, authorityN string
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir(), authorityN: name}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, _ = x509.ParseCertificate(der)
	p.caKey = key
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.ca)
	p.caFile = filepath.Join(p.dir, "ca.pem")
	writePEM(t, p.caFile, "CERTIFICATE", der)

	sder, skey := p.issue(t, "broker", x509.ExtKeyUsageServerAuth)
	p.serverCert = tls.Certificate{Certificate: [][]byte{sder}, PrivateKey: skey}
	cder, ckey := p.issue(t, "kube-audit-kafka", x509.ExtKeyUsageClientAuth)
	p.certFile, p.keyFile = filepath.Join(p.dir, "client.pem"), filepath.Join(p.dir, "client-key.pem")
	writePEM(t, p.certFile, "CERTIFICATE", cder)
	kb, _ := x509.MarshalECPrivateKey(ckey)
	writePEM(t, p.keyFile, "EC PRIVATE KEY", kb)
	return p
}

func (p *pki) issue(t *testing.T, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
