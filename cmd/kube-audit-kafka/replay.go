package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/metrics"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// Flushes that Fluent Bit would retry are retried this many times in all,
// with a growing pause, before the command gives up.
const (
	flushAttempts = 5
	firstBackoff  = 200 * time.Millisecond
)

// input is one opened source of lines.
type input struct {
	name string
	r    io.Reader
	c    io.Closer // nil for standard input
}

// replayer feeds lines into chunks and chunks into the pipeline.
type replayer struct {
	opts  *options
	p     *pipeline.Pipeline
	sink  *measuringSink
	log   *slog.Logger
	cw    flbchunk.Writer
	line  []byte
	sum   summary
	dryRn bool
}

func replay(o *options, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "kube-audit-kafka: %s\n", oneLine(fmt.Sprintf(format, a...)))
		return code
	}
	// Open every input before anything starts, so a typo fails at once.
	inputs, err := openInputs(o.inputs, stdin)
	defer func() {
		for _, in := range inputs {
			if in.c != nil {
				in.c.Close()
			}
		}
	}()
	if err != nil {
		return fail(1, "%v", err)
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.cfg.Observe.LogLevel.Slog()}))
	cfg := *o.cfg
	rp := &replayer{opts: o, log: log, dryRn: o.dryRun}
	// Fluent Bit 2.1 and later store records as [[time, metadata], record].
	rp.cw.V2 = !o.classic
	rp.sum = summary{
		inputs: o.inputs, dryRun: o.dryRun, embedded: o.embedded && !o.dryRun, repeat: o.repeat,
		chunkRecords: o.chunkRecords, classic: o.classic, cfg: &cfg, dropped: map[string]int64{},
	}

	var broker *embedded.Broker
	var inner pipeline.Sink
	switch {
	case o.dryRun:
		inner = newDryRunSink(stdout, cfg.Output)
	default:
		if o.embedded {
			broker, err = embedded.Start(3, cfg.Output.Topics())
			if err != nil {
				return fail(1, "%v", err)
			}
			defer broker.Close()
			cfg.Output.Brokers = broker.Addrs()
			rp.sum.brokers = broker.Addrs()
		}
		w, err := output.New(cfg.Output, log)
		if err != nil {
			return fail(2, "%v", conf.Explain(err))
		}
		inner = w
	}
	rp.sink = newMeasuringSink(inner, cfg.Output)
	rp.p, err = pipeline.New(&cfg, rp.sink, log)
	if err != nil {
		return fail(2, "%v", err)
	}
	if addr := cfg.Observe.MetricsListen; addr != "" {
		srv, err := metrics.Listen(addr, 0)
		if err != nil {
			rp.p.Close(0)
			return fail(1, "%v", err)
		}
		defer srv.Close()
		name := cfg.Observe.MetricsName
		if name == "" {
			name = "kube_audit_kafka.0"
		}
		src := metrics.Source{Name: name, Stats: rp.p.Stats().Snapshot}
		if _, ok := rp.p.WireBytes(); ok {
			src.WireBytes = func() int64 { n, _ := rp.p.WireBytes(); return n }
		}
		if err := srv.Add("kube-audit-kafka", src); err != nil {
			rp.p.Close(0)
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stderr, "kube-audit-kafka: serving /metrics and /healthz on %s while the command runs\n", srv.Addr())
	}
	log.Info("started", "brokers", cfg.Output.Brokers, "topic", cfg.Output.Topic, "compression", cfg.Output.Compression.String(), "format", cfg.Format.String())
	log.Debug("configuration", "config", cfg.String())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	start, cpu0 := time.Now(), cpuTime()
	runErr := rp.feedAll(ctx, inputs)
	if runErr == nil {
		runErr = rp.flush()
	}
	rp.sum.wall, rp.sum.cpu = time.Since(start), cpuTime()-cpu0
	if err := rp.p.Close(cfg.Output.ShutdownTimeout); err != nil && runErr == nil {
		runErr = err
	}
	rp.sum.interrupted = ctx.Err() != nil
	stop()
	rp.collect()

	code := 0
	if runErr == nil && !rp.sum.interrupted && rp.sum.events == 0 {
		// A script must tell "nothing to ship" from success.
		if rp.sum.lines == 0 {
			runErr = errors.New("the input holds no line: nothing to replay")
		} else {
			runErr = fmt.Errorf("no audit event in the input: none of its %s decodes as a kube-apiserver audit event (JSON lines of audit.k8s.io events)", plural(rp.sum.lines, "line"))
		}
	}
	if runErr != nil {
		code = 1
	} else if broker != nil && !rp.sum.interrupted {
		// Dead-letter stubs are on dlq_topic, which is read back too.
		want := rp.sum.shipped + rp.sum.deadLettered
		rb, err := readBack(context.Background(), broker.Addrs(), cfg.Output.Topics(), want)
		rp.sum.readBack = &rb
		if err != nil {
			runErr, code = fmt.Errorf("read back: %w", err), 1
		} else if rb.messages != want || rb.invalid > 0 {
			runErr, code = fmt.Errorf("read back %d of %d shipped messages and dead-letter stubs (%d not JSON)", rb.messages, want, rb.invalid), 1
		}
	}
	if rp.sum.interrupted && code == 0 {
		code = 130
	}
	out := stdout
	if o.dryRun {
		out = stderr
	}
	rp.sum.print(out)
	if runErr != nil {
		return fail(code, "%v", runErr)
	}
	return code
}

