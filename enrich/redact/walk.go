package redact

import (
	"regexp"
	"strconv"
	"strings"
)

// walker carries the state of redacting one event: where it is and what it
// redacted so far.
type walker struct {
	r      *Redactor
	pdepth int // depth of encoded payloads this walk is inside of
	root   string
	hint   string // kind of the body when it does not say
	// lits (the first nlits) and segs after them are where the walk is;
	// rendered only when a redaction is listed. The literal start of a path
	// (at) is held in the walker itself: most events are walked no deeper,
	// and then cost no allocation.
	lits  [3]pseg
	nlits int
	segs  []pseg
	ghost int // how many next pushes are scaffolding (JSON patch paths)
	out   []string
	more  int
}

// pseg is one step of a path.
type pseg struct {
	key   string // a key, or a literal (lit)
	index int    // an array index, or -1
	lit   bool   // rendered as is: "requestObject", ".query"
	hide  bool   // not rendered: JSON patch scaffolding
	noRaw bool   // not seen by redact_paths: the [i].value of a JSON patch
}

func (w *walker) at(lits ...string) {
	w.segs = w.segs[:0]
	w.nlits = len(lits) // (at most len(w.lits): every caller names one to three)
	for i, l := range lits {
		w.lits[i] = pseg{key: l, index: -1, lit: true}
	}
}

// path is the number of steps of the current path; seg is step i of it.
func (w *walker) path() int { return w.nlits + len(w.segs) }

func (w *walker) seg(i int) *pseg {
	if i < w.nlits {
		return &w.lits[i]
	}
	return &w.segs[i-w.nlits]
}

func (w *walker) push(key string) {
	w.segs = append(w.segs, pseg{key: key, index: -1, hide: w.ghost > 0})
	if w.ghost > 0 {
		w.ghost--
	}
}

func (w *walker) pushIndex(i int) {
	w.segs = append(w.segs, pseg{index: i, hide: w.ghost > 0})
	if w.ghost > 0 {
		w.ghost--
	}
}

func (w *walker) pop() { w.segs = w.segs[:len(w.segs)-1] }

// record lists the current path as redacted.
func (w *walker) record() {
	if len(w.out) >= MaxPaths {
		w.more++
		return
	}
	var b strings.Builder
	for i := range w.path() {
		s := w.seg(i)
		switch {
		case s.hide:
		case s.lit:
			b.WriteString(s.key)
		case s.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		default:
			b.WriteString(seg(s.key))
		}
	}
	p := b.String()
	if n := len(w.out); n > 0 && w.out[n-1] == p {
		return
	}
	w.out = append(w.out, p)
}

// userPath reports whether the current body path is one of redact_paths,
// counted from the body's root or from its name (requestObject...).
func (w *walker) userPath() bool {
	for _, p := range w.r.paths {
		if w.matchPath(p, 0) || w.matchPath(p, 1) {
			return true
		}
	}
	return false
}

func (w *walker) matchPath(p []patSeg, from int) bool {
	k := 0
	for i := from; i < w.path(); i++ {
		s := w.seg(i)
		if s.noRaw {
			continue
		}
		if k >= len(p) {
			return false
		}
		ps := p[k]
		k++
		switch {
		case ps.any:
		case s.index >= 0:
			if ps.n != s.index {
				return false
			}
		default:
			if ps.s != s.key {
				return false
			}
		}
	}
	return k == len(p)
}

// replacement is the redacted form of a whole value.
func (w *walker) replacement(n *node) *node {
	v := n.str
	if n.kind != kStr {
		v = string(appendNode(nil, n))
	}
	return &node{kind: kStr, str: w.r.inline(v), dirty: true}
}

// redactMember redacts member i of object or array n (drop removes object
// members; array elements are masked). It reports whether the member was
// removed.
func (w *walker) redactMember(n *node, i int) (removed bool) {
	v := n.vals[i]
	if v.kind == kStr && isRedacted(v.str) {
		return false
	}
	w.record()
	n.dirty = true
	if w.r.mode == Drop && n.kind == kObj {
		n.remove(i)
		return true
	}
	n.vals[i] = w.replacement(v)
	return false
}

// nothingToHide: null, or a value already redacted.
func nothingToHide(v *node) bool {
	return v.kind == kNull || v.kind == kStr && isRedacted(v.str)
}

