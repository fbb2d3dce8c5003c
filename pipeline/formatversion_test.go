package pipeline

import (
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

// FormatVersion returns constants for the known formats (no allocation per
// message); they must be what the rule "<format>/1" gives.
func TestFormatVersion(t *testing.T) {
	for _, f := range []conf.Format{conf.FormatNative, conf.FormatECS, conf.FormatOCSF} {
		if got, want := FormatVersion(f), f.String()+"/1"; got != want {
			t.Errorf("FormatVersion(%v) = %q, want %q", f, got, want)
		}
	}
}
