package redact

import (
	"testing"
	"time"
)

func TestLoadGitleaksRules(t *testing.T) {
	t0 := time.Now()
	rs, err := loadRules(gitleaksTOML)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rules, %d global allowlists, loaded in %v", len(rs.rules), len(rs.global), time.Since(t0))
	if len(rs.rules) < 200 {
		t.Fatalf("only %d rules", len(rs.rules))
	}
}
