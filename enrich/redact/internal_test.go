package redact

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestCredentialKey(t *testing.T) {
	yes := []string{"password", "PASSWORD", "db.password", "DB_PASSWD", "db_pwd", "passphrase", "secret", "client-secret", "clientSecret",
		"token", "access_token", "api_key", "apiKey", "X-API-KEY", "AWS_ACCESS_KEY_ID", "aws_secret_access_key", "SSH_PRIVATE_KEY", "privateKey",
		"credentials", "VAULT_CREDENTIAL", "auth", "BASIC_AUTH", "bearer", "connectionString", "signing-key", "pin", "openshift.io/token-secret.value",
		"DB_PASS", "SMTP_PASS", "RABBITMQ_DEFAULT_PASS", "redisPass", "ldap.bind-pass",
		// Abbreviations, as a key's last word.
		"GITHUB_PAT", "adoPat", "pat", "DB_PW", "adminPw", "pw", "DB_CREDS", "awsCreds", "creds", "cred", "smtp.cred",
		// PWD too: the working directory's value is a path, which stays (credValue).
		"pwd", "PWD", "OLDPWD", "certificate-key", "certificateKey"}
	no := []string{"secretName", "secretRef", "secretKeyRef", "bearerTokenFile", "tokenPath", "DB_PASSWORD_FILE", "oauth",
		"name", "key", "keys", "monkey", "authorization", "creationTimestamp", "kubernetes.io/legacy-token-last-used", "serviceAccountName",
		"service.alpha.openshift.io/serving-cert-secret-name", "secrets", "cert-secrets", "tokenExpirationSeconds", "IMAGE_OAUTH_SERVER", "token-ttl",
		"automountServiceAccountToken" + "Path", "audience", "secretStoreRef", "author", "TOKEN_SIDECAR_IMAGE", "SECRET_HOST", "PASSWORD_USERNAME", "publicKey", "sshAuthorizedKeys", "keyUsage", "passwordPolicy",
		"bypass", "PROXY_BYPASS", "nginx.ingress.kubernetes.io/auth-bypass", "compass", "lowpass", "DB_PASS_FILE", "SMTP_PASS_USER",
		"compat", "KUBE_COMPAT", "sacred", "npw", "PATH", "patch", "patterns", "CREDS_FILE", "DB_PW_FILE", "GITHUB_PAT_FILE", "COMPAT", "certificateKeyFile"}
	for _, k := range yes {
		if !credentialKey(k) {
			t.Errorf("%q should be a credential key", k)
		}
	}
	for _, k := range no {
		if credentialKey(k) {
			t.Errorf("%q should not be a credential key", k)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{"*_pin", "ATM_PIN", true}, {"*_pin", "pin", false}, {"*pass*", "my-passphrase", true}, {"a?c", "abc", true},
		{"a?c", "ac", false}, {"x*y*z", "xaaybbz", true}, {"x*y*z", "xaaybb", false}, {"exact", "Exact", true}, {"*.crt", "ca-bundle.crt", true},
	} {
		g, err := compileKeyGlob(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if g.Match(strings.ToLower(c.s)) != c.ok {
			t.Errorf("%q ~ %q: want %v", c.p, c.s, c.ok)
		}
	}
}

func TestCertOnly(t *testing.T) {
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	key := "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
	if !certOnly(cert+cert, false) || certOnly(cert+key, false) || certOnly("x"+cert, false) || certOnly(cert+"trailing", false) {
		t.Fatal("certOnly")
	}
}

// The parser accepts exactly what encoding/json accepts (within its
// limits), and an unchanged tree serialises to the input bytes; a fully
// re-serialised tree means the same JSON.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2.5e-3,-0,true,false,null,"x\u00e9\n\"\\/"]}`, `{"a":`, `[1,]`, `"\ud83d\ude00"`, ` {"k" : "v" } `, `01`, `1.`, `"\x"`, "\"a\tb\""} {
		f.Add([]byte(s))
	}
	reused := new(arena) // arenas are reused from event to event: so here
	f.Fuzz(func(t *testing.T, b []byte) {
		defer reused.reset()
		n, err := parse(b, 64, 1<<16, reused)
		if err == errTooDeep || err == errTooLarge {
			return
		}
		if (err == nil) != json.Valid(b) {
			t.Fatalf("parse err %v, json.Valid %v", err, json.Valid(b))
		}
		if err != nil {
			return
		}
		if got := appendNode(nil, n); string(got) != strings.Trim(string(b), " \t\r\n") {
			t.Fatalf("unchanged tree re-serialised differently: %q", got)
		}
		markDirty(n)
		out := appendNode(nil, n)
		a, err1 := decodeNumbers(b)
		c, err2 := decodeNumbers(out)
		if err1 != nil || err2 != nil {
			t.Fatalf("re-serialised %q is not JSON (%v, %v)", out, err1, err2)
		}
		if !reflect.DeepEqual(a, c) {
			t.Fatalf("meaning changed: %q -> %q", b, out)
		}
	})
}

func markDirty(n *node) {
	n.dirty = true
	for _, v := range n.vals {
		markDirty(v)
	}
}

func decodeNumbers(b []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// Keys that share a slot of the key cache (same length, same first and last
// 8 bytes) keep their own verdicts, however their look-ups interleave.
func TestKeyCacheCollisions(t *testing.T) {
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"APP_CONF_PASSWORD_SETTING", "APP_CONF_PASSXORD_SETTING", "APP_CONF_TOKEN___SETTING",
		"spec.db.password.override", "spec.db.passxord.override", "pass", "name", "pwd", "uid", "db.password", "db.passxord"}
	if keyHash(keys[0]) != keyHash(keys[1]) || keyHash(keys[3]) != keyHash(keys[4]) {
		t.Fatal("the test keys no longer share a hash: choose others")
	}
	for round := 0; round < 3; round++ {
		for i := range keys {
			for _, k := range []string{keys[i], keys[len(keys)-1-i]} {
				if got, want := r.classifyKey(k), r.classify(k); got != want {
					t.Fatalf("round %d: classifyKey(%q) = %v, classify %v", round, k, got, want)
				}
			}
		}
	}
	if r.classify(keys[0]) == r.classify(keys[1]) {
		t.Fatal("the colliding keys should differ in verdict")
	}
}
