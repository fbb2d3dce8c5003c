package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
)

const labLog = "../../testdata/lab-policy.audit.log"

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := run(args, stdin, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// shippable counts, straight from the log, the events the default stages
// ship: ResponseComplete and Panic, plus ResponseStarted of pods
// exec/attach/portforward.
func shippable(t *testing.T, path string) (events, ship int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var e struct {
			Stage          string
			ObjectRef      *struct{ Resource, Subresource string }
			ResponseStatus *struct{ Code int }
		}
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		events++
		switch {
		case e.Stage == "ResponseComplete", e.Stage == "Panic":
			ship++
		case e.Stage == "ResponseStarted" && e.ObjectRef != nil && e.ObjectRef.Resource == "pods" &&
			(e.ObjectRef.Subresource == "exec" || e.ObjectRef.Subresource == "attach" || e.ObjectRef.Subresource == "portforward"):
			ship++
		case e.Stage == "ResponseStarted" && e.ResponseStatus != nil && e.ResponseStatus.Code == 401:
			ship++ // a 401 is only ever logged at ResponseStarted
		}
	}
	return events, ship
}

type dryLine struct {
	Topic string          `json:"topic"`
	Key   *string         `json:"key"`
	Value json.RawMessage `json:"value"`
}

func parseDry(t *testing.T, stdout string) []dryLine {
	t.Helper()
	var out []dryLine
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var d dryLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("dry-run line is not {topic,key,value} JSON: %v: %.200s", err, sc.Text())
		}
		out = append(out, d)
	}
	return out
}

func TestDryRunRealLog(t *testing.T) {
	_, want := shippable(t, labLog)
	r := runCmd(t, nil, "--dry-run", labLog)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := parseDry(t, r.stdout)
	if len(lines) != want {
		t.Fatalf("%d dry-run lines, want %d shippable events", len(lines), want)
	}
	for _, d := range lines {
		var v struct {
			AuditID    string `json:"auditID"`
			Enrichment struct {
				Severity string `json:"severity"`
			} `json:"enrichment"`
		}
		if err := json.Unmarshal(d.Value, &v); err != nil {
			t.Fatal(err)
		}
		if d.Topic != "kube-audit" || d.Key == nil || *d.Key != v.AuditID || v.AuditID == "" || v.Enrichment.Severity == "" {
			t.Fatalf("bad line: topic %q key %v auditID %q severity %q", d.Topic, d.Key, v.AuditID, v.Enrichment.Severity)
		}
	}
	// The summary goes to stderr and tells what happened.
	for _, s := range []string{"dry run", fmt.Sprintf("shipped     %d messages", want), "stage_filtered"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("summary lacks %q:\n%s", s, r.stderr)
		}
	}
}

