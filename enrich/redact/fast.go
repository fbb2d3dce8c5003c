package redact

import (
	"strings"
	"unsafe"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/jsonx"
)

// The fast path. Most bodies hold nothing to redact (a pod, a list of
// roles, a lease): building a tree for them, walking it and throwing it
// away is most of the cost of redaction. clean reads a body once, without
// building anything, and answers whether the walk of walk.go would change
// it or list a redaction; only when it might is the tree built.
//
// It is conservative: every rule of the walk that can fire is either
// checked exactly (key verdicts, string shapes, command lines, env names,
// last-applied manifests) or over-approximated (the structural rules of
// Secret, ConfigMap, TokenReview, TokenRequest and Status bodies fire when
// such a kind and such a key appear anywhere in the body; a JSON patch, a
// redact_paths entry, a body that does not parse or exceeds a limit always
// go to the walk). A doubt costs time, never a secret: the walk then
// decides, as it always did. A differential test and fuzz target compare
// the two paths byte for byte.

// Kinds whose structural rules the fast path cannot follow: seen as a
// string value anywhere (an object's "kind", a list's "SecretList") or as
// the event's hint.
const (
	kindSecret uint8 = 1 << iota
	kindConfigMap
	kindTokenReview
	kindTokenRequest
	kindStatus
)

// Keys those rules act on.
const (
	keySecretData uint8 = 1 << iota // data, stringData (Secret)
	keyBinaryData                   // binaryData (ConfigMap)
	keySpec                         // spec (TokenReview)
	keyStatus                       // status (TokenRequest)
	keyStatusEcho                   // message, details (Status about a Secret)
)

// kindBits: the special kind s names, once its List suffixes are removed.
func kindBits(s string) uint8 {
	if len(s) < 6 {
		return 0
	}
	switch s[0] {
	case 'S', 'C', 'T':
	default:
		return 0
	}
	for strings.HasSuffix(s, "List") {
		s = s[:len(s)-4]
	}
	switch s {
	case "Secret":
		return kindSecret
	case "ConfigMap":
		return kindConfigMap
	case "TokenReview":
		return kindTokenReview
	case "TokenRequest":
		return kindTokenRequest
	case "Status":
		return kindStatus
	}
	return 0
}

func keyBits(k string) uint8 {
	switch k {
	case "data", "stringData":
		return keySecretData
	case "binaryData":
		return keyBinaryData
	case "spec":
		return keySpec
	case "status":
		return keyStatus
	case "message", "details":
		return keyStatusEcho
	}
	return 0
}

// sctx says which rules of the walk apply to a value.
type sctx uint8

const (
	cGeneric     sctx = iota // descend: the generic rules
	cMetadata                // the value of "metadata"
	cAnnotations             // metadata.annotations
	cLabels                  // metadata.labels
	cEnv                     // the value of "env"
	cEnvItem                 // an element of an env array
	cUser                    // under a redact_key_patterns key
	cCred                    // under a built-in credential key (numbers stay)
	cCredNum                 // under a built-in credential key naming the credential itself
	cLastApplied             // the last-applied-configuration annotation
	cSkip                    // read, not looked at (legacy-token annotation)
	cMessage                 // a "message" string: server text
)

// prescan walks a body's tape (read once, with the parser's syntax and
// limits: a body that fails them is walked, and the walk fails on it),
// allocating nothing (but the decoded form of a string with escapes).
type prescan struct {
	tp    *jsonx.Tape
	k     int    // the token read next
	a     *arena // tapes of last-applied manifests, one per nesting
	level int    // last-applied manifests being read
	w     walker // r only: for the string rules of walk.go
	hint  string
	kinds uint8
	keys  uint8
	last  string // the last string value read
	key   string // the key of the value being read (cCred)
}

// clean reports whether the walk of body b would neither change it nor
// list a redaction. false means: walk it.
func (w *walker) clean(b []byte) bool {
	if !w.fastPath() {
		return false
	}
	a := w.r.arena()
	defer w.r.release(a)
	if a.tape.ParseLimits(b, MaxDepth, MaxNodes) != nil {
		return false
	}
	return w.cleanTape(&a.tape, a)
}

// fastPath: the body may be clean (cleanTape may say so).
func (w *walker) fastPath() bool {
	// Bodies of secrets nearly always hold data the walk must redact:
	// reading them first would only add to their cost.
	return len(w.r.paths) == 0 && !w.r.slowOnly && w.hint != "Secret"
}

