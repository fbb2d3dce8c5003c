package redact

import (
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
)

// Known token shapes from a maintained rule set: gitleaks' default rules
// (gitleaks.toml, github.com/zricethezav/gitleaks/v8 v8.30.1, MIT licence in
// gitleaks.LICENSE), loaded as data. The module itself is not a dependency:
// as a library it brings some seventy modules (viper, cobra, a WebAssembly
// regexp engine, archive readers) into a Fluent Bit plugin. Its rules are Go
// regexps; the file is parsed by the small TOML reader below, which knows
// the subset the file uses (tables, arrays of tables, strings, numbers,
// string arrays), and fails loudly on anything else (a test loads it).
//
// What is kept of gitleaks' semantics: the keyword prefilter (a rule's
// regexp runs only on a string holding one of its keywords, compared in
// lower case), the secret group (secretGroup, else the first non-empty
// group), the entropy threshold, the global and per-rule allowlists
// (regexes on the secret, the match or the line; stopwords; OR/AND
// conditions). What is not: path-only rules and rules limited to file paths
// (an audit event has none), and the rules our own detectors do better:
// generic-api-key (credential names: keys.go and the assignments of
// scan.go), jwt and jwt-base64 (jwtEnd and the payload decoder), private-key
// (pemBlock, which tells certificates from keys).

//go:embed gitleaks.toml
var gitleaksTOML string

// defaultRules compiles the embedded rule set once (some 15 ms); the
// result is never written again, and compiled regexps are safe for
// concurrent use, so every Redactor shares it.
var defaultRules = sync.OnceValues(func() (*ruleSet, error) { return loadRules(gitleaksTOML) })

// skippedRules are replaced by our own detectors (see above).
var skippedRules = map[string]bool{"generic-api-key": true, "jwt": true, "jwt-base64": true, "private-key": true}

// glRule is one compiled gitleaks rule.
type glRule struct {
	id          string
	re          *regexp.Regexp
	need        []string // lower case: a match holds one of them (see required)
	entropy     float64
	secretGroup int
	allow       []glAllow
}

// glAllow is an allowlist of a rule or of the whole set.
type glAllow struct {
	and     bool
	target  string // "" (the secret), "match" or "line"
	regexes []*regexp.Regexp
	stop    []string // lower case
}

// glKeyword is a keyword (lower case) and the rules it selects.
type glKeyword struct {
	kw    string
	rules []uint16
	start bool  // only at the start of a token
	text  uint8 // not a rule's: a word a text shape needs (tPass...)
}

// Words the text shapes of text.go need, found by prepass with the
// keywords (four bytes, lower case): a shape runs only when its word is
// there.
const (
	tPass     uint8 = 1 << iota // pass: directives (password, requirepass...)
	tMaster                     // mast: masterauth
	tKind                       // kind: a Secret manifest as YAML
	tServices                   // serv: Slack webhook paths
	tWebhooks                   // webh: Discord webhook paths
	tProg                       // a program whose arguments hold credentials (cmdtext.go)
	tAll      = tPass | tMaster | tKind | tServices | tWebhooks | tProg
)

var textWords = [...]struct {
	w string
	f uint8
}{{"pass", tPass}, {"mast", tMaster}, {"kind", tKind}, {"serv", tServices}, {"webh", tWebhooks},
	// The programs of textProg (cmdtext.go), by their first four bytes;
	// logi: the login of docker, helm, az...; lite: kubectl --from-literal.
	{"mysq", tProg}, {"mari", tProg}, {"redi", tProg}, {"valk", tProg}, {"keyd", tProg},
	{"mong", tProg}, {"sshp", tProg}, {"logi", tProg}, {"htpa", tProg}, {"rabb", tProg},
	{"curl", tProg}, {"lite", tProg}, {"aws ", tProg}, {"npm ", tProg}, {"yarn", tProg}}

// ruleSet is the compiled rule set, read-only once built.
type ruleSet struct {
	rules  []glRule
	global []glAllow
	// quad is a bitset of the hashed first four bytes (lower case) of the
	// keywords of four bytes or more; byQuad holds them by those bytes, so
	// that a bitset hit checks only those. Shorter keywords (a3-, hf_,
	// sg., sk, s., q~) are looked for where a token starts (short: one
	// list per first byte) or, q~, with IndexByte.
	quad   [1 << 16 / 64]uint64
	byQuad map[uint32][]glKeyword
	short  [256][]glKeyword
}

