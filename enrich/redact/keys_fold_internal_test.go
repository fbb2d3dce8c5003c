package redact

import "testing"

func TestRecordKeysFold(t *testing.T) {
	for _, k := range []string{"name", "Name", "NAME", "key", "Key", "header", "Header", "headerName", "HeaderName", "type", "Type", "id", "ID", "Id", "nAme", "tYPE", "namE", "param", "Parameter", "field"} {
		if !nameKey(k) {
			t.Error(k)
		}
	}
	for _, k := range []string{"value", "Value", "VALUE", "values", "Values", "val", "Val", "vAlue", "vaLUE", "valUE"} {
		if !valueKey(k) {
			t.Error(k)
		}
	}
	for _, k := range []string{"names", "image", "Image", "kind", "valued", "nam"} {
		if nameKey(k) || valueKey(k) {
			t.Error("no", k)
		}
	}
}
