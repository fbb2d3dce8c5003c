package enrich

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// labLog is the real kube-apiserver 1.32 log, part of the repository.
const labLog = "../testdata/lab-policy.audit.log"

// readLines returns the non-empty lines of a file.
func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	if ls, ok := linesCache.Load(name); ok {
		return ls.([][]byte)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, append([]byte(nil), l...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	linesCache.Store(name, out)
	return out
}

// linesCache keeps test files read once per test binary.
var linesCache sync.Map

// decodeFile decodes every line of a JSON Lines file of audit events.
func decodeFile(t testing.TB, name string) []auditv1.Event {
	t.Helper()
	var evs []auditv1.Event
	for i, l := range readLines(t, name) {
		var err error
		if evs, err = Decode(l, evs); err != nil {
			t.Fatalf("%s:%d: %v", name, i+1, err)
		}
	}
	return evs
}

// line returns event n (1-based line) of a file, decoded.
func line(t testing.TB, name string, n int) auditv1.Event {
	t.Helper()
	ls := readLines(t, name)
	if n < 1 || n > len(ls) {
		t.Fatalf("%s has no line %d", name, n)
	}
	evs, err := Decode(ls[n-1], nil)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%s:%d: %v", name, n, err)
	}
	return evs[0]
}

// publicCorpus returns the directory of the shared public samples, or skips.
func publicCorpus(t testing.TB) string {
	t.Helper()
	for _, rel := range []string{"../../shared/testdata/audit/public", "../../../shared/testdata/audit/public"} {
		dir, err := filepath.Abs(rel)
		if err != nil {
			continue
		}
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	t.Skip("../shared/testdata/audit/public is absent")
	return ""
}

func newEnricher(t testing.TB, e conf.Enrich) *Enricher {
	t.Helper()
	if e.NodeName == "" {
		e.NodeName = "node-1"
	}
	en, err := New(e, conf.Redact{})
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// marshalRecord is the native message as encoding/json writes it: the event
// with the enrichment as its last member (output/format's reference).
func marshalRecord(rec *record.Record) ([]byte, error) {
	ev, err := json.Marshal(rec.Event)
	if err != nil {
		return nil, err
	}
	enr, err := json.Marshal(&rec.Enrichment)
	if err != nil {
		return nil, err
	}
	return append(append(append(ev[:len(ev)-1], `,"enrichment":`...), enr...), '}'), nil
}
