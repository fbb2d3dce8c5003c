package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
)

// Header names set on every message.
const (
	HeaderAuditID       = "audit_id"
	HeaderSeverity      = "severity"
	HeaderCluster       = "cluster"
	HeaderContentType   = "content_type"
	HeaderFormatVersion = "format_version"
	// HeaderDLQReason is set on dead-letter messages only.
	HeaderDLQReason = "dlq_reason"
)

// ContentTypeJSON is the content type of every format the plugin writes.
const ContentTypeJSON = "application/json"

// Message is one record to ship. The pipeline fills it; the writer picks the
// topic, key and headers from its fields.
type Message struct {
	Value     []byte
	AuditID   string
	Severity  string
	User      string
	Namespace string
	// Cluster, ContentType and FormatVersion go to headers of the same
	// names; ContentType "" means application/json.
	Cluster       string
	ContentType   string
	FormatVersion string
	// Summary, Stage and StageTime describe the event in a dead-letter stub
	// standing for it.
	Summary   string
	Stage     string
	StageTime time.Time
	// DeadLetter, when set, is why this message is a dead-letter stub: it
	// goes to dlq_topic with the reason in a dlq_reason header.
	DeadLetter string

	// Refused is set by Writer.Write when the broker refused this message
	// alone as too large (its topic's limit is below max_message_bytes). The
	// write still succeeds for the other messages; the caller decides what
	// becomes of this one.
	Refused bool
}

// Router decides where a message goes and how it is keyed. It is pure: the
// writer uses it, and so does the command's dry run.
type Router struct{ cfg Config }

// NewRouter builds a router from validated configuration.
func NewRouter(c Config) Router { return Router{cfg: c} }

// Topic is the topic a message is written to: dlq_topic for dead letters,
// the topics_by_severity route of its severity, else topic.
func (r Router) Topic(m *Message) string {
	if m.DeadLetter != "" && r.cfg.DLQTopic != "" {
		return r.cfg.DLQTopic
	}
	if t, ok := r.cfg.TopicsBySeverity[m.Severity]; ok {
		return t
	}
	return r.cfg.Topic
}

// Key is the message key, nil for message_key none or when the chosen field
// is empty (a cluster-scoped resource has no namespace): such messages are
// spread over the partitions.
func (r Router) Key(m *Message) []byte {
	if k := r.key(m); k != "" {
		return []byte(k)
	}
	return nil
}

func (r Router) key(m *Message) string {
	switch r.cfg.MessageKey {
	case KeyAuditID:
		return m.AuditID
	case KeyUser:
		return m.User
	case KeyNamespace:
		return m.Namespace
	}
	return ""
}

// Headers are the Kafka headers of a message.
func (r Router) Headers(m *Message) []kafka.Header {
	hs := r.records([]Message{*m})[0].headers
	out := make([]kafka.Header, len(hs))
	for i, h := range hs {
		out[i] = kafka.Header{Key: h.key, Value: h.value}
	}
	return out
}

// records builds the records of msgs, in order, in memory of their own.
func (r Router) records(msgs []Message) []record {
	return r.fill(new(recordSet), msgs)
}

// recordSet is the memory of one write's records: their keys and header
// values carved from one buffer, the headers of all records in one slice,
// and the records grouped by destination in one slice of pointers. The
// Writer and the Batcher pool them, so a steady stream of writes allocates
// none of it per flush.
type recordSet struct {
	recs []record
	hdrs []header
	buf  []byte
	ptrs []*record
}

// maxPooledRecords bounds the records a pooled set keeps room for: an
// unusually large write does not pin its memory.
const maxPooledRecords = 1 << 16

// release drops the set's references to a write's messages; it returns
// false when the set is too large to keep.
func (rs *recordSet) release() bool {
	if cap(rs.recs) > maxPooledRecords {
		return false
	}
	clear(rs.recs[:cap(rs.recs)])
	clear(rs.hdrs[:cap(rs.hdrs)])
	clear(rs.ptrs[:cap(rs.ptrs)])
	return true
}

// recordSets pools recordSets: one per concurrent write.
type recordSets struct{ pool sync.Pool }

func (p *recordSets) get() *recordSet {
	if rs, ok := p.pool.Get().(*recordSet); ok {
		return rs
	}
	return new(recordSet)
}

func (p *recordSets) put(rs *recordSet) {
	if rs.release() {
		p.pool.Put(rs)
	}
}

