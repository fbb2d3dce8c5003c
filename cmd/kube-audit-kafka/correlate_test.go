package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func alertIDs(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var a struct {
			AlertID  string `json:"alert_id"`
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil || a.AlertID == "" {
			t.Fatalf("not an alert: %s", l)
		}
		ids = append(ids, a.AlertID+" "+a.Rule+" "+a.Severity)
	}
	return ids
}

// TestCorrelateDryRunRawAndNative: the lab log correlated raw (enriched on
// the way) and as the plugin's native messages (the replay's --dry-run
// output) raises the same alerts, none at medium or above.
func TestCorrelateDryRunRawAndNative(t *testing.T) {
	lab := filepath.Join("..", "..", "testdata", "lab-policy.audit.log")
	raw := runCmd(t, nil, "correlate", "--dry-run", lab)
	if raw.code != 0 {
		t.Fatalf("exit %d: %s", raw.code, raw.stderr)
	}
	shipped := runCmd(t, nil, "--dry-run", lab)
	if shipped.code != 0 {
		t.Fatalf("replay exit %d: %s", shipped.code, shipped.stderr)
	}
	native := runCmd(t, strings.NewReader(shipped.stdout), "correlate", "--dry-run", "-")
	if native.code != 0 {
		t.Fatalf("exit %d: %s", native.code, native.stderr)
	}
	a, b := alertIDs(t, raw.stdout), alertIDs(t, native.stdout)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("raw:\n%s\nnative:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	for _, x := range a {
		if strings.HasSuffix(x, " medium") || strings.HasSuffix(x, " high") || strings.HasSuffix(x, " critical") {
			t.Errorf("routine lab traffic raised %s", x)
		}
	}
	t.Logf("%s\n%s", strings.Join(a, "\n"), raw.stderr)
}

func TestCorrelateFormats(t *testing.T) {
	lab := filepath.Join("..", "..", "testdata", "lab-policy.audit.log")
	for _, f := range []string{"ecs", "ocsf"} {
		r := runCmd(t, nil, "correlate", "--dry-run", "-p", "format="+f, lab)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", f, r.code, r.stderr)
		}
		line, _, _ := strings.Cut(r.stdout, "\n")
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		switch f {
		case "ecs":
			if m["event"].(map[string]any)["kind"] != "alert" {
				t.Errorf("ecs: %s", line)
			}
		case "ocsf":
			if m["class_uid"].(float64) != 2004 || m["class_name"] != "Detection Finding" {
				t.Errorf("ocsf: %s", line)
			}
		}
	}
}

func TestCorrelateUsage(t *testing.T) {
	if r := runCmd(t, nil, "correlate", "-p", "bogus=1", "-p", "format=x", "--dry-run", "x"); r.code != 2 ||
		!strings.Contains(r.stderr, `"bogus"`) || !strings.Contains(r.stderr, `"format"`) {
		t.Errorf("bad properties: %d %s", r.code, r.stderr)
	}
	if r := runCmd(t, nil, "correlate"); r.code != 2 || !strings.Contains(r.stderr, "brokers") {
		t.Errorf("no brokers: %d %s", r.code, r.stderr)
	}
	if r := runCmd(t, nil, "correlate", "--dry-run"); r.code != 2 {
		t.Errorf("no input: %d %s", r.code, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "r.yaml")
	os.WriteFile(bad, []byte("rules: [{id: x, severity: high, type: threshold, group_by: nobody, window: 5m, threshold: 2}]"), 0o600)
	if r := runCmd(t, nil, "correlate", "--dry-run", "-p", "rules_file="+bad, "x"); r.code != 2 || !strings.Contains(r.stderr, "nobody") {
		t.Errorf("bad rules: %d %s", r.code, r.stderr)
	}
	if r := runCmd(t, nil, "correlate", "--properties"); r.code != 0 || !strings.Contains(r.stdout, "alerts_topic") || !strings.Contains(r.stdout, "sasl_mechanism") {
		t.Errorf("--properties: %d %s", r.code, r.stdout)
	}
	if r := runCmd(t, nil, "correlate", "--rules"); r.code != 0 || !strings.Contains(r.stdout, "T1552.007") {
		t.Errorf("--rules: %d", r.code)
	}
	if r := runCmd(t, nil, "correlate", "-h"); r.code != 0 || !strings.Contains(r.stdout, "--dry-run") {
		t.Errorf("-h: %d", r.code)
	}
	if r := runCmd(t, nil, "--help"); !strings.Contains(r.stdout, "correlate") {
		t.Errorf("main help does not list correlate")
	}
}
