package correlate

import (
	"slices"
	"strings"
	"time"
)

// Limits bound the memory of one engine (one partition).
type Limits struct {
	// MaxKeys: open windows (threshold) or keys with pending first steps
	// (sequence), per rule. Past it the oldest is evicted.
	MaxKeys int
	// MaxValues: distinct values kept per window, and first steps kept per
	// sequence key. Past it, distinct values are no longer added (the count
	// stops growing) and the oldest first step is evicted.
	MaxValues int
}

// Default limits: 10,000 windows × 8 rules × (a window and its values)
// stays within some tens of MB per partition at the worst.
const (
	DefaultMaxKeys   = 10000
	DefaultMaxValues = 1000
)

// MaxAuditIDs is how many audit ids an alert lists (with their total).
const MaxAuditIDs = 50

const maxListed = 20 // source IPs, users and distinct values listed in an alert

// Stats are an engine's counters; Consumer exports them as metrics.
type Stats struct {
	Events, Matched, Alerts int64
	// Late: events of a window already closed (the watermark passed it).
	Late int64
	// EvictedKeys and EvictedValues: state dropped by the limits.
	EvictedKeys, EvictedValues int64
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	s.Events += o.Events
	s.Matched += o.Matched
	s.Alerts += o.Alerts
	s.Late += o.Late
	s.EvictedKeys += o.EvictedKeys
	s.EvictedValues += o.EvictedValues
}

// Engine correlates the events of one partition, in offset order. It is not
// safe for concurrent use.
type Engine struct {
	rs        *RuleSet
	lim       Limits
	state     []ruleState
	watermark time.Time // the latest event time seen
	swept     time.Time
	next      int64 // the offset after the last event processed
	Stats     Stats
	// Lateness: see DefaultLateness.
	Lateness time.Duration
	// Dedupe: count an audit id once per window (a repartition topic may
	// hold an event twice: at-least-once forwarding).
	Dedupe bool
	buf    []string
	keys   []string
}

type ruleState struct {
	windows map[wkey]*window    // threshold: by group key and window start
	pending map[string][]*first // sequence: first steps by key
}

// wkey names a threshold window: a group key may have several windows
// open (a late event of the one before, within the lateness).
type wkey struct {
	key   string
	start int64
}

type window struct {
	start, end  time.Time
	firstOffset int64
	count       int
	distinct    map[string]struct{}
	ids         map[string]struct{} // Dedupe
	values      []string            // first distinct values, in order
	auditIDs    []string
	ips, users  []string
	fired       bool
}

type first struct {
	time        time.Time
	offset      int64
	auditID     string
	ip, user    string
	summary     string
	different   []string // values of the rule's different fields
	firedWithin bool
}

// NewEngine returns an engine for one partition; offsets start at from.
func NewEngine(rs *RuleSet, lim Limits, from int64) *Engine {
	if lim.MaxKeys <= 0 {
		lim.MaxKeys = DefaultMaxKeys
	}
	if lim.MaxValues <= 0 {
		lim.MaxValues = DefaultMaxValues
	}
	e := &Engine{rs: rs, lim: lim, state: make([]ruleState, len(rs.Rules)), next: from, Lateness: DefaultLateness}
	for i, r := range rs.Rules {
		if r.Sequence {
			e.state[i].pending = map[string][]*first{}
		} else {
			e.state[i].windows = map[wkey]*window{}
		}
	}
	return e
}

// Process correlates one event (ev.Offset set) and appends the alerts it
// raises to dst.
func (e *Engine) Process(ev *Event, dst []*Alert) []*Alert {
	e.Stats.Events++
	if ev.Offset >= e.next {
		e.next = ev.Offset + 1
	}
	if ev.Time.After(e.watermark) {
		e.watermark = ev.Time
		if e.watermark.Sub(e.swept) >= time.Second {
			e.sweep()
		}
	}
	for i, r := range e.rs.Rules {
		if ev.only != nil && !slices.Contains(ev.only, r.ID) {
			continue
		}
		st := &e.state[i]
		if r.Sequence {
			dst = e.sequence(r, st, ev, dst)
		} else if r.match.matches(ev) {
			dst = e.threshold(r, st, ev, dst)
		}
	}
	return dst
}