// fill builds the records of msgs into rs, in order.
func (r Router) fill(rs *recordSet, msgs []Message) []record {
	size := 1
	for i := range msgs {
		m := &msgs[i]
		size += len(r.key(m)) + len(m.AuditID) + len(m.Severity) + len(m.Cluster) + len(contentType(m)) +
			len(m.FormatVersion) + len(m.DeadLetter)
	}
	buf := slices.Grow(rs.buf[:0], size) // never grows below: every slice is into it, and none is nil
	carve := func(s string) []byte {
		off := len(buf)
		buf = append(buf, s...)
		return buf[off:len(buf):len(buf)]
	}
	recs := slices.Grow(rs.recs[:0], len(msgs))[:len(msgs)]
	hdrs := slices.Grow(rs.hdrs[:0], 6*len(msgs))
	for i := range msgs {
		m := &msgs[i]
		rec := &recs[i]
		*rec = record{index: i, value: m.Value}
		if k := r.key(m); k != "" {
			rec.key = carve(k)
		}
		from := len(hdrs)
		hdrs = append(hdrs,
			header{HeaderAuditID, carve(m.AuditID)},
			header{HeaderSeverity, carve(m.Severity)},
			header{HeaderCluster, carve(m.Cluster)},
			header{HeaderContentType, carve(contentType(m))},
			header{HeaderFormatVersion, carve(m.FormatVersion)},
		)
		if m.DeadLetter != "" {
			hdrs = append(hdrs, header{HeaderDLQReason, carve(m.DeadLetter)})
		}
		rec.headers = hdrs[from:len(hdrs):len(hdrs)]
	}
	rs.recs, rs.hdrs, rs.buf = recs, hdrs, buf
	return recs
}

// group sorts recs by destination (dest gives each record's), in the order
// destinations first appear and, within one, in the order of recs: the
// groups are windows of rs.ptrs.
func group[K comparable](rs *recordSet, recs []record, dest func(i int) K) (keys []K, groups [][]*record) {
	at := map[K]int{}
	var counts []int
	for i := range recs {
		k := dest(i)
		g, ok := at[k]
		if !ok {
			g = len(keys)
			at[k] = g
			keys = append(keys, k)
			counts = append(counts, 0)
		}
		recs[i].group = g
		counts[g]++
	}
	ptrs := slices.Grow(rs.ptrs[:0], len(recs))[:len(recs)]
	groups = make([][]*record, len(keys))
	off := 0
	for g, n := range counts {
		groups[g] = ptrs[off : off : off+n]
		off += n
	}
	for i := range recs {
		g := recs[i].group
		groups[g] = append(groups[g], &recs[i])
	}
	rs.ptrs = ptrs
	return keys, groups
}

func contentType(m *Message) string {
	if m.ContentType == "" {
		return ContentTypeJSON
	}
	return m.ContentType
}

// Writer ships messages to Kafka. Safe for concurrent use: concurrent
// Writes encode, compress and send in parallel over shared connections.
type Writer struct {
	cfg    Config
	router Router
	tr     *kafka.Transport
	client *kafka.Client
	enc    *batchEncoder
	log    *slog.Logger
	causes causeLog
	auth   *watchedSASL  // nil without SASL
	wire   *wireCounter  // bytes sent to the brokers (metrics)
	sticky atomic.Uint32 // rotates the partition of unkeyed messages, one per write
	sets   recordSets
}

