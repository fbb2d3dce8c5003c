package redact

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"strings"
)

// Shapes of credentials carried as text: HTTP headers, configuration files
// (netrc, redis.conf, haproxy, settings.xml, kubeconfig exec env, INI,
// properties, env files, YAML/TOML), name/value records written as text,
// and encoded payloads (base64, base64 of gzip) holding any of these. Each
// is found by a cheap byte test first (strings.Index is vectorised); none
// keeps state between calls.

// textSpans adds the spans of the text shapes of s to sp.
func (r *Redactor) textSpans(s string, fl, tf uint8, sp []span) []span {
	// Each shape needs a byte most identifiers, names and timestamps lack
	// (fl, from prepass): a blank (directives, YAML), '<' (XML), '/'
	// (webhook paths).
	if fl&cBlank != 0 {
		// Configuration directives whose value follows a blank: netrc
		// "password X", redis.conf "requirepass X" / "masterauth X",
		// haproxy "insecure-password X".
		for _, word := range [...]string{"pass", "masterauth"} {
			if word == "pass" && tf&tPass == 0 || word == "masterauth" && tf&tMaster == 0 {
				continue
			}
			for off := 0; off < len(s); {
				j := strings.Index(s[off:], word)
				if j < 0 {
					break
				}
				j += off
				off = j + len(word)
				if from, to, we, ok := directive(s, j); ok {
					sp = append(sp, span{from, to})
					off = to
				} else if we > off {
					off = we // the word's other occurrences read the same word
				}
			}
		}
		// A Secret manifest written as YAML text (a Helm release, a kind:
		// List in a ConfigMap): the values under data / stringData.
		if tf&tKind != 0 && strings.Contains(s, "kind: Secret") {
			sp = yamlSecretData(s, sp)
		}
		// A Dockerfile's ENV KEY VALUE (the old form; ENV KEY=VALUE is an
		// assignment): an OpenShift BuildConfig's inline Dockerfile, a
		// build context kept in a ConfigMap.
		if strings.Contains(s, "ENV ") {
			sp = r.dockerfileEnv(s, sp)
		}
		// Command lines quoted in text (cmdtext.go).
		n := len(sp)
		if tf&tProg != 0 {
			sp = r.commandSpans(s, sp)
		}
		sp = r.flagSpans(s, sp, sp[n:])
	}
	// XML elements: <password>X</password> (Maven settings.xml, NuGet).
	if fl&cLT != 0 {
		for off := 0; off < len(s); {
			j := strings.IndexByte(s[off:], '<')
			if j < 0 {
				break
			}
			j += off
			off = j + 1
			if from, to, ok := r.xmlElement(s, j); ok {
				sp = append(sp, span{from, to})
				off = to
			}
		}
	}
	// Webhook paths, with or without their host: Slack
	// (services/T…/B…/secret), Discord (webhooks/<id>/<token>).
	if fl&cSlash != 0 {
		for _, hook := range [...]string{"services/T", "webhooks/"} {
			if hook == "services/T" && tf&tServices == 0 || hook == "webhooks/" && tf&tWebhooks == 0 {
				continue
			}
			for off := 0; off < len(s); {
				j := strings.Index(s[off:], hook)
				if j < 0 {
					break
				}
				j += off
				off = j + len(hook)
				if from, to, ok := webhookPath(s, j, hook); ok {
					sp = append(sp, span{from, to})
					off = to
				}
			}
		}
	}
	return sp
}

