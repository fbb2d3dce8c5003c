package flbchunk

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// A small msgpack builder, independent of Writer, so the decoder is
// not only tested against its sibling encoder.

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func hx(b ...byte) []byte { return b }

func fixstr(s string) []byte {
	if len(s) > 31 {
		panic("fixstr too long")
	}
	return append([]byte{0xa0 | byte(len(s))}, s...)
}

func str8(s string) []byte { return append([]byte{0xd9, byte(len(s))}, s...) }
func str16(s string) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{0xda}, uint16(len(s))), s...)
}
func str32(s string) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{0xdb}, uint32(len(s))), s...)
}
func bin8(s string) []byte { return append([]byte{0xc4, byte(len(s))}, s...) }
func bin16(s string) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{0xc5}, uint16(len(s))), s...)
}
func bin32(s string) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{0xc6}, uint32(len(s))), s...)
}

func fixmap(n int) []byte  { return []byte{0x80 | byte(n)} }
func fixarr(n int) []byte  { return []byte{0x90 | byte(n)} }
func map16(n int) []byte   { return binary.BigEndian.AppendUint16([]byte{0xde}, uint16(n)) }
func map32(n int) []byte   { return binary.BigEndian.AppendUint32([]byte{0xdf}, uint32(n)) }
func arr16(n int) []byte   { return binary.BigEndian.AppendUint16([]byte{0xdc}, uint16(n)) }
func arr32(n int) []byte   { return binary.BigEndian.AppendUint32([]byte{0xdd}, uint32(n)) }
func f64(f float64) []byte { return binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(f)) }
func f32(f float32) []byte { return binary.BigEndian.AppendUint32([]byte{0xca}, math.Float32bits(f)) }
func u64(v uint64) []byte  { return binary.BigEndian.AppendUint64([]byte{0xcf}, v) }
func i64(v int64) []byte   { return binary.BigEndian.AppendUint64([]byte{0xd3}, uint64(v)) }
func eventTime(sec, nsec uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32([]byte{0xd7, 0x00}, sec), nsec)
}

// rec builds a classic [ts, record] entry; recV2 a [[ts, meta], record] one.
func rec(ts, body []byte) []byte         { return cat(fixarr(2), ts, body) }
func recV2(ts, meta, body []byte) []byte { return cat(fixarr(2), fixarr(2), ts, meta, body) }

// logRec is {"log": line} with an EventTime, as tail without a parser.
func logRec(line string) []byte {
	return rec(eventTime(1700000000, 5), cat(fixmap(1), fixstr("log"), str32(line)))
}

func readAll(chunk []byte, logKey string) ([]Entry, error) {
	r := NewReader(chunk, logKey)
	var out []Entry
	for r.More() {
		e, err := r.Next()
		if err != nil {
			return out, err
		}
		e.JSON = append([]byte(nil), e.JSON...) // valid only until Next
		out = append(out, e)
	}
	return out, nil
}

func readOne(t *testing.T, chunk []byte, logKey string) Entry {
	t.Helper()
	es, err := readAll(chunk, logKey)
	if err != nil {
		t.Fatalf("decode % x: %v", chunk, err)
	}
	if len(es) != 1 {
		t.Fatalf("%d entries, want 1", len(es))
	}
	return es[0]
}

