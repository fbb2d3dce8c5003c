package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/glob"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

func init() { subcommands["watch"] = watchMain }

const watchUsage = `Usage: kube-audit-kafka watch --brokers host:port[,...] [flags]
       kube-audit-kafka watch [flags] FILE|-

Consumes the topic(s) kube-audit-kafka writes and prints one line per event:
time (UTC), severity, the summary, and the stage when it is not
ResponseComplete (an exec is shipped when it starts and when it ends).
Messages of one poll are printed in time order. With FILE (- for standard
input) it reads messages from there instead of Kafka: the output of
"kube-audit-kafka --dry-run" or one message a line (kcat, watch --json).
Filters combine with AND; a filter given a comma-separated list matches any
of its items; user and namespace accept * globs.

Examples:
  watch --brokers kafka:9092 --resource secrets --from-beginning     # who accessed secrets
  watch --brokers kafka:9092 --verb delete                          # what is deleted
  watch --brokers kafka:9092 --resource pods/exec,pods/attach       # who execs into which pod
  watch --brokers kafka:9092 --user system:anonymous --failed       # failed anonymous requests
  watch --brokers kafka:9092 --users --from-beginning --exit-idle 5s # unique users
  watch --brokers kafka:9092 --json | jq .                          # the messages, for jq
  kube-audit-kafka --dry-run audit.log | kube-audit-kafka watch --resource secrets -   # no Kafka needed

Flags:
`

// watchOpts are the parsed flags of watch.
type watchOpts struct {
	brokers, topics                 string
	fromBeginning                   bool
	group                           string
	minSeverity                     string
	users, namespaces, verbs, resrc string
	failed                          bool
	json, uniqueUsers               bool
	color                           string
	exitIdle                        time.Duration
	max                             int
	tls                             bool
	tlsCA, tlsCert, tlsKey, tlsName string
	tlsInsecure                     bool
	saslMech, saslUser, saslPwFile  string
}

func watchMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o watchOpts
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	// Errors are one line (below); the usage goes to stdout on -h only.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.brokers, "brokers", os.Getenv("KAFKA_BROKERS"), "Kafka bootstrap brokers, comma-separated (default $KAFKA_BROKERS)")
	fs.StringVar(&o.topics, "topic", "kube-audit", "topic(s) to read, comma-separated (e.g. kube-audit,kube-audit-alerts)")
	fs.BoolVar(&o.fromBeginning, "from-beginning", false, "read the topics from their start instead of only new events")
	fs.StringVar(&o.group, "group", "", "consumer group: resume where the group left off (default: no group, nothing committed)")
	fs.StringVar(&o.minSeverity, "min-severity", "info", "lowest severity shown: "+strings.Join(record.SeverityNames(), ", "))
	fs.StringVar(&o.users, "user", "", "user name(s) (or impersonated user), * globs allowed")
	fs.StringVar(&o.namespaces, "namespace", "", "namespace(s), * globs allowed")
	fs.StringVar(&o.verbs, "verb", "", "verb(s): get, list, create, update, patch, delete, ...")
	fs.StringVar(&o.resrc, "resource", "", "resource(s), e.g. secrets or pods/exec (a resource alone matches its subresources too)")
	fs.BoolVar(&o.failed, "failed", false, "only requests that failed or were denied (no 1xx-3xx response)")
	fs.BoolVar(&o.json, "json", false, "print each matching message as it is on the topic (one JSON object a line, for jq)")
	fs.BoolVar(&o.uniqueUsers, "users", false, "print each matching user once, when first seen")
	fs.StringVar(&o.color, "color", "auto", "colour the severity: auto (on a terminal, unless $NO_COLOR), always, never")
	fs.DurationVar(&o.exitIdle, "exit-idle", 0, "stop when nothing arrived for this long (default: follow until interrupted)")
	fs.IntVar(&o.max, "max", 0, "stop after this many matching events (default: no limit)")
	fs.BoolVar(&o.tls, "tls", false, "connect over TLS (the plugin's tls_enabled)")
	fs.StringVar(&o.tlsCA, "tls-ca-file", "", "PEM CA bundle (default: system roots)")
	fs.StringVar(&o.tlsCert, "tls-cert-file", "", "PEM client certificate")
	fs.StringVar(&o.tlsKey, "tls-key-file", "", "PEM client key")
	fs.StringVar(&o.tlsName, "tls-server-name", "", "server name to verify")
	fs.BoolVar(&o.tlsInsecure, "tls-insecure-skip-verify", false, "do not verify the brokers' certificates (testing only)")
	fs.StringVar(&o.saslMech, "sasl-mechanism", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.StringVar(&o.saslUser, "sasl-username", "", "SASL user name")
	fs.StringVar(&o.saslPwFile, "sasl-password-file", "", "file holding the SASL password (default: $KAFKA_SASL_PASSWORD)")
	// Flags and the file may come in any order.
	files, err := parseMixed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, watchUsage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "watch: %v (see watch -h)\n", err)
		return 2
	}
	if len(files) > 1 {
		fmt.Fprintf(stderr, "watch: unexpected argument %q: one FILE at most (see watch -h)\n", files[1])
		return 2
	}
	f, err := newFilter(&o)
	if err != nil {
		fmt.Fprintf(stderr, "watch: %v (see watch -h)\n", err)
		return 2
	}
	w := &watcher{opts: &o, filter: f, out: stdout, errOut: stderr, color: useColor(o.color, stdout), seen: map[string]bool{}}
	if len(files) == 1 {
		brokersGiven := false
		fs.Visit(func(fl *flag.Flag) { brokersGiven = brokersGiven || fl.Name == "brokers" })
		if brokersGiven {
			fmt.Fprintf(stderr, "watch: give --brokers or a FILE to read, not both (see watch -h)\n")
			return 2
		}
		return w.readFile(files[0], stdin)
	}
	opts, err := o.clientOpts()
	if err != nil {
		fmt.Fprintf(stderr, "watch: %v (see watch -h)\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := w.run(ctx, opts); err != nil {
		w.say("%v", err)
		return 1
	}
	return 0
}

