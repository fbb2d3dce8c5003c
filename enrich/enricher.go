package enrich

import (
	"sync"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/policy"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/rules"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/summary"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Drop reasons: why an event is not shipped. Each is counted by the pipeline.
const (
	DropNone     = ""
	DropStage    = "stage_filtered"
	DropPolicy   = policy.DropLevelNone
	DropNotAudit = "not_audit_event"
	// DropPolicyStage: the node-side policy's omitStages lists the event's stage.
	DropPolicyStage = policy.DropOmitStage
)

// Enricher turns decoded events into shippable records. It is built once per
// plugin instance and is read-only afterwards: safe for concurrent flushes.
type Enricher struct {
	cfg    Config
	stages map[auditv1.Stage]bool
	rules  *rules.RuleSet
	policy *policy.Relevel // nil without policy_file
	redact *redact.Redactor
	tapes  sync.Pool // *audit.Tapes: each event's bodies are read once, into one of them
}

// New builds an Enricher: it validates e, compiles the rules (embedded
// defaults and the rules file) and loads the policy file. A bad rule or
// policy is an error naming the file and the rule.
func New(e Config, r redact.Config) (*Enricher, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	red, err := redact.New(r)
	if err != nil {
		return nil, err
	}
	en := &Enricher{cfg: e, stages: map[auditv1.Stage]bool{}, redact: red}
	stages := e.Stages
	if len(stages) == 0 {
		stages = []string{string(auditv1.StageResponseComplete), string(auditv1.StagePanic)}
	}
	for _, s := range stages {
		en.stages[auditv1.Stage(s)] = true
	}
	var l fielderr.List
	if en.rules, err = rules.Load(e.RulesFile, e.RulesMode); err != nil {
		l.Add("enrich.RulesFile", err)
	}
	if e.PolicyFile != "" {
		if en.policy, err = policy.Load(e.PolicyFile); err != nil {
			l.Add("enrich.PolicyFile", err)
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return en, nil
}

// Rules returns the ids of the active (enabled) rules, in evaluation order.
func (en *Enricher) Rules() []string {
	return en.rules.IDs()
}

// Enrich filters, re-levels and enriches one event in place. It returns the
// record to ship, or a drop reason.
func (en *Enricher) Enrich(ev *auditv1.Event) (*record.Record, string) {
	rec := new(record.Record)
	if drop := en.EnrichInto(rec, ev, record.Raw{}); drop != DropNone {
		return nil, drop
	}
	return rec, DropNone
}

// EnrichInto is Enrich writing the record into *rec (overwritten whole but
// for rec.Text, where the summary goes), so that a caller handling one event
// at a time reuses one Record. raw, when raw.Bytes is not nil, is the
// event's exact bytes (audit.DecodeRaw): the record keeps them, with the set
// of members the policy, redaction or Truncate changed since (changes.go).
// It returns the drop reason, DropNone for a record to ship.
func (en *Enricher) EnrichInto(rec *record.Record, ev *auditv1.Event, raw record.Raw) string {
	return en.EnrichTapes(rec, ev, raw, nil)
}

// EnrichTapes is EnrichInto for an event whose bodies the decoder has read
// into tapes already (audit.Arena.TapesOf): the rules and the redactor read
// them there, and any body not read yet is read into them. They stay their
// owner's. With tapes nil, the enricher uses tapes of its own.
func (en *Enricher) EnrichTapes(rec *record.Record, ev *auditv1.Event, raw record.Raw, tapes *audit.Tapes) string {
	*rec = record.Record{Text: rec.Text}
	if !en.shipStage(ev) {
		return DropStage
	}
	rec.Event, rec.Raw = ev, raw
	var was before
	if raw.Bytes != nil {
		was.take(ev)
	}
	var v audit.View
	if tapes == nil {
		tapes, _ = en.tapes.Get().(*audit.Tapes)
		if tapes == nil {
			tapes = new(audit.Tapes)
		}
		defer en.putTapes(tapes)
	}
	v.UseTapes(tapes) // the rules' and the redactor's read of each body
	audit.NewView(ev, &v)
	rec.Enrichment.Level = string(ev.Level)
	if en.policy != nil {
		drop, changed := en.policy.Apply(ev, &v, &rec.Enrichment)
		if drop != DropNone {
			return drop
		}
		if changed && rec.Raw.Bytes != nil {
			// The policy lowers the level, drops bodies, replaces them
			// without managedFields: all found by comparing.
			if rec.Changed = was.compared(ev); rec.Changed == 0 {
				rec.Raw.Bytes = nil // a change not told: re-encode
			}
		}
		rec.Enrichment.Level = string(ev.Level)
	}
	// Rules read the event as logged (configmap_credentials looks at values).
	en.rules.Evaluate(&v, &rec.Enrichment)
	if r := ev.ObjectRef; en.cfg.Images && r != nil && r.Resource == "pods" && r.Subresource == "" && ev.RequestObject != nil {
		rec.Images = v.Images() // the rules' parse of the body, if they made one
	}
	// Secrets go after re-levelling (bodies it strips are not walked) and the
	// rules (which only name what matched), and before the summary, which
	// quotes the request URI's exec command. A body that cannot be walked is
	// replaced whole and the event annotated (redact.Annotation).
	res := en.redact.EventView(ev, &v)
	rec.Enrichment.Redactions = res.Redactions
	if (len(res.Redactions) > 0 || res.BodyRemoved) && rec.Raw.Bytes != nil {
		// The members redacted are re-encoded, from the event as it is now.
		if s, ok := redactedMembers(&res); ok {
			rec.Changed |= s | was.compared(ev)
		} else {
			rec.Raw.Bytes = nil // a path placed in no member: re-encode
		}
	}
	summary.Fill(&v, &rec.Enrichment, summary.Place{Cluster: en.cfg.ClusterName, Node: en.cfg.NodeName}, &rec.Text)
	return DropNone
}

func (en *Enricher) putTapes(t *audit.Tapes) {
	t.Reset()
	en.tapes.Put(t)
}

// shipStage applies the stages property, with two exceptions that are always
// shipped at ResponseStarted, because for them no ResponseComplete comes in
// time (or at all):
//   - pods/exec, pods/attach and pods/portforward: those connections stay
//     open for minutes or hours, and their ResponseComplete is written only
//     when they close;
//   - a request rejected by authentication (401): the apiserver writes only
//     a ResponseStarted event for it.
func (en *Enricher) shipStage(ev *auditv1.Event) bool {
	if en.stages[ev.Stage] {
		return true
	}
	if ev.Stage != auditv1.StageResponseStarted {
		return false
	}
	if ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" {
		switch ev.ObjectRef.Subresource {
		case "exec", "attach", "portforward":
			return true
		}
	}
	return ev.ResponseStatus != nil && ev.ResponseStatus.Code == 401
}

// Truncate removes the request and response bodies of a record that is too
// large to ship, marks the event with the annotation audit.k8s.io/truncated
// and sets enrichment.truncated. Who, what and the severity stay.
func (en *Enricher) Truncate(rec *record.Record) {
	ev := rec.Event
	ev.RequestObject, ev.ResponseObject = nil, nil
	if ev.Annotations == nil {
		ev.Annotations = map[string]string{}
	}
	ev.Annotations[audit.AnnotationTruncated] = "true"
	rec.Enrichment.Truncated = true
	rec.Changed |= 1<<record.MemberRequestObject | 1<<record.MemberResponseObject | 1<<record.MemberAnnotations
}
