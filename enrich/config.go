package enrich

import (
	"slices"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich/rules"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/fielderr"
)

// Config configures filtering and enrichment; conf fills it from plugin
// properties.
type Config struct {
	ClusterName string
	NodeName    string
	// Stages lists the audit stages that are shipped (default
	// ResponseComplete and Panic).
	Stages []string
	// RulesFile, when set, names a YAML rule file; RulesMode says whether it
	// extends (default) or replaces the embedded default rules.
	RulesFile  string
	RulesMode  string
	PolicyFile string
	// Images asks for the container images of pod requests in each record
	// (the ecs format ships them); they come from the body the rules parse,
	// or from a parse of their own.
	Images bool
}

// Stages are the audit stages, as audit.k8s.io/v1 spells them.
func Stages() []string {
	return []string{string(auditv1.StageRequestReceived), string(auditv1.StageResponseStarted), string(auditv1.StageResponseComplete), string(auditv1.StagePanic)}
}

// Validate checks the configuration; every problem names its field
// (fielderr). The rules and the policy themselves are checked by New.
func (c *Config) Validate() error {
	var l fielderr.List
	for _, s := range c.Stages {
		if !slices.Contains(Stages(), s) {
			l.Addf("enrich.Stages", "unknown stage %q (valid: %s)", s, strings.Join(Stages(), ", "))
		}
	}
	if c.Stages != nil && len(c.Stages) == 0 {
		l.Addf("enrich.Stages", "at least one stage is needed")
	}
	if c.RulesMode != "" && !slices.Contains(rules.Modes(), c.RulesMode) {
		l.Addf("enrich.RulesMode", "unknown rules_mode %q (valid: %s)", c.RulesMode, strings.Join(rules.Modes(), ", "))
	}
	for field, f := range map[string]string{"enrich.RulesFile": c.RulesFile, "enrich.PolicyFile": c.PolicyFile} {
		if err := fielderr.Readable(f); err != nil {
			l.Add(field, err)
		}
	}
	return l.Err()
}
