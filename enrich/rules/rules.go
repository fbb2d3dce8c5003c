package rules

import (
	_ "embed"
	"fmt"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/glob"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// defaultRules is the embedded rule file: the default detections.
//
//go:embed rules.yaml
var defaultRules []byte

// RuleFile is the YAML shape of a rule file.
type RuleFile struct {
	Rules []RuleSpec `json:"rules"`
	// UserAgentClasses names lists of user-agent globs that rules select
	// with user_agent_classes (rules_depth.go).
	UserAgentClasses map[string][]string `json:"user_agent_classes,omitempty"`
}

// RuleSpec is one rule as written in YAML.
type RuleSpec struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	// Severity: info, low, medium, high or critical.
	Severity string `json:"severity,omitempty"`
	// Attack lists MITRE ATT&CK technique ids (T1609, T1552.007...).
	Attack []string `json:"attack,omitempty"`
	// Enabled defaults to true. In extend mode, an entry with only id and
	// enabled switches a default rule on or off.
	Enabled *bool     `json:"enabled,omitempty"`
	Match   MatchSpec `json:"match"`
	// Except: the rule does not apply when any of these matches.
	Except []MatchSpec `json:"except,omitempty"`
}

// MatchSpec is a condition: every field given must hold (AND); within a
// list, any entry may match (OR). An empty MatchSpec matches every event.
type MatchSpec struct {
	Verbs []string `json:"verbs,omitempty"`
	// Resources as in an audit Policy: group "" is the core group, "*" any
	// group; "pods" (no subresource), "pods/exec", "pods/*", "*/scale", "*".
	Resources     []GroupResources `json:"resources,omitempty"`
	ResourceNames []string         `json:"resource_names,omitempty"` // globs
	// Namespaces (globs); "" matches cluster-scoped requests.
	Namespaces      []string `json:"namespaces,omitempty"`
	NonResourceURLs []string `json:"non_resource_urls,omitempty"` // globs on the URL path
	Users           []string `json:"users,omitempty"`             // globs
	Groups          []string `json:"groups,omitempty"`            // globs; any group of the user
	// NonSystemUser: the user name is set and does not start with "system:".
	NonSystemUser bool     `json:"non_system_user,omitempty"`
	UserAgents    []string `json:"user_agents,omitempty"` // globs
	// Codes: response codes or ranges: "403", "200-299", "4xx".
	Codes     []string `json:"codes,omitempty"`
	Stages    []string `json:"stages,omitempty"`
	Decisions []string `json:"decisions,omitempty"` // allow, forbid
	// Annotations: annotation key -> value glob ("*": present).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Images (globs): every container image of the pod (template) in the body
	// matches one (with or without its tag or digest). For allow-lists in except.
	Images []string `json:"images,omitempty"`
	// Predicates must all hold; AnyPredicates: at least one must hold.
	Predicates    []string `json:"predicates,omitempty"`
	AnyPredicates []string `json:"any_predicates,omitempty"`
	// DetectionMatch: user-agent classes, exec commands, added
	// capabilities (rules_depth.go).
	DetectionMatch
}

// GroupResources selects resources of one API group.
type GroupResources struct {
	Group     string   `json:"group"`
	Resources []string `json:"resources,omitempty"`
}

// Rule is a compiled rule.
type Rule struct {
	ID          string
	Description string
	Severity    record.Severity
	Attack      []string
	match       matcher
	except      []matcher
}

// RuleSet is the compiled, read-only rule set.
type RuleSet struct {
	list      []*Rule
	index     *ruleIndex
	needsBody bool
}

// IDs returns the ids of the active (enabled) rules, in evaluation order.
func (rs *RuleSet) IDs() []string {
	ids := make([]string, len(rs.list))
	for i, r := range rs.list {
		ids[i] = r.ID
	}
	return ids
}

