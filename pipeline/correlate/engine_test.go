package correlate

import (
	"fmt"
	"testing"
	"time"
)

func TestEnumerationDeniedDistinctScopes(t *testing.T) {
	var evs []ev
	resources := []string{"secrets", "pods", "configmaps", "deployments", "services", "nodes", "roles", "serviceaccounts", "jobs"}
	for i, r := range resources {
		evs = append(evs, ev{user: "mallory", ip: "10.9.9.9", verb: "list", resource: r, ns: "prod", code: 403, at: time.Duration(i) * time.Second})
		// Repeats of one scope count once.
		evs = append(evs, ev{user: "mallory", ip: "10.9.9.9", verb: "list", resource: "secrets", ns: "prod", code: 403, at: time.Duration(i) * time.Second})
	}
	// A controller denied during bootstrap: excepted.
	for i, r := range resources {
		evs = append(evs, ev{user: "system:kube-scheduler", ip: "10.0.0.1", verb: "list", resource: r, code: 403, at: time.Duration(i) * time.Second})
	}
	alerts := byRule(run(t, evs), "enumeration_denied_by_user")
	if len(alerts) != 1 {
		t.Fatalf("want 1 alert, got %d: %+v", len(alerts), alerts)
	}
	a := alerts[0]
	if a.Group.Value != "mallory" || a.Distinct == nil || a.Distinct.Count != 8 || a.Count != 15 || a.Severity != "medium" || a.SeverityID != 3 {
		t.Errorf("alert %+v %+v", a, a.Distinct)
	}
	if a.Window.Start != t0 || a.Window.End != t0.Add(5*time.Minute) {
		t.Errorf("window %+v", a.Window)
	}
	if a.AlertID != AlertID("enumeration_denied_by_user", "user", "mallory", t0) || len(a.AlertID) != 32 {
		t.Errorf("alert id %s", a.AlertID)
	}
	if len(a.AuditIDs) != 15 || a.AuditIDsTotal != 15 || len(a.SourceIPs) != 1 || a.Summary == "" || len(a.Attack) != 3 {
		t.Errorf("alert %+v", a)
	}
	t.Log(a.Summary)
}

func TestBruteForce(t *testing.T) {
	var evs []ev
	for i := 0; i < 25; i++ {
		evs = append(evs, ev{ip: "198.51.100.7", verb: "get", resource: "pods", code: 401, stage: "ResponseStarted", at: time.Duration(i) * time.Second})
	}
	for i := 0; i < 19; i++ { // under the threshold
		evs = append(evs, ev{ip: "198.51.100.8", verb: "get", resource: "pods", code: 401, stage: "ResponseStarted", at: time.Duration(i) * time.Second})
	}
	alerts := byRule(run(t, evs), "brute_force_unauthenticated")
	if len(alerts) != 1 || alerts[0].Group.Value != "198.51.100.7" || alerts[0].Count != 20 || alerts[0].Severity != "high" {
		t.Fatalf("alerts %+v", alerts)
	}
}

func TestSecretHarvesting(t *testing.T) {
	var evs []ev
	for i := 0; i < 12; i++ {
		evs = append(evs, ev{user: "system:serviceaccount:dev:ci", ip: "10.1.1.1", verb: "get", resource: "secrets", ns: fmt.Sprintf("ns%d", i%5), name: fmt.Sprintf("s%d", i), at: time.Duration(i) * 10 * time.Second})
	}
	// The node authorizer's reads: excepted.
	for i := 0; i < 12; i++ {
		evs = append(evs, ev{user: "system:node:n1", ip: "10.0.0.2", verb: "get", resource: "secrets", ns: fmt.Sprintf("ns%d", i), name: fmt.Sprintf("s%d", i), at: time.Duration(i) * time.Second})
	}
	all := run(t, evs)
	if a := byRule(all, "secret_harvesting"); len(a) != 1 || a[0].Distinct.Count != 10 || a[0].Group.Value != "system:serviceaccount:dev:ci" {
		t.Errorf("secret_harvesting: %+v", a)
	}
	if a := byRule(all, "secret_harvesting_across_namespaces"); len(a) != 1 || a[0].Distinct.Count != 4 {
		t.Errorf("secret_harvesting_across_namespaces: %+v", a)
	}
}

