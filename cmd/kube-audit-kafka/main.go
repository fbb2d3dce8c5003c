// Command kube-audit-kafka replays JSON-lines audit logs through the plugin's
// pipeline. See README.md.
package main

import (
	"fmt"
	"io"
	"os"
)

// subcommands are registered by their files' init functions.
var subcommands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{}

func main() {
	if len(os.Args) > 1 {
		if run, ok := subcommands[os.Args[1]]; ok {
			os.Exit(run(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		}
	}
	fmt.Fprintln(os.Stderr, "kube-audit-kafka: the command is being built; see README.md")
	os.Exit(2)
}
