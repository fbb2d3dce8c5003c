package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/glob"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"

	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

const (
	hashPrefix = "sha256:"
	// MarkerKey is the only member of a body replaced whole (fail closed).
	MarkerKey = "kube-audit-kafka"
	// Annotation marks an event one of whose bodies was replaced whole.
	Annotation = "kube-audit-kafka.io/redaction"
	// lastApplied holds the previous manifest as JSON text.
	lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
	// legacyToken names a service account, not a token.
	legacyToken = "authentication.k8s.io/legacy-token"

	// Limits of what is walked; beyond them a body is replaced whole.
	MaxBodyBytes = 8 << 20
	MaxDepth     = jsonx.BodyMaxDepth
	MaxNodes     = jsonx.BodyMaxValues
	// MaxPaths is how many redaction paths an event lists; more are counted.
	MaxPaths = 100
	// maxPathKey bounds a key named in a redaction path (cut, marked …).
	maxPathKey = 256
)

// Redactor redacts audit events in place.
type Redactor struct {
	arenas      sync.Pool // *arena: parse memory reused across events
	keys        *keyCache // verdicts of object keys
	slowOnly    bool      // tests: always build and walk the tree (no fast path)
	mode        Mode
	key         []byte
	paths       [][]patSeg
	keyPatterns glob.Set
	allow       glob.Set
	rules       *ruleSet    // gitleaks' rules, shared read-only by every Redactor
	clean       *cleanCache // strings found clean, by keyed hash
	cleanServer *cleanCache // the same, for server text (scanServer)
	strict      bool        // redaction_strategy strict: body allowlist
}

// New builds a Redactor from a configuration that Validate accepts.
func New(c Config) (*Redactor, error) {
	r, err := compile(&c)
	if err != nil {
		return nil, err
	}
	r.keys = newKeyCache()
	r.clean = newCleanCache()
	r.cleanServer = newCleanCache()
	return r, nil
}

// compile is New without the key cache: every problem of c, each naming
// its field (fielderr).
func compile(c *Config) (*Redactor, error) {
	r := &Redactor{mode: c.Mode}
	var l fielderr.List
	switch c.Mode {
	case Mask, Drop:
	case Hash:
		if len(c.HMACKey) < 16 {
			l.Addf("redact.HMACKey", "redaction_mode hash needs a key of at least 16 characters")
		}
		r.key = []byte(c.HMACKey)
	default:
		l.Addf("redact.Mode", "unknown mode %d", c.Mode)
	}
	switch c.Strategy {
	case Detect:
	case Strict:
		r.strict = true
	default:
		l.Addf("redact.Strategy", "unknown strategy %d", c.Strategy)
	}
	for _, p := range c.Paths {
		segs, err := compilePath(p)
		if err != nil {
			l.Add("redact.Paths", err)
			continue
		}
		r.paths = append(r.paths, segs)
	}
	for _, p := range c.KeyPatterns {
		g, err := compileKeyGlob(p)
		if err != nil {
			l.Add("redact.KeyPatterns", err)
			continue
		}
		r.keyPatterns = append(r.keyPatterns, g)
	}
	for _, p := range c.AllowKeys {
		g, err := compileKeyGlob(p)
		if err != nil {
			l.Add("redact.AllowKeys", err)
			continue
		}
		r.allow = append(r.allow, g)
	}
	rules, err := defaultRules()
	if err != nil {
		l.Add("redact.Mode", fmt.Errorf("built-in rule set: %v", err))
	}
	r.rules = rules
	if err := l.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// patSeg is one segment of a redact_paths entry.
type patSeg struct {
	s   string
	n   int // the segment as an index, or -1
	any bool
}

// compilePath splits "spec.config.*.password" into segments.
func compilePath(p string) ([]patSeg, error) {
	p = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p), "."))
	if p == "" {
		return nil, fmt.Errorf("empty path")
	}
	parts := strings.Split(p, ".")
	if len(parts) == 1 && parts[0] == "*" {
		return nil, fmt.Errorf("path %q would redact every body", p)
	}
	segs := make([]patSeg, len(parts))
	for i, s := range parts {
		if s == "" {
			return nil, fmt.Errorf("path %q has an empty segment", p)
		}
		segs[i] = patSeg{s: s, n: -1, any: s == "*"}
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			segs[i].n = n
		}
	}
	return segs, nil
}

