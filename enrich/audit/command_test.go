package audit

import "testing"

func TestExecCommand(t *testing.T) {
	for _, c := range []struct{ uri, cmd, container string }{
		{"/api/v1/namespaces/audit-lab/pods/debug/exec?command=cat&command=%2Fetc%2Fpasswd&container=debug&stderr=true&stdout=true", "cat /etc/passwd", "debug"},
		{"/api/v1/namespaces/audit-lab/pods/debug/exec?command=%2Fbin%2Fsh&command=-c&command=id&container=debug&stdin=true&tty=true", "/bin/sh -c id", "debug"},
		{"/api/v1/namespaces/x/pods/p/exec?command=sh&command=-c&command=echo+hi+%27you%27&stdout=true", `sh -c 'echo hi '\''you'\'''`, ""},
		{"/api/v1/namespaces/x/pods/p/attach?container=c&stdin=true", "", "c"},
		{"/api/v1/namespaces/x/pods/p/exec", "", ""},
	} {
		cmd, ctr := ExecCommand(c.uri)
		if cmd != c.cmd || ctr != c.container {
			t.Errorf("%s: %q %q, want %q %q", c.uri, cmd, ctr, c.cmd, c.container)
		}
	}
}
