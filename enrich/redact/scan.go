package redact

import (
	"encoding/base64"
	"sort"
	"strings"
)

// Content shapes: secrets recognised by what they look like, wherever they
// are. Every detector starts with a cheap substring test; a regexp only
// confirms a credential assignment once a credential word was seen.

// span is a byte range of a string to redact.
type span struct{ from, to int }

// minShape is the shortest string worth scanning: every shape below is longer.
const minShape = 8

// scanSpans returns the ranges of s that hold a secret, merged and sorted.
// One pass: each byte selects the few shapes that can start there.
func (r *Redactor) scanSpans(s string, depth int) []span {
	if len(s) < minShape || inert(s) {
		return nil // inert: unique (times, versions, uids), not worth remembering
	}
	h, hit := r.cleanSum(s, depth)
	if hit {
		return nil
	}
	return r.scanMissed(s, depth, h)
}

// cleanSum is s's hash in the clean cache (0 when s is not one to
// remember) and whether the cache holds it.
func (r *Redactor) cleanSum(s string, depth int) (uint64, bool) {
	if c := r.clean; c != nil && depth == 0 && len(s) >= minCleanLen && len(s) <= maxCleanLen {
		h := c.sum(s)
		return h, c.has(h)
	}
	return 0, false
}

// scanMissed is scanSpans for a string the cache does not hold (h from
// cleanSum). A clean string is remembered unless it looks like a docker
// config: strClean asks the cache before its own test for those.
func (r *Redactor) scanMissed(s string, depth int, h uint64) []span {
	sp := r.shapes(s, depth)
	if h != 0 && len(sp) == 0 && !dockerConfigText(s) {
		r.clean.add(h)
	}
	return sp
}

// shapes is scanSpans without the cache.
func (r *Redactor) shapes(s string, depth int) []span {
	// One pass over the bytes tells which shapes may be there (blanks,
	// '<', '/', only base64) and where gitleaks' keywords are.
	fl, tf, wins := r.rules.prepass(s)
	// An encoded payload (base64, base64 of gzip) goes whole when what it
	// decodes to holds a secret.
	if depth < maxPayloadDepth && len(s) >= minPayload && fl&(cNonB64|cNonHex) == cNonHex && r.payloadSecret(s, depth) {
		return []span{{0, len(s)}}
	}
	var sp []span
	certEnd := true     // an END CERTIFICATE line may still follow
	var whole wholeText // what the assignments ask of s as a whole
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !scanStart[c] {
			continue
		}
		switch c {
		case '-':
			if strings.HasPrefix(s[i:], "-----BEGIN ") {
				end, secret := pemBlock(s, i, &certEnd)
				if secret {
					sp = append(sp, span{i, end})
				}
				i = end - 1
			}
		case 'L':
			if depth == 0 && (i == 0 || !isB64(s[i-1])) && strings.HasPrefix(s[i:], "LS0tLS1CRUdJT") {
				if j, ok := r.base64Secret(s, i, depth); ok {
					sp = append(sp, span{i, j})
					i = j - 1
				}
			}
		case 'e':
			if strings.HasPrefix(s[i:], "eyJ") && (i == 0 || !isB64URL(s[i-1])) {
				if j := jwtEnd(s, i); j > 0 {
					sp = append(sp, span{i, j})
					i = j - 1
				} else if depth == 0 {
					if j, ok := r.base64Secret(s, i, depth); ok {
						sp = append(sp, span{i, j})
						i = j - 1
					}
				}
			}
		case 'A', 'g', 'G', 'x', 'h':
			if len(s)-i < 14 || !vendorStart(c, s[i+1]) {
				continue // vendorToken needs as much
			}
			if from, to, ok := vendorToken(s, i); ok {
				sp = append(sp, span{from, to})
				i = to - 1
			}
		case 'b', 'B':
			if len(s)-i < 7 {
				continue // bearerToken and basicToken need as much
			}
			if s[i+1]|0x20 == 'a' {
				if from, to, ok := basicToken(s, i); ok {
					sp = append(sp, span{from, to})
					i = to - 1
				}
				continue
			}
			if s[i+1]|0x20 != 'e' {
				continue
			}
			if from, to, ok := bearerToken(s, i); ok {
				sp = append(sp, span{from, to})
				i = to - 1
			}
		case ':':
			if strings.HasPrefix(s[i:], "://") {
				if from, to, ok := urlPassword(s, i+3); ok {
					sp = append(sp, span{from, to})
				}
				continue
			}
			if (i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t')) || (i > 0 && (s[i-1] == '"' || s[i-1] == '\'')) {
				if from, to, ok := r.assignment(s, i, &whole); ok {
					sp = append(sp, span{from, to})
					i = to - 1
				}
			} else if i+1 < len(s) && i > 0 && isKeyChar(s[i-1]) && s[i+1] != ':' && s[i+1] != '/' {
				// "apikey:xyz" (a header written without a blank, as in
				// Kong's add.headers): only when the key starts a word.
				if from, to, ok := r.tightAssignment(s, i, &whole); ok {
					sp = append(sp, span{from, to})
					i = to - 1
				}
			}
		case '=':
			if from, to, ok := r.assignment(s, i, &whole); ok {
				sp = append(sp, span{from, to})
				i = to - 1
			}
		}
	}
	if fl&(cBlank|cLT|cSlash) != 0 {
		sp = r.textSpans(s, fl, tf, sp)
	}
	sp = sysSpans(s, sp)
	for _, w := range wins {
		sp = r.rules.rules[w.rule].find(r.rules, s, w.from, w.to, sp)
	}
	return merge(sp)
}