func TestChunkWriterForms(t *testing.T) {
	ts := time.Unix(1763779200, 123456789)
	line := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete"}`
	for _, tc := range []struct {
		name        string
		w           Writer
		json        bool
		wantTime    time.Time
		wantPayload string
	}{
		{"classic EventTime line", Writer{}, false, ts, line},
		{"v2 EventTime line", Writer{V2: true}, false, ts, line},
		{"classic int line", Writer{IntTime: true}, false, time.Unix(ts.Unix(), 0), line},
		{"v2 int line", Writer{V2: true, IntTime: true}, false, time.Unix(ts.Unix(), 0), line},
		{"classic map", Writer{}, true, ts, line},
		{"v2 map", Writer{V2: true}, true, ts, line},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.w
			for i := 0; i < 3; i++ {
				if tc.json {
					if err := w.AddJSON(ts, []byte(line)); err != nil {
						t.Fatal(err)
					}
				} else {
					w.AddLine(ts, "log", []byte(line))
				}
			}
			if w.Len() != 3 {
				t.Fatalf("Len %d", w.Len())
			}
			es, err := readAll(w.Bytes(), "log")
			if err != nil || len(es) != 3 {
				t.Fatalf("%d entries, %v", len(es), err)
			}
			for _, e := range es {
				if !e.Time.Equal(tc.wantTime) {
					t.Errorf("time %v, want %v", e.Time, tc.wantTime)
				}
				assertSameJSON(t, e.JSON, []byte(tc.wantPayload))
			}
			w.Reset()
			if w.Len() != 0 || len(w.Bytes()) != 0 {
				t.Fatal("Reset left data")
			}
		})
	}
}

func TestTimestamps(t *testing.T) {
	body := cat(fixmap(1), fixstr("log"), fixstr("{}"))
	for _, tc := range []struct {
		name string
		ts   []byte
		want time.Time
	}{
		{"positive fixint", hx(0x7f), time.Unix(127, 0)},
		{"negative fixint", hx(0xff), time.Unix(-1, 0)},
		{"negative fixint min", hx(0xe0), time.Unix(-32, 0)},
		{"uint8", hx(0xcc, 0xff), time.Unix(255, 0)},
		{"uint16", hx(0xcd, 0x01, 0x00), time.Unix(256, 0)},
		{"uint32", hx(0xce, 0x69, 0x21, 0x0a, 0x00), time.Unix(0x69210a00, 0)},
		{"uint64", u64(1763779200), time.Unix(1763779200, 0)},
		{"int8 negative", hx(0xd0, 0x80), time.Unix(-128, 0)},
		{"int16 negative", hx(0xd1, 0xff, 0x00), time.Unix(-256, 0)},
		{"int32 negative", hx(0xd2, 0xff, 0xff, 0xff, 0xfe), time.Unix(-2, 0)},
		{"int64 negative", i64(-86400), time.Unix(-86400, 0)},
		{"int64 positive", i64(1763779200), time.Unix(1763779200, 0)},
		{"float64", f64(1763779200.25), time.Unix(1763779200, 250000000)},
		{"float64 negative", f64(-1.5), time.Unix(-1, -500000000)},
		{"float32", f32(1.5), time.Unix(1, 500000000)},
		{"float NaN", f64(math.NaN()), time.Time{}},
		{"float +Inf", f64(math.Inf(1)), time.Time{}},
		{"EventTime fixext8", eventTime(1763779200, 999999999), time.Unix(1763779200, 999999999)},
		{"EventTime ext8", cat(hx(0xc7, 8, 0), eventTime(1763779200, 7)[2:]), time.Unix(1763779200, 7)},
	} {
		for _, v2 := range []bool{false, true} {
			chunk := rec(tc.ts, body)
			if v2 {
				chunk = recV2(tc.ts, fixmap(0), body)
			}
			e := readOne(t, chunk, "log")
			if !e.Time.Equal(tc.want) {
				t.Errorf("%s (v2 %v): %v, want %v", tc.name, v2, e.Time, tc.want)
			}
		}
	}
	for _, tc := range []struct {
		name string
		ts   []byte
	}{
		{"string", fixstr("2025")},
		{"nil", hx(0xc0)},
		{"map", fixmap(0)},
		{"ext type 1", cat(hx(0xd7, 0x01), make([]byte, 8))},
		{"ext8 of 4 bytes", hx(0xc7, 4, 0, 1, 2, 3, 4)},
		{"fixext4", hx(0xd6, 0, 1, 2, 3, 4)},
	} {
		if _, err := readAll(rec(tc.ts, body), "log"); !errors.Is(err, ErrMalformed) {
			t.Errorf("timestamp %s: err %v, want ErrMalformed", tc.name, err)
		}
	}
}

