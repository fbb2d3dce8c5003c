package format

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// esTemplate is the Elasticsearch component template shipped for the ecs
// format.
const esTemplate = "../../docker/elasticsearch/kube-audit-kafka-ecs.component-template.json"

// esMapping returns the mapping of a dotted path in a component template's
// properties, nil when it is not mapped.
func esMapping(props map[string]any, path string) map[string]any {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		m, _ := props[s].(map[string]any)
		if m == nil {
			return nil
		}
		if i == len(segs)-1 {
			return m
		}
		props, _ = m["properties"].(map[string]any)
	}
	return nil
}

// TestESTemplate: the component template is valid JSON and maps every
// field of the ecs format, the bodies as flattened.
func TestESTemplate(t *testing.T) {
	data, err := os.ReadFile(esTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Template struct {
			Mappings struct {
				Dynamic    any            `json:"dynamic"`
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatalf("%s: %v", esTemplate, err)
	}
	props := tpl.Template.Mappings.Properties
	for _, f := range ECSFieldNames() {
		m := esMapping(props, f)
		if m == nil || (m["type"] == nil && m["properties"] == nil) {
			t.Errorf("%s does not map %s", esTemplate, f)
		}
	}
	for _, f := range []string{"kubernetes.audit.requestObject", "kubernetes.audit.responseObject", "kubernetes.audit.annotations"} {
		if m := esMapping(props, f); m == nil || m["type"] != "flattened" {
			t.Errorf("%s: %s is not flattened", esTemplate, f)
		}
	}
	if tpl.Template.Mappings.Dynamic != false {
		t.Errorf("dynamic is %v, want false (fields outside the template are kept in _source, not mapped)", tpl.Template.Mappings.Dynamic)
	}
}
