package format

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/benchmix"
)

// labLog is the real kube-apiserver 1.32 log, part of the repository.
const labLog = "../../testdata/lab-policy.audit.log"

// readLines returns the non-empty lines of a file.
func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	ls, err := benchmix.ReadLines(name)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// line returns event n (1-based line) of a file, decoded by encoding/json:
// the encoders are tested apart from the project's own decoder.
func line(t testing.TB, name string, n int) auditv1.Event {
	t.Helper()
	ls := readLines(t, name)
	if n < 1 || n > len(ls) {
		t.Fatalf("%s has no line %d", name, n)
	}
	var ev auditv1.Event
	if err := json.Unmarshal(ls[n-1], &ev); err != nil {
		t.Fatalf("%s:%d: %v", name, n, err)
	}
	return ev
}

// publicCorpus returns the directory of the shared public samples, or skips.
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
