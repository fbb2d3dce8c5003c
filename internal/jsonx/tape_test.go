package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx/jsonxtest"
)

// checkTape holds a tape to its document: Parse succeeds exactly when
// json.Valid does; every token's span is valid JSON (a value) or a string
// literal (a key); Next and N describe the structure; and writing the
// tokens back gives json.Compact's output.
func checkTape(t *testing.T, tp *Tape, src []byte) {
	t.Helper()
	err := tp.Parse(src)
	if valid := json.Valid(src); valid != (err == nil) {
		t.Fatalf("%q: Parse error %v, json.Valid %v", src, err, valid)
	}
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(src) {
			t.Fatalf("%q: error %v is not a SyntaxError within the document", src, err)
		}
		if len(tp.Toks) != 0 {
			t.Fatalf("%q: error left %d tokens", src, len(tp.Toks))
		}
		return
	}
	var out []byte
	next := writeTape(t, tp, 0, &out)
	if next != len(tp.Toks) {
		t.Fatalf("%q: the top value ends at token %d of %d", src, next, len(tp.Toks))
	}
	var want bytes.Buffer
	if err := json.Compact(&want, src); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want.Bytes()) {
		t.Fatalf("%q: tape writes\n%q\nwant\n%q", src, out, want.Bytes())
	}
}

// writeTape appends the value at k from its tokens and returns the index
// after it, checking every token against its bytes.
func writeTape(t *testing.T, tp *Tape, k int, out *[]byte) int {
	t.Helper()
	tk := tp.Toks[k]
	raw := tp.Raw(k)
	if !json.Valid(raw) {
		t.Fatalf("token %d: %q is not a value", k, raw)
	}
	switch tk.Kind {
	case KindObject, KindArray:
		open, close := byte('{'), byte('}')
		if tk.Kind == KindArray {
			open, close = '[', ']'
		}
		if raw[0] != open || raw[len(raw)-1] != close {
			t.Fatalf("token %d: %q is not a container of its kind", k, raw)
		}
		*out = append(*out, open)
		i, n := k+1, 0
		for i < int(tk.Next) {
			if n > 0 {
				*out = append(*out, ',')
			}
			if tk.Kind == KindObject {
				kt := tp.Toks[i]
				if kt.Kind != KindString || kt.Next != uint32(i+1) {
					t.Fatalf("token %d: key %+v", i, kt)
				}
				*out = append(*out, tp.Raw(i)...)
				*out = append(*out, ':')
				i++
			}
			i = writeTape(t, tp, i, out)
			n++
		}
		if i != int(tk.Next) || n != int(tk.N) {
			t.Fatalf("token %d: ends at %d with %d values, says %d with %d", k, i, n, tk.Next, tk.N)
		}
		*out = append(*out, close)
		return i
	case KindString:
		if esc := bytes.IndexByte(raw, '\\') >= 0; esc != tk.Escaped() {
			t.Fatalf("token %d: %q escaped %v", k, raw, tk.Escaped())
		}
		if s, ok := tp.Plain(k); ok != !tk.Escaped() || ok && !bytes.Equal(s, raw[1:len(raw)-1]) {
			t.Fatalf("token %d: Plain %q %v", k, s, ok)
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil || tp.Str(k) != want {
			t.Fatalf("token %d: Str %q, encoding/json %q (%v)", k, tp.Str(k), want, err)
		}
	case KindNumber, KindTrue, KindFalse, KindNull:
		want := map[Kind]string{KindTrue: "true", KindFalse: "false", KindNull: "null"}[tk.Kind]
		if want != "" && string(raw) != want || tk.Kind == KindNumber && (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
			t.Fatalf("token %d: %q is not %v", k, raw, tk.Kind)
		}
	default:
		t.Fatalf("token %d: kind %d", k, tk.Kind)
	}
	if tk.Next != uint32(k+1) {
		t.Fatalf("token %d: a scalar's next is %d", k, tk.Next)
	}
	*out = append(*out, raw...)
	return k + 1
}

func TestTapeRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(11))
	var tp Tape // reused: nothing of a document stays for the next
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		jsonxtest.Random(rnd, &b, 0)
		src := []byte(b.String())
		checkTape(t, &tp, src)
		if len(src) > 0 {
			bad := bytes.Clone(src)
			bad[rnd.Intn(len(bad))] = "\x00\x1f\"\\{}[],: <aZ0\xe2"[rnd.Intn(16)]
			checkTape(t, &tp, bad)
			checkTape(t, &tp, src[:rnd.Intn(len(src))])
		}
	}
}

