package format

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryField keeps the README's format section in step
// with the encoders: every ecs and ocsf field is listed.
func TestREADMEDocumentsEveryField(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, f := range append(ECSFieldNames(), OCSFFieldNames()...) {
		if !strings.Contains(readme, "`"+f) && !strings.Contains(readme, ", `"+f) {
			t.Errorf("README does not document field %s", f)
		}
	}
}
