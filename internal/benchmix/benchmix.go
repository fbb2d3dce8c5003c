// Package benchmix generates a deterministic, realistic mix of kube-apiserver
// audit events for benchmarks. Every event is built from a real event of
// testdata/lab-policy.audit.log (a real kube-apiserver 1.32 log): envelope
// fields that differ from one request to the next (audit id, timestamps,
// user, source IP, object name, namespace) and the ids inside bodies (uid,
// resourceVersion, creationTimestamp) are varied, so that the stream does not
// compress unrealistically well. Large events (100+ KB) are list responses
// whose items are the real objects of the log.
//
// The same Config (including its Seed) always yields the same bytes.
package benchmix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// CorpusFile is the real audit log, relative to the module root.
const CorpusFile = "testdata/lab-policy.audit.log"

// Config says what to generate.
type Config struct {
	Seed uint64
	// Relative weights of the ordinary events by level.
	Metadata, Request, RequestResponse float64
	// LargeEvery puts one large list response (LargeMin..LargeMax bytes) in
	// every LargeEvery events; 0 for none.
	LargeEvery         int
	LargeMin, LargeMax int
	// Start is the timestamp of the first event.
	Start time.Time
}

// Default is the realistic mix of the benchmarks: mostly Metadata events of
// 0.5–1 KB, about a fifth Request/RequestResponse events with bodies of a few
// KB, and one list response of 100–300 KB in every 500 events.
func Default() Config {
	return Config{
		Seed:     1,
		Metadata: 0.80, Request: 0.03, RequestResponse: 0.17,
		LargeEvery: 500, LargeMin: 100 << 10, LargeMax: 300 << 10,
		Start: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC),
	}
}

// MetadataOnly is a mix of Metadata-level events only.
func MetadataOnly() Config {
	c := Default()
	c.Request, c.RequestResponse, c.LargeEvery = 0, 0, 0
	return c
}

// Corpus holds the real events the mix is built from. It is read-only once
// built.
type Corpus struct {
	byLevel map[auditv1.Level][]auditv1.Event
	lists   []auditv1.Event     // list responses (RequestResponse, verb list)
	items   map[string][][]byte // real objects by list kind ("ClusterRoleList")
	users   []authnUser         // real users of the log
	nsPool  []string            // real namespaces of the log
	rv      *regexp.Regexp      // "resourceVersion":"123"
	uid     *regexp.Regexp      // "uid":"<uuid>"
	created *regexp.Regexp      // "creationTimestamp":"..."
}

type authnUser struct {
	name   string
	groups []string
}

// ModuleRoot is the directory holding go.mod, found by walking up from the
// working directory (a package directory during go test).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("benchmix: module root (go.mod) not found above the working directory")
		}
		dir = parent
	}
}

// Lines reads the real audit log (CorpusFile), one element per event.
func Lines() ([][]byte, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	return ReadLines(filepath.Join(root, CorpusFile))
}

// ReadLines reads a JSON-lines file, skipping blank lines.
func ReadLines(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
	}
	return lines, sc.Err()
}

// LoadCorpus builds the corpus from the real audit log (CorpusFile).
func LoadCorpus() (*Corpus, error) {
	lines, err := Lines()
	if err != nil {
		return nil, err
	}
	return NewCorpus(lines)
}

