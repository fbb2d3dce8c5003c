package conf_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

func load(t *testing.T, m conf.MapGetter) *conf.Config {
	t.Helper()
	c, err := conf.Load(m)
	if err != nil {
		t.Fatalf("Load(%v): %v", m, err)
	}
	return c
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c := load(t, conf.MapGetter{})
	host, _ := os.Hostname()
	want := conf.Config{
		Input:  conf.Input{LogKey: "log"},
		Enrich: enrich.Config{NodeName: host, Stages: []string{"ResponseComplete", "Panic"}, RulesMode: "extend"},
		Format: format.Native,
		Redact: redact.Config{Mode: redact.Mask},
		Output: output.Config{Topic: "kube-audit", MessageKey: output.KeyAuditID, Compression: output.CompressionZstd,
			RequiredAcks: output.AcksAll, WriteTimeout: 10 * time.Second, ShutdownTimeout: 5 * time.Second,
			MaxMessageBytes: output.DefaultMaxMessageBytes, ClientID: "kube-audit-kafka"},
		Observe: conf.Observe{LogLevel: conf.LogInfo},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("defaults\n got %+v\nwant %+v", *c, want)
	}
	// Blank and whitespace-only values read as unset.
	if c2 := load(t, conf.MapGetter{"topic": "   ", "compression": "", "stages": " \t"}); !reflect.DeepEqual(c2, c) {
		t.Fatalf("blank values do not fall back to defaults: %+v", c2)
	}
}

func TestPropertyTable(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, p := range conf.Properties() {
		if !snake.MatchString(p.Key) {
			t.Errorf("%q is not snake_case", p.Key)
		}
		if seen[p.Key] {
			t.Errorf("%q listed twice", p.Key)
		}
		seen[p.Key] = true
		if p.Help == "" {
			t.Errorf("%q has no help", p.Key)
		}
		if !conf.Known(p.Key) {
			t.Errorf("Known(%q) = false", p.Key)
		}
		// Each default is itself a valid value.
		if _, err := conf.Load(conf.MapGetter{p.Key: p.Default}); err != nil {
			t.Errorf("default of %q is invalid: %v", p.Key, err)
		}
	}
	for _, k := range []string{"Topic", "topics", "", "sasl.password", "brokers "} {
		if conf.Known(k) {
			t.Errorf("Known(%q) = true", k)
		}
	}
	var secret []string
	for _, p := range conf.Properties() {
		if p.Secret {
			secret = append(secret, p.Key)
		}
	}
	if want := []string{"sasl_password", "redaction_hmac_key"}; !reflect.DeepEqual(secret, want) {
		t.Errorf("secret properties %v, want %v", secret, want)
	}
}

