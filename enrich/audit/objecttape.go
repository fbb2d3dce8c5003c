package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// decodeObject fills o, the zero Object, from the object at token k of tp
// exactly as json.Unmarshal would, walking the tape (no reflection, no
// second read of the bytes). Like DecodeBody, it handles what real bodies
// hold and gives up (false; o is then partly filled and the caller resets
// it) on anything else: a value of a type encoding/json would not store, an
// escaped or non-ASCII key at a struct level, a repeated field (merged
// there), a base64 error. The caller then uses encoding/json;
// TestDecodeObjectMatchesEncodingJSON and FuzzDecodeObject hold it to that.
func decodeObject(tp *jsonx.Tape, k int, o *Object) bool {
	d := objDec{tp}
	return d.fields(k, objectFields, func(f, v int) bool {
		switch f {
		case 0:
			return d.str(v, &o.Kind)
		case 1:
			return d.metadata(v, o)
		case 2:
			return d.spec(v, o)
		default:
			return d.rules(v, &o.Rules)
		}
	})
}

// Field names of Object's types as encoding/json matches them (ASCII case
// folded); TestObjectFieldTables checks them by reflection.
var (
	objectFields          = []string{"kind", "metadata", "spec", "rules"}
	objectMetaFields      = []string{"annotations", "managedFields"}
	managedFieldsFields   = []string{"manager", "fieldsV1"}
	objectSpecFields      = []string{"containers", "initContainers", "ephemeralContainers", "template", "jobTemplate", "request"}
	objectTemplateFields  = []string{"Spec"}
	objectJobFields       = []string{"spec"}
	objectJobSpecFields   = []string{"template"}
	objectContainerFields = []string{"name", "image", "command", "args", "securityContext", "ports", "volumeMounts", "env", "envFrom", "lifecycle", "workingDir", "stdin", "tty"}
	objectSecCtxFields    = []string{"capabilities"}
	objectCapsFields      = []string{"add"}
)

type objDec struct{ tp *jsonx.Tape }

func (d objDec) kind(k int) jsonx.Kind { return d.tp.Toks[k].Kind }

// fields calls set(field, value token) for each member of the object at k
// whose key names a field (ASCII case folded, as encoding/json matches);
// a struct value that is null is left as it is.
func (d objDec) fields(k int, names []string, set func(f, v int) bool) bool {
	switch d.kind(k) {
	case jsonx.KindNull:
		return true
	case jsonx.KindObject:
	default:
		return false
	}
	var seen uint64
	end := int(d.tp.Toks[k].Next)
	for i := k + 1; i < end; {
		v := i + 1
		key, ok := d.tp.Plain(i)
		if !ok {
			return false // an escaped key
		}
		f := -1
		for j, n := range names {
			if len(n) == len(key) && asciiFold(key, n) {
				f = j
				break
			}
		}
		if f < 0 {
			for _, c := range key {
				if c >= 0x80 {
					return false // Unicode folding might match a field
				}
			}
		} else {
			if seen&(1<<f) != 0 {
				return false // repeated: encoding/json merges
			}
			seen |= 1 << f
			if !set(f, v) {
				return false
			}
		}
		i = int(d.tp.Toks[v].Next)
	}
	return true
}

func asciiFold(key []byte, name string) bool {
	for i, c := range key {
		n := name[i]
		if c == n {
			continue
		}
		if c|0x20 != n|0x20 || c|0x20 < 'a' || c|0x20 > 'z' {
			return false
		}
	}
	return true
}

func (d objDec) str(v int, s *string) bool {
	switch d.kind(v) {
	case jsonx.KindString:
		*s = d.tp.Str(v)
	case jsonx.KindNull:
	default:
		return false
	}
	return true
}

func (d objDec) boolean(v int, b *bool) bool {
	switch d.kind(v) {
	case jsonx.KindTrue:
		*b = true
	case jsonx.KindFalse:
		*b = false
	case jsonx.KindNull:
	default:
		return false
	}
	return true
}

