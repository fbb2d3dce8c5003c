package conf

import (
	"log/slog"
	"strings"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/enum"
)

// Each enum below parses with UnmarshalText; an unknown value is an error that
// lists every valid value, so a typo in a Fluent Bit config is fixed in one go.

func parseEnum(kind, text string, valid []string) (int, error) { return enum.Parse(kind, text, valid) }

// LogLevel is the plugin's own log verbosity.
type LogLevel int

const (
	LogError LogLevel = iota
	LogWarn
	LogInfo
	LogDebug
)

var logLevelNames = []string{"error", "warn", "info", "debug"}

func (l LogLevel) String() string { return logLevelNames[l] }

// Slog is the log/slog level that shows this level and above.
func (l LogLevel) Slog() slog.Level {
	return [...]slog.Level{slog.LevelError, slog.LevelWarn, slog.LevelInfo, slog.LevelDebug}[l]
}

func (l *LogLevel) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	if strings.EqualFold(text, "warning") {
		text = "warn"
	}
	i, err := parseEnum("log level", text, logLevelNames)
	*l = LogLevel(i)
	return err
}