// NewCorpus builds a corpus from real audit events (JSON lines). Only
// ResponseComplete events are used: they are what the default stages ship.
func NewCorpus(lines [][]byte) (*Corpus, error) {
	c := &Corpus{
		byLevel: map[auditv1.Level][]auditv1.Event{},
		items:   map[string][][]byte{},
		rv:      regexp.MustCompile(`"resourceVersion":"[0-9]+"`),
		uid:     regexp.MustCompile(`"uid":"[0-9a-f-]{36}"`),
		created: regexp.MustCompile(`"creationTimestamp":"[0-9TZ:.-]+"`),
	}
	seenUser, seenNS := map[string]bool{}, map[string]bool{}
	for i, l := range lines {
		var ev auditv1.Event
		if err := json.Unmarshal(l, &ev); err != nil {
			return nil, fmt.Errorf("benchmix: line %d: %v", i+1, err)
		}
		if ev.Stage != auditv1.StageResponseComplete {
			continue
		}
		if u := ev.User.Username; u != "" && !seenUser[u] {
			seenUser[u] = true
			c.users = append(c.users, authnUser{u, ev.User.Groups})
		}
		if r := ev.ObjectRef; r != nil && r.Namespace != "" && !seenNS[r.Namespace] {
			seenNS[r.Namespace] = true
			c.nsPool = append(c.nsPool, r.Namespace)
		}
		if ev.Level == auditv1.LevelRequestResponse && ev.Verb == "list" && ev.ResponseObject != nil {
			c.lists = append(c.lists, ev)
			continue
		}
		if ev.Level == auditv1.LevelRequestResponse && ev.Verb == "create" && ev.ResponseObject != nil {
			var tm metav1.TypeMeta
			if json.Unmarshal(ev.ResponseObject.Raw, &tm) == nil && tm.Kind != "" && tm.Kind != "Status" {
				c.items[tm.Kind+"List"] = append(c.items[tm.Kind+"List"], ev.ResponseObject.Raw)
			}
		}
		c.byLevel[ev.Level] = append(c.byLevel[ev.Level], ev)
	}
	// Keep only list templates we have real items for.
	lists := c.lists[:0]
	for _, ev := range c.lists {
		var tm metav1.TypeMeta
		if json.Unmarshal(ev.ResponseObject.Raw, &tm) == nil && len(c.items[tm.Kind]) > 0 {
			lists = append(lists, ev)
		}
	}
	c.lists = lists
	for _, lv := range []auditv1.Level{auditv1.LevelMetadata, auditv1.LevelRequest, auditv1.LevelRequestResponse} {
		if len(c.byLevel[lv]) == 0 {
			return nil, fmt.Errorf("benchmix: the corpus has no %s-level ResponseComplete event", lv)
		}
	}
	if len(c.lists) == 0 {
		return nil, errors.New("benchmix: the corpus has no list response with real items to fill it")
	}
	sort.Strings(c.nsPool)
	return c, nil
}

// gen is the state of one generation run.
type gen struct {
	c   *Corpus
	cfg Config
	rng *rand.Rand
	now time.Time
	rv  int
}

// Generate returns n events (JSON, one per element, as the apiserver's log
// backend writes them).
func (c *Corpus) Generate(cfg Config, n int) [][]byte {
	g := &gen{c: c, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), now: cfg.Start, rv: 100000}
	if g.now.IsZero() {
		g.now = Default().Start
	}
	out := make([][]byte, n)
	total := cfg.Metadata + cfg.Request + cfg.RequestResponse
	for i := range out {
		if cfg.LargeEvery > 0 && i%cfg.LargeEvery == cfg.LargeEvery/2 {
			out[i] = g.large()
			continue
		}
		x := g.rng.Float64() * total
		switch {
		case x < cfg.Metadata || total == 0:
			out[i] = g.ordinary(auditv1.LevelMetadata)
		case x < cfg.Metadata+cfg.Request:
			out[i] = g.ordinary(auditv1.LevelRequest)
		default:
			out[i] = g.ordinary(auditv1.LevelRequestResponse)
		}
	}
	return out
}

func (g *gen) pick(evs []auditv1.Event) auditv1.Event {
	ev := evs[g.rng.IntN(len(evs))]
	// Deep enough a copy for what vary changes.
	ev.User.Groups = append([]string(nil), ev.User.Groups...)
	ev.SourceIPs = append([]string(nil), ev.SourceIPs...)
	if ev.ObjectRef != nil {
		r := *ev.ObjectRef
		ev.ObjectRef = &r
	}
	return ev
}

const hexdig = "0123456789abcdef"

func (g *gen) uuid() string {
	var b [36]byte
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		case 14:
			b[i] = '4'
		default:
			b[i] = hexdig[g.rng.IntN(16)]
		}
	}
	return string(b[:])
}

func (g *gen) suffix() string {
	const alnum = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alnum[g.rng.IntN(len(alnum))]
	}
	return string(b)
}

