// Package correlate finds what single events cannot show: many events by one
// identity or from one address within minutes (enumeration, brute force,
// secret harvesting), and chains of steps by the same key (a privileged pod
// created, then an exec into it). Rules are data (correlate.yaml, embedded;
// a rules file extends or replaces it) and reuse the single-event rules'
// match vocabulary (enrich/rules.Matcher). An Engine holds the state of one
// Kafka partition (or one dry-run input): windows per rule and group key,
// bounded, with the offset to commit so that a replay rebuilds every open
// window. Consumer runs engines over a Kafka consumer group and writes the
// alerts to a topic.
package correlate

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/rules"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/glob"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

//go:embed correlate.yaml
var defaultRules []byte

// DefaultRulesYAML returns the embedded default correlation rules.
func DefaultRulesYAML() []byte { return append([]byte(nil), defaultRules...) }

// RuleFile is the YAML shape of a correlation rules file.
type RuleFile struct {
	Rules []RuleSpec `json:"rules"`
}

// RuleSpec is one correlation rule as written in YAML.
type RuleSpec struct {
	ID          string   `json:"id"`
	Description string   `json:"description,omitempty"`
	Severity    string   `json:"severity,omitempty"`
	Attack      []string `json:"attack,omitempty"`
	Enabled     *bool    `json:"enabled,omitempty"`
	// Type: threshold or sequence.
	Type string `json:"type,omitempty"`
	// GroupBy: a field, or fields joined by "+" (user+namespace); see
	// Fields. For a sequence it names the key the steps share (each step
	// may say how it reads it: key).
	GroupBy string `json:"group_by,omitempty"`
	// Window: a Go duration (5m, 1h). Threshold windows are aligned on
	// multiples of it (tumbling, from the Unix epoch); a sequence's second
	// step must come within Window of its first.
	Window string `json:"window,omitempty"`

	// threshold: events matching Match (and no Except) counted per group
	// key and window; an alert when Threshold of them are counted, or, with
	// Distinct, Threshold distinct values of that field.
	Match     rules.MatchSpec   `json:"match,omitempty"`
	Except    []rules.MatchSpec `json:"except,omitempty"`
	Event     EventMatch        `json:"event,omitempty"`
	Threshold int               `json:"threshold,omitempty"`
	Distinct  string            `json:"distinct,omitempty"`

	// sequence: two steps, the first then the second by the same key.
	Steps []StepSpec `json:"steps,omitempty"`
	// Different: fields whose values must differ between the steps
	// (source_ip: the second step came from another address).
	Different []string `json:"different,omitempty"`
}

// StepSpec is one step of a sequence.
type StepSpec struct {
	Name string `json:"name,omitempty"`
	// Key: the field holding the group key in this step's event (default:
	// the rule's group_by).
	Key    string            `json:"key,omitempty"`
	Match  rules.MatchSpec   `json:"match,omitempty"`
	Except []rules.MatchSpec `json:"except,omitempty"`
	Event  EventMatch        `json:"event,omitempty"`
}

// EventMatch selects on what the plugin's single-event enrichment found.
type EventMatch struct {
	// Rules: globs on the ids of the single-event rules that matched; any.
	Rules []string `json:"rules,omitempty"`
	// MinSeverity: the event's own severity is at least this.
	MinSeverity string `json:"min_severity,omitempty"`
}

// Rule is a compiled correlation rule.
type Rule struct {
	ID          string
	Description string
	Severity    record.Severity
	Attack      []string
	Sequence    bool
	GroupBy     string
	Window      time.Duration
	Threshold   int
	Distinct    string

	groupBy   []field
	distinct  field
	match     step // threshold
	steps     [2]step
	stepNames [2]string
	different []field
}

type step struct {
	m        *rules.Matcher
	key      []field
	evRules  glob.Set
	minSev   record.Severity
	needsEnr bool
}

func (s *step) matches(ev *Event) bool {
	if s.minSev > 0 && ev.Severity() < s.minSev {
		return false
	}
	if len(s.evRules) > 0 && !s.evRules.MatchAny(ev.Rules()) {
		return false
	}
	return s.m.Matches(&ev.View)
}

// RuleSet is the compiled, read-only correlation rule set.
type RuleSet struct {
	Rules []*Rule
	// needsEnrichment: a rule reads the single-event enrichment.
	needsEnrichment bool
}

// Modes are the rules file modes, as for single-event rules.
func Modes() []string { return rules.Modes() }

// LoadRules builds the rule set: the embedded defaults, then rulesFile
// (extend: added, or replacing a default with the same id, or only
// switching it on or off; replace: alone).
func LoadRules(rulesFile, mode string) (*RuleSet, error) {
	var specs []RuleSpec
	if rulesFile == "" || mode != "replace" {
		def, err := ParseRules(defaultRules, "embedded correlate.yaml")
		if err != nil {
			return nil, err
		}
		specs = def
	}
	if rulesFile != "" {
		data, err := os.ReadFile(rulesFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read the correlation rules: %w", err)
		}
		user, err := ParseRules(data, rulesFile)
		if err != nil {
			return nil, err
		}
		for _, u := range user {
			i := -1
			for j := range specs {
				if specs[j].ID == u.ID {
					i = j
				}
			}
			toggle := u.Type == "" && u.Severity == ""
			switch {
			case i < 0 && toggle:
				return nil, fmt.Errorf("rules file %s: rule %q: no default rule has this id (an entry without type and severity only switches a default rule on or off)", rulesFile, u.ID)
			case i < 0:
				specs = append(specs, u)
			case toggle:
				if u.Enabled != nil {
					specs[i].Enabled = u.Enabled
				}
			default:
				specs[i] = u
			}
		}
	}
	name := rulesFile
	if name == "" {
		name = "embedded correlate.yaml"
	}
	rs := &RuleSet{}
	for i := range specs {
		s := &specs[i]
		if s.Enabled != nil && !*s.Enabled {
			continue
		}
		r, err := compileRule(s)
		if err != nil {
			return nil, fmt.Errorf("rules file %s: rule %q: %w", name, s.ID, err)
		}
		rs.Rules = append(rs.Rules, r)
		rs.needsEnrichment = rs.needsEnrichment || r.match.needsEnr || r.steps[0].needsEnr || r.steps[1].needsEnr
	}
	return rs, nil
}

