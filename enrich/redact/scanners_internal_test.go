package redact

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func TestLoadGitleaksRules(t *testing.T) {
	rs, err := loadRules(gitleaksTOML)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.rules) < 200 || len(rs.global) == 0 {
		t.Fatalf("%d rules, %d global allowlists", len(rs.rules), len(rs.global))
	}
	for _, bad := range []string{"[[rules]]\nid = 'x'\nregex = '''(''' \nkeywords = ['xx']", "a = ", "[x", "a = \"\\q\"", "[[rules]]\nid='y'\nregex='''y'''"} {
		if _, err := loadRules(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func gzB64(s string) string {
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write([]byte(s))
	z.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// Each shape in general, with the decoys next to it: gone lists what must
// go, kept what must stay.
func TestTextShapes(t *testing.T) {
	r, err := New(Config{Mode: Mask})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	cases := []textCase{
		{"basic header", "Authorization: Basic " + b64([]byte("svc:Qw7rT2mZp9")) + "\nBasic authentication is enabled", []string{b64([]byte("svc:Qw7rT2mZp9"))}, []string{"Basic authentication is enabled"}},
		{"scheme token", "X-Auth: Token 9c1fQb2Lm8Zt4Rw6", []string{"9c1fQb2Lm8Zt4Rw6"}, []string{"X-Auth: Token"}},
		{"header without blank", "apikey:Zt4Rw6Qb2Lm89c1f", []string{"Zt4Rw6Qb2Lm89c1f"}, nil},
		{"nginx", "proxy_set_header X-Api-Key \"k3yV4lu3Zt4Rw6\";\nmore_set_headers \"X-Vault-Token: s.Zt4Rw6Qb2Lm89c1fAbCdEfGh\";", []string{"s.Zt4Rw6Qb2Lm89c1fAbCdEfGh"}, []string{"more_set_headers"}},
		{"netrc", "machine github.com login bot password p4ssW0rdNetrc\n", []string{"p4ssW0rdNetrc"}, []string{"login bot"}},
		{"redis", "requirepass R3disPassw0rd\nmasterauth R3disMasterPw\nport 6379", []string{"R3disPassw0rd", "R3disMasterPw"}, []string{"port 6379"}},
		{"haproxy", "  user admin insecure-password H4proxyPw", []string{"H4proxyPw"}, []string{"user admin"}},
		{"prose", "the password must be at least 12 characters", nil, []string{"must be at least"}},
		{"xml", "<password>M4venPw</password><privateKey>${user.home}/.ssh/id_rsa</privateKey><username>deploy</username>", []string{"M4venPw"}, []string{"${user.home}/.ssh/id_rsa", "deploy"}},
		{"env record yaml", "env:\n- name: AWS_SECRET_ACCESS_KEY\n  value: wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLE1\n- name: AWS_REGION\n  value: eu-west-1\n", []string{"wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLE1"}, []string{"eu-west-1"}},
		{"env record json", `[{"name":"DB_PASSWORD","value":"Pg5ecretV4l"},{"name":"DB_HOST","value":"pg.svc"}]`, []string{"Pg5ecretV4l"}, []string{"pg.svc"}},
		{"type password", `{"type":"password","value":"Kc1oakPw9x","temporary":false}`, []string{"Kc1oakPw9x"}, nil},
		{"conn strings", "AccountKey=QWxhZGRpbjpvcGVuIHNlc2FtZQ9xYz==;EndpointSuffix=core.windows.net Server=s;Pwd=0dbcPw9x;", []string{"QWxhZGRpbjpvcGVuIHNlc2FtZQ9xYz==", "0dbcPw9x"}, []string{"EndpointSuffix=core.windows.net"}},
		{"sas", "https://a.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig=Zt4Rw6Qb2Lm89c1fAbCdEfGh%3D", []string{"Zt4Rw6Qb2Lm89c1fAbCdEfGh"}, []string{"sp=r"}},
		{"file path", "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key token: $SA_TOKEN password: {{ .Values.pw }}", nil, []string{"/etc/kubernetes/pki/apiserver-kubelet-client.key", "$SA_TOKEN", "{{ .Values.pw }}"}},
		{"stripe", "key sk_live_4eC39HqLyjWDarjtT1zdp7dc here", []string{"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}, []string{"here"}},
		{"slack path", "/services/T04ABCD1EFG/B05HIJK2LMN/Zt4Rw6Qb2Lm89c1fAbCd", []string{"Zt4Rw6Qb2Lm89c1fAbCd"}, []string{"T04ABCD1EFG"}},
		{"yaml secret", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: UGc1ZWNyZXRWNGw=\n", []string{"UGc1ZWNyZXRWNGw="}, []string{"name: db"}},
		{"base64 gzip", gzB64("user=app\npassword=Pg5ecretV4l\n"), []string{gzB64("user=app\npassword=Pg5ecretV4l\n")[:20]}, nil},
		{"base64 text", b64([]byte("color=purple\nsize=large\nmode=dark\n")), nil, []string{b64([]byte("color=purple\nsize=large\nmode=dark\n"))}},
		{"hex digest", "sha256:8c3e9f1a2b4d6c8e0a1f3b5d7c9e2a4f6b8d0c1e3a5f7b9d2c4e6a8f0b1d3c5e", nil, []string{"8c3e9f1a2b4d6c8e0a1f3b5d7c9e2a4f6b8d0c1e3a5f7b9d2c4e6a8f0b1d3c5e"}},
		// cloud-init user-data: chpasswd's list as a block and as items, and
		// the users form (a password key); the keys around it stay.
		{"chpasswd block", "#cloud-config\nchpasswd:\n  list: |\n    root:R00tCl0udPw\n    ubuntu:UbuntuCl0udPw\n  expire: False\nssh_pwauth: true\n", []string{"R00tCl0udPw", "UbuntuCl0udPw"}, []string{"root:", "ubuntu:", "expire: False", "ssh_pwauth: true"}},
		{"chpasswd items", "chpasswd:\n  expire: false\n  list:\n  - root:R00tCl0udPw\n  - \"ops:0psCl0udPw\"\nruncmd:\n  - [ sh, -c, 'echo root:notapassword' ]\n", []string{"R00tCl0udPw", "0psCl0udPw"}, []string{"root:", "runcmd:", "echo root:notapassword"}},
		{"chpasswd users", "chpasswd:\n  users:\n    - name: root\n      password: R00tCl0udPw\n      type: text\n", []string{"R00tCl0udPw"}, []string{"name: root", "type: text"}},
		{"chpasswd pipe", "echo 'deploy:D3ployPw99' | chpasswd\necho -e \"ops:0psPw99\\n\" | sudo chpasswd -e\nchpasswd <<< admin:Adm1nPw99 && echo done", []string{"D3ployPw99", "0psPw99", "Adm1nPw99"}, []string{"deploy:", "ops:", "admin:", "echo done"}},
		{"chpasswd prose", "chpasswd reads user:password pairs; see chpasswd(8) and /usr/sbin/chpasswd", nil, []string{"user:password pairs", "/usr/sbin/chpasswd"}},
		{"pgpass", "db.prod.svc:5432:billing:billing_app:PgPassF1leValue\n*:*:*:replicator:R3pl:ic4t0r\n# host:port:db:user:password\n", []string{"PgPassF1leValue", "R3pl:ic4t0r"}, []string{"db.prod.svc:5432:billing:billing_app:", "*:*:*:replicator:", "# host:port:db:user:password"}},
		{"pgpass decoys", "mac 00:1a:2b:3c:4d:5e at 12:30:45; root:x:0:0:root:/root:/bin/bash; fe80::1:2:3:4; image reg.io:5000/a/b:1.2:x:y", nil, []string{"00:1a:2b:3c:4d:5e", "root:x:0:0:root:/root:/bin/bash", "fe80::1:2:3:4", "reg.io:5000/a/b:1.2:x:y"}},
		{"pgpass reference", "localhost:5432:app:app:$PGPASSWORD", nil, []string{"$PGPASSWORD"}},
		{"wpa", "network={\n  ssid=\"corp\"\n  psk=\"W1f1PassphraseCorp\"\n  key_mgmt=WPA-PSK\n}\nnetwork={\n  psk=2b1d17284c5410ee5eaae7151290e9744af2182b0eb8af20dd4d4ba415b2dd8e\n}", []string{"W1f1PassphraseCorp", "2b1d17284c5410ee5eaae7151290e9744af2182b0eb8af20dd4d4ba415b2dd8e"}, []string{"ssid=\"corp\"", "key_mgmt=WPA-PSK"}},
		{"go mysql dsn", "DSN: app:Gd5nQz8Lw2@tcp(db.shop.svc:3306)/orders?parseTime=true\nroot:R00t@Pw9x@unix(/run/mysqld/mysqld.sock)/", []string{"Gd5nQz8Lw2", "R00t@Pw9x"}, []string{"DSN: app:", "@tcp(db.shop.svc:3306)/orders?parseTime=true", "root:", "@unix(/run/mysqld/mysqld.sock)/"}},
		{"go mysql dsn decoys", "app@tcp(db:3306)/orders user=app@tcp(x) mail bob@example.com", nil, []string{"app@tcp(db:3306)/orders", "user=app@tcp(x)", "bob@example.com"}},
		{"dockerfile env", "FROM alpine:3.20\nENV DB_HOST db.shop.svc\nENV DB_PASSWORD Dk4rF1le Pw\n  ENV API_TOKEN \"Tk9dF1le\"\nENV TOKEN_TTL=3600\nRUN echo ENV DB_PASSWORD here", []string{"Dk4rF1le", " Pw", "Tk9dF1le"}, []string{"ENV DB_HOST db.shop.svc", "ENV DB_PASSWORD ", "ENV TOKEN_TTL=3600", "RUN echo ENV DB_PASSWORD here"}},
		{"keepalived", "authentication {\n    auth_type PASS\n    auth_pass K33palvPw\n}", []string{"K33palvPw"}, []string{"auth_type PASS"}},
		{"hostapd", "interface=wlan0\nwpa_passphrase=H0stapdPassphr4se\nsae_password=Sa3Passw0rdX\nwpa_key_mgmt=WPA-PSK SAE\n", []string{"H0stapdPassphr4se", "Sa3Passw0rdX"}, []string{"interface=wlan0", "wpa_key_mgmt=WPA-PSK SAE"}},
	}
	checkTextCases(t, r, cases)
}

// textCase: text in, what must go and what must stay once scanned.
type textCase struct {
	name, in   string
	gone, kept []string
}

// checkTextCases scans each case's text as a body string and checks what
// went, what stayed, and that redacting twice equals once.
func checkTextCases(t *testing.T, r *Redactor, cases []textCase) {
	t.Helper()
	for _, c := range cases {
		w := walker{r: r}
		out, _ := w.scanText(c.in, false)
		for _, g := range c.gone {
			if strings.Contains(out, g) {
				t.Errorf("%s: %q kept in %q", c.name, g, out)
			}
		}
		for _, k := range c.kept {
			if !strings.Contains(out, k) {
				t.Errorf("%s: %q lost in %q", c.name, k, out)
			}
		}
		if again, _ := w.scanText(out, false); again != out {
			t.Errorf("%s: redacting twice differs: %q then %q", c.name, out, again)
		}
	}
}

// Server text: what a validation message, a denial, a webhook annotation
// echoes.
func TestServerText(t *testing.T) {
	r, _ := New(Config{Mode: Mask})
	cases := []struct {
		in, field  string
		gone, kept []string
	}{
		{`spec.auth.password: Invalid value: "hunter2": too short`, "", []string{"hunter2"}, []string{"spec.auth.password"}},
		{`Invalid value: "hunter2": too short`, "spec.auth.password", []string{"hunter2"}, nil},
		{`metadata.name: Invalid value: "Web_Frontend": a lowercase RFC 1123 subdomain; spec.replicas: Invalid value: -1`, "", nil, []string{"Web_Frontend", "-1"}},
		{`env DB_PASSWORD has literal value "plainpw1"; use secretKeyRef`, "", []string{"plainpw1"}, []string{"secretKeyRef"}},
		{`admission webhook "validate.example.com" denied the request: container app: env DB_PASSWORD has literal value Zq8Hunt3r2; use a secretKeyRef`, "", []string{"Zq8Hunt3r2"}, []string{"use a secretKeyRef", "container app"}},
		{`[policy] api token value: Tk5wQz8Lr3 is not allowed`, "", []string{"Tk5wQz8Lr3"}, []string{"is not allowed"}},
		{`the password value must be at least 12 characters; token value from a Secret is required; values are checked`, "", nil, []string{"value must be at least", "value from a Secret", "values are checked"}},
		{`secrets "db-creds" is forbidden: User "bob" cannot get resource "secrets"`, "", nil, []string{"db-creds", "bob"}},
		{`accessKeyID=AKIA************WXYZ secretAccessKey wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY`, "", []string{"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}, []string{"AKIA************WXYZ"}},
		{`rv 9fceb02d0ae598e95dc970b74767f19372d61af8 uid 5b7e1f0a-8c2d-4e6f-9a1b-3c5d7e9f1a2b JTI=5b7e1f0a-8c2d-4e6f-9a1b-3c5d7e9f1a2b io.k8s.api.core.v1.PodSpec`, "", nil, []string{"9fceb02d0ae598e95dc970b74767f19372d61af8", "JTI=5b7e1f0a", "PodSpec"}},
	}
	for _, c := range cases {
		w := walker{r: r}
		out, _ := w.scanServer(c.in, false, c.field)
		for _, g := range c.gone {
			if strings.Contains(out, g) {
				t.Errorf("%q: %q kept: %q", c.in, g, out)
			}
		}
		for _, k := range c.kept {
			if !strings.Contains(out, k) {
				t.Errorf("%q: %q lost: %q", c.in, k, out)
			}
		}
	}
}

// Command lines: every CLI shape, as one script and as argv.
func TestCLIShapes(t *testing.T) {
	r, _ := New(Config{Mode: Mask})
	cases := []struct {
		argv       []string
		gone, kept []string
	}{
		{[]string{"docker", "login", "-u", "ci", "-p", "D0ckerPw", "reg.io"}, []string{"D0ckerPw"}, []string{"ci", "reg.io"}},
		{[]string{"docker", "run", "-p", "8080:80", "nginx"}, nil, []string{"8080:80"}},
		{[]string{"helm", "registry", "login", "-p", "H3lmPw", "oci.io"}, []string{"H3lmPw"}, nil},
		{[]string{"aws", "configure", "set", "aws_secret_access_key", "AwsS3cr3tK3y"}, []string{"AwsS3cr3tK3y"}, []string{"aws_secret_access_key"}},
		{[]string{"aws", "configure", "set", "region", "eu-west-1"}, nil, []string{"eu-west-1"}},
		{[]string{"openssl", "pkcs12", "-passout", "pass:0penSslPw", "-in", "/tls/tls.key"}, []string{"0penSslPw"}, []string{"/tls/tls.key"}},
		{[]string{"htpasswd", "-Bbc", "/auth/htpasswd", "admin", "Htp4sswd"}, []string{"Htp4sswd"}, []string{"admin", "/auth/htpasswd"}},
		{[]string{"htpasswd", "-nb", "admin", "Htp4sswdN"}, []string{"Htp4sswdN"}, []string{"admin"}},
		// A positional password that looks like openssl's pass:<password>
		// goes whole, as it does once redacted (redacting twice = once).
		{[]string{"htpasswd", "-b", "/auth/f", "admin", "pass:Htp4ssP"}, []string{"Htp4ssP", "pass:"}, []string{"admin", "/auth/f"}},
		{[]string{"rabbitmqctl", "add_user", "admin", "pass:R4bbitPw"}, []string{"R4bbitPw", "pass:"}, []string{"admin"}},
		{[]string{"kubectl", "create", "secret", "generic", "x", "--from-literal=api-key=L1ter4lV"}, []string{"L1ter4lV"}, []string{"api-key"}},
		{[]string{"sshpass", "-p", "Sshp4ss", "ssh", "host"}, []string{"Sshp4ss"}, []string{"host"}},
		{[]string{"kube-apiserver", "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key", "--token-auth-file=/etc/kubernetes/tokens.csv"}, nil, []string{"/etc/kubernetes/pki/apiserver.key", "/etc/kubernetes/tokens.csv"}},
	}
	for _, c := range cases {
		script := strings.Join(c.argv, " ")
		w := walker{r: r}
		out, _ := w.scanCmd("x && " + script)
		var p progArgs
		var argvOut []string
		for _, a := range c.argv {
			whole, from := p.arg(a)
			switch {
			case whole:
				argvOut = append(argvOut, mark)
			case from > 0:
				argvOut = append(argvOut, a[:from]+mark)
			default:
				argvOut = append(argvOut, a)
			}
		}
		for _, form := range []string{out, strings.Join(argvOut, " ")} {
			for _, g := range c.gone {
				if strings.Contains(form, g) {
					t.Errorf("%q: %q kept: %q", script, g, form)
				}
			}
			for _, k := range c.kept {
				if !strings.Contains(form, k) {
					t.Errorf("%q: %q lost: %q", script, k, form)
				}
			}
		}
	}
}

// TestRuleFindingsUncapped: every match of a rule in one string goes, not
// the first 64 (a ConfigMap listing 80 tokens of one vendor).
func TestRuleFindingsUncapped(t *testing.T) {
	r, _ := New(Config{Mode: Mask})
	var b strings.Builder
	var toks []string
	for i := range 80 {
		tok := fmt.Sprintf("shpat_%032x", 0xabcdef1234567+i*7919)
		toks = append(toks, tok)
		fmt.Fprintf(&b, "- %s\n", tok)
	}
	w := walker{r: r}
	out, _ := w.scanText(b.String(), false)
	for i, tok := range toks {
		if strings.Contains(out, tok) {
			t.Fatalf("token %d of %d kept", i, len(toks))
		}
	}
}

// TestCommandsInText: command lines quoted in text that is no argv — an
// event's message, a termination message, a script in a ConfigMap — lose
// their credential arguments; the rest of the text stays.
func TestCommandsInText(t *testing.T) {
	r, _ := New(Config{Mode: Mask})
	cases := []textCase{
		{"probe", "Liveness probe failed: mysqladmin -uroot -pQm7vR2kTx9 ping", []string{"Qm7vR2kTx9"}, []string{"mysqladmin -uroot -p", " ping"}},
		{"exec quoted", `exec: "mysql -uroot -pQm7vR2kTx9": executable file not found`, []string{"Qm7vR2kTx9"}, []string{`": executable file not found`}},
		{"quote opened before", `exec: "sh -c mysql -h db -pQm7vR2kTx9"`, []string{"Qm7vR2kTx9"}, []string{`exec: "sh -c mysql -h db -p`, `"`}},
		{"redis", "until redis-cli -h cache -a Rk4pLz8Vw2; do sleep 1; done", []string{"Rk4pLz8Vw2"}, []string{"; do sleep 1; done"}},
		{"redis quoted", `redis-cli -a "Rk4p Lz8Vw2" ping`, []string{"Rk4p", "Lz8Vw2"}, []string{"ping"}},
		{"sshpass", "sshpass -p Ss8hPqLm4K ssh deploy@bastion 'ls -p /srv'", []string{"Ss8hPqLm4K"}, []string{"ssh deploy@bastion 'ls -p /srv'"}},
		{"login", "docker login -u ci -p Dk9sWq3Zr7 registry.io && docker run -p 8080:80 nginx", []string{"Dk9sWq3Zr7"}, []string{"-u ci", "registry.io", "-p 8080:80 nginx"}},
		{"mongo", "mongosh mongodb://h -u admin -p Mg4qLw8Zx2", []string{"Mg4qLw8Zx2"}, []string{"-u admin"}},
		{"literal", "kubectl create secret generic x --from-literal=db=Lt5vQm2Rz8", []string{"Lt5vQm2Rz8"}, []string{"--from-literal=db="}},
		{"aws", "then aws configure set aws_secret_access_key Aw3sQk9Lm2 and exit", []string{"Aw3sQk9Lm2"}, []string{"aws_secret_access_key", "and exit"}},
		{"npm", "RUN npm config set //registry.npmjs.org/:_authToken Np4mTk8Qz2 && yarn config set npmAuthToken Yr4nTk8Qz2 --home", []string{"Np4mTk8Qz2", "Yr4nTk8Qz2"}, []string{"//registry.npmjs.org/:_authToken", "npmAuthToken", "--home"}},
		{"npm decoy", "npm config set registry https://npm.example.com", nil, []string{"https://npm.example.com"}},
		{"flag", "app --db-password Pg7sTr0ngPw --port 5432", []string{"Pg7sTr0ngPw"}, []string{"--port 5432"}},
		{"flag quoted", `migrate --db-password "Pg7 sTr0ng Pw" --port 5432`, []string{"Pg7", "sTr0ng", " Pw"}, []string{"--port 5432"}},
		{"flag in exec", `exec: "export-report --api-key Ak5wQz8Lr3 --out /data": stat`, []string{"Ak5wQz8Lr3"}, []string{`": stat`, "--out /data"}},
		{"kubeadm join", "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:8c3e9f1a2b4d6c8e0a1f3b5d7c9e2a4f6b8d0c1e3a5f7b9d2c4e6a8f0b1d3c5e --control-plane --certificate-key 9a5f0e3c7b1d2e4f6a8c0b2d4e6f8a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d2f",
			[]string{"0123456789abcdef", "9a5f0e3c7b1d2e4f"}, []string{"10.0.0.1:6443", "--control-plane", "sha256:8c3e9f1a2b4d6c8e0a1f3b5d7c9e2a4f6b8d0c1e3a5f7b9d2c4e6a8f0b1d3c5e"}},
		{"flag single dash", "tool -token Tk2mQz8Lw4", []string{"Tk2mQz8Lw4"}, nil},
		{"stdin pipe", "echo 'Dk9sWq3Zr7' | docker login -u ci --password-stdin registry.io", []string{"Dk9sWq3Zr7"}, []string{"--password-stdin registry.io"}},
		{"stdin here-string", "helm registry login oci.io -u ci --password-stdin <<< Hs4wQm8Lz2", []string{"Hs4wQm8Lz2"}, []string{"oci.io"}},
		// Decoys.
		{"port", "docker run -p 8080:80 -d nginx; ls -p /tmp", nil, []string{"-p 8080:80 -d nginx; ls -p /tmp"}},
		{"mysql prompt", "mysql -u root -p shop < dump.sql", nil, []string{"-p shop < dump.sql"}},
		{"file flags", "kube-apiserver --token-auth-file /etc/tokens.csv --service-account-key-file /etc/sa.pub", nil, []string{"/etc/tokens.csv", "/etc/sa.pub"}},
		{"stdin flag", "see docs for --password-stdin usage; cat x | grep y", nil, []string{"--password-stdin usage; cat x | grep y"}},
		{"names", "kube-system/coredns-5d78c9869d-x2x7k --secret-name tls-cert", nil, []string{"kube-system/coredns-5d78c9869d-x2x7k --secret-name tls-cert"}},
		{"reference", "app --password $DB_PASSWORD --token ${TOKEN}", nil, []string{"$DB_PASSWORD", "${TOKEN}"}},
	}
	checkTextCases(t, r, cases)
}

// FuzzScanners: the new scanners (text shapes, server text, command lines,
// encoded payloads, the rule set) never panic, keep their spans inside the
// string, and redacting twice equals redacting once.
func FuzzScanners(f *testing.F) {
	for _, s := range []string{
		"Authorization: Basic dXNlcjpwYXNz", "requirepass abc\nmasterauth def", "machine h login u password p",
		"<password>x</password>", "name: DB_PASSWORD\nvalue: abc", `{"type":"password","value":"x"}`,
		"AccountKey=abc;Pwd=x;", "Invalid value: \"Zt4Rw6Qb2Lm89c1fAbCd\"", "docker login -p x r && aws configure set aws_secret_access_key y",
		"sk_live_4eC39HqLyjWDarjtT1zdp7dc", gzB64("password=hunter2hunter2"), "kind: Secret\ndata:\n  a: YWJj\n",
		"/services/T04ABCD1EFG/B05HIJK2LMN/Zt4Rw6Qb2Lm89c1fAbCd", "apikey:Zt4Rw6Qb2Lm89c1f", "htpasswd -nb u p; openssl x -passin pass:y",
		"chpasswd:\n  list: |\n    root:pw1\n", "chpasswd:\n  list:\n  - 'a:b'\n", "echo a:b | chpasswd", "chpasswd <<< \"a:b\"",
		"h:5432:d:u:pw\n*:*:*:u:p\\:w", "psk=\"abcdefgh\"",
		`exec: "mysql -uroot -pQm7v": not found`, `x "sh -c redis-cli -a 'a b' ping"`, "app --db-password \"a b\" -x",
		"echo 'pw' | docker login --password-stdin r", "oras login r --password-stdin <<< 'pw'",
	} {
		f.Add(s)
	}
	var rs []*Redactor // mask and hash: both marks must read as redactions
	for _, mode := range []Mode{Mask, Hash} {
		r, err := New(Config{Mode: mode, HMACKey: "fuzz-key-0123456789abcdef0123456789"})
		if err != nil {
			f.Fatal(err)
		}
		rs = append(rs, r)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range rs {
			for _, sp := range r.scanSpans(s, 0) {
				if sp.from < 0 || sp.to > len(s) || sp.from > sp.to {
					t.Fatalf("span %v out of %d", sp, len(s))
				}
			}
			w := walker{r: r}
			for name, fn := range map[string]func(string) (string, bool){
				"text":   func(s string) (string, bool) { return w.scanText(s, false) },
				"echo":   func(s string) (string, bool) { return w.scanText(s, true) },
				"server": func(s string) (string, bool) { return w.scanServer(s, false, "spec.password") },
				"cmd":    w.scanCmd,
			} {
				once, _ := fn(s)
				twice, _ := fn(once)
				if once != twice {
					t.Fatalf("%v %s: redacting twice differs:\n%q\n%q\n%q", r.mode, name, s, once, twice)
				}
			}
			r.decodedSecret([]byte(s), 0)
		}
	})
}
