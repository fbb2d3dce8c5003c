package output_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"

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
