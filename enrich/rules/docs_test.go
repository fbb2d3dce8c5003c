package rules

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryRule keeps docs/enrichment.md in step
// with the code: every default rule and predicate is listed.
func TestDocsListEveryRule(t *testing.T) {
	data, err := os.ReadFile("../../docs/enrichment.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	specs, err := ParseRuleFile(defaultRules, "default")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		if !strings.Contains(readme, "`"+s.ID+"`") {
			t.Errorf("docs/enrichment.md does not list default rule %s", s.ID)
		}
	}
	for _, p := range PredicateNames() {
		if !strings.Contains(readme, "`"+p+"`") {
			t.Errorf("docs/enrichment.md does not list predicate %s", p)
		}
	}
}