func (o *watchOpts) clientOpts() ([]kgo.Opt, error) {
	brokers := conf.List(o.brokers)
	if len(brokers) == 0 {
		return nil, errors.New("--brokers is required (or set $KAFKA_BROKERS), or name a FILE to read")
	}
	topics := conf.List(o.topics)
	if len(topics) == 0 {
		return nil, errors.New("--topic is required")
	}
	start := kgo.NewOffset().AtEnd()
	if o.fromBeginning {
		start = kgo.NewOffset().AtStart()
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(start),
		kgo.ClientID("kube-audit-kafka-watch"),
		kgo.FetchMaxWait(500 * time.Millisecond),
	}
	if o.group != "" {
		opts = append(opts, kgo.ConsumerGroup(o.group))
	}
	if o.tls || o.tlsCA != "" || o.tlsCert != "" || o.tlsInsecure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.tlsName, InsecureSkipVerify: o.tlsInsecure}
		if o.tlsCA != "" {
			pem, err := os.ReadFile(o.tlsCA)
			if err != nil {
				return nil, fmt.Errorf("--tls-ca-file: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--tls-ca-file %s holds no PEM certificate", o.tlsCA)
			}
		}
		if (o.tlsCert == "") != (o.tlsKey == "") {
			return nil, errors.New("--tls-cert-file and --tls-key-file go together")
		}
		if o.tlsCert != "" {
			cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
			if err != nil {
				return nil, fmt.Errorf("client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if o.saslMech != "" {
		pw := os.Getenv("KAFKA_SASL_PASSWORD")
		if o.saslPwFile != "" {
			b, err := os.ReadFile(o.saslPwFile)
			if err != nil {
				return nil, fmt.Errorf("--sasl-password-file: %w", err)
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
		if o.saslUser == "" || pw == "" {
			return nil, errors.New("--sasl-mechanism needs --sasl-username and a password (--sasl-password-file or $KAFKA_SASL_PASSWORD)")
		}
		switch strings.ToUpper(o.saslMech) {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: o.saslUser, Pass: pw}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: o.saslUser, Pass: pw}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: o.saslUser, Pass: pw}.AsSha512Mechanism()))
		default:
			return nil, fmt.Errorf("unknown --sasl-mechanism %q (valid: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)", o.saslMech)
		}
	}
	return opts, nil
}

