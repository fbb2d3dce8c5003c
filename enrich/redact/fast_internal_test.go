package redact

import "testing"

// vendorStart admits every first two bytes of a vendor token prefix.
func TestVendorStart(t *testing.T) {
	for _, tp := range tokenPrefixes {
		if !vendorStart(tp.prefix[0], tp.prefix[1]) {
			t.Errorf("vendorStart rejects %q", tp.prefix)
		}
	}
}

// The clean cache never holds a docker config (strClean asks it before
// its own test for them): scanned once, such a string is still not clean
// to strClean the second time, and the cache still does not hold it.
func TestCleanCacheHoldsNoDockerConfig(t *testing.T) {
	r, err := New(Config{Mode: Mask})
	if err != nil {
		t.Fatal(err)
	}
	w := walker{r: r}
	for _, s := range []string{
		`{"auths":{"registry.example.com":{"username":"ci","password":"x"}}}`,
		`{"registry.example.com":{"username":"ci","password":"x","email":"ci@example.com"}}`,
		`config: {"auths": {}}`,
	} {
		for range 2 {
			r.scanSpans(s, 0)
			if w.strClean(s) {
				t.Errorf("%s: clean to strClean", s)
			}
			if _, hit := r.cleanSum(s, 0); hit {
				t.Errorf("%s: in the clean cache", s)
			}
		}
	}
	// An ordinary clean string is remembered.
	s := "registry.example.com/team/app:v1.2.3"
	if !w.strClean(s) {
		t.Fatalf("%s: not clean", s)
	}
	if _, hit := r.cleanSum(s, 0); !hit {
		t.Errorf("%s: not remembered", s)
	}
}
