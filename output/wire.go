package output

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// wireCounter counts the bytes written to broker connections: the record
// batches after compression, with Kafka protocol overhead (and TLS framing,
// which kafka-go adds on top of the dialled connection).
type wireCounter struct {
	n      atomic.Int64
	dialer net.Dialer
}

func newWireCounter(timeout time.Duration) *wireCounter {
	return &wireCounter{dialer: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}}
}

func (w *wireCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := w.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &w.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// WireBytes is how many bytes the writer sent to the brokers so far.
func (w *Writer) WireBytes() int64 { return w.wire.n.Load() }