func TestDryRunRoutesLikeTheWriter(t *testing.T) {
	in := firstLines(t, labLog, 30)
	r := runCmd(t, strings.NewReader(in), "--dry-run", "-p", "Topic=audit-x", "-p", "message_key=none", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := parseDry(t, r.stdout)
	if len(lines) == 0 {
		t.Fatal("nothing shipped")
	}
	for _, d := range lines {
		if d.Topic != "audit-x" || d.Key != nil {
			t.Fatalf("topic %q key %v, want audit-x and null", d.Topic, d.Key)
		}
	}
	r = runCmd(t, strings.NewReader(in), "--dry-run", "-p", "message_key=user", "-")
	for _, d := range parseDry(t, r.stdout) {
		var v struct{ User struct{ Username string } }
		json.Unmarshal(d.Value, &v)
		if d.Key == nil || *d.Key != v.User.Username {
			t.Fatalf("key %v, want the user %q", d.Key, v.User.Username)
		}
	}
}

func firstLines(t *testing.T, path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.SplitAfter(string(b), "\n")
	return strings.Join(ls[:min(n, len(ls))], "")
}

func TestStdinAndRepeatAndCustomLogKey(t *testing.T) {
	in := firstLines(t, labLog, 40)
	_, want := shippableString(t, in)
	r := runCmd(t, strings.NewReader(in), "--dry-run", "--repeat", "3", "--chunk", "7", "-p", "log_key=message", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := len(parseDry(t, r.stdout)); got != 3*want {
		t.Fatalf("%d lines, want %d", got, 3*want)
	}
	if !strings.Contains(r.stderr, "standard input (x3)") || !strings.Contains(r.stderr, `{"message": line}]`) {
		t.Errorf("summary: %s", r.stderr)
	}
}

func shippableString(t *testing.T, s string) (int, int) {
	p := filepath.Join(t.TempDir(), "in.log")
	os.WriteFile(p, []byte(s), 0o600)
	return shippable(t, p)
}

// A line that is not an audit event is counted, with its reason; blank lines
// and a last line without newline are fine; a 300 KB event is one line.
func TestOddLines(t *testing.T) {
	ev := strings.TrimSpace(firstLines(t, labLog, 1))
	var m map[string]any
	json.Unmarshal([]byte(ev), &m)
	m["requestObject"] = map[string]any{"data": strings.Repeat("x", 300<<10)}
	m["stage"] = "ResponseComplete"
	big, _ := json.Marshal(m)
	in := "\n  \nnot json at all\n" + `{"kind":"Pod"}` + "\n" + string(big) + "\n" + ev
	r := runCmd(t, strings.NewReader(in), "--dry-run", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := parseDry(t, r.stdout)
	if len(lines) != 2 {
		t.Fatalf("%d messages, want 2 (the big event and the last line)", len(lines))
	}
	if len(lines[0].Value) < 300<<10 {
		t.Fatalf("big event shipped as %d bytes", len(lines[0].Value))
	}
	if !strings.Contains(r.stderr, "not_audit_event 2") || !strings.Contains(r.stderr, "2 blank lines skipped") {
		t.Errorf("summary does not count the drops:\n%s", r.stderr)
	}
}

func TestBadProperties(t *testing.T) {
	secret := "hunter2-very-secret"
	for _, tc := range []struct {
		name string
		args []string
		want []string // each must be in the one error line
	}{
		{"unknown key", []string{"-p", "topc=x"}, []string{`"topc"`, `did you mean "topic"`, "valid properties: log_key, brokers"}},
		{"bad value", []string{"-p", "compression=brotli"}, []string{`"compression"`, "brotli", "zstd"}},
		{"not key=value", []string{"-p", "compression"}, []string{`"compression"`, "key=value"}},
		{"not key=value, not a key: never echoed", []string{"-p", secret}, []string{"key=value", "not shown"}},
		{"several at once", []string{"-p", "compression=brotli", "-p", "bogus=1", "-p", "write_timeout=-3s", "-p", "stages=Nope"},
			[]string{"4 bad properties", `"compression"`, `"bogus"`, `"write_timeout"`, `"stages"`}},
		{"secret never echoed", []string{"-p", "sasl_pasword=" + secret, "-p", "sasl_password=" + secret, "-p", "sasl_mechanism=PLAIN"},
			[]string{`"sasl_pasword"`, `"sasl_username"`}},
		{"tls without brokers", []string{"-p", "tls_enabled=on"}, []string{`"tls_enabled"`, "embedded broker"}},
		{"bad repeat", []string{"--repeat", "0"}, []string{"--repeat"}},
		{"unknown flag", []string{"--bogus"}, []string{"bogus"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), labLog)
			r := runCmd(t, nil, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %s", r.stdout)
			}
			if n := strings.Count(r.stderr, "\n"); n != 1 {
				t.Fatalf("%d lines on stderr, want one: %s", n, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("error line lacks %q: %s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, secret) {
				t.Errorf("the secret leaked: %s", r.stderr)
			}
		})
	}
}

func TestUnreadableInput(t *testing.T) {
	dir := t.TempDir()
	noPerm := filepath.Join(dir, "noperm.log")
	os.WriteFile(noPerm, []byte("{}\n"), 0)
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "missing.log"), "no such file"},
		{"directory", dir, "is a directory"},
		{"no permission", noPerm, "permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "no permission" && os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			// A readable file first: nothing is shipped before the bad one is found.
			r := runCmd(t, nil, "--dry-run", labLog, tc.path)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("want one line with %q: %s", tc.want, r.stderr)
			}
			if r.stdout != "" {
				t.Fatal("something was shipped before the input error")
			}
		})
	}
	r := runCmd(t, nil)
	if r.code != 2 || !strings.Contains(r.stderr, "no input") {
		t.Fatalf("no arguments: exit %d %s", r.code, r.stderr)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n = 0
		return copy(p, "{\"a\":1}\n"), nil
	}
	return 0, fmt.Errorf("device on fire")
}