// view is what watch reads from one message, whatever its format.
type view struct {
	Time      time.Time
	Severity  string
	Summary   string
	User      string
	Imperson  string
	Verb      string
	Resource  string // resource or resource/subresource
	Namespace string
	Code      int
	Stage     string
}

// nativeMsg is a native message as the encoder writes it: the audit event
// (k8s.io/apiserver's type) with the enrichment (record.Native) as its last
// member.
type nativeMsg struct {
	auditv1.Event
	Enrichment *record.Native `json:"enrichment"`
	// The times are read as RFC 3339 of any precision (they shadow the
	// event's MicroTimes, whose parser takes microseconds only).
	StageTimestamp           time.Time `json:"stageTimestamp"`
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
}

// parseView reads a message. The native format is read field by field; the
// other formats through the common fields they share (message, severity,
// time, user name).
func parseView(value []byte, headers []kgo.RecordHeader) (view, error) {
	var n nativeMsg
	if err := json.Unmarshal(value, &n); err != nil {
		return view{}, fmt.Errorf("message is not JSON: %w", err)
	}
	var v view
	if n.Enrichment != nil || n.Verb != "" {
		v = view{Time: n.StageTimestamp, User: n.User.Username, Verb: n.Verb, Stage: string(n.Stage)}
		if v.Time.IsZero() {
			v.Time = n.RequestReceivedTimestamp
		}
		if n.ImpersonatedUser != nil {
			v.Imperson = n.ImpersonatedUser.Username
		}
		if r := n.ObjectRef; r != nil {
			v.Resource, v.Namespace = r.Resource, r.Namespace
			if r.Subresource != "" {
				v.Resource += "/" + r.Subresource
			}
		}
		if n.ResponseStatus != nil {
			v.Code = int(n.ResponseStatus.Code)
		}
		if n.Enrichment != nil {
			v.Severity, v.Summary = n.Enrichment.Severity, n.Enrichment.Summary
		}
		if v.Summary == "" {
			v.Summary = strings.TrimSpace(fmt.Sprintf("%s %s %s", v.User, v.Verb, n.RequestURI))
		}
	} else {
		v = genericView(value)
	}
	for _, h := range headers {
		if h.Key == "severity" && v.Severity == "" {
			v.Severity = string(h.Value)
		}
	}
	if v.Severity == "" {
		v.Severity = "info"
	}
	return v, nil
}

// genericView reads ECS- or OCSF-shaped messages by their common fields.
func genericView(value []byte) view {
	var m map[string]any
	_ = json.Unmarshal(value, &m)
	str := func(keys ...string) string {
		for _, k := range keys {
			var cur any = m
			for _, part := range strings.Split(k, ".") {
				mm, ok := cur.(map[string]any)
				if !ok {
					cur = nil
					break
				}
				cur = mm[part]
			}
			switch x := cur.(type) {
			case string:
				if x != "" {
					return x
				}
			case float64:
				return fmt.Sprint(x)
			}
		}
		return ""
	}
	v := view{Summary: str("message", "summary"), User: str("user.name", "actor.user.name"),
		Verb: str("api.operation", "event.action"), Namespace: str("orchestrator.namespace", "kubernetes.namespace"),
		Stage: str("kubernetes.audit.stage", "unmapped.kubernetes_audit.stage", "metadata.stage")}
	v.Severity = strings.ToLower(str("severity", "log.level", "event.severity_name"))
	if t, err := time.Parse(time.RFC3339Nano, str("@timestamp", "time_dt")); err == nil {
		v.Time = t
	} else if ms, ok := m["time"].(float64); ok {
		v.Time = time.UnixMilli(int64(ms))
	}
	return v
}

type filter struct {
	minRank           int
	users, namespaces glob.Set
	verbs, resources  []string
	failed            bool
}

func severityRank(s string) int {
	for i, name := range record.SeverityNames() {
		if strings.EqualFold(s, name) {
			return i
		}
	}
	return 0
}