// raw is a json.RawMessage: the value's bytes as they are ("null" too).
func (d objDec) raw(v int, m *json.RawMessage) bool {
	*m = d.tp.Raw(v)
	return true
}

func (d objDec) strs(v int, out *[]string) bool {
	switch d.kind(v) {
	case jsonx.KindNull:
		*out = nil
		return true
	case jsonx.KindArray:
	default:
		return false
	}
	tk := d.tp.Toks[v]
	s := make([]string, tk.N)
	for i, e := 0, v+1; i < len(s); i, e = i+1, e+1 {
		if !d.str(e, &s[i]) {
			return false
		}
	}
	*out = s
	return true
}

func (d objDec) strMap(v int, out *map[string]string) bool {
	switch d.kind(v) {
	case jsonx.KindNull:
		*out = nil
		return true
	case jsonx.KindObject:
	default:
		return false
	}
	tk := d.tp.Toks[v]
	m := make(map[string]string, tk.N)
	for i := v + 1; i < int(tk.Next); i += 2 {
		var s string
		if !d.str(i+1, &s) {
			return false
		}
		m[d.tp.Str(i)] = s
	}
	*out = m
	return true
}

func (d objDec) metadata(v int, o *Object) bool {
	m := &o.Metadata
	return d.fields(v, objectMetaFields, func(f, v int) bool {
		if f == 0 {
			return d.strMap(v, &m.Annotations)
		}
		switch d.kind(v) {
		case jsonx.KindNull:
			m.ManagedFields = nil
			return true
		case jsonx.KindArray:
		default:
			return false
		}
		tk := d.tp.Toks[v]
		m.ManagedFields = make([]struct {
			Manager  string          `json:"manager"`
			FieldsV1 json.RawMessage `json:"fieldsV1"`
		}, tk.N)
		for i, e := 0, v+1; i < int(tk.N); i, e = i+1, d.tp.Skip(e) {
			mf := &m.ManagedFields[i]
			if !d.fields(e, managedFieldsFields, func(f, v int) bool {
				if f == 0 {
					return d.str(v, &mf.Manager)
				}
				return d.raw(v, &mf.FieldsV1)
			}) {
				return false
			}
		}
		return true
	})
}

func (d objDec) spec(v int, o *Object) bool {
	s := &o.Spec
	return d.fields(v, objectSpecFields, func(f, v int) bool {
		switch f {
		case 0, 1, 2:
			return d.podSpecField(v, &s.ObjectPodSpec, f)
		case 3:
			if d.kind(v) == jsonx.KindNull {
				s.Template = nil
				return true
			}
			s.Template = new(struct{ Spec ObjectPodSpec })
			return d.podTemplate(v, &s.Template.Spec)
		case 4:
			if d.kind(v) == jsonx.KindNull {
				s.JobTemplate = nil
				return true
			}
			s.JobTemplate = new(struct {
				Spec struct {
					Template struct{ Spec ObjectPodSpec } `json:"template"`
				} `json:"spec"`
			})
			return d.fields(v, objectJobFields, func(_, v int) bool {
				return d.fields(v, objectJobSpecFields, func(_, v int) bool {
					return d.podTemplate(v, &s.JobTemplate.Spec.Template.Spec)
				})
			})
		default:
			return d.bytes(v, &s.Request)
		}
	})
}

// podTemplate reads a struct{ Spec ObjectPodSpec } into its spec.
func (d objDec) podTemplate(v int, ps *ObjectPodSpec) bool {
	return d.fields(v, objectTemplateFields, func(_, v int) bool {
		return d.fields(v, objectSpecFields[:3], func(f, v int) bool { return d.podSpecField(v, ps, f) })
	})
}