// dockerfileEnv adds the values of the lines ENV KEY VALUE whose key
// names a credential: the rest of the line (Docker reads it whole).
func (r *Redactor) dockerfileEnv(s string, sp []span) []span {
	for off := 0; off < len(s); {
		j := strings.Index(s[off:], "ENV ")
		if j < 0 {
			break
		}
		j += off
		off = j + len("ENV ")
		ls := j
		for ls > 0 && (s[ls-1] == ' ' || s[ls-1] == '\t') {
			ls--
		}
		if ls > 0 && s[ls-1] != '\n' {
			continue // not an instruction: ENV starts its line
		}
		le := strings.IndexByte(s[off:], '\n')
		if le < 0 {
			le = len(s)
		} else {
			le += off
		}
		k := off
		for k < le && s[k] == ' ' {
			k++
		}
		ke := k
		for ke < le && s[ke] != ' ' && s[ke] != '\t' && s[ke] != '=' {
			ke++
		}
		if ke == le || s[ke] == '=' || ke == k {
			continue // ENV KEY=VALUE: an assignment
		}
		if v := r.classify(s[k:ke]); v != keyCred && v != keyUser {
			continue
		}
		from, to := ke, strings.TrimRight(s[:le], " \t\r")
		for from < len(to) && (s[from] == ' ' || s[from] == '\t') {
			from++
		}
		end := len(to)
		if end-from >= 2 && (s[from] == '"' || s[from] == '\'') && s[end-1] == s[from] {
			from, end = from+1, end-1
		}
		if from < end && credValue(s[from:end]) {
			sp = append(sp, span{from, end})
		}
		off = le
	}
	return sp
}

// directiveWords are configuration words whose value follows a blank.
// "password" and "passwd" only at the start of a line or after a netrc
// "login NAME"; the others anywhere, being specific.
func directiveWord(w string) (anywhere, known bool) {
	switch w {
	case "requirepass", "masterauth", "insecure-password", "auth-pass", "auth_pass", "authpass", "masterpassword":
		return true, true
	case "password", "passwd", "pass":
		return false, true
	}
	return false, false
}

// directive: the value of a configuration directive whose word contains
// the text at j; we is where that word ends (a caller looking for the text
// again skips to it: each occurrence in the word would read the same word,
// and reading it anew each time is quadratic in a word made of them).
func directive(s string, j int) (from, to, we int, ok bool) {
	ws := j
	for ws > 0 && (isAlnum(s[ws-1]) || s[ws-1] == '-' || s[ws-1] == '_') {
		ws--
	}
	we = j
	for we < len(s) && (isAlnum(s[we]) || s[we] == '-' || s[we] == '_') {
		we++
	}
	if we >= len(s) || (s[we] != ' ' && s[we] != '\t') {
		return 0, 0, we, false
	}
	anywhere, known := directiveWord(s[ws:we])
	if !known {
		return 0, 0, we, false
	}
	if !anywhere {
		// At the start of a line, or after "login NAME " (netrc).
		ls := ws
		for ls > 0 && (s[ls-1] == ' ' || s[ls-1] == '\t') {
			ls--
		}
		if ls > 0 && s[ls-1] != '\n' && !afterNetrcLogin(s[:ws]) {
			return 0, 0, we, false
		}
	}
	from = we
	for from < len(s) && (s[from] == ' ' || s[from] == '\t') {
		from++
	}
	if from < len(s) && (s[from] == '"' || s[from] == '\'') {
		q := s[from]
		end := strings.IndexAny(s[from+1:], string(q)+"\n")
		if end < 0 {
			end = len(s) - from - 1
		}
		from, to = from+1, from+1+end
	} else {
		to = from
		for to < len(s) && s[to] != ' ' && s[to] != '\t' && s[to] != '\n' && s[to] != '\r' {
			to++
		}
	}
	v := s[from:to]
	if v == "" || !credValue(v) {
		return 0, 0, we, false
	}
	return from, to, we, true
}

// afterNetrcLogin: the text before ends with "login NAME " (or "machine
// HOST "), as in a .netrc line.
func afterNetrcLogin(before string) bool {
	b := strings.TrimRight(before, " \t")
	k := strings.LastIndexAny(b, " \t\n")
	if k < 0 {
		return false
	}
	b = strings.TrimRight(b[:k], " \t")
	return strings.HasSuffix(b, "login") || strings.HasSuffix(b, "machine") || strings.HasSuffix(b, "account")
}

