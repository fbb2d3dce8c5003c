package correlate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Alert is one correlation finding: the native alert message.
type Alert struct {
	// AlertID is deterministic: rule, group key and window start. A
	// replay after a crash or rebalance raises the same id.
	AlertID     string   `json:"alert_id"`
	Rule        string   `json:"rule"`
	Description string   `json:"description,omitempty"`
	Severity    string   `json:"severity"`
	SeverityID  int      `json:"severity_id"`
	Attack      []string `json:"attack,omitempty"`
	Group       Group    `json:"group"`
	Window      Window   `json:"window"`
	// Count: the events counted (threshold) or the steps seen (sequence, 2).
	Count    int       `json:"count"`
	Distinct *Distinct `json:"distinct,omitempty"`
	// AuditIDs of the contributing events: the first MaxAuditIDs, and
	// their total.
	AuditIDs      []string `json:"audit_ids"`
	AuditIDsTotal int      `json:"audit_ids_total"`
	SourceIPs     []string `json:"source_ips,omitempty"`
	Users         []string `json:"users,omitempty"`
	Summary       string   `json:"summary"`
}

// Group is the group key of the alert.
type Group struct {
	By    string `json:"by"`
	Value string `json:"value"`
}

// Window is the window of the alert: a threshold's aligned window, or a
// sequence's first step and the end of its window.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Distinct are the distinct values counted.
type Distinct struct {
	Field string `json:"field"`
	Count int    `json:"count"`
	// Values: the first ones seen (at most 20).
	Values []string `json:"values"`
}

// AlertID is the deterministic id of an alert: a hash of the rule, the group
// key and the window start.
func AlertID(rule, by, value string, start time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", rule, by, value, start.UTC().Format(time.RFC3339Nano))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func newAlert(r *Rule, key string, start, end time.Time) *Alert {
	return &Alert{AlertID: AlertID(r.ID, r.GroupBy, key, start), Rule: r.ID, Description: r.Description,
		Severity: r.Severity.String(), SeverityID: int(r.Severity), Attack: r.Attack,
		Group: Group{By: r.GroupBy, Value: key}, Window: Window{Start: start.UTC(), End: end.UTC()}}
}

func thresholdAlert(r *Rule, key string, w *window) *Alert {
	a := newAlert(r, key, w.start, w.end)
	a.Count = w.count
	a.AuditIDs = append([]string(nil), w.auditIDs...)
	a.AuditIDsTotal = w.count
	a.SourceIPs = append([]string(nil), w.ips...)
	a.Users = append([]string(nil), w.users...)
	what := fmt.Sprintf("%d matching requests", w.count)
	if w.distinct != nil {
		a.Distinct = &Distinct{Field: r.Distinct, Count: len(w.distinct), Values: append([]string(nil), w.values...)}
		what = fmt.Sprintf("%d distinct %s values (%d requests)", len(w.distinct), r.Distinct, w.count)
		if len(w.values) > 0 {
			what += ": " + list(w.values, 5)
		}
	}
	desc := r.Description
	if desc == "" {
		desc = r.ID
	}
	a.Summary = fmt.Sprintf("%s %s made %s within %s (threshold %d) between %s and %s: %s",
		r.GroupBy, key, what, r.Window, r.Threshold, w.start.UTC().Format("15:04:05"), w.end.UTC().Format("15:04:05Z"), firstSentence(desc))
	return a
}

func sequenceAlert(r *Rule, key string, f *first, ev *Event) *Alert {
	a := newAlert(r, key, f.time, f.time.Add(r.Window))
	a.Count = 2
	a.AuditIDs = []string{f.auditID, strings.Clone(ev.AuditID())}
	a.AuditIDsTotal = 2
	a.SourceIPs = addListed(addListed(nil, f.ip), ev.SourceIP())
	a.Users = addListed(addListed(nil, f.user), ev.User())
	n0, n1 := r.stepNames[0], r.stepNames[1]
	if n0 == "" {
		n0 = "step 1"
	}
	if n1 == "" {
		n1 = "step 2"
	}
	a.Summary = fmt.Sprintf("%s %s: %s (%s) at %s, then %s (%s) %s later: %s",
		r.GroupBy, key, n0, f.summary, f.time.UTC().Format(time.RFC3339), n1, stepWhat(ev),
		ev.Time.Sub(f.time).Round(time.Second), firstSentence(r.Description))
	return a
}