func TestTapeCases(t *testing.T) {
	var tp Tape
	for _, s := range []string{
		``, ` `, `{`, `}`, `[`, `]`, `{}`, `[]`, ` { } `, `[ ]`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{1:2}`,
		`{"a":1}x`, `1 2`, `tru`, `truex`, `nul`, `-`, `01`, `1.`, `1e`, `1e+`, `-0.5E-7`, `"\u12"`, `"\u12G4"`,
		`"\x"`, "\"\x01\"", "\"\xff\xfe\"", `"\ud800"`, `[[[]]]`, `[{"a":[{"b":{}}]},[],{}]`, `{"a":1,"a":2}`,
		`{"a":[1,2,{"b":null}],"c":"d\"e"}`, `[1}`, `{"a":1]`, `"abc`, `"abc\`, `nulls`, `[true,false,null]`,
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat("[", 10000) + "1" + strings.Repeat("]", 10000),
		strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
		strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	} {
		checkTape(t, &tp, []byte(s))
	}
	for _, s := range []string{`"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, "\"a\xffb\"", "\"\xe2\x82\"", `"\u00E9\/\b\f\n\r\t\"\\"`} {
		checkTape(t, &tp, []byte(s))
	}
}

// ParseLimits: a value inside more than maxDepth containers, or past
// maxValues, is an error, whichever comes first in the document.
func TestTapeLimits(t *testing.T) {
	var tp Tape
	for _, c := range []struct {
		src         string
		depth, vals int
		want        error
	}{
		{`[[1]]`, 2, 10, nil},
		{`[[1]]`, 1, 10, ErrTooDeep},
		{`[[]]`, 1, 10, nil},
		{`[[[]]]`, 1, 10, ErrTooDeep},
		{`{"a":{"b":1}}`, 1, 10, ErrTooDeep},
		{`[1,2,3]`, 5, 4, nil},
		{`[1,2,3]`, 5, 3, ErrTooLarge},
		{`{"a":1,"b":2}`, 5, 3, nil},
		{`[[1],x`, 0, 10, ErrTooDeep},
		{`[x,[[1]]]`, 0, 10, ErrTooDeep},
		{`[1,x,[[1]]]`, 1, 10, errSyntaxSentinel},
		{`[1,2,x]`, 5, 2, ErrTooLarge},
	} {
		err := tp.ParseLimits([]byte(c.src), c.depth, c.vals)
		var se *SyntaxError
		switch {
		case c.want == errSyntaxSentinel && errors.As(err, &se):
		case err == c.want:
		default:
			t.Errorf("%s (%d, %d): %v, want %v", c.src, c.depth, c.vals, err, c.want)
		}
	}
}

var errSyntaxSentinel = errors.New("a syntax error")

func TestTapeMember(t *testing.T) {
	var tp Tape
	if err := tp.Parse([]byte(`{"a":[1,{"x":2}],"b\u0062":3,"c":{"d":4},"a":"last"}`)); err != nil {
		t.Fatal(err)
	}
	if k := tp.Member(0, "a"); k < 0 || string(tp.Raw(k)) != `"last"` {
		t.Errorf("a: %d", k)
	}
	if k := tp.Member(0, "c"); k < 0 || string(tp.Raw(tp.Member(k, "d"))) != "4" {
		t.Errorf("c.d: %d", k)
	}
	if tp.Member(0, "bb") != -1 || tp.Member(0, "x") != -1 || tp.Member(1, "a") != -1 {
		t.Error("found what is not a member")
	}
}

