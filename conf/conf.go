package conf

import (
	"encoding"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
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
	Input  Input
	Enrich enrich.Config
	Redact redact.Config
	Format format.Format
	// Detail is how much the native format's enrichment carries.
	Detail  format.Detail
	Output  output.Config
	Observe Observe
}

// Input says where the audit event sits in a Fluent Bit record.
type Input struct {
	// LogKey names the record field holding the event as a JSON string (tail
	// without a parser) or as a map. A record without that field is taken to
	// be the event itself.
	LogKey string
}

// Observe configures logs and metrics.
type Observe struct {
	LogLevel      LogLevel
	MetricsListen string
	// MetricsName is the value of the name label on the instance's series,
	// to join them with Fluent Bit's own output metrics; "" lets the plugin
	// default it to Fluent Bit's name of the instance.
	MetricsName string
}

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
	// field is the configuration field the property sets, as the packages'
	// Validate name it (fielderr): their problems are reported by key.
	field string
	set   func(c *Config, v string) error
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
	// A property that did not parse left its field at the zero value: the
	// packages' checks of that field would only repeat the problem.
	for _, p := range c.check() {
		var pe *PropertyError
		if errors.As(p, &pe) && slices.ContainsFunc(probs, func(q error) bool { return q.(*PropertyError).Key == pe.Key }) {
			continue
		}
		probs = append(probs, p)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	c.Enrich.Images = c.Format == format.ECS // container.image.name
	return c, nil
}

// check runs each package's Validate over its part of the configuration.
func (c *Config) check() Problems {
	var probs Problems
	for _, err := range []error{c.Enrich.Validate(), c.Redact.Validate(), c.Output.Validate()} {
		if err != nil {
			probs = append(probs, Explain(err).(Problems)...)
		}
	}
	return probs
}

// Explain translates the errors of a package's Validate or New, which name
// fields (fielderr), into Problems naming the properties that set them. An
// error that names no field is kept as it is.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var probs Problems
	var walk func(err error)
	walk = func(err error) {
		var fe *fielderr.Error
		switch e := err.(type) {
		case fielderr.List:
			for _, x := range e {
				walk(x)
			}
			return
		case Problems:
			probs = append(probs, e...)
			return
		}
		if errors.As(err, &fe) {
			for _, p := range properties {
				if p.field == fe.Field {
					probs = append(probs, &PropertyError{Key: p.Key, Err: fe.Err})
					return
				}
			}
		}
		probs = append(probs, err)
	}
	walk(err)
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

// List splits a comma-separated property value, dropping blanks and empty
// items (the plugin's lists, the commands' flags).
func List(v string) []string {
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

// parseKV parses "a=b,c=d".
func parseKV(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, item := range List(v) {
		k, val, ok := strings.Cut(item, "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if !ok || k == "" || val == "" {
			return nil, fmt.Errorf("%q is not key=value", item)
		}
		m[k] = val
	}
	return m, nil
}
