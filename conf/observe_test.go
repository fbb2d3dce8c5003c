package conf_test

import (
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

func TestMetricsListen(t *testing.T) {
	for v, ok := range map[string]bool{"": true, ":2021": true, "0.0.0.0:2021": true, "[::1]:9000": true, "2021": false, "host:port": false, "h:70000": false} {
		_, err := conf.Load(conf.MapGetter{"metrics_listen": v})
		if (err == nil) != ok {
			t.Errorf("metrics_listen %q: %v", v, err)
		}
	}
}