const privilegedPod = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"evil"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`

func TestPrivilegedPodThenExec(t *testing.T) {
	evs := []ev{
		{user: "alice", ip: "10.2.2.2", verb: "create", resource: "pods", ns: "dev", name: "evil", code: 201, body: privilegedPod},
		{user: "alice", ip: "10.2.2.2", verb: "create", resource: "pods", ns: "dev", name: "fine", code: 201, body: `{"kind":"Pod","spec":{"containers":[{"image":"nginx"}]}}`},
		{user: "alice", ip: "10.2.2.2", verb: "create", resource: "pods", sub: "exec", ns: "dev", name: "fine", code: 101, stage: "ResponseStarted", at: time.Minute},
		{user: "bob", ip: "10.3.3.3", verb: "create", resource: "pods", sub: "exec", ns: "dev", name: "evil", code: 101, stage: "ResponseStarted", at: 2 * time.Minute},
		{user: "bob", ip: "10.3.3.3", verb: "create", resource: "pods", sub: "exec", ns: "dev", name: "evil", code: 101, at: 3 * time.Minute},
		// Past the window: nothing.
		{user: "bob", ip: "10.3.3.3", verb: "create", resource: "pods", sub: "exec", ns: "dev", name: "evil", code: 101, at: 2 * time.Hour},
	}
	a := byRule(run(t, evs), "privileged_pod_then_exec")
	if len(a) != 1 || a[0].Group.Value != "dev/evil" || a[0].Window.Start != t0 || len(a[0].Users) != 2 {
		t.Fatalf("alerts %+v", a)
	}
	t.Log(a[0].Summary)
}

func TestTokenMintedThenUsedElsewhere(t *testing.T) {
	sa := "system:serviceaccount:prod:deployer"
	evs := []ev{
		{user: "alice", ip: "10.2.2.2", verb: "create", resource: "serviceaccounts", sub: "token", ns: "prod", name: "deployer", code: 201},
		{user: sa, ip: "10.2.2.2", verb: "list", resource: "pods", ns: "prod", at: time.Minute}, // same address: nothing
		{user: sa, ip: "203.0.113.5", verb: "list", resource: "secrets", ns: "prod", at: 2 * time.Minute},
		{user: sa, ip: "203.0.113.6", verb: "list", resource: "secrets", ns: "prod", at: 3 * time.Minute}, // once per mint
		// A kubelet's mint: excepted.
		{user: "system:node:n1", ip: "10.0.0.2", verb: "create", resource: "serviceaccounts", sub: "token", ns: "prod", name: "web", code: 201},
		{user: "system:serviceaccount:prod:web", ip: "10.244.1.5", verb: "get", resource: "configmaps", ns: "prod", at: time.Minute},
	}
	a := byRule(run(t, evs), "token_minted_then_used_elsewhere")
	if len(a) != 1 || a[0].Group.Value != sa || len(a[0].SourceIPs) != 2 {
		t.Fatalf("alerts %+v", a)
	}
}

func TestBindingThenUsed(t *testing.T) {
	body := `{"kind":"RoleBinding","subjects":[{"kind":"User","name":"eve"},{"kind":"ServiceAccount","name":"bot"}],"roleRef":{"kind":"ClusterRole","name":"admin"}}`
	evs := []ev{
		{user: "alice", ip: "10.2.2.2", verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings", ns: "dev", name: "b", code: 201, body: body},
		{user: "system:serviceaccount:dev:bot", ip: "10.244.0.9", verb: "get", resource: "pods", ns: "dev", at: time.Minute},
		{user: "eve", ip: "10.7.7.7", verb: "delete", resource: "pods", ns: "dev", at: 2 * time.Minute, code: 403}, // denied: not used
	}
	a := byRule(run(t, evs), "binding_then_used")
	if len(a) != 1 || a[0].Group.Value != "system:serviceaccount:dev:bot" {
		t.Fatalf("alerts %+v", a)
	}
}

// TestReplayFromCommitOffset: an engine restarted at the committed offset
// (a new owner after a crash) raises only alerts with ids the first raised,
// and every alert the first raised from that point on.
func TestReplayFromCommitOffset(t *testing.T) {
	rs, err := LoadRules("", "extend")
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for i := 0; i < 3000; i++ {
		u := fmt.Sprintf("user%d", i%7)
		msgs = append(msgs, ev{user: u, ip: "10.0.0." + fmt.Sprint(i%5), verb: "get", resource: fmt.Sprintf("r%d", i%11), ns: "n", code: 403, at: time.Duration(i) * 700 * time.Millisecond}.json())
	}
	dec := NewDecoder(nil, rs)
	feed := func(eng *Engine, from, to int, commitAt int) (ids []string, commit int64) {
		var e Event
		commit = -1
		for i := from; i < to; i++ {
			if err := dec.Decode(msgs[i], &e); err != nil {
				t.Fatal(err)
			}
			e.Offset = int64(i)
			for _, a := range eng.Process(&e, nil) {
				ids = append(ids, a.AlertID)
			}
			if i == commitAt {
				commit = eng.CommitOffset()
			}
		}
		return ids, commit
	}
	first := NewEngine(rs, Limits{}, 0)
	all, commit := feed(first, 0, len(msgs), 1700)
	if commit <= 0 || commit > 1701 {
		t.Fatalf("commit offset %d", commit)
	}
	// The alerts raised after the commit point, by the first engine.
	firstEng := NewEngine(rs, Limits{}, 0)
	before, _ := feed(firstEng, 0, 1701, -1)
	after := map[string]bool{}
	for _, id := range all[len(before):] {
		after[id] = true
	}
	known := map[string]bool{}
	for _, id := range all {
		known[id] = true
	}
	replay := NewEngine(rs, Limits{}, commit)
	got, _ := feed(replay, int(commit), len(msgs), -1)
	seen := map[string]bool{}
	for _, id := range got {
		if !known[id] {
			t.Errorf("replay raised an alert the first run did not: %s", id)
		}
		seen[id] = true
	}
	for id := range after {
		if !seen[id] {
			t.Errorf("replay lost alert %s", id)
		}
	}
	if len(all) < 20 {
		t.Fatalf("only %d alerts", len(all))
	}
	t.Logf("%d alerts, commit at %d for event 1700, replay raised %d", len(all), commit, len(got))
}

func TestLimitsEvict(t *testing.T) {
	rs, err := LoadRules("", "extend")
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(nil, rs)
	eng := NewEngine(rs, Limits{MaxKeys: 10, MaxValues: 3}, 0)
	var e Event
	for i := 0; i < 100; i++ {
		if err := dec.Decode(ev{user: fmt.Sprintf("u%d", i), ip: "10.0.0.1", verb: "get", resource: fmt.Sprintf("r%d", i), code: 403, at: time.Duration(i) * time.Millisecond}.json(), &e); err != nil {
			t.Fatal(err)
		}
		e.Offset = int64(i)
		eng.Process(&e, nil)
	}
	if eng.Stats.EvictedKeys != 90 || eng.Stats.EvictedValues != 100-3 {
		t.Errorf("stats %+v", eng.Stats)
	}
	if n := eng.Open(); n > 10*len(rs.Rules) {
		t.Errorf("open %d", n)
	}
}

func TestRulesFileErrors(t *testing.T) {
	for _, bad := range []string{
		"rules: [{id: x, severity: high, type: threshold, group_by: nope, window: 5m, threshold: 3}]",
		"rules: [{id: x, severity: high, type: threshold, group_by: user, window: 0s, threshold: 3}]",
		"rules: [{id: x, severity: high, type: threshold, group_by: user, window: 5m}]",
		"rules: [{id: x, severity: high, type: sequence, group_by: user, window: 5m, steps: [{}]}]",
		"rules: [{id: x, severity: high, attack: [X1], type: threshold, group_by: user, window: 5m, threshold: 3}]",
		"rules: [{id: x, severity: high, type: threshold, group_by: user, window: 5m, threshold: 3, match: {predicates: [nope]}}]",
		"rules: [{id: x, severity: high, type: threshold, group_by: user, window: 5m, threshold: 3, unknown: 1}]",
		"rules: [{id: secret_harvesting}]\n",
	} {
		f := t.TempDir() + "/r.yaml"
		writeFile(t, f, bad)
		if _, err := LoadRules(f, "replace"); err == nil {
			t.Errorf("no error for %s", bad)
		} else {
			t.Log(err)
		}
	}
	// Switching a default off.
	f := t.TempDir() + "/r.yaml"
	writeFile(t, f, "rules: [{id: binding_then_used, enabled: false}]")
	rs, err := LoadRules(f, "extend")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules {
		if r.ID == "binding_then_used" {
			t.Error("not switched off")
		}
	}
}
