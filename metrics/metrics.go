package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// DefaultFailAfter is how long deliveries may fail without a success before
// /healthz answers 503.
const DefaultFailAfter = 2 * time.Minute

// Source is what a Server reads from one instance.
type Source struct {
	// Name is the value of the name label: Fluent Bit's name of the output
	// (its alias, or kube_audit_kafka.N). Empty: the instance's name.
	Name string
	// Stats returns the instance's counters; pipeline.(*Stats).Snapshot.
	Stats func() pipeline.Snapshot
	// WireBytes, when set, returns the bytes written to the brokers (after
	// compression, with protocol overhead).
	WireBytes func() int64
}

// Server serves /metrics and /healthz for the instances added to it.
type Server struct {
	ln        net.Listener
	srv       *http.Server
	failAfter time.Duration
	now       func() time.Time

	mu    sync.Mutex
	insts map[string]Source
}

// Listen starts serving on addr (host:port; port 0 picks a free one).
// failAfter <= 0 means DefaultFailAfter.
func Listen(addr string, failAfter time.Duration) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics_listen %s: %w", addr, err)
	}
	if failAfter <= 0 {
		failAfter = DefaultFailAfter
	}
	s := &Server{ln: ln, failAfter: failAfter, now: time.Now, insts: map[string]Source{}}
	reg := prometheus.NewRegistry()
	// The Go runtime's own series (the plugin's heap and GC) and the
	// process's (Fluent Bit's, which hosts the plugin) come along.
	reg.MustRegister(collector{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/healthz", s.healthz)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address served, with the port actually bound.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Add serves the metrics of the instance called name.
func (s *Server) Add(name string, src Source) error {
	if src.Stats == nil {
		return errors.New("metrics: source without Stats")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.insts[name]; dup {
		return fmt.Errorf("metrics: instance %q already registered", name)
	}
	if src.Name == "" {
		src.Name = name
	}
	s.insts[name] = src
	return nil
}

// Remove stops serving the instance's metrics. It reports how many
// instances remain.
func (s *Server) Remove(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.insts, name)
	return len(s.insts)
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

type snap struct {
	name, fbName string
	pipeline.Snapshot
	wire    int64
	hasWire bool
}

func (s *Server) snapshots() []snap {
	s.mu.Lock()
	srcs := make([]snap, 0, len(s.insts))
	fns := make([]Source, 0, len(s.insts))
	for name, src := range s.insts {
		srcs = append(srcs, snap{name: name, fbName: src.Name})
		fns = append(fns, src)
	}
	s.mu.Unlock()
	for i := range srcs {
		srcs[i].Snapshot = fns[i].Stats()
		if fns[i].WireBytes != nil {
			srcs[i].wire, srcs[i].hasWire = fns[i].WireBytes(), true
		}
	}
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].name < srcs[j].name })
	return srcs
}

// Health is one instance's line in /healthz.
type Health struct {
	Instance     string     `json:"instance"`
	Healthy      bool       `json:"healthy"`
	LastDelivery *time.Time `json:"last_delivery"`
	FailingSince *time.Time `json:"failing_since,omitempty"`
	Shipped      int64      `json:"shipped"`
}