func openInputs(names []string, stdin io.Reader) ([]input, error) {
	var ins []input
	for _, n := range names {
		if n == "-" {
			ins = append(ins, input{name: "standard input", r: stdin})
			continue
		}
		f, err := os.Open(n)
		if err != nil {
			return ins, fmt.Errorf("cannot read input: %w", err)
		}
		ins = append(ins, input{name: n, r: f, c: f})
		if st, err := f.Stat(); err != nil {
			return ins, fmt.Errorf("cannot read input: %w", err)
		} else if st.IsDir() {
			return ins, fmt.Errorf("cannot read input %s: is a directory", n)
		}
	}
	for i := range ins {
		r, err := maybeGunzip(ins[i].r)
		if err != nil {
			return ins, fmt.Errorf("cannot read input %s: %w", ins[i].name, err)
		}
		ins[i].r = r
	}
	return ins, nil
}

// maybeGunzip transparently decompresses gzip input, such as a log rotated
// by kube-apiserver's --audit-log-compress.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// feedAll replays the inputs, opts.repeat times. With --repeat the inputs are
// read into memory once, so the figure measures the pipeline, not the disk.
func (rp *replayer) feedAll(ctx context.Context, inputs []input) error {
	if rp.opts.repeat == 1 {
		for _, in := range inputs {
			if err := rp.feed(ctx, in.name, in.r, true); err != nil {
				return err
			}
		}
		return nil
	}
	var all bytes.Buffer
	for _, in := range inputs {
		if _, err := all.ReadFrom(in.r); err != nil {
			return fmt.Errorf("cannot read %s: %w", in.name, err)
		}
		if all.Len() > 0 && all.Bytes()[all.Len()-1] != '\n' {
			all.WriteByte('\n')
		}
	}
	for i := 0; i < rp.opts.repeat && ctx.Err() == nil; i++ {
		if err := rp.feed(ctx, "input", bytes.NewReader(all.Bytes()), i == 0); err != nil {
			return err
		}
	}
	return nil
}

