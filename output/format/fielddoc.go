package format

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// fmtDoc builds a message of the ecs or ocsf format: values are set by
// dotted path, and written as encoding/json's Encoder (SetEscapeHTML false)
// writes a map[string]any tree built from those paths: keys sorted at each
// level, objects only where a value is set. It replaces such a tree (about
// 200 allocations per event) with fixed slots and a write plan made once
// per format. TestFormatsMatchMapEncoding holds it to the map encoding.
type fmtDoc struct {
	plan *docPlan
	set  [maxDocFields]bool
	v    [maxDocFields]docVal
	err  error // a path the plan does not have (a programming error)
}

const maxDocFields = 64

type docKind uint8

const (
	dkStr docKind = iota
	dkInt
	dkStrs
	dkEvent        // the audit event (ecs: annotation keys with '_' for '.')
	dkEnrichment   // the enrichment object
	dkGroups       // ocsf actor.user.groups: [{"name": g}]
	dkResources    // ocsf resources: ocsfResources
	dkAttacks      // ocsf attacks: [{"sub_technique": {"uid": s}, "technique": {"uid": t}, "version": "v15"}]
	dkLoggers      // ocsf metadata.loggers: [{logged_time, name, version}]
	dkObservables  // ocsf observables: ocsfObservables
	dkRequestData  // the request body (ocsf api.request.data)
	dkResponseData // the response body (ocsf api.response.data)
)

type docVal struct {
	kind docKind
	s    string
	n    int64
	ss   []string
}

// docPlan is the write order of a format's fields.
type docPlan struct {
	index map[string]int // path -> slot
	segs  [][]string     // by slot: the path's segments
	order []int          // slots in write order
}

// newDocPlan orders paths as encoding/json orders nested map keys: by the
// first segment, then the next, and so on.
// Paths beyond maxDocFields are left out of the plan (setting one is an
// error at encoding; TestFormatsMatchMapEncoding would fail).
func newDocPlan(paths []string) *docPlan {
	paths = paths[:min(len(paths), maxDocFields)]
	p := &docPlan{index: make(map[string]int, len(paths))}
	for i, path := range paths {
		p.index[path] = i
		p.segs = append(p.segs, strings.Split(path, "."))
		p.order = append(p.order, i)
	}
	slices.SortStableFunc(p.order, func(a, b int) int {
		return slices.Compare(p.segs[a], p.segs[b])
	})
	return p
}

var (
	ecsPlan  = newDocPlan(ECSFieldNames())
	ocsfPlan = newDocPlan(OCSFFieldNames())
)

func (d *fmtDoc) put(path string, v docVal) {
	i, ok := d.plan.index[path]
	if !ok {
		d.err = errors.New("field " + path + " is not in the format's plan")
		return
	}
	d.set[i], d.v[i] = true, v
}

// str sets a string; "" leaves the field out.
func (d *fmtDoc) str(path, s string) {
	if s != "" {
		d.put(path, docVal{kind: dkStr, s: s})
	}
}

func (d *fmtDoc) int(path string, n int64) { d.put(path, docVal{kind: dkInt, n: n}) }

// strs sets a list of strings; an empty one leaves the field out.
func (d *fmtDoc) strs(path string, ss []string) {
	if len(ss) > 0 {
		d.put(path, docVal{kind: dkStrs, ss: ss})
	}
}

func (d *fmtDoc) special(path string, k docKind) { d.put(path, docVal{kind: k}) }