// scalarSecret reports whether v is a value the key rules redact: a string
// (not empty, not a boolean word, not already redacted) or a number.
func scalarSecret(v *node) bool {
	switch v.kind {
	case kNum:
		return true
	case kStr:
		return strSecret(v.str)
	}
	return false
}

// strSecret: a string where a credential is expected may be one (not
// empty, a boolean, a file path, a reference, nor already redacted).
func strSecret(v string) bool { return v != "" && credValue(v) }

// credScalar: the value v of credential key k is redacted: a string, or a
// number when the key names the credential itself (pin: 1234), not a
// setting about one (accessTokenLifespan: 300).
func credScalar(v *node, k string) bool {
	switch v.kind {
	case kNum:
		return numericSecret(k)
	case kStr:
		return credString(k, v.str)
	}
	return false
}

// credString: the string v under credential key k is redacted; not the
// name of a Secret under a key that refers to one (auth-secret: my-secret).
func credString(k, v string) bool {
	return strSecret(v) && !(secretNameLike(v) && refersToSecret(k))
}

// top walks a body's root; it handles JSON patch documents.
func (w *walker) top(n *node) bool {
	switch n.kind {
	case kObj:
		return w.object(n, w.hint)
	case kArr:
		if isJSONPatch(n) {
			return w.jsonPatch(n)
		}
		return w.array(n, "")
	case kStr:
		return w.str(n)
	}
	return false
}

func isJSONPatch(n *node) bool {
	if len(n.vals) == 0 {
		return false
	}
	for _, op := range n.vals {
		if op.kind != kObj || op.getStr("op") == "" || op.get("path") == nil {
			return false
		}
	}
	return true
}

// jsonPatch walks each operation's value as if it sat at its path, so that
// {"op":"add","path":"/data/password","value":"..."} on a Secret, or an env
// entry added by index, meet the same rules as in a full object.
func (w *walker) jsonPatch(n *node) bool {
	changed := false
	for i, op := range n.vals {
		vi := -1
		for j, k := range op.keys {
			if k == "value" {
				vi = j
			}
		}
		if vi < 0 {
			continue
		}
		segs := pointer(op.getStr("path"))
		val := op.vals[vi]
		if len(segs) > MaxDepth {
			// Too deep to walk: the value goes whole (fail closed).
			w.pushIndex(i)
			w.push("value")
			if !nothingToHide(val) {
				op.vals[vi] = w.replacement(val)
				op.dirty, n.dirty, changed = true, true, true
				w.record()
			}
			w.pop()
			w.pop()
			continue
		}
		// Scaffolding: wrap the value in objects and arrays along its path.
		root := val
		for k := len(segs) - 1; k >= 0; k-- {
			if isIndex(segs[k]) {
				root = &node{kind: kArr, vals: []*node{root}}
			} else {
				root = &node{kind: kObj, keys: []string{segs[k]}, vals: []*node{root}}
			}
		}
		w.pushIndex(i)
		w.push("value")
		// redact_paths see the patched path, not [i].value.
		w.seg(w.path()-1).noRaw, w.seg(w.path()-2).noRaw = true, true
		w.ghost = len(segs)
		var c bool
		if len(segs) == 0 {
			c = w.top(val)
		} else {
			c = w.top(root)
			// The value itself was dropped or replaced: put its redacted
			// form into the operation.
			leaf := root
			for k := 0; k < len(segs)-1; k++ {
				leaf = leaf.vals[0]
			}
			switch {
			case len(leaf.vals) == 0:
				op.vals[vi] = &node{kind: kStr, str: mark, dirty: true}
			case leaf.vals[0] != val:
				op.vals[vi] = leaf.vals[0]
			}
		}
		w.ghost = 0
		w.pop()
		w.pop()
		if c {
			op.dirty = true
			changed = true
		}
	}
	if changed {
		n.dirty = true
	}
	return changed
}

// pointer splits a JSON pointer (RFC 6901).
func pointer(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		if strings.Contains(s, "~") {
			segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
	}
	return segs
}

