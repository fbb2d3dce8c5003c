package output

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"syscall"

	"github.com/segmentio/kafka-go"
)

// Kind tells what to do about a failed write.
type Kind int

const (
	// Transient: the broker may accept the same messages later (broker
	// down, leader moved, timeout, not enough replicas); retry the chunk.
	Transient Kind = iota
	// Permanent: the broker refuses the plugin's configuration or identity
	// (credentials, ACLs, unknown topic, TLS trust, codec). Retrying with
	// the same configuration fails again, but the fix is an operator's
	// change, after which the very same chunk is deliverable: the chunk is
	// retried, so nothing is lost while it is being fixed, and the cause is
	// logged once with what to change.
	Permanent
	// Undeliverable: no configuration of this plugin can deliver to this
	// broker (it predates Kafka's v2 message format); the chunk is given up.
	Undeliverable
)

func (k Kind) String() string {
	return [...]string{"transient", "permanent", "undeliverable"}[k]
}

// Action says what becomes of the chunk.
func (k Kind) Action() string {
	if k == Undeliverable {
		return "dropped"
	}
	return "retried by Fluent Bit"
}

// Error is a failed write with its classification.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("kafka write (%s): %v", e.Kind, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// cause is a failure an operator must fix, with the fix.
type cause struct {
	key  string // Cause's key, also the log deduplication key; "" for transient failures
	what string
	fix  string
	kind Kind
}

// Classify sorts a write error. Anything not known to need an operator is
// transient: retrying costs a delay, giving up loses audit events.
func Classify(err error) Kind {
	var oe *Error
	if errors.As(err, &oe) {
		return oe.Kind
	}
	return explain(err).kind
}

// explain names the cause of err and what to change. Every kafka error
// code in err (errors.Join of several partitions) is looked at; the most
// severe decides.
func explain(err error) cause {
	best := cause{kind: Transient}
	visit(err, func(e error) {
		c := explainOne(e)
		if c.kind > best.kind || best.key == "" && c.key != "" {
			best = c
		}
	})
	return best
}

// visit calls fn on err and every error it wraps.
func visit(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			visit(e, fn)
		}
	case interface{ Unwrap() error }:
		visit(u.Unwrap(), fn)
	}
}

func explainOne(err error) cause {
	var ke kafka.Error
	if errors.As(err, &ke) && err == error(ke) {
		return explainCode(ke)
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
		header    tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &hostname):
		return cause{"tls_hostname", "the broker's TLS certificate does not name the broker address",
			"set tls_server_name to a name in the certificate, or use broker addresses the certificate names", Permanent}
	case errors.As(err, &unknownCA), errors.As(err, &verify), errors.As(err, &invalid):
		return cause{"tls_untrusted", "the broker's TLS certificate is not trusted",
			"set tls_ca_file to the CA that signed the brokers' certificates (or renew an expired certificate)", Permanent}
	case errors.As(err, &alert):
		return cause{"tls_handshake_refused", "the broker refused the TLS handshake (" + alert.Error() + ")",
			"if the broker requires client certificates, set tls_cert_file and tls_key_file to a certificate its CA trusts", Permanent}
	case errors.As(err, &header):
		return cause{"tls_plaintext", "the broker does not speak TLS on this port",
			"set tls_enabled off, or point brokers at the broker's TLS listener", Permanent}
	}
	return cause{kind: Transient}
}

