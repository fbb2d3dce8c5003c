package rules

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// commandRegexp is a command_regex with the literals one of which every
// match contains (in lower case), read from its syntax tree: a command
// line that contains none of them is not matched without running the
// regular expression, which costs microseconds on every exec. Without
// such literals (a pattern of classes only), it always runs.
type commandRegexp struct {
	re   *regexp.Regexp
	lits []string
}

// maxLiterals bounds the alternatives a prefilter keeps.
const maxLiterals = 32

func compileCommandRegexp(expr string) (commandRegexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return commandRegexp{}, err
	}
	c := commandRegexp{re: re}
	if t, err := syntax.Parse(expr, syntax.Perl); err == nil {
		if lits, ok := requiredLiterals(t.Simplify()); ok {
			c.lits = lits
		}
	}
	return c, nil
}

// match reports whether the regexp matches cmd; lower is cmd in lower case
// and ascii whether cmd is all ASCII (with other text, case folding is
// Unicode's, where "ſ" matches (?i)s: the regexp decides).
func (c *commandRegexp) match(cmd, lower string, ascii bool) bool {
	if c.lits != nil && ascii && !containsAny(lower, c.lits) {
		return false
	}
	return c.re.MatchString(cmd)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// requiredLiterals returns strings in lower case one of which every match
// of re contains, or false when it knows none. Case-insensitive literals
// that are not ASCII are not used (Unicode folding maps some of them onto
// ASCII letters).
func requiredLiterals(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if s == "" || re.Flags&syntax.FoldCase != 0 && !ascii(s) {
			return nil, false
		}
		return []string{strings.ToLower(s)}, true
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		// Any factor's literals will do: the most selective (the longest
		// shortest literal).
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			lits, ok := requiredLiterals(sub)
			if !ok {
				continue
			}
			if n := shortest(lits); n > bestLen {
				best, bestLen = lits, n
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits, ok := requiredLiterals(sub)
			if !ok || len(all)+len(lits) > maxLiterals {
				return nil, false
			}
			all = append(all, lits...)
		}
		return all, len(all) > 0
	}
	return nil, false
}

func shortest(lits []string) int {
	n := -1
	for _, l := range lits {
		if n < 0 || len(l) < n {
			n = len(l)
		}
	}
	return n
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
