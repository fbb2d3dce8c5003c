package redact

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/glob"
)

// normKey lowercases a key and removes separators, so that DB_PASSWORD,
// db-password, dbPassword and db.password all read "dbpassword". It appends
// to dst (a stack buffer on the hot path: no allocation).
func normKey(dst []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		case (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80:
			dst = append(dst, c)
		}
	}
	return dst
}

// credWords are the fragments of a normalised key that mark a credential.
var credWords = [...][]byte{
	[]byte("password"), []byte("passwd"), []byte("passphrase"), []byte("secret"),
	[]byte("token"), []byte("apikey"), []byte("accesskey"), []byte("privatekey"),
	[]byte("credential"), []byte("signingkey"), []byte("encryptionkey"),
	[]byte("masterkey"), []byte("sessionkey"), []byte("connectionstring"),
	[]byte("clientkey"), []byte("bearer"), []byte("accountkey"), []byte("routingkey"),
	[]byte("servicekey"), []byte("integrationkey"),
	[]byte("requirepass"), []byte("sharedkey"), []byte("licensekey"),
	// kubeadm's --certificate-key decrypts the control plane's uploaded certificates.
	[]byte("certificatekey"),
	// wpa_supplicant, NetworkManager and hostapd: psk=, wpa_psk=.
	[]byte("psk"),
}

// notCredSuffixes mark keys that name, point at or describe a credential
// without holding it: secretName, secretRef, bearerTokenFile, tokenPath,
// token-ttl, kubernetes.io/legacy-token-last-used, ...
var notCredSuffixes = [...][]byte{
	[]byte("name"), []byte("names"), []byte("ref"), []byte("refs"), []byte("file"),
	[]byte("files"), []byte("path"), []byte("paths"), []byte("dir"), []byte("directory"),
	[]byte("mount"), []byte("namespace"), []byte("type"), []byte("kind"), []byte("uid"),
	[]byte("lastused"), []byte("ttl"), []byte("seconds"), []byte("expiration"),
	[]byte("expiry"), []byte("expires"), []byte("url"), []byte("uri"), []byte("endpoint"),
	[]byte("audience"), []byte("audiences"), []byte("issuer"), []byte("header"),
	[]byte("version"), []byte("policy"), []byte("format"), []byte("mode"), []byte("count"),
	[]byte("length"), []byte("size"), []byte("enabled"), []byte("required"),
	[]byte("source"), []byte("selector"), []byte("provider"), []byte("resource"),
	[]byte("resources"), []byte("ids"), []byte("template"), []byte("label"),
	[]byte("field"), []byte("algorithm"), []byte("strategy"), []byte("timestamp"),
	[]byte("time"), []byte("generation"), []byte("lifespan"), []byte("timeout"),
	[]byte("interval"), []byte("period"), []byte("maxage"), []byte("limit"),
	[]byte("threshold"), []byte("duration"), []byte("lifetime"), []byte("validity"),
	[]byte("retries"), []byte("attempts"), []byte("strength"), []byte("complexity"),
	[]byte("algorithms"), []byte("location"),
	// --secrets=a,b and --cert-secrets=... list Secret names.
	[]byte("secrets"), []byte("tokens"),
	// TOKEN_IMAGE, SECRET_HOST, PASSWORD_USERNAME name other things.
	[]byte("image"), []byte("images"), []byte("host"), []byte("hostname"), []byte("port"),
	[]byte("username"), []byte("user"), []byte("email"),
	// --password-stdin: the password comes on standard input.
	[]byte("stdin"),
}

// credentialKey reports whether a key looks like it holds a credential:
// PASSWORD, db_passwd, apiKey, AWS_SECRET_ACCESS_KEY, aws_access_key_id,
// client-secret, token, auth (docker config), BASIC_AUTH, DB_PWD, pwd... but
// not secretName, secretRef, bearerTokenFile. PWD, the shell's working
// directory, is one too: its value is a path, which is never redacted
// (credValue), while {"pwd": "Zq8…"} in a body or a JSON text is a password.
func credentialKey(key string) bool {
	if abbrevKey(key) {
		return true
	}
	if !credStem(key) {
		return false
	}
	var buf [128]byte
	n := normKey(buf[:0], key) // (a longer key, rare, is normalised on the heap)
	if len(n) < 3 {
		return false
	}
	hit := false
	for _, w := range credWords {
		if bytes.Contains(n, w) {
			hit = true
			break
		}
	}
	if !hit {
		switch string(n) {
		case "auth", "pass", "pin":
			return true
		case "oauth":
			return false
		}
		hit = bytes.HasSuffix(n, []byte("auth")) || bytes.HasSuffix(n, []byte("pwd")) || passSuffix(n)
	}
	if !hit {
		return false
	}
	for _, s := range notCredSuffixes {
		if bytes.HasSuffix(n, s) {
			return false
		}
	}
	return true
}

