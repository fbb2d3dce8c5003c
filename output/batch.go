package output

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go/compress"
	kgzip "github.com/segmentio/kafka-go/compress/gzip"
	ksnappy "github.com/segmentio/kafka-go/compress/snappy"
)

// The writer encodes Kafka record batches (message format v2) itself and
// sends them with kafka-go's RawProduce. kafka-go's Writer and ProduceRequest
// always compress through the process-wide codec table of its compress
// package, so a compression level there could only be set by mutating a
// library global shared by every plugin instance. Encoding the batch here lets
// each instance own codecs built with its level, and lets the writer measure
// the exact size of every batch against the broker's limit.

// recordBatchOverhead is the size of a v2 record batch header, from the base
// offset to the record count.
const recordBatchOverhead = 61

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is one Kafka record header.
type header struct {
	key   string
	value []byte
}

// record is one message as encoded in a batch.
type record struct {
	key     []byte // nil: no key
	value   []byte
	headers []header
	index   int // position in the Write call's slice
	group   int // its destination: an index into what group returns
}

// encodedSize is the record's size inside an uncompressed batch, at
// position offsetDelta in it.
func (r *record) encodedSize(offsetDelta int) int {
	body := r.bodySize(offsetDelta)
	return varintLen(int64(body)) + body
}

func (r *record) bodySize(offsetDelta int) int {
	n := 1 + varintLen(0) + varintLen(int64(offsetDelta)) // attributes, timestamp delta, offset delta
	n += bytesLen(r.key) + bytesLen(r.value)
	n += varintLen(int64(len(r.headers)))
	for _, h := range r.headers {
		n += varintLen(int64(len(h.key))) + len(h.key) + bytesLen(h.value)
	}
	return n
}

func bytesLen(b []byte) int {
	if b == nil {
		return varintLen(-1)
	}
	return varintLen(int64(len(b))) + len(b)
}

// varintLen is the length of v as binary.AppendVarint writes it: 7 bits
// of its zigzag encoding per byte.
func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	return (bits.Len64(u|1) + 6) / 7
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// appendRecords appends the records in the v2 record encoding. Every record
// of a batch shares the batch's timestamp (delta 0).
func appendRecords(dst []byte, recs []*record) []byte {
	for i, r := range recs {
		dst = binary.AppendVarint(dst, int64(r.bodySize(i)))
		dst = append(dst, 0) // record attributes
		dst = binary.AppendVarint(dst, 0)
		dst = binary.AppendVarint(dst, int64(i))
		dst = appendBytes(dst, r.key)
		dst = appendBytes(dst, r.value)
		dst = binary.AppendVarint(dst, int64(len(r.headers)))
		for _, h := range r.headers {
			dst = binary.AppendVarint(dst, int64(len(h.key)))
			dst = append(dst, h.key...)
			dst = appendBytes(dst, h.value)
		}
	}
	return dst
}

// batchEncoder builds record batches with one instance's codec.
type batchEncoder struct {
	code    int8           // Kafka's attribute bits for the codec; 0: none
	codec   compress.Codec // nil for none
	bufs    sync.Pool      // *[]byte for uncompressed records
	batches sync.Pool      // *[]byte for finished batches (encode, release)
}

func newBatchEncoder(c Compression, level int) (*batchEncoder, error) {
	codec, err := NewCodec(c, level)
	if err != nil {
		return nil, err
	}
	e := &batchEncoder{codec: codec}
	if codec != nil {
		e.code = codec.Code()
	}
	return e, nil
}