func newFilter(o *watchOpts) (*filter, error) {
	valid := false
	for _, s := range record.SeverityNames() {
		valid = valid || strings.EqualFold(s, o.minSeverity)
	}
	if !valid {
		return nil, fmt.Errorf("unknown --min-severity %q (valid: %s)", o.minSeverity, strings.Join(record.SeverityNames(), ", "))
	}
	f := &filter{minRank: severityRank(o.minSeverity), verbs: conf.List(o.verbs), resources: conf.List(o.resrc), failed: o.failed}
	var err error
	if f.users, err = glob.CompileSet(conf.List(o.users)); err != nil {
		return nil, fmt.Errorf("bad pattern: %v", err)
	}
	if f.namespaces, err = glob.CompileSet(conf.List(o.namespaces)); err != nil {
		return nil, fmt.Errorf("bad pattern: %v", err)
	}
	return f, nil
}

// globAny reports whether one of the values, none empty, matches gs.
func globAny(gs glob.Set, values ...string) bool {
	for _, v := range values {
		if v != "" && gs.Match(v) {
			return true
		}
	}
	return false
}

func (f *filter) match(v *view) bool {
	if severityRank(v.Severity) < f.minRank {
		return false
	}
	if len(f.users) > 0 && !globAny(f.users, v.User, v.Imperson) {
		return false
	}
	if len(f.namespaces) > 0 && !globAny(f.namespaces, v.Namespace) {
		return false
	}
	if len(f.verbs) > 0 && !containsFold(f.verbs, v.Verb) {
		return false
	}
	if len(f.resources) > 0 {
		base, _, _ := strings.Cut(v.Resource, "/")
		if !containsFold(f.resources, v.Resource) && !containsFold(f.resources, base) {
			return false
		}
	}
	if f.failed && v.Code > 0 && v.Code < 400 {
		return false
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if s != "" && strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// ANSI colours by severity.
var severityColor = map[string]string{"info": "\x1b[2m", "low": "\x1b[36m", "medium": "\x1b[33m", "high": "\x1b[31m", "critical": "\x1b[1;41;97m"}

func useColor(mode string, out io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := out.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type watcher struct {
	opts   *watchOpts
	filter *filter
	out    io.Writer
	errOut io.Writer // start-up line, broker trouble, errors
	color  bool
	seen   map[string]bool
	shown  int

	mu sync.Mutex // errOut is written from the client's goroutines too
}

// say writes one "watch: ..." line on errOut.
func (w *watcher) say(format string, a ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.errOut, "watch: %s\n", oneLine(fmt.Sprintf(format, a...)))
}

// brokerHooks reports, once each, that the brokers became unreachable and
// that they are back. It only speaks once armed (after the first contact:
// before it, failing to connect is the error watch exits with).
type brokerHooks struct {
	w     *watcher
	armed atomic.Bool
	lost  atomic.Bool
}

func (h *brokerHooks) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if !h.armed.Load() {
		return
	}
	if err != nil {
		if h.lost.CompareAndSwap(false, true) {
			h.w.say("lost the connection to the brokers (%s:%d: %v); retrying until they are back", meta.Host, meta.Port, err)
		}
		return
	}
	if h.lost.CompareAndSwap(true, false) {
		h.w.say("brokers reachable again (%s:%d)", meta.Host, meta.Port)
	}
}

func (w *watcher) run(ctx context.Context, opts []kgo.Opt) error {
	hooks := &brokerHooks{w: w}
	cl, err := kgo.NewClient(append(opts, kgo.WithHooks(hooks))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	// Reach the cluster first: a wrong address or credential is an error,
	// not an empty screen (the consumer would retry it silently).
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = cl.Ping(pctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("cannot reach the brokers %s: %w", w.opts.brokers, err)
	}
	hooks.armed.Store(true)
	from := "new events only (--from-beginning for history)"
	if w.opts.fromBeginning {
		from = "from the beginning"
	}
	if w.opts.group != "" {
		from = "where consumer group " + w.opts.group + " left off"
	}
	w.say("reading topic %s from %s, %s; Ctrl-C to stop", w.opts.topics, strings.Join(conf.List(w.opts.brokers), ","), from)
	w.checkTopics(ctx, cl)
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if w.opts.exitIdle > 0 {
			pctx, cancel = context.WithTimeout(ctx, w.opts.exitIdle)
		}
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil // interrupted
		}
		n := 0
		var ferr error
		fetches.EachError(func(topic string, part int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ferr == nil {
				ferr = fmt.Errorf("%s/%d: %w", topic, part, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		// Partitions are fetched independently: order the poll by time.
		var msgs []message
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			msgs = append(msgs, newMessage(r.Value, r.Headers, fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)))
		})
		sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].v.Time.Before(msgs[j].v.Time) })
		for i := range msgs {
			if w.opts.max > 0 && w.shown >= w.opts.max {
				break
			}
			if err := w.show(&msgs[i]); err != nil {
				return err
			}
		}
		if w.opts.max > 0 && w.shown >= w.opts.max {
			return nil
		}
		if n == 0 && w.opts.exitIdle > 0 {
			return nil
		}
	}
}

