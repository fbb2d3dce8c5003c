// Command kube-audit-kafka replays JSON-lines audit logs through the plugin's
// pipeline. See README.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "kube-audit-kafka: the command is being built; see README.md")
	os.Exit(2)
}