// groupKeys returns the event's group keys for fields (several when a
// field has several values), reusing e.keys.
func (e *Engine) groupKeys(fs []field, ev *Event) []string {
	keys := e.allKeys(fs, ev)
	if ev.key == "" {
		return keys
	}
	// A repartitioned copy: only the key it was routed by.
	for _, k := range keys {
		if k == ev.key {
			e.keys = append(e.keys[:0], k)
			return e.keys
		}
	}
	return keys[:0]
}

func (e *Engine) allKeys(fs []field, ev *Event) []string {
	e.keys = e.keys[:0]
	if len(fs) == 1 {
		e.keys = fs[0].fn(ev, e.keys)
		return e.keys
	}
	e.keys = append(e.keys, "")
	for i, f := range fs {
		e.buf = f.fn(ev, e.buf[:0])
		if len(e.buf) == 0 {
			return e.keys[:0]
		}
		n := len(e.keys)
		for _, k := range e.keys[:n] {
			for _, v := range e.buf {
				if i > 0 {
					v = k + "+" + v
				}
				e.keys = append(e.keys, v)
			}
		}
		e.keys = append(e.keys[:0], e.keys[n:]...)
	}
	return e.keys
}

func (e *Engine) threshold(r *Rule, st *ruleState, ev *Event, dst []*Alert) []*Alert {
	keys := e.groupKeys(r.groupBy, ev)
	if len(keys) == 0 {
		return dst
	}
	e.Stats.Matched++
	start := ev.Time.Truncate(r.Window)
	end := start.Add(r.Window)
	if !end.After(e.watermark.Add(-e.Lateness)) {
		e.Stats.Late++
		return dst
	}
	var vals []string
	if r.distinct.fn != nil {
		vals = r.distinct.fn(ev, nil)
		if len(vals) == 0 {
			return dst
		}
	}
	for _, key := range keys {
		w := st.windows[wkey{key, start.UnixNano()}]
		if w == nil {
			if len(st.windows) >= e.lim.MaxKeys {
				e.evictWindow(st)
			}
			w = &window{start: start, end: end, firstOffset: ev.Offset}
			if r.distinct.fn != nil {
				w.distinct = map[string]struct{}{}
			}
			if e.Dedupe {
				w.ids = map[string]struct{}{}
			}
			st.windows[wkey{strings.Clone(key), start.UnixNano()}] = w
		}
		if w.ids != nil {
			id := ev.AuditID()
			if _, dup := w.ids[id]; dup {
				continue
			}
			if len(w.ids) < e.lim.MaxValues {
				w.ids[strings.Clone(id)] = struct{}{}
			}
		}
		w.count++
		if len(w.auditIDs) < MaxAuditIDs {
			w.auditIDs = append(w.auditIDs, strings.Clone(ev.AuditID()))
		}
		w.ips = addListed(w.ips, ev.SourceIP())
		w.users = addListed(w.users, ev.User())
		reached := w.count >= r.Threshold
		if w.distinct != nil {
			for _, v := range vals {
				if _, ok := w.distinct[v]; ok {
					continue
				}
				if len(w.distinct) >= e.lim.MaxValues {
					e.Stats.EvictedValues++
					continue
				}
				v = strings.Clone(v)
				w.distinct[v] = struct{}{}
				if len(w.values) < maxListed {
					w.values = append(w.values, v)
				}
			}
			reached = len(w.distinct) >= r.Threshold
		}
		if reached && !w.fired {
			w.fired = true
			e.Stats.Alerts++
			dst = append(dst, thresholdAlert(r, key, w))
		}
	}
	return dst
}

// DefaultLateness is how long after its end a window still takes events:
// the apiservers of one partition do not write in exact time order.
const DefaultLateness = 10 * time.Second

// DefaultRepartitionGrace is the lateness of the engines of a repartition
// topic: its events come from every input partition, some behind others
// (a replay after a failover, a backlog being caught up).
const DefaultRepartitionGrace = 5 * time.Minute

func addListed(list []string, v string) []string {
	if v == "" || len(list) >= maxListed {
		return list
	}
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, strings.Clone(v))
}

func (e *Engine) evictWindow(st *ruleState) {
	e.sweep()
	if len(st.windows) < e.lim.MaxKeys {
		return
	}
	var oldK wkey
	var old *window
	for k, w := range st.windows {
		if old == nil || w.firstOffset < old.firstOffset {
			oldK, old = k, w
		}
	}
	delete(st.windows, oldK)
	e.Stats.EvictedKeys++
}

