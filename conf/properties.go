package conf

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/rules"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// properties is the table of every key. It is read-only after init.
var properties = []Property{
	// Input
	{Key: "log_key", Default: "log", Help: "Record field holding the audit event (a JSON string from tail without a parser, or a map). A record without it is taken as the event itself.",
		set: func(c *Config, v string) error { c.Input.LogKey = v; return nil }},

	// Kafka
	{Key: "brokers", Help: "Comma-separated Kafka bootstrap brokers, host:port. Required by the plugin; the command starts an embedded broker when unset.",
		field: "output.Brokers", set: func(c *Config, v string) error { c.Output.Brokers = List(v); return nil }},
	{Key: "topic", Default: "kube-audit", Help: "Topic for every event not routed elsewhere by topics_by_severity.",
		field: "output.Topic", set: func(c *Config, v string) error { c.Output.Topic = v; return nil }},
	{Key: "topics_by_severity", Help: "Routes severities to topics, e.g. critical=audit-alerts,high=audit-alerts.",
		field: "output.TopicsBySeverity", set: func(c *Config, v string) (err error) { c.Output.TopicsBySeverity, err = parseKV(v); return }},
	{Key: "dlq_topic", Help: "Dead-letter topic for events that cannot be delivered even truncated; unset: such events are counted and dropped.",
		field: "output.DLQTopic", set: func(c *Config, v string) error { c.Output.DLQTopic = v; return nil }},
	{Key: "message_key", Default: "audit_id", Help: "Kafka message key: audit_id, user, namespace or none.",
		field: "output.MessageKey", set: func(c *Config, v string) error { return text(&c.Output.MessageKey)(v) }},
	{Key: "compression", Default: "zstd", Help: "Record-batch codec: none, gzip, snappy, lz4, zstd.",
		field: "output.Compression", set: func(c *Config, v string) error { return text(&c.Output.Compression)(v) }},
	{Key: "compression_level", Default: "0", Help: "Codec level; 0 is the codec's default. gzip 1-9, lz4 1-9, zstd 1-9 (zstd's numbering, on the encoder's speeds: 1-2 fastest, 3-5 default, 6-9 better), snappy 1 faster, 2 better, 3 best; none takes no level.",
		field: "output.CompressionLevel", set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 9 {
				return fmt.Errorf("not a level 0-9: %q", v)
			}
			c.Output.CompressionLevel = n
			return nil
		}},
	{Key: "required_acks", Default: "all", Help: "Acknowledgements: all (every in-sync replica), one (leader), none (unconfirmed: warns).",
		field: "output.RequiredAcks", set: func(c *Config, v string) error { return text(&c.Output.RequiredAcks)(v) }},
	{Key: "write_timeout", Default: "10s", Help: "Longest wait for the broker to acknowledge a flush; past it the flush is retried.",
		field: "output.WriteTimeout", set: func(c *Config, v string) (err error) { c.Output.WriteTimeout, err = parseDuration(v); return }},
	{Key: "shutdown_timeout", Default: "5s", Help: "Grace time at exit for in-flight deliveries.",
		field: "output.ShutdownTimeout", set: func(c *Config, v string) (err error) { c.Output.ShutdownTimeout, err = parseDuration(v); return }},
	{Key: "max_message_bytes", Default: strconv.Itoa(output.DefaultMaxMessageBytes), Help: "Largest message value; bigger events are truncated, then dead-lettered.",
		field: "output.MaxMessageBytes", set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1024 {
				return fmt.Errorf("not a size of at least 1024 bytes: %q", v)
			}
			c.Output.MaxMessageBytes = n
			return nil
		}},
	{Key: "client_id", Default: "kube-audit-kafka", Help: "Kafka client id.",
		field: "output.ClientID", set: func(c *Config, v string) error { c.Output.ClientID = v; return nil }},

	// TLS
	// Not "tls": Fluent Bit consumes an output's "tls" itself (and refuses "tls on" for Go plugins).
	{Key: "tls_enabled", Default: "off", Help: "Connect to the brokers over TLS.",
		field: "output.TLS.Enabled", set: func(c *Config, v string) (err error) { c.Output.TLS.Enabled, err = parseBool(v); return }},
	{Key: "tls_ca_file", Help: "PEM CA bundle to verify the brokers; unset: the system roots.",
		field: "output.TLS.CAFile", set: func(c *Config, v string) error { c.Output.TLS.CAFile = v; return nil }},
	{Key: "tls_cert_file", Help: "PEM client certificate (mutual TLS).",
		field: "output.TLS.CertFile", set: func(c *Config, v string) error { c.Output.TLS.CertFile = v; return nil }},
	{Key: "tls_key_file", Help: "PEM client key (mutual TLS).",
		field: "output.TLS.KeyFile", set: func(c *Config, v string) error { c.Output.TLS.KeyFile = v; return nil }},
	{Key: "tls_server_name", Help: "Server name to verify, when it differs from the broker host.",
		field: "output.TLS.ServerName", set: func(c *Config, v string) error { c.Output.TLS.ServerName = v; return nil }},
	{Key: "tls_insecure_skip_verify", Default: "off", Help: "Do not verify the brokers' certificates (warns loudly; testing only).",
		field: "output.TLS.InsecureSkipVerify", set: func(c *Config, v string) (err error) { c.Output.TLS.InsecureSkipVerify, err = parseBool(v); return }},

	// SASL
	{Key: "sasl_mechanism", Help: "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; unset: no SASL.",
		field: "output.SASL.Mechanism", set: func(c *Config, v string) error { return text(&c.Output.SASL.Mechanism)(v) }},
	{Key: "sasl_username", Help: "SASL user name.",
		field: "output.SASL.Username", set: func(c *Config, v string) error { c.Output.SASL.Username = v; return nil }},
	{Key: "sasl_password", Secret: true, Help: "SASL password (prefer sasl_password_file).",
		field: "output.SASL.Password", set: func(c *Config, v string) error { c.Output.SASL.Password = v; return nil }},
	{Key: "sasl_password_file", Help: "File holding the SASL password (a mounted Kubernetes Secret), read at init; trailing newline ignored; wins over sasl_password.",
		field: "output.SASL.PasswordFile", set: func(c *Config, v string) error {
			c.Output.SASL.PasswordFile = v
			if v == "" {
				return nil
			}
			b, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("cannot read: %w", unwrapPath(err))
			}
			c.Output.SASL.Password = strings.TrimRight(string(b), "\r\n")
			if c.Output.SASL.Password == "" {
				return fmt.Errorf("file %s is empty", v)
			}
			return nil
		}},

	// Enrichment
	{Key: "cluster_name", Help: "Cluster name recorded in every event's enrichment and headers.",
		field: "enrich.ClusterName", set: func(c *Config, v string) error { c.Enrich.ClusterName = v; return nil }},
	{Key: "node_name", Help: "Node name recorded in the enrichment; default: the host name.",
		field: "enrich.NodeName", set: func(c *Config, v string) error {
			if v == "" {
				v, _ = os.Hostname()
			}
			c.Enrich.NodeName = v
			return nil
		}},
	{Key: "stages", Default: "ResponseComplete,Panic", Help: "Audit stages shipped. ResponseStarted of pods/exec, attach and portforward (those requests may stay open for hours) and of 401s (they have no ResponseComplete) is always shipped; drop it with omitStages in policy_file.",
		field: "enrich.Stages", set: func(c *Config, v string) error {
			c.Enrich.Stages = []string{} // set: empty is an error, not the default
			for _, s := range List(v) {
				if i := slices.IndexFunc(enrich.Stages(), func(x string) bool { return strings.EqualFold(x, s) }); i >= 0 {
					s = enrich.Stages()[i] // canonical spelling
				}
				c.Enrich.Stages = append(c.Enrich.Stages, s)
			}
			return nil
		}},
	{Key: "format", Default: "native", Help: "Message schema: native (audit event + enrichment), ecs, ocsf.",
		field: "format", set: func(c *Config, v string) error { return text(&c.Format)(v) }},
	{Key: "enrichment_detail", Default: "lean", Help: "native format: lean (what the plugin derives: severity, rules, ATT&CK ids, summary, outcome, client, resource path, latency, redactions, cluster, node) or full (also who/what/where/result copies of event fields).",
		field: "detail", set: func(c *Config, v string) error { return text(&c.Detail)(v) }},
	{Key: "rules_file", Help: "YAML severity rules file; see rules_mode.",
		field: "enrich.RulesFile", set: func(c *Config, v string) error { c.Enrich.RulesFile = v; return nil }},
	{Key: "rules_mode", Default: "extend", Help: "extend: rules_file adds to (and may override by id) the embedded rules; replace: only rules_file is used.",
		field: "enrich.RulesMode", set: func(c *Config, v string) error {
			i, err := parseEnum("rules_mode", v, rules.Modes())
			if err != nil {
				return err
			}
			c.Enrich.RulesMode = rules.Modes()[i] // canonical: enrich compares it as is
			return nil
		}},
	{Key: "policy_file", Help: "audit.k8s.io/v1 Policy evaluated at the node to lower (never raise) each event's level.",
		field: "enrich.PolicyFile", set: func(c *Config, v string) error { c.Enrich.PolicyFile = v; return nil }},

	// Redaction
	{Key: "redaction_mode", Default: "mask", Help: "mask ([REDACTED]), hash (sha256 HMAC, needs redaction_hmac_key), drop (remove the field).",
		field: "redact.Mode", set: func(c *Config, v string) error { return text(&c.Redact.Mode)(v) }},
	{Key: "redaction_strategy", Default: "detect", Help: "detect (credential keys, shapes and structures) or strict (then every body string not on the allowlist of known-safe fields is redacted too).",
		field: "redact.Strategy", set: func(c *Config, v string) error { return text(&c.Redact.Strategy)(v) }},
	{Key: "redaction_hmac_key", Secret: true, Help: "HMAC key for redaction_mode hash (at least 16 characters).",
		field: "redact.HMACKey", set: func(c *Config, v string) error { c.Redact.HMACKey = v; return nil }},
	{Key: "redact_paths", Help: "Extra body paths to redact, comma-separated, dotted with * for any key or index (e.g. spec.config.*.password).",
		field: "redact.Paths", set: func(c *Config, v string) error { c.Redact.Paths = List(v); return nil }},
	{Key: "redact_key_patterns", Help: "Extra key globs (case-insensitive) whose values are redacted anywhere, e.g. *_pin,*passphrase*.",
		field: "redact.KeyPatterns", set: func(c *Config, v string) error { c.Redact.KeyPatterns = List(v); return nil }},
	{Key: "redact_allow_keys", Help: "Key globs known to be safe; never redacted by key name (content shapes still are).",
		field: "redact.AllowKeys", set: func(c *Config, v string) error { c.Redact.AllowKeys = List(v); return nil }},

	// Observability
	// Not "log_level": Fluent Bit consumes an output's "log_level" itself; it never reaches the plugin.
	{Key: "plugin_log_level", Default: "info", Help: "Plugin log level: error, warn, info, debug. Lines are prefixed with the plugin and instance name and never hold a secret or a record body. (An output's log_level is Fluent Bit's own and does not reach the plugin.)",
		set: func(c *Config, v string) error { return text(&c.Observe.LogLevel)(v) }},
	{Key: "metrics_listen", Help: "host:port serving Prometheus /metrics and /healthz (503 when deliveries have failed for 2 minutes); instances naming the same address share it; unset: off.",
		set: func(c *Config, v string) error {
			c.Observe.MetricsListen = v
			if v == "" {
				return nil
			}
			_, port, err := net.SplitHostPort(v)
			if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
				return fmt.Errorf("not host:port (e.g. 0.0.0.0:2021): %q", v)
			}
			return nil
		}},
	{Key: "metrics_name", Help: "Value of the name label on this instance's metrics, to join them with Fluent Bit's own output metrics (fluentbit_output_*{name=...}); unset: kube_audit_kafka.N, Fluent Bit's name for the N-th output (counted from 0 over all outputs) when the kube_audit_kafka outputs come first; set it to the output's alias if it has one.",
		set: func(c *Config, v string) error {
			for _, r := range v {
				if r < 0x20 || r == 0x7f {
					return fmt.Errorf("control character in %q", v)
				}
			}
			c.Observe.MetricsName = v
			return nil
		}},
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
