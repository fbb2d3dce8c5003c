package main

// The boundary as Fluent Bit drives it: testdata/flbhost/flbhost.c, compiled
// here with cc, dlopens the real out_kube_audit_kafka.so and replays Fluent
// Bit's Go proxy calls (register, init with properties served through
// output_get_property, flush with remote_context, exit, unregister) in a child
// process, against an embedded Kafka-protocol broker on 127.0.0.1. The tests
// check the return codes the host saw, the plugin's log lines, and what a
// real consumer reads back from the broker.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
)

const allStages = "RequestReceived,ResponseStarted,ResponseComplete,Panic"

var (
	toolsOnce sync.Once
	toolsDir  string // removed by TestMain once every test of the package ran
	toolsSO   string
	toolsHost string
	toolsErr  error
	toolsSkip string
)

// TestMain removes the host and the plugin built for the boundary tests
// (about 24 MB) once they all ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if toolsDir != "" {
		os.RemoveAll(toolsDir)
	}
	os.Exit(code)
}

// boundaryTools returns the plugin .so and the compiled host.
func boundaryTools(t *testing.T) (so, host string) {
	t.Helper()
	toolsOnce.Do(func() {
		cc, err := exec.LookPath("cc")
		if err != nil {
			toolsSkip = "no C compiler (cc) on PATH: the Fluent Bit boundary test needs one to build its host"
			return
		}
		dir, err := os.MkdirTemp("", "flbhost-")
		if err != nil {
			toolsErr = err
			return
		}
		toolsDir = dir // shared by every test of the package run
		toolsHost = filepath.Join(dir, "flbhost")
		out, err := exec.Command(cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-o", toolsHost,
			filepath.Join("testdata", "flbhost", "flbhost.c"), "-ldl", "-lpthread").CombinedOutput()
		if err != nil {
			toolsErr = fmt.Errorf("compile the host: %v\n%s", err, out)
			return
		}
		toolsSO, toolsErr = pluginSO(dir)
	})
	if toolsSkip != "" {
		t.Skip(toolsSkip)
	}
	if toolsErr != nil {
		t.Fatal(toolsErr)
	}
	return toolsSO, toolsHost
}

// pluginSO returns build/out_kube_audit_kafka.so when it is newer than every
// Go source of the module (make test builds it first); otherwise it builds a
// fresh one into dir.
func pluginSO(dir string) (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	so := filepath.Join(root, "build", "out_kube_audit_kafka.so")
	if fi, err := os.Stat(so); err == nil && !newerSources(root, fi.ModTime()) {
		return so, nil
	}
	so = filepath.Join(dir, "out_kube_audit_kafka.so")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", so, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the plugin: %v\n%s", err, out)
	}
	return so, nil
}

func newerSources(root string, than time.Time) bool {
	newer := false
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || newer {
			return fs.SkipAll
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "build" || n == "testdata") {
				return fs.SkipDir
			}
			return nil
		}
		n := d.Name()
		if (strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go")) || n == "go.mod" || n == "go.sum" {
			if fi, err := d.Info(); err == nil && fi.ModTime().After(than) {
				newer = true
			}
		}
		return nil
	})
	return newer
}

// call is one line of the host's output: "init a ret=1 code=FLB_OK context=set".
type call struct {
	op, inst string
	kv       map[string]string
}

func (c call) String() string { return fmt.Sprintf("%s %s %v", c.op, c.inst, c.kv) }

type hostRun struct {
	calls  []call
	stderr string
}

// find returns the calls of op on inst ("-" for none), in order.
func (r hostRun) find(op, inst string) []call {
	var out []call
	for _, c := range r.calls {
		if c.op == op && c.inst == inst {
			out = append(out, c)
		}
	}
	return out
}

// codes returns the code= of each call of op on inst.
func (r hostRun) codes(op, inst string) []string {
	var out []string
	for _, c := range r.find(op, inst) {
		out = append(out, c.kv["code"])
	}
	return out
}

// runHost runs the host on script. At each "sync WORD" line, onSync(WORD)
// runs before the host continues.
func runHost(t *testing.T, script string, onSync func(string)) hostRun {
	t.Helper()
	so, host := boundaryTools(t)
	path := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, host, so, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var run hostRun
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			t.Errorf("host printed %q", sc.Text())
			continue
		}
		c := call{op: f[0], inst: f[1], kv: map[string]string{}}
		for _, w := range f[2:] {
			k, v, _ := strings.Cut(w, "=")
			c.kv[k] = v
		}
		run.calls = append(run.calls, c)
		if c.op == "sync" {
			if onSync != nil {
				onSync(c.inst)
			}
			if _, err := io.WriteString(stdin, "go\n"); err != nil {
				t.Fatal(err)
			}
		}
	}
	stdin.Close()
	err = cmd.Wait()
	run.stderr = stderr.String()
	t.Logf("host stderr:\n%s", run.stderr)
	if err != nil {
		t.Fatalf("host failed (a crash is a failure of the plugin): %v\ncalls: %v", err, run.calls)
	}
	if n := len(run.calls); n == 0 || run.calls[n-1].op != "done" {
		t.Fatalf("host did not finish: %v", run.calls)
	}
	if reg := run.find("register", "-"); len(reg) != 1 || reg[0].kv["name"] != pluginName || reg[0].kv["ret"] != "0" {
		t.Fatalf("registration: %v", reg)
	}
	if len(run.find("unregister", "-")) != 1 {
		t.Fatalf("plugin not unregistered: %v", run.calls)
	}
	return run
}