func isIndex(s string) bool {
	if s == "-" {
		return true
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// object walks an object whose kind is its own "kind" or else hint.
func (w *walker) object(n *node, hint string) bool {
	kind := n.getStr("kind")
	if kind == "" {
		kind = hint
	}
	changed := w.namedValue(n)
	for i := 0; i < len(n.keys); i++ {
		w.push(n.keys[i])
		c, removed := w.member(n, i, kind)
		w.pop()
		if removed {
			i--
		}
		changed = changed || c
	}
	if changed {
		n.dirty = true
	}
	return changed
}

// member applies the rules to member i of object n (of the given kind).
func (w *walker) member(n *node, i int, kind string) (changed, removed bool) {
	k, v := n.keys[i], n.vals[i]
	if len(w.r.paths) > 0 && w.userPath() {
		if nothingToHide(v) {
			return false, false
		}
		return true, w.redactMember(n, i)
	}
	switch {
	case (k == "data" || k == "stringData") && kind == "Secret" && v.kind == kObj:
		return w.secretData(v, k == "data"), false
	case k == "spec" && kind == "TokenReview" && v.kind == kObj,
		k == "status" && kind == "TokenRequest" && v.kind == kObj:
		c := w.forceKey(v, "token")
		return w.object(v, "") || c, false
	case k == "metadata" && v.kind == kObj:
		return w.metadata(v, kind), false
	case k == "items" && v.kind == kArr && strings.HasSuffix(kind, "List"):
		return w.array(v, strings.TrimSuffix(kind, "List")), false
	case k == "object" && v.kind == kObj:
		// Watch events and Table rows carry the object of the request.
		return w.object(v, w.hint), false
	case k == "env" && v.kind == kArr:
		return w.env(v), false
	case k == "binaryData" && kind == "ConfigMap" && v.kind == kObj:
		return w.binaryData(v), false
	case kind == "Status" && (k == "message" || k == "details") && w.hint == "Secret":
		return w.statusEcho(v), false
	case k == "message" && v.kind == kStr:
		return w.message(v), false
	}
	switch w.r.classifyKey(k) {
	case keyUser:
		if nothingToHide(v) {
			return false, false
		}
		return true, w.redactMember(n, i)
	case keyCred:
		if credScalar(v, k) {
			return true, w.redactMember(n, i)
		}
	}
	return w.descend(v, k), false
}

// descend walks a value with the generic rules.
func (w *walker) descend(v *node, key string) bool {
	switch v.kind {
	case kObj:
		return w.object(v, "")
	case kArr:
		return w.array(v, "")
	case kStr:
		return w.str(v)
	}
	return false
}

// forceKey redacts member key of n whatever the allow-list says (structural
// rules: TokenReview spec.token, TokenRequest status.token).
func (w *walker) forceKey(n *node, key string) bool {
	for i, k := range n.keys {
		if k == key && (n.vals[i].kind != kStr || !isRedacted(n.vals[i].str)) && n.vals[i].kind != kNull {
			w.push(k)
			w.redactMember(n, i)
			w.pop()
			return true
		}
	}
	return false
}

// secretData redacts every value of a Secret's data or stringData, except
// public certificates (ca.crt of service-account token Secrets, tls.crt).
func (w *walker) secretData(n *node, b64 bool) bool {
	changed := false
	for i := 0; i < len(n.keys); i++ {
		v := n.vals[i]
		if v.kind == kStr && (isRedacted(v.str) || v.str == "" || certOnly(v.str, b64)) {
			continue
		}
		if v.kind == kNull {
			continue // deleting a key in a merge patch
		}
		w.push(n.keys[i])
		if w.redactMember(n, i) {
			i--
		}
		w.pop()
		changed = true
	}
	return changed
}

// certOnly reports whether s (base64 when b64) holds only PEM certificates.
func certOnly(s string, b64 bool) bool {
	if b64 {
		if !strings.HasPrefix(s, "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t") {
			return false
		}
		d, ok := decodeB64(s)
		if !ok {
			return false
		}
		s = string(d)
	}
	const begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
	rest := strings.TrimSpace(s)
	if !strings.HasPrefix(rest, begin) {
		return false
	}
	for rest != "" {
		if !strings.HasPrefix(rest, begin) {
			return false
		}
		j := strings.Index(rest, end)
		if j < 0 {
			return false
		}
		body := rest[len(begin):j]
		if strings.Contains(body, "-----") {
			return false
		}
		rest = strings.TrimSpace(rest[j+len(end):])
	}
	return true
}

// metadata: annotations (last-applied-configuration, key rules, shapes) and
// labels (shapes only: label keys describe, values are short names).
func (w *walker) metadata(n *node, kind string) bool {
	changed := false
	for i := 0; i < len(n.keys); i++ {
		k, v := n.keys[i], n.vals[i]
		w.push(k)
		var c, removed bool
		switch {
		case k == "annotations" && v.kind == kObj:
			c = w.objAnnotations(v, kind)
		case k == "labels" && v.kind == kObj:
			for j, lv := range v.vals {
				w.push(v.keys[j])
				if w.str(lv) {
					v.dirty = true
					c = true
				}
				w.pop()
			}
		default:
			c, removed = w.member(n, i, "ObjectMeta")
		}
		w.pop()
		if removed {
			i--
		}
		changed = changed || c
	}
	if changed {
		n.dirty = true
	}
	return changed
}

func (w *walker) objAnnotations(n *node, kind string) bool {
	changed := false
	for i := 0; i < len(n.keys); i++ {
		k, v := n.keys[i], n.vals[i]
		w.push(k)
		var c, removed bool
		if k == lastApplied && v.kind == kStr {
			c, removed = w.lastApplied(n, i, kind)
		} else if k != legacyToken {
			c, removed = w.member(n, i, "")
		}
		w.pop()
		if removed {
			i--
		}
		changed = changed || c
	}
	if changed {
		n.dirty = true
	}
	return changed
}

// lastApplied parses the previous manifest kubectl keeps in an annotation,
// redacts inside, and puts it back; a value that does not parse goes whole.
func (w *walker) lastApplied(n *node, i int, kind string) (changed, removed bool) {
	v := n.vals[i]
	if isRedacted(v.str) {
		return false, false
	}
	a := w.r.arena()
	defer w.r.release(a)
	inner, err := parse([]byte(v.str), MaxDepth, MaxNodes, a)
	if err != nil {
		return true, w.redactMember(n, i)
	}
	if inner.kind != kObj {
		if w.top(inner) {
			v.setStr(string(appendNode(nil, inner)))
			return true, false
		}
		return false, false
	}
	if w.object(inner, kind) {
		v.setStr(string(appendNode(nil, inner)))
		return true, false
	}
	return false, false
}

// array walks elements; in a string array (command, args) the argument
// after a credential flag (--password, --token) is redacted.
func (w *walker) array(n *node, hint string) bool {
	changed := false
	flag := false
	var prog progArgs
	for i, v := range n.vals {
		w.pushIndex(i)
		var c bool
		var whole bool
		var from int
		if v.kind == kStr && n.vals[0].kind == kStr {
			whole, from = prog.arg(v.str)
		}
		switch v.kind {
		case kObj:
			c = w.object(v, hint)
		case kArr:
			c = w.array(v, "")
		case kStr:
			if whole && scalarSecret(v) {
				w.redactMember(n, i)
				c = true
			} else if from > 0 {
				v.setStr(v.str[:from] + w.r.inline(v.str[from:]))
				n.dirty = true
				w.record()
				c = true
			} else if flag && !strings.HasPrefix(v.str, "-") && scalarSecret(v) {
				w.redactMember(n, i)
				c = true
			} else if at := w.flagValue(v.str); at > 0 {
				v.setStr(v.str[:at] + w.r.inline(v.str[at:]))
				n.dirty = true
				w.record()
				c = true
			} else if n.vals[0].kind == kStr && blank(v.str) && len(v.str) >= minShape && !isRedacted(v.str) {
				if out, ok := w.scanCmd(v.str); ok {
					v.setStr(out)
					n.dirty = true
					w.record()
					c = true
				} else {
					c = w.str(v)
				}
			} else {
				c = w.str(v)
			}
			flag = w.credFlag(v.str)
		}
		w.pop()
		changed = changed || c
	}
	if changed {
		n.dirty = true
	}
	return changed
}

// progArgs follows the credential arguments particular to one program
// along a command line: mysql -p<password>, redis-cli -a <password>, curl -u
// user:<password>, docker|podman|helm|skopeo|buildah|az login -p
// <password>, sshpass -p <password>, htpasswd -b file user <password>,
// aws configure set aws_secret_access_key <secret>, openssl -passin
// pass:<password>, kubectl create secret --from-literal=key=<value>.
type progArgs struct {
	prog    string   // basename of argv[0]
	kind    progKind // its credential arguments
	n       int      // arguments seen
	next    bool     // the next argument is a password
	colon   bool     // the next argument is user:password
	login   bool     // a login subcommand was seen
	set     int      // 1: "set" seen; 2: then a credential key: its value next
	literal bool     // the next argument is key=value of a Secret
	hflags  string   // htpasswd: its flags
	pos     int      // positional arguments seen (htpasswd, rabbitmqctl)
	sub     string   // rabbitmqctl: its subcommand
}

// arg takes the next argument; it returns whether all of it is a secret,
// or where its secret starts (0: none).
func (p *progArgs) arg(a string) (whole bool, from int) {
	p.n++
	if p.n == 1 {
		p.prog = a[strings.LastIndexByte(a, '/')+1:]
		p.kind = kindOf(p.prog)
		return false, 0
	}
	next, colon, set, literal := p.next, p.colon, p.set, p.literal
	p.next, p.colon, p.literal = false, false, false
	if p.set == 2 {
		p.set = 0
	}
	switch {
	case next && a != "" && !strings.HasPrefix(a, "-") && credValue(a):
		return true, 0
	case colon:
		if c := strings.IndexByte(a, ':'); c > 0 && c < len(a)-1 && credValue(a[c+1:]) && !isRedacted(a) {
			return false, c + 1
		}
	case set == 2 && a != "" && credValue(a):
		return true, 0
	case literal:
		if eq := strings.IndexByte(a, '='); eq > 0 && eq < len(a)-1 && credValue(a[eq+1:]) {
			return false, eq + 1
		}
	}
	// Any program: ... set <credential key> <value>.
	if a == "set" || strings.HasSuffix(a, "-set") {
		p.set = 1
	} else if set == 1 {
		if credentialKey(a) {
			p.set = 2
		} else {
			p.set = 0
		}
	}
	switch p.kind {
	case progMySQL:
		if len(a) > 2 && a[0] == '-' && a[1] == 'p' && credValue(a[2:]) {
			return false, 2
		}
	case progRedis:
		p.next = a == "-a"
	case progMongo:
		p.next = a == "-p"
	case progSSHPass:
		p.next = a == "-p"
		if len(a) > 2 && a[0] == '-' && a[1] == 'p' && credValue(a[2:]) {
			return false, 2
		}
	case progLogin:
		if a == "login" {
			p.login = true
		}
		p.next = p.login && (a == "-p" || a == "--pass")
		if p.login && len(a) > 3 && strings.HasPrefix(a, "-p=") && credValue(a[3:]) {
			return false, 3
		}
	case progHtpasswd:
		if strings.HasPrefix(a, "-") {
			p.hflags += a[1:]
			return false, 0
		}
		p.pos++
		if strings.IndexByte(p.hflags, 'b') >= 0 {
			want := 3
			if strings.IndexByte(p.hflags, 'n') >= 0 {
				want = 2
			}
			if p.pos == want && credValue(a) {
				return true, 0
			}
		}
	case progRabbit:
		if strings.HasPrefix(a, "-") {
			return false, 0
		}
		p.pos++
		if p.pos == 1 {
			p.sub = a
		}
		if (p.sub == "add_user" || p.sub == "change_password") && p.pos == 3 && credValue(a) {
			return true, 0
		}
	case progCurl:
		p.colon = a == "-u" || a == "--user" || a == "-U" || a == "--proxy-user"
		if len(a) > 2 && (a[1] == 'u' || a[1] == 'U') && a[0] == '-' {
			if c := strings.IndexByte(a, ':'); c > 2 && c < len(a)-1 && credValue(a[c+1:]) {
				return false, c + 1
			}
		}
	}
	// kubectl / oc create secret: --from-literal=key=value, or the value
	// as the next argument.
	if p.kind == progKubectl || p.prog == "oc" {
		if a == "--from-literal" {
			p.literal = true
		} else if strings.HasPrefix(a, "--from-literal=") {
			rest := a[len("--from-literal="):]
			if eq := strings.IndexByte(rest, '='); eq > 0 && eq < len(rest)-1 && credValue(rest[eq+1:]) {
				return false, len("--from-literal=") + eq + 1
			}
		}
	}
	// Any program: openssl's pass:<password> (also -passin/-passout). After
	// the programs' own rules: a positional password (htpasswd -b file user
	// pass:x) is counted and goes whole, as it would once redacted.
	if len(a) > 5 && strings.HasPrefix(a, "pass:") && credValue(a[5:]) {
		return false, 5
	}
	return false, 0
}

// progKind names the programs whose credential arguments progArgs knows.
type progKind uint8

const (
	progOther    progKind = iota
	progMySQL             // mysql -p<password>
	progRedis             // redis-cli -a <password>
	progMongo             // mongosh -p <password>
	progSSHPass           // sshpass -p <password>, -p<password>
	progLogin             // docker|podman|helm|az|oc... login -p <password>
	progHtpasswd          // htpasswd -b file user <password>
	progRabbit            // rabbitmqctl add_user user <password>
	progCurl              // curl -u user:<password>
	progKubectl           // kubectl create secret --from-literal=k=<value>
)

// kindOf is the kind of the program named prog (a basename).
func kindOf(prog string) progKind {
	switch prog {
	case "mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mariadb", "mariadb-dump", "mariadb-admin":
		return progMySQL
	case "redis-cli", "valkey-cli", "keydb-cli":
		return progRedis
	case "mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport":
		return progMongo
	case "sshpass":
		return progSSHPass
	case "docker", "podman", "nerdctl", "buildah", "skopeo", "helm", "crane", "oras", "regctl", "az", "cf", "oc", "argocd", "vault", "tkn", "kn":
		return progLogin
	case "htpasswd":
		return progHtpasswd
	case "rabbitmqctl":
		return progRabbit
	case "curl":
		return progCurl
	case "kubectl":
		return progKubectl
	}
	return progOther
}

// credFlag reports whether arg is a flag whose next argument is a
// credential: --password, -token, --api-key (not --password=x: that one
// carries its value and is caught as an assignment).
func (w *walker) credFlag(arg string) bool {
	if len(arg) < 2 || arg[0] != '-' || strings.IndexByte(arg, '=') >= 0 {
		return false
	}
	v := w.r.classify(strings.TrimLeft(arg, "-"))
	return v == keyCred || v == keyUser
}

// flagValue: for one argument --password=value (a whole argv element: the
// value runs to its end, blanks included), where the value starts; else 0.
func (w *walker) flagValue(arg string) int {
	if len(arg) < 3 || arg[0] != '-' {
		return 0
	}
	eq := strings.IndexByte(arg, '=')
	if eq < 0 || eq == len(arg)-1 || strings.ContainsAny(arg[:eq], " \t") || !credValue(arg[eq+1:]) {
		return 0
	}
	if v := w.r.classify(strings.TrimLeft(arg[:eq], "-")); v != keyCred && v != keyUser {
		return 0
	}
	return eq + 1
}

// envSecretName: the value of the environment variable name goes whole;
// not PWD and OLDPWD (workDir), though pwd names a password as a key.
func (r *Redactor) envSecretName(name string) bool {
	if workDir(name) {
		return false
	}
	v := r.classifyKey(name)
	return v == keyCred || v == keyUser
}

// workDir: PWD or OLDPWD, a variable's name (an env entry, a name/value
// record): the shell's working directories, no password.
func workDir(name string) bool {
	return strings.EqualFold(name, "PWD") || strings.EqualFold(name, "OLDPWD")
}

// env: container environment entries; the value of a variable whose name
// looks like a credential is redacted (also an entry without a name: a
// JSON patch replacing .../env/3/value).
func (w *walker) env(n *node) bool {
	changed := false
	for i, e := range n.vals {
		w.pushIndex(i)
		if e.kind == kObj {
			nameNode := e.get("name")
			secret := nameNode == nil
			if nameNode != nil && nameNode.kind == kStr {
				secret = w.r.envSecretName(nameNode.str)
			}
			if secret {
				for j, k := range e.keys {
					if k == "value" && scalarSecret(e.vals[j]) {
						w.push(k)
						w.redactMember(e, j)
						w.pop()
						changed = true
						break
					}
				}
			}
			if w.object(e, "") {
				changed = true
			}
		} else if w.descend(e, "") {
			changed = true
		}
		w.pop()
	}
	if changed {
		n.dirty = true
	}
	return changed
}

// binaryData: ConfigMap binary values; under a credential key, or when the
// decoded content holds a secret shape, the value goes.
func (w *walker) binaryData(n *node) bool {
	changed := false
	for i := 0; i < len(n.keys); i++ {
		v := n.vals[i]
		w.push(n.keys[i])
		secret := false
		if vd := w.r.classifyKey(n.keys[i]); vd == keyCred || vd == keyUser {
			secret = scalarSecret(v)
		} else if v.kind == kStr && !isRedacted(v.str) {
			if d, ok := decodeB64(v.str); ok {
				ds := string(d)
				secret = len(w.r.scanSpans(ds, w.pdepth)) > 0 || dockerAuthJSON(ds)
			}
		}
		if secret {
			if w.redactMember(n, i) {
				i--
			}
			changed = true
		}
		w.pop()
	}
	if changed {
		n.dirty = true
	}
	return changed
}

// invalidValueRE finds values echoed by validation errors.
var invalidValueRE = regexp.MustCompile(`Invalid value: ("(?:[^"\\]|\\.)*"|[^\s,:]+)`)

// statusEcho redacts the values a Status about a Secret echoes in its
// message and causes.
func (w *walker) statusEcho(n *node) bool {
	switch n.kind {
	case kStr:
		if s, ok := w.scanText(n.str, true); ok {
			n.setStr(s)
			w.record()
			return true
		}
		return false
	case kObj:
		changed := false
		for i := range n.keys {
			w.push(n.keys[i])
			if w.statusEcho(n.vals[i]) {
				changed = true
			}
			w.pop()
		}
		if changed {
			n.dirty = true
		}
		return changed
	case kArr:
		changed := false
		for i := range n.vals {
			w.pushIndex(i)
			if w.statusEcho(n.vals[i]) {
				changed = true
			}
			w.pop()
		}
		if changed {
			n.dirty = true
		}
		return changed
	}
	return false
}

// str applies the content shapes to a string value.
func (w *walker) str(n *node) bool {
	s := n.str
	if len(s) < minShape || isRedacted(s) {
		return false
	}
	// A docker config (or JSON with auth members) as text: walk it.
	if strings.Contains(s, `"auths"`) || (s[0] == '{' && dockerAuthJSON(s)) {
		a := w.r.arena()
		defer w.r.release(a)
		inner, err := parse([]byte(s), MaxDepth, MaxNodes, a)
		if err != nil {
			n.setStr(w.r.inline(s))
			w.record()
			return true
		}
		if w.top(inner) {
			n.setStr(string(appendNode(nil, inner)))
			return true
		}
		return false
	}
	out, ok := w.scanText(s, false)
	if !ok {
		return false
	}
	n.setStr(out)
	w.record()
	return true
}

// scanText returns s with its secret spans replaced, and whether any was.
// With echo (text about a Secret), every value quoted by a validation
// message goes too.
func (w *walker) scanText(s string, echo bool) (string, bool) {
	sp := w.r.scanSpans(s, w.pdepth)
	if echo {
		sp = merge(w.r.serverSpans(s, true, "", sp))
	}
	return w.replaceSpans(s, sp)
}

// scanServer is scanText for text a server wrote about a request (see
// serverSpans); causeField is the field of a validation cause, or "".
func (w *walker) scanServer(s string, secretCtx bool, causeField string) (string, bool) {
	var h uint64
	c := w.r.cleanServer
	if c != nil && !secretCtx && causeField == "" && w.pdepth == 0 && len(s) >= minCleanLen && len(s) <= maxCleanLen {
		if h = c.sum(s); c.has(h) {
			return s, false
		}
	}
	sp := w.r.scanSpans(s, w.pdepth)
	sp = merge(w.r.serverSpans(s, secretCtx, causeField, sp))
	if h != 0 && len(sp) == 0 {
		c.add(h)
	}
	return w.replaceSpans(s, sp)
}

// message: a "message" member of a body (pod termination messages,
// conditions, a Status): the shapes and the server-text rules.
func (w *walker) message(n *node) bool {
	if len(n.str) < minShape || isRedacted(n.str) {
		return false
	}
	if !w.strClean(n.str) {
		return w.str(n)
	}
	out, ok := w.scanServer(n.str, false, "")
	if !ok {
		return false
	}
	n.setStr(out)
	w.record()
	return true
}

// replaceSpans returns s with the (merged) spans replaced.
func (w *walker) replaceSpans(s string, sp []span) (string, bool) {
	if len(sp) == 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, x := range sp {
		b.WriteString(s[last:x.from])
		b.WriteString(w.r.inline(s[x.from:x.to]))
		last = x.to
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// scanCmd is scanText for a command line (an exec argument or an element of
// a container's command that holds a script, as in sh -c "..."): the
// flag-then-value rules apply to its words too — mysql --password x,
// redis-cli -a x, curl -u user:x.
func (w *walker) scanCmd(s string) (string, bool) {
	sp := w.r.scanSpans(s, w.pdepth)
	if blank(s) {
		sp = merge(append(sp, w.shellWords(s)...))
	}
	return w.replaceSpans(s, sp)
}

// shellWords finds, in a script, the values that follow credential flags.
func (w *walker) shellWords(s string) []span {
	var sp []span
	var prog progArgs
	flag := false
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		j := shellWordEnd(s, i)
		if i >= j {
			break
		}
		word := s[i:j]
		from, to := i, j
		// A quoted word: its inside (an unterminated quote runs to the end).
		if l := len(word); l >= 2 && (word[0] == '"' || word[0] == '\'') && word[l-1] == word[0] {
			from, to = i+1, j-1
		} else if l >= 1 && (word[0] == '"' || word[0] == '\'') {
			from = i + 1
		}
		inner := s[from:to]
		switch word {
		case "&&", "||", "|", ";":
			prog, flag = progArgs{}, false
			i = j
			continue
		}
		if flag && inner != "" && !strings.HasPrefix(inner, "-") && credValue(inner) {
			sp = append(sp, span{from, to})
		}
		flag = w.credFlag(inner)
		if whole, at := prog.arg(inner); whole {
			sp = append(sp, span{from, to})
		} else if at > 0 {
			sp = append(sp, span{from + at, to})
		}
		if strings.HasSuffix(word, ";") {
			prog, flag = progArgs{}, false
		}
		i = j
	}
	return sp
}

// shellWordEnd returns where the shell word that starts at i ends: at the
// first blank outside quotes. Blanks inside '...' or "..." belong to the
// word (a backslash escapes the next byte, except inside single quotes), so
// a quoted password with blanks is one word and goes whole. An unterminated
// quote runs to the end of s.
func shellWordEnd(s string, i int) int {
	var q byte // the open quote, if any
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '\'':
			if c == '\'' {
				q = 0
			}
		case c == '\\':
			i++ // the escaped byte, whatever it is
		case q == '"':
			if c == '"' {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return i
		}
	}
	return len(s)
}

// namedValue: a record {name|key|header|type: N, value|values: V} whose N
// names a credential (workflow and GitOps parameters, probe httpHeaders,
// identity-provider credential lists, plugin header lists): V goes, a
// string, a number, or each string of a list.
func (w *walker) namedValue(n *node) bool {
	hasValue := false
	for _, k := range n.keys {
		if valueKey(k) {
			hasValue = true
			break
		}
	}
	if !hasValue {
		return false
	}
	named := false
	for i, k := range n.keys {
		if v := n.vals[i]; v.kind == kStr && nameKey(k) && w.r.credName(k, v.str) {
			named = true
			break
		}
	}
	if !named {
		return false
	}
	changed := false
	for i := 0; i < len(n.keys); i++ {
		if !valueKey(n.keys[i]) {
			continue
		}
		v := n.vals[i]
		w.push(n.keys[i])
		switch v.kind {
		case kStr, kNum:
			if scalarSecret(v) {
				if w.redactMember(n, i) {
					i--
				}
				changed = true
			}
		case kArr:
			for j, e := range v.vals {
				if e.kind == kStr && strSecret(e.str) || e.kind == kNum {
					w.pushIndex(j)
					w.redactMember(v, j)
					w.pop()
					changed = true
				}
			}
		}
		w.pop()
	}
	if changed {
		n.dirty = true
	}
	return changed
}

// credName: the value name of the name member k of a record names a
// credential (a "type" only when short: password, secret, otp), whatever
// its length.
func (r *Redactor) credName(k, name string) bool {
	if len(name) < 3 || workDir(name) {
		return false
	}
	if strings.EqualFold(k, "type") && len(name) > 16 {
		return false
	}
	v := r.classifyKey(name)
	return v == keyCred || v == keyUser || headerCred(name)
}
