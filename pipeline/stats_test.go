package pipeline

import "testing"

func TestRedactionsCountedByKind(t *testing.T) {
	s := newStats()
	s.addRedactions([]string{"requestObject.data.password", "requestObject.stringData[token]", "responseObject.data.x",
		"requestURI?token", "annotations[kubectl.kubernetes.io/last-applied-configuration]", "+7 more"})
	s.addRedactions(nil)
	got := s.Snapshot().Redactions
	want := map[string]int64{"requestObject": 2, "responseObject": 1, "requestURI": 1, "annotations": 1, "unlisted": 7}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	// However many distinct roots, the label values stay bounded.
	for i := range 200 {
		s.addRedactions([]string{"root" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".x"})
	}
	if n := len(s.Snapshot().Redactions); n > maxLabelValues+1 {
		t.Fatalf("%d label values", n)
	}
}