func TestV2Metadata(t *testing.T) {
	body := cat(fixmap(1), fixstr("log"), fixstr(`{"a":1}`))
	for name, hdr := range map[string][]byte{
		"empty metadata":  cat(fixarr(2), eventTime(1, 2), fixmap(0)),
		"rich metadata":   cat(fixarr(2), eventTime(1, 2), fixmap(2), fixstr("k"), fixarr(2), hx(1, 2), fixstr("m"), fixmap(1), fixstr("x"), hx(0xc3)),
		"no metadata":     cat(fixarr(1), eventTime(1, 2)),
		"extra header":    cat(fixarr(3), eventTime(1, 2), fixmap(0), hx(0xc0)),
		"int ts metadata": cat(fixarr(2), hx(0x01), fixmap(0)),
	} {
		es, err := readAll(cat(fixarr(2), hdr, body), "log")
		if err != nil || len(es) != 1 || string(es[0].JSON) != `{"a":1}` {
			t.Errorf("%s: %v %+v", name, err, es)
		}
	}
	if _, err := readAll(cat(fixarr(2), fixarr(0), body), "log"); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty header accepted: %v", err)
	}
}

func TestRecordForms(t *testing.T) {
	ts := eventTime(1, 0)
	ev := `{"kind":"Event","auditID":"x"}`
	for _, tc := range []struct {
		name   string
		body   []byte
		logKey string
		want   string // exact JSON
	}{
		{"log key string", cat(fixmap(1), fixstr("log"), str8(ev)), "log", ev},
		{"log key string among other fields", cat(fixmap(3), fixstr("stream"), fixstr("stdout"), fixstr("log"), str16(ev), fixstr("time"), fixstr("t")), "log", ev},
		{"log key bin", cat(fixmap(1), fixstr("log"), bin8(ev)), "log", ev},
		{"log key str32", cat(fixmap(1), fixstr("log"), str32(ev)), "log", ev},
		{"log key map", cat(fixmap(2), fixstr("file"), fixstr("/var/log/a"), fixstr("log"), fixmap(2), fixstr("kind"), fixstr("Event"), fixstr("auditID"), fixstr("x")), "log", ev},
		{"record is the event", cat(fixmap(2), fixstr("kind"), fixstr("Event"), fixstr("auditID"), fixstr("x")), "log", ev},
		{"custom log_key", cat(fixmap(2), fixstr("log"), fixstr("not this"), fixstr("message"), str8(ev)), "message", ev},
		{"custom log_key absent: the record", cat(fixmap(1), fixstr("log"), fixstr("x")), "message", `{"log":"x"}`},
		{"log key of another type: the record", cat(fixmap(2), fixstr("log"), hx(0x05), fixstr("a"), hx(0xc3)), "log", `{"log":5,"a":true}`},
		{"non-string keys skipped while searching", cat(fixmap(3), hx(0x01), fixstr("one"), hx(0xc0), fixarr(1), hx(0x02), fixstr("log"), fixstr(`{}`)), "log", `{}`},
		{"non-string keys quoted when transcoding", cat(fixmap(4), hx(0x01), fixstr("one"), hx(0xc0), hx(0xc2), hx(0xc3), hx(0xc0), fixarr(2), hx(0x01), fixstr("a"), hx(0xc0)), "log", `{"1":"one","null":false,"true":null,"[1,\"a\"]":null}`},
		{"map16 record", cat(map16(1), fixstr("log"), fixstr("{}")), "log", `{}`},
		{"map32 record", cat(map32(1), fixstr("k"), fixstr("v")), "log", `{"k":"v"}`},
		{"empty record", fixmap(0), "log", `{}`},
	} {
		for _, v2 := range []bool{false, true} {
			chunk := rec(ts, tc.body)
			if v2 {
				chunk = recV2(ts, fixmap(0), tc.body)
			}
			e := readOne(t, chunk, tc.logKey)
			if string(e.JSON) != tc.want {
				t.Errorf("%s (v2 %v):\n got %s\nwant %s", tc.name, v2, e.JSON, tc.want)
			}
		}
	}
}