// stepWhat says who did what of one step.
func stepWhat(ev *Event) string {
	v := &ev.View
	s := fmt.Sprintf("%s %s %s", orDash(ev.User()), v.Verb, resourcePath(v))
	if n := objectName(v); n != "" {
		if v.Namespace != "" {
			n = v.Namespace + "/" + n
		}
		s += " " + n
	}
	if ip := ev.SourceIP(); ip != "" {
		s += " from " + ip
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func list(v []string, n int) string {
	if len(v) <= n {
		return strings.Join(v, ", ")
	}
	return strings.Join(v[:n], ", ") + ", …"
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// Format is the alert message schema.
type Format string

const (
	FormatNative Format = "native"
	FormatECS    Format = "ecs"
	FormatOCSF   Format = "ocsf"
)

// Formats lists the alert formats.
func Formats() []string { return []string{string(FormatNative), string(FormatECS), string(FormatOCSF)} }

// Encode writes the alert in format f.
func (a *Alert) Encode(f Format) ([]byte, error) {
	switch f {
	case FormatECS:
		return json.Marshal(a.ecs())
	case FormatOCSF:
		return json.Marshal(a.ocsf())
	}
	return json.Marshal(a)
}

func (a *Alert) ecs() map[string]any {
	techniques := make([]map[string]any, 0, len(a.Attack))
	for _, t := range a.Attack {
		techniques = append(techniques, map[string]any{"id": t, "reference": "https://attack.mitre.org/techniques/" + strings.ReplaceAll(t, ".", "/") + "/"})
	}
	m := map[string]any{
		"@timestamp": a.Window.Start.Format(time.RFC3339Nano),
		"message":    a.Summary,
		"event": map[string]any{
			"kind": "alert", "category": []string{"intrusion_detection"}, "type": []string{"indicator"},
			"id": a.AlertID, "severity": a.SeverityID, "start": a.Window.Start, "end": a.Window.End,
			"dataset": "kube_audit_kafka.correlation", "module": "kube_audit_kafka",
		},
		"rule":             map[string]any{"id": a.Rule, "name": a.Rule, "description": a.Description},
		"log":              map[string]any{"level": a.Severity},
		"threat":           map[string]any{"framework": "MITRE ATT&CK", "technique": techniques},
		"related":          map[string]any{"ip": a.SourceIPs, "user": a.Users},
		"kube_audit_kafka": map[string]any{"alert": a},
	}
	if len(a.SourceIPs) > 0 {
		m["source"] = map[string]any{"ip": a.SourceIPs[0]}
	}
	if len(a.Users) > 0 {
		m["user"] = map[string]any{"name": a.Users[0]}
	}
	return m
}

// ocsf is an OCSF Detection Finding (class 2004).
func (a *Alert) ocsf() map[string]any {
	var attacks []map[string]any
	for _, t := range a.Attack {
		attacks = append(attacks, map[string]any{"technique": map[string]any{"uid": t}})
	}
	sev := [...]string{"Unknown", "Informational", "Low", "Medium", "High", "Critical"}
	name := "Unknown"
	if a.SeverityID >= 0 && a.SeverityID < len(sev) {
		name = sev[a.SeverityID]
	}
	var evidences []map[string]any
	for _, ip := range a.SourceIPs {
		evidences = append(evidences, map[string]any{"src_endpoint": map[string]any{"ip": ip}})
	}
	return map[string]any{
		"class_uid": 2004, "class_name": "Detection Finding", "category_uid": 2, "category_name": "Findings",
		"activity_id": 1, "activity_name": "Create", "type_uid": 200401, "type_name": "Detection Finding: Create",
		"time":        a.Window.Start.UnixMilli(),
		"severity_id": a.SeverityID, "severity": name,
		"status_id": 1, "status": "New",
		"message": a.Summary,
		"metadata": map[string]any{"version": "1.3.0", "product": map[string]any{"name": "kube-audit-kafka", "vendor_name": "kube-audit-kafka"},
			"uid": a.AlertID, "correlation_uid": a.Group.By + ":" + a.Group.Value},
		"finding_info": map[string]any{"uid": a.AlertID, "title": a.Rule, "desc": a.Description, "attacks": attacks,
			"first_seen_time": a.Window.Start.UnixMilli(), "last_seen_time": a.Window.End.UnixMilli(),
			"related_events_count": a.AuditIDsTotal, "types": []string{"correlation"}},
		"evidences": evidences,
		"unmapped":  map[string]any{"alert": a},
	}
}