func TestReadErrorMidway(t *testing.T) {
	r := runCmd(t, &failingReader{n: 1}, "--dry-run", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "device on fire") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

var (
	shippedRe  = regexp.MustCompile(`shipped\s+([\d,]+) messages`)
	readBackRe = regexp.MustCompile(`read back\s+([\d,]+) messages`)
)

func count(t *testing.T, re *regexp.Regexp, s string) int {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%v not in summary:\n%s", re, s)
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

// Without brokers the real log goes into an embedded broker over TCP and a
// real consumer reads every message back.
func TestEmbeddedBrokerRun(t *testing.T) {
	_, want := shippable(t, labLog)
	for _, codec := range []string{"zstd", "none"} {
		t.Run(codec, func(t *testing.T) {
			r := runCmd(t, nil, "-p", "compression="+codec, labLog)
			if r.code != 0 {
				t.Fatalf("exit %d: %s\n%s", r.code, r.stdout, r.stderr)
			}
			shipped, back := count(t, shippedRe, r.stdout), count(t, readBackRe, r.stdout)
			if shipped != want || back != shipped {
				t.Fatalf("shipped %d, read back %d, want %d:\n%s", shipped, back, want, r.stdout)
			}
			for _, s := range []string{"embedded Kafka broker on 127.0.0.1:", "every shipped message arrived", "severity", "events/s", "per flush batch"} {
				if codec == "none" && s == "per flush batch" {
					s = "not compressed"
				}
				if !strings.Contains(r.stdout, s) {
					t.Errorf("summary lacks %q:\n%s", s, r.stdout)
				}
			}
		})
	}
}

// With a small max_message_bytes, big events are truncated or dead-lettered:
// the summary says how many, and the read back counts the stubs on the
// dead-letter topic, so every event is accounted for.
func TestEmbeddedBrokerDeadLetters(t *testing.T) {
	_, want := shippable(t, labLog)
	r := runCmd(t, nil, "-p", "max_message_bytes=1024", "-p", "dlq_topic=audit-dlq", labLog)
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stdout, r.stderr)
	}
	shipped, back := count(t, shippedRe, r.stdout), count(t, readBackRe, r.stdout)
	dead := count(t, regexp.MustCompile(`dead letter\s+([0-9,]+) events`), r.stdout)
	if dead == 0 || !strings.Contains(r.stdout, "truncated") {
		t.Fatalf("no event truncated or dead-lettered:\n%s", r.stdout)
	}
	if shipped+dead != want || back != want || !strings.Contains(r.stdout, "every shipped message arrived") {
		t.Fatalf("shipped %d + dead-lettered %d, read back %d, want %d:\n%s", shipped, dead, back, want, r.stdout)
	}
}

func TestExternalBrokerDown(t *testing.T) {
	// A port nothing listens on: the flush is retried, then the command
	// gives up with one line and exit 1.
	r := runCmd(t, strings.NewReader(firstLines(t, labLog, 3)), "-p", "brokers=127.0.0.1:1", "-p", "write_timeout=1s", "-")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "could not be delivered") {
		t.Fatalf("exit %d, want 1 and exactly one line:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "records not delivered") {
		t.Errorf("summary does not say what was lost:\n%s", r.stdout)
	}
	// They were decoded, even if not delivered.
	if !strings.Contains(r.stdout, "3 audit events decoded") {
		t.Errorf("summary does not count the decoded events:\n%s", r.stdout)
	}
	// plugin_log_level shows the plugin's lines: each retry is logged.
	r = runCmd(t, strings.NewReader(firstLines(t, labLog, 3)), "-p", "brokers=127.0.0.1:1", "-p", "write_timeout=1s", "-p", "plugin_log_level=warn", "-")
	if r.code != 1 || strings.Count(r.stderr, "delivery failed") < 2 {
		t.Fatalf("plugin_log_level=warn: exit %d:\n%s", r.code, r.stderr)
	}
}