func (e *Engine) sequence(r *Rule, st *ruleState, ev *Event, dst []*Alert) []*Alert {
	// The second step first: an event may be both (then it completes an
	// earlier first step, and starts a new one).
	if r.steps[1].matches(ev) {
		keys := e.groupKeys(r.steps[1].key, ev)
		if len(keys) > 0 {
			e.Stats.Matched++
		}
		for _, key := range keys {
			for _, f := range st.pending[key] {
				if f.firedWithin || ev.Time.Before(f.time) || ev.Time.Sub(f.time) > r.Window {
					continue
				}
				if !differs(r, f, ev) {
					continue
				}
				f.firedWithin = true
				e.Stats.Alerts++
				dst = append(dst, sequenceAlert(r, key, f, ev))
			}
		}
	}
	if r.steps[0].matches(ev) {
		if ev.Time.Add(r.Window).Before(e.watermark.Add(-e.Lateness)) {
			e.Stats.Late++
			return dst
		}
		keys := e.groupKeys(r.steps[0].key, ev)
		if len(keys) > 0 {
			e.Stats.Matched++
		}
		for _, key := range keys {
			list, ok := st.pending[key]
			if !ok && len(st.pending) >= e.lim.MaxKeys {
				e.evictPending(st, r)
			}
			if len(list) >= e.lim.MaxValues {
				list = list[1:]
				e.Stats.EvictedValues++
			}
			f := &first{time: ev.Time, offset: ev.Offset, auditID: strings.Clone(ev.AuditID()),
				ip: strings.Clone(ev.SourceIP()), user: strings.Clone(ev.User()), summary: strings.Clone(stepWhat(ev))}
			for _, d := range r.different {
				f.different = append(f.different, strings.Clone(strings.Join(d.fn(ev, nil), ",")))
			}
			st.pending[strings.Clone(key)] = append(list, f)
		}
	}
	return dst
}

func differs(r *Rule, f *first, ev *Event) bool {
	for i, d := range r.different {
		v := strings.Join(d.fn(ev, nil), ",")
		if v == "" || v == f.different[i] {
			return false
		}
	}
	return true
}

func (e *Engine) evictPending(st *ruleState, r *Rule) {
	e.sweep()
	if len(st.pending) < e.lim.MaxKeys {
		return
	}
	var oldK string
	oldest := int64(-1)
	for k, l := range st.pending {
		if len(l) > 0 && (oldest < 0 || l[0].offset < oldest) {
			oldK, oldest = k, l[0].offset
		}
	}
	delete(st.pending, oldK)
	e.Stats.EvictedKeys++
}

// sweep drops the windows and first steps the watermark has passed.
func (e *Engine) sweep() {
	e.swept = e.watermark
	limit := e.watermark.Add(-e.Lateness)
	for i, r := range e.rs.Rules {
		st := &e.state[i]
		for k, w := range st.windows {
			if !w.end.After(limit) {
				delete(st.windows, k)
			}
		}
		for k, l := range st.pending {
			j := 0
			for j < len(l) && !l[j].time.Add(r.Window).After(limit) {
				j++
			}
			if j == len(l) {
				delete(st.pending, k)
			} else if j > 0 {
				st.pending[k] = l[j:]
			}
		}
	}
}

// CommitOffset is the offset a consumer may commit: the first offset of
// the oldest window or first step still open, or, when none is, the offset
// after the last event processed. A new owner of the partition replays
// from there and rebuilds every open window: its alerts have the same ids.
func (e *Engine) CommitOffset() int64 {
	e.sweep()
	min := e.next
	for i := range e.state {
		st := &e.state[i]
		for _, w := range st.windows {
			if w.firstOffset < min {
				min = w.firstOffset
			}
		}
		for _, l := range st.pending {
			if len(l) > 0 && l[0].offset < min {
				min = l[0].offset
			}
		}
	}
	return min
}

// Open counts the open windows and pending first steps.
func (e *Engine) Open() int {
	n := 0
	for i := range e.state {
		n += len(e.state[i].windows) + len(e.state[i].pending)
	}
	return n
}

// Advance records that the event at offset was read but not correlated (not
// an audit event): the commit may pass it.
func (e *Engine) Advance(offset int64) {
	if offset >= e.next {
		e.next = offset + 1
	}
}
