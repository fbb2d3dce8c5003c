package redact_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
)

// The outsiders' corpus (testdata/outsiders.audit.log): events as a
// kube-apiserver logs them, written the way operators' tools really carry
// credentials (Argo parameters, Keycloak realms, Kong and Traefik headers,
// nginx snippets, a Helm release, kubeconfig exec env, redis.conf, haproxy,
// .netrc, settings.xml, Alertmanager, exec commands, container args, 422
// echoes, admission denials, webhook audit annotations, user.extra,
// termination messages, vendor tokens, connection strings) and decoys that
// must survive (numbers, Secret names, key file paths, certificates, CSRs,
// public keys, JWKS, continue tokens, digests, checksums, git SHAs,
// passwordPolicy, tokenTTL, audiences). testdata/outsiders.expect.json
// lists, per auditID, the planted values and the decoys.
type expectation struct {
	Secrets []string `json:"secrets"`
	Keep    []string `json:"keep"`
}

func outsiders(t *testing.T) ([]string, map[string]expectation) {
	lines := readLines(t, filepath.Join("testdata", "outsiders.audit.log"))
	b, err := os.ReadFile(filepath.Join("testdata", "outsiders.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]expectation
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	return lines, exp
}

func auditID(t *testing.T, line string) string {
	var e struct {
		AuditID string `json:"auditID"`
	}
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	return e.AuditID
}

func TestOutsidersCorpus(t *testing.T) {
	lines, exp := outsiders(t)
	planted, decoys := 0, 0
	for _, m := range modes() {
		for _, strategy := range []string{"detect", "strict"} {
			for _, f := range formats {
				props := map[string]string{"format": f, "redaction_strategy": strategy}
				for k, v := range m {
					props[k] = v
				}
				en := enricher(t, props)
				for i, l := range lines {
					id := auditID(t, l)
					want, ok := exp[id]
					if !ok {
						t.Fatalf("line %d: %s has no expectation", i+1, id)
					}
					out, _ := ship(t, en, []byte(l))
					msg := []byte(strings.Join(func() []string {
						var s []string
						for _, o := range out {
							s = append(s, string(o))
						}
						return s
					}(), "\n"))
					for _, s := range want.Secrets {
						if why := leaks(msg, s); why != "" {
							t.Errorf("%s %s %s line %d: planted value %.6s… shipped: %s", m["redaction_mode"], strategy, f, i+1, s, why)
						}
					}
					// Decoys: in native format, detect strategy, where the
					// body is shipped as logged (strict mode masks bodies).
					if f == "native" && strategy == "detect" && m["redaction_mode"] == "mask" {
						for _, k := range want.Keep {
							q, _ := json.Marshal(k) // bodies re-serialised escape <, >, &
							if !strings.Contains(string(msg), k) && !strings.Contains(string(msg), string(q[1:len(q)-1])) {
								t.Errorf("line %d: decoy %q destroyed\n%s", i+1, k, short(msg))
							}
						}
						planted += len(want.Secrets)
						decoys += len(want.Keep)
					}
				}
			}
		}
	}
	t.Logf("%d events, %d planted values, %d decoys", len(lines), planted, decoys)
}

// FuzzOutsiders: events of the outsiders' corpus, mutated: whatever the
// bytes, redaction never panics and redacting twice equals redacting once,
// in both strategies.
func FuzzOutsiders(f *testing.F) {
	for _, l := range readLines(f, filepath.Join("testdata", "outsiders.audit.log")) {
		f.Add([]byte(l))
	}
	ens := []*shipper{
		enricher(f, map[string]string{"redaction_mode": "mask"}),
		enricher(f, map[string]string{"redaction_mode": "hash", "redaction_hmac_key": hmacKey, "redaction_strategy": "strict"}),
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		evs, err := audit.Decode(doc, nil)
		if err != nil || len(evs) != 1 {
			return
		}
		for _, en := range ens {
			ev := evs[0]
			rec, drop := en.Enrich(&ev)
			if drop != enrich.DropNone {
				continue
			}
			once := eventJSON(t, rec.Event)
			evs2, err := audit.Decode(once, nil)
			if err != nil || len(evs2) != 1 {
				t.Fatalf("redacted event does not decode: %v", err)
			}
			rec2, _ := en.Enrich(&evs2[0])
			if twice := eventJSON(t, rec2.Event); string(twice) != string(once) {
				t.Fatalf("not idempotent:\n1: %s\n2: %s", once, twice)
			}
		}
	})
}
