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
