package enrich

import (
	"encoding/json"
	"sync"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/internal/audittest"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// labLog is the real kube-apiserver 1.32 log, part of the repository.
const labLog = "../testdata/lab-policy.audit.log"

// falcoFile holds Falco's k8s-audit trace files (see testdata/README.md).
const falcoFile = "testdata/falco_trace_files.jsonl"

// allStages ships every stage.
var allStages = []string{"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"}

// The shared selectors and builders (enrich/internal/audittest).
var (
	falco         = audittest.Falco
	sample        = audittest.Sample
	impersonating = audittest.Impersonating
	line          = audittest.Line
	user          = audittest.User
	and           = audittest.And
	res           = audittest.Res
	code          = audittest.Code
	stage         = audittest.Stage
	uri           = audittest.URI
	readLines     = audittest.ReadLines
	decodeFile    = audittest.DecodeFile
)

var (
	labOnce sync.Once
	labEvs  []auditv1.Event
)

// lab returns a copy of the first lab-log event that satisfies f.
func lab(t testing.TB, f audittest.Filter) auditv1.Event {
	t.Helper()
	labOnce.Do(func() { labEvs = decodeFile(t, labLog) })
	return audittest.Find(t, labEvs, f)
}

func newEnricher(t testing.TB, e Config) *Enricher {
	t.Helper()
	if e.NodeName == "" {
		e.NodeName = "node-1"
	}
	en, err := New(e, redact.Config{})
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

// labEv is a builder of the first lab-log event that every filter selects.
func labEv(fs ...audittest.Filter) func(testing.TB) auditv1.Event {
	return func(t testing.TB) auditv1.Event { return lab(t, and(fs...)) }
}
