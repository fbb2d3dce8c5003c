package main

import (
	"fmt"
	"sync"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/metrics"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// metricsServers are the process's metrics listeners by address: instances
// of one Fluent Bit that name the same metrics_listen share one server, each
// under its own plugin_instance label. This is package state on purpose (the
// plugin is the only place allowed it): Fluent Bit's instances share the
// process and its ports.
var metricsServers = struct {
	sync.Mutex
	m map[string]*metrics.Server
}{m: map[string]*metrics.Server{}}

// metricsName is the name label of an instance's series: metrics_name, or
// the name Fluent Bit gives the id-th kube_audit_kafka output when our
// outputs come first in the configuration (kube_audit_kafka.0 for #1).
// Fluent Bit numbers outputs from 0 over all outputs and lets an alias
// replace the name; neither reaches a Go plugin, hence metrics_name.
func metricsName(cfg *conf.Config, id int) string {
	if cfg.Observe.MetricsName != "" {
		return cfg.Observe.MetricsName
	}
	return fmt.Sprintf("%s.%d", pluginName, id-1)
}

// startMetrics serves the instance's metrics on addr, starting the server
// for that address unless another instance already did. name is the
// instance's log prefix (plugin_instance), fbName its name label.
func startMetrics(addr, name, fbName string, p *pipeline.Pipeline) error {
	metricsServers.Lock()
	defer metricsServers.Unlock()
	srv := metricsServers.m[addr]
	created := srv == nil
	if created {
		var err error
		if srv, err = metrics.Listen(addr, 0); err != nil {
			return err
		}
	}
	src := metrics.Source{Name: fbName, Stats: p.Stats().Snapshot}
	if _, ok := p.WireBytes(); ok {
		src.WireBytes = func() int64 { n, _ := p.WireBytes(); return n }
	}
	if err := srv.Add(name, src); err != nil {
		if created {
			_ = srv.Close()
		}
		return err
	}
	metricsServers.m[addr] = srv
	return nil
}

// stopMetrics stops serving the instance's metrics, and closes the server
// when it was the last instance on addr.
func stopMetrics(addr, name string) {
	metricsServers.Lock()
	defer metricsServers.Unlock()
	srv := metricsServers.m[addr]
	if srv == nil {
		return
	}
	if srv.Remove(name) == 0 {
		_ = srv.Close()
		delete(metricsServers.m, addr)
	}
}

// metricsAddr returns the bound address for addr, for tests and logs.
func metricsAddr(addr string) string {
	metricsServers.Lock()
	defer metricsServers.Unlock()
	if srv := metricsServers.m[addr]; srv != nil {
		return srv.Addr()
	}
	return ""
}
