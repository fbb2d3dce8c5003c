package rules

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/audit"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/glob"
)

// Detection-depth matcher fields: user-agent classes, the command
// line of an exec or of an ephemeral container, and added Linux
// capabilities. They keep the rules data: what a reverse shell or a
// scripting client looks like is written in rules.yaml, not in Go.

// DetectionMatch holds the matcher fields of MatchSpec for user agents,
// commands and capabilities. It is embedded in MatchSpec: its fields are
// written at the same level as the others.
type DetectionMatch struct {
	// UserAgentClasses names classes of user agents (user_agent_classes at
	// the top of a rules file): the user agent matches a glob of one of them.
	UserAgentClasses []string `json:"user_agent_classes,omitempty"`
	// Commands (glob.Set) over the command line of the request: the command=
	// parameters of pods/exec (joined by spaces, shell-quoted as in
	// enrichment.what.command), or the command and args of the ephemeral
	// container of a pods/ephemeralcontainers request. No command: no match.
	Commands []string `json:"commands,omitempty"`
	// CommandContains: the command line contains one of these (ASCII case
	// is ignored).
	CommandContains []string `json:"command_contains,omitempty"`
	// CommandRegex: one of these regular expressions (RE2 syntax, unanchored)
	// matches the command line.
	CommandRegex []string `json:"command_regex,omitempty"`
	// CapabilitiesAdded: a container, init or ephemeral container of the pod
	// (template) adds one of these Linux capabilities (securityContext.
	// capabilities.add; case and a CAP_ prefix are ignored; ALL is a name).
	CapabilitiesAdded []string `json:"capabilities_added,omitempty"`

	// agentPatterns are the glob.Set of UserAgentClasses, set by
	// resolveAgentClasses before compilation.
	agentPatterns []string
	agentResolved bool
}

func (d *DetectionMatch) isZero() bool {
	return len(d.UserAgentClasses) == 0 && len(d.Commands) == 0 && len(d.CommandContains) == 0 &&
		len(d.CommandRegex) == 0 && len(d.CapabilitiesAdded) == 0
}

// mergeAgentClasses adds the user_agent_classes of a rules file to classes;
// a class of the same name replaces the earlier one. The file has already
// been read strictly by parseRuleFile.
func mergeAgentClasses(classes map[string][]string, data []byte) {
	var f struct {
		UserAgentClasses map[string][]string `json:"user_agent_classes"`
	}
	if yaml.Unmarshal(data, &f) != nil {
		return
	}
	for name, pats := range f.UserAgentClasses {
		classes[name] = pats
	}
}

// resolveAgentClasses replaces the class names of every rule's match and
// except entries by the classes' glob.Set.
func resolveAgentClasses(specs []RuleSpec, classes map[string][]string, file string) error {
	if file == "" {
		file = "embedded rules.yaml"
	}
	resolve := func(d *DetectionMatch) error {
		d.agentPatterns, d.agentResolved = nil, true
		for _, name := range d.UserAgentClasses {
			pats, ok := classes[name]
			if !ok {
				known := make([]string, 0, len(classes))
				for n := range classes {
					known = append(known, n)
				}
				slices.Sort(known)
				return fmt.Errorf("user_agent_classes: unknown class %q (known: %s)", name, strings.Join(known, ", "))
			}
			if len(pats) == 0 {
				return fmt.Errorf("user_agent_classes: class %q has no patterns", name)
			}
			d.agentPatterns = append(d.agentPatterns, pats...)
		}
		return nil
	}
	for i := range specs {
		s := &specs[i]
		if err := resolve(&s.Match.DetectionMatch); err != nil {
			return fmt.Errorf("rules file %s: rule %q: match: %w", file, s.ID, err)
		}
		for j := range s.Except {
			if err := resolve(&s.Except[j].DetectionMatch); err != nil {
				return fmt.Errorf("rules file %s: rule %q: except #%d: %w", file, s.ID, j+1, err)
			}
		}
	}
	return nil
}

// depthMatcher is a compiled DetectionMatch.
type depthMatcher struct {
	active   bool
	agents   agentSet
	commands glob.Set
	contains []string // lower case
	regexps  []commandRegexp
	caps     []string // normalised: upper case, no CAP_ prefix
}

