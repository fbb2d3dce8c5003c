package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// options is a parsed command line.
type options struct {
	props        map[string]string
	cfg          *conf.Config
	inputs       []string // file names, "-" for standard input
	dryRun       bool
	repeat       int
	chunkRecords int
	classic      bool // chunks in the pre-2.1 [time, record] form
	embedded     bool // no brokers property: ship into an embedded broker
}

// commandLogLevel is the command's log level when plugin_log_level is not
// given: errors only, so that a failure is one line and the summary says
// the rest.
const commandLogLevel = conf.LogError

// defaultChunkRecords is how many records go into one chunk: about what
// Fluent Bit's tail input puts in a chunk of audit lines (chunks are also cut
// at maxChunkBytes, Fluent Bit's ~2 MB chunk size).
const (
	defaultChunkRecords = 500
	maxChunkBytes       = 2 << 20
)

var errHelp = errors.New("help")

const usageText = `Usage: kube-audit-kafka [flags] FILE... (- for standard input; .gz is read too)
       kube-audit-kafka watch [flags] [FILE|-]
       kube-audit-kafka correlate [-p key=value ...] [--dry-run FILE...]

Subcommands:
  watch            follow the topic(s) and print one line per event (time,
                   severity, stage, summary), with filters; or read a file or
                   the --dry-run output of this command; watch -h for its flags
  correlate        a consumer group finding what spans many events (enumeration,
                   brute force, secret harvesting, chains); alerts to a topic,
                   or on stdout with --dry-run FILE...; correlate -h

Replays JSON-lines kube-apiserver audit logs through the plugin's own pipeline
(Fluent Bit chunks of {"log": "<line>"} records, as the tail input hands them
over). Without a brokers property it ships into an embedded Kafka-protocol
broker on 127.0.0.1, reads everything back with a real consumer and prints a
summary.

Flags:
  -p key=value     set a plugin property, same names as in a Fluent Bit config
                   (repeatable; --properties lists them). plugin_log_level
                   shows the plugin's own log lines on stderr (default: only
                   errors); metrics_listen serves /metrics and /healthz while
                   the command runs
  --dry-run        print one JSON line per message that would be shipped,
                   {"topic":...,"key":...,"value":<message>}, on stdout; the
                   summary goes to stderr; nothing is sent anywhere
  --repeat N       replay the input N times (input is held in memory), e.g. to
                   measure throughput over a million events
  --chunk N        records per chunk (default 500)
  --classic        chunks in the classic [time, record] form of Fluent Bit
                   before 2.1 (default: [[time, metadata], record])
  --properties     list every property with its default and exit
  -h, --help       this help

Exit status: 0 ok, 1 failure while running (unreadable or truncated input,
input holding no audit event, broker refused, messages missing on read back),
2 bad flags or properties.
`

// propFlag collects repeated -p key=value.
type propFlag struct {
	kv   map[string]string
	bad  []string
	keys []string // in command-line order, first occurrence
}

func (p *propFlag) String() string { return "" }

func (p *propFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	// Fluent Bit matches property names case-insensitively (Brokers = brokers).
	k = strings.ToLower(strings.TrimSpace(k))
	if !ok || k == "" {
		// Never echo the value: it may be a secret typed in the wrong form.
		if conf.Known(k) {
			p.bad = append(p.bad, fmt.Sprintf("-p %q is not key=value", k))
		} else {
			p.bad = append(p.bad, "a -p argument is not key=value (not shown: it may be a secret)")
		}
		return nil
	}
	if _, seen := p.kv[k]; !seen {
		p.keys = append(p.keys, k)
	}
	p.kv[k] = v // the last one wins, as a later Fluent Bit property would
	return nil
}

