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

var update = flag.Bool("update", false, "rewrite docs/configuration.md's property table from conf.Properties()")

// The property table is in docs/configuration.md (the README links to it).
const (
	readme       = "../docs/configuration.md"
	tableHeading = "## Properties"
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

// Every property of conf.Properties() has a row in docs/configuration.md's
// property table. Run with -update (or go generate ./conf) to write the
// table after the section marker.
func TestREADMEConfigTable(t *testing.T) {
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		m := bytes.Index(doc, []byte(tableMarker+"\n"))
		if m < 0 {
			t.Fatalf("%s has no %q", readme, tableMarker)
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
		t.Fatalf("%s has no %q heading", readme, tableHeading)
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
			t.Errorf("%s has no row for %q (go generate ./conf writes the table)", readme, p.Key)
		}
		delete(rows, p.Key)
	}
	for k := range rows {
		t.Errorf("%s documents %q, which is not a property", readme, k)
	}
}