// Every property, with values that must be accepted and what they set.
func TestValidValues(t *testing.T) {
	ca := writeFile(t, "ca.pem", "ca")
	cert := writeFile(t, "cert.pem", "cert")
	key := writeFile(t, "key.pem", "key")
	rules := writeFile(t, "rules.yaml", "rules: []")
	policy := writeFile(t, "policy.yaml", "apiVersion: audit.k8s.io/v1")
	pw := writeFile(t, "pw", "s3cret-from-file\r\n")
	for _, tc := range []struct {
		props conf.MapGetter
		got   func(*conf.Config) any
		want  any
	}{
		{conf.MapGetter{"log_key": "message"}, func(c *conf.Config) any { return c.Input.LogKey }, "message"},
		{conf.MapGetter{"brokers": "k1:9092, k2:9093,,"}, func(c *conf.Config) any { return c.Output.Brokers }, []string{"k1:9092", "k2:9093"}},
		{conf.MapGetter{"brokers": "[::1]:9092,10.0.0.1:65535"}, func(c *conf.Config) any { return c.Output.Brokers }, []string{"[::1]:9092", "10.0.0.1:65535"}},
		{conf.MapGetter{"topic": "k8s.audit_v1-x"}, func(c *conf.Config) any { return c.Output.Topic }, "k8s.audit_v1-x"},
		{conf.MapGetter{"topics_by_severity": "critical=alerts, high=alerts,low=noise"}, func(c *conf.Config) any { return c.Output.TopicsBySeverity },
			map[string]string{"critical": "alerts", "high": "alerts", "low": "noise"}},
		{conf.MapGetter{"dlq_topic": "audit-dlq"}, func(c *conf.Config) any { return c.Output.DLQTopic }, "audit-dlq"},
		{conf.MapGetter{"message_key": "user"}, func(c *conf.Config) any { return c.Output.MessageKey }, output.KeyUser},
		{conf.MapGetter{"message_key": "Namespace"}, func(c *conf.Config) any { return c.Output.MessageKey }, output.KeyNamespace},
		{conf.MapGetter{"message_key": "none"}, func(c *conf.Config) any { return c.Output.MessageKey }, output.KeyNone},
		{conf.MapGetter{"compression": "none"}, func(c *conf.Config) any { return c.Output.Compression }, output.CompressionNone},
		{conf.MapGetter{"compression": "GZIP"}, func(c *conf.Config) any { return c.Output.Compression }, output.CompressionGzip},
		{conf.MapGetter{"compression": "snappy"}, func(c *conf.Config) any { return c.Output.Compression }, output.CompressionSnappy},
		{conf.MapGetter{"compression": " lz4 "}, func(c *conf.Config) any { return c.Output.Compression }, output.CompressionLZ4},
		{conf.MapGetter{"compression_level": "9"}, func(c *conf.Config) any { return c.Output.CompressionLevel }, 9},
		{conf.MapGetter{"required_acks": "one"}, func(c *conf.Config) any { return c.Output.RequiredAcks }, output.AcksOne},
		{conf.MapGetter{"required_acks": "-1"}, func(c *conf.Config) any { return c.Output.RequiredAcks }, output.AcksAll},
		{conf.MapGetter{"required_acks": "1"}, func(c *conf.Config) any { return c.Output.RequiredAcks }, output.AcksOne},
		{conf.MapGetter{"required_acks": "0"}, func(c *conf.Config) any { return c.Output.RequiredAcks }, output.AcksNone},
		{conf.MapGetter{"write_timeout": "1m30s"}, func(c *conf.Config) any { return c.Output.WriteTimeout }, 90 * time.Second},
		{conf.MapGetter{"write_timeout": "3"}, func(c *conf.Config) any { return c.Output.WriteTimeout }, 3 * time.Second},
		{conf.MapGetter{"shutdown_timeout": "250ms"}, func(c *conf.Config) any { return c.Output.ShutdownTimeout }, 250 * time.Millisecond},
		{conf.MapGetter{"max_message_bytes": "1024"}, func(c *conf.Config) any { return c.Output.MaxMessageBytes }, 1024},
		{conf.MapGetter{"client_id": "node-7"}, func(c *conf.Config) any { return c.Output.ClientID }, "node-7"},
		{conf.MapGetter{"tls_enabled": "on"}, func(c *conf.Config) any { return c.Output.TLS.Enabled }, true},
		{conf.MapGetter{"tls_enabled": "TRUE"}, func(c *conf.Config) any { return c.Output.TLS.Enabled }, true},
		{conf.MapGetter{"tls_enabled": "off"}, func(c *conf.Config) any { return c.Output.TLS.Enabled }, false},
		{conf.MapGetter{"tls_enabled": "yes", "tls_ca_file": ca, "tls_cert_file": cert, "tls_key_file": key, "tls_server_name": "kafka.internal", "tls_insecure_skip_verify": "on"},
			func(c *conf.Config) any { return c.Output.TLS },
			output.TLS{Enabled: true, CAFile: ca, CertFile: cert, KeyFile: key, ServerName: "kafka.internal", InsecureSkipVerify: true}},
		{conf.MapGetter{"sasl_mechanism": "plain", "sasl_username": "u", "sasl_password": "p"}, func(c *conf.Config) any { return c.Output.SASL },
			output.SASL{Mechanism: output.SASLPlain, Username: "u", Password: "p"}},
		{conf.MapGetter{"sasl_mechanism": "scram-sha-256", "sasl_username": "u", "sasl_password": "p"}, func(c *conf.Config) any { return c.Output.SASL.Mechanism }, output.SASLScramSHA256},
		{conf.MapGetter{"sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "u", "sasl_password": "p"}, func(c *conf.Config) any { return c.Output.SASL.Mechanism }, output.SASLScramSHA512},
		// The file wins over sasl_password; its trailing newline is dropped.
		{conf.MapGetter{"sasl_mechanism": "PLAIN", "sasl_username": "u", "sasl_password": "inline", "sasl_password_file": pw}, func(c *conf.Config) any { return c.Output.SASL },
			output.SASL{Mechanism: output.SASLPlain, Username: "u", Password: "s3cret-from-file", PasswordFile: pw}},
		{conf.MapGetter{"cluster_name": "prod-eu-1"}, func(c *conf.Config) any { return c.Enrich.ClusterName }, "prod-eu-1"},
		{conf.MapGetter{"node_name": "cp-1"}, func(c *conf.Config) any { return c.Enrich.NodeName }, "cp-1"},
		{conf.MapGetter{"stages": "responsecomplete, RequestReceived,ResponseStarted,panic"}, func(c *conf.Config) any { return c.Enrich.Stages },
			[]string{"ResponseComplete", "RequestReceived", "ResponseStarted", "Panic"}},
		{conf.MapGetter{"format": "ecs"}, func(c *conf.Config) any { return c.Format }, format.ECS},
		{conf.MapGetter{"format": "OCSF"}, func(c *conf.Config) any { return c.Format }, format.OCSF},
		{conf.MapGetter{"rules_file": rules, "rules_mode": "replace"}, func(c *conf.Config) any { return [2]string{c.Enrich.RulesFile, c.Enrich.RulesMode} }, [2]string{rules, "replace"}},
		{conf.MapGetter{"rules_file": rules, "rules_mode": " Replace "}, func(c *conf.Config) any { return c.Enrich.RulesMode }, "replace"},
		{conf.MapGetter{"rules_mode": "EXTEND"}, func(c *conf.Config) any { return c.Enrich.RulesMode }, "extend"},
		{conf.MapGetter{"policy_file": policy}, func(c *conf.Config) any { return c.Enrich.PolicyFile }, policy},
		{conf.MapGetter{"redaction_mode": "drop"}, func(c *conf.Config) any { return c.Redact.Mode }, redact.Drop},
		{conf.MapGetter{"redaction_mode": "hash", "redaction_hmac_key": "0123456789abcdef"}, func(c *conf.Config) any { return [2]any{c.Redact.Mode, c.Redact.HMACKey} },
			[2]any{redact.Hash, "0123456789abcdef"}},
		{conf.MapGetter{"redact_paths": "spec.config.*.password, data.token"}, func(c *conf.Config) any { return c.Redact.Paths }, []string{"spec.config.*.password", "data.token"}},
		{conf.MapGetter{"redact_key_patterns": "*_pin,*passphrase*"}, func(c *conf.Config) any { return c.Redact.KeyPatterns }, []string{"*_pin", "*passphrase*"}},
		{conf.MapGetter{"redact_allow_keys": "tokenTTL"}, func(c *conf.Config) any { return c.Redact.AllowKeys }, []string{"tokenTTL"}},
		{conf.MapGetter{"plugin_log_level": "debug"}, func(c *conf.Config) any { return c.Observe.LogLevel }, conf.LogDebug},
		{conf.MapGetter{"plugin_log_level": "Warning"}, func(c *conf.Config) any { return c.Observe.LogLevel }, conf.LogWarn},
		{conf.MapGetter{"plugin_log_level": "error"}, func(c *conf.Config) any { return c.Observe.LogLevel }, conf.LogError},
		{conf.MapGetter{"metrics_listen": "127.0.0.1:2021"}, func(c *conf.Config) any { return c.Observe.MetricsListen }, "127.0.0.1:2021"},
	} {
		c, err := conf.Load(tc.props)
		if err != nil {
			t.Errorf("%v: %v", tc.props, err)
			continue
		}
		if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: got %#v, want %#v", tc.props, got, tc.want)
		}
	}
}

// Every invalid value is an error naming its property, with a useful hint.
func TestInvalidValues(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	empty := writeFile(t, "empty", "\n")
	for _, tc := range []struct {
		props conf.MapGetter
		key   string // the property the error must name
		hint  string // and a piece of its message
	}{
		{conf.MapGetter{"brokers": "kafka"}, "brokers", "host:port"},
		{conf.MapGetter{"brokers": ":9092"}, "brokers", "host:port"},
		{conf.MapGetter{"brokers": "k:0"}, "brokers", "port"},
		{conf.MapGetter{"brokers": "k:65536"}, "brokers", "port"},
		{conf.MapGetter{"brokers": "k:http"}, "brokers", "port"},
		{conf.MapGetter{"topic": "a b"}, "topic", "invalid topic"},
		{conf.MapGetter{"topic": ".."}, "topic", "invalid topic"},
		{conf.MapGetter{"topic": strings.Repeat("t", 250)}, "topic", "invalid topic"},
		{conf.MapGetter{"topics_by_severity": "urgent=alerts"}, "topics_by_severity", "critical"},
		{conf.MapGetter{"topics_by_severity": "critical"}, "topics_by_severity", "key=value"},
		{conf.MapGetter{"topics_by_severity": "critical=bad/topic"}, "topics_by_severity", "invalid topic"},
		{conf.MapGetter{"dlq_topic": "bad topic"}, "dlq_topic", "invalid topic"},
		{conf.MapGetter{"dlq_topic": "kube-audit"}, "dlq_topic", "must differ"},
		{conf.MapGetter{"message_key": "uid"}, "message_key", "audit_id, user, namespace, none"},
		{conf.MapGetter{"compression": "brotli"}, "compression", "none, gzip, snappy, lz4, zstd"},
		{conf.MapGetter{"compression_level": "10"}, "compression_level", "0-9"},
		{conf.MapGetter{"compression_level": "-1"}, "compression_level", "0-9"},
		{conf.MapGetter{"compression_level": "high"}, "compression_level", "0-9"},
		{conf.MapGetter{"required_acks": "2"}, "required_acks", "all, one, none"},
		{conf.MapGetter{"write_timeout": "soon"}, "write_timeout", "duration"},
		{conf.MapGetter{"write_timeout": "0"}, "write_timeout", "positive"},
		{conf.MapGetter{"shutdown_timeout": "-5s"}, "shutdown_timeout", "positive"},
		{conf.MapGetter{"max_message_bytes": "1023"}, "max_message_bytes", "1024"},
		{conf.MapGetter{"max_message_bytes": "1MB"}, "max_message_bytes", "1024"},
		{conf.MapGetter{"tls_enabled": "maybe"}, "tls_enabled", "boolean"},
		{conf.MapGetter{"tls_enabled": "on", "tls_ca_file": missing}, "tls_ca_file", "no such file"},
		{conf.MapGetter{"tls_enabled": "on", "tls_cert_file": missing, "tls_key_file": missing}, "tls_cert_file", "no such file"},
		{conf.MapGetter{"tls_enabled": "on", "tls_key_file": missing}, "tls_key_file", "no such file"},
		{conf.MapGetter{"tls_enabled": "on", "tls_cert_file": empty}, "tls_cert_file", "go together"},
		{conf.MapGetter{"tls_insecure_skip_verify": "on"}, "tls_enabled", "tls_enabled is off"},
		{conf.MapGetter{"tls_server_name": "kafka.internal"}, "tls_enabled", "tls_enabled is off"},
		{conf.MapGetter{"sasl_username": "audit", "sasl_password": "pw-never-echoed"}, "sasl_mechanism", "no sasl_mechanism"},
		{conf.MapGetter{"tls_insecure_skip_verify": "perhaps", "tls_enabled": "on"}, "tls_insecure_skip_verify", "boolean"},
		{conf.MapGetter{"sasl_mechanism": "GSSAPI"}, "sasl_mechanism", "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"},
		{conf.MapGetter{"sasl_mechanism": "PLAIN", "sasl_password": "p"}, "sasl_username", "required"},
		{conf.MapGetter{"sasl_mechanism": "PLAIN", "sasl_username": "u"}, "sasl_password", "sasl_password_file"},
		{conf.MapGetter{"sasl_password_file": missing}, "sasl_password_file", "no such file"},
		{conf.MapGetter{"sasl_password_file": empty}, "sasl_password_file", "empty"},
		{conf.MapGetter{"stages": "ResponseDone"}, "stages", "RequestReceived, ResponseStarted, ResponseComplete, Panic"},
		{conf.MapGetter{"stages": ","}, "stages", "at least one"},
		{conf.MapGetter{"format": "cef"}, "format", "native, ecs, ocsf"},
		{conf.MapGetter{"rules_file": missing}, "rules_file", "no such file"},
		{conf.MapGetter{"rules_mode": "merge"}, "rules_mode", "extend, replace"},
		{conf.MapGetter{"policy_file": missing}, "policy_file", "no such file"},
		{conf.MapGetter{"redaction_mode": "blur"}, "redaction_mode", "mask, hash, drop"},
		{conf.MapGetter{"redaction_mode": "hash"}, "redaction_hmac_key", "16"},
		{conf.MapGetter{"redaction_mode": "hash", "redaction_hmac_key": "short"}, "redaction_hmac_key", "16"},
		{conf.MapGetter{"plugin_log_level": "trace"}, "plugin_log_level", "error, warn, info, debug"},
	} {
		_, err := conf.Load(tc.props)
		if err == nil {
			t.Errorf("%v: accepted", tc.props)
			continue
		}
		var probs conf.Problems
		if !errors.As(err, &probs) {
			t.Fatalf("%v: error is %T, want conf.Problems", tc.props, err)
		}
		var pe *conf.PropertyError
		found := false
		for _, p := range probs {
			if errors.As(p, &pe) && pe.Key == tc.key && strings.Contains(p.Error(), tc.hint) {
				found = true
			}
			if !strings.Contains(p.Error(), `"`+pe.Key+`"`) {
				t.Errorf("%q does not name its property", p)
			}
		}
		if !found {
			t.Errorf("%v: %v; want an error on %q mentioning %q", tc.props, err, tc.key, tc.hint)
		}
	}
}

// All problems come back at once, each naming its property.
func TestAllErrorsAtOnce(t *testing.T) {
	bad := conf.MapGetter{
		"brokers": "nope", "topic": "a b", "compression": "brotli", "compression_level": "99",
		"required_acks": "2", "write_timeout": "x", "max_message_bytes": "1", "tls_enabled": "maybe",
		"stages": "Nope", "format": "cef", "rules_mode": "merge", "redaction_mode": "blur", "plugin_log_level": "trace",
		"message_key": "uid",
	}
	_, err := conf.Load(bad)
	var probs conf.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("%T %v", err, err)
	}
	var keys []string
	for _, p := range probs {
		var pe *conf.PropertyError
		if !errors.As(p, &pe) {
			t.Fatalf("%T is not a PropertyError", p)
		}
		keys = append(keys, pe.Key)
	}
	slices.Sort(keys)
	var want []string
	for k := range bad {
		want = append(want, k)
	}
	slices.Sort(want)
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("problems on %v, want %v", keys, want)
	}
	for _, k := range want {
		if !strings.Contains(err.Error(), `property "`+k+`"`) {
			t.Errorf("joined message lacks %q: %v", k, err)
		}
	}
}

