package policy

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	auditapi "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	auditinternal "k8s.io/apiserver/pkg/audit"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	kuser "k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
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
// every item of a list, as the apiserver does for omitManagedFields. The
// body is read once into a tape; what it writes is what encoding/json wrote
// when this went through map[string]json.RawMessage (and still does in
// the reference, stripManagedFieldsJSON in the tests): the objects it
// rewrites with their members sorted by key (the last of repeated keys),
// values compacted with HTML escaping, and false wherever that failed.
func stripManagedFields(u *runtime.Unknown) bool {
	if u == nil || !bytes.Contains(u.Raw, []byte(`"managedFields"`)) {
		return false
	}
	var s stripper
	if s.tp.Parse(u.Raw) != nil || s.tp.Toks[0].Kind != jsonx.KindObject {
		return false
	}
	meta, metaChanged := s.stripMeta(0)
	var items []byte
	if k := s.member(0, "items"); k >= 0 && s.tp.Toks[k].Kind == jsonx.KindArray && s.objectsOrNull(k) {
		tk := s.tp.Toks[k]
		itemsChanged := false
		metas := make([][]byte, tk.N)
		for i, e := 0, k+1; i < len(metas); i, e = i+1, s.tp.Skip(e) {
			if s.tp.Toks[e].Kind == jsonx.KindObject {
				var ch bool
				if metas[i], ch = s.stripMeta(e); ch {
					itemsChanged = true
				} else {
					metas[i] = nil
				}
			}
		}
		if itemsChanged {
			items = append(items, '[')
			for i, e := 0, k+1; i < len(metas); i, e = i+1, s.tp.Skip(e) {
				if i > 0 {
					items = append(items, ',')
				}
				if s.tp.Toks[e].Kind == jsonx.KindNull {
					items = append(items, "null"...)
					continue
				}
				if items = s.appendSorted(items, e, "", metas[i], nil); items == nil {
					return false
				}
			}
			items = append(items, ']')
		}
	}
	if !metaChanged && items == nil {
		return false
	}
	if !metaChanged {
		meta = nil
	}
	out := s.appendSorted(make([]byte, 0, len(u.Raw)), 0, "", meta, items)
	if out == nil {
		return false
	}
	u.Raw = out
	return true
}

// stripper is the tape of one body and the scratch of its rewriting.
type stripper struct {
	tp      jsonx.Tape
	members []sortedMember
}

type sortedMember struct {
	key string // decoded, as a map key
	val int    // its value's token
}

// member is the value of the last member of the object at k whose key
// decodes to key, or -1.
func (s *stripper) member(k int, key string) int {
	found := -1
	for i, end := k+1, int(s.tp.Toks[k].Next); i < end; i = s.tp.Skip(i + 1) {
		if s.tp.Str(i) == key {
			found = i + 1
		}
	}
	return found
}

// objectsOrNull: every element of the array at k is an object or null (it
// decodes into []map[string]json.RawMessage).
func (s *stripper) objectsOrNull(k int) bool {
	for e, end := k+1, int(s.tp.Toks[k].Next); e < end; e = s.tp.Skip(e) {
		if kd := s.tp.Toks[e].Kind; kd != jsonx.KindObject && kd != jsonx.KindNull {
			return false
		}
	}
	return true
}

// stripMeta is the object at k's metadata without managedFields, sorted,
// when it had them.
func (s *stripper) stripMeta(k int) ([]byte, bool) {
	m := s.member(k, "metadata")
	if m < 0 || s.tp.Toks[m].Kind != jsonx.KindObject || s.member(m, "managedFields") < 0 {
		return nil, false
	}
	out := s.appendSorted(nil, m, "managedFields", nil, nil)
	return out, out != nil
}

// appendSorted appends the object at k as json.Marshal writes it once
// decoded into a map[string]json.RawMessage, without the member drop
// (unless ""), and with the values of metadata and items replaced by meta
// and items when they are not nil. nil on a value that does not compact
// (none: the tape checked it).
func (s *stripper) appendSorted(dst []byte, k int, drop string, meta, items []byte) []byte {
	ms := s.members[:0]
	for i, end := k+1, int(s.tp.Toks[k].Next); i < end; i = s.tp.Skip(i + 1) {
		ms = append(ms, sortedMember{s.tp.Str(i), i + 1})
	}
	s.members = ms
	// Sorted by key, the last of equal keys kept (a map's).
	slices.SortStableFunc(ms, func(a, b sortedMember) int { return strings.Compare(a.key, b.key) })
	dst = append(dst, '{')
	first := true
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].key == m.key {
			continue
		}
		if drop != "" && m.key == drop {
			continue
		}
		var val []byte
		switch m.key {
		case "metadata":
			val = meta
		case "items":
			val = items
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonx.AppendWith(dst, m.key, jsonx.HTMLSafe)
		dst = append(dst, ':')
		if val != nil {
			dst = append(dst, val...)
			continue
		}
		var err error
		if dst, err = jsonx.AppendCompact(dst, s.tp.Raw(m.val)); err != nil {
			return nil
		}
	}
	return append(dst, '}')
}
