package conf_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

//go:generate go test -run TestREADMEConfigTable -update .

var update = flag.Bool("update", false, "rewrite README.md's configuration table from conf.Properties()")

const (
	readme       = "../README.md"
	tableHeading = "## Configuration reference"
	tableMarker  = "<!-- section: config -->"
)

// configTable renders every property as a row: key, default, meaning.
func configTable() string {
	var b strings.Builder
	b.WriteString("| Property | Default | Meaning |\n|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, p := range conf.Properties() {
		def := "(unset)"
		if p.Default != "" {
			def = "`" + cell(p.Default) + "`"
		}
		help := cell(p.Help)
		if p.Secret {
			help += " Secret: never logged."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Key, def, help)
	}
	return b.String()
}

// section returns the text under heading up to the next "## " heading, and
// where it starts and ends.
func section(doc []byte, heading string) (start, end int, ok bool) {
	i := bytes.Index(doc, []byte("\n"+heading+"\n"))
	if i < 0 {
		return 0, 0, false
	}
	start = i + len(heading) + 2
	end = len(doc)
	if j := bytes.Index(doc[start:], []byte("\n## ")); j >= 0 {
		end = start + j + 1
	}
	return start, end, true
}

// Every property of conf.Properties() has a row in README.md's
// configuration reference. Run with -update (or go generate ./conf) to write
// the table after the section marker.
func TestREADMEConfigTable(t *testing.T) {
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		m := bytes.Index(doc, []byte(tableMarker+"\n"))
		if m < 0 {
			t.Fatalf("README.md has no %q", tableMarker)
		}
		from := m + len(tableMarker) + 1
		to := len(doc)
		if j := bytes.Index(doc[from:], []byte("\n## ")); j >= 0 {
			to = from + j + 1
		}
		var out bytes.Buffer
		out.Write(doc[:from])
		out.WriteString("\n" + configTable() + "\n")
		out.Write(doc[to:])
		if err := os.WriteFile(readme, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = out.Bytes()
	}
	start, end, ok := section(doc, tableHeading)
	if !ok {
		t.Fatalf("README.md has no %q heading", tableHeading)
	}
	rows := map[string]bool{}
	for _, l := range strings.Split(string(doc[start:end]), "\n") {
		if strings.HasPrefix(l, "| `") {
			if k, _, ok := strings.Cut(strings.TrimPrefix(l, "| `"), "` |"); ok {
				rows[k] = true
			}
		}
	}
	for _, p := range conf.Properties() {
		if !rows[p.Key] {
			t.Errorf("README.md's configuration reference has no row for %q (go generate ./conf writes the table)", p.Key)
		}
		delete(rows, p.Key)
	}
	for k := range rows {
		t.Errorf("README.md documents %q, which is not a property", k)
	}
}
