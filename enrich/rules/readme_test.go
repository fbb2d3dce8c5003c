package rules

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDocumentsEverything keeps the README's enrich section in step
// with the code: every default rule and predicate is listed.
func TestREADMEDocumentsEverything(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
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
			t.Errorf("README does not list default rule %s", s.ID)
		}
	}
	for _, p := range PredicateNames() {
		if !strings.Contains(readme, "`"+p+"`") {
			t.Errorf("README does not list predicate %s", p)
		}
	}
}