// xmlElement: the text of <tag>X</tag> when tag names a credential.
func (r *Redactor) xmlElement(s string, i int) (from, to int, ok bool) {
	j := i + 1
	for j < len(s) && (isKeyChar(s[j]) || s[j] == ':') { // (a tag ends at the first byte no tag holds: each read once)
		j++
	}
	if j >= len(s) || s[j] != '>' || j == i+1 {
		return 0, 0, false
	}
	tag := s[i+1 : j]
	if v := r.classify(tag); v != keyCred && v != keyUser {
		return 0, 0, false
	}
	from = j + 1
	// The element's text: up to the next tag, within a bound (a value is
	// short; the bound keeps a string of many "<password>" linear).
	end := strings.Index(s[from:min(len(s), from+4096)], "</")
	if end < 0 {
		return 0, 0, false
	}
	to = from + end
	for from < to && (s[from] == ' ' || s[from] == '\n' || s[from] == '\t' || s[from] == '\r') {
		from++
	}
	for to > from && (s[to-1] == ' ' || s[to-1] == '\n' || s[to-1] == '\t' || s[to-1] == '\r') {
		to--
	}
	if to <= from || !credValue(s[from:to]) || strings.ContainsAny(s[from:to], "<>") {
		return 0, 0, false
	}
	return from, to, true
}

// yamlSecretData: in YAML text holding "kind: Secret", the values of the
// entries of every data: / stringData: block.
func yamlSecretData(s string, sp []span) []span {
	for _, head := range [...]string{"\ndata:", "\nstringData:"} {
		for off := 0; off < len(s); {
			j := strings.Index(s[off:], head)
			if j < 0 {
				break
			}
			j += off + len(head)
			off = j
			// The block's entries: the following lines more indented than
			// the header.
			for k := strings.IndexByte(s[j:], '\n'); k >= 0; {
				ls := j + k + 1
				le := strings.IndexByte(s[ls:], '\n')
				if le < 0 {
					le = len(s)
				} else {
					le += ls
				}
				line := s[ls:le]
				if line == "" || (line[0] != ' ' && line[0] != '\t') {
					break
				}
				if c := strings.Index(line, ": "); c > 0 {
					vs := ls + c + 2
					for vs < le && s[vs] == ' ' {
						vs++
					}
					ve := le
					for ve > vs && (s[ve-1] == '\r' || s[ve-1] == ' ') {
						ve--
					}
					if v := s[vs:ve]; v != "" && v != "|" && v != ">" && !strings.HasPrefix(v, "|") && credValue(strings.Trim(v, `"'`)) {
						sp = append(sp, span{vs, ve})
					}
				}
				j = le
				if le >= len(s) {
					break
				}
				k = 0
			}
		}
	}
	return sp
}

// credValue: v, found where a credential is expected, may be one: not a
// file path, a variable or template reference, an already redacted value,
// a boolean or nothing.
func credValue(v string) bool {
	if v == "" || isRedacted(v) || strings.HasPrefix(v, mark) || strings.HasPrefix(v, hashPrefix) {
		return false
	}
	if len(v) <= 8 && foldIn(v, "true", "false", "null", "none", "nil", "|", ">", "-", "\"\"", "''", "<nil>", "changeme", "redacted", "xxx", "******", "********") {
		return false
	}
	if strings.Contains(v, "****") {
		return false // already masked by whoever wrote it
	}
	return !refOrPath(v)
}

// secretNameLike: v looks like the name of a Secret (a DNS-1123 label with
// words: billing-basic-auth, vault-approle), as the value of a key that
// refers to a Secret (…/auth-secret, spec.secret) rather than holds one.
func secretNameLike(v string) bool {
	if len(v) < 3 || len(v) > 63 || strings.IndexByte(v, '-') < 0 || v[0] == '-' || v[len(v)-1] == '-' {
		return false
	}
	digits := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z' || c == '-' || c == '.':
		case c >= '0' && c <= '9':
			digits++
		default:
			return false
		}
	}
	return digits*4 <= len(v)
}

// refersToSecret: key k (a credential key) is an annotation or ends in
// "secret": its value may be the name of a Secret.
func refersToSecret(k string) bool {
	if strings.IndexByte(k, '/') >= 0 {
		return true
	}
	var buf [128]byte
	if len(k) > len(buf) {
		return false
	}
	return bytes.HasSuffix(normKey(buf[:0], k), []byte("secret"))
}

