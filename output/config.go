package output

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/enum"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
	auditrecord "github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Config configures the Kafka writer; conf fills it from plugin properties.
type Config struct {
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
func (o Config) Topics() []string {
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

// DefaultMaxMessageBytes is Kafka's default broker message.max.bytes.
const DefaultMaxMessageBytes = 1048588

// MaxLevel is the highest compression_level of the codec (0: it takes none).
func (c Compression) MaxLevel() int {
	switch c {
	case CompressionGzip, CompressionLZ4, CompressionZstd:
		return 9
	case CompressionSnappy:
		return 3
	}
	return 0
}

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
	i, err := enum.Parse("compression", string(b), compressionNames)
	*c = Compression(i)
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
	i, err := enum.Parse("message key", string(b), messageKeyNames)
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
	i, err := enum.Parse("required_acks", text, acksNames)
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
	i, err := enum.Parse("sasl_mechanism", string(b), saslNames[1:])
	if err != nil {
		*m = SASLNone // not PLAIN: no follow-up "sasl_username required" problems
		return err
	}
	*m = SASLMechanism(i + 1)
	return nil
}

// Validate checks the configuration as a whole; every problem is reported,
// each naming its field (fielderr). Brokers may be empty here (the command
// then starts an embedded broker); New requires them.
func (c *Config) Validate() error {
	var l fielderr.List
	for _, b := range c.Brokers {
		host, port, err := net.SplitHostPort(b) // also [::1]:9092
		if err != nil || host == "" {
			l.Addf("output.Brokers", "broker %q is not host:port", b)
		} else if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			l.Addf("output.Brokers", "broker %q has no valid port", b)
		}
	}
	if err := validTopic(c.Topic); err != nil {
		l.Add("output.Topic", err)
	}
	sevs := make([]string, 0, len(c.TopicsBySeverity))
	for sev := range c.TopicsBySeverity {
		sevs = append(sevs, sev)
	}
	slices.Sort(sevs)
	for _, sev := range sevs {
		if _, ok := auditrecord.ParseSeverity(sev); !ok {
			l.Addf("output.TopicsBySeverity", "unknown severity %q (valid: %s)", sev, strings.Join(auditrecord.SeverityNames(), ", "))
		} else if err := validTopic(c.TopicsBySeverity[sev]); err != nil {
			l.Add("output.TopicsBySeverity", err)
		}
	}
	if c.DLQTopic != "" {
		if err := validTopic(c.DLQTopic); err != nil {
			l.Add("output.DLQTopic", err)
		} else if c.DLQTopic == c.Topic {
			l.Addf("output.DLQTopic", "must differ from topic %q", c.Topic)
		}
	}
	if c.WriteTimeout <= 0 {
		l.Addf("output.WriteTimeout", "must be positive")
	}
	if c.MaxMessageBytes < 1024 {
		l.Addf("output.MaxMessageBytes", "must be at least 1024")
	}
	if maxLevel := c.Compression.MaxLevel(); c.CompressionLevel < 0 || c.CompressionLevel > maxLevel {
		if maxLevel == 0 {
			l.Addf("output.CompressionLevel", "compression %s takes no level; set 0", c.Compression)
		} else {
			l.Addf("output.CompressionLevel", "compression %s takes levels 1-%d (0: its default), got %d", c.Compression, maxLevel, c.CompressionLevel)
		}
	}
	t := &c.TLS
	if !t.Enabled && (t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.InsecureSkipVerify) {
		l.Addf("output.TLS.Enabled", "tls_* properties are set but tls_enabled is off; set tls_enabled on")
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		l.Addf("output.TLS.CertFile", "tls_cert_file and tls_key_file go together")
	}
	for field, f := range map[string]string{"output.TLS.CAFile": t.CAFile, "output.TLS.CertFile": t.CertFile, "output.TLS.KeyFile": t.KeyFile} {
		if err := fielderr.Readable(f); err != nil {
			l.Add(field, err)
		}
	}
	s := &c.SASL
	if s.Mechanism != SASLNone {
		if s.Username == "" {
			l.Addf("output.SASL.Username", "required with sasl_mechanism %s", s.Mechanism)
		}
		if s.Password == "" {
			l.Addf("output.SASL.Password", "required with sasl_mechanism %s (or set sasl_password_file)", s.Mechanism)
		}
	} else if s.Username != "" || (s.Password != "" && s.PasswordFile == "") {
		// Credentials without a mechanism would connect unauthenticated. (A
		// mounted password file alone is allowed: a manifest may mount it
		// whether or not the environment turns SASL on.)
		l.Addf("output.SASL.Mechanism", "sasl credentials are set but no sasl_mechanism (valid: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
	}
	return l.Err()
}

// validTopic applies Kafka's topic name rules.
func validTopic(t string) error {
	if t == "" {
		return fmt.Errorf("empty topic name")
	}
	if len(t) > 249 || t == "." || t == ".." {
		return fmt.Errorf("invalid topic name %q", t)
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("invalid topic name %q (letters, digits, '.', '_', '-' only)", t)
		}
	}
	return nil
}
