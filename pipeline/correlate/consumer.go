package correlate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/segmentio/kafka-go"
)

// Timings are the consumer group's timers (kafka-go's defaults when zero).
type Timings struct {
	Heartbeat, Session, Rebalance, JoinBackoff time.Duration
}

// Consumer correlates the input topics as one member of a consumer group
// (kafka-go's ConsumerGroup): one Engine per assigned partition, a reader
// per partition from the committed offset, alerts written to the alerts
// topic before the offsets they rest on are committed. Delivery is
// at-least-once: the offset committed is never past the first event of a
// window still open (Engine.CommitOffset), so a new owner of the partition
// (after a crash or a rebalance) replays what it needs and raises the same
// alert ids.
type Consumer struct {
	cfg    *Config
	rs     *RuleSet // the rules of the input partitions
	remote *RuleSet // the rules of the repartition topic (nil: none)
	fwd    *kafka.Writer
	dialer *kafka.Dialer
	writer *kafka.Writer
	logf   func(format string, a ...any)

	// Timings of the group; tests shorten them.
	Timings Timings
	// abandon: on stop, neither flush nor commit (a crash, for tests).
	abandon bool

	workers sync.WaitGroup // partition goroutines: waited for before leaving the group
	// stopping: partitions not done with their last flush. One partition
	// returning ends the generation (kafka-go): on stop, each waits for the
	// others' commits before returning.
	stopping   sync.WaitGroup
	mu         sync.Mutex
	stats      Stats
	open       map[string]int // by topic/partition
	commits    int64
	writeFails int64
	unreadable int64
}

