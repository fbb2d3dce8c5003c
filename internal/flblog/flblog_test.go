package flblog

import (
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestLinesLookLikeFluentBits(t *testing.T) {
	var b strings.Builder
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelInfo)
	log := New(&b, lv, "kube_audit_kafka").With("plugin", "kube_audit_kafka").With("instance", "kube_audit_kafka.1")
	log.Debug("not shown")
	log.Info("started", "brokers", []string{"k1:9092", "k2:9092"}, "topic", "audit")
	log.Warn("delivery failed; Fluent Bit will retry the chunk", "records", 12, "error", errors.New("dial tcp: connection refused\nsecond line"))
	log.WithGroup("out").Error("bad", "k", "a=b")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", len(lines), b.String())
	}
	prefix := regexp.MustCompile(`^\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\] \[( info| warn|error|debug)\] \[output:kube_audit_kafka:kube_audit_kafka\.1\] `)
	for _, l := range lines {
		if !prefix.MatchString(l) {
			t.Errorf("no Fluent Bit prefix: %q", l)
		}
		if strings.Contains(l, "plugin=") || strings.Contains(l, "instance=") {
			t.Errorf("prefix attributes repeated: %q", l)
		}
	}
	if !strings.HasSuffix(lines[0], `] started brokers="[k1:9092 k2:9092]" topic=audit`) {
		t.Errorf("info line: %q", lines[0])
	}
	if !strings.Contains(lines[1], `[ warn]`) || !strings.HasSuffix(lines[1], `records=12 error="dial tcp: connection refused\nsecond line"`) {
		t.Errorf("warn line: %q", lines[1])
	}
	if !strings.HasSuffix(lines[2], `bad out.k="a=b"`) {
		t.Errorf("group line: %q", lines[2])
	}
	lv.Set(slog.LevelDebug)
	log.Debug("now shown")
	if !strings.Contains(b.String(), "[debug] [output:kube_audit_kafka:kube_audit_kafka.1] now shown") {
		t.Errorf("debug line missing:\n%s", b.String())
	}
}
