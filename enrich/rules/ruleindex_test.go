package rules

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// evaluateAll is evaluate without the index: every rule, in order.
func (rs *RuleSet) evaluateAll(v *audit.View, e *record.Enrichment) {
	sev := record.SeverityInfo
	var attack []string
	for _, r := range rs.list {
		rs.apply(r, v, e, &sev, &attack)
	}
	e.Severity, e.SeverityID = sev.String(), int(sev)
}

// wildcardRules add the verb and resource spellings the default rules do
// not use.
const wildcardRules = `
- {id: t_any_verb_exec, severity: low, match: {verbs: ["*"], resources: [{group: "", resources: ["*/exec"]}]}}
- {id: t_pods_any_sub, severity: low, match: {verbs: [get, "*"], resources: [{group: "*", resources: ["pods/*"]}]}}
- {id: t_any_resource, severity: low, match: {verbs: [delete], resources: [{group: apps}]}}
- {id: t_nonresource, severity: low, match: {verbs: [get], non_resource_urls: ["/metrics*"]}}
`

// TestRuleIndexIsExact holds the indexed evaluation to the evaluation of
// every rule, on the rule tests' events, the real log, the benchmark mix and
// the public samples, each also re-asked with every verb and resource the
// rules name (and some they don't), as resource and non-resource requests.
func TestRuleIndexIsExact(t *testing.T) {
	file := filepath.Join(t.TempDir(), "enable.yaml")
	if err := os.WriteFile(file, []byte(enabledForTests+wildcardRules), 0o600); err != nil {
		t.Fatal(err)
	}
	en := newRules(t, file, "extend")
	rs := en.RuleSet

	verbs := []string{"", "get", "list", "watch", "proxy", "connect", "impersonate", "escalate", "bind", "frobnicate"}
	resources := []string{"", "pods", "secrets", "nodes", "widgets"}
	for _, r := range rs.list {
		for _, m := range append([]matcher{r.match}, r.except...) {
			verbs = append(verbs, m.verbs...)
			for _, gr := range m.resources {
				for _, res := range gr.Resources {
					resources = append(resources, resourcePart(res))
				}
			}
		}
	}
	slices.Sort(verbs)
	verbs = slices.Compact(verbs)
	slices.Sort(resources)
	resources = slices.Compact(resources)

	var evs []auditv1.Event
	for _, c := range ruleCases() {
		evs = append(evs, c.ev(t))
	}
	docs, _, err := benchmix.Documents()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		got, err := audit.Decode(d, nil)
		if err == nil {
			evs = append(evs, got...)
		}
	}

	checks, matched := 0, 0
	check := func(ev *auditv1.Event) {
		t.Helper()
		var v1, v2 audit.View
		audit.NewView(ev, &v1)
		audit.NewView(ev, &v2)
		var got, want record.Enrichment
		rs.Evaluate(&v1, &got)
		rs.evaluateAll(&v2, &want)
		checks++
		if len(want.Rules) > 0 {
			matched++
		}
		if !slices.Equal(got.Rules, want.Rules) || !slices.Equal(got.Attack, want.Attack) || got.Severity != want.Severity {
			t.Fatalf("verb %q objectRef %+v: indexed %v %v %s, all rules %v %v %s", ev.Verb, ev.ObjectRef,
				got.Rules, got.Attack, got.Severity, want.Rules, want.Attack, want.Severity)
		}
	}
	for i := range evs {
		ev := evs[i]
		check(&ev)
		if i%7 != 0 && i >= len(ruleCases()) {
			continue // the variants of every rule case, and of a sample of the corpus
		}
		for _, verb := range verbs {
			for _, res := range resources {
				e := ev
				e.Verb = verb
				if res == "" {
					e.ObjectRef = nil
				} else {
					ref := auditv1.ObjectReference{Resource: res}
					if ev.ObjectRef != nil {
						ref = *ev.ObjectRef
						ref.Resource = res
					}
					e.ObjectRef = &ref
				}
				check(&e)
			}
		}
	}
	if matched == 0 || checks < 10000 {
		t.Fatalf("only %d checks, %d with a matching rule", checks, matched)
	}
	t.Logf("%d evaluations compared, %d with matching rules", checks, matched)
}

// BenchmarkRuleEvaluate compares the indexed evaluation with the evaluation
// of every rule, over 1000 events of the benchmark mix.
func BenchmarkRuleEvaluate(b *testing.B) {
	en := newRules(b, "", "")
	lines, err := benchmix.Lines()
	if err != nil {
		b.Fatal(err)
	}
	c, err := benchmix.NewCorpus(lines)
	if err != nil {
		b.Fatal(err)
	}
	var evs []auditv1.Event
	for _, d := range c.Generate(benchmix.Default(), 1000) {
		if evs, err = audit.Decode(d, evs); err != nil {
			b.Fatal(err)
		}
	}
	// indexed-tapes: the Views read bodies into tapes reused from event to
	// event, as the Enricher's do (to share them with the redactor).
	for _, mode := range []string{"indexed", "all", "indexed-tapes"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			var tapes audit.Tapes
			for i := 0; i < b.N; i++ {
				for j := range evs {
					var v audit.View
					var e record.Enrichment
					if mode == "indexed-tapes" {
						tapes.Reset()
						v.UseTapes(&tapes)
					}
					audit.NewView(&evs[j], &v)
					if mode != "all" {
						en.RuleSet.Evaluate(&v, &e)
					} else {
						en.RuleSet.evaluateAll(&v, &e)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
