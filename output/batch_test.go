package output

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func testRecords(n int) []*record {
	recs := make([]*record, n)
	for i := range recs {
		recs[i] = &record{
			key:     fmt.Appendf(nil, "id-%d", i),
			value:   fmt.Appendf(nil, `{"auditID":"id-%d","verb":"get","user":{"username":"system:serviceaccount:kube-system:replicaset-controller"},"objectRef":{"resource":"pods","namespace":"team-%d"}}`, i, i%7),
			headers: []header{{"severity", []byte("info")}, {"cluster", nil}},
		}
	}
	return recs
}

// The header fields and CRC of every batch are what Kafka expects.
func TestBatchEncoding(t *testing.T) {
	recs := testRecords(100)
	for c := CompressionNone; c <= CompressionZstd; c++ {
		e, err := newBatchEncoder(c, 0)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := e.encode(recs, time.UnixMilli(1_700_000_000_000))
		if err != nil {
			t.Fatal(err)
		}
		full := *fp
		if got := binary.BigEndian.Uint32(full); int(got) != len(full)-sizePrefix {
			t.Fatalf("%s: size prefix %d for %d bytes", c, got, len(full)-sizePrefix)
		}
		var b kmsg.RecordBatch
		if err := b.ReadFrom(full[sizePrefix:]); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if b.Magic != 2 || b.NumRecords != 100 || b.LastOffsetDelta != 99 || int(b.Attributes&7) != int(e.code) ||
			b.FirstTimestamp != 1_700_000_000_000 || b.ProducerID != -1 || int(b.Length) != len(full)-sizePrefix-12 {
			t.Fatalf("%s: header %+v", c, b)
		}
		if crc := crc32.Checksum(full[sizePrefix+21:], crc32.MakeTable(crc32.Castagnoli)); uint32(b.CRC) != crc {
			t.Fatalf("%s: crc %x, want %x", c, b.CRC, crc)
		}
		if c == CompressionNone {
			uncompressed := recordBatchOverhead
			for i, r := range recs {
				uncompressed += r.encodedSize(i)
			}
			if uncompressed != len(full)-sizePrefix {
				t.Fatalf("encodedSize sums to %d, batch is %d", uncompressed, len(full)-sizePrefix)
			}
		}
	}
}

// compression_level reaches the codec: different levels give different
// output, and each decompresses to the same records (read back by a real
// consumer in the integration tests).
func TestCompressionLevelsApplied(t *testing.T) {
	recs := testRecords(2000)
	for _, tc := range []struct {
		c         Compression
		low, high int
	}{{CompressionGzip, 1, 9}, {CompressionZstd, 1, 9}, {CompressionLZ4, 0, 9}, {CompressionSnappy, 1, 3}} {
		sizes := map[int]int{}
		var outs [][]byte
		for _, level := range []int{tc.low, tc.high} {
			e, err := newBatchEncoder(tc.c, level)
			if err != nil {
				t.Fatal(err)
			}
			op, err := e.encode(recs, time.UnixMilli(0))
			if err != nil {
				t.Fatal(err)
			}
			out := *op
			sizes[level] = len(out)
			outs = append(outs, out)
		}
		if bytes.Equal(outs[0][sizePrefix+recordBatchOverhead:], outs[1][sizePrefix+recordBatchOverhead:]) {
			t.Errorf("%s: levels %d and %d give identical output (%v)", tc.c, tc.low, tc.high, sizes)
		}
		t.Logf("%s: %v bytes by level", tc.c, sizes)
	}
	for _, c := range []Compression{CompressionNone, CompressionGzip, CompressionSnappy, CompressionLZ4, CompressionZstd} {
		max := c.MaxLevel()
		if _, err := newBatchEncoder(c, max+1); err == nil {
			t.Errorf("%s accepted level %d", c, max+1)
		}
	}
}

// Oversized's fast path never says "fits" for a message that does not.
func TestOversizedBound(t *testing.T) {
	c := Config{MaxMessageBytes: 2048, Topic: "audit"}
	for _, fields := range []string{"", "x", strings.Repeat("y", 300)} {
		for n := 1500; n <= 2048; n++ {
			m := &Message{Value: make([]byte, n), AuditID: fields, Severity: fields, Cluster: fields, FormatVersion: fields, DeadLetter: fields}
			rec := NewRouter(c).records([]Message{*m})[0]
			exact := recordBatchOverhead+rec.encodedSize(0) > c.MaxMessageBytes
			if got := Oversized(c, m); got != exact {
				t.Fatalf("fields %d bytes, value %d: Oversized %v, exact %v", len(fields), n, got, exact)
			}
		}
	}
}

// BenchmarkBatchEncode measures encoding 100 audit-sized records into one
// batch, per codec, from parallel goroutines (as concurrent flushes do).
func BenchmarkBatchEncode(b *testing.B) {
	recs := testRecords(100)
	for i, r := range recs {
		r.value = fmt.Appendf(nil, `{"auditID":"id-%d","pad":%q}`, i, strings.Repeat("audit event body ", 80))
	}
	for c := CompressionNone; c <= CompressionZstd; c++ {
		b.Run(c.String(), func(b *testing.B) {
			e, err := newBatchEncoder(c, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					full, err := e.encode(recs, time.Now())
					if err != nil {
						b.Error(err)
						continue
					}
					e.release(full)
				}
			})
		})
	}
}