// vary gives the event the identity of a new request.
func (g *gen) vary(ev *auditv1.Event) {
	g.now = g.now.Add(time.Duration(50+g.rng.IntN(2000)) * time.Microsecond)
	ev.AuditID = types.UID(g.uuid())
	ev.RequestReceivedTimestamp = metav1.NewMicroTime(g.now)
	ev.StageTimestamp = metav1.NewMicroTime(g.now.Add(time.Duration(200+g.rng.IntN(40000)) * time.Microsecond))
	switch x := g.rng.IntN(10); {
	case x < 5: // a controller or operator service account
		ns := g.namespace()
		sa := []string{"default", "operator", "controller", "argocd-application-controller", "fluent-bit", "prometheus"}[g.rng.IntN(6)]
		ev.User.Username = "system:serviceaccount:" + ns + ":" + sa
		ev.User.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
		ev.User.UID = g.uuid()
	case x < 7: // a node
		ev.User.Username = "system:node:worker-" + strconv.Itoa(g.rng.IntN(50))
		ev.User.Groups = []string{"system:nodes", "system:authenticated"}
		ev.User.UID = ""
	default: // a real user of the log
		u := g.c.users[g.rng.IntN(len(g.c.users))]
		ev.User.Username, ev.User.Groups = u.name, append([]string(nil), u.groups...)
	}
	if len(ev.SourceIPs) > 0 {
		ev.SourceIPs[0] = fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
	}
	if r := ev.ObjectRef; r != nil {
		if r.Namespace != "" {
			r.Namespace = g.namespace()
		}
		if r.Name != "" && g.rng.IntN(2) == 0 {
			r.Name += "-" + g.suffix()
		}
		if r.ResourceVersion != "" {
			r.ResourceVersion = g.nextRV()
		}
	}
	ev.RequestObject = g.body(ev.RequestObject)
	ev.ResponseObject = g.body(ev.ResponseObject)
}

func (g *gen) namespace() string {
	if g.rng.IntN(3) == 0 && len(g.c.nsPool) > 0 {
		return g.c.nsPool[g.rng.IntN(len(g.c.nsPool))]
	}
	return []string{"payments", "checkout", "monitoring", "logging", "ingress-nginx", "cert-manager", "team-a", "team-b"}[g.rng.IntN(8)] + "-" + strconv.Itoa(g.rng.IntN(20))
}

func (g *gen) nextRV() string {
	g.rv += 1 + g.rng.IntN(40)
	return strconv.Itoa(g.rv)
}

// reid replaces the ids inside a raw object: uids, resource versions and
// creation timestamps, as a new object of the same shape would have them.
func (g *gen) reid(raw []byte) []byte {
	raw = g.c.uid.ReplaceAllFunc(raw, func([]byte) []byte { return []byte(`"uid":"` + g.uuid() + `"`) })
	raw = g.c.rv.ReplaceAllFunc(raw, func([]byte) []byte { return []byte(`"resourceVersion":"` + g.nextRV() + `"`) })
	raw = g.c.created.ReplaceAllFunc(raw, func([]byte) []byte {
		return []byte(`"creationTimestamp":"` + g.now.Add(-time.Duration(g.rng.IntN(1e6))*time.Second).Format(time.RFC3339) + `"`)
	})
	return raw
}

func (g *gen) body(u *runtime.Unknown) *runtime.Unknown {
	if u == nil {
		return nil
	}
	return &runtime.Unknown{Raw: g.reid(bytes.Clone(u.Raw)), ContentType: u.ContentType}
}

func (g *gen) ordinary(lv auditv1.Level) []byte {
	ev := g.pick(g.c.byLevel[lv])
	g.vary(&ev)
	return mustMarshal(&ev)
}

var firstName = regexp.MustCompile(`"name":"[^"]*"`)

