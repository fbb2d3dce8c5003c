package correlate

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// groupStream is a stream keyed by user (the plugin's message_key user):
// users attackers, each denied on 10 distinct resources in each of windows
// aligned 5-minute windows, among routine events of excepted controllers.
//
// With brute, 3 addresses also fail authentication 25 times in each window:
// those 401s have no user, so the plugin gives them no key and they are
// spread over the partitions; only the repartition topic brings each
// address's together.
func groupStream(users, windows int, brute bool) (msgs []*kgo.Record, expected map[string]bool) {
	expected = map[string]bool{}
	for w := 0; w < windows; w++ {
		wStart := t0.Add(time.Duration(w) * 5 * time.Minute)
		if brute {
			for i := 0; i < 25; i++ {
				for a := 0; a < 3; a++ {
					ip := fmt.Sprintf("198.51.100.%d", a)
					e := ev{ip: ip, verb: "get", resource: "pods", code: 401, stage: "ResponseStarted", at: time.Duration(w)*5*time.Minute + time.Duration(i*8+a)*time.Second}
					msgs = append(msgs, &kgo.Record{Value: e.json()})
					if i == 0 {
						expected[AlertID("brute_force_unauthenticated", "source_ip", ip, wStart)] = true
					}
				}
			}
		}
		for i := 0; i < 10; i++ {
			for u := 0; u < users; u++ {
				user := fmt.Sprintf("attacker-%02d", u)
				at := time.Duration(w)*5*time.Minute + time.Duration(i*20+u)*time.Second
				e := ev{user: user, ip: fmt.Sprintf("10.1.%d.%d", u, w), verb: "list", resource: fmt.Sprintf("res%d", i), ns: "prod", code: 403, at: at}
				msgs = append(msgs, &kgo.Record{Key: []byte(user), Value: e.json()})
				if i == 9 {
					expected[AlertID("enumeration_denied_by_user", "user", user, wStart)] = true
				}
			}
			n := ev{user: "system:node:n1", ip: "10.0.0.1", verb: "get", resource: "secrets", ns: "prod", name: "s", at: time.Duration(w)*5*time.Minute + time.Duration(i*20)*time.Second}
			msgs = append(msgs, &kgo.Record{Key: []byte("system:node:n1"), Value: n.json()})
		}
	}
	return msgs, expected
}

// TestConsumerGroupFailover: 6 partitions, 3 consumers in one group over TCP
// (kfake on 127.0.0.1); one is stopped mid-stream without flushing or
// committing (as a crash would): every expected alert still arrives, and
// no alert has an id outside the expected ones (duplicates only with the
// same id).
func TestConsumerGroupFailover(t *testing.T) {
	t.Run("crash", func(t *testing.T) { testFailover(t, true, false) })
	// Stopped: flushes its alerts and commits before leaving.
	t.Run("stop", func(t *testing.T) { testFailover(t, false, false) })
	// Brute force from addresses, whose 401s have no message key: through
	// the repartition topic (message_key user).
	t.Run("repartition-crash", func(t *testing.T) { testFailover(t, true, true) })
}

func testFailover(t *testing.T, crash, repartition bool) {
	if testing.Short() {
		t.Skip("consumer group test")
	}
	b, err := embedded.Start(6, []string{"kube-audit", "kube-audit-alerts", "kube-audit-correlate-repartition"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	prod, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.DefaultProduceTopic("kube-audit"))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	msgs, expected := groupStream(12, 4, repartition)
	half := len(msgs) * 5 / 8 // windows 0, 1 and half of window 2
	if err := prod.ProduceSync(ctx, msgs[:half]...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	cfg := &Config{Kafka: output.Config{Brokers: b.Addrs()}, Topics: []string{"kube-audit"}, GroupID: "correlate-test",
		AlertsTopic: "kube-audit-alerts", RulesMode: "extend", Format: FormatNative, CommitInterval: 200 * time.Millisecond,
		MessageKey: "user"}
	if repartition {
		cfg.RepartitionTopic = "kube-audit-correlate-repartition"
		// The whole stream (20 minutes of events) is produced at once: the
		// input partitions are read at different paces.
		cfg.RepartitionGrace = 30 * time.Minute
	}
	type inst struct {
		c      *Consumer
		cancel context.CancelFunc
		done   chan struct{}
	}
	var insts []*inst
	var mu sync.Mutex
	for i := 0; i < 3; i++ {
		c, err := NewConsumer(cfg, func(f string, a ...any) {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("consumer %d: "+f, append([]any{i}, a...)...)
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Timings = Timings{Heartbeat: 300 * time.Millisecond, Session: 6 * time.Second, Rebalance: 5 * time.Second, JoinBackoff: 200 * time.Millisecond}
		cctx, ccancel := context.WithCancel(ctx)
		in := &inst{c: c, cancel: ccancel, done: make(chan struct{})}
		insts = append(insts, in)
		go func() { defer close(in.done); _ = c.Run(cctx) }()
	}

	// Read the alerts as they come.
	seen := map[string]int{}
	var seenMu sync.Mutex
	cons, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics("kube-audit-alerts"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	go func() {
		for ctx.Err() == nil {
			fs := cons.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				var a Alert
				if err := json.Unmarshal(r.Value, &a); err != nil {
					t.Errorf("alert: %v", err)
					return
				}
				if string(r.Key) != a.Group.Value {
					t.Errorf("alert key %q, group value %q", r.Key, a.Group.Value)
				}
				seenMu.Lock()
				seen[a.AlertID]++
				seenMu.Unlock()
			})
		}
	}()
	count := func() int {
		seenMu.Lock()
		defer seenMu.Unlock()
		return len(seen)
	}
	waitFor := func(n int) {
		t.Helper()
		for count() < n {
			if ctx.Err() != nil {
				t.Fatalf("only %d of %d alerts arrived", count(), n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(len(expected) / 2) // windows 0 and 1
	// Every instance owns partitions and has read events: window 2 is open
	// in each.
	for _, in := range insts {
		for in.c.Stats().Events == 0 {
			if ctx.Err() != nil {
				t.Fatal("an instance never read an event")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Stop one instance; as a crash would: no flush, no commit.
	insts[1].c.abandon = crash
	insts[1].cancel()
	<-insts[1].done
	t.Logf("instance 1 stopped after %+v", insts[1].c.Stats())
	if err := prod.ProduceSync(ctx, msgs[half:]...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitFor(len(expected))
	time.Sleep(time.Second) // late duplicates, if any
	seenMu.Lock()
	defer seenMu.Unlock()
	dups := 0
	for id, n := range seen {
		if !expected[id] {
			t.Errorf("unexpected alert id %s", id)
		}
		dups += n - 1
	}
	for id := range expected {
		if seen[id] == 0 {
			t.Errorf("alert %s lost", id)
		}
	}
	var total Stats
	for _, in := range insts {
		total.Add(in.c.Stats())
	}
	t.Logf("%d alerts, %d duplicates (same ids); events consumed %d of %d (replays and repartitioned copies count too)", len(seen), dups, total.Events, len(msgs))
	for _, in := range insts {
		in.cancel()
		<-in.done
	}
}
