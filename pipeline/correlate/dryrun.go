package correlate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
)

// DryRun correlates JSON lines without Kafka: raw audit events (enriched by
// the plugin's own enricher on the way), the plugin's native messages, or
// the plugin command's --dry-run lines ({"topic":…,"value":<message>}). One
// engine sees every line, in order; each alert is written as one line.
type DryRun struct {
	dec    *Decoder
	eng    *Engine
	format Format
	out    io.Writer
	ev     Event
	alerts []*Alert
	line   int64
	// Unreadable counts lines that are neither an audit event nor a
	// message; Skipped, events the plugin would not ship (their stage).
	Unreadable, Skipped int
}

// NewDryRun builds the rules and the enricher of cfg.
func NewDryRun(cfg *Config, out io.Writer) (*DryRun, error) {
	rs, err := LoadRules(cfg.RulesFile, cfg.RulesMode)
	if err != nil {
		return nil, err
	}
	pc, err := conf.Load(conf.MapGetter{"rules_file": cfg.EventRulesFile, "rules_mode": cfg.EventRulesMode})
	if err != nil {
		return nil, fmt.Errorf("event_rules_file: %w", err)
	}
	en, err := enrich.New(pc.Enrich, pc.Redact)
	if err != nil {
		return nil, conf.Explain(err)
	}
	f := cfg.Format
	if f == "" {
		f = FormatNative
	}
	return &DryRun{dec: NewDecoder(en, rs), eng: NewEngine(rs, cfg.Limits, 0), format: f, out: out}, nil
}

// Stats are the engine's counters.
func (d *DryRun) Stats() Stats { return d.eng.Stats }

// Read correlates every line of r.
func (d *DryRun) Read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if werr := d.Line(line); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Line correlates one line and writes the alerts it raises.
func (d *DryRun) Line(line []byte) error {
	d.line++
	msg := unwrapDryRun(line)
	if err := d.dec.Decode(msg, &d.ev); err != nil {
		if errors.Is(err, ErrSkipped) {
			d.Skipped++
		} else {
			d.Unreadable++
		}
		return nil
	}
	d.ev.Offset = d.line
	d.alerts = d.eng.Process(&d.ev, d.alerts[:0])
	for _, a := range d.alerts {
		b, err := a.Encode(d.format)
		if err != nil {
			return err
		}
		if _, err := d.out.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// unwrapDryRun returns the message of a line of the plugin command's
// --dry-run output, or the line itself.
func unwrapDryRun(line []byte) []byte {
	if !bytes.HasPrefix(line, []byte(`{"topic":`)) {
		return line
	}
	var d struct {
		Topic *string         `json:"topic"`
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(line, &d) == nil && d.Topic != nil && len(d.Value) > 0 {
		return d.Value
	}
	return line
}
