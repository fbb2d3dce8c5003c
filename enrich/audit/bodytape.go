package audit

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// decodeBodyTape is DecodeBody over a tape read from raw without error: it
// fills *b (the zero body) exactly as json.Unmarshal(raw, b) would, giving
// up (false) where DecodeBody does, and then the caller goes the way of
// ParseBody. Its strings are views of raw itself (the tape's Src: the event's
// body), as the event's strings are views of its document: nothing writes
// into a body (redaction and re-levelling replace it whole).
func decodeBodyTape(tp *jsonx.Tape, b *Body) bool {
	d := bodyTapeDec{objDec: objDec{tp}}
	return d.fields(0, bodyFields, func(f, v int) bool {
		switch f {
		case 0:
			return d.str(v, &b.Kind)
		case 1:
			return d.fields(v, nameField, func(_, v int) bool { return d.str(v, &b.Metadata.Name) })
		case 2:
			return d.fields(v, specFields, func(f, v int) bool { return d.spec(v, f, &b.Spec) })
		case 3:
			return d.rules(v, &b.Rules)
		case 4:
			return d.fields(v, roleRefFields, func(f, v int) bool {
				if f == 0 {
					return d.str(v, &b.RoleRef.Kind)
				}
				return d.str(v, &b.RoleRef.Name)
			})
		default:
			return d.raw(v, &b.Data)
		}
	})
}

type bodyTapeDec struct {
	objDec
	// lists holds the elements of the body's string lists (rule verbs and
	// resources), each list a capacity-bounded window of it: one
	// allocation for a Role's rules instead of two per rule.
	lists []string
}

// raw is a json.RawMessage, a view of the body (capped at its end).
func (d *bodyTapeDec) raw(v int, m *json.RawMessage) bool {
	tk := d.tp.Toks[v]
	*m = d.tp.Src[tk.Start:tk.End:tk.End]
	return true
}

func (d *bodyTapeDec) strs(v int, out *[]string) bool {
	switch d.kind(v) {
	case jsonx.KindNull:
		*out = nil
		return true
	case jsonx.KindArray:
	default:
		return false
	}
	n := int(d.tp.Toks[v].N)
	if n == 0 {
		*out = []string{}
		return true
	}
	if len(d.lists)+n > cap(d.lists) {
		d.lists = make([]string, 0, max(32, n, 2*cap(d.lists)))
	}
	at := len(d.lists)
	d.lists = d.lists[:at+n]
	s := d.lists[at : at+n : at+n]
	for i, e := 0, v+1; i < len(s); i, e = i+1, e+1 {
		if !d.str(e, &s[i]) {
			return false
		}
	}
	*out = s
	return true
}

func (d *bodyTapeDec) rules(v int, out *[]PolicyRule) bool {
	return d.objDec.policyRules(v, out, d.strs)
}

// spec reads field f of BodySpec (specFields).
func (d *bodyTapeDec) spec(v, f int, s *BodySpec) bool {
	switch f {
	case 7:
		if d.kind(v) == jsonx.KindNull {
			s.Template = nil
			return true
		}
		s.Template = new(PodTemplate)
		return d.fields(v, specField, func(_, v int) bool {
			return d.fields(v, podSpecFields, func(f, v int) bool { return d.podSpec(v, f, &s.Template.Spec) })
		})
	case 8:
		if d.kind(v) == jsonx.KindNull {
			s.JobTemplate = nil
			return true
		}
		s.JobTemplate = new(JobTemplateRef)
		t := &s.JobTemplate.Spec.Template
		return d.fields(v, specField, func(_, v int) bool {
			return d.fields(v, templateField, func(_, v int) bool {
				return d.fields(v, specField, func(_, v int) bool {
					return d.fields(v, podSpecFields, func(f, v int) bool { return d.podSpec(v, f, &t.Spec) })
				})
			})
		})
	case 9:
		return d.str(v, &s.Type)
	case 10:
		return d.raw(v, &s.TLS)
	}
	return d.podSpec(v, f, &s.PodSpec)
}

// podSpec reads field f of PodSpec (podSpecFields).
func (d *bodyTapeDec) podSpec(v, f int, p *PodSpec) bool {
	switch f {
	case 0:
		return d.boolean(v, &p.HostPID)
	case 1:
		return d.boolean(v, &p.HostNetwork)
	case 2:
		return d.boolean(v, &p.HostIPC)
	case 3:
		return d.containers(v, &p.Containers)
	case 4:
		return d.containers(v, &p.InitContainers)
	case 5:
		return d.containers(v, &p.EphemeralContainers)
	}
	switch d.kind(v) {
	case jsonx.KindNull:
		p.Volumes = nil
		return true
	case jsonx.KindArray:
	default:
		return false
	}
	vs := make([]Volume, d.tp.Toks[v].N)
	for i, e := 0, v+1; i < len(vs); i, e = i+1, d.tp.Skip(e) {
		vol := &vs[i]
		if !d.fields(e, volumeFields, func(_, v int) bool {
			if d.kind(v) == jsonx.KindNull {
				vol.HostPath = nil
				return true
			}
			vol.HostPath = new(HostPathSource)
			return d.fields(v, hostPathFields, func(_, v int) bool { return d.str(v, &vol.HostPath.Path) })
		}) {
			return false
		}
	}
	p.Volumes = vs
	return true
}

