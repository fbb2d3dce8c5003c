package audit

import "encoding/json"

// DecodeBody is the fast path of parseBody: it decodes raw, one JSON object,
// into *b (the zero body) exactly as json.Unmarshal(raw, b) would, in one
// pass and without reflection, skipping the members body has no field for.
//
// It handles what real apiserver bodies hold and gives up (false; *b is then
// partly filled and the caller resets it) on anything else: a syntax error
// anywhere, a value of a type encoding/json would not store (an
// UnmarshalTypeError), a key that matches a field only case-insensitively,
// an escaped or non-ASCII key, a repeated field (encoding/json merges), a
// top level that is not an object, deep nesting. The caller then uses
// encoding/json. TestDecodeBodyMatchesEncodingJSON and FuzzDecodeBody hold
// it to that.
func DecodeBody(raw []byte, b *Body) bool {
	// Its strings (kind, name, images, paths, rule verbs and resources) are
	// views of one private copy of raw, made on first need (fastDec.text).
	d := bodyDec{fastDec: fastDec{b: raw}}
	if !d.fields(bodyFields, 0, func(i int) bool { return d.bodyField(b, i) }) {
		return false
	}
	d.ws()
	return d.i == len(d.b)
}

// ObjectName is json.Unmarshal of raw into a struct with only metadata.name:
// the name, and whether the whole document decoded without error.
func ObjectName(raw []byte) (string, bool) {
	d := bodyDec{fastDec: fastDec{b: raw}}
	var name string
	ok := d.fields(metadataField, 0, func(int) bool {
		if d.null() {
			return true
		}
		return d.fields(nameField, 1, func(int) bool { return d.strInto(&name) })
	})
	if d.ws(); ok && d.i == len(d.b) {
		return name, true
	}
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return "", false
	}
	return m.Metadata.Name, true
}

// StringMap is json.Unmarshal of raw into a map[string]string: the map,
// and whether it decoded without error.
func StringMap(raw []byte) (map[string]string, bool) {
	d := fastDec{b: raw}
	if m, ok := d.StringMap(); ok {
		if d.ws(); d.i == len(d.b) {
			return m, true
		}
	}
	var m map[string]string
	if json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	return m, true
}

// JSON field names of the types of body, as encoding/json sees them, in the
// order of the switches below. TestBodyFieldTables checks them against the
// types by reflection.
var (
	bodyFields            = []string{"kind", "metadata", "spec", "rules", "roleRef", "data"}
	metadataField         = []string{"metadata"}
	nameField             = []string{"name"}
	specFields            = []string{"hostPID", "hostNetwork", "hostIPC", "containers", "initContainers", "ephemeralContainers", "volumes", "template", "jobTemplate", "type", "tls"}
	podSpecFields         = specFields[:7:7]
	specField             = []string{"spec"}
	templateField         = []string{"template"}
	containerFields       = []string{"image", "securityContext"}
	securityContextFields = []string{"privileged"}
	volumeFields          = []string{"hostPath"}
	hostPathFields        = []string{"path"}
	ruleFields            = []string{"verbs", "resources"}
	roleRefFields         = []string{"kind", "name"}
)

// bodyDec is the fast decoder's scanner with the readers of body's types.
type bodyDec struct {
	fastDec
}

func (d *bodyDec) bodyField(b *Body, i int) bool {
	switch i {
	case 0:
		return d.strInto(&b.Kind)
	case 1:
		if d.null() {
			return true
		}
		return d.fields(nameField, 1, func(int) bool { return d.strInto(&b.Metadata.Name) })
	case 2:
		if d.null() {
			return true
		}
		return d.fields(specFields, 1, func(j int) bool { return d.specField(&b.Spec, j, 2) })
	case 3:
		return d.rules(&b.Rules, 1)
	case 4:
		if d.null() {
			return true
		}
		return d.fields(roleRefFields, 1, func(j int) bool {
			if j == 0 {
				return d.strInto(&b.RoleRef.Kind)
			}
			return d.strInto(&b.RoleRef.Name)
		})
	case 5:
		return d.rawInto(&b.Data, 1)
	}
	return false
}

func (d *bodyDec) specField(s *BodySpec, j, depth int) bool {
	switch j {
	case 7:
		if d.null() {
			s.Template = nil
			return true
		}
		if d.peek() != '{' {
			return false
		}
		s.Template = new(PodTemplate)
		return d.podTemplate(s.Template, depth)
	case 8:
		if d.null() {
			s.JobTemplate = nil
			return true
		}
		if d.peek() != '{' {
			return false
		}
		jt := new(JobTemplateRef)
		s.JobTemplate = jt
		return d.fields(specField, depth, func(int) bool {
			if d.null() {
				return true
			}
			return d.fields(templateField, depth+1, func(int) bool {
				if d.null() {
					return true
				}
				return d.podTemplate(&jt.Spec.Template, depth+2)
			})
		})
	case 9:
		return d.strInto(&s.Type)
	case 10:
		return d.rawInto(&s.TLS, depth)
	}
	return d.podSpecField(&s.PodSpec, j, depth)
}

