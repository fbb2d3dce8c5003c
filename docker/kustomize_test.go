package docker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// kustomization is the part of kustomize.config.k8s.io/v1beta1 Kustomization
// the manifests use; anything else in them is an error (strict decoding).
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images,omitempty"`
	SecretGenerator []struct {
		Name      string   `json:"name"`
		Namespace string   `json:"namespace,omitempty"`
		Literals  []string `json:"literals,omitempty"`
		Options   struct {
			DisableNameSuffixHash bool `json:"disableNameSuffixHash,omitempty"`
		} `json:"options,omitempty"`
	} `json:"secretGenerator,omitempty"`
	Patches []struct {
		Target struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"target"`
		Patch string `json:"patch"`
	} `json:"patches,omitempty"`
}

// kustomizationFile returns the kustomization file of dir, under any of the
// names kustomize reads.
func kustomizationFile(t *testing.T, dir string) string {
	t.Helper()
	var found []string
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: kustomization files %v, want exactly one", dir, found)
	}
	return filepath.Join(dir, found[0])
}

func readKustomization(t *testing.T, dir string) *kustomization {
	t.Helper()
	path := kustomizationFile(t, dir)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Fatalf("%s: %s %s", path, k.APIVersion, k.Kind)
	}
	return &k
}

// object is one resource a kustomization yields: its kind and name, and
// the document it came from.
type object struct {
	kind, name, namespace string
	doc                   []byte
	from                  string
}

// build resolves a kustomization as kustomize would for what is checked
// here: every resource (file or directory) exists, and directories are
// kustomizations themselves. It returns the resources, generated Secrets
// included, and applies no patch (checkPatches checks them).
func build(t *testing.T, dir string) []object {
	t.Helper()
	k := readKustomization(t, dir)
	var objs []object
	for _, r := range k.Resources {
		path := filepath.Join(dir, r)
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s lists %s, which does not exist", kustomizationFile(t, dir), r)
			continue
		}
		if st.IsDir() {
			objs = append(objs, build(t, path)...)
			continue
		}
		for _, doc := range documents(t, path) {
			var meta struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			objs = append(objs, object{meta.Kind, meta.Metadata.Name, meta.Metadata.Namespace, doc, path})
		}
	}
	for _, g := range k.SecretGenerator {
		if !g.Options.DisableNameSuffixHash {
			t.Errorf("%s: secretGenerator %s gets a hash suffix; the DaemonSet names it as is", dir, g.Name)
		}
		sec := corev1.Secret{StringData: map[string]string{}}
		sec.Name, sec.Namespace = g.Name, g.Namespace
		for _, l := range g.Literals {
			key, val, ok := strings.Cut(l, "=")
			if !ok {
				t.Errorf("%s: secretGenerator literal %q is not key=value", dir, l)
			}
			sec.StringData[key] = val
		}
		doc, _ := yaml.Marshal(sec)
		objs = append(objs, object{"Secret", g.Name, g.Namespace, doc, dir})
	}
	return objs
}

// The base is what `kubectl apply -k docker/k8s` applies, and the very
// files `kubectl apply -f docker/k8s/` applies, with the namespace first
// either way; the example Secret is in neither.
func TestBaseKustomization(t *testing.T) {
	k := readKustomization(t, "k8s")
	if filepath.Base(kustomizationFile(t, "k8s")) != "Kustomization" {
		t.Error("the base's kustomization must not be a *.yaml: kubectl apply -f docker/k8s/ would try to apply it")
	}
	plain, _ := filepath.Glob("k8s/*.yaml") // what -f applies, in its (sorted) order
	var listed []string
	for _, r := range k.Resources {
		if filepath.Dir(r) != "." {
			t.Errorf("base resource %s is not a file of docker/k8s", r)
		}
		listed = append(listed, filepath.Join("k8s", r))
	}
	if !slices.Equal(listed, plain) {
		t.Errorf("the base lists %v, kubectl apply -f docker/k8s/ applies %v: keep them the same, in the same order", listed, plain)
	}
	objs := build(t, "k8s")
	if len(objs) == 0 || objs[0].kind != "Namespace" {
		t.Fatalf("the namespace is not first: %v", objs)
	}
	for _, o := range objs {
		if o.kind == "Secret" {
			t.Errorf("%s applies a Secret (%s): it would overwrite the real one", o.from, o.name)
		}
		if o.kind != "Namespace" && o.namespace != objs[0].name {
			t.Errorf("%s %s is in namespace %q, not %q", o.kind, o.name, o.namespace, objs[0].name)
		}
	}
	if slices.Contains(plain, "k8s/examples/secret.yaml") || slices.Contains(plain, "k8s/secret.yaml") {
		t.Error("the example Secret is applied with the folder")
	}
	if _, err := os.Stat("k8s/examples/secret.yaml"); err != nil {
		t.Errorf("the example Secret: %v", err)
	}
}

// Every overlay resolves, and its patches target objects it has, with
// fields that exist: a patch naming a missing container or environment
// variable would add one instead of changing it.
func TestOverlays(t *testing.T) {
	for _, dir := range []string{"overlays/example", "kind", "k8s/monitoring"} {
		t.Run(dir, func(t *testing.T) {
			k := readKustomization(t, dir)
			objs := build(t, dir)
			find := func(kind, name string) *object {
				for i := range objs {
					if objs[i].kind == kind && objs[i].name == name {
						return &objs[i]
					}
				}
				return nil
			}
			for _, im := range k.Images {
				if im.Name != "kube-audit-kafka" {
					t.Errorf("image %q is not the DaemonSet's", im.Name)
				}
			}
			for _, p := range k.Patches {
				target := find(p.Target.Kind, p.Target.Name)
				if target == nil {
					t.Errorf("patch targets %s %s, which the overlay does not have", p.Target.Kind, p.Target.Name)
					continue
				}
				if p.Target.Kind != "DaemonSet" && p.Target.Kind != "Deployment" {
					t.Errorf("patch of a %s: only DaemonSet and Deployment patches are checked", p.Target.Kind)
					continue
				}
				patch, err := podWorkload(p.Target.Kind, []byte(p.Patch))
				if err != nil {
					t.Errorf("patch: %v", err)
					continue
				}
				base, err := podWorkload(p.Target.Kind, target.doc)
				if err != nil {
					t.Fatal(err)
				}
				if patch.Name != base.Name || patch.Namespace != base.Namespace {
					t.Errorf("patch names %s/%s, target %s/%s", patch.Namespace, patch.Name, base.Namespace, base.Name)
				}
				for _, pc := range patch.Spec.Template.Spec.Containers {
					i := slices.IndexFunc(base.Spec.Template.Spec.Containers, func(c corev1.Container) bool { return c.Name == pc.Name })
					if i < 0 {
						t.Errorf("patch of container %q, which does not exist", pc.Name)
						continue
					}
					bc := base.Spec.Template.Spec.Containers[i]
					for _, e := range pc.Env {
						if !slices.ContainsFunc(bc.Env, func(b corev1.EnvVar) bool { return b.Name == e.Name }) {
							t.Errorf("patch sets env %s, which the %s does not have", e.Name, p.Target.Kind)
						}
					}
				}
			}
			// The Secret the DaemonSet needs (an env var refers to it) exists
			// where the overlay deploys a DaemonSet and generates one.
			if ds := find("DaemonSet", "kube-audit-kafka"); ds != nil && len(k.SecretGenerator) > 0 {
				if find("Secret", "kube-audit-kafka-sasl") == nil {
					t.Error("the generated Secret is not the one the DaemonSet refers to")
				}
			}
		})
	}
}

// The kind lab: one `kubectl apply -k docker/kind` gives a plugin pointed at
// the lab's Kafka without SASL, and its config passes the plugin's own
// validation with that environment (no user name without a mechanism).
func TestKindLabKustomization(t *testing.T) {
	objs := build(t, "kind")
	var ds appsv1.DaemonSet
	var secret corev1.Secret
	var cm corev1.ConfigMap
	for _, o := range objs {
		var err error
		switch o.kind {
		case "DaemonSet":
			err = yaml.UnmarshalStrict(o.doc, &ds)
		case "Secret":
			err = yaml.UnmarshalStrict(o.doc, &secret)
		case "ConfigMap":
			err = yaml.UnmarshalStrict(o.doc, &cm)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{}
	for _, e := range ds.Spec.Template.Spec.Containers[0].Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			v, ok := secret.StringData[e.ValueFrom.SecretKeyRef.Key]
			if !ok || secret.Name != e.ValueFrom.SecretKeyRef.Name {
				t.Errorf("env %s: the lab's Secret has no key %s", e.Name, e.ValueFrom.SecretKeyRef.Key)
			}
			env[e.Name] = v
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "node-1"
		}
	}
	// The lab's patch, applied by hand (a strategic merge of env by name).
	k := readKustomization(t, "kind")
	for _, p := range k.Patches {
		var patch appsv1.DaemonSet
		if err := yaml.UnmarshalStrict([]byte(p.Patch), &patch); err != nil {
			t.Fatal(err)
		}
		for _, e := range patch.Spec.Template.Spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
	}
	if env["KAFKA_TLS"] != "off" || env["SASL_MECHANISM"] != "" || env["SASL_USERNAME"] != "" || !strings.HasPrefix(env["KAFKA_BROKERS"], "kafka.kube-audit-kafka.svc:") {
		t.Fatalf("the lab's environment: %v", env)
	}
	pw := filepath.Join(t.TempDir(), "password")
	os.WriteFile(pw, []byte(secret.StringData["password"]), 0o400)
	c := parseYAMLConfig(t, []byte(cm.Data["fluent-bit.yaml"]))
	checkOutput(t, c, env, map[string]string{"/etc/kube-audit-kafka/sasl/password": pw})

	// The plain-files route of kafka.yaml's comment sets the same.
	b, err := os.ReadFile("kind/kafka.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KAFKA_TLS=off", "SASL_MECHANISM= ", "SASL_USERNAME=\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("kafka.yaml's set env comment lacks %q", strings.TrimSpace(want))
		}
	}
}

// podMonitor is the part of monitoring.coreos.com/v1 PodMonitor used.
type podMonitor struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		PodMetricsEndpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// The PodMonitor scrapes both ports of the DaemonSet's pods, each at the
// path its server answers.
func TestPodMonitor(t *testing.T) {
	var pm podMonitor
	if err := yaml.UnmarshalStrict(documents(t, "k8s/monitoring/podmonitor.yaml")[0], &pm); err != nil {
		t.Fatal(err)
	}
	if pm.APIVersion != "monitoring.coreos.com/v1" || pm.Kind != "PodMonitor" {
		t.Fatalf("%s %s", pm.APIVersion, pm.Kind)
	}
	ds := loadManifests(t).daemonSets["kube-audit-kafka"]
	if pm.Metadata.Namespace != ds.Namespace || !subset(pm.Spec.Selector.MatchLabels, ds.Spec.Template.Labels) || len(pm.Spec.Selector.MatchLabels) == 0 {
		t.Errorf("the PodMonitor does not select the DaemonSet's pods: %+v", pm)
	}
	paths := map[string]string{}
	for _, e := range pm.Spec.PodMetricsEndpoints {
		paths[e.Port] = e.Path
	}
	want := map[string]string{"fluent-bit": "/api/v2/metrics/prometheus", "metrics": "/metrics"}
	for port, path := range want {
		if paths[port] != path {
			t.Errorf("port %s: path %q, want %q", port, paths[port], path)
		}
		if !slices.ContainsFunc(ds.Spec.Template.Spec.Containers[0].Ports, func(p corev1.ContainerPort) bool { return p.Name == port }) {
			t.Errorf("the container has no port %s", port)
		}
	}
}

// bytesOf reads a Fluent Bit size (16M, 256k, 2G) or a Kubernetes quantity.
func bytesOf(t *testing.T, what, v string) float64 {
	t.Helper()
	if m := regexp.MustCompile(`^(\d+)([kKmMgG])?[bB]?$`).FindStringSubmatch(v); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		switch strings.ToLower(m[2]) {
		case "k":
			n *= 1 << 10
		case "m":
			n *= 1 << 20
		case "g":
			n *= 1 << 30
		}
		return n
	}
	q, err := resource.ParseQuantity(v)
	if err != nil {
		t.Fatalf("%s %q: %v", what, v, err)
	}
	return float64(q.Value())
}

// Memory is one budget: Fluent Bit's chunks in memory, its backlog loading,
// one longest line, and the plugin's GOMEMLIMIT must fit in the container's
// limit with room to spare (docs/operations.md, "Memory"). Change one, and
// this fails until the limit follows.
func TestMemoryBudget(t *testing.T) {
	m := loadManifests(t)
	ds := m.daemonSets["kube-audit-kafka"]
	c := ds.Spec.Template.Spec.Containers[0]
	cfg := parseYAMLConfig(t, []byte(m.configMaps["kube-audit-kafka-config"].Data["fluent-bit.yaml"]))
	tail := cfg.tail(t)
	const chunk = 2 << 20      // Fluent Bit's chunk size
	const fluentBit = 30 << 20 // Fluent Bit itself, roughly
	chunksUp, err := strconv.Atoi(cfg.service["storage.max_chunks_up"])
	if err != nil {
		t.Fatalf("storage.max_chunks_up: %v", err)
	}
	var gomemlimit float64
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" {
			gomemlimit = bytesOf(t, "GOMEMLIMIT", strings.TrimSuffix(e.Value, "B"))
		}
	}
	if gomemlimit == 0 {
		t.Fatal("no GOMEMLIMIT")
	}
	backlog := bytesOf(t, "storage.backlog.mem_limit", cfg.service["storage.backlog.mem_limit"])
	line := bytesOf(t, "buffer_max_size", tail["buffer_max_size"])
	memBuf := bytesOf(t, "mem_buf_limit", tail["mem_buf_limit"])
	need := fluentBit + float64(chunksUp)*chunk + backlog + line + gomemlimit
	limit := float64(c.Resources.Limits.Memory().Value())
	t.Logf("budget: Fluent Bit %d MB + %d chunks up %d MB + backlog %.0f MB + line %.0f MB + GOMEMLIMIT %.0f MB = %.0f MB; limit %.0f MB",
		fluentBit>>20, chunksUp, chunksUp*chunk>>20, backlog/(1<<20), line/(1<<20), gomemlimit/(1<<20), need/(1<<20), limit/(1<<20))
	if limit < 1.25*need {
		t.Errorf("memory limit %.0f MiB leaves less than 25%% above the budget of %.0f MiB", limit/(1<<20), need/(1<<20))
	}
	if memBuf > float64(chunksUp)*chunk {
		t.Errorf("mem_buf_limit %.0f MiB is above what %d chunks up hold", memBuf/(1<<20), chunksUp)
	}
	if req := float64(c.Resources.Requests.Memory().Value()); req > limit || req < gomemlimit/2 {
		t.Errorf("memory request %s", c.Resources.Requests.Memory())
	}
}

// The Fluent Bit the image is built on is the version the README says was
// tested, and a digest, when pinned, is a real one (no placeholder).
func TestImageVersionIsTheTestedOne(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ARG FLUENT_BIT_IMAGE=fluent/fluent-bit:([0-9.]+)(@sha256:[0-9a-f]{64})?$`).FindSubmatch(df)
	if m == nil {
		t.Fatal("no ARG FLUENT_BIT_IMAGE=fluent/fluent-bit:VERSION[@sha256:<64 hex digits>] in the Dockerfile")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	tested := regexp.MustCompile(`Tested with Fluent Bit ([0-9.]+)`).FindSubmatch(readme)
	if tested == nil || string(tested[1]) != string(m[1]) {
		t.Errorf("the Dockerfile uses Fluent Bit %s, the README says it was tested with %q", m[1], tested)
	}
}

// podWorkload reads a DaemonSet or a Deployment strictly, as the metadata
// and pod template the overlay tests compare.
func podWorkload(kind string, doc []byte) (*workload, error) {
	switch kind {
	case "DaemonSet":
		var ds appsv1.DaemonSet
		if err := yaml.UnmarshalStrict(doc, &ds); err != nil {
			return nil, err
		}
		w := &workload{ObjectMeta: ds.ObjectMeta}
		w.Spec.Template = ds.Spec.Template
		return w, nil
	case "Deployment":
		var d appsv1.Deployment
		if err := yaml.UnmarshalStrict(doc, &d); err != nil {
			return nil, err
		}
		w := &workload{ObjectMeta: d.ObjectMeta}
		w.Spec.Template = d.Spec.Template
		return w, nil
	}
	return nil, fmt.Errorf("kind %s", kind)
}

type workload struct {
	metav1.ObjectMeta
	Spec struct {
		Template corev1.PodTemplateSpec
	}
}