// New builds a writer: codecs, TLS (certificates loaded now) and SASL. It
// does not connect: the first Write does. Errors are a fielderr.List
// naming each field of c (conf names the properties).
func New(c Config, log *slog.Logger) (*Writer, error) {
	var l fielderr.List
	if err := c.Validate(); err != nil {
		l = append(l, err.(fielderr.List)...)
	}
	if len(c.Brokers) == 0 {
		l.Addf("output.Brokers", "required: at least one host:port")
	}
	enc, err := newBatchEncoder(c.Compression, c.CompressionLevel)
	if err != nil && !l.Has("output.CompressionLevel") {
		l.Add("output.CompressionLevel", err)
	}
	tlsCfg := tlsConfig(c.TLS, &l)
	mech, err := saslMechanism(c.SASL)
	if err != nil {
		l.Add("output.SASL.Mechanism", err)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	if tlsCfg != nil && tlsCfg.InsecureSkipVerify {
		log.Warn("TLS_INSECURE_SKIP_VERIFY IS ON: the brokers' certificates are NOT verified; anyone on the network path can read and alter audit events and capture the SASL credentials. Use it for testing only; set tls_ca_file instead")
	}
	if c.RequiredAcks == AcksNone {
		log.Warn("required_acks none: the broker does not confirm writes, so delivery is unconfirmed and events can be lost silently; use all")
	}
	if c.SASL.Mechanism == SASLPlain && tlsCfg == nil {
		log.Warn("sasl_mechanism PLAIN without tls: the password crosses the network in clear text; set tls_enabled on")
	}
	wire := newWireCounter(connectTimeout(c))
	tr := &kafka.Transport{
		Dial: wire.dial,
		// Only our topics' metadata is fetched and cached, not the cluster's.
		MetadataTopics: c.Topics(),
		ClientID:       c.ClientID,
		// write_timeout is the longest wait for the broker, whatever part
		// of the flush it is spent in: connecting (TCP, TLS, API versions,
		// SASL) and the metadata request get all of it, not kafka-go's
		// shorter defaults (a silent broker would fail a flush after 6 s
		// with write_timeout 20s).
		DialTimeout: c.WriteTimeout,
		MetadataTTL: max(c.WriteTimeout, minMetadataTTL),
		TLS:         tlsCfg,
	}
	var auth *watchedSASL
	if mech != nil {
		auth = &watchedSASL{Mechanism: mech}
		tr.SASL = auth
	}
	w := &Writer{
		cfg:    c,
		router: NewRouter(c),
		tr:     tr,
		client: &kafka.Client{Addr: kafka.TCP(c.Brokers...), Transport: tr, Timeout: c.WriteTimeout},
		enc:    enc,
		log:    log,
		auth:   auth,
		wire:   wire,
	}
	w.causes.seen = map[string]bool{}
	return w, nil
}

// minMetadataTTL is kafka-go's default metadata TTL: the cached metadata is
// refreshed at random within it, and the refresh request may take as long.
// A failed write refreshes it at once (Writer.reset).
const minMetadataTTL = 6 * time.Second

// connectTimeout bounds one TCP connect to one broker address. With several
// bootstrap brokers each gets an equal share of write_timeout (at least 2 s,
// plenty for a TCP handshake), so a black-holed first address leaves time
// for the next one within the same flush; with one, it gets all of it.
func connectTimeout(c Config) time.Duration {
	n := max(len(c.Brokers), 1)
	return max(c.WriteTimeout/time.Duration(n), min(c.WriteTimeout, 2*time.Second))
}

// Router returns the writer's router.
func (w *Writer) Router() Router { return w.router }

// Oversized reports whether m, alone in a record batch with its key and
// headers, is above max_message_bytes before compression. The pipeline
// truncates such events, then dead-letters them.
func (w *Writer) Oversized(m *Message) bool { return Oversized(w.cfg, m) }

// Oversized is Writer.Oversized for a configuration.
func Oversized(c Config, m *Message) bool {
	// Fast path: 256 bytes cover the header names, varints and record
	// framing; every field counted twice covers key and header values.
	bound := recordBatchOverhead + 256 + len(m.Value) + 2*(len(m.AuditID)+len(m.User)+len(m.Namespace)+
		len(m.Severity)+len(m.Cluster)+len(m.ContentType)+len(ContentTypeJSON)+len(m.FormatVersion)+len(m.DeadLetter))
	if bound <= c.MaxMessageBytes {
		return false
	}
	rec := NewRouter(c).records([]Message{*m})[0]
	return recordBatchOverhead+rec.encodedSize(0) > c.MaxMessageBytes
}

type topicPartition struct {
	topic     string
	partition int
}

// Write ships msgs and returns once the broker acknowledged all of them, or
// with an *Error that says whether to retry. A message the broker refuses
// alone as too large is marked Refused and does not fail the write.
// Write copies what it sends into its own record batches: it keeps no
// reference to msgs or their Values once it returns, whatever the outcome,
// so the caller may reuse their memory at once.
func (w *Writer) Write(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()

	var topics []string
	seen := map[string]bool{}
	for i := range msgs {
		msgs[i].Refused = false
		if t := w.router.Topic(&msgs[i]); !seen[t] {
			seen[t] = true
			topics = append(topics, t)
		}
	}
	parts, err := w.partitions(ctx, topics)
	if err != nil {
		return w.fail(err)
	}
	sticky := int(w.sticky.Add(1))
	rs := w.sets.get()
	// Every goroutine below is done with the records when Write returns.
	defer w.sets.put(rs)
	recs := w.router.fill(rs, msgs)
	order, groups := group(rs, recs, func(i int) topicPartition {
		t := w.router.Topic(&msgs[i])
		ps := parts[t]
		p := ps[sticky%len(ps)]
		if k := recs[i].key; k != nil {
			// Kafka's default partitioner hash (Java client, librdkafka's
			// murmur2): other producers keyed alike agree on partitions.
			p = kafka.Murmur2Balancer{Consistent: true}.Balance(kafka.Message{Key: k}, ps...)
		}
		return topicPartition{t, p}
	})

	// The partitions are written in parallel, the batches of a partition in
	// order. The first partition's go on the caller's thread (Fluent Bit's
	// output worker): a write to one partition (most: unkeyed messages go to
	// one partition per write) hands nothing to another thread.
	errs := make([]error, len(order))
	sendAll := func(gi int) {
		tp := order[gi]
		for _, b := range splitBatches(groups[gi], w.cfg.MaxMessageBytes) {
			if err := w.send(ctx, tp, b, msgs); err != nil {
				errs[gi] = fmt.Errorf("%s/%d: %w", tp.topic, tp.partition, err)
				return
			}
		}
	}
	var wg sync.WaitGroup
	for gi := 1; gi < len(order); gi++ {
		wg.Go(func() { sendAll(gi) })
	}
	sendAll(0)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return w.fail(err)
	}
	w.causes.reset()
	return nil
}