// NewConsumer checks the configuration and builds the clients; logf gets
// one line per notable event (assignments, failures).
func NewConsumer(cfg *Config, logf func(format string, a ...any)) (*Consumer, error) {
	if len(cfg.Kafka.Brokers) == 0 {
		return nil, errors.New(`property "brokers": required (or use --dry-run FILE...)`)
	}
	rs, err := LoadRules(cfg.RulesFile, cfg.RulesMode)
	if err != nil {
		return nil, &propertyErr{"rules_file", err}
	}
	tlsCfg, mech, err := cfg.Kafka.Security()
	if err != nil {
		return nil, err
	}
	clientID := cfg.Kafka.ClientID
	if clientID == "" || clientID == "kube-audit-kafka" {
		clientID = "kube-audit-kafka-correlate"
	}
	dialer := &kafka.Dialer{ClientID: clientID, Timeout: 10 * time.Second, DualStack: true, TLS: tlsCfg, SASLMechanism: mech}
	w := &kafka.Writer{
		Addr:         kafka.TCP(cfg.Kafka.Brokers...),
		Topic:        cfg.AlertsTopic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
		Transport:    &kafka.Transport{ClientID: clientID, TLS: tlsCfg, SASL: mech, DialTimeout: 10 * time.Second},
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	c := &Consumer{cfg: cfg, rs: rs, dialer: dialer, writer: w, logf: logf, open: map[string]int{}}
	local, remote := rs.Split(cfg.MessageKey)
	switch {
	case len(remote.Rules) == 0:
	case cfg.RepartitionTopic == "":
		logf("message_key %s does not put every event of a group in one partition for rules %s: they see only what shares a partition (set repartition_topic)", cfg.MessageKey, describeRules(remote))
	default:
		c.rs, c.remote = local, remote
		c.fwd = &kafka.Writer{Addr: w.Addr, Topic: cfg.RepartitionTopic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
			BatchTimeout: w.BatchTimeout, BatchSize: 1000, Transport: w.Transport}
		logf("rules %s go through %s, keyed by their group key", describeRules(remote), cfg.RepartitionTopic)
	}
	return c, nil
}

type propertyErr struct {
	key string
	err error
}

func (e *propertyErr) Error() string { return fmt.Sprintf("property %q: %v", e.key, e.err) }
func (e *propertyErr) Unwrap() error { return e.err }

// Stats are the counters of every partition this consumer has owned.
func (c *Consumer) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Run consumes until ctx ends, then flushes the alerts, commits and leaves
// the group.
func (c *Consumer) Run(ctx context.Context) error {
	topics := c.cfg.Topics
	if c.remote != nil {
		topics = append(append([]string(nil), topics...), c.cfg.RepartitionTopic)
	}
	gcfg := kafka.ConsumerGroupConfig{
		ID: c.cfg.GroupID, Brokers: c.cfg.Kafka.Brokers, Topics: topics, Dialer: c.dialer,
		StartOffset: kafka.FirstOffset, WatchPartitionChanges: true,
		HeartbeatInterval: c.Timings.Heartbeat, SessionTimeout: c.Timings.Session,
		RebalanceTimeout: c.Timings.Rebalance, JoinGroupBackoff: c.Timings.JoinBackoff,
	}
	g, err := kafka.NewConsumerGroup(gcfg)
	if err != nil {
		return err
	}
	defer g.Close()
	defer c.writer.Close()
	if c.fwd != nil {
		defer c.fwd.Close()
	}
	// Stopping: the partitions write their alerts and commit while the
	// generation is still theirs, then the group is left (above).
	defer c.workers.Wait()
	for {
		gen, err := g.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, kafka.ErrGroupClosed) {
				return nil
			}
			c.logf("consumer group %s: %v; rejoining", c.cfg.GroupID, err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		n := 0
		for topic, parts := range gen.Assignments {
			for _, p := range parts {
				topic, p := topic, p
				n++
				c.workers.Add(1)
				c.stopping.Add(1)
				gen.Start(func(gctx context.Context) {
					defer c.workers.Done()
					var once sync.Once
					release := func() { once.Do(c.stopping.Done) }
					defer release()
					c.partition(ctx, gctx, gen, topic, p.ID, p.Offset, release)
				})
			}
		}
		c.logf("generation %d: %d partitions assigned", gen.ID, n)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// partition correlates one partition for one generation. ctx is the
// consumer's (its end: flush, commit, return), gctx the generation's (its
// end: the partition may have moved; return without committing).
func (c *Consumer) partition(ctx, gctx context.Context, gen *kafka.Generation, topic string, part int, offset int64, flushed func()) {
	name := fmt.Sprintf("%s/%d", topic, part)
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.cfg.Kafka.Brokers, Topic: topic, Partition: part, Dialer: c.dialer,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 250 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		c.logf("%s: %v", name, err)
		return
	}
	start := offset
	if start < 0 {
		start = 0
	}
	rs := c.rs
	repartitioned := c.remote != nil && topic == c.cfg.RepartitionTopic
	var fwd *Forwarder
	if repartitioned {
		rs = c.remote
	} else if c.remote != nil {
		fwd = NewForwarder(c.remote)
	}
	eng := NewEngine(rs, c.cfg.Limits, start)
	if repartitioned {
		eng.Dedupe, eng.Lateness = true, c.cfg.RepartitionGrace
		if eng.Lateness == 0 {
			eng.Lateness = DefaultRepartitionGrace
		}
	}
	dec := NewDecoder(nil, c.rs)
	if c.remote != nil {
		dec = NewDecoder(nil, &RuleSet{needsEnrichment: c.rs.needsEnrichment || c.remote.needsEnrichment})
	}
	rctx, cancel := context.WithCancel(gctx)
	defer cancel()
	msgs := make(chan kafka.Message, 1024)
	go func() {
		defer close(msgs)
		for {
			m, err := r.ReadMessage(rctx)
			if err != nil {
				if rctx.Err() == nil {
					c.logf("%s: read: %v", name, err)
				}
				return
			}
			select {
			case msgs <- m:
			case <-rctx.Done():
				return
			}
		}
	}()
	interval := c.cfg.CommitInterval
	if interval <= 0 {
		interval = time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var (
		pending   []*Alert
		forwards  []kafka.Message
		fws       []Forward
		ev        Event
		committed = offset
		reported  Stats
		bad       int64
	)
	report := func() {
		c.mu.Lock()
		d := eng.Stats
		d.Events -= reported.Events
		d.Matched -= reported.Matched
		d.Alerts -= reported.Alerts
		d.Late -= reported.Late
		d.EvictedKeys -= reported.EvictedKeys
		d.EvictedValues -= reported.EvictedValues
		c.stats.Add(d)
		c.unreadable += bad
		c.open[name] = eng.Open()
		c.mu.Unlock()
		reported, bad = eng.Stats, 0
	}
	defer func() {
		report()
		c.mu.Lock()
		delete(c.open, name)
		c.mu.Unlock()
	}()
	flush := func(wctx context.Context) bool {
		if len(forwards) > 0 {
			if err := c.fwd.WriteMessages(wctx, forwards...); err != nil {
				c.mu.Lock()
				c.writeFails++
				c.mu.Unlock()
				if gctx.Err() == nil {
					c.logf("%s: forward %d events to %s: %v (retried; offsets not committed)", name, len(forwards), c.cfg.RepartitionTopic, err)
				}
				return false
			}
			forwards = forwards[:0]
		}
		if len(pending) > 0 {
			out := make([]kafka.Message, 0, len(pending))
			for _, a := range pending {
				b, err := a.Encode(c.cfg.Format)
				if err != nil {
					c.logf("%s: encode alert %s: %v", name, a.AlertID, err)
					continue
				}
				out = append(out, kafka.Message{Key: []byte(a.Group.Value), Value: b,
					Headers: []kafka.Header{{Key: "severity", Value: []byte(a.Severity)}, {Key: "rule", Value: []byte(a.Rule)}}})
			}
			if err := c.writer.WriteMessages(wctx, out...); err != nil {
				c.mu.Lock()
				c.writeFails++
				c.mu.Unlock()
				if gctx.Err() == nil {
					c.logf("%s: write %d alerts to %s: %v (retried; offsets not committed)", name, len(out), c.cfg.AlertsTopic, err)
				}
				return false
			}
			pending = pending[:0]
		}
		if off := eng.CommitOffset(); off > committed {
			if err := gen.CommitOffsets(map[string]map[int]int64{topic: {part: off}}); err != nil {
				if gctx.Err() == nil {
					c.logf("%s: commit offset %d: %v", name, off, err)
				}
				return false
			}
			committed = off
			c.mu.Lock()
			c.commits++
			c.mu.Unlock()
		}
		report()
		return true
	}
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				if ctx.Err() != nil && gctx.Err() == nil && !c.abandon {
					fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
					flush(fctx)
					fcancel()
					flushed()
					c.stopping.Wait()
				}
				return
			}
			if err := dec.Decode(m.Value, &ev); err != nil {
				if !errors.Is(err, ErrSkipped) {
					bad++
				}
				eng.Advance(m.Offset)
				continue
			}
			ev.Offset = m.Offset
			if repartitioned {
				var only []string
				for _, h := range m.Headers {
					if h.Key == RepartitionHeader {
						only = strings.Split(string(h.Value), ",")
					}
				}
				if only == nil {
					eng.Advance(m.Offset)
					continue
				}
				ev.Route(only, string(m.Key))
			} else if fwd != nil {
				fws = fwd.Forwards(&ev, fws[:0])
				for _, f := range fws {
					forwards = append(forwards, kafka.Message{Key: []byte(f.Key), Value: m.Value,
						Headers: []kafka.Header{{Key: RepartitionHeader, Value: []byte(strings.Join(f.Rules, ","))}}})
				}
			}
			pending = eng.Process(&ev, pending)
			if len(pending) >= 256 || len(forwards) >= 1024 {
				flush(gctx)
			}
		case <-tick.C:
			flush(gctx)
		case <-ctx.Done():
			// The consumer stops: stop reading, then flush and commit
			// (above, once the reader is done).
			cancel()
			for range msgs {
			}
			if gctx.Err() == nil && !c.abandon {
				fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
				flush(fctx)
				fcancel()
			}
			flushed()
			c.stopping.Wait()
			return
		}
	}
}

