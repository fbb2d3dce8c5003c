package conf

import (
	"fmt"
	"log/slog"
	"strings"
)

// Each enum below parses with UnmarshalText; an unknown value is an error that
// lists every valid value, so a typo in a Fluent Bit config is fixed in one go.

func parseEnum(kind, text string, valid []string) (int, error) {
	v := strings.ToLower(strings.TrimSpace(text))
	for i, s := range valid {
		if v == strings.ToLower(s) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (valid: %s)", kind, text, strings.Join(valid, ", "))
}

// rulesModes are the values of rules_mode (Enrich.RulesMode is the string).
var rulesModes = []string{"extend", "replace"}

// Compression is the Kafka record-batch codec.
type Compression int

const (
	CompressionNone Compression = iota
	CompressionGzip
	CompressionSnappy
	CompressionLZ4
	CompressionZstd
)

var compressionNames = []string{"none", "gzip", "snappy", "lz4", "zstd"}

func (c Compression) String() string { return compressionNames[c] }

func (c *Compression) UnmarshalText(b []byte) error {
	i, err := parseEnum("compression", string(b), compressionNames)
	*c = Compression(i)
	return err
}

// Format is the shape of the message value written to Kafka.
type Format int

const (
	FormatNative Format = iota
	FormatECS
	FormatOCSF
)

var formatNames = []string{"native", "ecs", "ocsf"}

func (f Format) String() string { return formatNames[f] }

func (f *Format) UnmarshalText(b []byte) error {
	i, err := parseEnum("format", string(b), formatNames)
	*f = Format(i)
	return err
}

// RedactionMode says what replaces a secret value.
type RedactionMode int

const (
	RedactMask RedactionMode = iota
	RedactHash
	RedactDrop
)

var redactionModeNames = []string{"mask", "hash", "drop"}

func (m RedactionMode) String() string { return redactionModeNames[m] }

func (m *RedactionMode) UnmarshalText(b []byte) error {
	i, err := parseEnum("redaction mode", string(b), redactionModeNames)
	*m = RedactionMode(i)
	return err
}

// RedactionStrategy says how bodies are redacted: detect (the detectors:
// credential keys, shapes, structures) or strict (the detectors, then every
// string of a body not on the allowlist of known-safe fields).
type RedactionStrategy int

const (
	RedactDetect RedactionStrategy = iota
	RedactStrict
)

var redactionStrategyNames = []string{"detect", "strict"}

func (s RedactionStrategy) String() string { return redactionStrategyNames[s] }

func (s *RedactionStrategy) UnmarshalText(b []byte) error {
	i, err := parseEnum("redaction strategy", string(b), redactionStrategyNames)
	*s = RedactionStrategy(i)
	return err
}

// MessageKey selects the Kafka message key.
type MessageKey int

const (
	KeyAuditID MessageKey = iota
	KeyUser
	KeyNamespace
	KeyNone
)

var messageKeyNames = []string{"audit_id", "user", "namespace", "none"}

func (k MessageKey) String() string { return messageKeyNames[k] }

func (k *MessageKey) UnmarshalText(b []byte) error {
	i, err := parseEnum("message key", string(b), messageKeyNames)
	*k = MessageKey(i)
	return err
}

// Acks is how many replicas must acknowledge a write.
type Acks int

const (
	AcksAll Acks = iota
	AcksOne
	AcksNone
)

var acksNames = []string{"all", "one", "none"}

func (a Acks) String() string { return acksNames[a] }

func (a *Acks) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	switch text { // Kafka's numeric spellings, as librdkafka's request.required.acks
	case "-1":
		text = "all"
	case "1":
		text = "one"
	case "0":
		text = "none"
	}
	i, err := parseEnum("required_acks", text, acksNames)
	*a = Acks(i)
	return err
}

// SASLMechanism is the SASL authentication mechanism.
type SASLMechanism int

const (
	SASLNone SASLMechanism = iota
	SASLPlain
	SASLScramSHA256
	SASLScramSHA512
)

var saslNames = []string{"", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

func (m SASLMechanism) String() string { return saslNames[m] }

func (m *SASLMechanism) UnmarshalText(b []byte) error {
	if strings.TrimSpace(string(b)) == "" {
		*m = SASLNone
		return nil
	}
	i, err := parseEnum("sasl_mechanism", string(b), saslNames[1:])
	if err != nil {
		*m = SASLNone // not PLAIN: no follow-up "sasl_username required" problems
		return err
	}
	*m = SASLMechanism(i + 1)
	return nil
}

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
