package redact

import (
	"fmt"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/enum"
)

// Config configures secret redaction; conf fills it from plugin properties.
type Config struct {
	Mode        Mode
	Strategy    Strategy
	HMACKey     string // secret: never logged
	Paths       []string
	KeyPatterns []string
	AllowKeys   []string
}

// Mode says what replaces a secret value.
type Mode int

const (
	// Mask writes [REDACTED] (or a marker naming what was removed).
	Mask Mode = iota
	// Hash writes an HMAC-SHA256 of the value, keyed by HMACKey.
	Hash
	// Drop removes the field.
	Drop
)

var modeNames = []string{"mask", "hash", "drop"}

func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("mode(%d)", int(m))
	}
	return modeNames[m]
}

// UnmarshalText reads a mode name; the error of an unknown one lists the
// valid names.
func (m *Mode) UnmarshalText(b []byte) error {
	i, err := enum.Parse("redaction mode", string(b), modeNames)
	if err == nil {
		*m = Mode(i)
	}
	return err
}

// Strategy says how bodies are redacted.
type Strategy int

const (
	// Detect redacts what the detectors find: credential keys, shapes and
	// structures.
	Detect Strategy = iota
	// Strict runs the detectors, then redacts every string of a body that
	// is not on the allowlist of fields known to carry no secret (doc.go).
	Strict
)

var strategyNames = []string{"detect", "strict"}

func (s Strategy) String() string {
	if s < 0 || int(s) >= len(strategyNames) {
		return fmt.Sprintf("strategy(%d)", int(s))
	}
	return strategyNames[s]
}

// UnmarshalText reads a strategy name; the error of an unknown one lists
// the valid names.
func (s *Strategy) UnmarshalText(b []byte) error {
	i, err := enum.Parse("redaction strategy", string(b), strategyNames)
	if err == nil {
		*s = Strategy(i)
	}
	return err
}

// Validate checks the configuration: the mode, its key, and every path and
// key pattern compile. Errors name the offending pattern (patterns are
// configuration, not secrets), never the HMAC key.
func (c *Config) Validate() error {
	_, err := compile(c)
	return err
}
