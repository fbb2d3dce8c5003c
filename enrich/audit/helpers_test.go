package audit

import (
	"os"
	"path/filepath"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
)

// labLog is the real kube-apiserver 1.32 log, part of the repository.
const labLog = "../../testdata/lab-policy.audit.log"

// The package's own test helpers: enrich/internal/audittest decodes with
// this package, so these tests cannot import it.

func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	ls, err := benchmix.ReadLines(name)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

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

func publicCorpus(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../../../shared/testdata/audit/public")
	if err == nil {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	t.Skip("../shared/testdata/audit/public is absent")
	return ""
}

// decodeEvents is decode without the exact bytes.
func decodeEvents(doc []byte, dst []auditv1.Event, fast bool) ([]auditv1.Event, error) {
	evs, _, _, err := decodeAny(doc, dst, nil, fast, nil)
	return evs, err
}
