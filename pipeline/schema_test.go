package pipeline

// A validator of the ecs and ocsf documents against the official schemas
// in ../shared/testdata/schemas (SOURCES.md there says where each file comes
// from): every document the corpora produce is checked for names, types,
// allowed values, required and at-least-one constraints, profiles,
// deprecations, observables and id/caption consistency. The test skips when
// ../shared is absent; nothing of it is copied here.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/redact"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output/format"
)

const schemasDir = "../../shared/testdata/schemas"

func schemas(t testing.TB) string {
	t.Helper()
	if st, err := os.Stat(schemasDir); err != nil || !st.IsDir() {
		t.Skip(schemasDir + " is absent")
	}
	return schemasDir
}

// corpusDoc is one audit document of the corpora, with where it is from.
type corpusDoc struct {
	where string
	doc   []byte
}

// schemaCorpora reads the lab log, enrich/testdata/*.jsonl and, when
// present, the public corpus (its envelopes included).
func schemaCorpora(t testing.TB) []corpusDoc {
	t.Helper()
	files := []string{"../testdata/lab-policy.audit.log"}
	more, _ := filepath.Glob("../enrich/testdata/*.jsonl")
	files = append(files, more...)
	if pub, _ := filepath.Abs("../../shared/testdata/audit/public"); pub != "" {
		more, _ = filepath.Glob(filepath.Join(pub, "*"))
		for _, f := range more {
			if !strings.HasSuffix(f, ".md") {
				files = append(files, f)
			}
		}
	}
	var docs []corpusDoc
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				docs = append(docs, corpusDoc{fmt.Sprintf("%s:%d", filepath.Base(f), i+1), l})
			}
		}
	}
	return docs
}

// encodeCorpora decodes, enriches and encodes every event of the corpora
// in format f; each document comes with where its event is from.
func encodeCorpora(t testing.TB, f format.Format) (wheres []string, docs []map[string]any) {
	t.Helper()
	en, err := enrich.New(enrich.Config{ClusterName: "corpus", NodeName: "node-1", Stages: allStages}, redact.Config{})
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	for _, c := range schemaCorpora(t) {
		evs, err := audit.Decode(c.doc, nil)
		if err != nil && len(evs) == 0 {
			continue // not an audit event (counted elsewhere)
		}
		for i := range evs {
			rec := new(record.Record)
			if en.EnrichInto(rec, &evs[i], record.Raw{}) != enrich.DropNone {
				continue
			}
			rec.Received = received
			out, err := format.Append(nil, f, format.Lean, rec)
			if err != nil {
				t.Errorf("%s: %v", c.where, err)
				continue
			}
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("%s: %v", c.where, err)
			}
			wheres, docs = append(wheres, c.where), append(docs, m)
		}
	}
	return wheres, docs
}

// violations collects the problems found, by kind, with an example each.
type violations struct {
	count   map[string]int
	example map[string]string
}

func (v *violations) add(kind, where string) {
	if v.count == nil {
		v.count, v.example = map[string]int{}, map[string]string{}
	}
	if v.count[kind] == 0 {
		v.example[kind] = where
	}
	v.count[kind]++
}