// Input that holds no audit event is a failure a script can see, whatever
// the reason; the summary still says what was read.
func TestNoAuditEventIsAFailure(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i/3)
	}
	for name, in := range map[string]string{
		"empty":        "",
		"blank lines":  "\n\n  \n",
		"not JSON":     "hello\nworld\n",
		"random bytes": string(random),
		"other JSON":   `{"kind":"Pod","apiVersion":"v1"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			r := runCmd(t, strings.NewReader(in), "--dry-run", "-")
			if r.code != 1 || strings.Count(r.stderr, "kube-audit-kafka: ") != 2 {
				t.Fatalf("exit %d, want 1 with the summary and one error line:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "no audit event") && !strings.Contains(r.stderr, "no line") {
				t.Errorf("error does not say why:\n%s", r.stderr)
			}
		})
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o644)
	if r := runCmd(t, nil, empty); r.code != 1 {
		t.Fatalf("empty file into the embedded broker: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A gzip file cut short ships every complete line before the cut, then
// reports the error and exits 1.
func TestTruncatedGzipShipsWhatWasRead(t *testing.T) {
	log, err := os.ReadFile(labLog)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(log)
	zw.Close()
	cut := gz.Bytes()[:gz.Len()/2]
	path := filepath.Join(t.TempDir(), "audit.log.gz")
	os.WriteFile(path, cut, 0o644)

	// The complete lines in what a gzip reader gets out of the cut file.
	zr, _ := gzip.NewReader(bytes.NewReader(cut))
	readable, _ := io.ReadAll(zr)
	complete := readable[:bytes.LastIndexByte(readable, '\n')+1]
	_, want := shippableString(t, string(complete))
	if want < 100 {
		t.Fatalf("only %d shippable events before the cut", want)
	}

	r := runCmd(t, nil, "--dry-run", path)
	if r.code != 1 || !strings.Contains(r.stderr, "unexpected EOF") || !strings.Contains(r.stderr, "were shipped") {
		t.Fatalf("exit %d, want 1 and the read error:\n%s", r.code, r.stderr)
	}
	if got := len(parseDry(t, r.stdout)); got != want {
		t.Fatalf("%d messages shipped, want the %d of the readable part", got, want)
	}
}

func TestMistypedSubcommand(t *testing.T) {
	r := runCmd(t, nil, "wacth", "--brokers", "x:1")
	if r.code != 2 || !strings.Contains(r.stderr, `did you mean "watch"`) || strings.Contains(r.stderr, "no such file") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r = runCmd(t, nil, "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, "neither a subcommand") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// A path is still an input file, missing or not.
	r = runCmd(t, nil, "--dry-run", "./wacth")
	if r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// metrics_listen and plugin_log_level work in the command as in the plugin.
func TestCommandMetricsAndLogLevel(t *testing.T) {
	r := runCmd(t, strings.NewReader(firstLines(t, labLog, 5)), "--dry-run", "-p", "metrics_listen=127.0.0.1:0", "-p", "plugin_log_level=debug", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"serving /metrics and /healthz on 127.0.0.1:", "msg=started", "msg=flushed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// Without plugin_log_level the command logs errors only.
	r = runCmd(t, strings.NewReader(firstLines(t, labLog, 5)), "--dry-run", "-")
	if r.code != 0 || strings.Contains(r.stderr, "msg=") {
		t.Fatalf("exit %d, log lines without plugin_log_level:\n%s", r.code, r.stderr)
	}
}

func TestHelpAndProperties(t *testing.T) {
	r := runCmd(t, nil, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--dry-run") || !strings.Contains(r.stdout, "watch [flags]") {
		t.Fatalf("help: %d %s", r.code, r.stdout)
	}
	r = runCmd(t, nil, "--properties")
	if r.code != 0 || !strings.Contains(r.stdout, "compression") || !strings.Contains(r.stdout, "zstd") {
		t.Fatalf("properties: %d %s", r.code, r.stdout)
	}
}

func TestSubcommandRegistry(t *testing.T) {
	var got []string
	subcommands["test-sub"] = func(args []string, _ io.Reader, stdout, _ io.Writer) int {
		got = args
		fmt.Fprint(stdout, "sub ran")
		return 7
	}
	defer delete(subcommands, "test-sub")
	r := runCmd(t, nil, "test-sub", "a", "-p", "x=y")
	if r.code != 7 || r.stdout != "sub ran" || strings.Join(got, " ") != "a -p x=y" {
		t.Fatalf("got %d %q %q", r.code, r.stdout, got)
	}
}

func TestClosest(t *testing.T) {
	for in, want := range map[string]string{"topc": "topic", "Compression": "compression", "sasl-password": "sasl_password", "zzzzzz": "", "tls_ca": "tls_ca_file"} {
		if got := closest(in); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}

// What --dry-run prints is exactly what the writer ships: same topics, keys
// and values, read back from a broker named by the brokers property.
func TestDryRunMatchesWhatIsShipped(t *testing.T) {
	b, err := embedded.Start(2, []string{"audit-x"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in := firstLines(t, labLog, 120)
	props := []string{"-p", "topic=audit-x", "-p", "message_key=namespace", "-p", "compression=lz4", "-p", "cluster_name=lab"}
	dry := runCmd(t, strings.NewReader(in), append(append([]string{"--dry-run"}, props...), "-")...)
	if dry.code != 0 {
		t.Fatalf("dry run: %d %s", dry.code, dry.stderr)
	}
	want := map[string]int{}
	for _, d := range parseDry(t, dry.stdout) {
		k := "null"
		if d.Key != nil {
			k = *d.Key
		}
		want[d.Topic+"\x00"+k+"\x00"+string(d.Value)]++
	}
	real := runCmd(t, strings.NewReader(in), append(append([]string{"-p", "brokers=" + b.Addrs()[0]}, props...), "-")...)
	if real.code != 0 {
		t.Fatalf("ship: %d %s %s", real.code, real.stdout, real.stderr)
	}
	if !strings.Contains(real.stdout, "read back   skipped (external brokers") {
		t.Errorf("summary:\n%s", real.stdout)
	}
	recs, err := embedded.Consume(context.Background(), b.Addrs(), []string{"audit-x"}, len(want), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs {
		k := string(r.Key)
		if r.Key == nil {
			k = "null"
		}
		got[r.Topic+"\x00"+k+"\x00"+string(r.Value)]++
	}
	if len(recs) == 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("shipped %d messages differ from the %d of the dry run", len(recs), len(want))
	}
}

// Rotated logs compressed by kube-apiserver (--audit-log-compress) are read
// as they are; the classic chunk form ships the same messages.
func TestGzipInputAndClassicChunks(t *testing.T) {
	in := firstLines(t, labLog, 50)
	plain := runCmd(t, strings.NewReader(in), "--dry-run", "-")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(in))
	zw.Close()
	p := filepath.Join(t.TempDir(), "audit-2026-11-22.log.gz")
	os.WriteFile(p, gz.Bytes(), 0o600)
	fromGz := runCmd(t, nil, "--dry-run", p)
	classic := runCmd(t, strings.NewReader(in), "--dry-run", "--classic", "-")
	if plain.code != 0 || fromGz.code != 0 || classic.code != 0 {
		t.Fatalf("exit %d %d %d: %s %s", plain.code, fromGz.code, classic.code, fromGz.stderr, classic.stderr)
	}
	if n := len(parseDry(t, plain.stdout)); n == 0 || fromGz.stdout != plain.stdout || classic.stdout != plain.stdout {
		t.Fatalf("gzip or classic input shipped something else (%d messages)", n)
	}
	if !strings.Contains(classic.stderr, "classic [time, {") || !strings.Contains(plain.stderr, "[[time, metadata], {") {
		t.Errorf("summary does not name the chunk form:\n%s\n%s", plain.stderr, classic.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.gz")
	os.WriteFile(bad, []byte{0x1f, 0x8b, 0, 0}, 0o600)
	if r := runCmd(t, nil, "--dry-run", bad); r.code != 1 || !strings.Contains(r.stderr, "gzip") {
		t.Fatalf("corrupt gzip: exit %d %s", r.code, r.stderr)
	}
}