// appendJSON writes the document. The special values are written from rec.
func (d *fmtDoc) appendJSON(dst []byte, rec *record.Record) ([]byte, error) {
	if d.err != nil {
		return dst, d.err
	}
	n0 := len(dst)
	var open [8]string // the objects open below the top level
	depth := 0
	first := [9]bool{true}
	key := func(dst []byte, level int, k string) []byte {
		if !first[level] {
			dst = append(dst, ',')
		}
		first[level] = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		return append(dst, '"', ':')
	}
	dst = append(dst, '{')
	var err error
	for _, i := range d.plan.order {
		if !d.set[i] {
			continue
		}
		segs := d.plan.segs[i]
		objs := segs[:len(segs)-1]
		k := 0
		for k < depth && k < len(objs) && open[k] == objs[k] {
			k++
		}
		for ; depth > k; depth-- {
			dst = append(dst, '}')
		}
		for ; depth < len(objs); depth++ {
			dst = append(key(dst, depth, objs[depth]), '{')
			open[depth] = objs[depth]
			first[depth+1] = true
		}
		dst = key(dst, depth, segs[len(segs)-1])
		if dst, err = d.appendValue(dst, &d.v[i], rec); err != nil {
			return dst[:n0], err
		}
	}
	for ; depth > 0; depth-- {
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

func (d *fmtDoc) appendValue(dst []byte, v *docVal, rec *record.Record) ([]byte, error) {
	ev, e := rec.Event, &rec.Enrichment
	switch v.kind {
	case dkStr:
		return jsonx.AppendWith(dst, v.s, jsonx.NoHTML), nil
	case dkInt:
		return strconv.AppendInt(dst, v.n, 10), nil
	case dkStrs:
		return appendStringsTable(dst, v.ss, jsonx.NoHTML), nil
	case dkEvent:
		if d.plan == ecsPlan && len(ev.Annotations) > 0 {
			// As Elastic's pipeline does, dots in annotation keys become
			// '_' so that Elasticsearch does not read them as object paths.
			evc := *ev
			evc.Annotations = make(map[string]string, len(ev.Annotations))
			for k, val := range ev.Annotations {
				evc.Annotations[strings.ReplaceAll(k, ".", "_")] = val
			}
			ev = &evc
		}
		if d.plan == ocsfPlan && (ev.RequestObject != nil || ev.ResponseObject != nil) {
			// ocsf ships the bodies as api.request.data and api.response.data.
			evc := *ev
			evc.RequestObject, evc.ResponseObject = nil, nil
			ev = &evc
		}
		// The event is marshalled on its own (HTML-safe), then embedded as
		// is: the Encoder's compaction of a json.RawMessage without HTML
		// escaping leaves compact JSON unchanged.
		n := len(dst)
		dst, err := appendEventDepth(dst, ev, jsonx.MaxDepth-1)
		if err != nil {
			return dst[:n], fmt.Errorf("encode event: %w", err)
		}
		return dst, nil
	case dkRequestData, dkResponseData:
		// A body on its own, as json.Marshal writes a *runtime.Unknown.
		u, what := ev.RequestObject, "requestObject"
		if v.kind == dkResponseData {
			u, what = ev.ResponseObject, "responseObject"
		}
		n := len(dst)
		dst, err := appendUnknown(dst, u, jsonx.MaxDepth)
		if err != nil {
			return dst[:n], fmt.Errorf("encode %s: %w", what, err)
		}
		return dst, nil
	case dkEnrichment:
		return appendEnrichment(dst, e, true)
	case dkGroups:
		dst = append(dst, '[')
		for i, g := range ev.User.Groups {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = append(jsonx.AppendWith(dst, g, jsonx.NoHTML), '}')
		}
		return append(dst, ']'), nil
	case dkResources:
		dst = append(dst, '[')
		for i, r := range ocsfResources(rec) {
			if i > 0 {
				dst = append(dst, ',')
			}
			o := jsonObj{plain: jsonx.NoHTML}
			if r.group != "" {
				g := jsonObj{plain: jsonx.NoHTML}
				dst = g.str(o.key(dst, "group"), "name", r.group)
				dst = g.end(dst)
			}
			dst = o.opt(dst, "name", r.name)
			dst = o.opt(dst, "namespace", r.namespace)
			dst = o.str(dst, "role", r.role)
			dst = strconv.AppendInt(o.key(dst, "role_id"), int64(r.roleID), 10)
			dst = o.str(dst, "type", r.typ)
			dst = o.opt(dst, "uid", r.uid)
			dst = o.end(dst)
		}
		return append(dst, ']'), nil
	case dkAttacks:
		dst = append(dst, '[')
		for i, t := range e.Attack {
			if i > 0 {
				dst = append(dst, ',')
			}
			tech, sub := ocsfAttack(t)
			dst = append(dst, '{')
			if sub != "" {
				dst = append(dst, `"sub_technique":{"uid":`...)
				dst = append(jsonx.AppendWith(dst, sub, jsonx.NoHTML), "},"...)
			}
			dst = append(dst, `"technique":{"uid":`...)
			dst = jsonx.AppendWith(dst, tech, jsonx.NoHTML)
			dst = append(dst, `},"version":"v15"}`...)
		}
		return append(dst, ']'), nil
	case dkLoggers:
		o := jsonObj{plain: jsonx.NoHTML}
		dst = append(dst, '[')
		if !rec.Received.IsZero() {
			dst = strconv.AppendInt(o.key(dst, "logged_time"), rec.Received.UnixMilli(), 10)
		}
		dst = o.str(dst, "name", ocsfLoggerName)
		dst = o.opt(dst, "version", loggerVersion)
		return append(o.end(dst), ']'), nil
	case dkObservables:
		dst = append(dst, '[')
		for i, ob := range ocsfObservables(rec) {
			if i > 0 {
				dst = append(dst, ',')
			}
			o := jsonObj{plain: jsonx.NoHTML}
			dst = o.str(dst, "name", ob.name)
			dst = o.str(dst, "type", ob.typ)
			dst = strconv.AppendInt(o.key(dst, "type_id"), int64(ob.typeID), 10)
			dst = o.str(dst, "value", ob.value)
			dst = o.end(dst)
		}
		return append(dst, ']'), nil
	}
	return dst, fmt.Errorf("unknown value kind %d", v.kind)
}