// cleanTape is clean of the body read into tp (without error, with the
// parser's limits); a holds the tapes of the manifests it reads (not tp).
func (w *walker) cleanTape(tp *jsonx.Tape, a *arena) bool {
	if !w.fastPath() {
		return false
	}
	s := prescan{tp: tp, a: a, w: walker{r: w.r, pdepth: w.pdepth}, hint: w.hint}
	switch s.hint {
	case "Secret":
		s.kinds = kindSecret
	case "ConfigMap":
		s.kinds = kindConfigMap
	case "TokenReview":
		s.kinds = kindTokenReview
	case "TokenRequest":
		s.kinds = kindTokenRequest
	}
	if tp.Toks[0].Kind == jsonx.KindArray {
		return false // a JSON patch maybe: the walk knows them
	}
	if !s.value(cGeneric) {
		return false
	}
	return !s.structural()
}

// structural: a rule of a special kind may apply.
func (s *prescan) structural() bool {
	return s.kinds&kindSecret != 0 && s.keys&keySecretData != 0 ||
		s.kinds&kindConfigMap != 0 && s.keys&keyBinaryData != 0 ||
		s.kinds&kindTokenReview != 0 && s.keys&keySpec != 0 ||
		s.kinds&kindTokenRequest != 0 && s.keys&keyStatus != 0 ||
		s.hint == "Secret" && s.kinds&kindStatus != 0 && s.keys&keyStatusEcho != 0
}

// str is the value of the string token k, as the parser decodes it.
func (s *prescan) str(k int) string { return tokStr(s.tp, k) }

// first is the first byte of the value at token k.
func (s *prescan) first(k int) byte { return s.tp.Src[s.tp.Toks[k].Start] }

// value reads the value at s.k under the rules of c; false: walk the body
// (a rule may fire).
func (s *prescan) value(c sctx) bool {
	switch s.tp.Toks[s.k].Kind {
	case jsonx.KindObject:
		return s.object(c)
	case jsonx.KindArray:
		return s.array(c)
	case jsonx.KindString:
		v := s.str(s.k)
		s.k++
		s.last = v
		if kb := kindBits(v); kb != 0 {
			s.kinds |= kb
			if s.structural() {
				return false
			}
		}
		switch c {
		case cSkip:
			return true
		case cUser:
			return isRedacted(v)
		case cCred, cCredNum:
			if credString(s.key, v) {
				return false
			}
		case cLastApplied:
			return isRedacted(v) || s.lastApplied(v)
		case cMessage:
			return s.w.strClean(v) && (len(v) < minShape || isRedacted(v) || len(s.w.r.serverSpans(v, false, "", nil)) == 0)
		}
		return s.w.strClean(v)
	case jsonx.KindNull:
		s.k++
		return true
	case jsonx.KindTrue, jsonx.KindFalse:
		s.k++
		return c != cUser
	default: // a number
		s.k++
		return c != cUser && c != cCredNum
	}
}

// object reads an object whose rules are those of c.
func (s *prescan) object(c sctx) bool {
	if c == cUser {
		return false
	}
	end := int(s.tp.Toks[s.k].Next)
	s.k++
	// env entries: the first "name" member, and whether a "value" member
	// holds a scalar the env rule would redact.
	seenName, secretName, scalarValue := false, false, false
	// Any object: a name/value record naming a credential (namedValue in
	// walk.go).
	// The names are judged only once a value member is there (rare).
	recValue := false
	var names [3]struct{ k, v string }
	nNames := 0
	for s.k < end {
		k := s.str(s.k)
		s.k++
		if kb := keyBits(k); kb != 0 {
			s.keys |= kb
			if s.structural() {
				return false // the walk will be needed: stop reading
			}
		}
		next := s.first(s.k)
		var vc sctx
		switch c {
		case cMetadata:
			switch {
			case k == "annotations" && next == '{':
				vc = cAnnotations
			case k == "labels" && next == '{':
				vc = cLabels
			default:
				vc = s.member(k, next)
			}
		case cAnnotations:
			switch {
			case k == lastApplied && next == '"':
				vc = cLastApplied
			case k == legacyToken:
				vc = cSkip
			default:
				vc = s.member(k, next)
			}
		case cLabels:
			vc = cGeneric // values: the string shapes only
		default:
			vc = s.member(k, next)
		}
		s.key = k
		if !s.value(vc) {
			return false
		}
		if next == '"' && nameKey(k) {
			if nNames == len(names) {
				return false // an odd record: the walk decides
			}
			names[nNames].k, names[nNames].v = k, s.last
			nNames++
		}
		if valueKey(k) {
			switch {
			case next == '"':
				recValue = recValue || strSecret(s.last)
			case next == '-' || next >= '0' && next <= '9' || next == '[':
				recValue = true
			}
		}
		if c == cEnvItem {
			switch k {
			case "name":
				if !seenName {
					seenName = true
					if next == '"' {
						secretName = s.w.r.envSecretName(s.last)
					}
				}
			case "value":
				switch {
				case next == '"':
					v := s.last
					scalarValue = scalarValue || v != "" && v != "true" && v != "false" && !isRedacted(v)
				case next == '-' || next >= '0' && next <= '9':
					scalarValue = true
				}
			}
		}
	}
	if c == cEnvItem && (!seenName || secretName) && scalarValue {
		return false
	}
	if recValue {
		for _, n := range names[:nNames] {
			if s.w.r.credName(n.k, n.v) {
				return false
			}
		}
	}
	return true
}

