package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// lineHandler writes one line per record, shaped like Fluent Bit's own log
// lines so that they read well interleaved with them:
//
//	[2026/11/22 02:50:53.123] [ warn] [kube_audit_kafka#1] delivery failed; … records=12 error="…"
//
// The bracketed prefix names the plugin and the instance (#n: the n-th
// kube_audit_kafka output of the configuration); lines of the plugin as a
// whole carry [kube_audit_kafka].
type lineHandler struct {
	w      *lockedWriter
	level  slog.Level
	prefix string
	attrs  string // pre-formatted " k=v" of WithAttrs
	group  string // "g." of WithGroup
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

var stderrWriters sync.Map // io.Writer -> *lockedWriter: one lock per destination

func newLineHandler(w io.Writer, level slog.Level, instance string) *lineHandler {
	lw, _ := stderrWriters.LoadOrStore(w, &lockedWriter{w: w})
	name := pluginName
	if instance != "" {
		name = instance
	}
	return &lineHandler{w: lw.(*lockedWriter), level: level, prefix: "[" + name + "]"}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	c.attrs = b.String()
	return &c
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	return &c
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("[2006/01/02 15:04:05.000] "))
	b.WriteString(levelTag(r.Level))
	b.WriteByte(' ')
	b.WriteString(h.prefix)
	b.WriteByte(' ')
	b.WriteString(oneLine(r.Message))
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool { appendAttr(&b, h.group, a); return true })
	b.WriteByte('\n')
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	_, err := io.WriteString(h.w.w, b.String())
	return err
}

func levelTag(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "[error]"
	case l >= slog.LevelWarn:
		return "[ warn]"
	case l >= slog.LevelInfo:
		return "[ info]"
	}
	return "[debug]"
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
	var s string
	switch a.Value.Kind() {
	case slog.KindTime:
		s = a.Value.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			s = err.Error()
		} else {
			s = fmt.Sprint(a.Value.Any())
		}
	default:
		s = a.Value.String()
	}
	b.WriteString(quoteIfNeeded(s))
}

// quoteIfNeeded keeps a value on one line and unambiguous.
func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == '=' || r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// oneLine keeps a message on its line.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
	}
	return s
}
