package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	auditapi "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	auditinternal "k8s.io/apiserver/pkg/audit"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	kuser "k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Relevel is the node-side audit policy: k8s.io/apiserver's own evaluator
// over an audit.k8s.io/v1 Policy file. It only lowers an event's level.
type Relevel struct {
	eval auditinternal.PolicyRuleEvaluator
}

// Why Apply drops an event; Keep: it does not.
const (
	Keep = ""
	// DropLevelNone: the policy's level for the event is None.
	DropLevelNone = "policy_level_none"
	// DropOmitStage: the policy's omitStages lists the event's stage.
	DropOmitStage = "policy_omit_stage"
)

// Load reads an audit.k8s.io/v1 Policy file; its errors name the file.
func Load(file string) (*Relevel, error) {
	p, err := auditpolicy.LoadPolicyFromFile(file)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", file, err)
	}
	return &Relevel{eval: auditpolicy.NewPolicyRuleEvaluator(p)}, nil
}

// attributes builds the request attributes the apiserver's policy checker
// saw, from the event: the authenticated (not the impersonated) user, as in
// the apiserver, where auditing runs before impersonation.
func attributes(ev *auditv1.Event, v *audit.View) authorizer.AttributesRecord {
	u := &kuser.DefaultInfo{Name: ev.User.Username, UID: ev.User.UID, Groups: ev.User.Groups}
	if len(ev.User.Extra) > 0 {
		u.Extra = make(map[string][]string, len(ev.User.Extra))
		for k, vals := range ev.User.Extra {
			u.Extra[k] = []string(vals)
		}
	}
	a := authorizer.AttributesRecord{User: u, Verb: ev.Verb, ResourceRequest: v.IsResource}
	if v.IsResource {
		r := ev.ObjectRef
		a.Namespace, a.APIGroup, a.APIVersion = r.Namespace, r.APIGroup, r.APIVersion
		a.Resource, a.Subresource, a.Name = r.Resource, r.Subresource, r.Name
	}
	a.Path = ev.RequestURI
	if i := strings.IndexByte(a.Path, '?'); i >= 0 {
		a.Path = a.Path[:i]
	}
	return a
}

// levelRank orders levels.
func levelRank(l auditv1.Level) int {
	switch l {
	case auditv1.LevelNone:
		return 0
	case auditv1.LevelMetadata:
		return 1
	case auditv1.LevelRequest:
		return 2
	case auditv1.LevelRequestResponse:
		return 3
	}
	return 3
}

// Apply evaluates the policy for the event and lowers it in place. It
// returns a drop reason, or Keep, and whether it changed the event.
func (p *Relevel) Apply(ev *auditv1.Event, v *audit.View, e *record.Enrichment) (drop string, changed bool) {
	attrs := attributes(ev, v)
	cfg := p.eval.EvaluatePolicyRule(&attrs)
	if cfg.Level == auditapi.LevelNone {
		return DropLevelNone, false
	}
	for _, s := range cfg.OmitStages {
		if string(s) == string(ev.Stage) {
			return DropOmitStage, false
		}
	}
	if want := auditv1.Level(cfg.Level); levelRank(want) < levelRank(ev.Level) { // never raised
		e.LoggedLevel = string(ev.Level)
		ev.Level, changed = want, true
		switch want {
		case auditv1.LevelMetadata:
			ev.RequestObject, ev.ResponseObject = nil, nil
		case auditv1.LevelRequest:
			ev.ResponseObject = nil
		}
	}
	if cfg.OmitManagedFields {
		changed = stripManagedFields(ev.RequestObject) || changed
		changed = stripManagedFields(ev.ResponseObject) || changed
	}
	return Keep, changed
}

// stripManagedFields removes metadata.managedFields from an object, or from
// every item of a list, as the apiserver does for omitManagedFields.
func stripManagedFields(u *runtime.Unknown) bool {
	if u == nil || !bytes.Contains(u.Raw, []byte(`"managedFields"`)) {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(u.Raw, &top) != nil {
		return false
	}
	changed := stripMeta(top)
	if items, ok := top["items"]; ok {
		var list []map[string]json.RawMessage
		if json.Unmarshal(items, &list) == nil {
			itemsChanged := false
			for _, it := range list {
				itemsChanged = stripMeta(it) || itemsChanged
			}
			if itemsChanged {
				if b, err := json.Marshal(list); err == nil {
					top["items"], changed = b, true
				}
			}
		}
	}
	if !changed {
		return false
	}
	raw, err := json.Marshal(top)
	if err != nil {
		return false
	}
	u.Raw = raw
	return true
}

func stripMeta(obj map[string]json.RawMessage) bool {
	var meta map[string]json.RawMessage
	if json.Unmarshal(obj["metadata"], &meta) != nil {
		return false
	}
	if _, ok := meta["managedFields"]; !ok {
		return false
	}
	delete(meta, "managedFields")
	b, err := json.Marshal(meta)
	if err != nil {
		return false
	}
	obj["metadata"] = b
	return true
}