// Modes are the rule file modes: extend (the file adds to, and may override
// by id, the embedded rules) and replace (only the file's rules).
func Modes() []string { return []string{"extend", "replace"} }

// Load builds the rule set: the embedded defaults, then rulesFile
// (extend: added, or overriding a default with the same id; replace: alone).
func Load(rulesFile, mode string) (*RuleSet, error) {
	var specs []RuleSpec
	classes := map[string][]string{}
	if rulesFile == "" || mode != "replace" {
		def, err := ParseRuleFile(defaultRules, "embedded rules.yaml")
		if err != nil {
			return nil, err
		}
		specs = def
		mergeAgentClasses(classes, defaultRules)
	}
	if rulesFile != "" {
		data, err := os.ReadFile(rulesFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read the rules: %w", err)
		}
		user, err := ParseRuleFile(data, rulesFile)
		if err != nil {
			return nil, err
		}
		mergeAgentClasses(classes, data)
		for _, u := range user {
			i := indexRule(specs, u.ID)
			toggle := u.Severity == "" && isZeroMatch(&u.Match) && len(u.Except) == 0
			switch {
			case i < 0 && toggle && mode != "replace":
				return nil, fmt.Errorf("rules file %s: rule %q: no default rule has this id (an entry without severity and match only switches a default rule on or off)", rulesFile, u.ID)
			case i < 0:
				specs = append(specs, u)
			case toggle:
				// Only switches the default rule on or off.
				if u.Enabled != nil {
					specs[i].Enabled = u.Enabled
				}
			default:
				specs[i] = u
			}
		}
	}
	if err := resolveAgentClasses(specs, classes, rulesFile); err != nil {
		return nil, err
	}
	return compileRules(specs, rulesFile)
}

func indexRule(specs []RuleSpec, id string) int {
	for i := range specs {
		if specs[i].ID == id {
			return i
		}
	}
	return -1
}

func isZeroMatch(m *MatchSpec) bool {
	return len(m.Verbs) == 0 && len(m.Resources) == 0 && len(m.ResourceNames) == 0 && len(m.Namespaces) == 0 &&
		len(m.NonResourceURLs) == 0 && len(m.Users) == 0 && len(m.Groups) == 0 && !m.NonSystemUser &&
		len(m.UserAgents) == 0 && len(m.Codes) == 0 && len(m.Stages) == 0 && len(m.Decisions) == 0 &&
		len(m.Annotations) == 0 && len(m.Images) == 0 && len(m.Predicates) == 0 && len(m.AnyPredicates) == 0 &&
		m.DetectionMatch.isZero()
}

// ParseRuleFile reads a rules file strictly (an unknown member is an error).
func ParseRuleFile(data []byte, name string) ([]RuleSpec, error) {
	var f RuleFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("rules file %s: %v", name, err)
	}
	if err := CheckIDs(f.Rules, func(r *RuleSpec) string { return r.ID }, name); err != nil {
		return nil, err
	}
	return f.Rules, nil
}

// CheckIDs checks that every rule of a rules file has an id, and a different
// one (the single-event rules and the correlation rules alike).
func CheckIDs[S any](specs []S, id func(*S) string, file string) error {
	seen := make(map[string]bool, len(specs))
	for i := range specs {
		switch r := id(&specs[i]); {
		case r == "":
			return fmt.Errorf("rules file %s: rule #%d has no id", file, i+1)
		case seen[r]:
			return fmt.Errorf("rules file %s: rule %q is defined twice", file, r)
		default:
			seen[r] = true
		}
	}
	return nil
}

func compileRules(specs []RuleSpec, file string) (*RuleSet, error) {
	if file == "" {
		file = "embedded rules.yaml"
	}
	rs := &RuleSet{}
	for i := range specs {
		s := &specs[i]
		if s.Enabled != nil && !*s.Enabled {
			continue
		}
		r, err := compileRule(s)
		if err != nil {
			return nil, fmt.Errorf("rules file %s: rule %q: %w", file, s.ID, err)
		}
		rs.list = append(rs.list, r)
		if r.match.body || func() bool {
			for _, e := range r.except {
				if e.body {
					return true
				}
			}
			return false
		}() {
			rs.needsBody = true
		}
	}
	rs.index = newRuleIndex(rs.list)
	return rs, nil
}