func parseArgs(args []string, stdout io.Writer) (*options, error) {
	o := &options{}
	props := &propFlag{kv: map[string]string{}}
	var listProps bool
	fs := flag.NewFlagSet("kube-audit-kafka", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(props, "p", "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	fs.IntVar(&o.repeat, "repeat", 1, "")
	fs.IntVar(&o.chunkRecords, "chunk", defaultChunkRecords, "")
	fs.BoolVar(&listProps, "properties", false, "")
	fs.BoolVar(&o.classic, "classic", false, "")

	// Flags and file names may be interleaved; everything after "--" is a
	// file name.
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	inputs, err := parseMixed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usageText)
		return nil, errHelp
	}
	if err != nil {
		return nil, fmt.Errorf("%v (see --help)", err)
	}
	o.inputs = append(inputs, tail...)

	if listProps {
		printProperties(stdout)
		return nil, errHelp
	}
	if o.repeat < 1 {
		return nil, fmt.Errorf("--repeat must be at least 1, got %d", o.repeat)
	}
	if o.chunkRecords < 1 {
		return nil, fmt.Errorf("--chunk must be at least 1, got %d", o.chunkRecords)
	}
	cfg, err := loadProperties(props)
	if err != nil {
		return nil, err
	}
	if len(o.inputs) == 0 {
		return nil, errors.New("no input: name audit log files (JSON lines), or - for standard input (see --help)")
	}
	if _, set := props.kv["plugin_log_level"]; !set {
		cfg.Observe.LogLevel = commandLogLevel
	}
	o.props, o.cfg = props.kv, cfg
	o.embedded = len(cfg.Output.Brokers) == 0
	return o, nil
}

// loadProperties validates the -p properties through conf.Load, the same code
// the plugin uses, and reports every problem in one line: unknown keys (with
// the valid keys), malformed -p, and each bad value.
func loadProperties(p *propFlag) (*conf.Config, error) {
	problems := append([]string(nil), p.bad...)
	var unknown []string
	for _, k := range p.keys {
		if !conf.Known(k) {
			unknown = append(unknown, k)
			msg := fmt.Sprintf("unknown property %q", k)
			if s := closest(k); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			problems = append(problems, msg)
		}
	}
	cfg, err := conf.Load(conf.MapGetter(p.kv))
	if err != nil {
		var probs conf.Problems
		if errors.As(err, &probs) {
			for _, e := range probs {
				problems = append(problems, e.Error())
			}
		} else {
			problems = append(problems, err.Error())
		}
	}
	if err == nil && len(cfg.Output.Brokers) == 0 {
		// The embedded broker speaks plaintext without authentication.
		if cfg.Output.TLS.Enabled {
			problems = append(problems, `property "tls_enabled": the embedded broker has no TLS; set brokers to ship to a TLS cluster`)
		}
		if cfg.Output.SASL.Mechanism != output.SASLNone {
			problems = append(problems, `property "sasl_mechanism": the embedded broker has no SASL; set brokers to ship to a SASL cluster`)
		}
	}
	if len(problems) == 0 {
		return cfg, nil
	}
	what := "bad property"
	if len(problems) > 1 {
		what = fmt.Sprintf("%d bad properties", len(problems))
	}
	line := what + ": " + strings.Join(problems, "; ")
	if len(unknown) > 0 {
		line += "; valid properties: " + strings.Join(propertyKeys(), ", ")
	}
	return nil, errors.New(line)
}

func propertyKeys() []string {
	var keys []string
	for _, p := range conf.Properties() {
		keys = append(keys, p.Key)
	}
	return keys
}

// closest suggests the known key nearest to a mistyped one.
func closest(k string) string {
	best, bestD := "", 3 // suggest only within 2 edits, or a shared prefix
	lk := strings.ToLower(strings.ReplaceAll(k, "-", "_"))
	for _, key := range propertyKeys() {
		if lk == key {
			return key
		}
		if d := editDistance(lk, key); d < bestD {
			best, bestD = key, d
		}
	}
	if best == "" {
		var pre []string
		for _, key := range propertyKeys() {
			if len(lk) >= 3 && strings.HasPrefix(key, lk) {
				pre = append(pre, key)
			}
		}
		sort.Strings(pre)
		if len(pre) > 0 {
			best = pre[0]
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func printProperties(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROPERTY\tDEFAULT\tDESCRIPTION")
	for _, p := range conf.Properties() {
		def := p.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Key, def, p.Help)
	}
	tw.Flush()
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// parseMixed parses args with fs, flags and operands in any order (the
// flag package stops at the first operand): it returns the operands.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return operands, nil
		}
		operands, args = append(operands, args[0]), args[1:]
	}
}
