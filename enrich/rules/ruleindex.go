package rules

import (
	"slices"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
)

// ruleIndex narrows the rules worth trying on an event by its verb and
// resource, the two facts every event has and most rules constrain. It is a
// superset filter: a rule it offers may still fail to match (its groups,
// subresources, users... are checked by matcher.matches), but a rule it
// leaves out can never match, so evaluating only the offered rules, in rule
// order, gives exactly the result of evaluating them all.
//
// Sets are bitsets over the rule list (bit i = rs.list[i]). The index is
// built once with the rules and only read afterwards.
type ruleIndex struct {
	words int
	// byVerb holds, per verb named by some rule, the rules that may match
	// it; anyVerb the rules that match every verb (no verbs, or "*").
	byVerb  map[string][]uint64
	anyVerb []uint64
	// byResource holds, per resource named by some rule (the part before
	// "/"), the rules that may match a request for it; anyResource the
	// rules that may match any resource request; nonResource the rules
	// that may match a non-resource request (those without resources).
	byResource  map[string][]uint64
	anyResource []uint64
	nonResource []uint64
}

func newRuleIndex(list []*Rule) *ruleIndex {
	ix := &ruleIndex{
		words:      (len(list) + 63) / 64,
		byVerb:     map[string][]uint64{},
		byResource: map[string][]uint64{},
	}
	set := func() []uint64 { return make([]uint64, ix.words) }
	ix.anyVerb, ix.anyResource, ix.nonResource = set(), set(), set()
	add := func(s []uint64, i int) { s[i/64] |= 1 << (i % 64) }

	// First the rules that hold for every verb or every resource, so that
	// the per-verb and per-resource sets can start from them.
	for i, r := range list {
		m := &r.match
		if len(m.verbs) == 0 || has(m.verbs, "*") {
			add(ix.anyVerb, i)
		}
		if len(m.resources) == 0 {
			add(ix.nonResource, i)
			add(ix.anyResource, i)
			continue
		}
		for _, gr := range m.resources {
			for _, res := range gr.Resources {
				if resourcePart(res) == "*" {
					add(ix.anyResource, i)
				}
			}
		}
	}
	for i, r := range list {
		m := &r.match
		for _, verb := range m.verbs {
			s, ok := ix.byVerb[verb]
			if !ok {
				s = slices.Clone(ix.anyVerb)
				ix.byVerb[verb] = s
			}
			add(s, i)
		}
		for _, gr := range m.resources {
			for _, res := range gr.Resources {
				name := resourcePart(res)
				if name == "*" {
					continue
				}
				s, ok := ix.byResource[name]
				if !ok {
					s = slices.Clone(ix.anyResource)
					ix.byResource[name] = s
				}
				add(s, i)
			}
		}
	}
	return ix
}

// resourcePart is "pods" for "pods", "pods/exec" and "pods/*", "*" for
// "*" and "*/exec".
func resourcePart(res string) string {
	for i := 0; i < len(res); i++ {
		if res[i] == '/' {
			return res[:i]
		}
	}
	return res
}

// sets returns the rules that may match v's verb and those that may match
// its resource: the candidates are their intersection.
func (ix *ruleIndex) sets(v *audit.View) (verbs, resources []uint64) {
	verbs, ok := ix.byVerb[v.Verb]
	if !ok {
		verbs = ix.anyVerb
	}
	if !v.IsResource {
		return verbs, ix.nonResource
	}
	if resources, ok = ix.byResource[v.Resource]; !ok {
		resources = ix.anyResource
	}
	return verbs, resources
}