// NewCodec is the codec the writer compresses record batches with: kafka-go's
// codec for c (klauspost's implementations for gzip, snappy and zstd) at
// level (0: the codec's default). It is nil for compression none.
func NewCodec(c Compression, level int) (compress.Codec, error) {
	switch c {
	case CompressionNone:
		if level != 0 {
			return nil, fmt.Errorf("compression none takes no level")
		}
		return nil, nil
	case CompressionGzip:
		if level < 0 || level > 9 {
			return nil, fmt.Errorf("gzip levels are 1-9 (0: default 6), got %d", level)
		}
		return &kgzip.Codec{Level: level}, nil
	case CompressionSnappy:
		if level < 0 || level > 3 {
			return nil, fmt.Errorf("snappy levels are 1 (faster), 2 (better), 3 (best) (0: default), got %d", level)
		}
		return &ksnappy.Codec{Compression: ksnappy.Compression(level)}, nil
	case CompressionLZ4:
		if level < 0 || level > 9 {
			return nil, fmt.Errorf("lz4 levels are 1-9 (0: fast), got %d", level)
		}
		return newLZ4Codec(level), nil
	case CompressionZstd:
		if level < 0 || level > 9 {
			return nil, fmt.Errorf("zstd levels are 1-9 (0: default 3), got %d", level)
		}
		return newZstdCodec(level), nil
	}
	return nil, fmt.Errorf("unknown compression %d", c)
}

// sizePrefix is the int32 length that precedes a record set in a produce
// request; kafka-go's RawRecordSet carries it.
const sizePrefix = 4

// encode returns one v2 record batch holding recs, preceded by its int32
// length as a produce request carries it: the batch is (*full)[sizePrefix:],
// in a pooled buffer. Give it back with release once nothing reads it; a
// batch never released is left to the collector (a timed-out request may
// still hold it).
func (e *batchEncoder) encode(recs []*record, now time.Time) (full *[]byte, err error) {
	bp, _ := e.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	raw := appendRecords((*bp)[:0], recs)
	defer func() { *bp = raw[:0]; e.bufs.Put(bp) }()

	full, _ = e.batches.Get().(*[]byte)
	if full == nil {
		full = new([]byte)
	}
	out := append((*full)[:0], make([]byte, sizePrefix+recordBatchOverhead)...)
	if e.codec == nil {
		out = append(out, raw...)
	} else if out, err = AppendCompressed(e.codec, out, raw); err != nil {
		e.batches.Put(full)
		return nil, fmt.Errorf("compress batch: %w", err)
	}
	*full = e.finish(out, len(recs), now)
	return full, nil
}

// maxPooledBatch bounds the batch buffers kept for reuse.
const maxPooledBatch = 8 << 20

// release gives back a batch from encode, once nothing reads it any more.
func (e *batchEncoder) release(full *[]byte) {
	if cap(*full) <= maxPooledBatch {
		e.batches.Put(full)
	}
}

// finish fills in the size prefix and the batch header of full, whose
// records start at sizePrefix+recordBatchOverhead.
func (e *batchEncoder) finish(full []byte, n int, now time.Time) []byte {
	binary.BigEndian.PutUint32(full, uint32(len(full)-sizePrefix))
	out := full[sizePrefix:]
	ts := now.UnixMilli()
	be := binary.BigEndian
	be.PutUint64(out[0:], 0)                   // base offset
	be.PutUint32(out[8:], uint32(len(out)-12)) // batch length
	be.PutUint32(out[12:], 0xffffffff)         // partition leader epoch -1
	out[16] = 2                                // magic
	be.PutUint16(out[21:], uint16(e.code))     // attributes: codec, create time
	be.PutUint32(out[23:], uint32(n-1))        // last offset delta
	be.PutUint64(out[27:], uint64(ts))         // first timestamp
	be.PutUint64(out[35:], uint64(ts))         // max timestamp
	be.PutUint64(out[43:], 0xffffffffffffffff) // producer id -1
	be.PutUint16(out[51:], 0xffff)             // producer epoch -1
	be.PutUint32(out[53:], 0xffffffff)         // base sequence -1
	be.PutUint32(out[57:], uint32(n))          // record count
	be.PutUint32(out[17:], crc32.Checksum(out[21:], castagnoli))
	return full
}

// lz4Codec is kafka-go's lz4 codec (the LZ4 frame format Kafka uses) with a
// compression level, which kafka-go's own lz4 codec does not offer.
type lz4Codec struct {
	level lz4.CompressionLevel
	pool  sync.Pool
}

