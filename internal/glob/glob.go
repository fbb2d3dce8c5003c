package glob

import (
	"fmt"
	"regexp"
	"strings"
)

// Pattern is one compiled pattern. The zero Pattern matches only "".
type Pattern struct {
	kind   kind
	lit    string
	suffix string
	re     *regexp.Regexp
}

type kind uint8

const (
	exact kind = iota
	anything
	prefix
	suffix
	contains
	regexpKind
)

// Compile compiles one pattern; an empty or malformed pattern is an error
// that quotes it.
func Compile(p string) (Pattern, error) {
	if p == "" {
		return Pattern{}, fmt.Errorf("empty pattern")
	}
	if !strings.ContainsAny(p, "*?[]") {
		return Pattern{kind: exact, lit: p}, nil
	}
	if p == "*" {
		return Pattern{kind: anything}, nil
	}
	inner := strings.Trim(p, "*")
	if !strings.ContainsAny(inner, "*?[]") {
		lead, trail := strings.HasPrefix(p, "*"), strings.HasSuffix(p, "*")
		switch {
		case lead && trail && len(p)-len(inner) == 2:
			return Pattern{kind: contains, lit: inner}, nil
		case trail && !lead && len(p)-len(inner) == 1:
			return Pattern{kind: prefix, lit: inner}, nil
		case lead && !trail && len(p)-len(inner) == 1:
			return Pattern{kind: suffix, lit: inner}, nil
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
				return Pattern{}, fmt.Errorf("pattern %q: unclosed '['", p)
			}
			class := p[i+1 : i+1+j]
			if class == "" || class == "!" {
				return Pattern{}, fmt.Errorf("pattern %q: empty character class", p)
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
			return Pattern{}, fmt.Errorf("pattern %q: unmatched ']'", p)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return Pattern{}, fmt.Errorf("pattern %q: %v", p, err)
	}
	return Pattern{kind: regexpKind, re: re}, nil
}

// Match reports whether s matches the whole pattern.
func (g *Pattern) Match(s string) bool {
	switch g.kind {
	case exact:
		return s == g.lit
	case anything:
		return true
	case prefix:
		return strings.HasPrefix(s, g.lit)
	case suffix:
		return strings.HasSuffix(s, g.lit)
	case contains:
		return strings.Contains(s, g.lit)
	}
	return g.re.MatchString(s)
}

// Set is an OR of patterns; the empty Set matches nothing.
type Set []Pattern

// CompileSet compiles every pattern of ps (nil for none).
func CompileSet(ps []string) (Set, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	gs := make(Set, 0, len(ps))
	for _, p := range ps {
		g, err := Compile(p)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// Match reports whether s matches one of the patterns.
func (gs Set) Match(s string) bool {
	for i := range gs {
		if gs[i].Match(s) {
			return true
		}
	}
	return false
}

// MatchAny reports whether one of ss matches one of the patterns.
func (gs Set) MatchAny(ss []string) bool {
	for _, s := range ss {
		if gs.Match(s) {
			return true
		}
	}
	return false
}

// Contains returns the literal of a "*literal*" pattern, for matchers that
// look such words up faster than one at a time.
func (g *Pattern) Contains() (literal string, ok bool) {
	return g.lit, g.kind == contains
}
