// Package docker_test checks the deployment files of docker/ by reading them:
// every Kubernetes manifest decodes strictly into its API type, the pieces
// reference each other consistently, and the example Fluent Bit properties
// of our output pass the plugin's own configuration validation.
package docker_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"
)

const (
	pluginName = "kube_audit_kafka"
	auditLog   = "/var/log/kubernetes/audit/audit.log"
)

// documents splits a multi-document YAML file.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(d, "")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

type manifests struct {
	namespaces      map[string]*corev1.Namespace
	serviceAccounts map[string]*corev1.ServiceAccount
	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]*corev1.Secret
	services        map[string]*corev1.Service
	daemonSets      map[string]*appsv1.DaemonSet
	deployments     map[string]*appsv1.Deployment
}

// decodeStrict decodes doc into the Kubernetes type its kind names; unknown
// or duplicate fields are errors.
func (m *manifests) decodeStrict(doc []byte) error {
	var tm struct{ APIVersion, Kind string }
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var obj any
	want := "v1"
	switch tm.Kind {
	case "Namespace":
		obj = &corev1.Namespace{}
	case "ServiceAccount":
		obj = &corev1.ServiceAccount{}
	case "ConfigMap":
		obj = &corev1.ConfigMap{}
	case "Secret":
		obj = &corev1.Secret{}
	case "Service":
		obj = &corev1.Service{}
	case "DaemonSet":
		obj, want = &appsv1.DaemonSet{}, "apps/v1"
	case "Deployment":
		obj, want = &appsv1.Deployment{}, "apps/v1"
	default:
		return fmt.Errorf("unexpected kind %q", tm.Kind)
	}
	if tm.APIVersion != want {
		return fmt.Errorf("%s has apiVersion %q, want %q", tm.Kind, tm.APIVersion, want)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	switch o := obj.(type) {
	case *corev1.Namespace:
		m.namespaces[o.Name] = o
	case *corev1.ServiceAccount:
		m.serviceAccounts[o.Name] = o
	case *corev1.ConfigMap:
		m.configMaps[o.Name] = o
	case *corev1.Secret:
		m.secrets[o.Name] = o
	case *corev1.Service:
		m.services[o.Name] = o
	case *appsv1.DaemonSet:
		m.daemonSets[o.Name] = o
	case *appsv1.Deployment:
		m.deployments[o.Name] = o
	}
	return nil
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{
		namespaces: map[string]*corev1.Namespace{}, serviceAccounts: map[string]*corev1.ServiceAccount{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		services: map[string]*corev1.Service{}, daemonSets: map[string]*appsv1.DaemonSet{},
		deployments: map[string]*appsv1.Deployment{},
	}
	// What `kubectl apply -f docker/k8s/` applies, the lab's Kafka, and the
	// example Secret (never applied, but the DaemonSet refers to its shape).
	files, _ := filepath.Glob("k8s/*.yaml")
	files = append(files, "kind/kafka.yaml", "k8s/examples/secret.yaml")
	if len(files) < 6 {
		t.Fatalf("manifests missing: %v", files)
	}
	for _, f := range files {
		for i, doc := range documents(t, f) {
			if err := m.decodeStrict(doc); err != nil {
				t.Errorf("%s document %d: %v", f, i+1, err)
			}
		}
	}
	return m
}

func TestManifestsDecodeStrictlyAndFitTogether(t *testing.T) {
	m := loadManifests(t)
	ds := m.daemonSets["kube-audit-kafka"]
	if ds == nil || len(m.namespaces) != 1 || m.configMaps["kube-audit-kafka-config"] == nil || m.secrets["kube-audit-kafka-sasl"] == nil {
		t.Fatalf("want a namespace, the DaemonSet, its ConfigMap and Secret; got %d namespaces, daemonsets %v", len(m.namespaces), ds != nil)
	}
	var ns string
	for name := range m.namespaces {
		ns = name
	}
	check := func(kind, name, namespace string) {
		if namespace != ns {
			t.Errorf("%s %s is in namespace %q, want %q", kind, name, namespace, ns)
		}
	}
	for n, o := range m.serviceAccounts {
		check("ServiceAccount", n, o.Namespace)
	}
	for n, o := range m.configMaps {
		check("ConfigMap", n, o.Namespace)
	}
	for n, o := range m.secrets {
		check("Secret", n, o.Namespace)
	}
	for n, o := range m.daemonSets {
		check("DaemonSet", n, o.Namespace)
	}

	spec := ds.Spec.Template.Spec
	if got := ds.Spec.Selector.MatchLabels; len(got) == 0 || !subset(got, ds.Spec.Template.Labels) {
		t.Errorf("selector %v does not select the template's labels %v", got, ds.Spec.Template.Labels)
	}
	if m.serviceAccounts[spec.ServiceAccountName] == nil {
		t.Errorf("serviceAccountName %q is not defined", spec.ServiceAccountName)
	}
	// Control-plane nodes, whatever value the distribution gives the role
	// label: one term per label (terms are ORed), each "Exists".
	if len(spec.NodeSelector) > 0 {
		t.Errorf("nodeSelector %v: it matches one label value only; use node affinity", spec.NodeSelector)
	}
	var terms []corev1.NodeSelectorTerm
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		terms = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	}
	for _, label := range []string{"node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"} {
		if !slices.ContainsFunc(terms, func(term corev1.NodeSelectorTerm) bool {
			return len(term.MatchExpressions) == 1 && term.MatchExpressions[0].Key == label &&
				term.MatchExpressions[0].Operator == corev1.NodeSelectorOpExists
		}) {
			t.Errorf("no node affinity term %q Exists: %+v", label, terms)
		}
	}
	if spec.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q, want system-node-critical", spec.PriorityClassName)
	}
	if !slices.ContainsFunc(spec.Tolerations, func(tl corev1.Toleration) bool {
		return tl.Key == "node-role.kubernetes.io/control-plane" && tl.Effect == corev1.TaintEffectNoSchedule
	}) {
		t.Error("no toleration for the control-plane taint")
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil ||
		!*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container security context is not restrictive: %+v", sc)
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
		t.Errorf("resources: %+v", c.Resources)
	}
	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			t.Errorf("mount of undefined volume %q", vm.Name)
			continue
		}
		mounts[vm.MountPath] = vm
		switch {
		case v.HostPath != nil && v.HostPath.Path == filepath.Dir(auditLog):
			if !vm.ReadOnly || vm.MountPath != filepath.Dir(auditLog) {
				t.Errorf("audit log directory must be mounted read-only at %s: %+v", filepath.Dir(auditLog), vm)
			}
		case v.ConfigMap != nil:
			if m.configMaps[v.ConfigMap.Name] == nil {
				t.Errorf("volume %s: ConfigMap %q not defined", v.Name, v.ConfigMap.Name)
			}
		case v.Secret != nil:
			if s := m.secrets[v.Secret.SecretName]; s == nil {
				t.Errorf("volume %s: Secret %q not defined", v.Name, v.Secret.SecretName)
			} else {
				for _, it := range v.Secret.Items {
					if _, ok := s.StringData[it.Key]; !ok {
						t.Errorf("volume %s: Secret has no key %q", v.Name, it.Key)
					}
				}
			}
		}
	}
	if _, ok := mounts[filepath.Dir(auditLog)]; !ok {
		t.Errorf("audit log directory not mounted")
	}
	if _, ok := mounts["/var/fluent-bit"]; !ok {
		t.Errorf("state directory (offset DB, storage) not mounted")
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			r := e.ValueFrom.SecretKeyRef
			if s := m.secrets[r.Name]; s == nil || s.StringData[r.Key] == "" {
				t.Errorf("env %s: Secret %s has no key %s", e.Name, r.Name, r.Key)
			}
		}
	}
	// The config the container is started with is the ConfigMap's.
	i := slices.Index(c.Args, "-c")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("args %v name no config", c.Args)
	}
	cfgPath := c.Args[i+1]
	vm, ok := mounts[filepath.Dir(cfgPath)]
	if !ok || vols[vm.Name].ConfigMap == nil {
		t.Fatalf("config %s is not in a mounted ConfigMap", cfgPath)
	}
	if _, ok := m.configMaps[vols[vm.Name].ConfigMap.Name].Data[filepath.Base(cfgPath)]; !ok {
		t.Errorf("ConfigMap has no %s", filepath.Base(cfgPath))
	}
	for _, p := range c.Ports {
		if p.ContainerPort == 0 {
			t.Errorf("port %s without number", p.Name)
		}
	}
}