// Handler serves /metrics and /healthz for the consumer.
func (c *Consumer) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	counter := func(name, help string, f func(s Stats) int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kube_audit_kafka_correlate_" + name, Help: help},
			func() float64 { return float64(f(c.Stats())) }))
	}
	counter("events_total", "Events consumed and correlated.", func(s Stats) int64 { return s.Events })
	counter("matched_total", "Rule matches (an event may match several rules).", func(s Stats) int64 { return s.Matched })
	counter("alerts_total", "Alerts raised (a replay may raise one again, with the same alert_id).", func(s Stats) int64 { return s.Alerts })
	counter("late_events_total", "Events of a window the partition's watermark had already closed.", func(s Stats) int64 { return s.Late })
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kube_audit_kafka_correlate_evictions_total", Help: "State evicted by the limits: keys (max_keys), values (max_values).", ConstLabels: prometheus.Labels{"kind": "keys"}},
		func() float64 { return float64(c.Stats().EvictedKeys) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kube_audit_kafka_correlate_evictions_total", Help: "State evicted by the limits: keys (max_keys), values (max_values).", ConstLabels: prometheus.Labels{"kind": "values"}},
		func() float64 { return float64(c.Stats().EvictedValues) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kube_audit_kafka_correlate_commits_total", Help: "Offset commits."},
		func() float64 { c.mu.Lock(); defer c.mu.Unlock(); return float64(c.commits) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kube_audit_kafka_correlate_alert_write_errors_total", Help: "Failed writes of alerts (retried)."},
		func() float64 { c.mu.Lock(); defer c.mu.Unlock(); return float64(c.writeFails) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kube_audit_kafka_correlate_unreadable_total", Help: "Messages that are not audit events."},
		func() float64 { c.mu.Lock(); defer c.mu.Unlock(); return float64(c.unreadable) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kube_audit_kafka_correlate_open_windows", Help: "Open windows and pending first steps, over the partitions owned."},
		func() float64 {
			c.mu.Lock()
			defer c.mu.Unlock()
			n := 0
			for _, v := range c.open {
				n += v
			}
			return float64(n)
		}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kube_audit_kafka_correlate_partitions", Help: "Partitions owned."},
		func() float64 { c.mu.Lock(); defer c.mu.Unlock(); return float64(len(c.open)) }))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

// ServeMetrics serves Handler on addr until ctx ends; it returns the
// address bound.
func (c *Consumer) ServeMetrics(ctx context.Context, addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", &propertyErr{"metrics_listen", err}
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	return ln.Addr().String(), nil
}