// Result is what redaction did to one event.
type Result struct {
	// Redactions lists where values were redacted, as paths
	// (requestObject.data.password), never with the value.
	Redactions []string
	// BodyRemoved is set when a body could not be walked and was replaced
	// whole (fail closed); the event then carries Annotation too.
	BodyRemoved bool
}

// Event redacts ev in place: requestURI, annotations, response status
// message, user extra, request and response bodies.
func (r *Redactor) Event(ev *auditv1.Event) Result { return r.EventView(ev, nil) }

// EventView is Event reading the bodies through v, the View of ev (nil:
// Event): a body the rules read already is not read again, the tape that
// served them serves the redaction, and a body read here serves the rules'
// summary after it while the redaction leaves it unchanged.
func (r *Redactor) EventView(ev *auditv1.Event, v *audit.View) Result {
	w := walker{r: r}
	if i := strings.IndexByte(ev.RequestURI, '?'); i >= 0 {
		w.uri(ev, i)
	} else if p, ok := w.uriPath(ev.RequestURI); ok {
		ev.RequestURI = p
	}
	if len(ev.UserAgent) >= minShape {
		if s, ok := w.scanText(ev.UserAgent, false); ok {
			ev.UserAgent = s
			w.at("userAgent")
			w.record()
		}
	}
	if len(ev.Annotations) > 0 {
		w.annotations(ev)
	}
	if ev.ResponseStatus != nil && len(ev.ResponseStatus.Message) >= minShape {
		w.root = "responseStatus"
		w.at("responseStatus", ".message")
		if s, ok := w.scanServer(ev.ResponseStatus.Message, secretContext(ev.ObjectRef), ""); ok {
			ev.ResponseStatus.Message = s
			w.record()
		}
	}
	if ev.ResponseStatus != nil && ev.ResponseStatus.Details != nil {
		w.causes(ev)
	}
	if len(ev.User.Extra) > 0 {
		w.userExtra("user", ev.User.Extra)
	}
	if ev.ImpersonatedUser != nil && len(ev.ImpersonatedUser.Extra) > 0 {
		w.userExtra("impersonatedUser", ev.ImpersonatedUser.Extra)
	}
	hint := kindHint(ev.ObjectRef)
	var removed []string
	if ev.RequestObject != nil && len(ev.RequestObject.Raw) > 0 {
		if why := w.body("requestObject", ev.RequestObject, hint, v); why != "" {
			removed = append(removed, "requestObject removed: "+why)
		}
	}
	if ev.ResponseObject != nil && len(ev.ResponseObject.Raw) > 0 {
		if why := w.body("responseObject", ev.ResponseObject, hint, v); why != "" {
			removed = append(removed, "responseObject removed: "+why)
		}
	}
	res := Result{Redactions: w.out}
	if w.more > 0 {
		res.Redactions = append(res.Redactions, "+"+strconv.Itoa(w.more)+" more")
	}
	if len(removed) > 0 {
		res.BodyRemoved = true
		if ev.Annotations == nil {
			ev.Annotations = map[string]string{}
		}
		ev.Annotations[Annotation] = strings.Join(removed, "; ")
	}
	return res
}

// kindHint is the kind of a body that does not say (patches, some clients).
func kindHint(ref *auditv1.ObjectReference) string {
	if ref == nil || ref.APIGroup != "" && ref.APIGroup != "authentication.k8s.io" {
		return ""
	}
	switch {
	case ref.Resource == "secrets" && ref.Subresource == "":
		return "Secret"
	case ref.Resource == "configmaps" && ref.Subresource == "":
		return "ConfigMap"
	case ref.Resource == "tokenreviews":
		return "TokenReview"
	case ref.Resource == "serviceaccounts" && ref.Subresource == "token":
		return "TokenRequest"
	}
	return ""
}

func secretContext(ref *auditv1.ObjectReference) bool {
	return ref != nil && ref.APIGroup == "" && ref.Resource == "secrets"
}

// arena takes parse memory from the pool; release gives it back once no
// tree in it is used any more.
func (r *Redactor) arena() *arena {
	if a, ok := r.arenas.Get().(*arena); ok {
		return a
	}
	return new(arena)
}

