package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
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
		if msg := notASubcommand(args[0]); msg != "" {
			fmt.Fprintf(stderr, "kube-audit-kafka: %s\n", msg)
			return 2
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

// notASubcommand says why a first argument that is a bare word (no flag, no
// path, no existing file) is neither a subcommand nor an input, or "" when
// it may be an input file.
func notASubcommand(a string) string {
	if a == "" || strings.HasPrefix(a, "-") || strings.ContainsAny(a, "/.") {
		return ""
	}
	if _, err := os.Stat(a); err == nil {
		return "" // a file of that name: replay it
	}
	var names []string
	best, bestD := "", 3
	for name := range subcommands {
		names = append(names, name)
		if d := editDistance(strings.ToLower(a), name); d < bestD {
			best, bestD = name, d
		}
	}
	sort.Strings(names)
	if best != "" {
		return fmt.Sprintf("unknown subcommand %q (did you mean %q?); subcommands: %s; see --help", a, best, strings.Join(names, ", "))
	}
	return fmt.Sprintf("%q is neither a subcommand (%s) nor a file; see --help", a, strings.Join(names, ", "))
}
