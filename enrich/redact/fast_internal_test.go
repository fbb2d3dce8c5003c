package redact

import (
	"math/rand/v2"
	"testing"
)

// plainEnd finds what a byte-by-byte loop finds, wherever the stop byte
// sits in its word and whatever the bytes around it.
func TestPlainEnd(t *testing.T) {
	naive := func(b []byte, i int) int {
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
				return i
			}
		}
		return i
	}
	alphabet := []byte{'a', 'Z', '"', '\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa0, 0xdf, 0xe0, 0xff, 0x01, 0x22 ^ 0x80, 0x5c ^ 0x80}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200000; n++ {
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = byte(0x23 + r.IntN(0x80-0x23))
			}
		}
		i := 0
		if len(b) > 0 {
			i = r.IntN(len(b) + 1)
		}
		if got, want := plainEnd(b, i), naive(b, i); got != want {
			t.Fatalf("plainEnd(%q, %d) = %d, want %d", b, i, got, want)
		}
	}
}

// vendorStart admits every first two bytes of a vendor token prefix.
func TestVendorStart(t *testing.T) {
	for _, tp := range tokenPrefixes {
		if !vendorStart(tp.prefix[0], tp.prefix[1]) {
			t.Errorf("vendorStart rejects %q", tp.prefix)
		}
	}
}
