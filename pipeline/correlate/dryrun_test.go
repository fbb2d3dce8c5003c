package correlate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func runDry(t *testing.T, files ...string) []Alert {
	t.Helper()
	var out bytes.Buffer
	cfg := &Config{RulesMode: "extend", EventRulesMode: "extend", Format: FormatNative}
	d, err := NewDryRun(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Read(fh); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	var alerts []Alert
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("alert line %s: %v", sc.Bytes(), err)
		}
		alerts = append(alerts, a)
	}
	t.Logf("%s: %+v unreadable %d skipped %d", files, d.Stats(), d.Unreadable, d.Skipped)
	return alerts
}

// TestCorporaRaiseNothing: routine traffic of the lab log and the public
// samples raises nothing at medium or above.
func TestCorporaRaiseNothing(t *testing.T) {
	files := []string{filepath.Join("..", "..", "testdata", "lab-policy.audit.log")}
	pub, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "audit", "public", "*.json*"))
	for _, f := range append(files, pub...) {
		for _, a := range runDry(t, f) {
			b, _ := json.Marshal(a)
			if a.SeverityID >= 3 {
				t.Errorf("%s: %s", f, b)
			} else {
				t.Logf("%s: %s", f, b)
			}
		}
	}
}
