package jsonx

import (
	"encoding/binary"
	"math/rand"
	randv2 "math/rand/v2"
	"testing"
)

// Each word test is non-zero exactly when a byte of the word is not plain
// in its table, and its lowest flag marks the first such byte: every byte
// value in every position, among plain bytes (and among bytes of the set,
// which may flag the bytes above them), and random words.
func TestSWARMatchesTables(t *testing.T) {
	for _, c := range []struct {
		name  string
		stop  func(uint64) uint64
		plain *[256]bool
	}{
		{"str", strStop, &strPlain},
		{"skip", skipStop, &skipPlain},
		{"html", HTMLStop, &htmlPlain},
	} {
		check := func(w [8]byte) {
			first := -1
			for i, b := range w {
				if !c.plain[b] {
					first = i
					break
				}
			}
			want := first >= 0
			x := c.stop(binary.LittleEndian.Uint64(w[:]))
			if got := x != 0; got != want {
				t.Fatalf("%s: %x: stop %v, table %v", c.name, w, got, want)
			}
			if want && firstByte(x) != first { // the scanners return it
				t.Fatalf("%s: %x: first byte in the set %d, firstByte %d", c.name, w, first, firstByte(x))
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
func TestScanners(t *testing.T) {
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
		if got, want := ScanString(b, from), ref(&strPlain); got != want {
			t.Fatalf("ScanString(%q, %d) = %d, want %d", b, from, got, want)
		}
		if got, want := ScanSkip(b, from), ref(&skipPlain); got != want {
			t.Fatalf("ScanSkip(%q, %d) = %d, want %d", b, from, got, want)
		}
		if got, want := ScanHTML(b, from), ref(&htmlPlain); got != want {
			t.Fatalf("ScanHTML(%q, %d) = %d, want %d", b, from, got, want)
		}
		if got, want := ScanHTML(string(b), from), ref(&htmlPlain); got != want {
			t.Fatalf("ScanHTML(string %q, %d) = %d, want %d", b, from, got, want)
		}
		if from == 0 {
			if got, want := scanText(b), ref(&strPlain); got != want {
				t.Fatalf("scanText(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

// ScanSkip finds what a byte-by-byte loop finds, wherever the stop byte
// sits in its word and whatever the bytes around it (bytes one bit away from
// a stop byte included).
func TestScanSkipWordEdges(t *testing.T) {
	naive := func(b []byte, i int) int {
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
				return i
			}
		}
		return i
	}
	alphabet := []byte{'a', 'Z', '"', '\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa0, 0xdf, 0xe0, 0xff, 0x01, 0x22 ^ 0x80, 0x5c ^ 0x80}
	r := randv2.New(randv2.NewPCG(1, 2))
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
		if got, want := ScanSkip(b, i), naive(b, i); got != want {
			t.Fatalf("ScanSkip(%q, %d) = %d, want %d", b, i, got, want)
		}
	}
}
