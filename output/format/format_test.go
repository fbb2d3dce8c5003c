package format

import (
	"strings"
	"testing"
)

// Version returns constants for the known formats (no allocation per
// message), each "<name>/<schema version>".
func TestVersion(t *testing.T) {
	for _, f := range []Format{Native, ECS, OCSF} {
		name, v, ok := strings.Cut(f.Version(), "/")
		if !ok || name != f.String() || v == "" {
			t.Errorf("%v.Version() = %q", f, f.Version())
		}
		if n := testing.AllocsPerRun(10, func() { _ = f.Version() }); n != 0 {
			t.Errorf("%v.Version() allocates", f)
		}
	}
}

func TestFormatText(t *testing.T) {
	var f Format
	if err := f.UnmarshalText([]byte(" OCSF ")); err != nil || f != OCSF {
		t.Errorf("UnmarshalText(OCSF) = %v, %v", f, err)
	}
	err := f.UnmarshalText([]byte("splunk"))
	if err == nil || !strings.Contains(err.Error(), "native, ecs, ocsf") || f != OCSF {
		t.Errorf("UnmarshalText(splunk) = %v, %v", f, err)
	}
}

func TestValidIP(t *testing.T) {
	for ip, want := range map[string]bool{
		"10.0.0.1": true, "::1": true, "2001:db8::8a2e:370:7334": true, "::ffff:192.0.2.1": true,
		"": false, "99.999.999.999": false, "fe80::1%eth0": false, "localhost": false, "10.0.0.1:443": false,
	} {
		if got := ValidIP(ip); got != want {
			t.Errorf("ValidIP(%q) = %v", ip, got)
		}
	}
	if n := InvalidIPs([]string{"10.0.0.1", "bad", "::1", ""}); n != 2 {
		t.Errorf("InvalidIPs: %d, want 2", n)
	}
}