// feed reads one input line by line (of any length: a 100 KB event is one
// line) and flushes a chunk every chunkRecords records or maxChunkBytes.
func (rp *replayer) feed(ctx context.Context, name string, r io.Reader, first bool) error {
	br := bufio.NewReaderSize(r, 256<<10)
	key := rp.opts.cfg.Input.LogKey
	for ctx.Err() == nil {
		line, err := rp.readLine(br)
		if err != nil && err != io.EOF && len(line) > 0 && line[len(line)-1] != '\n' {
			// The line the error cut short is not an event: not shipped.
			rp.sum.cutShort++
			line = nil
		}
		if len(line) > 0 {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				rp.sum.blank++
			} else {
				rp.sum.lines++
				rp.sum.inBytes += int64(len(line))
				rp.cw.AddLine(time.Now(), key, line)
				if rp.cw.Len() >= rp.opts.chunkRecords || len(rp.cw.Bytes()) >= maxChunkBytes {
					if ferr := rp.flush(); ferr != nil {
						return ferr
					}
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// A truncated or failing input (a gzip file cut short): ship the
			// complete lines read so far, then report the error.
			if ferr := rp.flush(); ferr != nil {
				return ferr
			}
			return fmt.Errorf("cannot read %s after %s (those were shipped): %w", name, plural(rp.sum.lines, "complete line"), err)
		}
	}
	return nil
}

// readLine returns the next line however long, reusing one buffer.
func (rp *replayer) readLine(br *bufio.Reader) ([]byte, error) {
	rp.line = rp.line[:0]
	for {
		frag, err := br.ReadSlice('\n')
		rp.line = append(rp.line, frag...)
		if err != bufio.ErrBufferFull {
			return rp.line, err
		}
	}
}

// flush hands the pending chunk to the pipeline, as Fluent Bit's engine does,
// retrying what Fluent Bit would retry.
func (rp *replayer) flush() error {
	if rp.cw.Len() == 0 {
		return nil
	}
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		res := rp.p.Flush(context.Background(), rp.cw.Bytes())
		if attempt == 1 {
			// What was read and decoded, whether or not it gets delivered.
			rp.sum.chunks++
			rp.sum.records += int64(res.Records)
			rp.sum.events += int64(res.Events)
		}
		if res.Status == pipeline.OK {
			rp.log.Debug("flushed", "records", res.Records, "events", res.Events, "shipped", res.Shipped, "dropped", res.Dropped)
			rp.sum.shipped += int64(res.Shipped)
			rp.sum.truncated += int64(res.Truncated)
			rp.sum.deadLettered += int64(res.DeadLettered)
			for k, v := range res.Dropped {
				rp.sum.dropped[k] += int64(v)
			}
			rp.cw.Reset()
			return nil
		}
		if res.Status == pipeline.Error || rp.dryRn || attempt == flushAttempts {
			return fmt.Errorf("a chunk of %d records could not be delivered (%s after %d attempts): %v", rp.cw.Len(), res.Status, attempt, res.Err)
		}
		rp.sum.retries++
		rp.log.Warn("delivery failed; retrying the chunk as Fluent Bit would", "attempt", attempt, "records", res.Records, "error", res.Err)
		time.Sleep(backoff)
		backoff *= 2
	}
}

func (rp *replayer) collect() {
	s := rp.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	rp.sum.valueBytes = s.valueBytes
	rp.sum.compressed = s.compressed
	rp.sum.measureTime = s.measureTime
	rp.sum.bySeverity = s.bySeverity
	rp.sum.byTopic = s.byTopic
	rp.sum.messages = s.messages
	rp.sum.pending = int64(rp.cw.Len())
}

// readBackResult is what a real Kafka consumer found in the topics.
type readBackResult struct {
	messages int64
	invalid  int64 // values that are not JSON
	byTopic  map[string]int64
	took     time.Duration
}

// readBack consumes the topics from the start with a franz-go client until
// want messages arrived or nothing more arrives for a while. It keeps counts
// only, so a million messages cost no memory.
func readBack(ctx context.Context, addrs, topics []string, want int64) (readBackResult, error) {
	res := readBackResult{byTopic: map[string]int64{}}
	start := time.Now()
	defer func() { res.took = time.Since(start) }()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addrs...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(64<<20),
	)
	if err != nil {
		return res, err
	}
	defer cl.Close()
	const idle = 5 * time.Second
	for res.messages < want {
		pctx, cancel := context.WithTimeout(ctx, idle)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			res.messages++
			res.byTopic[r.Topic]++
			if !jsonValid(r.Value) {
				res.invalid++
			}
		})
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
				res.took = time.Since(start)
				return res, fmt.Errorf("consume %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
			}
		}
		if n == 0 {
			break // nothing for idle: whatever is missing is not coming
		}
	}
	res.took = time.Since(start)
	return res, nil
}