// lowerTab maps a byte to lower case (ASCII).
var lowerTab = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		t[i] = c
	}
	return t
}()

func quadHash(t uint32) uint32 { return (t * 0x9E3779B1) >> 16 }

// minRuleInput is the shortest string the rule set is run on: every rule's
// match is longer.
const minRuleInput = 16

// loadRules parses and compiles gitleaks.toml.
func loadRules(text string) (*ruleSet, error) {
	tabs, err := parseTOML(text)
	if err != nil {
		return nil, err
	}
	rs := &ruleSet{byQuad: map[uint32][]glKeyword{}}
	var cur *glRule
	skip := false
	kws := map[string][]uint16{}
	for _, t := range tabs {
		switch t.name {
		case "rules":
			cur, skip = nil, false
			id := t.str("id")
			re := t.str("regex")
			if re == "" || t.str("path") != "" || skippedRules[id] {
				skip = true
				continue
			}
			c, err := regexp.Compile(re)
			if err != nil {
				return nil, fmt.Errorf("gitleaks rule %s: %v", id, err)
			}
			rs.rules = append(rs.rules, glRule{id: id, re: c, need: required(re), entropy: t.num("entropy"), secretGroup: int(t.num("secretGroup"))})
			cur = &rs.rules[len(rs.rules)-1]
			keys := t.strs("keywords")
			if len(keys) == 0 {
				return nil, fmt.Errorf("gitleaks rule %s has no keyword", id)
			}
			for _, k := range keys {
				k = strings.ToLower(k)
				kws[k] = append(kws[k], uint16(len(rs.rules)-1))
			}
		case "rules.allowlists", "allowlist", "allowlists":
			if t.name == "rules.allowlists" && (skip || cur == nil) {
				continue
			}
			a, ok, err := compileAllow(t)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if t.name == "rules.allowlists" {
				cur.allow = append(cur.allow, a)
			} else {
				rs.global = append(rs.global, a)
			}
		case "":
		default:
			return nil, fmt.Errorf("gitleaks.toml: unknown table %q", t.name)
		}
	}
	if len(rs.rules) > 1<<16 {
		return nil, fmt.Errorf("too many rules")
	}
	for k, rules := range kws {
		if len(k) < 2 {
			return nil, fmt.Errorf("gitleaks keyword %q too short", k)
		}
		start := len(k) <= 4 && isAlnum(k[0]) && !strings.Contains(k, "~")
		kw := glKeyword{kw: k, rules: rules, start: start}
		if len(k) < 4 {
			rs.short[k[0]] = append(rs.short[k[0]], kw)
			continue
		}
		q := uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3])
		h := quadHash(q)
		rs.quad[h>>6] |= 1 << (h & 63)
		rs.byQuad[q] = append(rs.byQuad[q], kw)
	}
	for _, tw := range textWords {
		q := uint32(tw.w[0])<<24 | uint32(tw.w[1])<<16 | uint32(tw.w[2])<<8 | uint32(tw.w[3])
		h := quadHash(q)
		rs.quad[h>>6] |= 1 << (h & 63)
		rs.byQuad[q] = append(rs.byQuad[q], glKeyword{kw: tw.w, text: tw.f})
	}
	return rs, nil
}

// compileAllow compiles an allowlist; ok is false for one that cannot apply
// to an audit event (paths and commits only, or an AND with a path).
func compileAllow(t tomlTable) (glAllow, bool, error) {
	a := glAllow{and: strings.EqualFold(t.str("condition"), "AND"), target: t.str("regexTarget")}
	hasPath := len(t.strs("paths")) > 0 || len(t.strs("commits")) > 0
	for _, re := range t.strs("regexes") {
		c, err := regexp.Compile(re)
		if err != nil {
			return a, false, fmt.Errorf("gitleaks allowlist: %v", err)
		}
		a.regexes = append(a.regexes, c)
	}
	for _, s := range t.strs("stopwords") {
		a.stop = append(a.stop, strings.ToLower(s))
	}
	if a.and && hasPath || len(a.regexes) == 0 && len(a.stop) == 0 {
		return a, false, nil
	}
	return a, true, nil
}

