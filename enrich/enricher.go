package enrich

import (
	"encoding/json"
	"fmt"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
)

// Drop reasons: why an event is not shipped. Each is counted by the pipeline.
const (
	DropNone     = ""
	DropStage    = "stage_filtered"
	DropPolicy   = "policy_level_none"
	DropNotAudit = "not_audit_event"
)

// Enricher turns decoded events into shippable records. It is built once per
// plugin instance and is read-only afterwards: safe for concurrent flushes.
type Enricher struct {
	cfg    conf.Enrich
	stages map[auditv1.Stage]bool
	redact *redact.Redactor
}

// New builds an Enricher from validated configuration.
func New(e conf.Enrich, r conf.Redact) (*Enricher, error) {
	red, err := redact.New(r)
	if err != nil {
		return nil, err
	}
	en := &Enricher{cfg: e, stages: map[auditv1.Stage]bool{}, redact: red}
	for _, s := range e.Stages {
		en.stages[auditv1.Stage(s)] = true
	}
	return en, nil
}

// Enrich filters, re-levels and enriches one event in place. It returns the
// record to ship, or a drop reason.
func (en *Enricher) Enrich(ev *auditv1.Event) (*Record, string) {
	if !en.shipStage(ev) {
		return nil, DropStage
	}
	rec := &Record{Event: ev}
	// Secrets go before anything reads the event. A body that cannot be
	// walked is replaced whole and the event annotated (redact.Annotation).
	rec.Enrichment.Redactions = en.redact.Event(ev).Redactions
	en.summarise(rec)
	return rec, DropNone
}

// shipStage applies the stages property. ResponseStarted of exec, attach and
// portforward is always shipped: those connections may stay open for hours
// and their ResponseComplete then comes far too late to alert on.
func (en *Enricher) shipStage(ev *auditv1.Event) bool {
	if en.stages[ev.Stage] {
		return true
	}
	if ev.Stage == auditv1.StageResponseStarted && ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" {
		switch ev.ObjectRef.Subresource {
		case "exec", "attach", "portforward":
			return true
		}
	}
	return false
}

func (en *Enricher) summarise(rec *Record) {
	ev, e := rec.Event, &rec.Enrichment
	sev := SeverityInfo
	e.Severity, e.SeverityID = sev.String(), int(sev)
	e.Level = string(ev.Level)
	e.Cluster, e.Node = en.cfg.ClusterName, en.cfg.NodeName

	e.Who = Who{User: ev.User.Username, Groups: ev.User.Groups, SourceIPs: ev.SourceIPs, UserAgent: ev.UserAgent}
	if ns, name, ok := strings.Cut(strings.TrimPrefix(ev.User.Username, "system:serviceaccount:"), ":"); ok && strings.HasPrefix(ev.User.Username, "system:serviceaccount:") {
		e.Who.ServiceAccountNamespace, e.Who.ServiceAccountName = ns, name
	}
	if ev.ImpersonatedUser != nil {
		e.Who.ImpersonatedUser = ev.ImpersonatedUser.Username
	}
	e.What = What{Verb: ev.Verb}
	if r := ev.ObjectRef; r != nil {
		e.What.Resource, e.What.Subresource, e.What.Name, e.What.Namespace = r.Resource, r.Subresource, r.Name, r.Namespace
		e.What.APIGroup, e.What.APIVersion = r.APIGroup, r.APIVersion
	} else {
		e.What.NonResourceURL = ev.RequestURI
	}
	e.Where = Where{Cluster: en.cfg.ClusterName, Node: en.cfg.NodeName, SourceIPs: ev.SourceIPs}
	if s := ev.ResponseStatus; s != nil {
		e.Result.Code, e.Result.Status, e.Result.Reason = s.Code, s.Status, string(s.Reason)
	}
	e.Result.Decision = ev.Annotations["authorization.k8s.io/decision"]
	e.Result.DecisionReason = ev.Annotations["authorization.k8s.io/reason"]
	e.Result.Allowed = e.Result.Code > 0 && e.Result.Code < 400
	if !ev.RequestReceivedTimestamp.IsZero() && !ev.StageTimestamp.IsZero() {
		e.Result.LatencyMS = float64(ev.StageTimestamp.Sub(ev.RequestReceivedTimestamp.Time).Microseconds()) / 1000
	}
	e.Summary = summary(ev, e)
}

// summary is the one-line sentence an analyst reads first.
func summary(ev *auditv1.Event, e *Enrichment) string {
	var b strings.Builder
	who := e.Who.User
	if who == "" {
		who = "unauthenticated client"
	}
	b.WriteString(who)
	if e.Who.ImpersonatedUser != "" {
		fmt.Fprintf(&b, " as %s", e.Who.ImpersonatedUser)
	}
	b.WriteByte(' ')
	b.WriteString(ev.Verb)
	if e.What.Resource != "" {
		b.WriteByte(' ')
		b.WriteString(e.What.Resource)
		if e.What.Subresource != "" {
			b.WriteByte('/')
			b.WriteString(e.What.Subresource)
		}
		if e.What.Name != "" {
			b.WriteByte(' ')
			b.WriteString(e.What.Name)
		}
		if e.What.Namespace != "" {
			fmt.Fprintf(&b, " in %s", e.What.Namespace)
		}
	} else if e.What.NonResourceURL != "" {
		b.WriteByte(' ')
		b.WriteString(e.What.NonResourceURL)
	}
	if len(ev.SourceIPs) > 0 {
		fmt.Fprintf(&b, " from %s", ev.SourceIPs[0])
	}
	outcome := "allowed"
	if !e.Result.Allowed {
		outcome = "failed"
		if e.Result.Code == 401 || e.Result.Code == 403 || e.Result.Decision == "forbid" {
			outcome = "denied"
		}
	}
	if e.Result.Code != 0 {
		fmt.Fprintf(&b, ": %s, %d", outcome, e.Result.Code)
	}
	return b.String()
}

// Encode appends the record's message value in the configured format.
func (en *Enricher) Encode(dst []byte, rec *Record) ([]byte, error) {
	ev, err := json.Marshal(rec.Event)
	if err != nil {
		return dst, fmt.Errorf("encode event: %w", err)
	}
	enr, err := json.Marshal(&rec.Enrichment)
	if err != nil {
		return dst, fmt.Errorf("encode enrichment: %w", err)
	}
	// The event is a JSON object: splice the enrichment in before its end.
	dst = append(dst, ev[:len(ev)-1]...)
	dst = append(dst, `,"enrichment":`...)
	dst = append(dst, enr...)
	return append(dst, '}'), nil
}
