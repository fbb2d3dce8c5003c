package conf_test

import (
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

// fluentBitOutputKeys are the [OUTPUT] properties Fluent Bit's
// flb_output_set_property consumes itself: they never reach a plugin through
// output_get_property, so a plugin property of that name cannot be set.
var fluentBitOutputKeys = []string{
	"name", "match", "match_regex", "alias", "log_level", "log_suppress_interval",
	"host", "port", "ipv6", "retry_limit", "workers", "storage.total_limit_size",
	"tls", "tls.verify", "tls.verify_hostname", "tls.debug", "tls.vhost", "tls.ca_path",
	"tls.ca_file", "tls.crt_file", "tls.key_file", "tls.key_passwd", "tls.min_version",
	"tls.max_version", "tls.ciphers",
}

func TestNoPropertyIsConsumedByFluentBit(t *testing.T) {
	for _, p := range conf.Properties() {
		for _, k := range fluentBitOutputKeys {
			if strings.EqualFold(p.Key, k) {
				t.Errorf("property %q is consumed by Fluent Bit itself and never reaches the plugin", p.Key)
			}
		}
		if strings.HasPrefix(strings.ToLower(p.Key), "net.") {
			t.Errorf("property %q: net.* properties are consumed by Fluent Bit", p.Key)
		}
	}
}