// ParseRules reads a correlation rules file strictly.
func ParseRules(data []byte, name string) ([]RuleSpec, error) {
	var f RuleFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("rules file %s: %v", name, err)
	}
	if err := rules.CheckIDs(f.Rules, func(r *RuleSpec) string { return r.ID }, name); err != nil {
		return nil, err
	}
	return f.Rules, nil
}

func compileRule(s *RuleSpec) (*Rule, error) {
	sev, ok := record.ParseSeverity(s.Severity)
	if !ok {
		return nil, fmt.Errorf("severity %q (valid: %s)", s.Severity, strings.Join(record.SeverityNames(), ", "))
	}
	for _, t := range s.Attack {
		if !rules.ValidTechnique(t) {
			return nil, fmt.Errorf("attack technique %q is not an ATT&CK id such as T1110 or T1552.007", t)
		}
	}
	r := &Rule{ID: s.ID, Description: s.Description, Severity: sev, Attack: s.Attack, GroupBy: s.GroupBy,
		Threshold: s.Threshold, Distinct: s.Distinct}
	w, err := time.ParseDuration(s.Window)
	if err != nil || w <= 0 {
		return nil, fmt.Errorf("window %q: want a positive duration such as 5m or 1h", s.Window)
	}
	r.Window = w
	if r.groupBy, err = parseFields(s.GroupBy); err != nil {
		return nil, fmt.Errorf("group_by: %w", err)
	}
	switch s.Type {
	case "threshold":
		if len(s.Steps) > 0 || len(s.Different) > 0 {
			return nil, fmt.Errorf("a threshold rule has no steps or different")
		}
		if s.Threshold < 1 {
			return nil, fmt.Errorf("threshold must be at least 1")
		}
		if s.Distinct != "" {
			f, ok := lookupField(s.Distinct)
			if !ok {
				return nil, fmt.Errorf("distinct: unknown field %q (known: %s)", s.Distinct, strings.Join(FieldNames(), ", "))
			}
			r.distinct = f
		}
		if r.match, err = compileStep(s.Match, s.Except, s.Event, r.groupBy); err != nil {
			return nil, err
		}
	case "sequence":
		r.Sequence = true
		if len(s.Steps) != 2 {
			return nil, fmt.Errorf("a sequence has two steps, got %d", len(s.Steps))
		}
		if !isZeroMatch(s.Match) || len(s.Except) > 0 || s.Threshold != 0 || s.Distinct != "" {
			return nil, fmt.Errorf("a sequence rule has steps, not match, except, threshold or distinct")
		}
		for i, st := range s.Steps {
			key := r.groupBy
			if st.Key != "" {
				if key, err = parseFields(st.Key); err != nil {
					return nil, fmt.Errorf("step %d: key: %w", i+1, err)
				}
			}
			if r.steps[i], err = compileStep(st.Match, st.Except, st.Event, key); err != nil {
				return nil, fmt.Errorf("step %d: %w", i+1, err)
			}
			r.stepNames[i] = st.Name
		}
		for _, d := range s.Different {
			f, ok := lookupField(d)
			if !ok {
				return nil, fmt.Errorf("different: unknown field %q (known: %s)", d, strings.Join(FieldNames(), ", "))
			}
			r.different = append(r.different, f)
		}
	default:
		return nil, fmt.Errorf("type %q: want threshold or sequence", s.Type)
	}
	return r, nil
}

func isZeroMatch(m rules.MatchSpec) bool {
	b, _ := yaml.Marshal(m)
	return strings.TrimSpace(string(b)) == "{}"
}

func compileStep(m rules.MatchSpec, except []rules.MatchSpec, em EventMatch, key []field) (step, error) {
	var s step
	var err error
	if s.m, err = rules.CompileMatcher(m, except); err != nil {
		return s, err
	}
	if s.evRules, err = glob.CompileSet(em.Rules); err != nil {
		return s, fmt.Errorf("event.rules: %w", err)
	}
	if em.MinSeverity != "" {
		sev, ok := record.ParseSeverity(em.MinSeverity)
		if !ok {
			return s, fmt.Errorf("event.min_severity %q (valid: %s)", em.MinSeverity, strings.Join(record.SeverityNames(), ", "))
		}
		s.minSev = sev
	}
	s.needsEnr = s.minSev > 0 || len(s.evRules) > 0
	s.key = key
	return s, nil
}

func parseFields(s string) ([]field, error) {
	if s == "" {
		return nil, fmt.Errorf("missing: name a field (%s), or fields joined by +", strings.Join(FieldNames(), ", "))
	}
	var out []field
	for _, name := range strings.Split(s, "+") {
		f, ok := lookupField(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown field %q (known: %s)", name, strings.Join(FieldNames(), ", "))
		}
		out = append(out, f)
	}
	return out, nil
}
