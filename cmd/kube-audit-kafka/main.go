// Command kube-audit-kafka replays JSON-lines audit logs through the plugin's
// very pipeline: the lines are packed into Fluent Bit chunks exactly as the
// tail input hands them to an output, then decoded, enriched and shipped to
// Kafka — an embedded broker on 127.0.0.1 when no brokers are given, read back
// by a real consumer. See README.md, section "The command".
package main

import (
	"fmt"
	"io"
	"os"
)

// subcommands are the commands run when the first argument names one (for
// example "watch", in its own file). Without one, the arguments are those of
// the replay: flags and input files.
var subcommands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command; main only wires it to the process. It returns the
// exit code: 0 success, 1 failure while running (unreadable input, broker
// refusing, events missing on read back), 2 bad usage or bad properties.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(args[1:], stdin, stdout, stderr)
		}
	}
	opts, err := parseArgs(args, stdout)
	if err == errHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "kube-audit-kafka: %v\n", oneLine(err.Error()))
		return 2
	}
	return replay(opts, stdin, stdout, stderr)
}