func newLZ4Codec(level int) *lz4Codec {
	c := &lz4Codec{level: lz4.Fast}
	if level > 0 {
		c.level = lz4.CompressionLevel(1 << (8 + level))
	}
	return c
}

func (c *lz4Codec) Code() int8   { return compress.Lz4.Codec().Code() }
func (c *lz4Codec) Name() string { return "lz4" }

func (c *lz4Codec) NewReader(r io.Reader) io.ReadCloser { return compress.Lz4.Codec().NewReader(r) }

func (c *lz4Codec) NewWriter(w io.Writer) io.WriteCloser {
	z, _ := c.pool.Get().(*lz4.Writer)
	if z == nil {
		z = lz4.NewWriter(w)
	} else {
		z.Reset(w)
	}
	if err := z.Apply(lz4.CompressionLevelOption(c.level)); err != nil {
		return errWriter{err}
	}
	return &lz4Writer{Writer: z, c: c}
}

type lz4Writer struct {
	*lz4.Writer
	c *lz4Codec
}

func (w *lz4Writer) Close() error {
	err := w.Writer.Close()
	w.Writer.Reset(nil)
	w.c.pool.Put(w.Writer)
	return err
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
func (w errWriter) Close() error              { return w.err }

// AppendCompressed appends src compressed with codec to dst: in one call
// for the codecs that compress a whole buffer at once (zstd), through the
// codec's writer otherwise.
func AppendCompressed(codec compress.Codec, dst, src []byte) ([]byte, error) {
	if c, ok := codec.(interface {
		appendCompressed(dst, src []byte) ([]byte, error)
	}); ok {
		return c.appendCompressed(dst, src)
	}
	bw := bytes.NewBuffer(dst)
	zw := codec.NewWriter(bw)
	if _, err := zw.Write(src); err != nil {
		zw.Close()
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return bw.Bytes(), nil
}

// zstdCodec compresses a batch with one EncodeAll call of klauspost's zstd
// encoder at the instance's level: the same frames as kafka-go's zstd codec
// (which streams through the same encoder), without its streaming overhead,
// and without the frame's optional content checksum, as librdkafka writes
// them (ZSTD_c_checksumFlag is off by default): the record batch carries its
// own CRC-32C over the compressed bytes. Any zstd decoder reads these frames.
//
// The window is 1 MB, the default max_message_bytes, instead of the 8 MB of
// level 3: a batch rarely refers back further, and an encoder then holds
// about 5 MB instead of 19 MB (and a consumer's decoder less too).
type zstdCodec struct {
	level zstd.EncoderLevel
	pool  sync.Pool // *zstd.Encoder, one per concurrent flush
}

const zstdWindow = 1 << 20

func newZstdCodec(level int) *zstdCodec {
	if level == 0 {
		level = 3 // zstd's (and librdkafka's) default
	}
	return &zstdCodec{level: zstd.EncoderLevelFromZstd(level)}
}

func (c *zstdCodec) Code() int8   { return compress.Zstd.Codec().Code() }
func (c *zstdCodec) Name() string { return "zstd" }

func (c *zstdCodec) NewReader(r io.Reader) io.ReadCloser { return compress.Zstd.Codec().NewReader(r) }

// NewWriter buffers what is written and compresses it on Close.
func (c *zstdCodec) NewWriter(w io.Writer) io.WriteCloser { return &zstdWriter{c: c, w: w} }

func (c *zstdCodec) appendCompressed(dst, src []byte) ([]byte, error) {
	enc, _ := c.pool.Get().(*zstd.Encoder)
	if enc == nil {
		var err error
		enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(c.level), zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true), zstd.WithWindowSize(zstdWindow))
		if err != nil {
			return nil, err
		}
	}
	dst = enc.EncodeAll(src, dst)
	c.pool.Put(enc)
	return dst, nil
}

type zstdWriter struct {
	c   *zstdCodec
	w   io.Writer
	buf []byte
}

func (w *zstdWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *zstdWriter) Close() error {
	out, err := w.c.appendCompressed(nil, w.buf)
	if err != nil {
		return err
	}
	_, err = w.w.Write(out)
	return err
}
