package enrich

import (
	"encoding/binary"
	"math/rand"
	"testing"
)

// Each word test is non-zero exactly when a byte of the word is not plain
// in its table: every byte value in every position, among plain bytes, and
// random words.
func TestSWARMatchesTables(t *testing.T) {
	for _, c := range []struct {
		name  string
		stop  func(uint64) uint64
		plain *[256]bool
	}{
		{"str", strStop, &strPlain},
		{"skip", skipStop, &skipPlain},
		{"html", htmlStop, &htmlPlain},
	} {
		check := func(w [8]byte) {
			want := false
			for _, b := range w {
				want = want || !c.plain[b]
			}
			if got := c.stop(binary.LittleEndian.Uint64(w[:])) != 0; got != want {
				t.Fatalf("%s: %x: stop %v, table %v", c.name, w, got, want)
			}
		}
		for _, fill := range []byte{'a', 0x7f, 0x20, 0xff, 0x00, 0x80} {
			for pos := 0; pos < 8; pos++ {
				for v := 0; v < 256; v++ {
					var w [8]byte
					for i := range w {
						w[i] = fill
					}
					w[pos] = byte(v)
					check(w)
				}
			}
		}
		rnd := rand.New(rand.NewSource(1))
		for i := 0; i < 200_000; i++ {
			var w [8]byte
			for j := range w {
				if rnd.Intn(4) == 0 {
					w[j] = byte(rnd.Intn(256))
				} else {
					w[j] = byte(0x20 + rnd.Intn(0x60))
				}
			}
			check(w)
		}
	}
}

// The scanners stop at the first byte their table does not mark plain.
func TestSWARScanners(t *testing.T) {
	rnd := rand.New(rand.NewSource(2))
	for i := 0; i < 200_000; i++ {
		b := make([]byte, rnd.Intn(40))
		for j := range b {
			b[j] = byte(0x20 + rnd.Intn(0x5f))
			if rnd.Intn(30) == 0 {
				b[j] = byte(rnd.Intn(256))
			}
		}
		from := 0
		if len(b) > 0 {
			from = rnd.Intn(len(b) + 1)
		}
		ref := func(plain *[256]bool) int {
			k := from
			for k < len(b) && plain[b[k]] {
				k++
			}
			return k
		}
		if got, want := scanStr(b, from), ref(&strPlain); got != want {
			t.Fatalf("scanStr(%q, %d) = %d, want %d", b, from, got, want)
		}
		if got, want := scanSkip(b, from), ref(&skipPlain); got != want {
			t.Fatalf("scanSkip(%q, %d) = %d, want %d", b, from, got, want)
		}
		if got, want := scanHTML(b, from), ref(&htmlPlain); got != want {
			t.Fatalf("scanHTML(%q, %d) = %d, want %d", b, from, got, want)
		}
		if got, want := scanHTML(string(b), from), ref(&htmlPlain); got != want {
			t.Fatalf("scanHTML(string %q, %d) = %d, want %d", b, from, got, want)
		}
	}
}
