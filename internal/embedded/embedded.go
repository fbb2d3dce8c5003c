// Package embedded runs an in-process Kafka-protocol broker (franz-go's kfake)
// on 127.0.0.1 and reads topics back with a real consumer. The command uses it
// when no brokers are configured; integration tests use it as their broker.
// Everything goes over TCP, speaking Kafka's wire protocol.
package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Broker is a running embedded cluster.
type Broker struct {
	c *kfake.Cluster
}

// Start starts a one-broker cluster on a free port of 127.0.0.1. The given
// topics are created with partitions partitions each; extra options are
// passed to kfake (TLS, SASL, data dir…).
func Start(partitions int32, topics []string, opts ...kfake.Opt) (*Broker, error) {
	all := append([]kfake.Opt{kfake.NumBrokers(1), kfake.ListenFn(listenLoopback)}, opts...)
	if len(topics) > 0 {
		all = append(all, kfake.SeedTopics(partitions, topics...))
	}
	c, err := kfake.NewCluster(all...)
	if err != nil {
		return nil, fmt.Errorf("start embedded broker: %w", err)
	}
	return &Broker{c: c}, nil
}

// Addrs returns the host:port of each broker.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Cluster exposes the kfake cluster for fault injection in tests.
func (b *Broker) Cluster() *kfake.Cluster { return b.c }

// Close stops the broker.
func (b *Broker) Close() { b.c.Close() }

// Consume reads topics from the start until want records arrived, nothing
// new arrived for idle, or ctx ends. Extra client options (TLS, SASL) may be
// given.
func Consume(ctx context.Context, addrs []string, topics []string, want int, idle time.Duration, opts ...kgo.Opt) ([]*kgo.Record, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(addrs...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []*kgo.Record
	for want <= 0 || len(out) < want {
		pctx, cancel := context.WithTimeout(ctx, idle)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return out, err
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		for _, fe := range fs.Errors() {
			if fe.Err != context.DeadlineExceeded && fe.Err != context.Canceled {
				return out, fmt.Errorf("consume %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
			}
		}
		if n == 0 {
			break // idle
		}
	}
	return out, nil
}
