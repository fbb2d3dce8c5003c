package output_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"

	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want output.Kind
	}{
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, output.Transient},
		{io.ErrUnexpectedEOF, output.Transient},
		{context.DeadlineExceeded, output.Transient},
		{kafka.NotEnoughReplicas, output.Transient},
		{kafka.NotEnoughReplicasAfterAppend, output.Transient},
		{kafka.NotLeaderForPartition, output.Transient},
		{kafka.LeaderNotAvailable, output.Transient},
		{kafka.RequestTimedOut, output.Transient},
		{kafka.BrokerNotAvailable, output.Transient},
		{kafka.SASLAuthenticationFailed, output.Permanent},
		{kafka.UnsupportedSASLMechanism, output.Permanent},
		{kafka.TopicAuthorizationFailed, output.Permanent},
		{kafka.ClusterAuthorizationFailed, output.Permanent},
		{kafka.UnknownTopicOrPartition, output.Permanent},
		{kafka.UnsupportedCompressionType, output.Permanent},
		{kafka.InvalidRecord, output.Permanent},
		{x509.UnknownAuthorityError{}, output.Permanent},
		{kafka.UnsupportedForMessageFormat, output.Undeliverable},
		// Several partitions failed: the most severe cause decides.
		{errors.Join(fmt.Errorf("audit/0: %w", kafka.NotEnoughReplicas), fmt.Errorf("alerts/1: %w", kafka.TopicAuthorizationFailed)), output.Permanent},
		{fmt.Errorf("produce: %w", fmt.Errorf("%w: detail", kafka.TopicAuthorizationFailed)), output.Permanent},
		{&output.Error{Kind: output.Undeliverable, Err: io.EOF}, output.Undeliverable},
	} {
		if got := output.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestCause(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	readTimeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{refused, "broker_unreachable"},
		{fmt.Errorf("kafka.(*Client).Metadata: %w", refused), "broker_unreachable"},
		{io.ErrUnexpectedEOF, "broker_unreachable"},
		{syscall.ECONNRESET, "broker_unreachable"},
		{readTimeout, "timeout"},
		{context.DeadlineExceeded, "timeout"},
		{kafka.RequestTimedOut, "timeout"},
		{context.Canceled, "canceled"},
		{kafka.NotLeaderForPartition, "leader_moved"},
		{kafka.NotEnoughReplicasAfterAppend, "not_enough_replicas"},
		{kafka.MessageSizeTooLarge, "message_too_large"},
		{kafka.InvalidMessage, "broker_error"},
		{errors.New("something else"), "other"},
		{kafka.SASLAuthenticationFailed, "auth_failed"},
		{kafka.UnsupportedSASLMechanism, "sasl_mechanism"},
		{kafka.TopicAuthorizationFailed, "topic_authorization"},
		{kafka.ClusterAuthorizationFailed, "cluster_authorization"},
		{kafka.UnknownTopicOrPartition, "unknown_topic"},
		{kafka.InvalidRecord, "invalid_record"},
		{x509.UnknownAuthorityError{}, "tls_untrusted"},
		{x509.HostnameError{}, "tls_hostname"},
		{kafka.UnsupportedForMessageFormat, "unsupported_message_format"},
		// A permanent cause anywhere wins; among transient ones the most
		// specific.
		{errors.Join(fmt.Errorf("audit/0: %w", kafka.NotEnoughReplicas), fmt.Errorf("alerts/1: %w", kafka.TopicAuthorizationFailed)), "topic_authorization"},
		{errors.Join(fmt.Errorf("audit/0: %w", refused), fmt.Errorf("audit/1: %w", kafka.NotLeaderForPartition)), "leader_moved"},
		{&output.Error{Kind: output.Transient, Err: fmt.Errorf("audit/0: %w", readTimeout)}, "timeout"},
	} {
		if got := output.Cause(tc.err); got != tc.want {
			t.Errorf("Cause(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// The causes of real failures against a broker over TCP.
func TestCauseOfRealFailures(t *testing.T) {
	b := startBroker(t, 1, []string{"audit"})
	w := newWriter(t, conf.MapGetter{"brokers": b.Addrs()[0], "topic": "missing"}, nil)
	if c := output.Cause(w.Write(context.Background(), messages("x", 1, "info"))); c != "unknown_topic" {
		t.Errorf("unknown topic: cause %q", c)
	}
	down := newWriter(t, conf.MapGetter{"brokers": fmt.Sprintf("127.0.0.1:%d", freePort(t)), "topic": "audit"}, nil)
	if c := output.Cause(down.Write(context.Background(), messages("x", 1, "info"))); c != "broker_unreachable" {
		t.Errorf("broker down: cause %q", c)
	}
	sb := startBroker(t, 1, []string{"audit"}, kfake.EnableSASL(), kfake.Superuser("PLAIN", "shipper", "right"))
	bad := newWriter(t, conf.MapGetter{"brokers": sb.Addrs()[0], "topic": "audit", "sasl_mechanism": "PLAIN", "sasl_username": "shipper", "sasl_password": "wrong"}, nil)
	if c := output.Cause(bad.Write(context.Background(), messages("x", 1, "info"))); c != "auth_failed" {
		t.Errorf("wrong password: cause %q", c)
	}
}