// member: the rules for the value of key k of an object (member in
// walk.go), next being the first byte of the value.
func (s *prescan) member(k string, next byte) sctx {
	switch {
	case k == "metadata" && next == '{':
		return cMetadata
	case k == "env" && next == '[':
		return cEnv
	case k == "message" && next == '"':
		return cMessage
	}
	switch s.w.r.classifyKey(k) {
	case keyUser:
		return cUser
	case keyCred:
		if numericSecret(k) {
			return cCredNum
		}
		return cCred
	}
	return cGeneric
}

// array reads an array whose rules are those of c (array and env in
// walk.go).
func (s *prescan) array(c sctx) bool {
	if c == cUser {
		return false
	}
	end := int(s.tp.Toks[s.k].Next)
	s.k++
	firstStr := s.k < end && s.tp.Toks[s.k].Kind == jsonx.KindString
	flag := false
	var prog progArgs
	for s.k < end {
		next := s.first(s.k)
		switch {
		case c == cEnv && next == '{':
			if !s.value(cEnvItem) {
				return false
			}
		case c != cEnv && next == '"':
			if !s.value(cSkip) {
				return false
			}
			v := s.last
			if !s.argClean(v, firstStr, &flag, &prog) {
				return false
			}
		default:
			if !s.value(cGeneric) {
				return false
			}
		}
	}
	return true
}

// argClean: the string element v of an array passes the rules of array in
// walk.go (credential flags, program arguments, command lines, shapes)
// untouched. flag and prog carry the state along the array.
func (s *prescan) argClean(v string, firstStr bool, flag *bool, prog *progArgs) bool {
	w := &s.w
	var whole bool
	var from int
	if firstStr {
		whole, from = prog.arg(v)
	}
	switch {
	case whole && strSecret(v):
		return false
	case from > 0:
		return false
	case *flag && !strings.HasPrefix(v, "-") && strSecret(v):
		return false
	case w.flagValue(v) > 0:
		return false
	case firstStr && blank(v) && len(v) >= minShape && !isRedacted(v):
		if len(w.r.scanSpans(v, w.pdepth)) > 0 || len(w.shellWords(v)) > 0 {
			return false
		}
		if !w.strClean(v) {
			return false
		}
	default:
		if !w.strClean(v) {
			return false
		}
	}
	*flag = w.credFlag(v)
	return true
}

// lastApplied: the manifest in a last-applied-configuration annotation
// parses as an object (within the limits, counted afresh as the walk
// does) and passes the rules. It is read into a tape of its own, one per
// level of manifests in manifests.
func (s *prescan) lastApplied(v string) bool {
	if v == "" {
		return false
	}
	if s.level == len(s.a.inner) {
		s.a.inner = append(s.a.inner, new(jsonx.Tape))
	}
	tp := s.a.inner[s.level]
	if tp.ParseLimits(unsafe.Slice(unsafe.StringData(v), len(v)), MaxDepth, MaxNodes) != nil || tp.Toks[0].Kind != jsonx.KindObject { // read only
		return false
	}
	outer, k := s.tp, s.k
	s.tp, s.k = tp, 0
	s.level++
	ok := s.value(cGeneric)
	s.level--
	s.tp, s.k = outer, k
	return ok
}

// strClean: str in walk.go would leave the string s as it is.
func (w *walker) strClean(s string) bool {
	if len(s) < minShape || isRedacted(s) || inert(s) {
		return true // (an inert string holds no quote and no brace)
	}
	// The cache first: it holds no docker config (scanMissed).
	h, hit := w.r.cleanSum(s, w.pdepth)
	if hit {
		return true
	}
	if dockerConfigText(s) {
		return false
	}
	return len(w.r.scanMissed(s, w.pdepth, h)) == 0
}

// dockerConfigText: s may be a docker config (the walk reads its auths).
func dockerConfigText(s string) bool {
	return strings.Contains(s, `"auths"`) || (len(s) > 0 && s[0] == '{' && dockerAuthJSON(s))
}
