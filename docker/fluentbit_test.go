package docker_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

// fbConfig is one Fluent Bit configuration read into sections of
// lower-cased key/values: "service", "input", "output", "plugins".
type fbConfig struct {
	service map[string]string
	plugins []string
	inputs  []map[string]string
	outputs []map[string]string
	raw     string
}

func (c *fbConfig) output(t *testing.T) map[string]string {
	t.Helper()
	for _, o := range c.outputs {
		if o["name"] == pluginName {
			return o
		}
	}
	t.Fatalf("no %s output", pluginName)
	return nil
}

func (c *fbConfig) tail(t *testing.T) map[string]string {
	t.Helper()
	for _, in := range c.inputs {
		if in["name"] == "tail" {
			return in
		}
	}
	t.Fatal("no tail input")
	return nil
}

func lowerKeys(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[strings.ToLower(k)] = fmt.Sprint(v)
	}
	return out
}

// parseYAMLConfig reads Fluent Bit's YAML form (YAML 1.2: "off" stays a string).
func parseYAMLConfig(t *testing.T, text []byte) *fbConfig {
	t.Helper()
	var doc struct {
		Service  map[string]any `yaml:"service"`
		Plugins  []string       `yaml:"plugins"`
		Pipeline struct {
			Inputs  []map[string]any `yaml:"inputs"`
			Outputs []map[string]any `yaml:"outputs"`
		} `yaml:"pipeline"`
	}
	dec := yamlv3.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	c := &fbConfig{service: lowerKeys(doc.Service), plugins: doc.Plugins, raw: string(text)}
	for _, in := range doc.Pipeline.Inputs {
		c.inputs = append(c.inputs, lowerKeys(in))
	}
	for _, o := range doc.Pipeline.Outputs {
		c.outputs = append(c.outputs, lowerKeys(o))
	}
	return c
}

// parseClassic reads Fluent Bit's classic form: [SECTION] then "Key value".
func parseClassic(t *testing.T, path string) *fbConfig {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &fbConfig{service: map[string]string{}, raw: string(b)}
	var cur map[string]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			switch sec := strings.ToUpper(line[1 : len(line)-1]); sec {
			case "SERVICE":
				cur = c.service
			case "INPUT":
				cur = map[string]string{}
				c.inputs = append(c.inputs, cur)
			case "OUTPUT":
				cur = map[string]string{}
				c.outputs = append(c.outputs, cur)
			default:
				t.Fatalf("%s:%d: unexpected section %s", path, n, sec)
			}
			continue
		}
		if cur == nil {
			t.Fatalf("%s:%d: property outside a section", path, n)
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("%s:%d: %q is not 'Key value'", path, n, line)
		}
		k = strings.ToLower(k)
		if _, dup := cur[k]; dup {
			t.Fatalf("%s:%d: %s set twice", path, n, k)
		}
		cur[k] = strings.TrimSpace(v)
	}
	if pf := c.service["plugins_file"]; pf != "" {
		pb, err := os.ReadFile(filepath.Join(filepath.Dir(path), pf))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(pb), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), " "); ok && strings.EqualFold(k, "path") {
				c.plugins = append(c.plugins, strings.TrimSpace(v))
			}
		}
	}
	return c
}

// fluentBitOwn are the output keys Fluent Bit keeps for itself.
var fluentBitOwn = map[string]bool{"name": true, "match": true, "workers": true, "retry_limit": true, "storage.total_limit_size": true, "alias": true}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// checkOutput validates the example output: every set key is a property of
// the plugin, every property is shown (set, or in a comment), and the values,
// with environment references resolved by env, pass conf.Load.
func checkOutput(t *testing.T, c *fbConfig, env map[string]string, files map[string]string) {
	t.Helper()
	out := c.output(t)
	if out["workers"] != "1" {
		t.Errorf("workers = %q, want 1", out["workers"])
	}
	if out["match"] != c.tail(t)["tag"] {
		t.Errorf("output matches %q, the tail is tagged %q", out["match"], c.tail(t)["tag"])
	}
	props := conf.MapGetter{}
	for k, v := range out {
		if fluentBitOwn[k] {
			continue
		}
		if !conf.Known(k) {
			t.Errorf("%q is not a property of the plugin", k)
			continue
		}
		v = envRef.ReplaceAllStringFunc(v, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			val, ok := env[name]
			if !ok {
				t.Errorf("%s: ${%s} is not set in the environment", k, name)
			}
			return val
		})
		if f, ok := files[v]; ok {
			v = f
		}
		props[k] = v
	}
	for _, p := range conf.Properties() {
		if _, set := out[p.Key]; set {
			continue
		}
		if !regexp.MustCompile(`(?m)^\s*#\s*` + regexp.QuoteMeta(p.Key) + `\b`).MatchString(c.raw) {
			t.Errorf("property %q is not shown (set it or show it in a comment)", p.Key)
		}
	}
	if _, err := conf.Load(props); err != nil {
		t.Errorf("the example properties do not pass validation: %v", err)
	}
}