// Every msgpack type, transcoded to JSON.
func TestTranscodeValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    []byte
		want string
	}{
		{"nil", hx(0xc0), `null`},
		{"bools", cat(fixarr(2), hx(0xc2), hx(0xc3)), `[false,true]`},
		{"fixints", cat(fixarr(3), hx(0x00), hx(0x7f), hx(0xe0)), `[0,127,-32]`},
		{"uints", cat(fixarr(4), hx(0xcc, 0xff), hx(0xcd, 0xff, 0xff), hx(0xce, 0xff, 0xff, 0xff, 0xff), u64(math.MaxUint64)), `[255,65535,4294967295,18446744073709551615]`},
		{"ints", cat(fixarr(4), hx(0xd0, 0x80), hx(0xd1, 0x80, 0x00), hx(0xd2, 0x80, 0, 0, 0), i64(math.MinInt64)), `[-128,-32768,-2147483648,-9223372036854775808]`},
		{"floats", cat(fixarr(5), f64(1.5), f32(0.25), f64(1e21), f64(-0.0001), f64(100)), `[1.5,0.25,1e+21,-0.0001,100]`},
		{"non-finite floats are null", cat(fixarr(3), f64(math.NaN()), f64(math.Inf(1)), f32(float32(math.Inf(-1)))), `[null,null,null]`},
		{"strings of every width", cat(fixarr(4), fixstr("a"), str8("b"), str16("c"), str32("d")), `["a","b","c","d"]`},
		{"bin of every width", cat(fixarr(3), bin8("x"), bin16("y"), bin32("z")), `["x","y","z"]`},
		{"escapes", fixstr("q\"b\\n\n\r\t\x01\x1f<>&"), `"q\"b\\n\n\r\t\u0001\u001f<>&"`},
		{"invalid UTF-8", str8("a\xffb\xc3(c\xe2\x82"), `"a\ufffdb\ufffd(c\ufffd\ufffd"`},
		{"valid UTF-8 kept, U+2028 escaped as encoding/json does", str8("é€😀\u2028"), `"é€😀\u2028"`},
		{"nested arrays", cat(fixarr(2), fixarr(2), fixarr(0), fixarr(1), fixarr(1), hx(1), fixmap(1), fixstr("a"), fixarr(1), fixmap(0)), `[[[],[[1]]],{"a":[{}]}]`},
		{"array16 and array32", cat(arr16(2), arr32(1), hx(1), hx(2)), `[[1],2]`},
		{"EventTime ext in record", eventTime(1763779200, 500000000), `1763779200.5`},
		{"EventTime ext8 in record", cat(hx(0xc7, 8, 0), eventTime(2, 0)[2:]), `2`},
		{"other ext is null", cat(fixarr(6), hx(0xd4, 5, 1), hx(0xd5, 5, 1, 2), hx(0xd6, 5, 1, 2, 3, 4), cat(hx(0xd7, 9), make([]byte, 8)), cat(hx(0xd8, 9), make([]byte, 16)), hx(0xc7, 3, 9, 1, 2, 3)), `[null,null,null,null,null,null]`},
		{"ext16 and ext32 are null", cat(fixarr(2), hx(0xc8, 0, 2, 9, 1, 2), hx(0xc9, 0, 0, 0, 1, 9, 1)), `[null,null]`},
	} {
		body := cat(fixmap(1), fixstr("v"), tc.v)
		e := readOne(t, rec(eventTime(1, 0), body), "log")
		want := `{"v":` + tc.want + `}`
		if string(e.JSON) != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, e.JSON, want)
		}
		if !json.Valid(e.JSON) {
			t.Errorf("%s: invalid JSON %s", tc.name, e.JSON)
		}
	}
}

