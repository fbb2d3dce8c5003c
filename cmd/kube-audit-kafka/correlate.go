package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline/correlate"
)

func init() { subcommands["correlate"] = correlateMain }

const correlateUsage = `Usage: kube-audit-kafka correlate -p brokers=host:port [-p key=value ...]
       kube-audit-kafka correlate --dry-run [-p key=value ...] FILE... (- for standard input; .gz is read too)

Finds what single events cannot show: many events by one identity or from
one address within minutes (enumeration, brute force, secret harvesting),
and chains (a privileged pod created, then an exec into it; a token minted,
then used from another address; a binding created, then used). Rules are
data: the embedded defaults (--rules prints them), extended or replaced by
rules_file. See docs/correlate.md.

With brokers, it is a member of the consumer group group_id over the
plugin's topics: run as many instances as the volume needs; alerts go to
alerts_topic, keyed by the group value. Offsets are committed only up to the
oldest event of a window still open: a crash or a rebalance replays what the
new owner needs, and a replayed alert has the same alert_id.

With --dry-run, no Kafka: it reads JSON lines (raw audit events, enriched on
the way by the plugin's own rules; the plugin's native messages; or the
lines of kube-audit-kafka --dry-run) and prints one alert per line.

Flags:
  -p key=value     set a property (repeatable; --properties lists them)
  --dry-run        read FILEs instead of Kafka, print the alerts on stdout
  --properties     list every property with its default and exit
  --rules          print the embedded correlation rules and exit
  -h, --help       this help

Exit status: 0 ok, 1 failure while running, 2 bad flags, properties or rules.
`

func correlateMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	props := &propFlag{kv: map[string]string{}}
	var dryRun, listProps, printRules bool
	fs := flag.NewFlagSet("correlate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(props, "p", "")
	fs.BoolVar(&dryRun, "dry-run", false, "")
	fs.BoolVar(&listProps, "properties", false, "")
	fs.BoolVar(&printRules, "rules", false, "")
	files, err := parseMixed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, correlateUsage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "correlate: %v (see correlate -h)\n", err)
		return 2
	}
	if listProps {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROPERTY\tDEFAULT\tDESCRIPTION")
		for _, p := range correlate.Properties() {
			def := p.Default
			if def == "" {
				def = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Key, def, p.Help)
		}
		tw.Flush()
		return 0
	}
	if printRules {
		stdout.Write(correlate.DefaultRulesYAML())
		return 0
	}
	if len(props.bad) > 0 {
		fmt.Fprintf(stderr, "correlate: %s\n", strings.Join(props.bad, "; "))
		return 2
	}
	cfg, err := correlate.LoadConfig(conf.MapGetter(props.kv))
	if err != nil {
		fmt.Fprintf(stderr, "correlate: %s\n", oneLine(err.Error()))
		return 2
	}
	if dryRun {
		return correlateDryRun(cfg, files, stdin, stdout, stderr)
	}
	if len(files) > 0 {
		fmt.Fprintf(stderr, "correlate: unexpected argument %q: files are read with --dry-run (see correlate -h)\n", files[0])
		return 2
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "correlate: %s\n", oneLine(fmt.Sprintf(format, a...)))
	}
	c, err := correlate.NewConsumer(cfg, logf)
	if err != nil {
		fmt.Fprintf(stderr, "correlate: %s\n", oneLine(conf.Explain(err).Error()))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.MetricsListen != "" {
		addr, err := c.ServeMetrics(ctx, cfg.MetricsListen)
		if err != nil {
			fmt.Fprintf(stderr, "correlate: %v\n", err)
			return 2
		}
		logf("serving /metrics and /healthz on %s", addr)
	}
	logf("group %s reading %s from %s; alerts to %s (%s)", cfg.GroupID, strings.Join(cfg.Topics, ","),
		strings.Join(cfg.Kafka.Brokers, ","), cfg.AlertsTopic, cfg.Format)
	if err := c.Run(ctx); err != nil {
		logf("%v", err)
		return 1
	}
	s := c.Stats()
	logf("stopped: %d events, %d alerts, %d evictions", s.Events, s.Alerts, s.EvictedKeys+s.EvictedValues)
	return 0
}

func correlateDryRun(cfg *correlate.Config, files []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "correlate: --dry-run needs input: name JSON-lines files, or - for standard input")
		return 2
	}
	d, err := correlate.NewDryRun(cfg, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "correlate: %s\n", oneLine(err.Error()))
		return 2
	}
	for _, name := range files {
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintf(stderr, "correlate: %v\n", err)
				return 1
			}
			defer f.Close()
			r = f
		}
		zr, err := maybeGunzip(r)
		if err == nil {
			err = d.Read(zr)
		}
		if err != nil {
			fmt.Fprintf(stderr, "correlate: %s: %v\n", name, err)
			return 1
		}
	}
	s := d.Stats()
	fmt.Fprintf(stderr, "correlate: %d events correlated, %d alerts; %d lines skipped (stage not shipped), %d unreadable\n",
		s.Events, s.Alerts, d.Skipped, d.Unreadable)
	if s.Events == 0 {
		fmt.Fprintln(stderr, "correlate: the input holds no audit event")
		return 1
	}
	return 0
}
