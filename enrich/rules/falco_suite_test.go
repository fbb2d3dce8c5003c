package rules

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// peersFalco returns ../shared/testdata/peers/falco (relative to the
// repository root), or skips: the suite is reference data kept outside the
// repository and never committed.
func peersFalco(t *testing.T) string {
	t.Helper()
	for _, rel := range []string{"../../../shared/testdata/peers/falco", "../../../shared/testdata/peers/falco"} {
		dir, err := filepath.Abs(rel)
		if err != nil {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, "tests.tsv")); err == nil && !st.IsDir() {
			return dir
		}
	}
	t.Skip("../shared/testdata/peers/falco is absent")
	return ""
}

// falcoLevel maps a Falco priority to our severity (see rules.yaml).
func falcoLevel(p string) (record.Severity, bool) {
	switch strings.ToUpper(p) {
	case "EMERGENCY", "ALERT", "CRITICAL":
		return record.SeverityCritical, true
	case "ERROR":
		return record.SeverityHigh, true
	case "WARNING":
		return record.SeverityMedium, true
	case "NOTICE":
		return record.SeverityLow, true
	case "INFO", "INFORMATIONAL", "DEBUG":
		return record.SeverityInfo, true
	}
	return 0, false
}

// TestFalcoRegressionSuite runs Falco's own k8s-audit regression suite
// (falcosecurity/falco test/falco_k8s_audit_tests.yaml and its trace files,
// distilled into tests.tsv; see SOURCES.md there) through the default rules:
// a "detect: True" test wants every event of its trace rated at least the
// mapped Falco priority; a "detect: False" test fails only when an event is
// rated high or above; tests that depend on a site allow-list are skipped,
// with their reason.
func TestFalcoRegressionSuite(t *testing.T) {
	dir := peersFalco(t)
	data, err := os.ReadFile(filepath.Join(dir, "tests.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	en := newRules(t, "", "")
	judged := 0
	for _, row := range strings.Split(string(data), "\n") {
		if row == "" || strings.HasPrefix(row, "#") {
			continue
		}
		f := strings.Split(row, "\t")
		if len(f) < 6 {
			t.Fatalf("tests.tsv: bad row %q", row)
		}
		name, trace, detect, level, skip := f[0], f[1], f[2], f[3], f[5]
		t.Run(name, func(t *testing.T) {
			if skip != "-" {
				t.Skip(skip)
			}
			judged++
			raw, err := os.ReadFile(filepath.Join(dir, "traces", trace))
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(nil, 4<<20)
			n := 0
			for sc.Scan() {
				line := bytes.TrimSpace(sc.Bytes())
				if len(line) == 0 {
					continue
				}
				evs, err := audit.Decode(line, nil)
				if err != nil || len(evs) == 0 {
					if detect == "True" {
						t.Fatalf("%s: not an audit event (%v), but Falco detects it", trace, err)
					}
					t.Logf("%s: not an audit event, nothing shipped (%v)", trace, err)
					continue
				}
				for i := range evs {
					n++
					rec, drop := en.Enrich(&evs[i])
					if drop != "" {
						t.Fatalf("%s: dropped (%s)", trace, drop)
					}
					got := record.Severity(rec.Enrichment.SeverityID)
					if detect == "True" {
						want, ok := falcoLevel(level)
						if !ok {
							t.Fatalf("unknown Falco level %q", level)
						}
						if got < want {
							t.Errorf("%s: rated %s %v, Falco %s (%s)", trace, got, rec.Enrichment.Rules, level, f[4])
						}
					} else if got >= record.SeverityHigh {
						t.Errorf("%s: rated %s %v; Falco detects nothing", trace, got, rec.Enrichment.Rules)
					}
					t.Logf("%s: %s %v", trace, got, rec.Enrichment.Rules)
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if n == 0 && detect == "True" {
				t.Errorf("%s: no event", trace)
			}
		})
	}
	if judged < 40 {
		t.Errorf("only %d tests judged", judged)
	}
}
