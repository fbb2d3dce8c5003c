package enum

import "testing"

func TestParse(t *testing.T) {
	valid := []string{"none", "gzip", "zstd"}
	if i, err := Parse("compression", " ZSTD ", valid); err != nil || i != 2 {
		t.Errorf("Parse(ZSTD) = %d, %v", i, err)
	}
	_, err := Parse("compression", "brotli", valid)
	if err == nil || err.Error() != `unknown compression "brotli" (valid: none, gzip, zstd)` {
		t.Errorf("Parse(brotli): %v", err)
	}
}