type script struct{ strings.Builder }

func (s *script) line(f string, a ...any) { fmt.Fprintf(&s.Builder, f+"\n", a...) }

func (s *script) instance(name string, props map[string]string) {
	s.line("instance %s", name)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range props {
			if !yield(k) {
				return
			}
		}
	}) {
		s.line("set %s %s %s", name, k, props[k])
	}
}

func readAuditLines(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "lab-policy.audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for l := range bytes.SplitSeq(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d audit lines", len(out))
	}
	return out
}

type chunkForm struct {
	v2, intTime, asMap bool
}

// writeChunk writes lines as one Fluent Bit chunk of the given form and
// returns its path.
func writeChunk(t *testing.T, dir, name string, form chunkForm, lines [][]byte) string {
	t.Helper()
	w := flbchunk.Writer{V2: form.v2, IntTime: form.intTime}
	ts := time.Date(2026, 11, 22, 1, 2, 3, 456789000, time.UTC)
	for _, l := range lines {
		if form.asMap {
			if err := w.AddJSON(ts, l); err != nil {
				t.Fatal(err)
			}
		} else {
			w.AddLine(ts, "log", l)
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, w.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func auditIDs(t *testing.T, lines [][]byte) []string {
	t.Helper()
	var ids []string
	for _, l := range lines {
		i := bytes.Index(l, []byte(`"auditID":"`))
		if i < 0 {
			t.Fatalf("no auditID in %.80s", l)
		}
		rest := l[i+len(`"auditID":"`):]
		ids = append(ids, string(rest[:bytes.IndexByte(rest, '"')]))
	}
	slices.Sort(ids)
	return ids
}

func consume(t *testing.T, addrs []string, topic string, want int) (ids []string, values [][]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Read what is expected (a long idle wait: under load a partition's
	// first fetch can be slow), then prove from the broker's end offsets
	// that nothing more was written.
	recs, err := embedded.Consume(ctx, addrs, []string{topic}, want, 15*time.Second)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	if n, err := embedded.Stored(ctx, addrs, topic); err != nil {
		t.Fatal(err)
	} else if n != int64(len(recs)) {
		t.Errorf("topic %s holds %d records, %d read back", topic, n, len(recs))
	}
	for _, r := range recs {
		ids = append(ids, string(r.Key))
		values = append(values, r.Value)
	}
	slices.Sort(ids)
	return ids, values
}

func wantCodes(t *testing.T, run hostRun, op, inst string, want ...string) {
	t.Helper()
	if got := run.codes(op, inst); !slices.Equal(got, want) {
		t.Errorf("%s %s: codes %v, want %v", op, inst, got, want)
	}
}

// Two instances side by side, each to its own topic, fed every chunk form
// Fluent Bit produces (classic and v2; the event as a "log" string or as the
// record map; EventTime or integer timestamps), with concurrent flushes on
// one instance, and a garbage chunk that is refused without harming anyone.
func TestBoundaryTwoInstances(t *testing.T) {
	lines := readAuditLines(t)
	b, err := embedded.Start(3, []string{"audit-a", "audit-b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dir := t.TempDir()

	half := len(lines) / 2
	la, lb := lines[:half], lines[half:]
	q := len(la) / 4
	chunksA := []string{
		writeChunk(t, dir, "a1", chunkForm{}, la[:q]),
		writeChunk(t, dir, "a2", chunkForm{v2: true}, la[q:2*q]),
		writeChunk(t, dir, "a3", chunkForm{asMap: true}, la[2*q:3*q]),
		writeChunk(t, dir, "a4", chunkForm{v2: true, asMap: true, intTime: true}, la[3*q:]),
	}
	q = len(lb) / 3
	chunksB := []string{
		writeChunk(t, dir, "b1", chunkForm{v2: true, asMap: true}, lb[:q]),
		writeChunk(t, dir, "b2", chunkForm{intTime: true}, lb[q:2*q]),
		writeChunk(t, dir, "b3", chunkForm{v2: true}, lb[2*q:]),
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("\xc1 this is not msgpack \x00\xff\x92\xdd\xff\xff"), 0o600); err != nil {
		t.Fatal(err)
	}

	var s script
	props := func(topic, cluster string) map[string]string {
		return map[string]string{"brokers": b.Addrs()[0], "topic": topic, "cluster_name": cluster,
			"stages": allStages, "compression": "zstd", "write_timeout": "20s"}
	}
	s.instance("a", props("audit-a", "cluster-a"))
	s.instance("b", props("audit-b", "cluster-b"))
	s.line("init a")
	s.line("init b")
	s.line("flush a %s", chunksA[0])
	s.line("flush b %s", chunksB[0])
	s.line("flush b %s", garbage)
	s.line("flush_parallel a %s %s %s", chunksA[1], chunksA[2], chunksA[3])
	s.line("flush b %s", chunksB[1])
	s.line("flush b %s kube.var.log.audit", chunksB[2])
	s.line("exit a")
	s.line("exit b")
	run := runHost(t, s.String(), nil)

	wantCodes(t, run, "init", "a", "FLB_OK")
	wantCodes(t, run, "init", "b", "FLB_OK")
	wantCodes(t, run, "flush", "a", "FLB_OK", "FLB_OK", "FLB_OK", "FLB_OK")
	wantCodes(t, run, "flush", "b", "FLB_OK", "FLB_ERROR", "FLB_OK", "FLB_OK")
	wantCodes(t, run, "exit", "a", "FLB_OK")
	wantCodes(t, run, "exit", "b", "FLB_OK")
	for _, c := range run.find("init", "a") {
		if c.kv["context"] != "set" {
			t.Errorf("init did not set remote_context: %v", c)
		}
	}
	// Every line names plugin and instance; the garbage chunk's refusal is
	// logged by b, never by a.
	for _, l := range strings.Split(strings.TrimSpace(run.stderr), "\n") {
		if strings.HasPrefix(l, "flbhost:") {
			continue
		}
		if !strings.Contains(l, "] [kube_audit_kafka") {
			t.Errorf("log line without the plugin prefix: %s", l)
		}
		if strings.Contains(l, "chunk cannot be delivered") && !strings.Contains(l, "[kube_audit_kafka#2]") {
			t.Errorf("garbage refusal logged by the wrong instance: %s", l)
		}
	}
	if !strings.Contains(run.stderr, "[kube_audit_kafka#1] started") || !strings.Contains(run.stderr, "[kube_audit_kafka#2] started") {
		t.Errorf("instances not named #1 and #2 in their logs")
	}
	// The stop line accounts for every record: here one event each, all
	// shipped (the garbage chunk held no record).
	for i, n := range []int{len(la), len(lb)} {
		want := fmt.Sprintf("[kube_audit_kafka#%d] stopped records=%d events=%d shipped=%d ", i+1, n, n, n)
		if !strings.Contains(run.stderr, want) {
			t.Errorf("no stop line %q", want)
		}
	}

	for _, tc := range []struct {
		topic, cluster, other string
		lines                 [][]byte
	}{
		{"audit-a", "cluster-a", "cluster-b", la},
		{"audit-b", "cluster-b", "cluster-a", lb},
	} {
		want := auditIDs(t, tc.lines)
		got, values := consume(t, b.Addrs(), tc.topic, len(want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: read back %d messages, want exactly the %d events of its instance", tc.topic, len(got), len(want))
		}
		for _, v := range values {
			if !bytes.Contains(v, []byte(`"`+tc.cluster+`"`)) || bytes.Contains(v, []byte(`"`+tc.other+`"`)) {
				t.Fatalf("%s holds a message not from its instance: %.200s", tc.topic, v)
			}
		}
	}
}

// A broker that does not answer makes the flush FLB_RETRY; Fluent Bit then
// re-delivers the identical chunk, and once the broker is up every event
// arrives.
func TestBoundaryRetryUntilBrokerUp(t *testing.T) {
	lines := readAuditLines(t)[:150]
	dir := t.TempDir()
	chunk := writeChunk(t, dir, "chunk", chunkForm{v2: true}, lines)

	// A port nothing listens on, kept for the broker started later.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	var b *embedded.Broker
	defer func() {
		if b != nil {
			b.Close()
		}
	}()
	var s script
	s.instance("k", map[string]string{"brokers": addr, "topic": "audit", "stages": allStages, "write_timeout": "3s"})
	s.line("init k")
	s.line("flush k %s", chunk)
	s.line("flush k %s", chunk)
	s.line("sync broker-up")
	// Fluent Bit's retries: at least scheduler.base (5 s by default) apart;
	// here 2 s, up to 8 attempts. kafka-go may keep a failed dial's result
	// for a few seconds, so the first re-delivery after the broker is back
	// can still answer FLB_RETRY: what matters is that a later one delivers.
	s.line("retry k %s 8 2000", chunk)
	run := runHost(t, s.String(), func(string) {
		var err error
		if b, err = embedded.Start(1, []string{"audit"}, kfake.Ports(port)); err != nil {
			t.Errorf("start the broker on %s: %v", addr, err)
		}
	})
	wantCodes(t, run, "init", "k", "FLB_OK")
	codes := run.codes("flush", "k")
	if len(codes) < 3 || codes[0] != "FLB_RETRY" || codes[1] != "FLB_RETRY" || codes[len(codes)-1] != "FLB_OK" {
		t.Errorf("flush codes %v, want FLB_RETRY while the broker is down, then FLB_OK", codes)
	}
	for _, c := range codes[2 : len(codes)-1] {
		if c != "FLB_RETRY" {
			t.Errorf("flush codes %v: only FLB_RETRY may come before the final FLB_OK", codes)
		}
	}
	t.Logf("flush codes: %v", codes)
	if !strings.Contains(run.stderr, "Fluent Bit will retry the chunk") {
		t.Errorf("no retry warning logged")
	}
	if b == nil {
		t.FailNow()
	}
	want := auditIDs(t, lines)
	got, _ := consume(t, b.Addrs(), "audit", len(want))
	if !slices.Equal(got, want) {
		t.Fatalf("read back %d messages, want the %d events of the chunk, each once", len(got), len(want))
	}
}

// Bad configuration fails FLBPluginInit with one log line per problem naming
// its property; flushes that reach the plugin with a context it does not know
// (init failed, or a pointer it never issued) are refused with FLB_ERROR; an
// instance configured after the failed one still works.
func TestBoundaryBadConfigAndForeignContexts(t *testing.T) {
	lines := readAuditLines(t)[:20]
	b, err := embedded.Start(1, []string{"good"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	chunk := writeChunk(t, t.TempDir(), "chunk", chunkForm{}, lines)

	var s script
	s.instance("bad", map[string]string{
		"brokers":       "no-port-here",
		"compression":   "brotli",
		"required_acks": "some",
		"write_timeout": "soon",
		"sasl_password": "hunter2-secret",
		"alias":         "audit_out", // Fluent Bit keeps it: the plugin never sees it
	})
	s.instance("nobrokers", map[string]string{"topic": "x"})
	s.instance("good", map[string]string{"brokers": b.Addrs()[0], "topic": "good", "stages": allStages})
	s.line("init bad")
	s.line("init nobrokers")
	s.line("init good")
	s.line("flush_null %s", chunk)
	s.line("flush_foreign %s", chunk)
	s.line("flush good %s", chunk)
	run := runHost(t, s.String(), nil)

	wantCodes(t, run, "init", "bad", "FLB_ERROR")
	wantCodes(t, run, "init", "nobrokers", "FLB_ERROR")
	wantCodes(t, run, "init", "good", "FLB_OK")
	for _, inst := range []string{"bad", "nobrokers"} {
		if c := run.find("init", inst); len(c) == 1 && c[0].kv["context"] != "unset" {
			t.Errorf("failed init of %s set a remote_context", inst)
		}
	}
	wantCodes(t, run, "flush_null", "-", "FLB_ERROR")
	wantCodes(t, run, "flush_foreign", "-", "FLB_ERROR")
	wantCodes(t, run, "flush", "good", "FLB_OK")

	var problems []string
	for _, l := range strings.Split(run.stderr, "\n") {
		if strings.Contains(l, "[kube_audit_kafka#1] invalid configuration") {
			problems = append(problems, l)
		}
	}
	// sasl_password without sasl_mechanism is a problem too (it would connect
	// unauthenticated); its value is never shown.
	for _, key := range []string{"brokers", "compression", "required_acks", "write_timeout", "sasl_mechanism"} {
		n := 0
		for _, p := range problems {
			if strings.Contains(p, strconv.Quote(key)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d log lines name property %q, want 1", n, key)
		}
	}
	if len(problems) != 5 {
		t.Errorf("%d problem lines, want one per bad property (5):\n%s", len(problems), strings.Join(problems, "\n"))
	}
	if !regexpLine(run.stderr, "[kube_audit_kafka#2]", `"brokers"`) {
		t.Errorf("missing brokers not reported naming the property")
	}
	if strings.Contains(run.stderr, "hunter2") {
		t.Errorf("a secret reached the logs")
	}
	if !strings.Contains(run.stderr, "unknown plugin instance") {
		t.Errorf("refused flush not logged")
	}
	got, _ := consume(t, b.Addrs(), "good", len(lines))
	if want := auditIDs(t, lines); !slices.Equal(got, want) {
		t.Errorf("good instance: read back %d of %d", len(got), len(want))
	}
}

func regexpLine(text string, parts ...string) bool {
	for _, l := range strings.Split(text, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}
