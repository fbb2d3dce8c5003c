package jsonx

import (
	"encoding/binary"
	"math/bits"
)

// Word-at-a-time scanning of JSON string contents: the decoders, the
// compactor, the encoder and the redactor's parser skip runs of bytes that
// need no attention 8 at a time, then find the exact byte that does with a
// 256-entry table. Each *Stop function is
// non-zero exactly when one of the 8 bytes of x is in its set
// (TestSWARMatchesTables checks every byte value in every position).

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// swarZero is non-zero when a byte of v is 0.
func swarZero(v uint64) uint64 { return (v - swarLo) & ^v & swarHi }

// swarLess is non-zero when a byte of x is below n (n <= 128).
func swarLess(x uint64, n byte) uint64 { return (x - swarLo*uint64(n)) & ^x & swarHi }

// swarNe has the top bit of each ASCII byte of x set when the byte is not
// c (an ASCII byte): (b^c)+0x7f reaches 0x80 unless b == c, and never
// carries. A non-ASCII byte may carry into the bytes above it: the
// functions below that use it stop at non-ASCII bytes anyway, so the bytes
// below their first stop are ASCII and the first stop is exact.
func swarNe(x uint64, c byte) uint64 { return (x ^ swarLo*uint64(c)) + swarLo*0x7f }

// strStop: the end quote, a backslash, a control byte or a non-ASCII byte.
// (x + 0x60 per byte has the top bit of an ASCII byte set when it is not a
// control byte.)
func strStop(x uint64) uint64 {
	return (x | ^(swarNe(x, '"') & swarNe(x, '\\') & (x + swarLo*0x60))) & swarHi
}

// skipStop: the end quote, a backslash or a control byte.
func skipStop(x uint64) uint64 {
	return swarLess(x, 0x20) | swarZero(x^(swarLo*'"')) | swarZero(x^(swarLo*'\\'))
}

// HTMLStop is non-zero when a byte of the little-endian word x is one
// ScanHTML stops at: strStop plus '<', '>' and '&' (0x3c|2 == 0x3e|2, and
// 0x22|4 == 0x26|4 covers '"' and '&').
func HTMLStop(x uint64) uint64 {
	return (x | ^(swarNe(x|swarLo*4, 0x26) & swarNe(x, '\\') & swarNe(x|swarLo*2, 0x3e) & (x + swarLo*0x60))) & swarHi
}

// firstByte is the index of the first byte of a word in a *Stop function's
// set, from its non-zero result: the lowest flag is always exact (a
// subtraction borrows, and an addition carries, upwards only from a byte in
// the set, so only the flags above the first can be spurious).
func firstByte(x uint64) int { return bits.TrailingZeros64(x) >> 3 }

// Byte tables: true for the bytes that need no attention.
var (
	strPlain  = plainTable(func(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' && c < 0x80 })
	skipPlain = plainTable(func(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' })
	htmlPlain = plainTable(func(c byte) bool {
		return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c < 0x80
	})
)

func plainTable(plain func(byte) bool) (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = plain(byte(c))
	}
	return t
}

// ScanString returns the offset of the first byte at or after i that a
// string decoder must look at: the end quote, a backslash, a control byte or
// a non-ASCII byte (len(b) if none).
func ScanString(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if x := strStop(binary.LittleEndian.Uint64(b[i:])); x != 0 {
			return i + firstByte(x)
		}
	}
	for i < len(b) && strPlain[b[i]] {
		i++
	}
	return i
}

// ScanSkip is ScanString for a string that is only checked or copied:
// non-ASCII bytes are plain. It stops at the end quote, a backslash or a
// control byte.
func ScanSkip(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if x := skipStop(binary.LittleEndian.Uint64(b[i:])); x != 0 {
			return i + firstByte(x)
		}
	}
	for i < len(b) && skipPlain[b[i]] {
		i++
	}
	return i
}

// ScanHTML is ScanString that also stops at '<', '>' and '&' (the bytes an
// HTML-safe encoder escapes).
func ScanHTML[S ~string | ~[]byte](b S, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if x := HTMLStop(word(b, i)); x != 0 {
			return i + firstByte(x)
		}
	}
	for i < len(b) && htmlPlain[b[i]] {
		i++
	}
	return i
}

// scanText is ScanString from the start of a string or byte slice.
func scanText[S ~string | ~[]byte](b S) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if x := strStop(word(b, i)); x != 0 {
			return i + firstByte(x)
		}
	}
	if i < len(b) && len(b) >= 8 {
		// The tail, in one word overlapping the last one read.
		if x := strStop(word(b, len(b)-8)); x != 0 {
			return len(b) - 8 + firstByte(x)
		}
		return len(b)
	}
	for i < len(b) && strPlain[b[i]] {
		i++
	}
	return i
}

// word is the little-endian word of b[i:i+8] (one load).
func word[S ~string | ~[]byte](b S, i int) uint64 {
	w := b[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}
