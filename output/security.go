package output

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
)

// tlsConfig loads the CA bundle and the client certificate now, so a bad
// file is an init error naming its field rather than a failed flush.
// It returns nil when tls is off.
func tlsConfig(t TLS, l *fielderr.List) *tls.Config {
	if !t.Enabled {
		return nil
	}
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify,
	}
	if t.CAFile != "" {
		pool, err := LoadCAFile(t.CAFile)
		if err != nil {
			l.Add("output.TLS.CAFile", err)
		}
		c.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			l.Add("output.TLS.CertFile", fmt.Errorf("cannot load the client certificate with tls_key_file: %w", err))
		} else {
			c.Certificates = []tls.Certificate{cert}
		}
	}
	return c
}

// LoadCAFile reads a PEM bundle of CA certificates.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// saslMechanism builds the SASL mechanism; nil when none is configured. The
// password stays inside the mechanism and is never logged.
func saslMechanism(s SASL) (sasl.Mechanism, error) {
	switch s.Mechanism {
	case SASLNone:
		return nil, nil
	case SASLPlain:
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case SASLScramSHA256, SASLScramSHA512:
		algo := scram.SHA256
		if s.Mechanism == SASLScramSHA512 {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, s.Username, s.Password)
		if err != nil {
			// The SCRAM library's error may quote the input: keep it out.
			return nil, errors.New("sasl_username or sasl_password cannot be prepared for SCRAM (SASLprep rejects a character in them)")
		}
		return m, nil
	}
	return nil, fmt.Errorf("unsupported mechanism %s", s.Mechanism)
}

// watchedSASL wraps a mechanism to know whether the latest authentication
// finished. Some brokers (kfake among them) refuse credentials by closing
// the connection instead of answering with SASL_AUTHENTICATION_FAILED, and
// kafka-go then reports a bare "unexpected EOF": with this, such a failure
// is still recognised as an authentication refusal.
type watchedSASL struct {
	sasl.Mechanism
	state atomic.Int32 // authIdle, authStarted or authDone
}

const (
	authIdle int32 = iota
	authStarted
	authDone
)

func (m *watchedSASL) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	m.state.Store(authStarted)
	sm, ir, err := m.Mechanism.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &watchedSession{StateMachine: sm, m: m}, ir, nil
}

type watchedSession struct {
	sasl.StateMachine
	m *watchedSASL
}

func (s *watchedSession) Next(ctx context.Context, challenge []byte) (bool, []byte, error) {
	done, resp, err := s.StateMachine.Next(ctx, challenge)
	if done && err == nil {
		s.m.state.Store(authDone)
	}
	return done, resp, err
}

// refused reports whether err is a connection closed in the middle of an
// authentication.
func (m *watchedSASL) refused(err error) bool {
	return m != nil && m.state.Load() == authStarted &&
		(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET))
}

// Security builds the TLS configuration (nil when tls is off) and the SASL
// mechanism (nil when none) of c, for other Kafka clients of the same
// brokers configured by the same properties (the correlate command's
// consumer and alert writer). Problems name their fields (fielderr).
func (c *Config) Security() (*tls.Config, sasl.Mechanism, error) {
	var l fielderr.List
	t := tlsConfig(c.TLS, &l)
	if err := l.Err(); err != nil {
		return nil, nil, err
	}
	m, err := saslMechanism(c.SASL)
	if err != nil {
		return nil, nil, &fielderr.Error{Field: "output.SASL.Mechanism", Err: err}
	}
	return t, m, nil
}
