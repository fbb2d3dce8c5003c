// Package embedded runs an in-process Kafka-protocol broker (franz-go's kfake)
// on 127.0.0.1 and reads topics back with a real consumer. The command uses it
// when no brokers are configured; integration tests use it as their broker.
// Everything goes over TCP, speaking Kafka's wire protocol.
package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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

// Stored returns how many records topic holds: the sum of its partitions'
// end offsets, read straight from the broker (no consumer timing involved).
// Tests use it to prove that nothing beyond what they read was written.
func Stored(ctx context.Context, addrs []string, topic string, opts ...kgo.Opt) (int64, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...)}, opts...)...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return 0, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	if len(mresp.Topics) != 1 {
		return 0, fmt.Errorf("metadata of %s: %d topics in the answer", topic, len(mresp.Topics))
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		return 0, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p.Partition, -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	var n int64
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return 0, fmt.Errorf("end offset of %s/%d: %w", topic, rp.Partition, err)
			}
			n += rp.Offset
		}
	}
	return n, nil
}
