package redact_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
)

// repoRoot is the module root (two levels above this package).
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// publicCorpus is ../shared/testdata/audit/public next to the repository, or
// "" when absent (fresh clone).
func publicCorpus(t testing.TB) string {
	dir := filepath.Join(repoRoot(t), "..", "shared", "testdata", "audit", "public")
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		return ""
	}
	return dir
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corpusRun ships every line of a file through the Enricher and returns,
// per 1-based line, the redaction paths and the shipped message. It also
// redacts each event directly and reports, per line, whether any field the
// redactor may touch changed.
func corpusRun(t *testing.T, path string) (red map[int][]string, msgs map[int]string, changed map[int]bool) {
	en := enricher(t, map[string]string{"redaction_mode": "mask"})
	r, err := redact.New(redact.Config{Mode: redact.Mask})
	if err != nil {
		t.Fatal(err)
	}
	red, msgs, changed = map[int][]string{}, map[int]string{}, map[int]bool{}
	for i, l := range readLines(t, path) {
		out, recs := ship(t, en, []byte(l))
		var all []string
		for _, r := range recs {
			all = append(all, r.Enrichment.Redactions...)
		}
		if len(all) > 0 {
			red[i+1] = all
		}
		msgs[i+1] = string(out[0])

		pristine, err := audit.Decode([]byte(l), nil)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := audit.Decode([]byte(l), nil)
		for j := range evs {
			r.Event(&evs[j])
			if string(touched(t, &evs[j])) != string(touched(t, &pristine[j])) {
				changed[i+1] = true
			}
		}
	}
	return red, msgs, changed
}

// touched is every field the redactor may change.
func touched(t *testing.T, e *auditv1.Event) []byte {
	b, err := json.Marshal([]any{e.RequestURI, e.Annotations, e.RequestObject, e.ResponseObject, e.ResponseStatus, e.User})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The lab log of a real apiserver holds no secret value: nothing may be
// redacted, not one byte changed.
func TestCorpusLabLogNoFalsePositive(t *testing.T) {
	red, _, changed := corpusRun(t, filepath.Join(repoRoot(t), "testdata", "lab-policy.audit.log"))
	for line, paths := range red {
		t.Errorf("line %d: redacted %q (the lab log holds no secret value)", line, paths)
	}
	for line := range changed {
		t.Errorf("line %d changed", line)
	}
}

// The public samples: exactly the credential lines of the Falco ConfigMap
// fixtures are redacted (SOURCES.md, "Credential-like values"); every
// "must not redact" value stays, byte for byte.
func TestCorpusPublic(t *testing.T) {
	dir := publicCorpus(t)
	if dir == "" {
		t.Skip("../shared/testdata/audit/public absent")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(files) < 9 {
		t.Fatalf("corpus has %d files, want 9", len(files))
	}
	const falco = "falcosecurity-falco_k8s_audit_trace_files.jsonl"
	for _, f := range files {
		base := filepath.Base(f)
		red, msgs, changed := corpusRun(t, f)
		for line := range msgs {
			want := []string(nil)
			if base == falco && line >= 12 && line <= 17 {
				want = []string{`requestObject.data["access.properties"]`, `responseObject.data["access.properties"]`}
				for _, v := range []string{"= MY-ID", "= MY-KEY"} {
					if strings.Contains(msgs[line], v) {
						t.Errorf("%s:%d: %q shipped", base, line, v)
					}
				}
				if !strings.Contains(msgs[line], `color.good=purple\ncolor.bad=yellow`) {
					t.Errorf("%s:%d: ui.properties lost", base, line)
				}
			}
			if fmt.Sprint(red[line]) != fmt.Sprint(want) {
				t.Errorf("%s:%d: redactions %q, want %q", base, line, red[line], want)
			}
			if want == nil && changed[line] {
				t.Errorf("%s:%d: event changed without a secret in it", base, line)
			}
		}
		// The must-not-redact list of SOURCES.md, checked by value too.
		keep := map[int][]string{}
		switch base {
		case falco:
			for _, l := range []int{20, 21, 22, 23, 24, 25, 26, 27, 28} {
				keep[l] = []string{`"secretName":"default-token-g2sp7"`}
			}
			keep[31] = []string{`"secretName":"default-token-9m2xw"`}
			keep[32] = []string{`"secretName":"default-token-swtbm"`}
		case "openshift-cluster-logging-operator_apiaudit_audit_in.jsonl":
			keep[5] = []string{`"secretName":"multus-admission-controller-secret"`}
			keep[13] = []string{`"secretName":"serving-cert"`, `"name":"IMAGE_OAUTH_SERVER","value":"quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:f79b93`, `"value":"4.12.14_openshift"`}
			keep[14] = []string{`"bearerTokenFile":"/var/run/secrets/`}
			keep[82] = []string{`"ca-bundle.crt":"-----BEGIN CERTIFICATE-----`}
			keep[96] = []string{`"service.alpha.openshift.io/serving-cert-secret-name":"`}
			keep[97] = []string{`"ca-bundle.crt":"# ACCVRAIZ1\n-----BEGIN CERTIFICATE-----`}
			keep[99] = keep[97]
		case "openshift-cluster-logging-operator_syslog_test_2021.jsonl":
			for _, l := range []int{1, 2, 3, 8, 9, 10} {
				keep[l] = []string{`"authentication.k8s.io/legacy-token":"`}
			}
		}
		for line, vals := range keep {
			for _, v := range vals {
				if !strings.Contains(msgs[line], v) {
					t.Errorf("%s:%d: %s missing from the shipped message", base, line, v)
				}
			}
		}
	}
}