func checkTail(t *testing.T, c *fbConfig) {
	t.Helper()
	in := c.tail(t)
	for k, want := range map[string]string{"path": auditLog, "storage.type": "filesystem"} {
		if !strings.EqualFold(in[k], want) {
			t.Errorf("tail %s = %q, want %q", k, in[k], want)
		}
	}
	for _, k := range []string{"db", "rotate_wait", "refresh_interval", "mem_buf_limit", "tag"} {
		if in[k] == "" {
			t.Errorf("tail has no %s", k)
		}
	}
	if c.service["storage.path"] == "" {
		t.Error("service has no storage.path: filesystem storage is off")
	}
	if !strings.HasPrefix(in["db"], "/var/fluent-bit/") || !strings.HasPrefix(c.service["storage.path"], "/var/fluent-bit/") {
		t.Errorf("offset DB %q and storage %q must be under /var/fluent-bit (the DaemonSet's host path)", in["db"], c.service["storage.path"])
	}
	if len(c.plugins) != 1 || c.plugins[0] != "/fluent-bit/plugins/out_kube_audit_kafka.so" {
		t.Errorf("plugins %v: want the .so the Dockerfile installs", c.plugins)
	}
}

func imageEnv() map[string]string {
	return map[string]string{"KAFKA_BROKERS": "kafka-0.kafka:9092,kafka-1.kafka:9092", "CLUSTER_NAME": "prod-eu-1", "NODE_NAME": "cp-1"}
}

func TestImageConfigYAML(t *testing.T) {
	b, err := os.ReadFile("fluent-bit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := parseYAMLConfig(t, b)
	checkTail(t, c)
	checkOutput(t, c, imageEnv(), nil)
}

func TestImageConfigClassic(t *testing.T) {
	c := parseClassic(t, "fluent-bit.conf")
	checkTail(t, c)
	checkOutput(t, c, imageEnv(), nil)
	// Both forms say the same.
	b, _ := os.ReadFile("fluent-bit.yaml")
	y := parseYAMLConfig(t, b)
	for _, pair := range [][2]map[string]string{{c.output(t), y.output(t)}, {c.tail(t), y.tail(t)}, {c.service, y.service}} {
		for k, v := range pair[1] {
			if k == "plugins_file" {
				continue
			}
			if !strings.EqualFold(pair[0][k], v) {
				t.Errorf("%s: classic %q, YAML %q", k, pair[0][k], v)
			}
		}
		for k := range pair[0] {
			if _, ok := pair[1][k]; !ok && k != "plugins_file" {
				t.Errorf("%s only in the classic form", k)
			}
		}
	}
}

// The DaemonSet's config, with the environment the DaemonSet gives it and
// the Secret's password file, passes validation.
func TestDaemonSetConfig(t *testing.T) {
	m := loadManifests(t)
	cm := m.configMaps["kube-audit-kafka-config"]
	if cm == nil {
		t.Fatal("no ConfigMap")
	}
	c := parseYAMLConfig(t, []byte(cm.Data["fluent-bit.yaml"]))
	checkTail(t, c)
	ds := m.daemonSets["kube-audit-kafka"]
	if ds == nil || len(ds.Spec.Template.Spec.Containers) == 0 {
		t.Fatal("no DaemonSet with a container")
	}
	env := map[string]string{}
	for _, e := range ds.Spec.Template.Spec.Containers[0].Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "sample-" + e.ValueFrom.FieldRef.FieldPath
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = m.secrets[e.ValueFrom.SecretKeyRef.Name].StringData[e.ValueFrom.SecretKeyRef.Key]
		}
	}
	// Files named by the config exist in the pod through the Secret volume:
	// give the test the same content.
	files := map[string]string{}
	spec := ds.Spec.Template.Spec
	for _, vm := range spec.Containers[0].VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			s := m.secrets[v.Secret.SecretName]
			for _, it := range v.Secret.Items {
				tmp := filepath.Join(t.TempDir(), it.Path)
				if err := os.WriteFile(tmp, []byte(s.StringData[it.Key]+"\n"), 0o400); err != nil {
					t.Fatal(err)
				}
				files[filepath.Join(vm.MountPath, it.Path)] = tmp
			}
		}
	}
	out := c.output(t)
	if files[out["sasl_password_file"]] == "" {
		t.Errorf("sasl_password_file %q is not a file of the mounted Secret (%v)", out["sasl_password_file"], files)
	}
	checkOutput(t, c, env, files)
	// And the kind lab's settings (plain text, no SASL) pass too.
	// (SASL off means no user name either: credentials without a mechanism are refused.)
	env["KAFKA_TLS"], env["SASL_MECHANISM"], env["SASL_USERNAME"], env["KAFKA_BROKERS"] = "off", "", "", "kafka.kube-audit-kafka.svc:9092"
	checkOutput(t, c, env, files)
}

// The DaemonSet's config is the image's, but for TLS and SASL taken from
// the environment: the two do not drift apart.
func TestDaemonSetConfigIsTheImages(t *testing.T) {
	m := loadManifests(t)
	cm := m.configMaps["kube-audit-kafka-config"]
	if cm == nil {
		t.Fatal("no ConfigMap")
	}
	k := parseYAMLConfig(t, []byte(cm.Data["fluent-bit.yaml"]))
	b, err := os.ReadFile("fluent-bit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	img := parseYAMLConfig(t, b)
	differ := map[string]bool{"tls_enabled": true, "sasl_mechanism": true, "sasl_username": true, "sasl_password_file": true}
	for _, pair := range [][2]map[string]string{{k.service, img.service}, {k.tail(t), img.tail(t)}, {k.output(t), img.output(t)}} {
		keys := map[string]bool{}
		for key := range pair[0] {
			keys[key] = true
		}
		for key := range pair[1] {
			keys[key] = true
		}
		for key := range keys {
			if !differ[key] && pair[0][key] != pair[1][key] {
				t.Errorf("%s: ConfigMap %q, image %q", key, pair[0][key], pair[1][key])
			}
		}
	}
	if strings.Join(k.plugins, ",") != strings.Join(img.plugins, ",") {
		t.Errorf("plugins: %v vs %v", k.plugins, img.plugins)
	}
}
