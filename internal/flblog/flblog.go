// Package flblog is a slog.Handler that writes one line per event in Fluent
// Bit's own log layout, so the plugin's lines read like the engine's:
//
//	[2026/11/22 02:52:11] [ warn] [output:kube_audit_kafka:kube_audit_kafka.0] delivery failed; ... error="..."
//
// The "instance" attribute, when a logger is given one with With, goes into
// the prefix instead of the line's attributes.
package flblog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// InstanceKey is the attribute that names the plugin instance.
const InstanceKey = "instance"

// Handler writes Fluent Bit-style lines. Safe for concurrent use.
type Handler struct {
	out      *output
	level    slog.Leveler
	plugin   string
	instance string
	attrs    string // pre-rendered " k=v" pairs
	group    string // prefix for keys, "g." when in a group
}

type output struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns a logger writing to w at level and above, its lines prefixed
// with [output:plugin] (and the instance, once With("instance", name) is used).
func New(w io.Writer, level slog.Leveler, plugin string) *slog.Logger {
	return slog.New(&Handler{out: &output{w: w}, level: level, plugin: plugin})
}

// Enabled reports whether level is logged.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// Handle writes one line.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("[2006/01/02 15:04:05] ["))
	b.WriteString(levelName(r.Level))
	b.WriteString("] [output:")
	b.WriteString(h.plugin)
	if h.instance != "" {
		b.WriteByte(':')
		b.WriteString(h.instance)
	}
	b.WriteString("] ")
	b.WriteString(oneLine(r.Message))
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.group, a)
		return true
	})
	b.WriteByte('\n')
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := io.WriteString(h.out.w, b.String())
	return err
}

// WithAttrs returns a handler adding attrs to every line.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		if a.Key == InstanceKey && h.group == "" {
			c.instance = a.Value.String()
			continue
		}
		if a.Key == "plugin" && h.group == "" {
			continue // already in the prefix
		}
		appendAttr(&b, h.group, a)
	}
	c.attrs = b.String()
	return &c
}

// WithGroup returns a handler qualifying later keys with name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	return &c
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return " warn"
	case l >= slog.LevelInfo:
		return " info"
	}
	return "debug"
}

func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			appendAttr(b, g, ga)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(group)
	b.WriteString(a.Key)
	b.WriteByte('=')
	var v string
	switch a.Value.Kind() {
	case slog.KindTime:
		v = a.Value.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			v = err.Error()
		} else {
			v = fmt.Sprint(a.Value.Any())
		}
	default:
		v = a.Value.String()
	}
	b.WriteString(quote(v))
}

// quote leaves simple values bare and quotes the rest, so that a value
// never spans lines or fakes another attribute.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r <= ' ' || r == '=' || r == '"' || r == utf8.RuneError || r > '~' {
			return strconv.Quote(s)
		}
	}
	return s
}

// oneLine keeps a message on its line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}