func (d objDec) podSpecField(v int, ps *ObjectPodSpec, f int) bool {
	switch f {
	case 0:
		return d.containers(v, &ps.Containers)
	case 1:
		return d.containers(v, &ps.InitContainers)
	default:
		return d.containers(v, &ps.EphemeralContainers)
	}
}

// bytes is a []byte: base64 in a string.
func (d objDec) bytes(v int, out *[]byte) bool {
	switch d.kind(v) {
	case jsonx.KindNull:
		*out = nil
		return true
	case jsonx.KindString:
	default:
		return false
	}
	s := d.tp.Str(v)
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, []byte(s))
	if err != nil {
		return false
	}
	*out = b[:n]
	return true
}

func (d objDec) containers(v int, out *[]ObjectContainer) bool {
	switch d.kind(v) {
	case jsonx.KindNull:
		*out = nil
		return true
	case jsonx.KindArray:
	default:
		return false
	}
	tk := d.tp.Toks[v]
	cs := make([]ObjectContainer, tk.N)
	for i, e := 0, v+1; i < len(cs); i, e = i+1, d.tp.Skip(e) {
		if !d.container(e, &cs[i]) {
			return false
		}
	}
	*out = cs
	return true
}

func (d objDec) container(v int, c *ObjectContainer) bool {
	return d.fields(v, objectContainerFields, func(f, v int) bool {
		switch f {
		case 0:
			return d.str(v, &c.Name)
		case 1:
			return d.str(v, &c.Image)
		case 2:
			return d.strs(v, &c.Command)
		case 3:
			return d.strs(v, &c.Args)
		case 4:
			if d.kind(v) == jsonx.KindNull {
				c.SecurityContext = nil
				return true
			}
			c.SecurityContext = new(struct {
				Capabilities *struct {
					Add []string `json:"add"`
				} `json:"capabilities"`
			})
			sc := c.SecurityContext
			return d.fields(v, objectSecCtxFields, func(_, v int) bool {
				if d.kind(v) == jsonx.KindNull {
					sc.Capabilities = nil
					return true
				}
				sc.Capabilities = new(struct {
					Add []string `json:"add"`
				})
				return d.fields(v, objectCapsFields, func(_, v int) bool { return d.strs(v, &sc.Capabilities.Add) })
			})
		case 5:
			return d.raw(v, &c.Ports)
		case 6:
			return d.raw(v, &c.VolumeMounts)
		case 7:
			return d.raw(v, &c.Env)
		case 8:
			return d.raw(v, &c.EnvFrom)
		case 9:
			return d.raw(v, &c.Lifecycle)
		case 10:
			return d.str(v, &c.WorkingDir)
		case 11:
			return d.boolean(v, &c.Stdin)
		default:
			return d.boolean(v, &c.TTY)
		}
	})
}

func (d objDec) rules(v int, out *[]PolicyRule) bool { return d.policyRules(v, out, d.strs) }

// policyRules decodes RBAC rules, their lists read by strs (the Body's
// decoder keeps them in one slab, the Object's does not).
func (d objDec) policyRules(v int, out *[]PolicyRule, strs func(int, *[]string) bool) bool {
	switch d.kind(v) {
	case jsonx.KindNull:
		*out = nil
		return true
	case jsonx.KindArray:
	default:
		return false
	}
	rs := make([]PolicyRule, d.tp.Toks[v].N)
	for i, e := 0, v+1; i < len(rs); i, e = i+1, d.tp.Skip(e) {
		r := &rs[i]
		if !d.fields(e, ruleFields, func(f, v int) bool {
			if f == 0 {
				return strs(v, &r.Verbs)
			}
			return strs(v, &r.Resources)
		}) {
			return false
		}
	}
	*out = rs
	return true
}

// unmarshalObject is UnmarshalObject with a tape.
func unmarshalObject(tp *jsonx.Tape, raw []byte, o *Object) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	if tp.Parse(raw) == nil && decodeObject(tp, 0, o) {
		return true
	}
	*o = Object{}
	return unmarshalObjectJSON(raw, o)
}
