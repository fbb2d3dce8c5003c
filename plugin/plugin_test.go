package main

// In-process tests of the exports' Go side: panic recovery, contexts, and
// concurrent flushes on one instance. They call the exported functions as
// Go functions with a pipeline over an in-memory sink; the real .so under a
// C host is exercised by boundary_test.go.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// memSink records what the pipeline would ship; panicMsg makes Write panic.
type memSink struct {
	mu       sync.Mutex
	msgs     int
	panicMsg string
}

func (s *memSink) Write(_ context.Context, msgs []output.Message) error {
	if s.panicMsg != "" {
		panic(s.panicMsg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs += len(msgs)
	return nil
}

func (s *memSink) Close() error { return nil }

// testInstance publishes an instance over sink, logging into buf.
func testInstance(t *testing.T, sink pipeline.Sink, buf *syncBuffer) *instance {
	t.Helper()
	cfg, err := conf.Load(conf.MapGetter{"brokers": "127.0.0.1:9", "stages": allStages})
	if err != nil {
		t.Fatal(err)
	}
	inst := instances.add()
	inst.cfg = cfg
	inst.log = slog.New(newLineHandler(buf, slog.LevelDebug, inst.name))
	if inst.p, err = pipeline.New(cfg, sink, inst.log); err != nil {
		t.Fatal(err)
	}
	instances.publish(inst)
	t.Cleanup(func() { FLBPluginExitCtx(inst.handle) })
	return inst
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func testChunk(t *testing.T, n int) []byte {
	t.Helper()
	var w flbchunk.Writer
	for _, l := range readAuditLines(t)[:n] {
		w.AddLine(time.Now(), "log", l)
	}
	return w.Bytes()
}

func flushCtx(ctx unsafe.Pointer, chunk []byte) int {
	return FLBPluginFlushCtx(ctx, unsafe.Pointer(unsafe.SliceData(chunk)), cInt(len(chunk)), nil)
}

func TestFlushPanicIsRecoveredAsRetry(t *testing.T) {
	var logs syncBuffer
	inst := testInstance(t, &memSink{panicMsg: "boom in the sink"}, &logs)
	if got := flushCtx(inst.handle, testChunk(t, 5)); got != flbRetry {
		t.Fatalf("flush with a panicking pipeline returned %d, want FLB_RETRY (%d)", got, flbRetry)
	}
	l := logs.String()
	if !strings.Contains(l, "["+inst.name+"] recovered from a panic") || !strings.Contains(l, "boom in the sink") || !strings.Contains(l, "in=FLBPluginFlushCtx") {
		t.Fatalf("panic not logged with the instance prefix:\n%s", l)
	}
	if strings.Count(strings.TrimSpace(l), "\n") != 0 {
		t.Fatalf("the panic log, stack included, must be one line:\n%s", l)
	}
}

func TestGuardSetsTheCode(t *testing.T) {
	f := func(code int) (ret int) {
		defer guard("test", nil, &ret, code)
		panic(errors.New("bug"))
	}
	for _, code := range []int{flbError, flbRetry, flbRegisterFailed} {
		if got := f(code); got != code {
			t.Errorf("guard returned %d, want %d", got, code)
		}
	}
}

func TestExportsWithoutContext(t *testing.T) {
	if got := FLBPluginRegister(nil); got != flbRegisterFailed {
		t.Errorf("register(NULL) = %d, want -1", got)
	}
	if got := FLBPluginInit(nil); got != flbError {
		t.Errorf("init(NULL) = %d, want FLB_ERROR", got)
	}
	chunk := testChunk(t, 1)
	if got := flushCtx(nil, chunk); got != flbError {
		t.Errorf("flush(NULL context) = %d, want FLB_ERROR", got)
	}
	var notOurs [8]byte
	if got := flushCtx(unsafe.Pointer(&notOurs[0]), chunk); got != flbError {
		t.Errorf("flush(foreign context) = %d, want FLB_ERROR", got)
	}
	if got := FLBPluginExitCtx(nil); got != flbOK {
		t.Errorf("exit(NULL context) = %d, want FLB_OK", got)
	}
	if got := FLBPluginFlush(nil, 0, nil); got != flbError {
		t.Errorf("legacy flush = %d, want FLB_ERROR", got)
	}
	if got := FLBPluginExit(); got != flbOK {
		t.Errorf("legacy exit = %d, want FLB_OK", got)
	}
	FLBPluginUnregister(nil)
}

func TestFlushAfterExitIsRefused(t *testing.T) {
	var logs syncBuffer
	sink := &memSink{}
	inst := testInstance(t, sink, &logs)
	chunk := testChunk(t, 3)
	if got := flushCtx(inst.handle, chunk); got != flbOK {
		t.Fatalf("flush = %d", got)
	}
	if got := FLBPluginExitCtx(inst.handle); got != flbOK {
		t.Fatalf("exit = %d", got)
	}
	if got := flushCtx(inst.handle, chunk); got != flbError {
		t.Fatalf("flush after exit = %d, want FLB_ERROR", got)
	}
	if sink.msgs != 3 {
		t.Fatalf("sink got %d messages, want 3", sink.msgs)
	}
}

// Fluent Bit's output workers flush one instance from several threads at
// once. Run with -race (make test does).
func TestConcurrentFlushesOnOneInstance(t *testing.T) {
	var logs syncBuffer
	sink := &memSink{}
	inst := testInstance(t, sink, &logs)
	const workers, rounds, perChunk = 8, 10, 7
	chunk := testChunk(t, perChunk)
	var wg sync.WaitGroup
	errs := make(chan int, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				if got := flushCtx(inst.handle, chunk); got != flbOK {
					errs <- got
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent flush = %d", got)
	}
	if want := workers * rounds * perChunk; sink.msgs != want {
		t.Fatalf("sink got %d messages, want %d", sink.msgs, want)
	}
	s := inst.p.Stats().Snapshot()
	if s.Shipped != int64(workers*rounds*perChunk) {
		t.Fatalf("stats shipped %d, want %d", s.Shipped, workers*rounds*perChunk)
	}
}

func TestInstanceNumbering(t *testing.T) {
	var logs syncBuffer
	a := testInstance(t, &memSink{}, &logs)
	b := testInstance(t, &memSink{}, &logs)
	if b.id != a.id+1 {
		t.Fatalf("ids %d then %d", a.id, b.id)
	}
	FLBPluginExitCtx(a.handle)
	FLBPluginExitCtx(b.handle)
	c := testInstance(t, &memSink{}, &logs)
	if c.id != 1 || c.name != "kube_audit_kafka#1" {
		t.Fatalf("after every instance exited, the next is %s, want kube_audit_kafka#1", c.name)
	}
}

func TestLineHandlerFormat(t *testing.T) {
	var buf syncBuffer
	log := slog.New(newLineHandler(&buf, slog.LevelInfo, "kube_audit_kafka#3")).With("topic", "audit")
	log.Debug("hidden")
	log.Warn("delivery failed;\nretry", "records", 12, "error", errors.New(`dial tcp: "refused"`), slog.Group("g", "k", "v w"), "empty", "")
	got := buf.String()
	re := regexp.MustCompile(`^\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}\] \[ warn\] \[kube_audit_kafka#3\] delivery failed;\\nretry topic=audit records=12 error="dial tcp: \\"refused\\"" g\.k="v w" empty=""\n$`)
	if !re.MatchString(got) {
		t.Fatalf("log line %q", got)
	}
}
