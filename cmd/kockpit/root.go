package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
	"github.com/kockpit/kockpit/ui"
)

// Exit codes, as README.md documents them.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitCanceled = 130
)

// usageError is bad usage or bad input: exit code 2, and nothing is written. Its text quotes
// the input (a flag's argument, a path, a library's error about them), so it is made safe to
// print: credentials redacted, control and look-alike characters shown.
type usageError struct{ err error }

func (e usageError) Error() string { return safetext.Message(e.err.Error()) }
func (e usageError) Unwrap() error { return e.err }

// usagef is a usageError made as fmt.Errorf makes an error, with its text safe at once.
func usagef(format string, args ...any) error { return usageError{safetext.Errorf(format, args...)} }

// options are the flags of the root command, completed into a run.
type options struct {
	kube    *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams

	report       bool
	format       string
	output       string
	failOn       string
	only, skip   []string
	snapshot     string
	demo         bool
	checkTimeout time.Duration
	parallel     int
	noActive     bool
	dnsProbeName string
	hubble       hubbleFlags
	cockpit      cockpitFlags
	// hostOnly is kockpit node: it reads the node's files, never a kubeconfig.
	hostOnly bool
	// lesson is the workshop scenario the cockpit teaches, if any.
	lesson *ui.Lesson

	// exit is the code the run asks for; execute returns it.
	exit int
	// state is what the run shares with the signal watch; see watchSignals.
	state runState
}

// execute runs the command line and returns the process exit code.
func execute(args []string, streams genericiooptions.IOStreams) int {
	o := &options{streams: streams}
	cmd := newRootCommand(o)
	cmd.SetArgs(args)
	// client-go and klog write to stderr on their own, over the cockpit's screen: what they
	// say is collected and summed up after the run, as kockpit's own text.
	libLog := kube.CaptureLibraryLog()
	mark := libLog.Mark()
	ctx, stop := o.watchSignals(context.Background())
	err := cmd.ExecuteContext(ctx)
	stop()
	reportLibraryLog(streams.ErrOut, libLog, mark)
	sig := o.signalled()
	switch code := exitCode(err); {
	case sig != nil && err == nil:
		fmt.Fprintf(streams.ErrOut, "kockpit: %s\n", signalText(sig))
		return signalExit(sig)
	case sig != nil:
		fmt.Fprintf(streams.ErrOut, "kockpit: %s; nothing written\n", signalText(sig))
		return signalExit(sig)
	case err == nil:
		return o.exit
	case code == exitCanceled:
		fmt.Fprintln(streams.ErrOut, "kockpit: interrupted; nothing written")
		return code
	default:
		// Every error is made safe where it is made; this is the last line of defence for
		// one from a library that quotes input raw (cobra's "unknown flag: --\x1b[2J").
		fmt.Fprintf(streams.ErrOut, "kockpit: %s\n", safetext.Message(err.Error()))
		return code
	}
}

// exitCode is the exit code of a run that ended with err, told by the error's type: bad usage
// (usageError: flags, arguments, input) is 2, an interruption 130, anything else 1. Cobra's
// and pflag's errors are wrapped as usageError where they arise (SetFlagErrorFunc, noArgs),
// never recognised by their wording.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitCanceled
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailed
}

// noArgs refuses positional arguments as bad usage: cobra.NoArgs's error has no type of its
// own ("unknown command ... for ...").
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}

func newRootCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kockpit",
		Short: "A cockpit for debugging broken Kubernetes clusters",
		Long: `kockpit runs a checklist of health probes against a cluster (or a snapshot of one)
and shows each problem with the object it is about, how to fix it, and the kubectl command
that shows the same thing.`,
		Example: `  kockpit --report                       # text report of the current context
  kockpit --report --format json -o r.json
  kockpit --report --snapshot dump/      # offline, from kubectl get -A -o yaml or cluster-info dump
  kockpit --demo --report                # an embedded broken cluster`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context())
		},
	}
	cmd.SetOut(o.streams.Out)
	cmd.SetErr(o.streams.ErrOut)
	// Every flag error (unknown flag, missing or malformed value), of this command and its
	// subcommands, which inherit the function, is bad usage.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f := cmd.Flags()
	f.BoolVar(&o.report, "report", false, "print a report instead of opening the cockpit")
	f.StringVar(&o.format, "format", "text", "report format: text, json, markdown or junit")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file (atomically) instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "fail", "exit 1 when a check reaches this status: warn, fail or never")
	f.StringSliceVar(&o.only, "only", nil, "run only these checks: IDs (api.reachable), prefixes (api.) or categories (DNS)")
	f.StringSliceVar(&o.skip, "skip", nil, "skip these checks: IDs, prefixes or categories")
	f.StringVar(&o.snapshot, "snapshot", "", "read the cluster from files (a YAML/JSON file or a directory) instead of an API server")
	f.BoolVar(&o.demo, "demo", false, "look at an embedded broken cluster (no cluster needed)")
	f.DurationVar(&o.checkTimeout, "check-timeout", checks.DefaultCheckTimeout, "give up on a check after this long")
	f.IntVar(&o.parallel, "parallel", checks.DefaultParallelism, "how many checks run at once")
	f.BoolVar(&o.noActive, "no-active", false, "only read: skip checks that send traffic of their own (the DNS probe's port-forward and queries, the port-forward to hubble-relay)")
	f.StringVar(&o.dnsProbeName, "dns-probe-name", "registry.k8s.io", "the name outside the cluster the DNS probe asks CoreDNS for")
	o.hubble.addFlags(f)
	o.cockpit.addFlags(f)
	o.kube = genericclioptions.NewConfigFlags(true)
	o.kube.AddFlags(f)
	cmd.AddCommand(newChecksCommand(o))
	cmd.AddCommand(newNodeCommand(o))
	cmd.AddCommand(newSnapshotCommand(o))
	cmd.AddCommand(newWorkshopCommand(o))
	return cmd
}

// libraryLogShown is how many of the client library's messages the summary quotes.
const libraryLogShown = 3

// reportLibraryLog says on stderr what the client library logged during the run, if anything:
// how many messages, and the first few, terminal-safe and with credentials redacted.
func reportLibraryLog(w io.Writer, l *kube.LibraryLog, mark int) {
	n, first := l.Since(mark)
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "kockpit: the Kubernetes client library logged %s during the run (held back from the screen)", phrase.Count(n, "message", "messages"))
	if len(first) > libraryLogShown {
		first = first[:libraryLogShown]
	}
	fmt.Fprintln(w, ":")
	for _, m := range first {
		fmt.Fprintf(w, "  %s\n", phrase.Clip(safetext.Visible(safetext.RedactSecrets(m)), 300))
	}
	if n > len(first) {
		fmt.Fprintf(w, "  (and %d more)\n", n-len(first))
	}
}
