package rules

import (
	"sync"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/internal/audittest"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// labLog is the real kube-apiserver 1.32 log, part of the repository.
const labLog = "../../testdata/lab-policy.audit.log"

// The shared selectors and builders (enrich/internal/audittest).
var (
	falco         = audittest.Falco
	sample        = audittest.Sample
	user          = audittest.User
	and           = audittest.And
	res           = audittest.Res
	code          = audittest.Code
	stage         = audittest.Stage
	uri           = audittest.URI
	impersonating = audittest.Impersonating
	withBody      = audittest.WithBody
	obj           = audittest.Obj
	mk            = audittest.Mk
	readLines     = audittest.ReadLines
	decodeFile    = audittest.DecodeFile
	line          = audittest.Line
	publicCorpus  = audittest.PublicCorpus
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

// testEnricher evaluates a rule set as the Enricher does (a view per event,
// the rules over it), without the stages, policy, redaction and summaries
// that are not the rules' business.
type testEnricher struct{ *RuleSet }

// newRules loads the default rules and rulesFile (when not "") in mode.
func newRules(t testing.TB, rulesFile, mode string) *testEnricher {
	t.Helper()
	rs, err := Load(rulesFile, mode)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnricher{rs}
}

// Enrich returns the record of ev with the rules' verdict; never a drop.
func (en *testEnricher) Enrich(ev *auditv1.Event) (*record.Record, string) {
	rec := &record.Record{Event: ev}
	var v audit.View
	audit.NewView(ev, &v)
	en.Evaluate(&v, &rec.Enrichment)
	return rec, ""
}

// labEv is a builder of the first lab-log event that every filter selects.
func labEv(fs ...audittest.Filter) func(testing.TB) auditv1.Event {
	return func(t testing.TB) auditv1.Event { return lab(t, and(fs...)) }
}