// splitBatches cuts a partition's records into batches whose uncompressed
// size stays within maxBytes (max_message_bytes): the broker's limit applies
// to the whole record batch. A record bigger than that on its own gets a
// batch of its own.
func splitBatches(recs []*record, maxBytes int) [][]*record {
	var out [][]*record
	start, size := 0, recordBatchOverhead
	for i, r := range recs {
		n := r.encodedSize(i - start)
		if i > start && size+n > maxBytes {
			out = append(out, recs[start:i])
			start, size = i, recordBatchOverhead
		}
		size += n
	}
	return append(out, recs[start:])
}

// Batcher is the writer's work on the CPU without the network: the records
// of a write with their keys and headers, grouped by topic, cut into
// batches at max_message_bytes, compressed with the instance's codec and
// level, framed and checksummed. The flush benchmarks stand it in for the
// broker; it shares every function with Writer.Write but the partitioning
// (all of a topic's records go to one partition here).
type Batcher struct {
	cfg    Config
	router Router
	enc    *batchEncoder
	sets   recordSets
}

// NewBatcher builds a Batcher from validated configuration.
func NewBatcher(c Config) (*Batcher, error) {
	enc, err := newBatchEncoder(c.Compression, c.CompressionLevel)
	if err != nil {
		return nil, err
	}
	return &Batcher{cfg: c, router: NewRouter(c), enc: enc}, nil
}