// scanStart: the bytes at which a shape of scanSpans can start (read-only).
var scanStart = func() (t [256]bool) {
	for _, c := range []byte("-LeAgGxhbB:=") {
		t[c] = true
	}
	return t
}()

func merge(sp []span) []span {
	if len(sp) < 2 {
		return sp
	}
	sort.Slice(sp, func(i, j int) bool { return sp[i].from < sp[j].from })
	out := sp[:1]
	for _, x := range sp[1:] {
		last := &out[len(out)-1]
		if x.from <= last.to {
			if x.to > last.to {
				last.to = x.to
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

func isB64(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

func isB64URL(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
}

// decodeB64 decodes standard or URL base64, padded or not.
func decodeB64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// dockerAuthJSON reports whether s looks like a docker config with
// credentials (auths/auth/password/identitytoken).
func dockerAuthJSON(s string) bool {
	return strings.Contains(s, `"auth`) && (strings.Contains(s, `"auth"`) || strings.Contains(s, `"password"`) || strings.Contains(s, `"identitytoken"`) || strings.Contains(s, `"registrytoken"`))
}

// tokenPrefix describes a vendor token: a fixed prefix then a run of
// characters from set of at least min (and, when max > 0, exactly max).
type tokenPrefix struct {
	prefix   string
	set      func(byte) bool
	min, max int
}

func isUpperDigit(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') }
func isAlnum(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}
func isAlnumUnder(c byte) bool { return isAlnum(c) || c == '_' }
func isTokenChar(c byte) bool  { return isAlnum(c) || c == '_' || c == '-' }

var tokenPrefixes = [...]tokenPrefix{
	// AWS access key ids (long-term and STS).
	{"AKIA", isUpperDigit, 16, 16}, {"ASIA", isUpperDigit, 16, 16},
	{"ABIA", isUpperDigit, 16, 16}, {"ACCA", isUpperDigit, 16, 16},
	// GitHub.
	{"ghp_", isAlnum, 30, 0}, {"gho_", isAlnum, 30, 0}, {"ghu_", isAlnum, 30, 0},
	{"ghs_", isAlnum, 30, 0}, {"ghr_", isAlnum, 30, 0}, {"github_pat_", isAlnumUnder, 22, 0},
	// GitLab.
	{"glpat-", isTokenChar, 20, 0}, {"gldt-", isTokenChar, 20, 0}, {"glrt-", isTokenChar, 20, 0},
	{"glptt-", isTokenChar, 20, 0}, {"glcbt-", isTokenChar, 20, 0}, {"gloas-", isTokenChar, 20, 0},
	{"glsoat-", isTokenChar, 20, 0}, {"glffct-", isTokenChar, 20, 0}, {"GR1348941", isTokenChar, 20, 0},
	// Slack.
	{"xoxb-", isTokenChar, 10, 0}, {"xoxp-", isTokenChar, 10, 0}, {"xoxa-", isTokenChar, 10, 0},
	{"xoxr-", isTokenChar, 10, 0}, {"xoxs-", isTokenChar, 10, 0}, {"xoxe-", isTokenChar, 10, 0},
	{"xapp-", isTokenChar, 10, 0},
	{"hooks.slack.com/services/", func(c byte) bool { return isAlnum(c) || c == '/' }, 10, 0},
}

// prefixesBy holds tokenPrefixes by first byte, in their order (read-only).
var prefixesBy = func() (t [256][]tokenPrefix) {
	for _, tp := range tokenPrefixes {
		t[tp.prefix[0]] = append(t[tp.prefix[0]], tp)
	}
	return t
}()

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mark is what replaces a value in mask mode.
const mark = "[REDACTED]"

// isRedacted reports whether v is already a redaction (mask or hash), so
// that redacting twice equals redacting once.
func isRedacted(v string) bool {
	if v == mark {
		return true
	}
	if len(v) == len(hashPrefix)+64 && strings.HasPrefix(v, hashPrefix) {
		for i := len(hashPrefix); i < len(v); i++ {
			c := v[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	return false
}

// pemBlock looks at the PEM block starting at i ("-----BEGIN "). It returns
// where the block (or just its BEGIN line) ends, and whether it is a private
// key. Certificates are skipped whole: public, and not worth scanning. Each
// byte is searched a bounded number of times: once no END CERTIFICATE line
// follows (*certEnd false), none is looked for again.
func pemBlock(s string, i int, certEnd *bool) (end int, secret bool) {
	const begin = len("-----BEGIN ")
	eol := strings.Index(s[i+begin:min(len(s), i+begin+64)], "-----")
	if eol < 0 {
		return i + begin, false
	}
	label := s[i+begin : i+begin+eol]
	after := i + begin + eol + 5
	if strings.Contains(label, "PRIVATE KEY") {
		endLine := "-----END " + label + "-----"
		if j := strings.Index(s[after:], endLine); j >= 0 {
			return after + j + len(endLine), true
		}
		return len(s), true // no end: everything after is key material
	}
	if label == "CERTIFICATE" && *certEnd {
		const endLine = "-----END CERTIFICATE-----"
		if j := strings.Index(s[after:], endLine); j >= 0 {
			return after + j + len(endLine), false
		}
		*certEnd = false
	}
	return after, false
}

// base64Secret: a base64 run starting at i that decodes to a private key, a
// docker config with credentials, or text holding another secret shape.
func (r *Redactor) base64Secret(s string, i, depth int) (int, bool) {
	j := i
	for j < len(s) && isB64(s[j]) {
		j++
	}
	if j-i < 16 || (i > 0 && isB64(s[i-1])) {
		return j, false
	}
	dec, ok := decodeB64(s[i:j])
	if !ok {
		return j, false
	}
	ds := string(dec)
	if strings.Contains(ds, "PRIVATE KEY") || dockerAuthJSON(ds) || len(r.scanSpans(ds, depth+1)) > 0 {
		return j, true
	}
	return j, false
}

// jwtEnd: the end of a JWT (header.payload.signature, header and payload
// base64url JSON) starting at i, or 0.
func jwtEnd(s string, i int) int {
	j, parts, n := i, 0, 0
	for j < len(s) {
		c := s[j]
		if isB64URL(c) {
			n++
			j++
			continue
		}
		if c == '.' && parts < 2 && n >= 8 {
			if parts == 0 && !strings.HasPrefix(s[j+1:], "eyJ") {
				return 0
			}
			parts++
			n = 0
			j++
			continue
		}
		break
	}
	if parts == 2 {
		return j
	}
	return 0
}

// vendorToken: a cloud, VCS or chat token starting at i.
func vendorToken(s string, i int) (from, to int, ok bool) {
	if len(s)-i < 14 {
		return 0, 0, false
	}
	switch c1 := s[i+1]; s[i] {
	case 'A':
		if c1 != 'K' && c1 != 'S' && c1 != 'B' && c1 != 'C' {
			return 0, 0, false
		}
	case 'g':
		if c1 != 'h' && c1 != 'l' && c1 != 'i' {
			return 0, 0, false
		}
	case 'x':
		if c1 != 'o' && c1 != 'a' {
			return 0, 0, false
		}
	case 'h':
		if c1 != 'o' {
			return 0, 0, false
		}
	case 'G':
		if c1 != 'R' {
			return 0, 0, false
		}
	}
	hook := s[i] == 'h'
	if !hook && i > 0 && isAlnum(s[i-1]) {
		return 0, 0, false // inside a longer word
	}
	for _, tp := range prefixesBy[s[i]] {
		if !strings.HasPrefix(s[i:], tp.prefix) {
			continue
		}
		j := i + len(tp.prefix)
		limit := len(s)
		if tp.max > 0 {
			limit = min(limit, j+tp.max+1)
		}
		for j < limit && tp.set(s[j]) {
			j++
		}
		n := j - i - len(tp.prefix)
		if n < tp.min || (tp.max > 0 && n != tp.max) {
			continue
		}
		if hook { // keep the Slack host, hide the path
			return i + len(tp.prefix), j, true
		}
		return i, j, true
	}
	return 0, 0, false
}

// vendorStart: the first two bytes c, c1 may start a vendorToken (its
// first test, inlined in scanSpans' loop).
func vendorStart(c, c1 byte) bool {
	switch c {
	case 'A':
		return c1 == 'K' || c1 == 'S' || c1 == 'B' || c1 == 'C'
	case 'g':
		return c1 == 'h' || c1 == 'l' || c1 == 'i'
	case 'x':
		return c1 == 'o' || c1 == 'a'
	case 'h':
		return c1 == 'o'
	case 'G':
		return c1 == 'R'
	}
	return false
}

// urlPassword: the password of scheme://user:password@host (the host
// stays); i is just after "://". A password may hold a raw '/' (not valid,
// but typed); a port followed by a path with an '@' in it
// (https://host:8443/x@y) is not a password.
func urlPassword(s string, i int) (from, to int, ok bool) {
	colon, at := -1, -1
	for j := i; j < len(s); j++ {
		c := s[j]
		if c == '@' {
			at = j
			break
		}
		if c == ':' && colon < 0 {
			colon = j
			continue
		}
		if c == '/' && colon < 0 || c == ':' && strings.HasPrefix(s[j:], "://") {
			break
		}
		if c == '?' || c == '#' || c == ' ' || c == '\n' || c == '\t' || c == '"' || c == '\'' || c == '<' || c == '>' {
			break
		}
	}
	if at < 0 || colon < 0 || colon+1 >= at {
		return 0, 0, false
	}
	pw := s[colon+1 : at]
	if k := strings.IndexByte(pw, '/'); k >= 0 && allDigits(pw[:k]) {
		return 0, 0, false // a port, then a path
	}
	if isRedacted(pw) {
		return 0, 0, false
	}
	return colon + 1, at, true
}

// bearerToken: "Bearer <token>" at i (header values copied into configs,
// commands, annotations).
func bearerToken(s string, i int) (from, to int, ok bool) {
	if len(s)-i < 7 || (i > 0 && isAlnum(s[i-1])) {
		return 0, 0, false
	}
	for k := 1; k < 6; k++ {
		if s[i+k]|0x20 != "bearer"[k] {
			return 0, 0, false
		}
	}
	j := i + 6
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j == i+6 {
		return 0, 0, false
	}
	k := j
	for k < len(s) && (isTokenChar(s[k]) || s[k] == '.' || s[k] == '~' || s[k] == '+' || s[k] == '/' || s[k] == '=') {
		k++
	}
	if k-j < minShape {
		return 0, 0, false
	}
	return j, k, true
}

func isKeyChar(c byte) bool { return isAlnum(c) || c == '_' || c == '.' || c == '-' }

// assignment: the value of a credential assignment whose separator ('=' or
// ':') is at p — `aws_secret_access_key = x` in a properties file,
// `password: x` in YAML, `"token": "x"` in JSON text, `--password=x`,
// `PASSWORD=x` in a command. The key goes through the key rules, so
// secretName: x stays.
func (r *Redactor) assignment(s string, p int, whole *wholeText) (from, to int, ok bool) {
	ke := p
	for ke > 0 && (s[ke-1] == ' ' || s[ke-1] == '\t') {
		ke--
	}
	if ke > 0 && (s[ke-1] == '"' || s[ke-1] == '\'') {
		ke--
	}
	ks := ke
	for ks > 0 && isKeyChar(s[ks-1]) { // (key runs end at separators: linear)
		ks--
	}
	if ke-ks < 3 {
		return 0, 0, false
	}
	return r.assignValue(s, ks, ke, p, whole)
}

// tightAssignment: key:value with no blank nor quote around the ':' at p,
// the key starting a word.
func (r *Redactor) tightAssignment(s string, p int, whole *wholeText) (from, to int, ok bool) {
	ks := p
	for ks > 0 && isKeyChar(s[ks-1]) {
		ks--
	}
	if p-ks < 3 || ks > 0 && !strings.ContainsRune(" \t\n\r\"',[{;(", rune(s[ks-1])) {
		return 0, 0, false
	}
	return r.assignValue(s, ks, p, p, whole)
}

// wholeText remembers what a string holds as a whole, asked by the
// assignments in it: each is looked for once per string, so that a string
// of many "sig=" or "pwd=" keys is read in linear time.
type wholeText struct{ asked, holds uint8 }

const (
	wholeSAS       uint8 = 1 << iota // sv= or sp=: an Azure shared access signature
	wholeSemicolon                   // ';': a connection string
)

func (t *wholeText) has(s string, what uint8) bool {
	if t.asked&what == 0 {
		t.asked |= what
		var in bool
		switch what {
		case wholeSAS:
			in = strings.Contains(s, "sv=") || strings.Contains(s, "sp=")
		case wholeSemicolon:
			in = strings.IndexByte(s, ';') >= 0
		}
		if in {
			t.holds |= what
		}
	}
	return t.holds&what != 0
}

// assignValue: the value after the separator at p of key s[ks:ke], when
// the key names a credential, or names the value of a name/value record
// whose name does (value: next to name: DB_PASSWORD), or is the Pwd of a
// connection string.
func (r *Redactor) assignValue(s string, ks, ke, p int, whole *wholeText) (from, to int, ok bool) {
	key := s[ks:ke]
	if v := r.classify(key); v != keyCred && v != keyUser && !headerCred(key) {
		switch {
		case valueKey(key):
			if !r.namedRecord(s, ks, p) {
				return 0, 0, false
			}
		case strings.EqualFold(key, "pwd") && (ks == 0 || s[ks-1] == ';' || s[ks-1] == ' ') && whole.has(s, wholeSemicolon):
		case key == "sig" && whole.has(s, wholeSAS):
			// The signature of an Azure shared access signature URL.
		default:
			return 0, 0, false
		}
	}
	from = p + 1
	for from < len(s) && (s[from] == ' ' || s[from] == '\t') {
		from++
	}
	if from >= len(s) {
		return 0, 0, false
	}
	if q := s[from]; q == '"' || q == '\'' {
		// An unterminated quote runs to the end of the line: when in
		// doubt, redact.
		end := strings.IndexAny(s[from+1:], string(q)+"\n")
		if end < 0 {
			end = len(s) - from - 1
		}
		from, to = from+1, from+1+end
	} else if strings.HasPrefix(s[from:], "{{") {
		// A template reference ({{ .Values.password }}): no credential.
		return 0, 0, false
	} else {
		to = from
		for to < len(s) && !strings.ContainsRune(" \t\r\n\"',;&})]", rune(s[to])) {
			to++
		}
		// An authorization scheme: the credential follows it.
		if to < len(s) && (s[to] == ' ' || s[to] == '\t') && authScheme(s[from:to]) {
			k := to
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			e := k
			for e < len(s) && !strings.ContainsRune(" \t\r\n\"',;&})]", rune(s[e])) {
				e++
			}
			if e > k {
				from, to = k, e
			}
		}
	}
	val := s[from:to]
	if strings.HasPrefix(s[from:], mark) || !credValue(val) {
		return 0, 0, false
	}
	return from, to, true
}

// authScheme: an HTTP authorization scheme, written before the credential.
func authScheme(v string) bool {
	return len(v) <= 9 && foldIn(v, "basic", "bearer", "token", "digest", "negotiate", "bot", "ssws", "apikey", "api-key", "oauth", "key", "splunk", "geniekey")
}

// valueKey: the key of the value member of a name/value record.
func valueKey(k string) bool {
	switch k {
	case "value", "values", "val":
		return true
	}
	if len(k) < 3 || len(k) > 6 || !hasUpper(k) {
		return false // lower case: done above; only mixed case is left
	}
	return strings.EqualFold(k, "value") || strings.EqualFold(k, "values") || strings.EqualFold(k, "val")
}

// foldIn: k is one of words (lower case), in any case; no allocation.
func foldIn(k string, words ...string) bool {
	for _, w := range words {
		if len(w) == len(k) && strings.EqualFold(k, w) {
			return true
		}
	}
	return false
}

// nameKeys are the members naming the value of a record: {name: X, value:
// Y} (env, parameters), {key: X, value: Y}, {header: X, value: Y},
// {type: password, value: Y} (identity-provider credentials).
func nameKey(k string) bool {
	switch k {
	case "name", "key", "header", "headername", "type", "param", "parameter", "field", "id", "headerName":
		return true
	}
	if len(k) < 2 || len(k) > 10 || !hasUpper(k) {
		return false // lower case: done above
	}
	switch k[0] | 0x20 {
	case 'n', 'k', 'h', 't', 'p', 'f', 'i':
		return foldIn(k, "name", "key", "header", "headername", "type", "param", "parameter", "field", "id")
	}
	return false
}

// namedRecord: the value member whose key ends at ks (its separator at p)
// belongs to a record, written as JSON, YAML or similar text, whose name
// member names a credential. The record is the text around it up to an
// object or list-item boundary (at most 256 bytes each way).
func (r *Redactor) namedRecord(s string, ks, p int) bool {
	lo := max(0, ks-256)
	back := s[lo:ks]
	if b := lastBoundary(back); b >= 0 {
		back = back[b:]
	}
	if r.recordNames(back) {
		return true
	}
	hi := min(len(s), p+256)
	fwd := s[p+1 : hi]
	if b := firstBoundary(fwd); b >= 0 {
		fwd = fwd[:b]
	}
	return r.recordNames(fwd)
}

func lastBoundary(s string) int {
	b := strings.LastIndexAny(s, "{}[")
	if k := strings.LastIndex(s, "- "); k > b && (k == 0 || s[k-1] == ' ' || s[k-1] == '\n') {
		b = k
	}
	return b
}

func firstBoundary(s string) int {
	b := strings.IndexAny(s, "{}[")
	if k := strings.Index(s, "\n"); k >= 0 {
		// The next list item.
		rest := strings.TrimLeft(s[k+1:], " \t")
		if strings.HasPrefix(rest, "- ") {
			at := len(s) - len(rest)
			if b < 0 || at < b {
				b = at
			}
		}
	}
	return b
}

// recordNames: the text of a record holds a name member (name: X, "key":
// "X", header=X...) whose value names a credential.
func (r *Redactor) recordNames(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != ':' && c != '=' {
			continue
		}
		ke := i
		for ke > 0 && (t[ke-1] == ' ' || t[ke-1] == '\t') {
			ke--
		}
		if ke > 0 && (t[ke-1] == '"' || t[ke-1] == '\'') {
			ke--
		}
		ks := ke
		for ks > 0 && isKeyChar(t[ks-1]) {
			ks--
		}
		if !nameKey(t[ks:ke]) {
			continue
		}
		vs := i + 1
		for vs < len(t) && (t[vs] == ' ' || t[vs] == '\t' || t[vs] == '"' || t[vs] == '\'') {
			vs++
		}
		ve := vs
		for ve < len(t) && (isKeyChar(t[ve]) || t[ve] == '/') {
			ve++
		}
		if ve-vs < 3 {
			continue
		}
		name := t[vs:ve]
		if r.credName(t[ks:ke], name) {
			return true
		}
	}
	return false
}

// headerCred: HTTP header names carrying a credential (besides those the
// key rules already see: X-Api-Key, X-Auth-Token...).
func headerCred(h string) bool {
	if len(h) < 6 || len(h) > 19 {
		return false
	}
	return foldIn(h, "authorization", "proxy-authorization", "cookie", "set-cookie", "x-vault-token", "private-token", "x-goog-api-key", "apikey")
}

func hasUpper(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= 'A' && k[i] <= 'Z' {
			return true
		}
	}
	return false
}

// inert: s cannot hold a secret shape, whatever the rules: only digits and
// the punctuation of numbers, dates and times (resource versions,
// timestamps, IPs), or exactly a UUID. Every shape needs more letters than
// T and Z; a number under a credential key is the key rules' business.
func inert(s string) bool {
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		for i := 0; i < 36; i++ {
			c := s[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-' && (i == 8 || i == 13 || i == 18 || i == 23)) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '-', c == ':', c == '.', c == 'T', c == 'Z', c == '+', c == ' ':
		default:
			return false
		}
	}
	return true
}