// podTemplate reads {"spec": podSpec}; d is at its '{'.
func (d *bodyDec) podTemplate(t *PodTemplate, depth int) bool {
	return d.fields(specField, depth, func(int) bool {
		if d.null() {
			return true
		}
		return d.fields(podSpecFields, depth+1, func(j int) bool { return d.podSpecField(&t.Spec, j, depth+2) })
	})
}

func (d *bodyDec) podSpecField(s *PodSpec, j, depth int) bool {
	switch j {
	case 0:
		return d.boolInto(&s.HostPID)
	case 1:
		return d.boolInto(&s.HostNetwork)
	case 2:
		return d.boolInto(&s.HostIPC)
	case 3:
		return d.containers(&s.Containers, depth)
	case 4:
		return d.containers(&s.InitContainers, depth)
	case 5:
		return d.containers(&s.EphemeralContainers, depth)
	case 6:
		return d.volumes(&s.Volumes, depth)
	}
	return false
}

// array reads an array (null gives nil, [] an empty slice), calling elem
// for each element with d at the element's first byte.
func (d *bodyDec) array(depth int, isNil, empty func(), elem func() bool) bool {
	if d.null() {
		isNil()
		return true
	}
	if depth > maxFastDepth || !d.eat('[') {
		return false
	}
	if d.eat(']') {
		empty()
		return true
	}
	for {
		d.ws()
		if !elem() {
			return false
		}
		if d.eat(',') {
			continue
		}
		return d.eat(']')
	}
}

func (d *bodyDec) containers(dst *[]Container, depth int) bool {
	var cs []Container
	ok := d.array(depth, func() { *dst = nil }, func() { *dst = []Container{} }, func() bool {
		cs = append(cs, Container{})
		if d.null() {
			return true
		}
		c := &cs[len(cs)-1]
		return d.fields(containerFields, depth+1, func(j int) bool {
			if j == 0 {
				return d.strInto(&c.Image)
			}
			if d.null() {
				c.SecurityContext = nil
				return true
			}
			if d.peek() != '{' {
				return false
			}
			sc := new(SecurityContext)
			c.SecurityContext = sc
			return d.fields(securityContextFields, depth+2, func(int) bool {
				if d.null() {
					sc.Privileged = nil
					return true
				}
				p := new(bool)
				sc.Privileged = p
				return d.boolInto(p)
			})
		})
	})
	if cs != nil {
		*dst = cs
	}
	return ok
}

func (d *bodyDec) volumes(dst *[]Volume, depth int) bool {
	var vs []Volume
	ok := d.array(depth, func() { *dst = nil }, func() { *dst = []Volume{} }, func() bool {
		vs = append(vs, Volume{})
		if d.null() {
			return true
		}
		v := &vs[len(vs)-1]
		return d.fields(volumeFields, depth+1, func(int) bool {
			if d.null() {
				v.HostPath = nil
				return true
			}
			if d.peek() != '{' {
				return false
			}
			hp := new(HostPathSource)
			v.HostPath = hp
			return d.fields(hostPathFields, depth+2, func(int) bool { return d.strInto(&hp.Path) })
		})
	})
	if vs != nil {
		*dst = vs
	}
	return ok
}

func (d *bodyDec) rules(dst *[]PolicyRule, depth int) bool {
	var rs []PolicyRule
	ok := d.array(depth, func() { *dst = nil }, func() { *dst = []PolicyRule{} }, func() bool {
		rs = append(rs, PolicyRule{})
		if d.null() {
			return true
		}
		r := &rs[len(rs)-1]
		return d.fields(ruleFields, depth+1, func(j int) bool {
			l, ok := d.strings()
			if !ok {
				return false
			}
			if j == 0 {
				r.Verbs = l
			} else {
				r.Resources = l
			}
			return true
		})
	})
	if rs != nil {
		*dst = rs
	}
	return ok
}

// strInto reads a string into *dst; null leaves it unchanged.
func (d *bodyDec) strInto(dst *string) bool {
	if d.null() {
		return true
	}
	s, ok := d.str()
	if ok {
		*dst = s
	}
	return ok
}

// boolInto reads true or false into *dst; null leaves it unchanged.
func (d *bodyDec) boolInto(dst *bool) bool {
	b := d.b[d.i:]
	switch {
	case len(b) >= 4 && string(b[:4]) == "true":
		*dst = true
		d.i += 4
	case len(b) >= 5 && string(b[:5]) == "false":
		*dst = false
		d.i += 5
	case len(b) >= 4 && string(b[:4]) == "null":
		d.i += 4
	default:
		return false
	}
	return true
}

// rawInto copies the bytes of the next value into *dst, as
// json.RawMessage.UnmarshalJSON does (null included).
func (d *bodyDec) rawInto(dst *json.RawMessage, depth int) bool {
	r, ok := d.raw(depth)
	if ok {
		*dst = append(json.RawMessage(nil), r...)
	}
	return ok
}
