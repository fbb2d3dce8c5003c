package summary

import "testing"

func TestParseUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07":                        "kubectl",
		"kube-controller-manager/v1.17.3 (linux/amd64) kubernetes/06ad960/tokens": "client-go",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0":  "browser",
		"curl/7.88.1":                    "http-tool",
		"python-requests/2.31.0":         "http-tool",
		"catalog/v0.0.0 (linux/amd64) x": "other",
		"":                               "",
	} {
		c, _ := ParseUserAgent(ua)
		if got := ClientType(ua, c); got != want {
			t.Errorf("ClientType(%q) = %q, want %q", ua, got, want)
		}
	}
	for _, c := range []struct{ ua, client, version string }{
		{"kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07", "kubectl", "v1.32.4"},
		{"kube-apiserver/v1.32.13 (linux/amd64) kubernetes/$Format", "kube-apiserver", "v1.32.13"},
		{"kube-controller-manager/v1.17.3 (linux/amd64) kubernetes/06ad960/tokens-controller", "kube-controller-manager", "v1.17.3"},
		{"client-go/v0.0.0 (linux/amd64) kubernetes/$Format", "client-go", "v0.0.0"},
		{"approver/v0.0.0 (linux/amd64) kubernetes/$Format", "approver", "v0.0.0"},
		{"curl/7.88.1", "curl", "7.88.1"},
		{"Go-http-client/2.0", "Go-http-client", "2.0"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36", "Chrome", "120.0.6099.109"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge", "120.0.2210.91"},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "121.0"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "Safari", "17.2"},
		{"", "", ""},
		{"python-requests", "python-requests", ""},
	} {
		c1, v1 := ParseUserAgent(c.ua)
		if c1 != c.client || v1 != c.version {
			t.Errorf("%q: %q %q, want %q %q", c.ua, c1, v1, c.client, c.version)
		}
	}
}