func (r *Redactor) release(a *arena) {
	if a.reset() {
		r.arenas.Put(a)
	}
}

// inline is what replaces a secret inside a longer string (drop cannot
// remove part of a string: it masks).
func (r *Redactor) inline(v string) string {
	if r.mode == Hash {
		return r.hash(v)
	}
	return mark
}

func (r *Redactor) hash(v string) string {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(v))
	var sum [sha256.Size]byte
	return hashPrefix + hex.EncodeToString(m.Sum(sum[:0]))
}

// body redacts one request or response body, read through v when not nil.
// It returns why the body was replaced whole, or "".
func (w *walker) body(root string, u *runtime.Unknown, hint string, v *audit.View) string {
	w.root, w.hint = root, hint
	w.at(root)
	var why string
	if len(u.Raw) > MaxBodyBytes {
		why = "body larger than " + strconv.Itoa(MaxBodyBytes>>20) + " MiB"
	} else {
		// One read of the body (a tape, the View's when there is one) for
		// the fast path and the tree.
		a := w.r.arena()
		defer w.r.release(a)
		tp, err := &a.tape, error(nil)
		if v != nil {
			tp, err = v.BodyTape(u)
		} else {
			err = tp.ParseLimits(u.Raw, MaxDepth, MaxNodes)
		}
		if err == nil && !w.r.strict && w.cleanTape(tp, a) {
			return "" // nothing the walk would change (fast.go)
		}
		var n *node
		if err != nil {
			err = tapeErr(err)
		} else {
			n = buildTree(tp, a)
		}
		switch {
		case err == errTooDeep:
			why = "nested deeper than " + strconv.Itoa(MaxDepth)
		case err == errTooLarge:
			why = "more than " + strconv.Itoa(MaxNodes) + " values"
		case err != nil:
			why = err.Error()
		default:
			changed := w.top(n)
			if w.r.strict && w.strictBody(n) {
				changed = true
				w.at(root)
				w.push("*")
				w.record() // one path for the strategy: requestObject.*
			}
			if changed {
				u.Raw = appendNode(make([]byte, 0, len(u.Raw)), n)
			}
			return ""
		}
	}
	u.Raw = jsonx.Append([]byte(`{"`+MarkerKey+`":`), "body removed: "+why)
	u.Raw = append(u.Raw, '}')
	u.ContentType = runtime.ContentTypeJSON
	w.record()
	return why
}

// annotations: secret shapes in event annotation values. Keys say nothing
// here (legacy-token holds a name).
func (w *walker) annotations(ev *auditv1.Event) {
	var hits, patches []string
	for k, v := range ev.Annotations {
		if len(v) < minShape || apiserverAnnotation(k) {
			continue
		}
		if strings.HasPrefix(k, webhookPatch) {
			patches = append(patches, k)
			continue
		}
		if _, ok := w.scanServer(v, false, ""); ok {
			hits = append(hits, k)
		}
	}
	sort.Strings(hits)
	for _, k := range hits {
		w.at("annotations")
		w.push(k)
		if w.r.mode == Drop {
			delete(ev.Annotations, k)
		} else {
			ev.Annotations[k], _ = w.scanServer(ev.Annotations[k], false, "")
		}
		w.record()
	}
	sort.Strings(patches)
	for _, k := range patches {
		w.webhookPatch(ev, k)
	}
}

// webhookPatch is the prefix of the annotations in which the apiserver
// records what a mutating webhook changed: {"configuration":..,
// "webhook":.., "patch":[JSON patch], "patchType":"JSONPatch"}.
const webhookPatch = "patch.webhook.admission.k8s.io/"