// message is one message read, and what watch makes of it.
type message struct {
	value []byte
	where string // topic/partition@offset, or file:line
	v     view
	err   error
}

func newMessage(value []byte, headers []kgo.RecordHeader, where string) message {
	v, err := parseView(value, headers)
	return message{value: value, where: where, v: v, err: err}
}

// checkTopics says which topics do not exist (yet): the consumer would wait
// for them without a word.
func (w *watcher) checkTopics(ctx context.Context, cl *kgo.Client) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range conf.List(w.opts.topics) {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := req.RequestWith(mctx, cl)
	if err != nil {
		return // the consumer reports what matters
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && t.Topic != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				w.say("topic %s does not exist (yet): waiting for it (the plugin never creates topics)", *t.Topic)
			} else {
				w.say("topic %s: %v", *t.Topic, err)
			}
		}
	}
}

// readFile shows the messages of a file or standard input: the output of
// the command's --dry-run ({"topic":…,"key":…,"value":<message>} a line), or
// one message a line.
func (w *watcher) readFile(name string, stdin io.Reader) int {
	var r io.Reader = stdin
	label := "standard input"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			w.say("%v", err)
			return 1
		}
		defer f.Close()
		r, label = f, name
	}
	w.say("reading messages from %s", label)
	br := bufio.NewReaderSize(r, 256<<10)
	lines := 0
	for {
		line, err := br.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			lines++
			m := newMessage(dryRunValue(line), nil, fmt.Sprintf("%s:%d", label, lines))
			if werr := w.show(&m); werr != nil {
				w.say("%v", werr)
				return 1
			}
			if w.opts.max > 0 && w.shown >= w.opts.max {
				return 0
			}
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			w.say("cannot read %s: %v", label, err)
			return 1
		}
	}
}

// dryRunValue returns the message of a --dry-run line, or the line itself
// when it is not one.
func dryRunValue(line []byte) []byte {
	var d struct {
		Topic *string         `json:"topic"`
		Value json.RawMessage `json:"value"`
	}
	if bytes.HasPrefix(line, []byte(`{"topic":`)) && json.Unmarshal(line, &d) == nil && d.Topic != nil && len(d.Value) > 0 {
		return d.Value
	}
	return line
}

func (w *watcher) show(m *message) error {
	v, err := m.v, m.err
	if err != nil {
		// Never print the body: it may be anything.
		_, err = fmt.Fprintf(w.out, "%s: unreadable message (%d bytes)\n", m.where, len(m.value))
		return err
	}
	if !w.filter.match(&v) {
		return nil
	}
	w.shown++
	switch {
	case w.opts.json:
		_, err = fmt.Fprintf(w.out, "%s\n", m.value)
	case w.opts.uniqueUsers:
		u := v.User
		if u == "" {
			u = "(unauthenticated)"
		}
		if !w.seen[u] {
			w.seen[u] = true
			_, err = fmt.Fprintln(w.out, u)
		}
	default:
		ts := "-"
		if !v.Time.IsZero() {
			ts = v.Time.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		sev := fmt.Sprintf("%-8s", strings.ToUpper(v.Severity))
		if c, ok := severityColor[strings.ToLower(v.Severity)]; ok && w.color {
			sev = c + sev + "\x1b[0m"
		}
		stage := ""
		if v.Stage != "" && v.Stage != "ResponseComplete" {
			// An exec is shipped when it starts and again when it ends.
			stage = " [" + v.Stage + "]"
		}
		_, err = fmt.Fprintf(w.out, "%s %s %s%s\n", ts, sev, watchLine(v.Summary), watchLine(stage))
	}
	return err
}

func watchLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\x1b' {
			return ' '
		}
		return r
	}, s)
}
