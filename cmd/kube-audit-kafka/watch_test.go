package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// labEvent is the part of a raw audit event the expectations are computed
// from, independently of the pipeline.
type labEvent struct {
	Stage      string `json:"stage"`
	Enrichment struct {
		Severity string `json:"severity"`
	} `json:"enrichment"`
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ImpersonatedUser *struct {
		Username string `json:"username"`
	} `json:"impersonatedUser"`
	ObjectRef *struct {
		Resource, Subresource, Namespace string
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// shipLab sends the real log through the real pipeline into kfake and
// returns the broker and the events it holds, read back with a plain
// consumer and decoded independently of watch.
func shipLab(t *testing.T) (*embedded.Broker, []labEvent) {
	t.Helper()
	b, err := embedded.Start(3, []string{"kube-audit"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfg, err := conf.Load(conf.MapGetter{"brokers": b.Addrs()[0], "topic": "kube-audit"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	f, err := os.Open("../../testdata/lab-policy.audit.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cw flbchunk.Writer
	shipped := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	flush := func() {
		res := p.Flush(context.Background(), cw.Bytes())
		if res.Status != pipeline.OK {
			t.Fatalf("flush: %v %v", res.Status, res.Err)
		}
		shipped += res.Shipped
		cw.Reset()
	}
	for sc.Scan() {
		cw.AddLine(time.Now(), "log", sc.Bytes())
		if cw.Len() == 100 {
			flush()
		}
	}
	flush()
	if shipped < 600 {
		t.Fatalf("only %d of the lab's 620 events shipped", shipped)
	}
	recs, err := embedded.Consume(context.Background(), b.Addrs(), []string{"kube-audit"}, shipped, 5*time.Second)
	if err != nil || len(recs) != shipped {
		t.Fatalf("read back %d of %d messages: %v", len(recs), shipped, err)
	}
	evs := make([]labEvent, len(recs))
	for i, r := range recs {
		if err := json.Unmarshal(r.Value, &evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return b, evs
}

func runWatch(t *testing.T, b *embedded.Broker, args ...string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	all := append([]string{"--brokers", strings.Join(b.Addrs(), ","), "--topic", "kube-audit", "--from-beginning", "--exit-idle", "1s"}, args...)
	if rc := watchMain(all, nil, &out, &errb); rc != 0 {
		t.Fatalf("watch %v: exit %d: %s", args, rc, errb.String())
	}
	s := strings.TrimSuffix(out.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func countEvents(evs []labEvent, keep func(*labEvent) bool) int {
	n := 0
	for i := range evs {
		if keep(&evs[i]) {
			n++
		}
	}
	return n
}

func TestWatchAnswersTheInvestigationQuestions(t *testing.T) {
	b, evs := shipLab(t)
	res := func(e *labEvent) string {
		if e.ObjectRef == nil {
			return ""
		}
		if e.ObjectRef.Subresource != "" {
			return e.ObjectRef.Resource + "/" + e.ObjectRef.Subresource
		}
		return e.ObjectRef.Resource
	}
	code := func(e *labEvent) int {
		if e.ResponseStatus == nil {
			return 0
		}
		return e.ResponseStatus.Code
	}

	all := runWatch(t, b)
	if len(all) != len(evs) {
		t.Fatalf("watch printed %d lines, %d events were shipped", len(all), len(evs))
	}
	for _, l := range all {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("line %q: want time, severity, summary", l)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", f[0]); err != nil {
			t.Fatalf("line %q: time: %v", l, err)
		}
		if !slices.Contains(record.SeverityNames(), strings.ToLower(f[1])) {
			t.Fatalf("line %q: severity %q", l, f[1])
		}
		if strings.Contains(l, "\x1b[") {
			t.Fatalf("colour on a non-terminal: %q", l)
		}
	}

	hasResource := func(e *labEvent, r string) bool { return e.ObjectRef != nil && e.ObjectRef.Resource == r }
	cases := []struct {
		name string
		args []string
		keep func(*labEvent) bool // which messages the filter must select
		word string               // in every line (the summary names it)
	}{
		{"who accessed secrets", []string{"--resource", "secrets"}, func(e *labEvent) bool { return hasResource(e, "secrets") }, "secret"},
		{"what was deleted", []string{"--verb", "delete"}, func(e *labEvent) bool { return e.Verb == "delete" }, "delete"},
		{"who exec'd into which pod", []string{"--resource", "pods/exec"}, func(e *labEvent) bool { return res(e) == "pods/exec" }, "debug"},
		{"failed anonymous requests", []string{"--user", "system:anonymous", "--failed"}, func(e *labEvent) bool { return e.User.Username == "system:anonymous" && code(e) >= 400 }, "system:anonymous"},
		{"one namespace, globbed", []string{"--namespace", "audit-*", "--verb", "create,patch"}, func(e *labEvent) bool {
			return e.ObjectRef != nil && e.ObjectRef.Namespace == "audit-lab" && (e.Verb == "create" || e.Verb == "patch")
		}, "audit-lab"},
		{"impersonation counts as the user", []string{"--user", "dev-user", "--resource", "secrets"}, func(e *labEvent) bool {
			u := e.User.Username == "dev-user" || e.ImpersonatedUser != nil && e.ImpersonatedUser.Username == "dev-user"
			return u && hasResource(e, "secrets")
		}, "dev-user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := countEvents(evs, c.keep)
			if want == 0 {
				t.Fatal("the lab log should hold such events")
			}
			lines := runWatch(t, b, c.args...)
			if len(lines) != want {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), want, strings.Join(lines, "\n"))
			}
			for _, l := range lines {
				if !strings.Contains(l, c.word) {
					t.Errorf("line without %q: %s", c.word, l)
				}
			}
			// The same filter with --json: every message is one it must select.
			for _, l := range runWatch(t, b, append([]string{"--json"}, c.args...)...) {
				var e labEvent
				if err := json.Unmarshal([]byte(l), &e); err != nil || !c.keep(&e) {
					t.Fatalf("selected a message it should not (%v): %.300s", err, l)
				}
			}
		})
	}

	t.Run("unique users", func(t *testing.T) {
		want := map[string]bool{}
		for _, e := range evs {
			u := e.User.Username
			if u == "" {
				u = "(unauthenticated)"
			}
			want[u] = true
		}
		got := runWatch(t, b, "--users")
		if len(got) != len(want) {
			t.Fatalf("users %v, want %v", got, want)
		}
		for _, u := range got {
			if !want[u] {
				t.Errorf("unexpected user %q", u)
			}
		}
	})

	t.Run("json for jq", func(t *testing.T) {
		lines := runWatch(t, b, "--json", "--verb", "delete")
		for _, l := range lines {
			var m struct {
				Verb       string          `json:"verb"`
				Enrichment json.RawMessage `json:"enrichment"`
			}
			if err := json.Unmarshal([]byte(l), &m); err != nil || m.Verb != "delete" || len(m.Enrichment) == 0 {
				t.Fatalf("not a native message of a delete: %v %.200s", err, l)
			}
		}
		if len(lines) != countEvents(evs, func(e *labEvent) bool { return e.Verb == "delete" }) {
			t.Fatalf("%d messages", len(lines))
		}
	})

	t.Run("min severity", func(t *testing.T) {
		for _, min := range record.SeverityNames() {
			want := countEvents(evs, func(e *labEvent) bool { return severityRank(e.Enrichment.Severity) >= severityRank(min) })
			if got := len(runWatch(t, b, "--min-severity", min)); got != want {
				t.Errorf("--min-severity %s: %d lines, want %d", min, got, want)
			}
		}
	})

	t.Run("colour always, max", func(t *testing.T) {
		lines := runWatch(t, b, "--color", "always", "--max", "3")
		if len(lines) != 3 {
			t.Fatalf("%d lines with --max 3", len(lines))
		}
		for _, l := range lines {
			if !strings.Contains(l, "\x1b[") || !strings.Contains(l, "\x1b[0m") {
				t.Errorf("no colour: %q", l)
			}
		}
	})
}

func TestWatchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--min-severity", "urgent", "--brokers", "127.0.0.1:1"},
		{"--topic", "x"},
		{"--brokers", "127.0.0.1:1", "--sasl-mechanism", "GSSAPI", "--sasl-username", "u"},
		{"--brokers", "127.0.0.1:1", "--user", "[bad"},
		{"--brokers", "127.0.0.1:1", "stray"},
	} {
		t.Setenv("KAFKA_BROKERS", "")
		t.Setenv("KAFKA_SASL_PASSWORD", "pw")
		var out, errb bytes.Buffer
		if rc := watchMain(args, nil, &out, &errb); rc != 2 || errb.Len() == 0 {
			t.Errorf("watch %v: exit %d, stderr %q", args, rc, errb.String())
		}
	}
}

func TestParseViewGenericFormats(t *testing.T) {
	v, err := parseView([]byte(`{"time":1795000000000,"severity":"High","message":"alice delete secrets db in x","actor":{"user":{"name":"alice"}},"api":{"operation":"delete"}}`), nil)
	if err != nil || v.Severity != "high" || v.User != "alice" || v.Verb != "delete" || v.Summary != "alice delete secrets db in x" || v.Time.IsZero() {
		t.Fatalf("OCSF-shaped: %+v %v", v, err)
	}
	v, err = parseView([]byte(`{"@timestamp":"2026-11-22T02:00:00Z","message":"m","user":{"name":"bob"},"event":{"action":"get"}}`), nil)
	if err != nil || v.User != "bob" || v.Verb != "get" || v.Severity != "info" || v.Time.IsZero() {
		t.Fatalf("ECS-shaped: %+v %v", v, err)
	}
	if _, err := parseView([]byte("not json"), nil); err == nil {
		t.Fatal("garbage accepted")
	}
}

// watch authenticates with SASL as the plugin's properties would; a wrong
// password is an error, not an empty screen.
func TestWatchSASL(t *testing.T) {
	const user, pass = "watcher", "w4tch-pass"
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			b, err := embedded.Start(1, []string{"kube-audit"}, kfake.EnableSASL(), kfake.Superuser(mech, user, pass))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			var auth sasl.Mechanism
			switch mech {
			case "PLAIN":
				auth = plain.Auth{User: user, Pass: pass}.AsMechanism()
			case "SCRAM-SHA-256":
				auth = scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
			default:
				auth = scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.SASL(auth))
			if err != nil {
				t.Fatal(err)
			}
			msg := `{"kind":"Event","verb":"delete","user":{"username":"alice"},"stageTimestamp":"2026-11-22T02:21:27.553000Z","objectRef":{"resource":"secrets","namespace":"x","name":"db"},"responseStatus":{"code":200},"enrichment":{"severity":"high","summary":"alice delete secrets db in x: allowed, 200"}}`
			if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "kube-audit", Value: []byte(msg)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			cl.Close()
			pw := filepath.Join(t.TempDir(), "password")
			if err := os.WriteFile(pw, []byte(pass+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			lines := runWatch(t, b, "--sasl-mechanism", mech, "--sasl-username", user, "--sasl-password-file", pw)
			if len(lines) != 1 || lines[0] != "2026-11-22T02:21:27.553Z HIGH     alice delete secrets db in x: allowed, 200" {
				t.Fatalf("got %q", lines)
			}
			if err := os.WriteFile(pw, []byte("wrong"), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			args := []string{"--brokers", b.Addrs()[0], "--from-beginning", "--exit-idle", "3s", "--sasl-mechanism", mech, "--sasl-username", user, "--sasl-password-file", pw}
			if rc := watchMain(args, nil, &out, &errb); rc != 1 || out.Len() != 0 || strings.Contains(errb.String(), "wrong") {
				t.Fatalf("wrong password: exit %d, out %q, err %q", rc, out.String(), errb.String())
			}
		})
	}
}

func TestWatchFlagErrorsAreOneLine(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := watchMain([]string{"--bogus"}, nil, &out, &errb); rc != 2 || strings.Count(errb.String(), "\n") != 1 ||
		!strings.Contains(errb.String(), "bogus") || !strings.Contains(errb.String(), "watch -h") || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", rc, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if rc := watchMain([]string{"-h"}, nil, &out, &errb); rc != 0 || !strings.Contains(out.String(), "--from-beginning") || errb.Len() != 0 {
		t.Fatalf("-h: exit %d, stdout %q, stderr %q", rc, out.String(), errb.String())
	}
}

// watch reads the command's --dry-run output: no Kafka needed. An exec is
// shipped twice (started, complete): the stage tells the lines apart.
func TestWatchReadsDryRunOutput(t *testing.T) {
	r := runCmd(t, nil, "--dry-run", labLog)
	if r.code != 0 {
		t.Fatalf("dry run: exit %d: %s", r.code, r.stderr)
	}
	shipped := len(parseDry(t, r.stdout))
	var out, errb bytes.Buffer
	if rc := watchMain([]string{"-"}, strings.NewReader(r.stdout), &out, &errb); rc != 0 {
		t.Fatalf("watch -: exit %d: %s", rc, errb.String())
	}
	if !strings.Contains(errb.String(), "watch: reading messages from standard input") {
		t.Errorf("no start-up line: %q", errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != shipped {
		t.Fatalf("%d lines for %d messages", len(lines), shipped)
	}
	out.Reset()
	if rc := watchMain([]string{"--resource", "pods/exec", "-"}, strings.NewReader(r.stdout), &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	execs := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	started, seen := 0, map[string]bool{}
	for _, l := range execs {
		if strings.HasSuffix(l, "[ResponseStarted]") {
			started++
		}
		if seen[l] {
			t.Errorf("identical lines: %s", l)
		}
		seen[l] = true
	}
	if started == 0 || started == len(execs) {
		t.Fatalf("exec lines without both stages:\n%s", out.String())
	}
	// A file, with messages one a line (as watch --json writes them).
	path := filepath.Join(t.TempDir(), "msgs.jsonl")
	var raw bytes.Buffer
	for _, d := range parseDry(t, r.stdout) {
		raw.Write(d.Value)
		raw.WriteByte('\n')
	}
	os.WriteFile(path, raw.Bytes(), 0o644)
	out.Reset()
	if rc := watchMain([]string{path, "--verb", "delete"}, nil, &out, &errb); rc != 0 || out.Len() == 0 {
		t.Fatalf("watch FILE: exit %d: %s", rc, errb.String())
	}
	if rc := watchMain([]string{"--brokers", "x:1", path}, nil, &out, &errb); rc != 2 {
		t.Fatalf("--brokers and FILE: exit %d", rc)
	}
}

// Kafka mode: a start-up line, a word for a topic that does not exist, and
// one line when the broker goes away.
func TestWatchTellsWhatHappens(t *testing.T) {
	b, err := embedded.Start(1, []string{"kube-audit"})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	rc := watchMain([]string{"--brokers", b.Addrs()[0], "--topic", "kube-audit,no-such-topic", "--exit-idle", "1s"}, nil, &out, &errb)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	for _, want := range []string{"watch: reading topic kube-audit,no-such-topic from " + b.Addrs()[0], "topic no-such-topic does not exist"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}

	errb.Reset()
	go func() {
		time.Sleep(1500 * time.Millisecond)
		b.Close()
	}()
	rc = watchMain([]string{"--brokers", b.Addrs()[0], "--exit-idle", "5s"}, nil, &out, &errb)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	if n := strings.Count(errb.String(), "lost the connection to the brokers"); n != 1 {
		t.Errorf("%d lines about the lost broker, want 1:\n%s", n, errb.String())
	}
}

// Messages of one poll come from several partitions: they are printed in
// time order.
func TestWatchOrdersAPollByTime(t *testing.T) {
	b, err := embedded.Start(3, []string{"kube-audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.DefaultProduceTopic("kube-audit"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	base := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	// Partition 0 holds the later events, partition 2 the earlier ones.
	for i, part := range []int32{0, 0, 1, 2, 2} {
		ts := base.Add(time.Duration(10-2*i) * time.Second).Format(time.RFC3339Nano)
		v := `{"stage":"ResponseComplete","stageTimestamp":"` + ts + `","verb":"get","enrichment":{"severity":"info","summary":"event ` + ts + `"}}`
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Partition: part, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	lines := runWatch(t, b)
	if len(lines) != 5 {
		t.Fatalf("%d lines", len(lines))
	}
	if !slices.IsSorted(lines) { // the lines start with the time
		t.Fatalf("not in time order:\n%s", strings.Join(lines, "\n"))
	}
}