// FuzzTape: Parse accepts exactly what json.Valid accepts, and its tokens
// write the document back as json.Compact does.
func FuzzTape(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"d\"e"}`, `[]`, `"\u00e9"`, `-1.5e+3`, `{"kind":"Pod","spec":{"containers":[{"image":"x"}]}}`, `[1,]`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	var tp, pre Tape
	f.Fuzz(func(t *testing.T, src []byte) {
		checkTape(t, &tp, src)
		checkPrefix(t, &tp, &pre, src)
	})
}

// checkPrefix holds ParsePrefix to Parse: what it reads of src is a value
// Parse reads into the same tokens, and a whole document's value followed
// by anything is read up to its end exactly.
func checkPrefix(t *testing.T, whole, pre *Tape, src []byte) {
	t.Helper()
	if n, err := pre.ParsePrefix(src, MaxDepth, 1<<30); err == nil {
		if n <= 0 || n > len(src) || !bytes.Equal(pre.Src, src[:n]) {
			t.Fatalf("%q: prefix of %d bytes, Src %q", src, n, pre.Src)
		}
		if err := whole.Parse(src[:n]); err != nil || !slices.Equal(whole.Toks, pre.Toks) {
			t.Fatalf("%q: the prefix %q is read otherwise whole (%v)", src, src[:n], err)
		}
	}
	v := bytes.Trim(src, " \t\r\n")
	if whole.Parse(v) != nil {
		return
	}
	n, err := pre.ParsePrefix(append(bytes.Clone(v), `,{"x":`...), MaxDepth, 1<<30)
	if err != nil || n != len(v) || !slices.Equal(whole.Toks, pre.Toks) {
		t.Fatalf("%q followed by more: %d bytes (%v), want %d", v, n, err, len(v))
	}
}

func TestParsePrefix(t *testing.T) {
	var whole, pre Tape
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"d\"e"}`, `[]`, `{}`, `"x"`, `123`, `-1.5e3`, `true`, `null`,
		`{"a":1} {"b":2}`, `[1,2]]`, `{"a":"\u00e9"},"next":1}`, `1,2`, `{"a":`, `[1,`, ``, `   `, `{"a" 1}`} {
		checkPrefix(t, &whole, &pre, []byte(s))
	}
	n, err := pre.ParsePrefix([]byte(`{"a":{"b":[1,2]}},"verb":"get"}`), MaxDepth, 1<<30)
	if err != nil || n != 17 || pre.Toks[0].N != 1 || len(pre.Toks) != 7 {
		t.Fatalf("%d %v %+v", n, err, pre.Toks)
	}
	if _, err := pre.ParsePrefix([]byte(`[[[[1]]]],`), 2, 100); err != ErrTooDeep {
		t.Fatalf("depth: %v", err)
	}
	if _, err := pre.ParsePrefix([]byte(`[1,2,3],`), 10, 2); err != ErrTooLarge {
		t.Fatalf("values: %v", err)
	}
}

func BenchmarkTape(b *testing.B) {
	rnd := rand.New(rand.NewSource(1))
	var sb strings.Builder
	sb.WriteByte('[')
	for sb.Len() < 64<<10 {
		if sb.Len() > 1 {
			sb.WriteByte(',')
		}
		jsonxtest.Random(rnd, &sb, 1)
	}
	sb.WriteByte(']')
	src := []byte(sb.String())
	var tp Tape
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if err := tp.Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTapeBodies reads the request and response bodies of the lab's
// audit log, as the View and the redactor do.
func BenchmarkTapeBodies(b *testing.B) {
	data, err := os.ReadFile("../../testdata/lab-policy.audit.log")
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	size := 0
	for l := range strings.Lines(string(data)) {
		var ev struct {
			RequestObject, ResponseObject json.RawMessage
		}
		if json.Unmarshal([]byte(l), &ev) != nil {
			continue
		}
		for _, o := range []json.RawMessage{ev.RequestObject, ev.ResponseObject} {
			if len(o) > 0 {
				bodies = append(bodies, o)
				size += len(o)
			}
		}
	}
	var tp Tape
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range bodies {
			if err := tp.ParseLimits(o, BodyMaxDepth, BodyMaxValues); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(bodies)), "bodies/op")
}
