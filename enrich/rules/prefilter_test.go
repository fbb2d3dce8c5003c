package rules

import (
	"math/rand"
	"regexp/syntax"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The default rules' command regexps, and a few shapes of our own.
func commandRegexps(t *testing.T) []string {
	var f RuleFile
	if err := yaml.Unmarshal(defaultRules, &f); err != nil {
		t.Fatal(err)
	}
	out := []string{`(?i)ſocat`, `(?i)kubectl\s+exec`, `a+b{2,}c`, `(x|y)z`, `[abc]+`, `^$`, `(?i)(é|e)tc`, `\bid\b`, `(foo|)bar`}
	for _, r := range f.Rules {
		for _, m := range append([]MatchSpec{r.Match}, r.Except...) {
			out = append(out, m.CommandRegex...)
		}
	}
	return out
}

// The prefilter never hides a match: on command lines built from the
// regexps' own words, shell punctuation and non-ASCII look-alikes (the
// Kelvin sign, the long s), whenever a regexp matches, its literals are
// found.
func TestCommandPrefilterHidesNoMatch(t *testing.T) {
	exprs := commandRegexps(t)
	var words []string
	for _, e := range exprs {
		for _, w := range strings.FieldsFunc(e, func(r rune) bool { return strings.ContainsRune(`\()[]|?*+{}^$.`, r) }) {
			words = append(words, w, strings.ToUpper(w))
		}
	}
	words = append(words, " ", " -i ", "&", ";", "|", "/", "'", `"`, "-e", "ſ", "\u212a", "é", "É", "/dev/tcp/10.0.0.1/4444", "https://x.io/a", "bash -i >& ", "python3 -c 'import socket'")
	rnd := rand.New(rand.NewSource(1))
	filters := make([]commandRegexp, len(exprs))
	for i, e := range exprs {
		var err error
		if filters[i], err = compileCommandRegexp(e); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
	}
	matched := 0
	for n := 0; n < 200000; n++ {
		var b strings.Builder
		for k := rnd.Intn(6); k >= 0; k-- {
			b.WriteString(words[rnd.Intn(len(words))])
		}
		cmd := b.String()
		lower := strings.ToLower(cmd)
		for i := range filters {
			f := &filters[i]
			want := f.re.MatchString(cmd)
			if got := f.match(cmd, lower, ascii(cmd)); got != want {
				t.Fatalf("%q on %q: prefiltered %v, the regexp %v (literals %q)", exprs[i], cmd, got, want, f.lits)
			}
			if want {
				matched++
			}
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d matches: the commands do not exercise the regexps", matched)
	}
}

// Most of the default regexps have literals, and plain command lines pass
// the literals of few of them.
func TestCommandPrefilterSelects(t *testing.T) {
	with, total, passed := 0, 0, 0
	for _, e := range commandRegexps(t)[9:] {
		f, err := compileCommandRegexp(e)
		if err != nil {
			t.Fatal(err)
		}
		total++
		if f.lits == nil {
			t.Logf("no literals: %s", e)
			continue
		}
		with++
		for _, cmd := range []string{"cat /etc/passwd", "ls -la /var/log", "date", "/bin/sh -c id"} {
			if containsAny(cmd, f.lits) {
				passed++
			}
		}
	}
	if with*4 < total*3 {
		t.Fatalf("only %d of %d default command regexps have literals", with, total)
	}
	t.Logf("%d of %d regexps have literals; plain commands pass %d of %d pairs", with, total, passed, with*4)
	if passed*2 > with*4 {
		t.Fatalf("plain commands pass the literals of %d of %d regexp×command pairs", passed, with*4)
	}
	re, _ := syntax.Parse(`(?i)\b(curl|wget)\b[^;&]*\|\s*sh`, syntax.Perl)
	if lits, ok := requiredLiterals(re.Simplify()); !ok || !containsAny("curl", lits) || !containsAny("wget", lits) {
		t.Fatalf("literals %q %v", lits, ok)
	}
}
