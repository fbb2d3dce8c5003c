package glob

import "testing"

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pat, s string
		want   bool
	}{
		{"system:serviceaccount:kube-system:*", "system:serviceaccount:kube-system:coredns", true},
		{"system:serviceaccount:kube-system:*", "system:serviceaccount:default:x", false},
		{"*/exec", "pods/exec", true},
		{"*kubectl*", "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07", true},
		{"kube-*", "kube-system", true},
		{"*-system", "kube-system", true},
		{"node-?", "node-1", true},
		{"node-?", "node-10", false},
		{"node-[0-9]", "node-7", true},
		{"node-[!0-9]", "node-7", false},
		{"a*b*c", "a-x-b-y-c", true},
		{"a*b*c", "a-x-c", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	} {
		g, err := Compile(c.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Match(c.s); got != c.want {
			t.Errorf("%q ~ %q = %v", c.pat, c.s, got)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, p := range []string{"", "ali[ce", "a]b", "[]", "[!]"} {
		if _, err := Compile(p); err == nil {
			t.Errorf("Compile(%q): no error", p)
		}
	}
}

func TestSet(t *testing.T) {
	s, err := CompileSet([]string{"kube-*", "default"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Match("kube-public") || !s.Match("default") || s.Match("prod") {
		t.Error("Set.Match")
	}
	if !s.MatchAny([]string{"prod", "default"}) || s.MatchAny([]string{"prod"}) || s.MatchAny(nil) {
		t.Error("Set.MatchAny")
	}
	if empty, _ := CompileSet(nil); empty.Match("") {
		t.Error("the empty set matched")
	}
}