func explainCode(e kafka.Error) cause {
	c := func(key, fix string, kind Kind) cause { return cause{key, e.Title(), fix, kind} }
	switch e {
	case kafka.SASLAuthenticationFailed:
		return c("auth_failed", "check sasl_username and sasl_password (or sasl_password_file), and that sasl_mechanism matches the mechanism the broker stores credentials for", Permanent)
	case kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState:
		return c("sasl_mechanism", "set sasl_mechanism to one the broker's listener enables (or unset it if the listener has no SASL)", Permanent)
	case kafka.TopicAuthorizationFailed:
		return c("topic_authorization", "grant the plugin's principal WRITE and DESCRIBE on the topic (topic, topics_by_severity and dlq_topic)", Permanent)
	case kafka.ClusterAuthorizationFailed:
		return c("cluster_authorization", "grant the plugin's principal the cluster permission the broker asks for (IDEMPOTENT_WRITE on older brokers)", Permanent)
	case kafka.UnknownTopicOrPartition:
		return c("unknown_topic", "create the topic (the plugin never auto-creates topics), or fix topic / topics_by_severity / dlq_topic", Permanent)
	case kafka.InvalidTopic:
		return c("invalid_topic", "the broker refuses this topic name; choose another topic", Permanent)
	case kafka.UnsupportedCompressionType:
		return c("unsupported_compression", "the broker is older than the codec (zstd needs Kafka 2.1); choose another compression", Permanent)
	case kafka.InvalidRequiredAcks:
		return c("invalid_required_acks", "set required_acks to all or one", Permanent)
	case kafka.InvalidRecord:
		return c("invalid_record", "the topic refuses the records (a compacted topic needs keys: set message_key to audit_id)", Permanent)
	case kafka.PolicyViolation:
		return c("policy_violation", "a broker policy refuses the write; see the broker's log", Permanent)
	case kafka.UnsupportedForMessageFormat, kafka.UnsupportedVersion:
		return c("unsupported_message_format", "the broker predates Kafka 0.11's message format v2; upgrade the broker", Undeliverable)
	}
	return cause{kind: Transient}
}

// Cause names why a write failed with a short, stable key, for metric labels
// and alerts. Causes an operator must fix:
//
//	auth_failed, sasl_mechanism, topic_authorization, cluster_authorization,
//	unknown_topic, invalid_topic, unsupported_compression,
//	invalid_required_acks, invalid_record, policy_violation,
//	tls_hostname, tls_untrusted, tls_handshake_refused, tls_plaintext,
//	unsupported_message_format (undeliverable)
//
// and transient ones:
//
//	broker_unreachable (connection refused, reset, closed), timeout,
//	leader_moved, not_enough_replicas, message_too_large, canceled
//	(shutdown), broker_error (another Kafka error code), other.
//
// Cause of nil is "".
func Cause(err error) string {
	if err == nil {
		return ""
	}
	if c := explain(err); c.key != "" {
		return c.key
	}
	// The most specific transient cause found anywhere in err wins.
	best, rank := "other", len(transientCauses)
	visit(err, func(e error) {
		if k := transientCause(e); k != "" {
			if r := slices.Index(transientCauses, k); r < rank {
				best, rank = k, r
			}
		}
	})
	return best
}

// transientCauses in order of precedence.
var transientCauses = []string{"message_too_large", "not_enough_replicas", "leader_moved", "broker_error",
	"timeout", "broker_unreachable", "canceled"}

// transientCause names err itself (not what it wraps), "" if it says nothing.
func transientCause(err error) string {
	if ke, ok := err.(kafka.Error); ok {
		switch ke {
		case kafka.MessageSizeTooLarge, kafka.RecordListTooLarge:
			return "message_too_large"
		case kafka.NotEnoughReplicas, kafka.NotEnoughReplicasAfterAppend:
			return "not_enough_replicas"
		case kafka.NotLeaderForPartition, kafka.LeaderNotAvailable, kafka.BrokerNotAvailable, kafka.FencedLeaderEpoch,
			kafka.UnknownLeaderEpoch, kafka.NotController:
			return "leader_moved"
		case kafka.RequestTimedOut:
			return "timeout"
		}
		return "broker_error"
	}
	timeout, _ := err.(interface{ Timeout() bool })
	switch {
	case err == context.DeadlineExceeded:
		return "timeout"
	case err == context.Canceled:
		return "canceled"
	case timeout != nil && timeout.Timeout():
		return "timeout"
	case err == syscall.ECONNREFUSED, err == syscall.ECONNRESET, err == syscall.EPIPE, err == syscall.EHOSTUNREACH,
		err == syscall.ENETUNREACH, err == io.EOF, err == io.ErrUnexpectedEOF, err == net.ErrClosed:
		return "broker_unreachable"
	}
	if _, ok := err.(*net.OpError); ok {
		return "broker_unreachable"
	}
	if _, ok := err.(*net.DNSError); ok {
		return "broker_unreachable"
	}
	return ""
}