// ruleWindow is how far around a keyword a rule's regexp looks: every
// rule's match lies within a few hundred bytes of its keyword (context of
// at most 50+20 bytes before, secrets of at most a few hundred), so the
// regexps run on windows around the keywords, not on whole values (a 400 KB
// ConfigMap value with one keyword costs one window).
const ruleWindow = 512

// win is a window of s that one rule's regexp reads.
type win struct {
	rule     uint16
	from, to int
}

// Byte classes prepass reports (cls).
const (
	cBlank  uint8 = 1 << iota // ' ', '\t'
	cLT                       // '<'
	cSlash                    // '/'
	cNonB64                   // not in the standard base64 alphabet nor a line break
	cNonHex                   // in the base64 alphabet, not a lower-case hex digit
	cAlnum                    // a letter or a digit
)

// cls is the class of each byte (read-only).
var cls = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		if isAlnum(c) {
			t[i] = cAlnum
		}
		switch {
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '=' || c == '\n' || c == '\r':
		case c >= 'A' && c <= 'Z' || c >= 'g' && c <= 'z' || c == '+':
			t[i] |= cNonHex
		case c == '/':
			t[i] |= cNonHex | cSlash
		case c == ' ' || c == '\t':
			t[i] |= cNonB64 | cBlank
		case c == '<':
			t[i] |= cNonB64 | cLT
		default:
			t[i] |= cNonB64
		}
	}
	return t
}()

// prepass reads s once: the classes of its bytes (or'ed), and the windows
// the rules' regexps must read (keywords found by their first four bytes,
// short ones where a token starts).
func (rs *ruleSet) prepass(s string) (fl, tf uint8, wins []win) {
	if rs == nil || len(s) < minRuleInput {
		for i := 0; i < len(s); i++ {
			fl |= cls[s[i]]
		}
		return fl, tAll, nil // too short to bother: the shapes look themselves
	}
	var q uint32
	prevAlnum := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		k := cls[c]
		fl |= k
		q = q<<8 | uint32(lowerTab[c])
		alnum := k&cAlnum != 0
		if alnum && !prevAlnum {
			if ks := rs.short[lowerTab[c]]; ks != nil {
				wins = rs.hits(s, i, ks, wins)
			}
		}
		prevAlnum = alnum
		if i < 3 {
			continue
		}
		if h := quadHash(q); rs.quad[h>>6]&(1<<(h&63)) != 0 {
			if ks := rs.byQuad[q]; ks != nil {
				if ks[len(ks)-1].text != 0 {
					tf |= ks[len(ks)-1].text
					ks = ks[:len(ks)-1]
				}
				wins = rs.hits(s, i-3, ks, wins)
			}
		}
	}
	// q~ (Azure AD client secrets) sits inside a token.
	if j := strings.IndexByte(s, '~'); j > 0 {
		if ks := rs.short['q']; ks != nil {
			for ; j > 0; j = indexFromByte(s, '~', j+1) {
				if lowerTab[s[j-1]] == 'q' {
					wins = rs.hits(s, j-1, ks, wins)
				}
			}
		}
	}
	return fl, tf, wins
}

func indexFromByte(s string, c byte, from int) int {
	if from >= len(s) {
		return -1
	}
	if j := strings.IndexByte(s[from:], c); j >= 0 {
		return from + j
	}
	return -1
}

// hits adds the windows of the keywords of ks found at at.
func (rs *ruleSet) hits(s string, at int, ks []glKeyword, wins []win) []win {
	tokStart := at == 0 || !isAlnum(s[at-1])
	for _, k := range ks {
		// A short keyword (s., sk, api-) starts a token: inside a word it
		// is no evidence (kubernetes.io, disk, rapid-api).
		if k.start && !tokStart || len(s)-at < len(k.kw) || !hasPrefixFold(s[at:], k.kw) {
			continue
		}
		from, to := max(0, at-ruleWindow), min(len(s), at+len(k.kw)+ruleWindow)
		for _, ri := range k.rules {
			wins = addWindow(wins, win{ri, from, to})
		}
	}
	return wins
}

