package enrich

import (
	"fmt"
	"regexp"
	"strings"
)

// glob matches a string against a shell-style pattern: '*' is any run of
// characters (including '/' and ':'), '?' one character, and '[...]' a
// character class ('[!...]' negated). Patterns without metacharacters, or with
// a single trailing or leading '*', avoid the regular expression.
type glob struct {
	kind   globKind
	lit    string
	suffix string
	re     *regexp.Regexp
}

type globKind uint8

const (
	globExact globKind = iota
	globAny
	globPrefix
	globSuffix
	globContains
	globRegexp
)

func compileGlob(p string) (glob, error) {
	if p == "" {
		return glob{}, fmt.Errorf("empty pattern")
	}
	if !strings.ContainsAny(p, "*?[]") {
		return glob{kind: globExact, lit: p}, nil
	}
	if p == "*" {
		return glob{kind: globAny}, nil
	}
	inner := strings.Trim(p, "*")
	if !strings.ContainsAny(inner, "*?[]") {
		lead, trail := strings.HasPrefix(p, "*"), strings.HasSuffix(p, "*")
		switch {
		case lead && trail && len(p)-len(inner) == 2:
			return glob{kind: globContains, lit: inner}, nil
		case trail && !lead && len(p)-len(inner) == 1:
			return glob{kind: globPrefix, lit: inner}, nil
		case lead && !trail && len(p)-len(inner) == 1:
			return glob{kind: globSuffix, lit: inner}, nil
		}
	}
	var b strings.Builder
	b.WriteString(`^`)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := strings.IndexByte(p[i+1:], ']')
			if j < 0 {
				return glob{}, fmt.Errorf("pattern %q: unclosed '['", p)
			}
			class := p[i+1 : i+1+j]
			if class == "" || class == "!" {
				return glob{}, fmt.Errorf("pattern %q: empty character class", p)
			}
			b.WriteByte('[')
			if class[0] == '!' {
				b.WriteByte('^')
				class = class[1:]
			}
			b.WriteString(strings.ReplaceAll(class, `\`, `\\`))
			b.WriteByte(']')
			i += j + 1
		case ']':
			return glob{}, fmt.Errorf("pattern %q: unmatched ']'", p)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return glob{}, fmt.Errorf("pattern %q: %v", p, err)
	}
	return glob{kind: globRegexp, re: re}, nil
}

func (g *glob) match(s string) bool {
	switch g.kind {
	case globExact:
		return s == g.lit
	case globAny:
		return true
	case globPrefix:
		return strings.HasPrefix(s, g.lit)
	case globSuffix:
		return strings.HasSuffix(s, g.lit)
	case globContains:
		return strings.Contains(s, g.lit)
	}
	return g.re.MatchString(s)
}

// globs is an OR of patterns.
type globs []glob

func compileGlobs(ps []string) (globs, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	gs := make(globs, 0, len(ps))
	for _, p := range ps {
		g, err := compileGlob(p)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, nil
}

func (gs globs) match(s string) bool {
	for i := range gs {
		if gs[i].match(s) {
			return true
		}
	}
	return false
}

func (gs globs) matchAny(ss []string) bool {
	for _, s := range ss {
		if gs.match(s) {
			return true
		}
	}
	return false
}