// large is a list response filled with real objects of the list's kind until
// it reaches a random size in [LargeMin, LargeMax).
func (g *gen) large() []byte {
	ev := g.pick(g.c.lists)
	g.vary(&ev)
	var tm metav1.TypeMeta
	_ = json.Unmarshal(ev.ResponseObject.Raw, &tm)
	items := g.c.items[tm.Kind]
	target := g.cfg.LargeMin
	if g.cfg.LargeMax > g.cfg.LargeMin {
		target += g.rng.IntN(g.cfg.LargeMax - g.cfg.LargeMin)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":%q},"items":[`, tm.Kind, tm.APIVersion, g.nextRV())
	for i := 0; b.Len() < target; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		it := g.reid(bytes.Clone(items[i%len(items)]))
		if i >= len(items) { // a second round: other objects of the same shape
			sfx := "-" + g.suffix()
			done := false
			it = firstName.ReplaceAllFunc(it, func(m []byte) []byte {
				if done {
					return m
				}
				done = true
				return append(append(m[:len(m)-1:len(m)-1], sfx...), '"')
			})
		}
		b.Write(it)
	}
	b.WriteString(`]}`)
	ev.ResponseObject = &runtime.Unknown{Raw: b.Bytes(), ContentType: runtime.ContentTypeJSON}
	return mustMarshal(&ev)
}

func mustMarshal(ev *auditv1.Event) []byte {
	b, err := json.Marshal(ev)
	if err != nil {
		panic("benchmix: " + err.Error()) // the corpus decoded, so it encodes
	}
	return b
}

// Stats describe a generated mix.
type Stats struct {
	Events  int
	Bytes   int
	ByLevel map[string]int
	// Histogram of event sizes: counts per bucket of SizeBuckets.
	Sizes []int
	Max   int
}

// SizeBuckets are the upper bounds (exclusive) of the Stats.Sizes buckets;
// the last bucket is everything larger.
var SizeBuckets = []int{512, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 100 << 10}

// Describe computes the size and level distribution of events.
func Describe(events [][]byte) Stats {
	s := Stats{Events: len(events), ByLevel: map[string]int{}, Sizes: make([]int, len(SizeBuckets)+1)}
	for _, e := range events {
		s.Bytes += len(e)
		s.Max = max(s.Max, len(e))
		var lv struct {
			Level string `json:"level"`
		}
		_ = json.Unmarshal(e, &lv)
		s.ByLevel[lv.Level]++
		i := sort.SearchInts(SizeBuckets, len(e)+1)
		s.Sizes[i]++
	}
	return s
}

func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d events, %d bytes (mean %d B, max %d B); levels:", s.Events, s.Bytes, s.Bytes/max(s.Events, 1), s.Max)
	lv := make([]string, 0, len(s.ByLevel))
	for k := range s.ByLevel {
		lv = append(lv, k)
	}
	sort.Strings(lv)
	for _, k := range lv {
		fmt.Fprintf(&b, " %s %d", k, s.ByLevel[k])
	}
	b.WriteString("; sizes:")
	lo := 0
	for i, n := range s.Sizes {
		if i < len(SizeBuckets) {
			fmt.Fprintf(&b, " [%s,%s) %d", kb(lo), kb(SizeBuckets[i]), n)
			lo = SizeBuckets[i]
		} else {
			fmt.Fprintf(&b, " [%s,…) %d", kb(lo), n)
		}
	}
	return b.String()
}

func kb(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.Itoa(n>>10) + "K"
	}
	return strconv.Itoa(n)
}

// Documents are every realistic document the equivalence tests use: the
// sample lines, 1500 generated from them, then the public samples in
// ../shared when present. Real is how many come before the public ones.
func Documents() (docs [][]byte, real int, err error) {
	lines, err := Lines()
	if err != nil {
		return nil, 0, err
	}
	docs = append(docs, lines...)
	c, err := NewCorpus(lines)
	if err != nil {
		return nil, 0, err
	}
	docs = append(docs, c.Generate(Default(), 1500)...)
	real = len(docs)
	if root, err := ModuleRoot(); err == nil {
		pub := filepath.Join(root, "..", "shared", "testdata", "audit", "public")
		files, _ := filepath.Glob(filepath.Join(pub, "*"))
		for _, f := range files {
			if strings.HasSuffix(f, ".md") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, l := range bytes.Split(b, []byte("\n")) {
				if len(bytes.TrimSpace(l)) > 0 {
					docs = append(docs, l)
				}
			}
		}
	}
	return docs, real, nil
}
