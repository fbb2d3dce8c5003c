package jsonx

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx/jsonxtest"
)

// AppendCompact matches json.Marshal of a runtime.Unknown on random
// documents, valid and (one byte changed or cut short) mostly not.
func TestAppendCompactJSONRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(7))
	check := func(src []byte) {
		t.Helper()
		want, werr := json.Marshal(runtime.Unknown{Raw: src})
		got, gerr := AppendCompact([]byte("x"), src)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%q: error %v, json.Marshal's %v", src, gerr, werr)
		}
		if werr == nil && !bytes.Equal(got[1:], want) {
			t.Fatalf("%q:\n got %q\nwant %q", src, got[1:], want)
		}
		if werr != nil && string(got) != "x" {
			t.Fatalf("%q: failed but wrote %q", src, got)
		}
	}
	for i := 0; i < 30000; i++ {
		var b strings.Builder
		jsonxtest.Random(rnd, &b, 0)
		src := []byte(b.String())
		check(src)
		if len(src) > 0 {
			bad := bytes.Clone(src)
			bad[rnd.Intn(len(bad))] = "\x00\x1f\"\\{}[],: <aZ0\xe2"[rnd.Intn(16)]
			check(bad)
			check(src[:rnd.Intn(len(src))])
		}
	}
}

// appendJSONString matches json.Marshal on random strings: plain runs of
// every length before, between and after what must be escaped.
func TestAppendJSONStringRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(9))
	parts := []string{"<", ">", "&", "\"", "\\", "\n", "\x00", "\x7f", "é", "\u2028", "\u2029", "\xe2\x80", "\xff", "日本", "\U0001F600"}
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		for n := rnd.Intn(4); n >= 0; n-- {
			b.WriteString(strings.Repeat("x", rnd.Intn(20)))
			if rnd.Intn(3) > 0 {
				b.WriteString(parts[rnd.Intn(len(parts))])
			}
		}
		s := b.String()
		want, _ := json.Marshal(s)
		if got := AppendWith([]byte("x"), s, HTMLSafe); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}