func (v *violations) report(t *testing.T, what string, docs int) {
	t.Helper()
	kinds := make([]string, 0, len(v.count))
	for k := range v.count {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	total := 0
	for _, k := range kinds {
		total += v.count[k]
		t.Errorf("%s: %d× %s (first: %s)", what, v.count[k], k, v.example[k])
	}
	t.Logf("%s: %d documents checked, %d violations", what, docs, total)
}

// ---- OCSF ----

type ocsfAttr struct {
	Type       string            `json:"type"`
	Object     bool              `json:"object"`
	Array      bool              `json:"array"`
	Req        string            `json:"req"`
	Enum       map[string]string `json:"enum"`
	Sibling    string            `json:"sibling"`
	Profile    string            `json:"profile"`
	Deprecated string            `json:"deprecated"`
	Observable int               `json:"observable"`
}

type ocsfObject struct {
	Caption     string               `json:"caption"`
	Observable  int                  `json:"observable"`
	Constraints map[string][]string  `json:"constraints"`
	Attributes  map[string]*ocsfAttr `json:"attributes"`
}

type ocsfType struct {
	Base       string `json:"base"`
	Regex      string `json:"regex"`
	MaxLen     int    `json:"max_len"`
	Range      []int  `json:"range"`
	Observable int    `json:"observable"`
	re         *regexp.Regexp
}

type ocsfSchema struct {
	Version  string   `json:"version"`
	Profiles []string `json:"profiles"`
	Class    struct {
		ocsfObject
		UID      int      `json:"uid"`
		Profiles []string `json:"profiles"`
	} `json:"class"`
	Objects map[string]*ocsfObject `json:"objects"`
	Types   map[string]*ocsfType   `json:"types"`
}

func loadOCSF(t testing.TB, version string) *ocsfSchema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(schemas(t), "ocsf", "ocsf-"+version+"-api_activity.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := new(ocsfSchema)
	if err := json.Unmarshal(data, s); err != nil {
		t.Fatal(err)
	}
	for _, ty := range s.Types {
		if ty.Regex != "" {
			ty.re = regexp.MustCompile(ty.Regex)
		}
	}
	return s
}

// ocsfCheck validates one document.
type ocsfCheck struct {
	s        *ocsfSchema
	v        *violations
	where    string
	profiles []string // declared in metadata.profiles
}

func (c *ocsfCheck) bad(path, problem string) { c.v.add(problem, c.where+" "+path) }

// baseType follows a type to integer_t, long_t, string_t, float_t,
// boolean_t, json_t or object.
func (c *ocsfCheck) baseType(t string) string {
	for range 5 {
		ty := c.s.Types[t]
		if ty == nil || ty.Base == "" {
			return t
		}
		t = ty.Base
	}
	return t
}

func (c *ocsfCheck) document(doc map[string]any) {
	if md, ok := doc["metadata"].(map[string]any); ok {
		if ps, ok := md["profiles"].([]any); ok {
			for _, p := range ps {
				s, _ := p.(string)
				c.profiles = append(c.profiles, s)
				if !slices.Contains(c.s.Class.Profiles, s) {
					c.bad("metadata.profiles", "profile "+s+" not applicable to the class")
				}
			}
		}
		if md["version"] != c.s.Version {
			c.bad("metadata.version", fmt.Sprintf("metadata.version %v is not the schema's %s", md["version"], c.s.Version))
		}
	}
	c.object("", doc, &c.s.Class.ocsfObject)
	// type_uid = class_uid * 100 + activity_id.
	cu, _ := doc["class_uid"].(json.Number).Int64()
	ai, _ := doc["activity_id"].(json.Number).Int64()
	if tu, _ := doc["type_uid"].(json.Number).Int64(); tu != cu*100+ai || cu != int64(c.s.Class.UID) {
		c.bad("type_uid", "type_uid is not class_uid*100+activity_id")
	}
	c.observables(doc)
}

func (c *ocsfCheck) object(path string, m map[string]any, o *ocsfObject) {
	for name, a := range o.Attributes {
		if _, ok := m[name]; !ok && a.Req == "required" && (a.Profile == "" || slices.Contains(c.profiles, a.Profile)) {
			c.bad(join(path, name), "required attribute missing: "+join(typePath(path), name))
		}
	}
	for _, group := range o.Constraints {
		n := 0
		for _, name := range group {
			if _, ok := m[name]; ok {
				n++
			}
		}
		if n == 0 {
			c.bad(path, fmt.Sprintf("none of %v (at least one required) in %s", group, typePath(path)))
		}
	}
	for name, val := range m {
		a := o.Attributes[name]
		p := join(path, name)
		if a == nil {
			c.bad(p, "unknown attribute "+join(typePath(path), name))
			continue
		}
		if a.Profile != "" && !slices.Contains(c.profiles, a.Profile) {
			c.bad(p, "attribute "+join(typePath(path), name)+" of profile "+a.Profile+" without the profile in metadata.profiles")
		}
		if a.Deprecated != "" {
			c.bad(p, "deprecated attribute "+join(typePath(path), name))
		}
		if a.Array {
			arr, ok := val.([]any)
			if !ok {
				c.bad(p, "not an array: "+join(typePath(path), name))
				continue
			}
			for i, e := range arr {
				c.value(p+"["+strconv.Itoa(i)+"]", e, a)
			}
		} else {
			c.value(p, val, a)
		}
		if a.Sibling != "" && a.Enum != nil {
			id := fmt.Sprint(val)
			cap, has := m[a.Sibling]
			if has && id != "99" && cap != a.Enum[id] {
				c.bad(p, fmt.Sprintf("%s %s does not match %s %q (want %q)", join(typePath(path), name), id, a.Sibling, cap, a.Enum[id]))
			}
		}
	}
}

func (c *ocsfCheck) value(path string, val any, a *ocsfAttr) {
	tp := typePath(path)
	if a.Object || a.Type == "object" {
		m, ok := val.(map[string]any)
		if !ok {
			c.bad(path, "not an object: "+tp)
			return
		}
		if a.Type == "object" {
			return // unmapped: anything
		}
		o := c.s.Objects[a.Type]
		if o == nil {
			c.bad(path, "object type "+a.Type+" not in the schema")
			return
		}
		c.object(path, m, o)
		return
	}
	if a.Enum != nil {
		if _, ok := a.Enum[fmt.Sprint(val)]; !ok {
			c.bad(path, fmt.Sprintf("value not in the enum of %s", tp))
		}
	}
	base := c.baseType(a.Type)
	switch base {
	case "json_t":
		return
	case "string_t":
		s, ok := val.(string)
		if !ok {
			c.bad(path, "not a string: "+tp)
			return
		}
		if ty := c.s.Types[a.Type]; ty != nil {
			if ty.re != nil && !ty.re.MatchString(s) {
				c.bad(path, "does not match the regex of "+a.Type+": "+tp)
			}
			if ty.MaxLen > 0 && len(s) > ty.MaxLen {
				c.bad(path, "longer than max_len of "+a.Type+": "+tp)
			}
		}
	case "integer_t", "long_t":
		n, ok := val.(json.Number)
		if !ok {
			c.bad(path, "not a number: "+tp)
			return
		}
		i, err := n.Int64()
		if err != nil {
			c.bad(path, "not an integer: "+tp)
			return
		}
		if ty := c.s.Types[a.Type]; ty != nil && len(ty.Range) == 2 && (i < int64(ty.Range[0]) || i > int64(ty.Range[1])) {
			c.bad(path, "out of range: "+tp)
		}
		if base == "integer_t" && (i > 1<<31-1 || i < -1<<31) {
			c.bad(path, "integer_t out of 32 bits: "+tp)
		}
	case "float_t":
		if _, ok := val.(json.Number); !ok {
			c.bad(path, "not a number: "+tp)
		}
	case "boolean_t":
		if _, ok := val.(bool); !ok {
			c.bad(path, "not a boolean: "+tp)
		}
	default:
		c.bad(path, "unknown type "+a.Type)
	}
}

// observables: type_id in the enum, type its caption, and the type the
// schema gives the attribute (or its type, or its object) the name points
// to.
func (c *ocsfCheck) observables(doc map[string]any) {
	obs, _ := doc["observables"].([]any)
	enum := c.s.Objects["observable"].Attributes["type_id"].Enum
	for i, o := range obs {
		m, _ := o.(map[string]any)
		p := "observables[" + strconv.Itoa(i) + "]"
		id := fmt.Sprint(m["type_id"])
		name, _ := m["name"].(string)
		if want := c.observableOf(name); want == 0 {
			c.bad(p, "observable name "+name+" is not an observable attribute")
		} else if strconv.Itoa(want) != id {
			c.bad(p, fmt.Sprintf("observable %s has type_id %s, the schema's is %d", typePath(name), id, want))
		}
		if m["type"] != nil && m["type"] != enum[id] {
			c.bad(p, fmt.Sprintf("observable type %v is not the caption of type_id %s", m["type"], id))
		}
		if _, ok := m["value"]; !ok {
			c.bad(p, "observable without value")
		}
	}
}

// observableOf is the observable type id of the attribute at a dotted path
// with [i] indexes (0 when it has none).
func (c *ocsfCheck) observableOf(path string) int {
	o := &c.s.Class.ocsfObject
	segs := strings.Split(typePath(path), ".")
	for i, seg := range segs {
		a := o.Attributes[seg]
		if a == nil {
			return 0
		}
		if i == len(segs)-1 {
			if a.Observable != 0 {
				return a.Observable
			}
			if ty := c.s.Types[a.Type]; ty != nil && ty.Observable != 0 {
				return ty.Observable
			}
			if ob := c.s.Objects[a.Type]; ob != nil {
				return ob.Observable
			}
			return 0
		}
		if o = c.s.Objects[a.Type]; o == nil {
			return 0
		}
	}
	return 0
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// typePath drops the array indexes of a path.
func typePath(p string) string { return indexRE.ReplaceAllString(p, "") }

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// ---- ECS ----

type ecsField struct {
	Type     string   `json:"type"`
	Array    bool     `json:"array"`
	Required bool     `json:"required"`
	Allowed  []string `json:"allowed"`
}

type ecsSchema struct {
	Version            string               `json:"version"`
	ExpectedEventTypes map[string][]string  `json:"expected_event_types"`
	Fields             map[string]*ecsField `json:"fields"`
}

func loadECS(t testing.TB, version string) *ecsSchema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(schemas(t), "ecs", "ecs-"+version+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s := new(ecsSchema)
	if err := json.Unmarshal(data, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// ecsCustom are the document's members outside ECS on purpose: the audit
// event as Elastic's integration ships it, and the enrichment.
var ecsCustom = []string{format.ECSKubernetesAudit, format.ECSEnrichment}

func checkECS(s *ecsSchema, v *violations, where string, doc map[string]any) {
	seen := map[string]any{}
	var walk func(path string, val any)
	walk = func(path string, val any) {
		if slices.Contains(ecsCustom, path) {
			return
		}
		if f := s.Fields[path]; f != nil {
			seen[path] = val
			return
		}
		if m, ok := val.(map[string]any); ok {
			for k, x := range m {
				walk(join(path, k), x)
			}
			return
		}
		v.add("not an ECS field: "+path, where)
	}
	walk("", doc)
	for name, f := range s.Fields {
		if _, ok := seen[name]; !ok && f.Required {
			v.add("required field missing: "+name, where)
		}
	}
	for name, val := range seen {
		f := s.Fields[name]
		vals := []any{val}
		if arr, ok := val.([]any); ok {
			vals = arr
		} else if f.Array {
			v.add("not an array (ECS normalizes it to one): "+name, where)
		}
		for _, x := range vals {
			if !ecsTypeOK(f.Type, x) {
				v.add(fmt.Sprintf("not of type %s: %s", f.Type, name), where+fmt.Sprintf(" %v", x))
			}
			if f.Allowed != nil && !slices.Contains(f.Allowed, fmt.Sprint(x)) {
				v.add(fmt.Sprintf("value not allowed: %s", name), where+fmt.Sprintf(" %v", x))
			}
		}
	}
	// event.type values expected for each event.category.
	list := func(x any) []any {
		if a, ok := x.([]any); ok {
			return a
		}
		if x == nil {
			return nil
		}
		return []any{x}
	}
	cats, types := list(seen["event.category"]), list(seen["event.type"])
	for _, c := range cats {
		for _, ty := range types {
			if exp, ok := s.ExpectedEventTypes[fmt.Sprint(c)]; ok && !slices.Contains(exp, fmt.Sprint(ty)) {
				v.add(fmt.Sprintf("event.type %v not expected with event.category %v", ty, c), where)
			}
		}
	}
	if seen["ecs.version"] != s.Version {
		v.add(fmt.Sprintf("ecs.version %v is not the schema's %s", seen["ecs.version"], s.Version), where)
	}
}

func ecsTypeOK(typ string, x any) bool {
	switch typ {
	case "keyword", "wildcard", "constant_keyword", "match_only_text", "text":
		_, ok := x.(string)
		return ok
	case "long", "integer", "short", "byte", "unsigned_long":
		n, ok := x.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case "float", "double", "scaled_float", "half_float":
		_, ok := x.(json.Number)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "date":
		s, ok := x.(string)
		if !ok {
			_, ok = x.(json.Number)
			return ok
		}
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	case "ip":
		s, ok := x.(string)
		if !ok {
			return false
		}
		a, err := netip.ParseAddr(s)
		return err == nil && a.Zone() == ""
	case "object", "flattened", "nested":
		_, ok := x.(map[string]any)
		return ok
	}
	return true // geo_point and others: not emitted
}

// ---- the tests ----

// TestOCSFSchema: every ocsf document of the corpora is valid OCSF of the
// version it declares in metadata.version (1.3.0 and 1.8.0 are known; the
// format declares format.OCSFVersion).
func TestOCSFSchema(t *testing.T) {
	byVersion := map[string]*ocsfSchema{}
	for _, ver := range []string{"1.3.0", "1.8.0"} {
		byVersion[ver] = loadOCSF(t, ver)
	}
	wheres, docs := encodeCorpora(t, format.OCSF)
	var v violations
	versions := map[string]int{}
	for i, d := range docs {
		ver := fmt.Sprint(lookup(d, "metadata.version"))
		versions[ver]++
		s := byVersion[ver]
		if s == nil {
			v.add("metadata.version "+ver+" has no schema here", wheres[i])
			continue
		}
		c := ocsfCheck{s: s, v: &v, where: wheres[i]}
		c.document(d)
	}
	if len(docs) < 600 {
		t.Errorf("only %d documents", len(docs))
	}
	if versions[format.OCSFVersion] != len(docs) {
		t.Errorf("declared versions %v, want all %s", versions, format.OCSFVersion)
	}
	v.report(t, fmt.Sprintf("ocsf %v", versions), len(docs))
}

// TestOCSFValidatorFinds: the validator finds what it checks, in a
// document spoilt on purpose.
func TestOCSFValidatorFinds(t *testing.T) {
	s := loadOCSF(t, "1.8.0")
	_, docs := encodeCorpora(t, format.OCSF)
	var d map[string]any
	for _, x := range docs {
		if lookup(x, "attacks") != nil && lookup(x, "observables") != nil {
			d = x
			break
		}
	}
	if d == nil {
		t.Fatal("no document with attacks and observables")
	}
	d["activity_name"] = "Nothing"
	d["no_such_attribute"] = "x"
	d["severity_id"] = json.Number("7")
	delete(d["metadata"].(map[string]any), "profiles")
	delete(d["metadata"].(map[string]any), "product")
	d["actor"] = map[string]any{"user": map[string]any{"type_id": json.Number("1")}, "invoked_by": "x"}
	d["http_request"].(map[string]any)["http_method"] = "FETCH"
	d["src_endpoint"] = map[string]any{"ip": "not-an-ip"}
	d["resources"] = []any{map[string]any{"type": "pods"}}
	d["observables"] = []any{map[string]any{"name": "actor.user.name", "type": "User Name", "type_id": json.Number("2"), "value": "x"}}
	var v violations
	c := ocsfCheck{s: s, v: &v, where: "spoilt"}
	c.document(d)
	for _, want := range []string{
		"does not match activity_name",
		"unknown attribute no_such_attribute",
		"value not in the enum of severity_id",
		"attribute attacks of profile security_control without the profile",
		"required attribute missing: metadata.product",
		"none of [account name uid]",
		"deprecated attribute actor.invoked_by",
		"value not in the enum of http_request.http_method",
		"does not match the regex of ip_t: src_endpoint.ip",
		"none of [name uid] (at least one required) in resources",
		"observable actor.user.name has type_id 2, the schema's is 4",
		"observable type User Name is not the caption of type_id 2",
	} {
		found := false
		for k := range v.count {
			found = found || strings.Contains(k, want)
		}
		if !found {
			t.Errorf("not found: %s (found: %v)", want, v.count)
		}
	}
}

// TestECSSchema: every ecs document of the corpora is valid against the
// ECS version it declares, and has every field Elastic's integration sets
// in its expected documents for the same inputs.
func TestECSSchema(t *testing.T) {
	s := loadECS(t, "8.11.0")
	wheres, docs := encodeCorpora(t, format.ECS)
	var v violations
	for i, d := range docs {
		checkECS(s, &v, wheres[i], d)
	}
	if len(docs) < 600 {
		t.Errorf("only %d documents", len(docs))
	}
	v.report(t, "ecs "+s.Version, len(docs))
}

// TestECSValidatorFinds: the ECS checks find what they check.
func TestECSValidatorFinds(t *testing.T) {
	s := loadECS(t, "8.11.0")
	_, docs := encodeCorpora(t, format.ECS)
	d := docs[0]
	d["source"] = map[string]any{"ip": "not-an-ip"}
	d["event"].(map[string]any)["kind"] = "happening"
	d["event"].(map[string]any)["category"] = "api"
	d["event"].(map[string]any)["type"] = []any{"installation"}
	d["foo"] = map[string]any{"bar": "x"}
	delete(d, "@timestamp")
	var v violations
	checkECS(s, &v, "spoilt", d)
	for _, want := range []string{
		"not of type ip: source.ip", "value not allowed: event.kind", "not an array (ECS normalizes it to one): event.category",
		"event.type installation not expected with event.category api", "not an ECS field: foo.bar", "required field missing: @timestamp",
	} {
		if v.count[want] == 0 {
			t.Errorf("not found: %s (found: %v)", want, v.count)
		}
	}
}

// TestECSCoversElastic compares with Elastic's expected documents: the
// fields Elastic's pipeline sets (outside kubernetes.audit, and tags, which
// is its input's) are all set by the ecs format for the same events,
// except the cluster's id, which GKE's entry names and the plugin does not
// know.
func TestECSCoversElastic(t *testing.T) {
	dir := filepath.Join(schemas(t), "elastic")
	pub, _ := filepath.Abs("../../shared/testdata/audit/public")
	en, err := enrich.New(enrich.Config{ClusterName: "test-cluster", Stages: allStages}, redact.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pairs := []struct{ expected, input string }{
		{"test-audit.log-expected.jsonl", "elastic-integrations_kubernetes_audit_logs_test-audit.mixed-envelopes.log"},
		{"test-kube-audit.log-expected.jsonl", "elastic-integrations_kubernetes_audit_logs_test-kube-audit.aks-envelope.log"},
	}
	checked := 0
	for _, p := range pairs {
		exp, err := os.ReadFile(filepath.Join(dir, p.expected))
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.ReadFile(filepath.Join(pub, p.input))
		if err != nil {
			t.Fatal(err)
		}
		inputs := bytes.Split(bytes.TrimSpace(in), []byte("\n"))
		for i, e := range bytes.Split(bytes.TrimSpace(exp), []byte("\n")) {
			var want map[string]any
			if err := json.Unmarshal(e, &want); err != nil {
				t.Fatal(err)
			}
			evs, err := audit.Decode(inputs[i], nil)
			if err != nil || len(evs) != 1 {
				t.Fatalf("%s:%d: %d events, %v", p.input, i+1, len(evs), err)
			}
			rec, drop := en.Enrich(&evs[0])
			if drop != enrich.DropNone {
				t.Fatalf("%s:%d: dropped", p.input, i+1)
			}
			out, err := format.Append(nil, format.ECS, format.Lean, rec)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			for _, f := range leafPaths("", want) {
				if f == "tags" || f == "orchestrator.cluster.id" || strings.HasPrefix(f, "kubernetes.audit") {
					continue
				}
				if strings.HasPrefix(f, "orchestrator.resource.") && evs[0].ObjectRef == nil {
					// A GKE non-resource request (readyz): Elastic puts the
					// path and GCP's monitored resource type (k8s_cluster)
					// there; it is no Kubernetes resource.
					continue
				}
				if lookup(got, f) == nil {
					t.Errorf("%s:%d: Elastic sets %s, the ecs format does not", p.input, i+1, f)
				}
			}
			checked++
		}
	}
	t.Logf("%d of Elastic's expected documents compared", checked)
}

func leafPaths(path string, v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{path}
	}
	var out []string
	for k, x := range m {
		out = append(out, leafPaths(join(path, k), x)...)
	}
	return out
}

func lookup(m map[string]any, path string) any {
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[seg]
	}
	return cur
}

// TestESTemplateCoversCorpora: the Elasticsearch component template maps
// the ecs fields with their ECS types (when ../shared is present), and the
// fields the corpora's documents hold map to fewer than Elasticsearch's
// default limit of 1000 per index: the bodies, annotations and other open
// maps are one flattened field each.
func TestESTemplateCoversCorpora(t *testing.T) {
	data, err := os.ReadFile("../docker/elasticsearch/kube-audit-kafka-ecs.component-template.json")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Template struct {
			Mappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	// mapped: every leaf of the template, with its type.
	mapped := map[string]string{}
	var walk func(path string, props map[string]any)
	walk = func(path string, props map[string]any) {
		for k, v := range props {
			m, _ := v.(map[string]any)
			p := join(path, k)
			if sub, ok := m["properties"].(map[string]any); ok {
				walk(p, sub)
				continue
			}
			mapped[p], _ = m["type"].(string)
		}
	}
	walk("", tpl.Template.Mappings.Properties)
	if st, err := os.Stat(schemasDir); err == nil && st.IsDir() {
		s := loadECS(t, "8.11.0")
		for _, f := range format.ECSFieldNames() {
			if e := s.Fields[f]; e != nil && mapped[f] != e.Type {
				t.Errorf("template maps %s as %q, ECS as %q", f, mapped[f], e.Type)
			}
		}
	}
	// Every field of every document is mapped, or inside a flattened one.
	_, docs := encodeCorpora(t, format.ECS)
	unmapped, seen := map[string]int{}, map[string]bool{}
	var leaves func(path string, v any)
	leaves = func(path string, v any) {
		if typ, ok := mapped[path]; ok {
			seen[path] = true
			_ = typ
			return
		}
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				leaves(join(path, k), x)
			}
			return
		}
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			if _, isObj := arr[0].(map[string]any); isObj {
				for _, x := range arr {
					leaves(path, x)
				}
				return
			}
		}
		unmapped[path]++
	}
	for _, d := range docs {
		leaves("", d)
	}
	for p, n := range unmapped {
		t.Errorf("%d documents have %s, which the template does not map", n, p)
	}
	if len(mapped) >= 1000 {
		t.Errorf("the template maps %d fields (Elasticsearch's default limit: 1000)", len(mapped))
	}
	t.Logf("%d documents: %d fields used, %d mapped by the template", len(docs), len(seen), len(mapped))
}