// Secrets appear neither in Config.String() nor in any error message.
func TestSecretsNeverPrinted(t *testing.T) {
	const pass, hmac, filePass = "pa55-Inline-Secret", "hmac-key-0123456789-secret", "pa55-From-File-Secret"
	pw := writeFile(t, "pw", filePass+"\n")
	c := load(t, conf.MapGetter{
		"sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "audit", "sasl_password": pass,
		"redaction_mode": "hash", "redaction_hmac_key": hmac,
	})
	s := c.String()
	if strings.Contains(s, pass) || strings.Contains(s, hmac) || !strings.Contains(s, "[REDACTED]") || !strings.Contains(s, "audit") {
		t.Fatalf("String() = %s", s)
	}
	if c.Output.SASL.Password != pass || c.Redact.HMACKey != hmac {
		t.Fatal("String() masked the config itself")
	}
	c = load(t, conf.MapGetter{"sasl_mechanism": "PLAIN", "sasl_username": "u", "sasl_password_file": pw})
	if s := c.String(); strings.Contains(s, filePass) {
		t.Fatalf("String() leaks the file's password: %s", s)
	}
	// Errors, with the secrets set, in secret properties and next to them.
	for _, m := range []conf.MapGetter{
		{"sasl_mechanism": "PLAIN", "sasl_password": pass},
		{"sasl_mechanism": "NOPE", "sasl_username": "u", "sasl_password": pass},
		{"redaction_mode": "hash", "redaction_hmac_key": "short-" + hmac[:5]},
		{"redaction_mode": "hash", "redaction_hmac_key": hmac, "compression": "x", "sasl_password": pass, "sasl_password_file": filepath.Join(t.TempDir(), "none")},
		{"sasl_password_file": writeFile(t, "blank", "\r\n"), "sasl_password": pass},
	} {
		_, err := conf.Load(m)
		if err == nil {
			t.Fatalf("%v accepted", m)
		}
		for _, secret := range []string{pass, hmac, "short-" + hmac[:5], filePass} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks a secret: %v", err)
			}
		}
	}
}

func TestNodeNameDefaultsToHostname(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	if c := load(t, conf.MapGetter{}); c.Enrich.NodeName != host {
		t.Fatalf("node_name %q, want the host name %q", c.Enrich.NodeName, host)
	}
}
