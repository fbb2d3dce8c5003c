package format

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryField keeps docs/enrichment.md in step
// with the encoders: every ecs and ocsf field is listed.
func TestDocsListEveryField(t *testing.T) {
	data, err := os.ReadFile("../../docs/enrichment.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, f := range append(ECSFieldNames(), OCSFFieldNames()...) {
		if !strings.Contains(readme, "`"+f) && !strings.Contains(readme, ", `"+f) {
			t.Errorf("docs/enrichment.md does not document field %s", f)
		}
	}
}