// addWindow adds w to the windows, merged with an overlapping one of its
// rule (keywords come in order, so the rule's last window is the one).
func addWindow(wins []win, w win) []win {
	for i := len(wins) - 1; i >= 0; i-- {
		if wins[i].rule == w.rule {
			if w.from <= wins[i].to {
				wins[i].to = max(wins[i].to, w.to)
				return wins
			}
			break
		}
	}
	return append(wins, w)
}

// hasPrefixFold: s starts with kw (lower case) in any case.
func hasPrefixFold(s, kw string) bool {
	for i := 0; i < len(kw); i++ {
		if lowerTab[s[i]] != kw[i] {
			return false
		}
	}
	return true
}

// find appends the spans of the secrets rule r finds in s.
func (r *glRule) find(rs *ruleSet, s string, wfrom, wto int, sp []span) []span {
	// Widen the window to token boundaries, so that it cuts no token
	// (a regexp's \b and $ see what they would in the whole string).
	for wfrom > 0 && isTokenChar(s[wfrom-1]) {
		wfrom--
		if wto-wfrom > 4*ruleWindow+len(s)/2 {
			break
		}
	}
	for wto < len(s) && isTokenChar(s[wto]) {
		wto++
		if wto-wfrom > 4*ruleWindow+len(s)/2 {
			break
		}
	}
	if len(r.need) > 0 && !containsAnyFold(s[wfrom:wto], r.need) {
		return sp // a literal every match holds is absent
	}
	if !r.re.MatchString(s[wfrom:wto]) {
		return sp // cheaper than looking for the groups
	}
	// Every match: a cap on them shipped the secrets after it (a list of
	// 80 tokens of one vendor in a ConfigMap kept the last 16).
	for _, m := range r.re.FindAllStringSubmatchIndex(s[wfrom:wto], -1) {
		for k := range m {
			if m[k] >= 0 {
				m[k] += wfrom
			}
		}
		from, to := m[0], m[1]
		// Trailing newlines are not part of a match (gitleaks trims them).
		for to > from && s[to-1] == '\n' {
			to--
		}
		mfrom, mto := from, to
		if len(m) >= 4 {
			if g := r.secretGroup; g > 0 {
				if 2*g+1 < len(m) && m[2*g] >= 0 {
					from, to = m[2*g], m[2*g+1]
				}
			} else {
				for g := 1; 2*g+1 < len(m); g++ {
					if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
						from, to = m[2*g], m[2*g+1]
						break
					}
				}
			}
		}
		if to <= from {
			continue
		}
		secret := s[from:to]
		if r.entropy != 0 && entropy(secret) <= r.entropy {
			continue
		}
		if isRedacted(secret) || strings.HasPrefix(secret, mark) || strings.HasPrefix(secret, hashPrefix) {
			continue
		}
		line := lineAround(s, mfrom, mto)
		if allowed(rs.global, secret, s[mfrom:mto], line) || allowed(r.allow, secret, s[mfrom:mto], line) {
			continue
		}
		sp = append(sp, span{from, to})
	}
	return sp
}

// lineAround is the line (or lines) holding s[from:to], within
// lineContext bytes either side of it: the allowlists that read the line
// look at what is around a match, and a long line of many matches is then
// read in linear time.
func lineAround(s string, from, to int) string {
	lo, hi := max(0, from-lineContext), min(len(s), to+lineContext)
	a := lo + strings.LastIndexByte(s[lo:from], '\n') + 1
	b := strings.IndexByte(s[to:hi], '\n')
	if b < 0 {
		return s[a:hi]
	}
	return s[a : to+b]
}

// lineContext bounds lineAround.
const lineContext = 1024

func allowed(as []glAllow, secret, match, line string) bool {
	for i := range as {
		if as[i].allows(secret, match, line) {
			return true
		}
	}
	return false
}

