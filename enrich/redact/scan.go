package redact

import (
	"encoding/base64"
	"regexp"
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

// assignRE finds `key = value`, `key: value`, `--key=value`, `KEY=value`
// and `"key": "value"` where key holds a credential word. The key is
// checked again with the key rules (so secretName: x stays).
//
// A colon separates only when followed by a blank or after a quoted key
// (YAML, properties, JSON): "system:openshift:cloud-credential-operator:x"
// is a name, not an assignment.
var assignRE = regexp.MustCompile(`(?i)(?:^|[^a-z0-9_.-])([a-z0-9_.-]*(?:pass|pwd|secret|token|key|credential|auth)[a-z0-9_.-]*)(?:[ \t]*=[ \t]*|[ \t]*:[ \t]+|["'][ \t]*:[ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s"',;&}\])]+)`)

// scanSpans returns the ranges of s that hold a secret, merged and sorted.
func (r *Redactor) scanSpans(s string, depth int) []span {
	if len(s) < minShape {
		return nil
	}
	var sp []span
	sp = pemSpans(s, sp)
	sp = r.base64Spans(s, sp, depth)
	sp = jwtSpans(s, sp)
	sp = prefixSpans(s, sp)
	sp = urlSpans(s, sp)
	sp = bearerSpans(s, sp)
	sp = r.assignSpans(s, sp)
	return merge(sp)
}

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

// pemSpans: PEM private keys (RSA, EC, OPENSSH, PKCS#8, encrypted, PGP).
// Certificates and public keys stay.
func pemSpans(s string, sp []span) []span {
	for off := 0; ; {
		i := strings.Index(s[off:], "-----BEGIN ")
		if i < 0 {
			return sp
		}
		i += off
		eol := strings.Index(s[i+11:], "-----")
		if eol < 0 {
			return sp
		}
		label := s[i+11 : i+11+eol]
		off = i + 11 + eol + 5
		if !strings.Contains(label, "PRIVATE KEY") {
			continue
		}
		end := len(s)
		if j := strings.Index(s[off:], "-----END "); j >= 0 {
			end = off + j + 9
			if k := strings.Index(s[end:], "-----"); k >= 0 {
				end += k + 5
			} else {
				end = len(s)
			}
		}
		sp = append(sp, span{i, end})
		off = end
	}
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

// base64Spans: base64 of a PEM private key (kubeconfig client-key-data,
// Secret data copied elsewhere) or of JSON holding a secret (a
// .dockerconfigjson). Only runs starting like "-----BEGIN" or `{"` are
// decoded.
func (r *Redactor) base64Spans(s string, sp []span, depth int) []span {
	if depth > 0 {
		return sp
	}
	for _, prefix := range [...]string{"LS0tLS1CRUdJT", "eyJ"} {
		for off := 0; ; {
			i := strings.Index(s[off:], prefix)
			if i < 0 {
				break
			}
			i += off
			j := i
			for j < len(s) && isB64(s[j]) {
				j++
			}
			off = j
			if j-i < 16 || (i > 0 && isB64(s[i-1])) {
				continue
			}
			dec, ok := decodeB64(s[i:j])
			if !ok {
				continue
			}
			ds := string(dec)
			if strings.Contains(ds, "PRIVATE KEY") || (prefix == "eyJ" && dockerAuthJSON(ds)) || len(r.scanSpans(ds, depth+1)) > 0 {
				sp = append(sp, span{i, j})
			}
		}
	}
	return sp
}

// dockerAuthJSON reports whether s looks like a docker config with
// credentials (auths/auth/password/identitytoken).
func dockerAuthJSON(s string) bool {
	return strings.Contains(s, `"auth`) && (strings.Contains(s, `"auth"`) || strings.Contains(s, `"password"`) || strings.Contains(s, `"identitytoken"`) || strings.Contains(s, `"registrytoken"`))
}

// jwtSpans: header.payload.signature, both first parts base64url JSON.
func jwtSpans(s string, sp []span) []span {
	for off := 0; ; {
		i := strings.Index(s[off:], "eyJ")
		if i < 0 {
			return sp
		}
		i += off
		off = i + 3
		if i > 0 && isB64URL(s[i-1]) {
			continue
		}
		j := i
		parts, n := 0, 0
		for j < len(s) {
			c := s[j]
			if isB64URL(c) {
				n++
				j++
				continue
			}
			if c == '.' && parts < 2 && n >= 8 {
				parts++
				n = 0
				j++
				continue
			}
			break
		}
		if parts == 2 {
			sp = append(sp, span{i, j})
			off = j
		}
	}
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

func prefixSpans(s string, sp []span) []span {
	for _, tp := range tokenPrefixes {
		for off := 0; ; {
			i := strings.Index(s[off:], tp.prefix)
			if i < 0 {
				break
			}
			i += off
			j := i + len(tp.prefix)
			for j < len(s) && tp.set(s[j]) {
				j++
			}
			off = j
			n := j - i - len(tp.prefix)
			if n < tp.min || (tp.max > 0 && n != tp.max) {
				continue
			}
			if tp.prefix[0] != 'h' && i > 0 && isAlnum(s[i-1]) {
				continue // inside a longer word
			}
			from := i
			if tp.prefix[0] == 'h' { // keep the Slack host, hide the path
				from = i + len(tp.prefix)
			}
			sp = append(sp, span{from, j})
		}
	}
	return sp
}

// urlSpans: the password of scheme://user:password@host (the host stays).
// A password may hold a raw '/' (not valid, but typed); a port followed by a
// path with an '@' in it (https://host:8443/x@y) is not a password.
func urlSpans(s string, sp []span) []span {
	for off := 0; ; {
		i := strings.Index(s[off:], "://")
		if i < 0 {
			return sp
		}
		i += off + 3
		off = i
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
			continue
		}
		pw := s[colon+1 : at]
		if k := strings.IndexByte(pw, '/'); k >= 0 && allDigits(pw[:k]) {
			continue // a port, then a path
		}
		if !isRedacted(pw) {
			sp = append(sp, span{colon + 1, at})
		}
		off = at
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// bearerSpans: "Bearer <token>" (header values copied into configs,
// commands, annotations).
func bearerSpans(s string, sp []span) []span {
	for off := 0; off < len(s); {
		i := indexFold(s[off:], "bearer")
		if i < 0 {
			return sp
		}
		i += off + 6
		off = i
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j == i {
			continue
		}
		k := j
		for k < len(s) && (isTokenChar(s[k]) || s[k] == '.' || s[k] == '~' || s[k] == '+' || s[k] == '/' || s[k] == '=') {
			k++
		}
		if k-j >= minShape {
			sp = append(sp, span{j, k})
			off = k
		}
	}
	return sp
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring case.
func indexFold(s, needle string) int {
	first := needle[0]
	for i := 0; i+len(needle) <= len(s); i++ {
		if s[i]|0x20 != first {
			continue
		}
		ok := true
		for k := 1; k < len(needle); k++ {
			if s[i+k]|0x20 != needle[k] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// hasCredWord is a cheap test before the assignment regexp: a separator
// and a credential word, any case.
func hasCredWord(s string) bool {
	if strings.IndexByte(s, '=') < 0 && strings.IndexByte(s, ':') < 0 {
		return false
	}
	for i := 0; i+3 <= len(s); i++ {
		switch s[i] | 0x20 {
		case 'p':
			if s[i+1]|0x20 == 'a' && s[i+2]|0x20 == 's' || s[i+1]|0x20 == 'w' && s[i+2]|0x20 == 'd' {
				return true
			}
		case 's':
			if s[i+1]|0x20 == 'e' && s[i+2]|0x20 == 'c' {
				return true
			}
		case 't':
			if s[i+1]|0x20 == 'o' && s[i+2]|0x20 == 'k' {
				return true
			}
		case 'k':
			if s[i+1]|0x20 == 'e' && s[i+2]|0x20 == 'y' {
				return true
			}
		case 'c':
			if s[i+1]|0x20 == 'r' && s[i+2]|0x20 == 'e' {
				return true
			}
		case 'a':
			if s[i+1]|0x20 == 'u' && s[i+2]|0x20 == 't' {
				return true
			}
		}
	}
	return false
}

// assignSpans: values of credential assignments inside a string, like the
// `aws_secret_access_key = ...` lines of a ConfigMap properties file or
// `--password=...` in a command.
func (r *Redactor) assignSpans(s string, sp []span) []span {
	if !hasCredWord(s) {
		return sp
	}
	for _, m := range assignRE.FindAllStringSubmatchIndex(s, -1) {
		key := s[m[2]:m[3]]
		if v := r.classify(key); v != keyCred && v != keyUser {
			continue
		}
		from, to := m[4], m[5]
		if to-from >= 2 && (s[from] == '"' || s[from] == '\'') {
			from, to = from+1, to-1
		}
		val := s[from:to]
		if strings.HasPrefix(s[from:], mark) || val == "" || isRedacted(val) || val == "true" || val == "false" || val == "|" || val == ">" {
			continue
		}
		sp = append(sp, span{from, to})
	}
	return sp
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