// healthz answers 200 with each instance's last delivery, or 503 when an
// instance's deliveries have failed for longer than failAfter.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	now := s.now()
	status := http.StatusOK
	var out struct {
		Status    string   `json:"status"`
		Instances []Health `json:"instances"`
	}
	out.Instances = []Health{}
	for _, sn := range s.snapshots() {
		h := Health{Instance: sn.name, Healthy: true, Shipped: sn.Shipped}
		if !sn.LastDelivery.IsZero() {
			t := sn.LastDelivery.UTC()
			h.LastDelivery = &t
		}
		if !sn.FailingSince.IsZero() {
			t := sn.FailingSince.UTC()
			h.FailingSince = &t
			if now.Sub(sn.FailingSince) > s.failAfter {
				h.Healthy = false
				status = http.StatusServiceUnavailable
			}
		}
		out.Instances = append(out.Instances, h)
	}
	out.Status = "ok"
	if status != http.StatusOK {
		out.Status = "failing"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

const ns = "kube_audit_kafka"

// The descriptors below are read-only.
var (
	lbl         = []string{"plugin_instance", "name"}
	descBuild   = prometheus.NewDesc(ns+"_build_info", "Always 1: the plugin's version, VCS revision and Go version.", []string{"version", "revision", "goversion"}, nil)
	descRecords = prometheus.NewDesc(ns+"_records_received_total", "Fluent Bit records received, each once: counted when its chunk is delivered or given up (retries are in records_retried_total).", lbl, nil)
	descRetried = prometheus.NewDesc(ns+"_records_retried_total", "Records of flushes answered with retry: Fluent Bit delivers them again, and they are counted again here at each retry.", lbl, nil)
	descEvents  = prometheus.NewDesc(ns+"_events_received_total", "Audit events decoded from the records, each once (retried chunks are not counted again).", lbl, nil)
	descShipped = prometheus.NewDesc(ns+"_events_shipped_total", "Messages acknowledged by the brokers, by severity.", append(lbl, "severity"), nil)
	descDropped = prometheus.NewDesc(ns+"_dropped_total", "Records or events not shipped on purpose or because they cannot be, by reason.", append(lbl, "reason"), nil)
	descTrunc   = prometheus.NewDesc(ns+"_events_truncated_total", "Events above max_message_bytes shipped without their request and response bodies (they are also in events_shipped_total).", lbl, nil)
	descDLQ     = prometheus.NewDesc(ns+"_events_dead_lettered_total", "Events too large to ship even truncated, replaced by a stub on dlq_topic.", lbl, nil)
	descRedact  = prometheus.NewDesc(ns+"_redactions_total", "Values redacted, by kind: the part of the event they were in (requestObject, responseObject, requestURI, annotations, ...; unlisted: beyond the listed paths). Each flush attempt counts.", append(lbl, "kind"), nil)
	descBytesIn = prometheus.NewDesc(ns+"_bytes_received_total", "Bytes of audit event JSON received.", lbl, nil)
	descBytesEn = prometheus.NewDesc(ns+"_bytes_encoded_total", "Bytes of message values acknowledged by the brokers, before compression.", lbl, nil)
	descWire    = prometheus.NewDesc(ns+"_bytes_sent_total", "Bytes written to the broker connections: after compression, with Kafka protocol overhead.", lbl, nil)
	descKErr    = prometheus.NewDesc(ns+"_write_errors_total", "Failed Kafka writes, by class (transient and permanent: retried; undeliverable: dropped) and cause (broker_unreachable, timeout, auth_failed, topic_authorization, unknown_topic, ...).", append(lbl, "kind", "cause"), nil)
	descRetries = prometheus.NewDesc(ns+"_flush_retries_total", "Flushes answered with retry (Fluent Bit delivers the chunk again later).", lbl, nil)
	descErrors  = prometheus.NewDesc(ns+"_flush_errors_total", "Flushes answered with error (Fluent Bit drops the chunk).", lbl, nil)
	descFlush   = prometheus.NewDesc(ns+"_flush_duration_seconds", "Time to process and deliver one chunk.", lbl, nil)
	descLast    = prometheus.NewDesc(ns+"_last_delivery_timestamp_seconds", "Unix time of the last acknowledged write; 0: none yet.", lbl, nil)
	descUnwrap  = prometheus.NewDesc(ns+"_envelope_events_total", "Audit events taken out of managed clusters' cloud envelopes, by kind (aks: Azure diagnostic records; gke: Cloud Audit Logs entries; eks: CloudWatch Logs events and subscription payloads).", append(lbl, "kind"), nil)
	descBadIP   = prometheus.NewDesc(ns+"_invalid_source_ips_total", "Source addresses of events that are not IP addresses: left out of the ecs and ocsf formats' ip fields (kept in the audit event).", lbl, nil)
	descFailing = prometheus.NewDesc(ns+"_delivery_failing_seconds", "For how long writes have failed without a success; 0 when the last write succeeded.", lbl, nil)
)

type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuild, descRecords, descRetried, descEvents, descShipped, descDropped, descTrunc, descDLQ, descRedact, descBytesIn,
		descBytesEn, descWire, descKErr, descRetries, descErrors, descFlush, descLast, descFailing, descUnwrap, descBadIP} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	now := c.s.now()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	version, revision := buildVersion()
	gauge(descBuild, 1, version, revision, runtime.Version())
	known := knownWriteErrors()
	for _, sn := range c.s.snapshots() {
		n, fb := sn.name, sn.fbName
		counter(descRecords, sn.Records, n, fb)
		counter(descRetried, sn.RetriedRecords, n, fb)
		counter(descEvents, sn.Events, n, fb)
		for sev, v := range withZeros(sn.BySeverity, record.SeverityNames()) {
			counter(descShipped, v, n, fb, sev)
		}
		for reason, v := range withZeros(sn.Dropped, pipeline.DropReasons()) {
			counter(descDropped, v, n, fb, reason)
		}
		counter(descTrunc, sn.Truncated, n, fb)
		for kind, v := range withZeros(sn.Unwrapped, pipeline.EnvelopeKinds()) {
			counter(descUnwrap, v, n, fb, kind)
		}
		counter(descBadIP, sn.InvalidSourceIPs, n, fb)
		counter(descDLQ, sn.DeadLettered, n, fb)
		for kind, v := range sn.Redactions {
			counter(descRedact, v, n, fb, kind)
		}
		counter(descBytesIn, sn.BytesIn, n, fb)
		counter(descBytesEn, sn.BytesOut, n, fb)
		if sn.hasWire {
			counter(descWire, sn.wire, n, fb)
		}
		kerrs := make(map[pipeline.KafkaErrorKey]int64, len(sn.KafkaErrors)+len(known))
		for _, k := range known {
			kerrs[k] = 0
		}
		for k, v := range sn.KafkaErrors {
			kerrs[k] = v
		}
		for k, v := range kerrs {
			counter(descKErr, v, n, fb, k.Kind, k.Cause)
		}
		counter(descRetries, sn.Retries, n, fb)
		counter(descErrors, sn.Errors, n, fb)
		bounds := pipeline.FlushBuckets()
		buckets := make(map[float64]uint64, len(bounds))
		var cum uint64
		for i, b := range bounds {
			cum += sn.FlushCounts[i]
			buckets[b] = cum
		}
		cum += sn.FlushCounts[len(bounds)]
		ch <- prometheus.MustNewConstHistogram(descFlush, cum, sn.Busy.Seconds(), buckets, n, fb)
		last := 0.0
		if !sn.LastDelivery.IsZero() {
			last = float64(sn.LastDelivery.UnixNano()) / 1e9
		}
		gauge(descLast, last, n, fb)
		failing := 0.0
		if !sn.FailingSince.IsZero() {
			failing = now.Sub(sn.FailingSince).Seconds()
		}
		gauge(descFailing, failing, n, fb)
	}
}