func TestMalformed(t *testing.T) {
	ts := eventTime(1, 0)
	deep := func(n int, open []byte) []byte { return cat(bytes.Repeat(open, n), hx(0xc0)) }
	deepMap := func(n int) []byte {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, cat(fixmap(1), fixstr("k"))...)
		}
		return append(b, 0xc0)
	}
	for _, tc := range []struct {
		name  string
		chunk []byte
	}{
		{"not an array", fixmap(0)},
		{"record of 3", cat(fixarr(3), ts, fixmap(0), fixmap(0))},
		{"record of 1", cat(fixarr(1), ts)},
		{"body not a map", rec(ts, fixarr(0))},
		{"body a string", rec(ts, fixstr("log"))},
		{"reserved type 0xc1 in body", rec(ts, cat(fixmap(1), fixstr("a"), hx(0xc1)))},
		{"reserved type 0xc1 in skipped field", rec(ts, cat(fixmap(2), fixstr("a"), hx(0xc1), fixstr("log"), fixstr("{}")))},
		{"reserved type as key", rec(ts, cat(fixmap(1), hx(0xc1), hx(0xc0)))},
		{"hostile array32", rec(ts, cat(fixmap(1), fixstr("a"), arr32(math.MaxUint32)))},
		{"hostile array32 header", cat(arr32(math.MaxUint32), ts)},
		{"hostile array16", rec(ts, cat(fixmap(1), fixstr("a"), arr16(math.MaxUint16)))},
		{"hostile map32", rec(ts, map32(math.MaxUint32))},
		{"hostile map32 nested", rec(ts, cat(fixmap(1), fixstr("a"), map32(1<<31)))},
		{"hostile map16 skipped", rec(ts, cat(fixmap(2), fixstr("a"), map16(60000), fixstr("log"), fixstr("{}")))},
		{"hostile str32", rec(ts, cat(fixmap(1), fixstr("log"), hx(0xdb, 0xff, 0xff, 0xff, 0xff), []byte("{}")))},
		{"hostile str32 key", rec(ts, cat(fixmap(1), hx(0xdb, 0x7f, 0xff, 0xff, 0xff), []byte("log")))},
		{"hostile str8 key then a log key", rec(ts, cat(fixmap(2), hx(0xd9, 0xff), fixstr("x"), fixstr("log"), fixstr("{}")))},
		{"hostile bin32", rec(ts, cat(fixmap(1), fixstr("a"), hx(0xc6, 0xff, 0xff, 0xff, 0xff)))},
		{"hostile ext32", rec(ts, cat(fixmap(1), fixstr("a"), hx(0xc9, 0xff, 0xff, 0xff, 0xff, 0x01)))},
		{"hostile ext32 skipped", rec(ts, cat(fixmap(2), fixstr("a"), hx(0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01), fixstr("log"), fixstr("{}")))},
		{"hostile ext8 timestamp", rec(hx(0xc7, 0xff, 0x00, 1, 2), fixmap(0))},
		{"too deep arrays in the event", rec(ts, cat(fixmap(1), fixstr("a"), deep(maxDepth+10, fixarr(1))))},
		{"too deep maps in the event", rec(ts, cat(fixmap(1), fixstr("a"), deepMap(maxDepth+10)))},
		{"too deep in a skipped field", rec(ts, cat(fixmap(2), fixstr("a"), deep(maxDepth+10, fixarr(1)), fixstr("log"), fixstr("{}")))},
		{"too deep in v2 metadata", recV2(ts, deep(maxDepth+10, fixarr(1)), fixmap(0))},
		{"too deep under the log key", rec(ts, cat(fixmap(1), fixstr("log"), fixmap(1), fixstr("a"), deep(maxDepth+10, arr16(1))))},
	} {
		es, err := readAll(tc.chunk, "log")
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %d entries, err %v; want ErrMalformed", tc.name, len(es), err)
		}
	}
	// Deep but within the limit is fine.
	ok := rec(ts, cat(fixmap(1), fixstr("a"), deep(maxDepth-5, fixarr(1))))
	if _, err := readAll(ok, "log"); err != nil {
		t.Errorf("nesting of %d rejected: %v", maxDepth-5, err)
	}
	// After an error the reader stops.
	r := NewReader(append(rec(ts, fixarr(0)), logRec("{}")...), "log")
	if _, err := r.Next(); err == nil || r.More() {
		t.Fatalf("err %v, More %v after an error", err, r.More())
	}
}