func subset(a, b map[string]string) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The audit policy decodes strictly into audit.k8s.io/v1 and, when the lab's
// README is at hand, is the lab's policy.
func TestAuditPolicy(t *testing.T) {
	b, err := os.ReadFile("kind/audit-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var p auditv1.Policy
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" || len(p.Rules) == 0 {
		t.Fatalf("not an audit.k8s.io/v1 Policy with rules: %s %s, %d rules", p.APIVersion, p.Kind, len(p.Rules))
	}
	for i, r := range p.Rules {
		if !slices.Contains([]auditv1.Level{auditv1.LevelNone, auditv1.LevelMetadata, auditv1.LevelRequest, auditv1.LevelRequestResponse}, r.Level) {
			t.Errorf("rule %d: level %q", i, r.Level)
		}
	}
	readme, err := os.ReadFile("../../shared/testdata/audit/real-apiserver/README.md")
	if err != nil {
		t.Skip("lab README not at hand: ", err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(apiVersion: audit.k8s.io/v1.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("no policy in the lab README")
	}
	var lab auditv1.Policy
	if err := yaml.UnmarshalStrict(m[1], &lab); err != nil {
		t.Fatal(err)
	}
	got, _ := yaml.Marshal(p)
	want, _ := yaml.Marshal(lab)
	if !bytes.Equal(got, want) {
		t.Errorf("policy differs from the lab's:\n%s\nwant:\n%s", got, want)
	}
}

// kindCluster is the part of kind.x-k8s.io/v1alpha4 Cluster used here.
type kindCluster struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Nodes      []struct {
		Role        string `json:"role"`
		Image       string `json:"image,omitempty"`
		ExtraMounts []struct {
			HostPath      string `json:"hostPath"`
			ContainerPath string `json:"containerPath"`
			ReadOnly      bool   `json:"readOnly,omitempty"`
		} `json:"extraMounts,omitempty"`
		KubeadmConfigPatches []string `json:"kubeadmConfigPatches,omitempty"`
	} `json:"nodes"`
}

// kubeadmPatch is the part of a kubeadm ClusterConfiguration patched.
type kubeadmPatch struct {
	Kind      string `json:"kind"`
	APIServer struct {
		ExtraArgs    map[string]string `json:"extraArgs"`
		ExtraVolumes []struct {
			Name      string `json:"name"`
			HostPath  string `json:"hostPath"`
			MountPath string `json:"mountPath"`
			ReadOnly  bool   `json:"readOnly"`
			PathType  string `json:"pathType"`
		} `json:"extraVolumes"`
	} `json:"apiServer"`
}

// The kind cluster mounts the policy into the node, the apiserver reads it
// and writes its audit log where the DaemonSet and Fluent Bit look.
func TestKindConfig(t *testing.T) {
	b, err := os.ReadFile("kind/kind-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k kindCluster
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatal(err)
	}
	if k.Kind != "Cluster" || k.APIVersion != "kind.x-k8s.io/v1alpha4" || len(k.Nodes) == 0 || k.Nodes[0].Role != "control-plane" {
		t.Fatalf("not a kind cluster with a control plane: %+v", k)
	}
	n := k.Nodes[0]
	if len(n.KubeadmConfigPatches) != 1 {
		t.Fatalf("%d kubeadm patches", len(n.KubeadmConfigPatches))
	}
	var p kubeadmPatch
	if err := yaml.UnmarshalStrict([]byte(n.KubeadmConfigPatches[0]), &p); err != nil {
		t.Fatal(err)
	}
	args := p.APIServer.ExtraArgs
	if p.Kind != "ClusterConfiguration" || args["audit-log-path"] != auditLog || args["audit-policy-file"] == "" {
		t.Fatalf("apiserver audit flags: %+v", p)
	}
	inVolume := func(path string, readOnly bool) bool {
		for _, v := range p.APIServer.ExtraVolumes {
			if strings.HasPrefix(path, v.MountPath+"/") && v.HostPath == v.MountPath && (!readOnly || v.ReadOnly) {
				return true
			}
		}
		return false
	}
	if !inVolume(args["audit-policy-file"], true) || !inVolume(args["audit-log-path"], false) {
		t.Errorf("policy or log not in an apiserver extra volume: %+v", p.APIServer.ExtraVolumes)
	}
	mounted := false
	for _, em := range n.ExtraMounts {
		if em.ContainerPath == args["audit-policy-file"] {
			mounted = true
			// kind resolves hostPath from where it runs: the repository root.
			if _, err := os.Stat(filepath.Join("..", em.HostPath)); err != nil {
				t.Errorf("extraMount host path: %v", err)
			}
		}
	}
	if !mounted {
		t.Error("the audit policy is not mounted into the node")
	}
}
