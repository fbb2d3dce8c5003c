// Package rules judges an event's severity from rules kept as data: the
// embedded rules.yaml (every rule of Falco's k8s_audit set, the single-event
// forms of SigmaHQ's and Elastic's Kubernetes detections, and the plugin's
// own), extended or replaced by a rules_file, any rule overridable by id.
//
// A rule has an id, a severity, ATT&CK technique ids, a match and except
// entries. A MatchSpec's fields AND together and each list is an OR: verbs,
// resources (as an audit policy writes them), names, namespaces, URLs,
// users, groups, user agents and user_agent_classes (lists of user-agent
// globs defined at the top of a rules file: scripting, kubectl, offensive),
// codes, stages, decisions, annotations, images, the command line of an exec
// (commands, command_contains, command_regex), capabilities_added, and named
// predicates for facts that need the body. Predicates and body matchers run
// last, only when everything else has matched, and read the View's shared
// Body.
//
// Evaluate offers each event only the rules that can match its verb and
// resource (a bitset index built with the rules; TestRuleIndexIsExact holds
// it to evaluating every rule), in rule order; the event's severity is the
// highest of the matched rules, its techniques their union. Rules read the
// event as logged, before redaction, and only name what matched.
//
// A command_regex runs only on a command line that holds one of its
// required literals (prefilter.go: read from the regexp's syntax tree,
// compared in lower case on ASCII command lines; other text always runs the
// regexp, whose Unicode case folding decides).
package rules
