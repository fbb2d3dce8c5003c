package correlate

import (
	"fmt"
	"slices"
	"strings"
)

// MessageKeys are the plugin's message_key values correlate understands.
func MessageKeys() []string { return []string{"audit_id", "user", "namespace", "none"} }

// keyedBy reports whether events with the same value of the key fields
// always carry the same message key (messageKey): then one partition
// holds every event of a group, and the rule may run on the input
// partitions.
func keyedBy(fs []field, messageKey string) bool {
	for _, f := range fs {
		switch {
		case f.name == messageKey && (messageKey == "user" || messageKey == "namespace"):
			return true
		case messageKey == "namespace" && f.name == "pod":
			return true // namespace/name
		}
	}
	return false
}

// Colocated reports whether every event a rule groups together comes in
// the same partition of a topic keyed by messageKey (the plugin's
// message_key).
func (r *Rule) Colocated(messageKey string) bool {
	if !r.Sequence {
		return keyedBy(r.match.key, messageKey)
	}
	return keyedBy(r.steps[0].key, messageKey) && keyedBy(r.steps[1].key, messageKey)
}

// Split divides the rules into those that run on the input partitions
// (colocated with messageKey) and those that need a repartition topic keyed
// by their group key.
func (rs *RuleSet) Split(messageKey string) (local, remote *RuleSet) {
	local, remote = &RuleSet{}, &RuleSet{}
	for _, r := range rs.Rules {
		dst := local
		if !r.Colocated(messageKey) {
			dst = remote
		}
		dst.Rules = append(dst.Rules, r)
		dst.needsEnrichment = dst.needsEnrichment || r.match.needsEnr || r.steps[0].needsEnr || r.steps[1].needsEnr
	}
	return local, remote
}

// IDs are the ids of the rules.
func (rs *RuleSet) IDs() []string {
	ids := make([]string, len(rs.Rules))
	for i, r := range rs.Rules {
		ids[i] = r.ID
	}
	return ids
}

// Forward is one copy of an event for the repartition topic: its key (a
// group key) and the rules it is for.
type Forward struct {
	Key   string
	Rules []string
}

// Forwarder finds, for the rules of a repartition topic, which copies of an
// event to forward: one per group key its matching steps give, for the
// rules that gave it. Only matching events are forwarded.
type Forwarder struct {
	rs   *RuleSet
	keys Engine // for its key buffers
}

// NewForwarder returns a forwarder for the rules (Split's remote).
func NewForwarder(rs *RuleSet) *Forwarder { return &Forwarder{rs: rs} }

// Forwards appends the copies of ev to forward to dst.
func (f *Forwarder) Forwards(ev *Event, dst []Forward) []Forward {
	add := func(key, rule string) {
		for i := range dst {
			if dst[i].Key == key {
				if !slices.Contains(dst[i].Rules, rule) {
					dst[i].Rules = append(dst[i].Rules, rule)
				}
				return
			}
		}
		dst = append(dst, Forward{Key: strings.Clone(key), Rules: []string{rule}})
	}
	for _, r := range f.rs.Rules {
		if !r.Sequence {
			if r.match.matches(ev) {
				for _, k := range f.keys.allKeys(r.match.key, ev) {
					add(k, r.ID)
				}
			}
			continue
		}
		for i := range r.steps {
			if r.steps[i].matches(ev) {
				for _, k := range f.keys.allKeys(r.steps[i].key, ev) {
					add(k, r.ID)
				}
			}
		}
	}
	return dst
}

// RepartitionHeader is the header naming the rules of a forwarded copy
// (comma-separated ids); the message key is the group key.
const RepartitionHeader = "kube-audit-correlate-rules"

func describeRules(rs *RuleSet) string {
	if len(rs.Rules) == 0 {
		return "none"
	}
	return fmt.Sprintf("%s", strings.Join(rs.IDs(), ", "))
}