// abbrevKey: a key whose last word is a credential's abbreviation —
// GITHUB_PAT, adoPat (a personal access token), DB_PW, adminPw, DB_CREDS,
// awsCred. The word must stand alone (the whole key, or after _ - . or a
// lower-case letter when it is capitalised; / and : end a prefix, as in
// example.com/pw): compat, npw, sacred are none.
func abbrevKey(k string) bool {
	for _, w := range [...]string{"pat", "pw", "creds", "cred"} {
		n := len(k) - len(w)
		if n < 0 || !strings.EqualFold(k[n:], w) {
			continue
		}
		if n == 0 {
			return true
		}
		switch c := k[n-1]; {
		case c == '_' || c == '-' || c == '.' || c == '/' || c == ':':
			return true
		case k[n] >= 'A' && k[n] <= 'Z' && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9'):
			return true // camelCase: adoPat, dbPw, awsCreds (not PAT in ALLCAPS words)
		}
	}
	return false
}

// notPass are words ending in "pass" that are no password: bypass,
// compass, low-pass filters, multi-pass builds.
var notPass = [...][]byte{
	[]byte("bypass"), []byte("compass"), []byte("encompass"), []byte("overpass"),
	[]byte("underpass"), []byte("surpass"), []byte("trespass"), []byte("lowpass"),
	[]byte("highpass"), []byte("bandpass"), []byte("allpass"), []byte("onepass"),
	[]byte("twopass"), []byte("multipass"), []byte("singlepass"), []byte("firstpass"),
	[]byte("secondpass"), []byte("finalpass"), []byte("nopass"), []byte("impass"),
}

// passSuffix: DB_PASS, SMTP_PASS, RABBITMQ_DEFAULT_PASS (normalised keys
// ending in "pass"), but not bypass, compass and the like.
func passSuffix(n []byte) bool {
	if !bytes.HasSuffix(n, []byte("pass")) {
		return false
	}
	for _, w := range notPass {
		if bytes.HasSuffix(n, w) {
			return false
		}
	}
	return true
}

// credStem is the cheap test before credentialKey's real one: does the key
// hold, in any case, a stem of a credential word? Most keys (name, image,
// metadata, containers...) stop here.
func credStem(k string) bool {
	for i := 0; i+3 <= len(k); i++ {
		a, b, c := k[i]|0x20, k[i+1]|0x20, k[i+2]|0x20
		switch a {
		case 'p':
			if b == 'a' && c == 's' || b == 'w' && c == 'd' || b == 'i' && c == 'n' || b == 's' && c == 'k' {
				return true
			}
		case 's':
			if b == 'e' && c == 'c' {
				return true
			}
		case 't':
			if b == 'o' && c == 'k' {
				return true
			}
		case 'k':
			if b == 'e' && c == 'y' {
				return true
			}
		case 'c':
			if b == 'r' && c == 'e' {
				return true
			}
		case 'a':
			if b == 'u' && c == 't' {
				return true
			}
		case 'b':
			if b == 'e' && c == 'a' {
				return true
			}
		case 'o':
			if b == 'n' && c == 'n' {
				return true
			}
		}
	}
	return false
}

// compileKeyGlob compiles a key pattern (internal/glob's dialect) matched
// case-insensitively: the pattern is lower-cased here and keys in classify.
// A pattern of stars only would redact every key and is refused.
func compileKeyGlob(p string) (glob.Pattern, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return glob.Pattern{}, fmt.Errorf("empty pattern")
	}
	if strings.Trim(p, "*") == "" {
		return glob.Pattern{}, fmt.Errorf("pattern %q matches every key", p)
	}
	return glob.Compile(strings.ToLower(p))
}

// keyVerdict says what the key rules make of a key.
type keyVerdict uint8

const (
	keyPlain   keyVerdict = iota
	keyCred               // built-in credential name: scalar values redacted
	keyUser               // matches redact_key_patterns: whole value redacted
	keyAllowed            // redact_allow_keys: never redacted by its name
)

func (r *Redactor) classify(key string) keyVerdict {
	if len(r.allow) > 0 || len(r.keyPatterns) > 0 {
		lower := strings.ToLower(key)
		if r.allow.Match(lower) {
			return keyAllowed
		}
		if r.keyPatterns.Match(lower) {
			return keyUser
		}
	}
	if credentialKey(key) {
		return keyCred
	}
	return keyPlain
}

// credEnds are the words a key ends with when its value is the credential
// itself (password, db_pass, apiKey, token); a number under such a key is
// redacted, a number under a key that only mentions one
// (accessTokenLifespan, tokenMaxAge, passwordMinLength) is not.
var credEnds = [...][]byte{
	[]byte("password"), []byte("passwd"), []byte("pass"), []byte("pwd"), []byte("pin"),
	[]byte("secret"), []byte("token"), []byte("key"), []byte("passphrase"),
	[]byte("credential"), []byte("credentials"), []byte("auth"), []byte("code"),
}

// numericSecret: a number under key k is a credential (PIN: 1234,
// password: 123456), not a setting about one.
func numericSecret(k string) bool {
	var buf [128]byte
	n := normKey(buf[:0], k) // (a longer key, rare, is normalised on the heap)
	for _, w := range credEnds {
		if bytes.HasSuffix(n, w) {
			return true
		}
	}
	return false
}
