package correlate

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEverything keeps docs/correlate.md in step with the default
// rules, the properties and the fields.
func TestDocsListEverything(t *testing.T) {
	b, err := os.ReadFile("../../docs/correlate.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rs, err := LoadRules("", "extend")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules {
		if !strings.Contains(doc, "| `"+r.ID+"` |") {
			t.Errorf("default rule %s is not in the table", r.ID)
		}
	}
	for _, p := range props {
		if !strings.Contains(doc, "`"+p.Key+"`") {
			t.Errorf("property %s is not documented", p.Key)
		}
	}
	for _, f := range FieldNames() {
		if !strings.Contains(doc, "`"+f+"`") {
			t.Errorf("field %s is not documented", f)
		}
	}
}
