package correlate

import (
	"slices"
	"testing"
)

// TestSplitByMessageKey: which default rules each message_key of the plugin
// keeps in one partition (docs/correlate.md's table).
func TestSplitByMessageKey(t *testing.T) {
	rs, err := LoadRules("", "extend")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"user":      {"enumeration_denied_by_user", "secret_harvesting", "secret_harvesting_across_namespaces"},
		"namespace": {"privileged_pod_then_exec"},
		"audit_id":  nil,
		"none":      nil,
	}
	for mk, w := range want {
		local, remote := rs.Split(mk)
		if got := local.IDs(); !slices.Equal(got, w) && !(len(got) == 0 && len(w) == 0) {
			t.Errorf("message_key %s: local %v, want %v", mk, got, w)
		}
		if len(local.Rules)+len(remote.Rules) != len(rs.Rules) {
			t.Errorf("message_key %s: split loses rules", mk)
		}
		t.Logf("message_key %s: local %v; repartitioned %v", mk, local.IDs(), remote.IDs())
	}
}

// TestForwards: one copy per group key, with the rules it is for; events
// no rule matches are not forwarded.
func TestForwards(t *testing.T) {
	rs, err := LoadRules("", "extend")
	if err != nil {
		t.Fatal(err)
	}
	_, remote := rs.Split("user")
	f := NewForwarder(remote)
	dec := NewDecoder(nil, remote)
	var e Event
	if err := dec.Decode(ev{ip: "198.51.100.7", verb: "get", resource: "pods", code: 401, stage: "ResponseStarted"}.json(), &e); err != nil {
		t.Fatal(err)
	}
	fw := f.Forwards(&e, nil)
	if len(fw) != 1 || fw[0].Key != "198.51.100.7" || !slices.Equal(fw[0].Rules, []string{"brute_force_unauthenticated"}) {
		t.Errorf("401: %+v", fw)
	}
	if err := dec.Decode(ev{user: "alice", ip: "10.0.0.1", verb: "get", resource: "pods", ns: "x", name: "p"}.json(), &e); err != nil {
		t.Fatal(err)
	}
	// alice's get: the second step of binding_then_used (key user).
	fw = f.Forwards(&e, nil)
	if len(fw) != 1 || fw[0].Key != "alice" || !slices.Equal(fw[0].Rules, []string{"binding_then_used"}) {
		t.Errorf("get: %+v", fw)
	}
	if err := dec.Decode(ev{user: "alice", ip: "10.0.0.1", verb: "get", resource: "pods", ns: "x", name: "p", code: 404}.json(), &e); err != nil {
		t.Fatal(err)
	}
	if fw = f.Forwards(&e, nil); len(fw) != 0 {
		t.Errorf("a 404 forwarded: %+v", fw)
	}
}