func (d *bodyTapeDec) containers(v int, out *[]Container) bool {
	switch d.kind(v) {
	case jsonx.KindNull:
		*out = nil
		return true
	case jsonx.KindArray:
	default:
		return false
	}
	cs := make([]Container, d.tp.Toks[v].N)
	for i, e := 0, v+1; i < len(cs); i, e = i+1, d.tp.Skip(e) {
		c := &cs[i]
		if !d.fields(e, containerFields, func(f, v int) bool {
			if f == 0 {
				return d.str(v, &c.Image)
			}
			if d.kind(v) == jsonx.KindNull {
				c.SecurityContext = nil
				return true
			}
			c.SecurityContext = new(SecurityContext)
			return d.fields(v, securityContextFields, func(_, v int) bool {
				switch d.kind(v) {
				case jsonx.KindNull:
					c.SecurityContext.Privileged = nil
				case jsonx.KindTrue, jsonx.KindFalse:
					p := d.kind(v) == jsonx.KindTrue
					c.SecurityContext.Privileged = &p
				default:
					return false
				}
				return true
			})
		}) {
			return false
		}
	}
	*out = cs
	return true
}

// Tapes is the scratch an event's bodies are read into, once each: a tape
// per body, read with the redactor's limits (jsonx.BodyMaxDepth and
// BodyMaxValues), which the rules (Body, Object) and the redactor then
// share through the View. Its owner reuses it from event to event
// (Reset between them); it is not safe for concurrent use.
type Tapes struct {
	bodies [2]bodyTape // requestObject, responseObject
	body   Body        // the View's Body, when the View has these tapes
}

type bodyTape struct {
	tape jsonx.Tape
	u    *runtime.Unknown // the body read, and its bytes then
	raw  []byte
	err  error
}

// maxPooledTokens bounds the tokens a Tapes keeps for the next event (a
// rare large body does not keep its storage).
const maxPooledTokens = 1 << 16

// Reset forgets the bodies read (no reference to them stays).
func (t *Tapes) Reset() {
	t.body = Body{}
	for i := range t.bodies {
		b := &t.bodies[i]
		b.tape.Src, b.u, b.raw, b.err = nil, nil, nil, nil
		if cap(b.tape.Toks) > maxPooledTokens {
			b.tape = jsonx.Tape{}
		}
	}
}

// UseTapes makes v read its event's bodies into t (else into tapes of its
// own, made on first need).
func (v *View) UseTapes(t *Tapes) { v.tapes = t }

// BodyTape is the tape of u, the event's request or response object, read
// on first need with the redactor's limits and kept while u holds the same
// bytes; the error is the tape's (jsonx.ErrTooDeep, ErrTooLarge or a
// *jsonx.SyntaxError). The tape is read-only for its callers.
func (v *View) BodyTape(u *runtime.Unknown) (*jsonx.Tape, error) {
	if v.tapes == nil {
		v.tapes = new(Tapes)
	}
	i := 0
	if u != v.Event.RequestObject {
		i = 1
	}
	b := &v.tapes.bodies[i]
	if b.u != u || !sameBytes(b.raw, u.Raw) {
		b.u, b.raw = u, u.Raw
		b.err = b.tape.ParseLimits(u.Raw, jsonx.BodyMaxDepth, jsonx.BodyMaxValues)
	}
	if b.err != nil {
		return nil, b.err
	}
	return &b.tape, nil
}

// sameBytes: a and b are the same slice of the same array.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// parseBody is ParseBody reading the body through v's tape, when v has
// tapes to share with the redactor (UseTapes); without, a tape would be
// read for the Body alone: the body is decoded from its bytes.
func (v *View) parseBody(b *Body) {
	ev := v.Event
	if v.tapes == nil {
		parseBodyBytes(ev, b)
		return
	}
	u := ev.RequestObject
	if u == nil || len(u.Raw) == 0 {
		u = ev.ResponseObject
		if u == nil || len(u.Raw) == 0 {
			return
		}
	}
	if tp, err := v.BodyTape(u); err == nil && decodeBodyTape(tp, b) {
		b.OK = true
		return
	}
	*b = Body{}
	parseBodyBytes(ev, b)
}

// ResponseName is ObjectName of the response object, read through the
// View's tape (the redactor's read of it, when the redaction left it
// unchanged).
func (v *View) ResponseName() (string, bool) {
	u := v.Event.ResponseObject
	if u == nil {
		return "", false
	}
	if tp, err := v.BodyTape(u); err == nil {
		d := objDec{tp}
		var name string
		if d.fields(0, metadataField, func(_, k int) bool {
			return d.fields(k, nameField, func(_, k int) bool { return d.str(k, &name) })
		}) {
			return name, true
		}
	}
	return ObjectName(u.Raw)
}

// Object is the request object, or the response object when the request
// was not logged or is not an object, as ParseObject reads it: decoded
// once, from the View's tapes.
func (v *View) Object() (*Object, bool) {
	if !v.objDone {
		v.objDone = true
		ev := v.Event
		o := new(Object)
		if ev.RequestObject != nil && v.ObjectOf(ev.RequestObject, o) {
			v.obj = o
		} else if *o = (Object{}); ev.ResponseObject != nil && v.ObjectOf(ev.ResponseObject, o) {
			v.obj = o
		}
	}
	return v.obj, v.obj != nil
}

// ObjectOf is UnmarshalObject of u, the event's request or response
// object, read through the View's tape of u.
func (v *View) ObjectOf(u *runtime.Unknown, o *Object) bool {
	if tp, err := v.BodyTape(u); err == nil {
		if tp.Toks[0].Kind != jsonx.KindObject {
			return false // not an object: json.Unmarshal is not asked
		}
		if decodeObject(tp, 0, o) {
			return true
		}
		*o = Object{}
	}
	return unmarshalObjectJSON(u.Raw, o)
}