// knownWriteErrors are the class and cause of every failed write
// output.Cause names (see its documentation), shown at 0 until the first
// one. A cause outside the list still gets its own series when it happens.
func knownWriteErrors() []pipeline.KafkaErrorKey {
	var keys []pipeline.KafkaErrorKey
	for _, c := range []string{"broker_unreachable", "timeout", "leader_moved", "not_enough_replicas", "message_too_large",
		"canceled", "broker_error", "other"} {
		keys = append(keys, pipeline.KafkaErrorKey{Kind: "transient", Cause: c})
	}
	for _, c := range []string{"auth_failed", "sasl_mechanism", "topic_authorization", "cluster_authorization", "unknown_topic",
		"invalid_topic", "unsupported_compression", "invalid_required_acks", "invalid_record", "policy_violation",
		"tls_hostname", "tls_untrusted", "tls_handshake_refused", "tls_plaintext"} {
		keys = append(keys, pipeline.KafkaErrorKey{Kind: "permanent", Cause: c})
	}
	return append(keys, pipeline.KafkaErrorKey{Kind: "undeliverable", Cause: "unsupported_message_format"})
}

// withZeros returns m with a 0 for every key of known it lacks.
func withZeros(m map[string]int64, known []string) map[string]int64 {
	out := make(map[string]int64, len(m)+len(known))
	for _, k := range known {
		out[k] = 0
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// buildVersion is the plugin module's version and VCS revision, as the Go
// toolchain recorded them ("(devel)" and "unknown" when it recorded none).
func buildVersion() (version, revision string) {
	version, revision = "(devel)", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, revision
	}
	if v := bi.Main.Version; v != "" {
		version = v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			revision = s.Value
		}
	}
	return version, revision
}