// Encode calls f with every record batch of msgs (as a produce request
// carries it, after its int32 length) and the size of its records before
// compression.
func (b *Batcher) Encode(msgs []Message, f func(topic string, batch []byte, records int) error) error {
	rs := b.sets.get()
	defer b.sets.put(rs)
	recs := b.router.fill(rs, msgs)
	order, groups := group(rs, recs, func(i int) string { return b.router.Topic(&msgs[i]) })
	now := time.Now()
	for g, t := range order {
		for _, batch := range splitBatches(groups[g], b.cfg.MaxMessageBytes) {
			full, err := b.enc.encode(batch, now)
			if err != nil {
				return err
			}
			size := 0
			for i, r := range batch {
				size += r.encodedSize(i)
			}
			err = f(t, (*full)[sizePrefix:], size)
			b.enc.release(full) // f keeps no view of it
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// send writes one batch to one partition. A batch the broker refuses as too
// large is halved until the one message at fault is found and marked.
func (w *Writer) send(ctx context.Context, tp topicPartition, recs []*record, msgs []Message) error {
	full, err := w.enc.encode(recs, time.Now())
	if err != nil {
		return &Error{Kind: Permanent, Err: err}
	}
	batch := *full
	if len(batch)-sizePrefix > w.cfg.MaxMessageBytes && len(recs) > 1 {
		w.enc.release(full)
		return w.halve(ctx, tp, recs, msgs)
	}
	resp, err := w.client.RawProduce(ctx, &kafka.RawProduceRequest{
		Topic:        tp.topic,
		Partition:    tp.partition,
		RequiredAcks: acks(w.cfg.RequiredAcks),
		RawRecords:   protocol.RawRecordSet{Reader: bytes.NewReader(batch)},
	})
	if err == nil {
		// The request was written and answered: kafka-go holds no view of
		// the batch any more. After an error it may (a request cancelled
		// while being written), so the batch is left to the collector.
		w.enc.release(full)
		if resp != nil && resp.Error != nil {
			err = resp.Error
		}
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, kafka.MessageSizeTooLarge) || errors.Is(err, kafka.RecordListTooLarge) {
		if len(recs) > 1 {
			return w.halve(ctx, tp, recs, msgs)
		}
		m := &msgs[recs[0].index]
		m.Refused = true
		w.causes.once(w.log, "too_large:"+tp.topic, slog.LevelError,
			"the broker refused a message as too large although it fits max_message_bytes: the topic's max.message.bytes (or the broker's message.max.bytes) is lower; lower max_message_bytes to match it, or raise the topic's limit",
			"topic", tp.topic, "bytes", len(batch)-sizePrefix, "max_message_bytes", w.cfg.MaxMessageBytes)
		return nil
	}
	return err
}

func (w *Writer) halve(ctx context.Context, tp topicPartition, recs []*record, msgs []Message) error {
	h := len(recs) / 2
	if err := w.send(ctx, tp, recs[:h], msgs); err != nil {
		return err
	}
	return w.send(ctx, tp, recs[h:], msgs)
}

// partitions returns the partition ids of each topic, from the transport's
// metadata cache (refreshed every few seconds).
func (w *Writer) partitions(ctx context.Context, topics []string) (map[string][]int, error) {
	md, err := w.client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]int, len(topics))
	var errs []error
	for _, t := range md.Topics {
		switch {
		case t.Error != nil:
			errs = append(errs, fmt.Errorf("topic %s: %w", t.Name, t.Error))
		case len(t.Partitions) == 0:
			errs = append(errs, fmt.Errorf("topic %s: %w", t.Name, kafka.UnknownTopicOrPartition))
		default:
			ids := make([]int, len(t.Partitions))
			for i, p := range t.Partitions {
				ids[i] = p.ID
			}
			slices.Sort(ids)
			out[t.Name] = ids
		}
	}
	for _, t := range topics {
		if _, ok := out[t]; !ok && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("topic %s: %w", t, kafka.UnknownTopicOrPartition))
		}
	}
	return out, errors.Join(errs...)
}

// fail classifies err, logs a configuration cause once, and wraps it.
func (w *Writer) fail(err error) error {
	var oe *Error
	if errors.As(err, &oe) {
		return oe
	}
	if w.auth.refused(err) {
		err = fmt.Errorf("%w: the broker closed the connection during SASL authentication: %w", kafka.SASLAuthenticationFailed, err)
	}
	kind := Classify(err)
	w.reset()
	if c := explain(err); c.key != "" {
		w.causes.once(w.log, c.key, slog.LevelError, c.fix, "cause", c.what, "chunks", kind.Action(), "error", err)
	}
	return &Error{Kind: kind, Err: err}
}

// reset drops the transport's connections and cached metadata after a failed
// write, so that the next write (Fluent Bit's retry) connects afresh and
// asks the brokers for current metadata. Without it kafka-go keeps serving
// the failure it cached (a broker that was down, a topic not yet created, an
// ACL not yet granted) until its next background refresh, several seconds
// later, and a retry in between fails although the broker is back.
// Concurrent writes are safe: each keeps the connections it holds until its
// round trip ends; later ones use the new pool. TLS, SASL and the dialer are
// settings of the transport, which stays the same.
func (w *Writer) reset() { w.tr.CloseIdleConnections() }

// Close releases the writer's connections. Writes are synchronous, so there
// is nothing buffered to flush: the pipeline waits for in-flight writes first.
func (w *Writer) Close() error {
	w.tr.CloseIdleConnections()
	return nil
}

func acks(a Acks) kafka.RequiredAcks {
	switch a {
	case AcksOne:
		return kafka.RequireOne
	case AcksNone:
		return kafka.RequireNone
	}
	return kafka.RequireAll
}

// causeLog logs each distinct failure cause once, until a write succeeds.
type causeLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (c *causeLog) once(log *slog.Logger, key string, level slog.Level, msg string, args ...any) {
	c.mu.Lock()
	first := !c.seen[key]
	c.seen[key] = true
	c.mu.Unlock()
	if first {
		log.Log(context.Background(), level, msg, args...)
	}
}

func (c *causeLog) reset() {
	c.mu.Lock()
	if len(c.seen) > 0 {
		clear(c.seen)
	}
	c.mu.Unlock()
}