// Cut a valid chunk of every form at every byte offset: each prefix decodes
// its complete records and then errors, and never panics.
func TestTruncatedAtEveryOffset(t *testing.T) {
	line := `{"kind":"Event","auditID":"é","n":[1,2.5,-3,null,true],"m":{"k":"v"}}`
	var chunks [][]byte
	for _, form := range []Writer{{}, {V2: true}, {IntTime: true}, {V2: true, IntTime: true}} {
		w := form
		w.AddLine(time.Unix(1, 2), "log", []byte(line))
		w.AddJSON(time.Unix(3, 4), []byte(line))
		w.AddLine(time.Unix(5, 6), "log", []byte(line))
		chunks = append(chunks, append([]byte(nil), w.Bytes()...))
	}
	// And hand-built records with every value type.
	chunks = append(chunks, rec(f64(1.5), cat(fixmap(3), hx(0x01), bin8("b"), fixstr("e"), eventTime(1, 1),
		fixstr("x"), fixarr(4), hx(0xd4, 1, 1), u64(1), str16("s"), map16(1)[:3], fixstr("k"), hx(0xc0))))
	for ci, chunk := range chunks {
		full, err := readAll(chunk, "log")
		if err != nil {
			t.Fatalf("chunk %d: %v", ci, err)
		}
		// Record boundaries.
		bounds := map[int]int{0: 0}
		r := NewReader(chunk, "log")
		for n := 1; r.More(); n++ {
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
			bounds[r.Offset()] = n
		}
		for cut := 0; cut < len(chunk); cut++ {
			es, err := readAll(chunk[:cut], "log")
			if n, atBound := bounds[cut]; atBound {
				if err != nil || len(es) != n {
					t.Errorf("chunk %d cut at record boundary %d: %d entries, %v", ci, cut, len(es), err)
				}
				continue
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("chunk %d cut at %d of %d: no error (%d entries)", ci, cut, len(chunk), len(es))
			}
			for i := range es {
				if !bytes.Equal(es[i].JSON, full[i].JSON) {
					t.Errorf("chunk %d cut at %d: entry %d differs", ci, cut, i)
				}
			}
		}
	}
}

// For real audit log lines, a record that is the event's map (tail with a
// JSON parser) transcodes back to JSON equal to the line.
func TestTranscodeRealLines(t *testing.T) {
	files := []string{"../../testdata/lab-policy.audit.log"}
	if pub := sharedPublic(); pub != "" {
		more, _ := filepath.Glob(filepath.Join(pub, "*.jsonl"))
		files = append(files, more...)
	}
	total := 0
	for _, f := range files {
		for i, line := range jsonObjectLines(t, f) {
			var w Writer
			w.V2 = i%2 == 1
			if err := w.AddJSON(time.Now(), line); err != nil {
				t.Fatalf("%s:%d: %v", f, i+1, err)
			}
			e := readOne(t, w.Bytes(), "log-key-that-is-not-there")
			assertSameJSON(t, e.JSON, line)
			total++
		}
	}
	t.Logf("%d lines from %d files", total, len(files))
	if total < 620 {
		t.Fatalf("only %d lines checked", total)
	}
}

