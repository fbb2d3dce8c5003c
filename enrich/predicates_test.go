package enrich

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func bodyOf(t *testing.T, raw string) (*auditv1.Event, *body) {
	t.Helper()
	ev := &auditv1.Event{RequestObject: &runtime.Unknown{Raw: []byte(raw)}}
	b := &body{}
	parseBody(ev, b)
	if !b.ok {
		t.Fatalf("body not parsed: %s", raw)
	}
	return ev, b
}

func TestSensitiveHostPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "//": true, "/etc": true, "/etc/kubernetes/manifests": true, "/proc/1/root": true,
		"/var/run/docker.sock": true, "/run/containerd/containerd.sock": true, "/var/lib/kubelet/pki": true,
		"/root/.ssh": true, "/etc/../etc/shadow": true,
		"/var/log": false, "/etcd-data": false, "/run/xtables.lock": false, "/data": false, "/var/lib/kubelet-extra": false,
	} {
		raw, _ := json.Marshal(map[string]any{"kind": "Pod", "spec": map[string]any{"volumes": []any{map[string]any{"name": "v", "hostPath": map[string]any{"path": p}}}}})
		ev, b := bodyOf(t, string(raw))
		if got := sensitiveHostPath(ev, b); got != want {
			t.Errorf("%q: %v", p, got)
		}
		if got := hostRootMount(ev, b); got != (p == "/" || p == "//") {
			t.Errorf("root %q: %v", p, got)
		}
	}
	ev, b := bodyOf(t, `{"kind":"Pod","spec":{"volumes":[{"name":"v","hostPath":{"path":""}}]}}`)
	if sensitiveHostPath(ev, b) {
		t.Error("empty hostPath counted as /")
	}
}

func TestBodyPredicatesOnTemplatesAndOddBodies(t *testing.T) {
	// A DaemonSet template with an ephemeral-style privileged init container.
	ev, b := bodyOf(t, `{"kind":"DaemonSet","spec":{"template":{"spec":{"hostNetwork":true,"initContainers":[{"name":"i","image":"x","securityContext":{"privileged":true}}],"containers":[{"name":"c","image":"registry.example.com/app:1.0"}]}}}}`)
	if !privilegedContainer(ev, b) || !predicates[PredHostNetwork].fn(ev, b) {
		t.Error("template predicates")
	}
	if imgs := b.images(); len(imgs) != 2 || imageRepository(imgs[0]) != "registry.example.com/app" {
		t.Errorf("images %v", imgs)
	}
	// A custom resource whose spec.type and spec.containers have other types:
	// parsed as far as possible, no predicate fires.
	ev, b = bodyOf(t, `{"kind":"Widget","spec":{"type":{"a":1},"containers":"many","hostPID":"yes"}}`)
	for name, p := range predicates {
		if p.body && p.fn(ev, b) {
			t.Errorf("%s fired on an unrelated custom resource", name)
		}
	}
	// Image references.
	for in, want := range map[string]string{
		"nginx": "nginx", "nginx:1.27": "nginx", "localhost:5000/app": "localhost:5000/app",
		"localhost:5000/app:v1": "localhost:5000/app", "app@sha256:abc": "app", "quay.io/calico/node:v3.27.0@sha256:abc": "quay.io/calico/node",
	} {
		if got := imageRepository(in); got != want {
			t.Errorf("imageRepository(%q) = %q, want %q", in, got, want)
		}
	}
}