// refOrPath: v is a file path (/etc/kubernetes/pki/x.key, ~/.ssh/id, ./x)
// or a reference to a value held elsewhere ($VAR, ${VAR}, $(VAR),
// {{ .Values.x }}, %VAR%, ${env:VAR}).
func refOrPath(v string) bool {
	// A reference then a path: ${user.home}/.ssh/id_rsa, $HOME/.netrc.
	if len(v) > 2 && v[0] == '$' {
		if k := strings.IndexByte(v, '/'); k > 1 && !strings.ContainsAny(v[k:], " \t") && refOrPath(v[:k]) {
			return true
		}
	}
	switch {
	case len(v) > 1 && v[0] == '/' && v[1] != '/':
		// An absolute path: path characters only, at least two
		// segments or an extension.
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(isAlnum(c) || c == '/' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
		return strings.Count(v, "/") >= 2 || strings.IndexByte(v, '.') > 0
	case strings.HasPrefix(v, "~/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "file://"):
		return !strings.ContainsAny(v, " \t")
	case strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}"),
		strings.HasPrefix(v, "$(") && strings.HasSuffix(v, ")"),
		strings.HasPrefix(v, "{{") && strings.HasSuffix(v, "}}"),
		strings.HasPrefix(v, "<%") && strings.HasSuffix(v, "%>"):
		return true
	case len(v) > 1 && v[0] == '$':
		for i := 1; i < len(v); i++ {
			if !isAlnumUnder(v[i]) {
				return false
			}
		}
		return true
	case len(v) > 2 && v[0] == '%' && v[len(v)-1] == '%':
		for i := 1; i < len(v)-1; i++ {
			if !isAlnumUnder(v[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// basicToken: "Basic <base64 of user:password>" at i.
func basicToken(s string, i int) (from, to int, ok bool) {
	if len(s)-i < 8 || (i > 0 && isAlnum(s[i-1])) {
		return 0, 0, false
	}
	for k := 1; k < 5; k++ {
		if s[i+k]|0x20 != "basic"[k] {
			return 0, 0, false
		}
	}
	j := i + 5
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j == i+5 {
		return 0, 0, false
	}
	k := j
	for k < len(s) && (isAlnum(s[k]) || s[k] == '+' || s[k] == '/' || s[k] == '=') {
		k++
	}
	if k-j < 8 {
		return 0, 0, false
	}
	d, ok := decodeB64(s[j:k])
	if !ok || bytes.IndexByte(d, ':') < 1 || !printable(d) {
		return 0, 0, false
	}
	return j, k, true
}

// printable: b is text (UTF-8 without control bytes but blanks).
func printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// Bounds of encoded payload decoding: how deep encodings nest (base64 of
// gzip of base64...), how large an encoded value is looked at, and how much
// a gzip stream may inflate to.
const (
	maxPayloadDepth = 4
	minPayload      = 24
	maxPayloadIn    = 4 << 20
	maxInflated     = 8 << 20
)

// wholeB64 reports whether s, once line breaks are removed, is standard
// base64 (padded or not) long enough to be a payload, and not only hex (a
// digest or checksum decodes to nothing readable). It returns the text to
// decode.
func wholeB64(s string) (string, bool) {
	if len(s) < minPayload || len(s) > maxPayloadIn {
		return "", false
	}
	nonHex, breaks := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'Z' || c >= 'g' && c <= 'z' || c == '+' || c == '/':
			nonHex = true
		case c == '=':
			if len(s)-i > 3 && strings.Trim(s[i:], "=\n") != "" {
				return "", false
			}
		case c == '\n' || c == '\r':
			breaks = true
		default:
			return "", false
		}
	}
	if !nonHex {
		return "", false
	}
	if breaks {
		s = strings.NewReplacer("\n", "", "\r", "").Replace(s)
	}
	return s, true
}

// payloadSecret reports whether an encoded payload (s, base64) holds a
// secret once decoded: a gzip stream is inflated (bounded), text is
// scanned with every shape, JSON is read by the rules of the walk (a
// serialized Secret, a List of them, a docker config), and base64 inside is
// decoded again, up to maxPayloadDepth.
func (r *Redactor) payloadSecret(s string, depth int) bool {
	if depth >= maxPayloadDepth {
		return false
	}
	b, ok := wholeB64(s)
	if !ok {
		return false
	}
	dec, err := base64.StdEncoding.DecodeString(b)
	if err != nil {
		if dec, err = base64.RawStdEncoding.DecodeString(b); err != nil {
			return false
		}
	}
	return r.decodedSecret(dec, depth+1)
}

func (r *Redactor) decodedSecret(dec []byte, depth int) bool {
	if depth > maxPayloadDepth {
		return false
	}
	if len(dec) > 2 && dec[0] == 0x1f && dec[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(dec))
		if err != nil {
			return false
		}
		out, err := io.ReadAll(io.LimitReader(zr, maxInflated+1))
		if len(out) > maxInflated {
			// Too large to look at: a bomb, or a payload we cannot vouch
			// for. Fail closed.
			return true
		}
		if err != nil && len(out) == 0 {
			return false
		}
		return r.decodedSecret(out, depth+1)
	}
	if !printable(dec) {
		return false
	}
	ds := string(dec)
	if strings.Contains(ds, "PRIVATE KEY-----") || dockerAuthJSON(ds) {
		return true
	}
	if t := strings.TrimSpace(ds); len(t) > 1 && (t[0] == '{' || t[0] == '[') {
		w := walker{r: r, pdepth: depth}
		if t[0] == '{' {
			// JSON (one read for the fast path and the tree): clean, or
			// the walk decides; not JSON: the text rules below.
			a := r.arena()
			defer r.release(a)
			if a.tape.ParseLimits([]byte(t), MaxDepth, MaxNodes) == nil {
				if w.cleanTape(&a.tape, a) {
					return false
				}
				return w.top(buildTree(&a.tape, a)) || w.out != nil
			}
		}
	}
	if len(r.scanSpans(ds, depth)) > 0 {
		return true
	}
	return r.payloadSecret(strings.TrimSpace(ds), depth)
}

// serverSpans adds the spans of the values that text written by a server
// about a request echoes (status messages, validation causes, admission
// denials, webhook audit annotations, termination messages): a value
// quoted by "Invalid value:" when the object is a Secret (secretCtx), the
// field names a credential (in the text, or causeField) or the value looks
// like a token; a quoted value that a credential word and "value" precede
// (env DB_PASSWORD has literal value "..."); and any word that looks like a
// token (mixed case and digits, high entropy, not hex, not a name).
func (r *Redactor) serverSpans(s string, secretCtx bool, causeField string, sp []span) []span {
	if len(s) < minShape {
		return sp
	}
	causeCred := causeField != "" && r.credField(causeField)
	echoes := strings.Contains(s, "Invalid value")
	for _, m := range invalidValueRE.FindAllStringSubmatchIndex(s, -1) {
		if !echoes {
			break
		}
		from, to := m[2], m[3]
		if to-from >= 2 && s[from] == '"' {
			from, to = from+1, to-1
		}
		if to <= from || isRedacted(s[from:to]) || markAt(s, from) {
			continue
		}
		v := s[from:to]
		if secretCtx || causeCred || r.credField(fieldBefore(s, m[0])) || tokenLike(v) {
			if secretCtx || credValue(v) {
				sp = append(sp, span{from, to})
			}
		}
	}
	// Quoted values after a credential word and "value".
	for off := 0; off < len(s) && strings.Contains(s, "value"); {
		j := strings.IndexByte(s[off:], '"')
		if j < 0 {
			break
		}
		j += off
		end := strings.IndexByte(s[j+1:], '"')
		if end < 0 {
			break
		}
		end += j + 1
		off = end + 1
		v := s[j+1 : end]
		if len(v) < 4 || !credValue(v) || blank(v) {
			continue
		}
		before := strings.ToLower(s[max(0, j-80):j])
		if k := strings.LastIndexAny(before, ".;\n"); k >= 0 {
			before = before[k+1:]
		}
		if strings.Contains(before, "value") && r.credWordIn(before) {
			sp = append(sp, span{j + 1, end})
		}
	}
	// Unquoted values after a credential word and "value": a policy's
	// denial (env DB_PASSWORD has literal value X; use a secretKeyRef).
	if strings.Contains(s, "value") {
		sp = r.valueWords(s, sp)
	}
	// Token-like words.
	for i := 0; i < len(s); {
		for i < len(s) && !isWordChar(s[i]) {
			i++
		}
		j := i
		for j < len(s) && isWordChar(s[j]) {
			j++
		}
		for j < len(s) && s[j] == '=' {
			j++ // base64 padding
		}
		if j-i >= 16 && !nextToMark(s, i, j) && tokenLike(s[i:j]) {
			sp = append(sp, span{i, j})
		}
		i = j
	}
	return sp
}

// markAt: a redaction (mask or hash) starts at s[i].
func markAt(s string, i int) bool {
	const hashLen = len(hashPrefix) + 64
	return strings.HasPrefix(s[i:], mark) || i+hashLen <= len(s) && isRedacted(s[i:i+hashLen])
}

// nextToMark: the word s[i:j] touches a redaction (mask or hash): it is
// what a rule left of a longer word (services/T…/B…/[REDACTED]), which
// was judged whole the first time; judging the rest alone would make
// redacting twice differ from once.
func nextToMark(s string, i, j int) bool {
	if strings.HasPrefix(s[j:], mark) || strings.HasSuffix(s[:i], mark) {
		return true
	}
	const hashLen = len(hashPrefix) + 64 // sha256:<64 hex>
	// A word that starts with a hash's hex (sha256:<hex>AA: the hash
	// replaced the start of a longer word).
	if h := i - len(hashPrefix); h >= 0 && h+hashLen <= len(s) && isRedacted(s[h:h+hashLen]) {
		return true
	}
	// A word that ends in the "sha256" of a hash that follows it.
	h := len(hashPrefix) - 1
	return j-i >= h && j-h+hashLen <= len(s) && isRedacted(s[j-h:j-h+hashLen])
}

func isWordChar(c byte) bool {
	return isAlnum(c) || c == '+' || c == '/' || c == '_' || c == '-' || c == '~'
}

// fieldBefore: the field a validation message names just before the
// "Invalid value" at i ("spec.password: Invalid value: ...").
func fieldBefore(s string, i int) string {
	e := i
	for e > 0 && (s[e-1] == ' ' || s[e-1] == ':') {
		e--
	}
	b := e
	for b > 0 && e-b < 256 && s[b-1] != ' ' && s[b-1] != '\n' {
		b--
	}
	return s[b:e]
}

// credField: the last segment of a field path (spec.auth.password,
// data[api-token], env[DB_PASSWORD]) names a credential.
func (r *Redactor) credField(f string) bool {
	f = strings.TrimRight(f, `]"'`)
	if k := strings.LastIndexAny(f, `.["'`); k >= 0 {
		f = f[k+1:]
	}
	if len(f) < 3 {
		return false
	}
	v := r.classify(f)
	return v == keyCred || v == keyUser
}

// credWordIn: some word of t names a credential.
// valueWords adds the words that follow "value" (or value: / value=)
// unquoted in server text when a credential word comes before it in the
// same clause (80 bytes back, to a '.', ';' or newline).
func (r *Redactor) valueWords(s string, sp []span) []span {
	for off := 0; off < len(s); {
		j := strings.Index(s[off:], "value")
		if j < 0 {
			break
		}
		j += off
		off = j + len("value")
		if j > 0 && isKeyChar(s[j-1]) || off < len(s) && isKeyChar(s[off]) {
			continue // values, valueFrom, env.value
		}
		k := off
		if k < len(s) && (s[k] == ':' || s[k] == '=') {
			k++
		}
		if k == len(s) || s[k] != ' ' && s[k] != '\t' {
			continue
		}
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		if k == len(s) || s[k] == '"' || s[k] == '\'' {
			continue // quoted: the rule before
		}
		e := wordEnd(s, k)
		for e > k && strings.IndexByte(";,)", s[e-1]) >= 0 {
			e--
		}
		v := s[k:e]
		if len(v) < 4 || !credValue(v) || proseWord(v) {
			continue
		}
		before := strings.ToLower(s[max(0, j-80):j])
		if c := strings.LastIndexAny(before, ".;\n"); c >= 0 {
			before = before[c+1:]
		}
		if r.credWordIn(before) {
			sp = append(sp, span{k, e})
			off = e
		}
	}
	return sp
}

// proseWord: a word that follows "value" in a sentence rather than being
// one (value must…, value from a Secret).
func proseWord(w string) bool {
	switch strings.ToLower(w) {
	case "must", "cannot", "should", "would", "could", "from", "with", "that", "this", "these", "which", "will", "does",
		"have", "been", "into", "were", "there", "field", "fields", "provided", "given", "instead", "specified",
		"required", "empty", "missing", "length", "format", "when", "where", "while", "because", "only", "here":
		return true
	}
	return false
}

func (r *Redactor) credWordIn(t string) bool {
	for _, w := range strings.FieldsFunc(t, func(c rune) bool { return !(c < 0x80 && isKeyChar(byte(c))) }) {
		if len(w) >= 3 && credentialKey(w) {
			return true
		}
	}
	return false
}

// tokenLike: a word that looks like a generated credential: at least 16
// characters of the base64/token alphabet, with two or more upper-case
// letters, lower-case letters and digits each, high entropy; not hex
// (digests, checksums, git SHAs), and not base64 of readable text (paging
// tokens, encoded text: the payload rules look inside those).
func tokenLike(w string) bool {
	if len(w) < 16 || len(w) > 1024 || isRedacted(w) {
		return false
	}
	up, lo, dg := 0, 0, 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'A' && c <= 'Z':
			up++
		case c >= 'a' && c <= 'z':
			lo++
		case c >= '0' && c <= '9':
			dg++
		case c == '=':
			if strings.Trim(w[i:], "=") != "" {
				return false // k=v, not padding
			}
		case c == '+' || c == '/' || c == '_' || c == '-' || c == '~' || c == '.':
		default:
			return false
		}
	}
	if up < 2 || lo < 2 || dg < 1 || dg < 2 && len(w) < 24 || entropy(w) < 3.5 {
		return false
	}
	if b, ok := wholeB64(w); ok {
		if d, err := base64.StdEncoding.DecodeString(b); err == nil && printable(d) {
			return false
		}
		if d, err := base64.RawStdEncoding.DecodeString(b); err == nil && printable(d) {
			return false
		}
	}
	if d, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(w, "=")); err == nil && printable(d) {
		return false
	}
	return true
}