func (a *glAllow) allows(secret, match, line string) bool {
	target := secret
	switch a.target {
	case "match":
		target = match
	case "line":
		target = line
	}
	reOK := false
	for _, re := range a.regexes {
		if re.MatchString(target) {
			reOK = true
			break
		}
	}
	stopOK := false
	if len(a.stop) > 0 {
		ls := strings.ToLower(secret)
		for _, w := range a.stop {
			if strings.Contains(ls, w) {
				stopOK = true
				break
			}
		}
	}
	if a.and {
		return (len(a.regexes) == 0 || reOK) && (len(a.stop) == 0 || stopOK)
	}
	return reOK || stopOK
}

// entropy is the Shannon entropy of s in bits per character (per rune, as
// gitleaks counts).
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	var other map[rune]int
	n := 0
	for _, c := range s {
		n++
		if c < 256 {
			counts[c]++
			continue
		}
		if other == nil {
			other = map[rune]int{}
		}
		other[c]++
	}
	inv := 1 / float64(n)
	e := 0.0
	for _, c := range counts {
		if c > 0 {
			f := float64(c) * inv
			e -= f * math.Log2(f)
		}
	}
	for _, c := range other {
		f := float64(c) * inv
		e -= f * math.Log2(f)
	}
	return e
}

// The TOML subset of gitleaks.toml.

type tomlTable struct {
	name string
	kv   map[string]any // string, float64, []string
}

func (t tomlTable) str(k string) string {
	s, _ := t.kv[k].(string)
	return s
}

func (t tomlTable) strs(k string) []string {
	s, _ := t.kv[k].([]string)
	return s
}

func (t tomlTable) num(k string) float64 {
	f, _ := t.kv[k].(float64)
	return f
}

// parseTOML reads a TOML document made of [table] and [[array]] headers and
// key = value lines, values being strings (”'…”', '…', "…"), numbers or
// arrays of strings. Tables come back in file order, the top level first
// (name "").
func parseTOML(src string) ([]tomlTable, error) {
	p := tomlParser{s: src}
	tabs := []tomlTable{{kv: map[string]any{}}}
	for {
		p.skipSpace(true)
		if p.i >= len(p.s) {
			return tabs, nil
		}
		if p.s[p.i] == '[' {
			arr := strings.HasPrefix(p.s[p.i:], "[[")
			open, close := "[", "]"
			if arr {
				open, close = "[[", "]]"
			}
			end := strings.Index(p.s[p.i:], close)
			if end < 0 {
				return nil, p.errf("unterminated table header")
			}
			name := strings.TrimSpace(p.s[p.i+len(open) : p.i+end])
			p.i += end + len(close)
			tabs = append(tabs, tomlTable{name: name, kv: map[string]any{}})
			continue
		}
		start := p.i
		for p.i < len(p.s) && (isAlnum(p.s[p.i]) || p.s[p.i] == '_' || p.s[p.i] == '-') {
			p.i++
		}
		key := p.s[start:p.i]
		if key == "" {
			return nil, p.errf("key expected")
		}
		p.skipSpace(false)
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return nil, p.errf("'=' expected after " + key)
		}
		p.i++
		p.skipSpace(false)
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		tabs[len(tabs)-1].kv[key] = v
	}
}

type tomlParser struct {
	s string
	i int
}

func (p *tomlParser) errf(msg string) error {
	line := 1 + strings.Count(p.s[:min(p.i, len(p.s))], "\n")
	return fmt.Errorf("gitleaks.toml:%d: %s", line, msg)
}

// skipSpace skips blanks and comments (and newlines when nl).
func (p *tomlParser) skipSpace(nl bool) {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			p.i++
		case c == '\n' && nl:
			p.i++
		case c == '#':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

func (p *tomlParser) value() (any, error) {
	if p.i >= len(p.s) {
		return nil, p.errf("value expected")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case c == '[':
		p.i++
		var out []string
		for {
			p.skipSpace(true)
			if p.i >= len(p.s) {
				return nil, p.errf("unterminated array")
			}
			if p.s[p.i] == ']' {
				p.i++
				return out, nil
			}
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			p.skipSpace(true)
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '.' || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
			p.i++
		}
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			return nil, p.errf("bad number")
		}
		return f, nil
	}
	return nil, p.errf("unsupported value")
}

