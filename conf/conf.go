// Package conf turns plugin properties (as Fluent Bit or the command line hands
// them over) into a typed, validated Config. Every problem is reported at once,
// each naming its property.
package conf

import (
	"encoding"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Getter reads one property. An unset property reads as "".
// Fluent Bit's output_get_property is one; MapGetter is another.
type Getter interface {
	Get(key string) string
}

// MapGetter serves properties from a map (tests, the command line).
type MapGetter map[string]string

// Get returns the value of key, or "" when it is not set.
func (m MapGetter) Get(key string) string { return m[key] }

// Config is the whole, validated configuration of one plugin instance.
type Config struct {
	Input   Input
	Enrich  Enrich
	Redact  Redact
	Output  Output
	Observe Observe
}

// Input says where the audit event sits in a Fluent Bit record.
type Input struct {
	// LogKey names the record field holding the event as a JSON string (tail
	// without a parser) or as a map. A record without that field is taken to
	// be the event itself.
	LogKey string
}

// Enrich configures parsing, filtering and enrichment.
type Enrich struct {
	ClusterName string
	NodeName    string
	// Stages lists the audit stages that are shipped.
	Stages []string
	Format Format
	// RulesFile, when set, names a YAML rule file; RulesMode says whether it
	// replaces or extends the embedded default rules.
	RulesFile  string
	RulesMode  string
	PolicyFile string
}

// Redact configures secret redaction.
type Redact struct {
	Mode        RedactionMode
	Strategy    RedactionStrategy
	HMACKey     string // secret: never logged
	Paths       []string
	KeyPatterns []string
	AllowKeys   []string
}

// Output configures the Kafka writer.
type Output struct {
	Brokers          []string
	Topic            string
	TopicsBySeverity map[string]string
	DLQTopic         string
	MessageKey       MessageKey
	Compression      Compression
	CompressionLevel int // 0: the codec's default
	RequiredAcks     Acks
	WriteTimeout     time.Duration
	ShutdownTimeout  time.Duration
	MaxMessageBytes  int
	ClientID         string
	TLS              TLS
	SASL             SASL
}

// Topics lists every topic messages may be written to (topic, the
// topics_by_severity routes, dlq_topic), sorted, without duplicates.
func (o Output) Topics() []string {
	ts := []string{o.Topic}
	for _, t := range o.TopicsBySeverity {
		ts = append(ts, t)
	}
	if o.DLQTopic != "" {
		ts = append(ts, o.DLQTopic)
	}
	slices.Sort(ts)
	return slices.Compact(ts)
}

// TLS configures the connection to the brokers.
type TLS struct {
	Enabled            bool
	CAFile             string
	CertFile           string
	KeyFile            string
	ServerName         string
	InsecureSkipVerify bool
}

// SASL configures broker authentication.
type SASL struct {
	Mechanism SASLMechanism
	Username  string
	Password  string // secret: never logged; read from PasswordFile when that is set
	// PasswordFile is where Password came from, if it came from a file.
	PasswordFile string
}

// Observe configures logs and metrics.
type Observe struct {
	LogLevel      LogLevel
	MetricsListen string
}

// Severities are the valid severity names, lowest first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// Problems is every configuration problem found, each naming its property.
type Problems []error

func (p Problems) Error() string {
	s := make([]string, len(p))
	for i, e := range p {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// Unwrap lets errors.Is/As see each problem.
func (p Problems) Unwrap() []error { return p }

// PropertyError is one problem with one property.
type PropertyError struct {
	Key string
	Err error
}

func (e *PropertyError) Error() string { return fmt.Sprintf("property %q: %v", e.Key, e.Err) }
func (e *PropertyError) Unwrap() error { return e.Err }

// Property describes one configuration key.
type Property struct {
	Key     string
	Default string
	Help    string
	Secret  bool // value never printed
	set     func(c *Config, v string) error
}

// Properties lists every property the plugin reads, in documentation order.
func Properties() []Property { return properties }

// Known reports whether key is a property of the plugin.
func Known(key string) bool {
	for _, p := range properties {
		if p.Key == key {
			return true
		}
	}
	return false
}

// Load reads every property through g and validates the result. The error,
// when not nil, is a Problems listing every bad property.
func Load(g Getter) (*Config, error) {
	c := &Config{}
	var probs Problems
	for _, p := range properties {
		v := strings.TrimSpace(g.Get(p.Key))
		if v == "" {
			v = p.Default
		}
		if err := p.set(c, v); err != nil {
			probs = append(probs, &PropertyError{Key: p.Key, Err: err})
		}
	}
	probs = append(probs, c.check()...)
	if len(probs) > 0 {
		return nil, probs
	}
	return c, nil
}

// check validates what depends on several properties.
func (c *Config) check() Problems {
	var probs Problems
	bad := func(key, format string, a ...any) {
		probs = append(probs, &PropertyError{Key: key, Err: fmt.Errorf(format, a...)})
	}
	if c.Redact.Mode == RedactHash && len(c.Redact.HMACKey) < 16 {
		bad("redaction_hmac_key", "redaction_mode hash needs a key of at least 16 characters")
	}
	o := &c.Output
	if o.SASL.Mechanism != SASLNone {
		if o.SASL.Username == "" {
			bad("sasl_username", "required with sasl_mechanism %s", o.SASL.Mechanism)
		}
		if o.SASL.Password == "" {
			bad("sasl_password", "required with sasl_mechanism %s (or set sasl_password_file)", o.SASL.Mechanism)
		}
	} else if o.SASL.Username != "" || (o.SASL.Password != "" && o.SASL.PasswordFile == "") {
		// Credentials without a mechanism would connect unauthenticated. (A
		// mounted password file alone is allowed: a manifest may mount it
		// whether or not the environment turns SASL on.)
		bad("sasl_mechanism", "sasl credentials are set but no sasl_mechanism (valid: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
	}
	if !o.TLS.Enabled && (o.TLS.CAFile != "" || o.TLS.CertFile != "" || o.TLS.KeyFile != "" || o.TLS.ServerName != "" || o.TLS.InsecureSkipVerify) {
		bad("tls_enabled", "tls_* properties are set but tls_enabled is off; set tls_enabled on")
	}
	if (o.TLS.CertFile == "") != (o.TLS.KeyFile == "") {
		bad("tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if maxLevel := MaxCompressionLevel[o.Compression]; o.CompressionLevel > maxLevel {
		if maxLevel == 0 {
			bad("compression_level", "compression %s takes no level; set 0", o.Compression)
		} else {
			bad("compression_level", "compression %s takes levels 1-%d (0: its default), got %d", o.Compression, maxLevel, o.CompressionLevel)
		}
	}
	if o.DLQTopic != "" && o.DLQTopic == o.Topic {
		bad("dlq_topic", "must differ from topic %q", o.Topic)
	}
	return probs
}

// String prints the configuration with secrets masked, for a debug log line.
func (c *Config) String() string {
	cp := *c
	if cp.Redact.HMACKey != "" {
		cp.Redact.HMACKey = "[REDACTED]"
	}
	if cp.Output.SASL.Password != "" {
		cp.Output.SASL.Password = "[REDACTED]"
	}
	return fmt.Sprintf("%+v", cp)
}

func text(dst encoding.TextUnmarshaler) func(string) error {
	return func(v string) error { return dst.UnmarshalText([]byte(v)) }
}

// list splits a comma-separated value, dropping empty items.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean %q (valid: on, off, true, false)", v)
}

// parseDuration accepts Go durations ("10s", "1m30s") and plain seconds ("10").
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		v = strconv.Itoa(n) + "s"
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("not a duration %q (e.g. 10s, 1m)", v)
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive, got %s", v)
	}
	return d, nil
}

func readableFile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// parseKV parses "a=b,c=d".
func parseKV(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, item := range list(v) {
		k, val, ok := strings.Cut(item, "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if !ok || k == "" || val == "" {
			return nil, fmt.Errorf("%q is not key=value", item)
		}
		m[k] = val
	}
	return m, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