// sharedPublic finds ../shared/testdata/audit/public next to the repository.
func sharedPublic() string {
	dir, err := filepath.Abs("..")
	if err != nil {
		return ""
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(filepath.Dir(d), "shared", "testdata", "audit", "public")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil || filepath.Dir(d) == d {
			return ""
		}
	}
}

func jsonObjectLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) > 0 && l[0] == '{' && json.Valid(l) {
			out = append(out, append([]byte(nil), l...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	if !json.Valid(got) {
		t.Fatalf("invalid JSON: %.300s", got)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON differs:\n got %.400s\nwant %.400s", got, want)
	}
}

func TestAppendMsgpackRoundTrip(t *testing.T) {
	doc := `{"s":"x","i":-5,"big":9007199254740993,"f":0.5,"b":true,"n":null,"a":[1,"two",[3]],"m":{"z":1,"a":2},"long":"` + strings.Repeat("y", 70000) + `"}`
	var w Writer
	if err := w.AddJSON(time.Unix(1, 0), []byte(doc)); err != nil {
		t.Fatal(err)
	}
	e := readOne(t, w.Bytes(), "log")
	assertSameJSON(t, e.JSON, []byte(doc))
	if !bytes.Contains(e.JSON, []byte(`"big":9007199254740993`)) {
		t.Errorf("a 64-bit integer lost precision: %.80s", e.JSON)
	}
	if err := w.AddJSON(time.Now(), []byte(`[1]`)); err == nil {
		t.Error("AddJSON accepted an array")
	}
}

// FuzzChunkReader: whatever the bytes, the decoder never panics; every
// record map it transcodes is valid JSON; and a chunk built from a JSON
// object decodes back to the same JSON.
func FuzzChunkReader(f *testing.F) {
	line := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","stage":"ResponseComplete","verb":"get","user":{"username":"u","groups":["g"]},"responseStatus":{"code":200}}`
	for _, form := range []Writer{{}, {V2: true}, {IntTime: true}} {
		w := form
		w.AddLine(time.Unix(1763779200, 5), "log", []byte(line))
		f.Add(append([]byte(nil), w.Bytes()...))
		w.Reset()
		w.AddJSON(time.Unix(1763779200, 5), []byte(line))
		f.Add(append([]byte(nil), w.Bytes()...))
	}
	f.Add(rec(f64(1.5), cat(fixmap(3), hx(0x01), bin8("b"), fixstr("e"), eventTime(1, 1), fixstr("x"), fixarr(2), hx(0xd4, 1, 1), str8("a\xff"))))
	f.Add([]byte{})
	f.Add([]byte{0x92})
	f.Add([]byte("garbage that is not msgpack"))
	f.Add(cat(arr32(math.MaxUint32), eventTime(1, 1)))
	f.Add([]byte(line)) // a JSON object: also used as one
	f.Fuzz(func(t *testing.T, data []byte) {
		// Any bytes: no panic, and with a log key no record has, every entry
		// is a transcoded map, hence valid JSON.
		r := NewReader(data, "\x00no-such-key")
		for r.More() {
			e, err := r.Next()
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error not ErrMalformed: %v", err)
				}
				break
			}
			if !json.Valid(e.JSON) {
				t.Fatalf("transcoded record is not JSON: %q", e.JSON)
			}
		}
		// With the default key too: no panic.
		readAll(data, "log")
		// The bytes as a JSON object: through a chunk and back.
		var obj map[string]any
		if json.Unmarshal(data, &obj) != nil {
			return
		}
		var w Writer
		if err := w.AddJSON(time.Unix(1, 0), data); err != nil {
			return // e.g. duplicate keys or numbers json.Number cannot hold
		}
		es, err := readAll(w.Bytes(), "\x00no-such-key")
		if err != nil || len(es) != 1 {
			t.Fatalf("chunk from JSON %q: %v", data, err)
		}
		if !json.Valid(es[0].JSON) {
			t.Fatalf("transcoded %q to invalid JSON %q", data, es[0].JSON)
		}
	})
}