// compileRule compiles one rule spec.
func compileRule(s *RuleSpec) (*Rule, error) {
	sev, ok := record.ParseSeverity(s.Severity)
	if !ok {
		return nil, fmt.Errorf("severity %q (valid: info, low, medium, high, critical)", s.Severity)
	}
	r := &Rule{ID: s.ID, Description: s.Description, Severity: sev, Attack: s.Attack}
	for _, t := range s.Attack {
		if !validTechnique(t) {
			return nil, fmt.Errorf("attack technique %q is not an ATT&CK id such as T1609 or T1552.007", t)
		}
	}
	var err error
	if r.match, err = compileMatch(&s.Match); err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	for i := range s.Except {
		m, err := compileMatch(&s.Except[i])
		if err != nil {
			return nil, fmt.Errorf("except #%d: %w", i+1, err)
		}
		r.except = append(r.except, m)
	}
	return r, nil
}

func validTechnique(t string) bool {
	if len(t) < 5 || t[0] != 'T' {
		return false
	}
	main, sub, hasSub := strings.Cut(t[1:], ".")
	if len(main) != 4 || !digits(main) {
		return false
	}
	return !hasSub || (len(sub) == 3 && digits(sub))
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// matcher is a compiled MatchSpec; the cheap tests run first.
type matcher struct {
	verbs         []string
	resources     []GroupResources
	names         glob.Set
	namespaces    glob.Set
	urls          glob.Set
	users         glob.Set
	groups        glob.Set
	nonSystem     bool
	agents        glob.Set
	codes         [][2]int32
	stages        []auditv1.Stage
	decisions     []string
	annotations   []annotationMatch
	images        glob.Set
	predicates    []predicate
	anyPredicates []predicate
	depth         depthMatcher // user-agent classes, commands, capabilities
	body          bool         // needs the parsed body
}

type annotationMatch struct {
	key   string
	value glob.Pattern
}

func compileMatch(m *MatchSpec) (matcher, error) {
	var c matcher
	var err error
	if !has(m.Verbs, "*") { // "*" is every verb: no test (matches looks once)
		c.verbs = m.Verbs
	}
	for _, gr := range m.Resources {
		if len(gr.Resources) == 0 {
			gr.Resources = []string{"*"}
		}
		for _, r := range gr.Resources {
			if r == "" || strings.Count(r, "/") > 1 {
				return c, fmt.Errorf("resource %q: want resource, resource/subresource, resource/*, */subresource or *", r)
			}
		}
		c.resources = append(c.resources, gr)
	}
	if c.names, err = glob.CompileSet(m.ResourceNames); err != nil {
		return c, fmt.Errorf("resource_names: %w", err)
	}
	for _, ns := range m.Namespaces {
		if ns == "" {
			c.namespaces = append(c.namespaces, glob.Pattern{})
			continue
		}
		g, err := glob.Compile(ns)
		if err != nil {
			return c, fmt.Errorf("namespaces: %w", err)
		}
		c.namespaces = append(c.namespaces, g)
	}
	if c.urls, err = glob.CompileSet(m.NonResourceURLs); err != nil {
		return c, fmt.Errorf("non_resource_urls: %w", err)
	}
	if c.users, err = glob.CompileSet(m.Users); err != nil {
		return c, fmt.Errorf("users: %w", err)
	}
	if c.groups, err = glob.CompileSet(m.Groups); err != nil {
		return c, fmt.Errorf("groups: %w", err)
	}
	if c.agents, err = glob.CompileSet(m.UserAgents); err != nil {
		return c, fmt.Errorf("user_agents: %w", err)
	}
	if c.images, err = glob.CompileSet(m.Images); err != nil {
		return c, fmt.Errorf("images: %w", err)
	}
	c.nonSystem = m.NonSystemUser
	for _, s := range m.Codes {
		lo, hi, err := parseCodeRange(s)
		if err != nil {
			return c, fmt.Errorf("codes: %w", err)
		}
		c.codes = append(c.codes, [2]int32{lo, hi})
	}
	for _, s := range m.Stages {
		switch st := auditv1.Stage(s); st {
		case auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic:
			c.stages = append(c.stages, st)
		default:
			return c, fmt.Errorf("stages: unknown stage %q", s)
		}
	}
	c.decisions = m.Decisions
	for k, v := range m.Annotations {
		g, err := glob.Compile(v)
		if err != nil {
			return c, fmt.Errorf("annotations[%s]: %w", k, err)
		}
		c.annotations = append(c.annotations, annotationMatch{key: k, value: g})
	}
	for _, list := range []struct {
		names []string
		dst   *[]predicate
	}{{m.Predicates, &c.predicates}, {m.AnyPredicates, &c.anyPredicates}} {
		for _, n := range list.names {
			p, ok := lookupPredicate(n)
			if !ok {
				return c, fmt.Errorf("unknown predicate %q (known: %s)", n, strings.Join(PredicateNames(), ", "))
			}
			*list.dst = append(*list.dst, p)
			c.body = c.body || p.body
		}
	}
	c.body = c.body || len(c.images) > 0
	if c.depth, err = compileDepth(&m.DetectionMatch); err != nil {
		return c, err
	}
	return c, nil
}

// PredicateNames lists the predicates a rule may name.
func PredicateNames() []string {
	names := make([]string, 0, len(predicates)+len(depthPredicates))
	for n := range predicates {
		names = append(names, n)
	}
	for n := range depthPredicates {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func parseCodeRange(s string) (int32, int32, error) {
	s = strings.TrimSpace(s)
	if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
		lo := int32(s[0]-'0') * 100
		return lo, lo + 99, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || lo < 100 || lo > 599 {
		return 0, 0, fmt.Errorf("%q: want a code 100-599, a range such as 200-299, or 4xx", s)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil || hi < lo || hi > 599 {
			return 0, 0, fmt.Errorf("%q: want a code 100-599, a range such as 200-299, or 4xx", s)
		}
	}
	return int32(lo), int32(hi), nil
}

func (m *matcher) matches(v *audit.View) bool {
	ev := v.Event
	if len(m.verbs) > 0 && !has(m.verbs, v.Verb) {
		return false
	}
	if len(m.stages) > 0 && !hasStage(m.stages, ev.Stage) {
		return false
	}
	if len(m.resources) > 0 && !m.matchResource(v) {
		return false
	}
	if len(m.namespaces) > 0 && (!v.IsResource || !m.namespaces.Match(v.Namespace)) {
		return false
	}
	if len(m.names) > 0 && (!v.IsResource || !m.names.Match(v.Name)) {
		return false
	}
	if len(m.urls) > 0 && (v.IsResource || !m.urls.Match(v.Path)) {
		return false
	}
	if len(m.codes) > 0 && !inRanges(m.codes, v.Code) {
		return false
	}
	if len(m.decisions) > 0 && !has(m.decisions, v.Decision) {
		return false
	}
	if m.nonSystem && (ev.User.Username == "" || strings.HasPrefix(ev.User.Username, "system:")) {
		return false
	}
	if len(m.users) > 0 && !m.users.Match(ev.User.Username) {
		return false
	}
	if len(m.groups) > 0 && !m.groups.MatchAny(ev.User.Groups) {
		return false
	}
	if len(m.agents) > 0 && !m.agents.Match(ev.UserAgent) {
		return false
	}
	for i := range m.annotations {
		a := &m.annotations[i]
		val, ok := ev.Annotations[a.key]
		if !ok || !a.value.Match(val) {
			return false
		}
	}
	if m.depth.active && !m.depth.matches(v) {
		return false
	}
	if !m.body && len(m.predicates) == 0 && len(m.anyPredicates) == 0 {
		return true
	}
	var b *audit.Body
	if m.body {
		b = v.Body()
		if !b.OK {
			return false
		}
	}
	if len(m.images) > 0 {
		images := v.Images()
		if len(images) == 0 {
			return false
		}
		for _, img := range images {
			if !m.images.Match(img) && !m.images.Match(imageRepository(img)) {
				return false
			}
		}
	}
	for i := range m.predicates {
		if !m.predicates[i].call(v, b) {
			return false
		}
	}
	if len(m.anyPredicates) > 0 {
		for i := range m.anyPredicates {
			if m.anyPredicates[i].call(v, b) {
				return true
			}
		}
		return false
	}
	return true
}

// matchResource follows k8s.io/apiserver/pkg/audit/policy's semantics, with
// group "*" for any group.
func (m *matcher) matchResource(v *audit.View) bool {
	if !v.IsResource {
		return false
	}
	for _, gr := range m.resources {
		if gr.Group != v.Group && gr.Group != "*" {
			continue
		}
		for _, res := range gr.Resources {
			if res == "*" {
				return true
			}
			if v.Subresource == "" {
				if res == v.Resource || len(res) == len(v.Resource)+2 && strings.HasPrefix(res, v.Resource) && strings.HasSuffix(res, "/*") {
					return true
				}
				continue
			}
			r, sub, ok := strings.Cut(res, "/")
			if !ok {
				continue
			}
			if (r == v.Resource || r == "*") && (sub == v.Subresource || sub == "*") {
				return true
			}
		}
	}
	return false
}

// imageRepository strips the tag or digest of an image reference.
func imageRepository(img string) string {
	if i := strings.IndexByte(img, '@'); i >= 0 {
		img = img[:i]
	}
	if i := strings.LastIndexByte(img, ':'); i >= 0 && !strings.Contains(img[i:], "/") {
		img = img[:i]
	}
	return img
}

func hasStage(ss []auditv1.Stage, s auditv1.Stage) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func inRanges(rs [][2]int32, c int32) bool {
	for _, r := range rs {
		if c >= r[0] && c <= r[1] {
			return true
		}
	}
	return false
}

// Evaluate runs the rules that may match the event (see ruleIndex), in
// rule order, and records the result.
func (rs *RuleSet) Evaluate(v *audit.View, e *record.Enrichment) {
	sev := record.SeverityInfo
	var attack []string // room for e.Attack
	verbs, resources := rs.index.sets(v)
	for w := range verbs {
		for b := verbs[w] & resources[w]; b != 0; b &= b - 1 {
			rs.apply(rs.list[w*64+bits.TrailingZeros64(b)], v, e, &sev, &attack)
		}
	}
	e.Severity, e.SeverityID = sev.String(), int(sev)
}

// apply records r in e if it matches v and none of its exceptions does.
func (rs *RuleSet) apply(r *Rule, v *audit.View, e *record.Enrichment, sev *record.Severity, attack *[]string) {
	if !r.match.matches(v) {
		return
	}
	for i := range r.except {
		if r.except[i].matches(v) {
			return
		}
	}
	if r.Severity > *sev {
		*sev = r.Severity
	}
	if e.Rules == nil {
		// One array for the rule ids and the techniques of most
		// events; a longer list moves out of it.
		both := e.RuleScratch()
		e.Rules, *attack = both[0:0:3], both[3:3:8]
	}
	e.Rules = append(e.Rules, r.ID)
	for _, t := range r.Attack {
		if !has(e.Attack, t) {
			if e.Attack == nil {
				e.Attack = *attack
			}
			e.Attack = append(e.Attack, t)
		}
	}
}
