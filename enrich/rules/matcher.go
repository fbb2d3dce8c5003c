package rules

import (
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
)

// Matcher is a compiled match with its exceptions: the single-event rules'
// vocabulary, for engines built on it (pipeline/correlate's steps). It is
// read-only once compiled and safe for concurrent use.
type Matcher struct {
	match  matcher
	except []matcher
}

// CompileMatcher compiles a match and its exceptions as a rule's match and
// except entries are compiled. user_agent_classes name the classes of the
// embedded rules file.
func CompileMatcher(match MatchSpec, except []MatchSpec) (*Matcher, error) {
	spec := []RuleSpec{{ID: "matcher", Match: match, Except: except}}
	classes := map[string][]string{}
	mergeAgentClasses(classes, defaultRules)
	if err := resolveAgentClasses(spec, classes, ""); err != nil {
		return nil, err
	}
	m := &Matcher{}
	var err error
	if m.match, err = compileMatch(&spec[0].Match); err != nil {
		return nil, err
	}
	for i := range spec[0].Except {
		e, err := compileMatch(&spec[0].Except[i])
		if err != nil {
			return nil, err
		}
		m.except = append(m.except, e)
	}
	return m, nil
}

// Matches reports whether the event matches and no exception does.
func (m *Matcher) Matches(v *audit.View) bool {
	if !m.match.matches(v) {
		return false
	}
	for i := range m.except {
		if m.except[i].matches(v) {
			return false
		}
	}
	return true
}

// ValidTechnique reports whether t is an ATT&CK technique id (T1609,
// T1552.007).
func ValidTechnique(t string) bool { return validTechnique(t) }