func (p *tomlParser) str() (string, error) {
	switch {
	case strings.HasPrefix(p.s[p.i:], "'''"):
		end := strings.Index(p.s[p.i+3:], "'''")
		if end < 0 {
			return "", p.errf("unterminated '''")
		}
		v := p.s[p.i+3 : p.i+3+end]
		p.i += 6 + end
		return strings.TrimPrefix(v, "\n"), nil
	case p.s[p.i] == '\'':
		end := strings.IndexAny(p.s[p.i+1:], "'\n")
		if end < 0 || p.s[p.i+1+end] != '\'' {
			return "", p.errf("unterminated '")
		}
		v := p.s[p.i+1 : p.i+1+end]
		p.i += 2 + end
		return v, nil
	case strings.HasPrefix(p.s[p.i:], `"""`):
		return "", p.errf(`""" strings are not supported`)
	case p.s[p.i] == '"':
		var b strings.Builder
		for j := p.i + 1; j < len(p.s); j++ {
			c := p.s[j]
			switch c {
			case '"':
				p.i = j + 1
				return b.String(), nil
			case '\n':
				return "", p.errf("unterminated \"")
			case '\\':
				if j+1 >= len(p.s) {
					return "", p.errf("bad escape")
				}
				j++
				switch e := p.s[j]; e {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				case '"', '\\':
					b.WriteByte(e)
				case 'u', 'U':
					n := 4
					if e == 'U' {
						n = 8
					}
					if j+n >= len(p.s) {
						return "", p.errf("bad escape")
					}
					r, err := strconv.ParseUint(p.s[j+1:j+1+n], 16, 32)
					if err != nil {
						return "", p.errf("bad escape")
					}
					b.WriteRune(rune(r))
					j += n
				default:
					return "", p.errf("bad escape")
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", p.errf("unterminated \"")
	}
	return "", p.errf("string expected")
}

// required returns literals one of which every match of the regexp holds
// (in lower case), read from its syntax: the most selective alternation of
// literals in its top-level sequence (the (?:gocardless) of a context rule
// whose keywords are only "live_" and "gocardless"), or nil. It is a
// prefilter, cheaper than the regexp's automaton on long values.
func required(re string) []string {
	t, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil
	}
	t = t.Simplify()
	var best []string
	bestLen := 0
	var walk func(t *syntax.Regexp)
	consider := func(lits []string) {
		if len(lits) == 0 {
			return
		}
		m := len(lits[0])
		for _, l := range lits {
			m = min(m, len(l))
		}
		if m > bestLen {
			best, bestLen = lits, m
		}
	}
	walk = func(t *syntax.Regexp) {
		switch t.Op {
		case syntax.OpConcat:
			for _, sub := range t.Sub {
				walk(sub)
			}
		case syntax.OpCapture:
			walk(t.Sub[0])
		case syntax.OpPlus:
			walk(t.Sub[0])
		case syntax.OpRepeat:
			if t.Min >= 1 {
				walk(t.Sub[0])
			}
		default:
			consider(literals(t))
		}
	}
	walk(t)
	return best
}

// literals: the strings t matches when it is a literal or an alternation
// of literals (lower case), else nil.
func literals(t *syntax.Regexp) []string {
	switch t.Op {
	case syntax.OpLiteral:
		if len(t.Rune) == 0 {
			return nil
		}
		return []string{strings.ToLower(string(t.Rune))}
	case syntax.OpCapture:
		return literals(t.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, sub := range t.Sub {
			l := literals(sub)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	case syntax.OpConcat:
		// A concatenation of literals and single-character classes
		// (linked[_-]?in): its first literal run.
		if len(t.Sub) > 0 {
			return literals(t.Sub[0])
		}
	}
	return nil
}

// containsAnyFold: s holds one of lits (lower case) in any case.
func containsAnyFold(s string, lits []string) bool {
	for _, l := range lits {
		if l == "" {
			return true
		}
		for i := 0; i+len(l) <= len(s); i++ {
			j := strings.IndexByte(s[i:], l[0])
			if u := l[0]; u >= 'a' && u <= 'z' {
				if k := strings.IndexByte(s[i:], u-'a'+'A'); k >= 0 && (j < 0 || k < j) {
					j = k
				}
			}
			if j < 0 {
				break
			}
			i += j
			if i+len(l) <= len(s) && hasPrefixFold(s[i:], l) {
				return true
			}
		}
	}
	return false
}