// NewReaderCopy gives the documents NewReader gives, each in the reader's
// buffer: none is a view of the chunk, which may be overwritten at once.
func TestReaderCopyKeepsNoViewOfTheChunk(t *testing.T) {
	var w Writer
	line := `{"kind":"Event","auditID":"x"}`
	for i := range 50 {
		if i%2 == 0 {
			w.AddLine(time.Unix(int64(i), 0), "log", []byte(line))
		} else if err := w.AddJSON(time.Unix(int64(i), 0), []byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	chunk := bytes.Clone(w.Bytes())
	want, err := readAll(chunk, "log")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReaderCopy(chunk, "log", nil)
	var got []Entry
	for r.More() {
		e, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := uintptr(unsafe.Pointer(&chunk[0])), uintptr(unsafe.Pointer(&chunk[len(chunk)-1]))
		if p := uintptr(unsafe.Pointer(&e.JSON[0])); p >= lo && p <= hi {
			t.Fatalf("entry %d is a view of the chunk", len(got))
		}
		got = append(got, e)
	}
	for i := range chunk {
		chunk[i] = 'x'
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if !got[i].Time.Equal(want[i].Time) || string(got[i].JSON) != string(want[i].JSON) || !json.Valid(got[i].JSON) {
			t.Fatalf("entry %d: %q, want %q", i, got[i].JSON, want[i].JSON)
		}
	}
}

// A MapDecoder is asked for record maps that do not start with the log key;
// what it gives back is taken, and when it declines (or answers nonsense)
// the Reader's own transcoding stands, whatever it appended.
func TestMapDecoder(t *testing.T) {
	var w Writer
	w.AddLine(time.Unix(1, 0), "log", []byte(`{"a":1}`))
	if err := w.AddJSON(time.Unix(2, 0), []byte(`{"b":"x","log2":[1]}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.AddJSON(time.Unix(3, 0), []byte(`{"c":null}`)); err != nil {
		t.Fatal(err)
	}
	want, err := readAll(w.Bytes(), "log")
	if err != nil {
		t.Fatal(err)
	}
	for _, answer := range []string{"decline", "nonsense", "take"} {
		r := NewReader(w.Bytes(), "log")
		var asked []string
		r.SetMapDecoder(func(buf, rec []byte) ([]byte, int, bool) {
			c := NewCursor(rec)
			n, _ := c.MapLen()
			out := append(buf, '{')
			for i := 0; i < n; i++ {
				if i > 0 {
					out = append(out, ',')
				}
				k, _ := c.Str()
				asked = append(asked, string(k))
				out = append(jsonx.Append(out, k), ':')
				out, _ = c.Transcode(out)
			}
			out = append(out, '}')
			switch answer {
			case "decline":
				return append(out, "junk"...), 0, false
			case "nonsense":
				return out, len(rec) + 1, true
			}
			return out, c.Off(), true
		})
		for i := range want {
			e, err := r.Next()
			if err != nil || string(e.JSON) != string(want[i].JSON) || !e.Time.Equal(want[i].Time) {
				t.Fatalf("%s: record %d: %q %v, want %q", answer, i, e.JSON, err, want[i].JSON)
			}
			if e.Decoded != (answer == "take" && i > 0) {
				t.Fatalf("%s: record %d: Decoded %v", answer, i, e.Decoded)
			}
		}
		if r.More() {
			t.Fatalf("%s: records left", answer)
		}
		if strings.Join(asked, ",") != "b,log2,c" {
			t.Fatalf("%s: asked for keys %v (never for a {log: line} record)", answer, asked)
		}
	}
}