// webhookPath: the secret part of a Slack (services/T…/B…/<secret>) or
// Discord (webhooks/<digits>/<token>) webhook path at i.
func webhookPath(s string, i int, hook string) (from, to int, ok bool) {
	run := func(j int, set func(byte) bool) int {
		k := j
		for k < len(s) && set(s[k]) {
			k++
		}
		return k
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	if hook == "services/T" {
		a := run(i+len(hook), isUpperDigit)
		if a-(i+len(hook)) < 6 || a+2 >= len(s) || s[a] != '/' || s[a+1] != 'B' {
			return 0, 0, false
		}
		b := run(a+2, isUpperDigit)
		if b-(a+2) < 6 || b+1 >= len(s) || s[b] != '/' {
			return 0, 0, false
		}
		c := run(b+1, isAlnum)
		if c-(b+1) < 16 {
			return 0, 0, false
		}
		return b + 1, c, true
	}
	a := run(i+len(hook), isDigit)
	if a-(i+len(hook)) < 16 || a+1 >= len(s) || s[a] != '/' {
		return 0, 0, false
	}
	c := run(a+1, isTokenChar)
	if c-(a+1) < 40 {
		return 0, 0, false
	}
	return a + 1, c, true
}

// blank reports whether s holds a space, a tab or a newline, in one pass
// (strings.ContainsAny builds its byte set on every call).
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n':
			return true
		}
	}
	return false
}