// Every codec's AppendCompressed and writer give data its own reader (and,
// for zstd, klauspost's and kafka-go's decoders) reads back; the zstd frames
// carry no content checksum (the batch CRC covers them, as with librdkafka).
func TestAppendCompressedRoundTrip(t *testing.T) {
	src := appendRecords(nil, testRecords(3000)) // > one 128 KB zstd block
	prefix := []byte("kept")
	for c := CompressionGzip; c <= CompressionZstd; c++ {
		for _, level := range []int{0, 1} {
			codec, err := NewCodec(c, level)
			if err != nil {
				t.Fatal(err)
			}
			out, err := AppendCompressed(codec, bytes.Clone(prefix), src)
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("%s: dst prefix lost", c)
			}
			var viaWriter bytes.Buffer
			w := codec.NewWriter(&viaWriter)
			for rest := src; len(rest) > 0; rest = rest[min(len(rest), 7777):] { // in pieces
				if _, err := w.Write(rest[:min(len(rest), 7777)]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for name, comp := range map[string][]byte{"append": out[len(prefix):], "writer": viaWriter.Bytes()} {
				r := codec.NewReader(bytes.NewReader(comp))
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(got, src) {
					t.Fatalf("%s level %d %s: read back %d bytes (err %v), want %d", c, level, name, len(got), err, len(src))
				}
				if c != CompressionZstd {
					continue
				}
				dec, _ := zstd.NewReader(nil)
				got, err = dec.DecodeAll(comp, nil)
				dec.Close()
				if err != nil || !bytes.Equal(got, src) {
					t.Fatalf("zstd %s: klauspost decoder: %v", name, err)
				}
				// Frame header descriptor: bit 2 is Content_Checksum_flag.
				if len(comp) < 5 || binary.LittleEndian.Uint32(comp) != 0xFD2FB528 || comp[4]&4 != 0 {
					t.Fatalf("zstd %s: not a checksum-less zstd frame: % x", name, comp[:min(len(comp), 8)])
				}
			}
		}
	}
}

// refRecord is a record built field by field, each value its own
// allocation: what Router.records must equal.
func refRecord(r Router, m *Message, i int) record {
	ct := m.ContentType
	if ct == "" {
		ct = ContentTypeJSON
	}
	hs := []header{{HeaderAuditID, []byte(m.AuditID)}, {HeaderSeverity, []byte(m.Severity)}, {HeaderCluster, []byte(m.Cluster)},
		{HeaderContentType, []byte(ct)}, {HeaderFormatVersion, []byte(m.FormatVersion)}}
	if m.DeadLetter != "" {
		hs = append(hs, header{HeaderDLQReason, []byte(m.DeadLetter)})
	}
	return record{key: r.Key(m), value: m.Value, headers: hs, index: i}
}

// The records of a write, carved from shared buffers, encode exactly as
// records built one allocation per field: same keys (nil when empty, which
// spreads the message over partitions), same headers (an empty value is
// empty, not null), same bytes in a batch.
func TestRecordsOfAWrite(t *testing.T) {
	msgs := []Message{
		{Value: []byte(`{"a":1}`), AuditID: "id-1", User: "alice", Namespace: "team-a", Severity: "high", Cluster: "prod", FormatVersion: "1"},
		{Value: []byte(`{}`), AuditID: "", User: "", Namespace: "", Severity: "", Cluster: "", ContentType: "application/x-stub"},
		{Value: []byte(`{"b":2}`), AuditID: "id-3", Severity: "info", DeadLetter: "too_large"},
		{Value: nil, AuditID: "id-4", Namespace: "kube-system", Cluster: "c", FormatVersion: "1"},
	}
	for _, key := range []MessageKey{KeyAuditID, KeyUser, KeyNamespace, KeyNone} {
		r := NewRouter(Config{MessageKey: key, Topic: "audit"})
		got := r.records(msgs)
		var gotPtrs, wantPtrs []*record
		for i := range msgs {
			want := refRecord(r, &msgs[i], i)
			g := got[i]
			if (g.key == nil) != (want.key == nil) || !bytes.Equal(g.key, want.key) || g.index != i || !bytes.Equal(g.value, want.value) {
				t.Fatalf("key %s, message %d: got key %q (nil %v), want %q (nil %v)", key, i, g.key, g.key == nil, want.key, want.key == nil)
			}
			if len(g.headers) != len(want.headers) {
				t.Fatalf("key %s, message %d: %d headers, want %d", key, i, len(g.headers), len(want.headers))
			}
			for j, h := range g.headers {
				if h.key != want.headers[j].key || !bytes.Equal(h.value, want.headers[j].value) || h.value == nil {
					t.Fatalf("key %s, message %d, header %d: %q=%q (nil %v), want %q=%q", key, i, j, h.key, h.value, h.value == nil, want.headers[j].key, want.headers[j].value)
				}
			}
			gotPtrs, wantPtrs = append(gotPtrs, &got[i]), append(wantPtrs, &want)
		}
		if g, w := appendRecords(nil, gotPtrs), appendRecords(nil, wantPtrs); !bytes.Equal(g, w) {
			t.Fatalf("key %s: batch bytes differ", key)
		}
		// Appending to one record's headers cannot overwrite the next's.
		if h := got[0].headers; cap(h) != len(h) {
			t.Fatalf("headers slice has spare capacity %d", cap(h)-len(h))
		}
	}
}

// TestVarintLen: varintLen is the length binary.AppendVarint writes.
func TestVarintLen(t *testing.T) {
	vals := []int64{0, -1, 1, 63, 64, -64, -65, 8191, 8192, math.MaxInt64, math.MinInt64}
	for s := range 64 {
		vals = append(vals, 1<<s, 1<<s-1, -(1 << s), -(1<<s)-1)
	}
	for _, v := range vals {
		if got, want := varintLen(v), len(binary.AppendVarint(nil, v)); got != want {
			t.Errorf("varintLen(%d) = %d, want %d", v, got, want)
		}
	}
}
