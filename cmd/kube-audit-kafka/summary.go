package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

func jsonValid(b []byte) bool { return json.Valid(b) }

// summary is what a replay did, printed for a human at the end.
type summary struct {
	inputs       []string
	dryRun       bool
	embedded     bool
	repeat       int
	chunkRecords int
	classic      bool
	cfg          *conf.Config
	brokers      []string

	lines, blank, inBytes    int64
	cutShort                 int64 // incomplete last lines of inputs that failed
	chunks                   int
	records, events, shipped int64
	truncated, deadLettered  int64 // truncated are in shipped; dead-lettered are stubs on dlq_topic
	dropped                  map[string]int64
	retries                  int
	pending                  int64 // records never flushed (interrupted or failed)
	messages                 int64 // acknowledged by the sink
	valueBytes, compressed   int64
	measureTime, wall, cpu   time.Duration
	bySeverity, byTopic      map[string]int64
	readBack                 *readBackResult
	interrupted              bool
}

func (s *summary) print(w io.Writer) {
	o := s.cfg.Output
	names := slices.Clone(s.inputs)
	for i, n := range names {
		if n == "-" {
			names[i] = "standard input"
		}
	}
	src := strings.Join(names, ", ")
	if s.repeat > 1 {
		src += fmt.Sprintf(" (x%d)", s.repeat)
	}
	var dest string
	switch {
	case s.dryRun:
		dest = "dry run: messages printed on standard output, nothing sent"
	case s.embedded:
		dest = "into an embedded Kafka broker on " + strings.Join(s.brokers, ",")
	default:
		dest = "into Kafka at " + strings.Join(o.Brokers, ",")
	}
	fmt.Fprintf(w, "kube-audit-kafka: %s through the plugin pipeline, %s\n", src, dest)
	if s.interrupted {
		fmt.Fprintln(w, "  INTERRUPTED: the figures below cover what was done before the interrupt")
	}
	row := func(label, format string, a ...any) {
		fmt.Fprintf(w, "  %-11s %s\n", label, fmt.Sprintf(format, a...))
	}

	form := "[[time, metadata], {%q: line}]"
	if s.classic {
		form = "classic [time, {%q: line}]"
	}
	in := fmt.Sprintf("%s (%s) in %s of up to %d "+form+" records",
		plural(s.lines, "line"), size(s.inBytes), plural(int64(s.chunks), "Fluent Bit chunk"), s.chunkRecords, s.cfg.Input.LogKey)
	if s.blank > 0 {
		in += fmt.Sprintf("; %s skipped", plural(s.blank, "blank line"))
	}
	if s.cutShort > 0 {
		in += fmt.Sprintf("; %s cut short by a read error not shipped", plural(s.cutShort, "line"))
	}
	row("read", "%s", in)
	row("events", "%s audit events decoded", num(s.events))

	verb := "acknowledged by the broker (required_acks " + o.RequiredAcks.String() + ")"
	if s.dryRun {
		verb = "printed"
	}
	row("shipped", "%s messages %s, %s", num(s.shipped), topicList(s.byTopic), verb)
	if s.truncated > 0 {
		row("truncated", "%s events shipped without their request/response bodies (above max_message_bytes)", num(s.truncated))
	}
	if s.deadLettered > 0 {
		row("dead letter", "%s events too large even truncated: a stub of each on %s", num(s.deadLettered), o.DLQTopic)
	}
	if s.pending > 0 {
		row("", "%s records not delivered", num(s.pending))
	}
	switch {
	case s.readBack != nil:
		rb := s.readBack
		verdict := "every shipped message arrived"
		if want := s.shipped + s.deadLettered; rb.messages != want || rb.invalid > 0 {
			verdict = fmt.Sprintf("MISSING %s", num(want-rb.messages))
			if rb.invalid > 0 {
				verdict += fmt.Sprintf(", %s not JSON", num(rb.invalid))
			}
		}
		row("read back", "%s messages by a Kafka consumer in %s: %s", num(rb.messages), secs(rb.took), verdict)
	case s.dryRun:
	case !s.embedded:
		row("read back", "skipped (external brokers: the topic may hold other data)")
	}

	var drop int64
	for _, v := range s.dropped {
		drop += v
	}
	if drop == 0 {
		row("dropped", "none")
	} else {
		var parts []string
		for _, k := range sortedKeys(s.dropped) {
			d := fmt.Sprintf("%s %s", k, num(s.dropped[k]))
			switch k {
			case enrich.DropStage:
				d += fmt.Sprintf(" (only stages %s are shipped: property stages)", strings.Join(s.cfg.Enrich.Stages, ","))
			case enrich.DropNotAudit:
				d += " (lines that are not audit events)"
			}
			parts = append(parts, d)
		}
		row("dropped", "%s: %s", num(drop), strings.Join(parts, ", "))
	}
	if s.retries > 0 {
		row("retries", "%d flushes retried", s.retries)
	}

	var sev []string
	for _, name := range record.SeverityNames() {
		if n := s.bySeverity[name]; n > 0 {
			sev = append(sev, fmt.Sprintf("%s %s", name, num(n)))
		}
	}
	for _, name := range sortedKeys(s.bySeverity) { // any name outside the scale
		if !slices.Contains(record.SeverityNames(), name) {
			sev = append(sev, fmt.Sprintf("%s %s", name, num(s.bySeverity[name])))
		}
	}
	if len(sev) == 0 {
		sev = []string{"-"}
	}
	row("severity", "%s", strings.Join(sev, ", "))

	if o.Compression == output.CompressionNone {
		row("size", "%s of message values, not compressed (compression none)", size(s.valueBytes))
	} else if s.valueBytes > 0 {
		row("size", "%s of message values -> %s with %s (%.1fx smaller), measured per flush batch on the values",
			size(s.valueBytes), size(s.compressed), codecName(o), float64(s.valueBytes)/float64(max(s.compressed, 1)))
	} else {
		row("size", "no message shipped")
	}

	busy := s.wall - s.measureTime
	if busy <= 0 {
		busy = time.Nanosecond
	}
	where := "wall time of read, decode, enrich, encode and acknowledged write"
	if s.embedded {
		where += "; the in-process broker shares the CPU"
	}
	if s.dryRun {
		where = "wall time of read, decode, enrich, encode and printing"
	}
	row("throughput", "%s events/s, %.1f MB/s of input: %s events in %s (%s)",
		num(int64(float64(s.events)/busy.Seconds())), float64(s.inBytes)/1e6/busy.Seconds(), num(s.events), secs(busy), where)
	if s.measureTime > 0 {
		row("", "the size measurement took another %s, not counted above", secs(s.measureTime))
	}
	if cpu := s.cpu - s.measureTime; cpu > 0 && s.events > 0 {
		what := "pipeline and broker"
		if s.dryRun {
			what = "pipeline"
		}
		row("", "CPU: %s of user+system time for the whole process (%s, GC included): %s events per CPU-second",
			secs(cpu), what, num(int64(float64(s.events)/cpu.Seconds())))
	}
}

func topicList(byTopic map[string]int64) string {
	keys := sortedKeys(byTopic)
	switch len(keys) {
	case 0:
		return "to no topic"
	case 1:
		return "to topic " + keys[0]
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, num(byTopic[k])))
	}
	return "to topics " + strings.Join(parts, ", ")
}

func codecName(o output.Config) string {
	n := o.Compression.String()
	if o.CompressionLevel > 0 && o.Compression != output.CompressionSnappy && o.Compression != output.CompressionLZ4 {
		n += fmt.Sprintf(" level %d", o.CompressionLevel)
	}
	return n
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return num(n) + " " + what + "s"
}

// num formats n with thousands separators: 1,000,000.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func secs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
