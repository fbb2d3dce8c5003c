package correlate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// Config is the configuration of a correlate consumer.
type Config struct {
	// Kafka: brokers, client id, TLS and SASL, read by the plugin's own
	// properties (conf.Load).
	Kafka       output.Config
	Topics      []string
	GroupID     string
	AlertsTopic string
	RulesFile   string
	RulesMode   string
	Format      Format
	// MetricsListen: host:port serving /metrics and /healthz; "" off.
	MetricsListen  string
	Limits         Limits
	CommitInterval time.Duration
	// MessageKey is the plugin's message_key of the input topics; rules
	// whose group key it does not decide go through RepartitionTopic.
	MessageKey       string
	RepartitionTopic string
	// RepartitionGrace: how long after its end a window of a repartitioned
	// rule still takes events.
	RepartitionGrace time.Duration
	// EventRulesFile and EventRulesMode: the single-event rules used to
	// enrich raw audit events (dry run), as the plugin's rules_file.
	EventRulesFile, EventRulesMode string
}

// Property is one property of the command.
type Property struct {
	Key, Default, Help string
	set                func(c *Config, v string) error
}

// sharedKeys are the plugin's properties correlate reads through conf.Load:
// how to reach and authenticate to the brokers.
var sharedKeys = []string{"brokers", "client_id", "tls_enabled", "tls_ca_file", "tls_cert_file", "tls_key_file",
	"tls_server_name", "tls_insecure_skip_verify", "sasl_mechanism", "sasl_username", "sasl_password", "sasl_password_file"}

func positive(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("not a positive integer: %q", v)
	}
	return n, nil
}

// props are correlate's own properties. Read-only.
var props = []Property{
	{"topics", "kube-audit", "Input topics (the plugin's topics), comma-separated.", func(c *Config, v string) error {
		c.Topics = conf.List(v)
		if len(c.Topics) == 0 {
			return errors.New("name at least one topic")
		}
		return nil
	}},
	{"group_id", "kube-audit-correlate", "Consumer group: the instances sharing it share the partitions.", func(c *Config, v string) error { c.GroupID = v; return nil }},
	{"alerts_topic", "kube-audit-correlations", "Topic the alerts are written to, keyed by the group value.", func(c *Config, v string) error { c.AlertsTopic = v; return nil }},
	{"message_key", "audit_id", "The plugin's message_key the input topics are keyed by (audit_id, user, namespace, none): rules grouping by it run on the input partitions; the others need repartition_topic.", func(c *Config, v string) error {
		if !slices.Contains(MessageKeys(), v) {
			return fmt.Errorf("unknown message key %q (valid: %s)", v, strings.Join(MessageKeys(), ", "))
		}
		c.MessageKey = v
		return nil
	}},
	{"repartition_topic", "", "Topic through which events go, keyed by the group key, to the rules whose group key message_key does not decide (as Kafka Streams repartitions); create it like the input topic. Unset: every rule runs on the input partitions, and those rules see only the events of a key that share a partition.", func(c *Config, v string) error { c.RepartitionTopic = v; return nil }},
	{"repartition_grace", DefaultRepartitionGrace.String(), "How long after its end a window of a repartitioned rule still takes events: the repartition topic mixes input partitions, some behind others. Later events are counted in late_events_total.", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("not a duration: %q", v)
		}
		c.RepartitionGrace = d
		return nil
	}},
	{"rules_file", "", "YAML correlation rules file; see rules_mode and docs/correlate.md.", func(c *Config, v string) error { c.RulesFile = v; return nil }},
	{"rules_mode", "extend", "extend: rules_file adds to (and may override by id) the embedded correlation rules; replace: only rules_file.", func(c *Config, v string) error {
		if !slices.Contains(Modes(), v) {
			return fmt.Errorf("unknown mode %q (valid: %s)", v, strings.Join(Modes(), ", "))
		}
		c.RulesMode = v
		return nil
	}},
	{"event_rules_file", "", "Single-event rules file used to enrich raw audit events (--dry-run), as the plugin's rules_file.", func(c *Config, v string) error { c.EventRulesFile = v; return nil }},
	{"event_rules_mode", "extend", "Mode of event_rules_file, as the plugin's rules_mode.", func(c *Config, v string) error {
		if !slices.Contains(Modes(), v) {
			return fmt.Errorf("unknown mode %q (valid: %s)", v, strings.Join(Modes(), ", "))
		}
		c.EventRulesMode = v
		return nil
	}},
	{"format", "native", "Alert schema: native, ecs (event.kind alert), ocsf (Detection Finding).", func(c *Config, v string) error {
		if !slices.Contains(Formats(), v) {
			return fmt.Errorf("unknown format %q (valid: %s)", v, strings.Join(Formats(), ", "))
		}
		c.Format = Format(v)
		return nil
	}},
	{"metrics_listen", "", "host:port serving Prometheus /metrics and /healthz; unset: off.", func(c *Config, v string) error { c.MetricsListen = v; return nil }},
	{"max_keys", strconv.Itoa(DefaultMaxKeys), "Open windows (or pending first steps) per rule and partition; past it the oldest is evicted (counted).", func(c *Config, v string) (err error) {
		c.Limits.MaxKeys, err = positive(v)
		return
	}},
	{"max_values", strconv.Itoa(DefaultMaxValues), "Distinct values per window, first steps per sequence key; past it they are evicted (counted).", func(c *Config, v string) (err error) {
		c.Limits.MaxValues, err = positive(v)
		return
	}},
	{"commit_interval", "1s", "How often alerts are flushed and offsets committed.", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("not a positive duration: %q", v)
		}
		c.CommitInterval = d
		return nil
	}},
}

// Properties lists correlate's own properties and then the plugin's
// properties it shares (brokers, TLS, SASL).
func Properties() []Property {
	out := append([]Property(nil), props...)
	for _, p := range conf.Properties() {
		if slices.Contains(sharedKeys, p.Key) {
			out = append(out, Property{Key: p.Key, Default: p.Default, Help: p.Help})
		}
	}
	return out
}

// Known reports whether key is a property of correlate.
func Known(key string) bool {
	return slices.Contains(sharedKeys, key) || slices.ContainsFunc(props, func(p Property) bool { return p.Key == key })
}

// LoadConfig reads and validates every property; the error is a
// conf.Problems listing each bad one.
func LoadConfig(g conf.MapGetter) (*Config, error) {
	c := &Config{}
	var probs conf.Problems
	for k := range g {
		if !Known(k) {
			probs = append(probs, &conf.PropertyError{Key: k, Err: errors.New("unknown property (see --properties)")})
		}
	}
	for _, p := range props {
		v := strings.TrimSpace(g[p.Key])
		if v == "" {
			v = p.Default
		}
		if err := p.set(c, v); err != nil {
			probs = append(probs, &conf.PropertyError{Key: p.Key, Err: err})
		}
	}
	shared := conf.MapGetter{}
	for _, k := range sharedKeys {
		if v, ok := g[k]; ok {
			shared[k] = v
		}
	}
	pc, err := conf.Load(shared)
	if err != nil {
		var ps conf.Problems
		if errors.As(err, &ps) {
			probs = append(probs, ps...)
		} else {
			probs = append(probs, err)
		}
	} else {
		c.Kafka = pc.Output
	}
	if len(probs) > 0 {
		slices.SortFunc(probs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, probs
	}
	return c, nil
}
