package docker_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline/correlate"
)

// The correlate Deployment: 2 replicas of the image's command, its
// properties valid for the command once Kubernetes expands $(VAR).
func TestCorrelateDeployment(t *testing.T) {
	m := loadManifests(t)
	d := m.deployments["kube-audit-kafka-correlate"]
	if d == nil {
		t.Fatal("no Deployment kube-audit-kafka-correlate")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	spec := d.Spec.Template.Spec
	if m.serviceAccounts[spec.ServiceAccountName] == nil {
		t.Errorf("serviceAccountName %q is not defined", spec.ServiceAccountName)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Command) != 1 || !strings.Contains(string(df), " "+c.Command[0]+"\n") {
		t.Errorf("command %v is not the image's kube-audit-kafka", c.Command)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("security context %+v", sc)
	}
	env := map[string]string{"SASL_USERNAME": "user"}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	pw := filepath.Join(t.TempDir(), "password")
	os.WriteFile(pw, []byte("secret\n"), 0o600)
	ref := regexp.MustCompile(`\$\(([A-Z_]+)\)`)
	if len(c.Args) == 0 || c.Args[0] != "correlate" {
		t.Fatalf("args %v", c.Args)
	}
	props := conf.MapGetter{}
	for i := 1; i < len(c.Args); i += 2 {
		if c.Args[i] != "-p" || i+1 >= len(c.Args) {
			t.Fatalf("args %v: want -p key=value pairs", c.Args)
		}
		kv := ref.ReplaceAllStringFunc(c.Args[i+1], func(s string) string {
			v, ok := env[s[2:len(s)-1]]
			if !ok {
				t.Errorf("%s refers to an undefined variable", c.Args[i+1])
			}
			return v
		})
		k, v, _ := strings.Cut(kv, "=")
		if k == "sasl_password_file" {
			v = pw
		}
		props[k] = v
	}
	cfg, err := correlate.LoadConfig(props)
	if err != nil {
		t.Fatalf("properties: %v", err)
	}
	if cfg.MetricsListen == "" || c.Ports[0].ContainerPort != 2021 || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("metrics %q, ports %+v", cfg.MetricsListen, c.Ports)
	}
}