func compileDepth(d *DetectionMatch) (depthMatcher, error) {
	var m depthMatcher
	var err error
	if len(d.UserAgentClasses) > 0 {
		if !d.agentResolved {
			return m, fmt.Errorf("user_agent_classes: classes %v are not defined", d.UserAgentClasses)
		}
		gs, err := glob.CompileSet(d.agentPatterns)
		if err != nil {
			return m, fmt.Errorf("user_agent_classes %v: %w", d.UserAgentClasses, err)
		}
		m.agents = newAgentSet(gs)
	}
	if m.commands, err = glob.CompileSet(d.Commands); err != nil {
		return m, fmt.Errorf("commands: %w", err)
	}
	for _, s := range d.CommandContains {
		if s == "" {
			return m, fmt.Errorf("command_contains: empty string")
		}
		m.contains = append(m.contains, strings.ToLower(s))
	}
	for _, s := range d.CommandRegex {
		re, err := compileCommandRegexp(s)
		if err != nil {
			return m, fmt.Errorf("command_regex: %v", err)
		}
		m.regexps = append(m.regexps, re)
	}
	for _, c := range d.CapabilitiesAdded {
		if c == "" {
			return m, fmt.Errorf("capabilities_added: empty name")
		}
		m.caps = append(m.caps, audit.NormCapability(c))
	}
	m.active = !d.isZero()
	return m, nil
}

func (m *depthMatcher) matches(v *audit.View) bool {
	if m.agents.set && !m.agents.match(v.Event.UserAgent) {
		return false
	}
	if len(m.commands) > 0 || len(m.contains) > 0 || len(m.regexps) > 0 {
		cmd, _ := v.Command()
		if cmd == "" {
			return false
		}
		if len(m.commands) > 0 && !m.commands.Match(cmd) {
			return false
		}
		if len(m.contains) > 0 {
			lower, found := v.CommandLower(), false
			for _, s := range m.contains {
				if strings.Contains(lower, s) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		if len(m.regexps) > 0 {
			lower, asc, found := v.CommandLower(), ascii(cmd), false
			for i := range m.regexps {
				if m.regexps[i].match(cmd, lower, asc) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	if len(m.caps) > 0 {
		caps := v.Capabilities()
		if !slices.ContainsFunc(caps, func(c string) bool { return has(m.caps, c) }) {
			return false
		}
	}
	return true
}

// agentSet matches a user agent against the glob.Set of some classes. Its
// "*word*" glob.Set, most of a class, are tried together: each word is keyed by
// the pair of adjacent bytes in it that is rarest in the user agents of
// Kubernetes' own clients, and one pass over the user agent looks up each of
// its byte pairs in a bitmap of the keys, comparing words only at a hit.
// Every rule with a class runs it, some (offensive_tool_user_agent) on every
// event; the user agents of most events then cost one bitmap probe a byte.
type agentSet struct {
	set   bool
	other glob.Set // the glob.Set that are not "*word*"
	words []agentWord
	keys  *[1 << 10]uint64 // bit k: some word has key k
}

type agentWord struct {
	word string
	off  int    // of the key in word
	key  uint16 // word[off]<<8 | word[off+1]
}

// commonAgentText is what Kubernetes' own clients send, to rank byte pairs.
const commonAgentText = "kube-apiserver/v1.32.13 (linux/amd64) kubernetes/4cb5f07 kubectl/v1.32.4 (darwin/arm64) " +
	"kube-controller-manager/v1.32.13 (linux/amd64) kubernetes/4cb5f07/system:serviceaccount:kube-system:generic-garbage-collector " +
	"kube-scheduler/v1.32.13 (linux/amd64) kubernetes/4cb5f07/leader-election kubelet/v1.32.4 (linux/amd64) kubernetes/4cb5f07 " +
	"kube-proxy/v1.32.4 (linux/amd64) kubernetes/4cb5f07 coredns/v1.11.3 (linux/amd64) kubernetes/$Format " +
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 " +
	"Go-http-client/2.0 kubectl-dispatcher/v1.0 (linux/amd64) cluster-autoscaler/v1.30.0 helm/v3.14.0 argocd-application-controller/v2.10.0"

func newAgentSet(gs glob.Set) agentSet {
	a := agentSet{set: true}
	for _, g := range gs {
		lit, ok := g.Contains()
		if !ok || len(lit) < 2 {
			a.other = append(a.other, g)
			continue
		}
		w := agentWord{word: lit}
		best := -1
		for i := 0; i+1 < len(lit); i++ {
			if n := strings.Count(commonAgentText, lit[i:i+2]); best < 0 || n < best {
				best, w.off = n, i
			}
		}
		w.key = uint16(lit[w.off])<<8 | uint16(lit[w.off+1])
		if a.keys == nil {
			a.keys = new([1 << 10]uint64)
		}
		a.keys[w.key>>6] |= 1 << (w.key & 63)
		a.words = append(a.words, w)
	}
	return a
}

func (a *agentSet) match(ua string) bool {
	if a.other.Match(ua) {
		return true
	}
	if a.keys == nil {
		return false
	}
	for i := 0; i+1 < len(ua); i++ {
		k := uint16(ua[i])<<8 | uint16(ua[i+1])
		if a.keys[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for j := range a.words {
			w := &a.words[j]
			if w.key == k && i >= w.off && strings.HasPrefix(ua[i-w.off:], w.word) {
				return true
			}
		}
	}
	return false
}