// webhookPatch walks the JSON patch of a mutating-webhook annotation like a
// request body (an env entry {"name":"DB_PASSWORD","value":...} added by a
// webhook goes as in a pod), and re-serialises it. A value that does not
// parse is replaced whole (fail closed).
func (w *walker) webhookPatch(ev *auditv1.Event, k string) {
	v := ev.Annotations[k]
	if isRedacted(v) {
		return
	}
	w.root, w.hint = "annotations", kindHint(ev.ObjectRef)
	w.at("annotations")
	w.push(k)
	a := w.r.arena()
	defer w.r.release(a)
	n, err := parse([]byte(v), MaxDepth, MaxNodes, a)
	if err != nil || n.kind != kObj {
		if w.r.mode == Drop {
			delete(ev.Annotations, k)
		} else {
			ev.Annotations[k] = w.r.inline(v)
		}
		w.record()
		return
	}
	changed := false
	for i, key := range n.keys {
		w.push(key)
		p := n.vals[i]
		var c bool
		switch {
		case key == "patch" && p.kind == kArr && isJSONPatch(p):
			c = w.jsonPatch(p)
		case p.kind == kStr:
			c = w.str(p)
		default:
			c = w.top(p)
		}
		w.pop()
		changed = changed || c
	}
	if changed {
		n.dirty = true
		ev.Annotations[k] = string(appendNode(nil, n))
	}
}

// apiserverAnnotation: annotations the apiserver itself writes, which hold
// no request data (decisions, RBAC reasons, latencies, pod-security
// verdicts, the legacy-token service-account name): not scanned.
func apiserverAnnotation(k string) bool {
	switch k {
	case legacyToken, Annotation, "authorization.k8s.io/decision", "authorization.k8s.io/reason":
		return true
	}
	return strings.HasPrefix(k, "apiserver.latency.k8s.io/") || strings.HasPrefix(k, "pod-security.kubernetes.io/")
}

// causes: the apiserver copies responseStatus.details even at Metadata
// level; a validation cause echoes the rejected value in its message
// ("Invalid value: \"...\"") and may name it in its field. Both get the
// scan of responseStatus.message.
func (w *walker) causes(ev *auditv1.Event) {
	echo := secretContext(ev.ObjectRef)
	cs := ev.ResponseStatus.Details.Causes
	for i := range cs {
		for _, f := range [...]struct {
			name string
			v    *string
		}{{"message", &cs[i].Message}, {"field", &cs[i].Field}} {
			if len(*f.v) < minShape {
				continue
			}
			field := ""
			if f.name == "message" {
				field = cs[i].Field
			}
			if s, ok := w.scanServer(*f.v, echo, field); ok {
				*f.v = s
				w.root = "responseStatus"
				w.at("responseStatus", ".details", ".causes")
				w.pushIndex(i)
				w.push(f.name)
				w.record()
			}
		}
	}
}

// userExtra: secret shapes in user.extra or impersonatedUser.extra (root).
func (w *walker) userExtra(root string, extra map[string]authnv1.ExtraValue) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := extra[k]
		// A key naming a credential (an access token a proxy passes on);
		// not an id (authentication.kubernetes.io/credential-id).
		v := w.r.classify(k)
		whole := (v == keyCred || v == keyUser) && !strings.HasSuffix(strings.ToLower(k), "id")
		for i, v := range vals {
			if whole && strSecret(v) && (len(v) >= 16 || !scopeWord(v)) {
				vals[i] = w.r.inline(v)
				w.at(root, ".extra")
				w.push(k)
				w.pushIndex(i)
				w.record()
				continue
			}
			if s, ok := w.scanServer(v, false, ""); ok {
				vals[i] = s
				w.at(root, ".extra")
				w.push(k)
				w.pushIndex(i)
				w.record()
			}
		}
	}
}

// scopeWord: a short value that reads as a scope or a role (read,
// user:full, repo.read), which a key naming a token may list in
// user.extra; a credential has capitals, digits or other signs.
func scopeWord(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c == ':' || c == '.' || c == '_' || c == '-' || c == '/') {
			return false
		}
	}
	return true
}

// seg renders a key as a path segment: .key, or ["key.with/dots"].
func seg(k string) string {
	if len(k) > maxPathKey {
		// A request body's keys are the client's to choose: a path names
		// the key, it does not carry it whole (the body keeps it).
		n := maxPathKey
		for n > 0 && !utf8.RuneStart(k[n]) {
			n--
		}
		k = k[:n] + "…"
	}
	plain := k != ""
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(isAlnum(c) || c == '_' || c == '-') {
			plain = false
			break
		}
	}
	if plain {
		return "." + k
	}
	return "[" + string(jsonx.Append(nil, k)) + "]"
}
