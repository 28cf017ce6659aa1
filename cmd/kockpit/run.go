package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/dnsprobe"
	"github.com/kockpit/kockpit/report"
	"github.com/kockpit/kockpit/safetext"
	"github.com/kockpit/kockpit/scenarios"
)

// clock is the wall clock of a report: its generatedAt and total duration, and the checks' Now
// (certificate expiry, ages) when they read the demo, a snapshot or a cluster. A variable so
// the golden report test (golden_test.go) can stop it.
var clock = time.Now

// run is the root command: complete the flags, gather the environment, run the checks and
// render the results. On a machine that looks like a node, the host checks join in.
func (o *options) run(parent context.Context) error {
	if o.listThemes() {
		return nil
	}
	if o.demo && o.snapshot != "" {
		return usagef("--demo and --snapshot both name the cluster to read: give one")
	}
	return o.runReport(parent, catalog.All(), func(ctx context.Context) (*checks.Env, checks.Source, error) {
		env, src, err := o.environment(ctx)
		if err == nil && !o.demo && o.snapshot == "" {
			env.Host = detectNode("/")
		}
		return env, src, err
	})
}

// runReport is what every command that runs checks shares: validate the report flags, select
// among the checks, build the environment, run, write the report and set the exit code.
func (o *options) runReport(parent context.Context, all []checks.Check, environment func(context.Context) (*checks.Env, checks.Source, error)) error {
	format, err := report.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	bar, err := report.ParseFailOn(o.failOn)
	if err != nil {
		return usageError{err}
	}
	selected, err := checks.Select(all, o.only, o.skip)
	if err != nil {
		return usageError{err}
	}
	if o.parallel < 1 {
		return usagef("--parallel must be at least 1, got %d", o.parallel)
	}
	if o.checkTimeout <= 0 {
		return usagef("--check-timeout must be positive, got %s (e.g. --check-timeout 30s)", o.checkTimeout)
	}
	if err := dnsprobe.ValidName(o.dnsProbeName); err != nil {
		return usagef("--dns-probe-name: %v", err)
	}
	if !o.wantsCockpit() {
		if err := o.themeUsageError(); err != nil {
			return err
		}
	}
	out, err := o.outputFile()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(parent) // parent ends on SIGINT, SIGTERM and SIGHUP: see watchSignals
	defer cancel()

	env, src, err := environment(ctx)
	defer o.cleanUp()
	if err != nil {
		return err
	}
	if err := o.hubble.attach(ctx, env, o.streams.In, o.addCleanup); err != nil {
		return usageError{err}
	}
	env.Selected = selected
	if o.wantsCockpit() {
		return o.runCockpit(ctx, env, src, selected)
	}
	r, err := o.runChecks(ctx, env, src, selected)
	if err != nil {
		return err
	}
	if err := o.writeReport(ctx, r, format, out); err != nil {
		return err
	}
	o.exit = r.ExitCode(bar)
	return nil
}

// environment builds what checks read: a snapshot from files, the demo, or a live cluster.
func (o *options) environment(ctx context.Context) (*checks.Env, checks.Source, error) {
	env := &checks.Env{Path: os.Getenv("PATH"), Now: clock}
	switch {
	case o.demo:
		snap, err := scenarios.Demo(ctx)
		if err != nil {
			return nil, checks.Source{}, err
		}
		env.Snapshot = snap
		if env.Flows, err = scenarios.DemoFlows(ctx); err != nil {
			return nil, checks.Source{}, err
		}
		if env.Host, err = o.unpackDemoNode(); err != nil {
			// The cluster part of the demo still runs; the host checks say "not on a node".
			fmt.Fprintf(o.streams.ErrOut, "kockpit: %s\n", safetext.Message(fmt.Sprintf("the demo runs without its node: %v (fix: point TMPDIR at a writable directory)", err)))
		}
		return env, checks.Source{Kind: checks.SourceFiles, Path: snap.Source()}, nil
	case o.snapshot != "":
		snap, err := kube.LoadSnapshot(ctx, o.snapshot)
		if err != nil {
			return nil, checks.Source{}, usageError{err}
		}
		env.Snapshot = snap
		src := checks.Source{Kind: checks.SourceFiles, Path: o.snapshot}
		if at, from := snap.TakenAt(); !at.IsZero() {
			// Offline, "now" is the snapshot's moment: every age is judged as of then.
			env.Now = func() time.Time { return at }
			src.TakenAt, src.TakenFrom = &at, from
		}
		return env, src, nil
	}
	if err := o.requestTimeoutError(); err != nil {
		return nil, checks.Source{}, err
	}
	if err := o.credentialFlagsError(); err != nil {
		return nil, checks.Source{}, err
	}
	cluster, kc, err := kube.Connect(o.kube, version)
	env.Kubeconfig = kc
	if err != nil {
		if badInput := o.kubeconfigUsageError(err, kc); badInput != nil {
			return nil, checks.Source{}, badInput
		}
		// No kubeconfig at all: checks that need a cluster say so, the others still run.
		return env, checks.Source{Kind: checks.SourceNone}, nil
	}
	env.Cluster = cluster
	env.Snapshot = kube.NewLiveSnapshot(ctx, cluster)
	env.Active = !o.noActive
	env.DNSProbeName = o.dnsProbeName
	return env, checks.Source{Kind: checks.SourceLive, Context: kc.Context, Server: serverHost(cluster.Server), User: kubeUser(kc)}, nil
}

// unpackDemoNode writes the demo's node files to a temporary directory, for the host checks
// to read as they read a node; cleanUp removes it when the run ends.
func (o *options) unpackDemoNode() (*checks.Host, error) {
	dir, err := os.MkdirTemp("", "kockpit-demo-node-")
	if err != nil {
		return nil, fmt.Errorf("unpacking the demo's node files: %w", err)
	}
	o.addCleanup(func() { os.RemoveAll(dir) })
	unpacked, err := scenarios.UnpackNode(dir)
	if err != nil {
		return nil, fmt.Errorf("unpacking the demo's node files into %s: %w", dir, err)
	}
	return &checks.Host{Root: unpacked.Root, Recorded: unpacked.Recorded, Since: nodefs.DefaultHostSince, Unpacked: true}, nil
}

// kubeconfigUsageError decides whether a failure to build the client is bad input (exit 2,
// before any check runs): it is, whenever there is a kubeconfig or a flag to blame, since
// kockpit then cannot talk to the cluster meant. Only the absence of any kubeconfig is not:
// the checks that need none still run.
func (o *options) kubeconfigUsageError(err error, kc *kube.Kubeconfig) error {
	msg := err.Error()
	switch {
	case kc == nil && strings.Contains(msg, "no configuration has been provided"):
		return nil // no kubeconfig at all: run what needs none
	case kc == nil:
		return usagef("%v (fix: repair the kubeconfig file named here, or point --kubeconfig at another)", err)
	case o.kube.Context != nil && *o.kube.Context != "" && !hasContext(kc, *o.kube.Context):
		return usagef("--context %q: no such context in %s (see: kubectl config get-contexts)",
			*o.kube.Context, strings.Join(kc.Files, ", "))
	case strings.HasPrefix(msg, "--server "):
		return usagef("%v (fix: give the API server's URL, such as https://10.0.0.1:6443)", err)
	case kc.Context != "" && !hasContext(kc, kc.Context):
		return usagef("kubeconfig %s: its current-context %q names no context%s (fix: kubectl config use-context NAME, or pass --context NAME)",
			kubeconfigFiles(kc), kc.Context, existingContexts(kc))
	case o.kube.ClusterName != nil && *o.kube.ClusterName != "" && kc.Raw.Clusters[*o.kube.ClusterName] == nil:
		return usagef("--cluster %q: no such cluster in %s (see: kubectl config get-clusters)", *o.kube.ClusterName, kubeconfigFiles(kc))
	case o.kube.AuthInfoName != nil && *o.kube.AuthInfoName != "" && kc.Raw.AuthInfos[*o.kube.AuthInfoName] == nil:
		return usagef("--user %q: no such user in %s (see: kubectl config get-users)", *o.kube.AuthInfoName, kubeconfigFiles(kc))
	}
	return usagef("kubeconfig %s: %v (fix: kubectl config view shows what it holds; kubectl fails the same way)", kubeconfigFiles(kc), err)
}

// kubeconfigFiles names the kubeconfig files of a run.
func kubeconfigFiles(kc *kube.Kubeconfig) string {
	if len(kc.Files) == 0 {
		return "(none)"
	}
	return strings.Join(kc.Files, ", ")
}

// existingContexts lists the contexts a kubeconfig holds, for a message about a context it
// lacks, and says when the name asked for looks the same as one of them.
func existingContexts(kc *kube.Kubeconfig) string {
	names := slices.Sorted(maps.Keys(kc.Raw.Contexts))
	if len(names) == 0 {
		return "; it holds no context"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	out := "; it holds " + phrase.List(quoted, 10)
	for _, n := range names {
		if safetext.LooksSame(kc.Context, n) {
			out += fmt.Sprintf(", and %q looks the same as %q but is another name (%s)", kc.Context, n,
				strings.Join(safetext.Describe(safetext.Suspicious(kc.Context)), "; "))
		}
	}
	return out
}

// requestTimeoutError rejects a --request-timeout that kubectl would reject, and a negative
// one, which client-go takes as no timeout at all: kockpit must never wait without a bound.
func (o *options) requestTimeoutError() error {
	if o.kube.Timeout == nil || *o.kube.Timeout == "" {
		return nil
	}
	d, err := clientcmd.ParseTimeout(*o.kube.Timeout)
	switch {
	case err != nil:
		return usagef("--request-timeout %q: use a duration such as 5s or 1m, or whole seconds", *o.kube.Timeout)
	case d < 0:
		return usagef("--request-timeout %q: must not be negative (0 means the default, %s)", *o.kube.Timeout, kube.DefaultRequestTimeout)
	}
	return nil
}

// credentialFlagsError refuses a file given by flag that client-go would read whole whatever it
// is: a FIFO would block the run, a device fill its memory.
func (o *options) credentialFlagsError() error {
	for _, f := range []struct {
		flag string
		path *string
	}{{"--certificate-authority", o.kube.CAFile}, {"--client-certificate", o.kube.CertFile}, {"--client-key", o.kube.KeyFile}} {
		if f.path == nil {
			continue
		}
		if err := kube.CheckCredentialFile(f.flag, *f.path); err != nil {
			return usageError{err}
		}
	}
	return nil
}

func hasContext(kc *kube.Kubeconfig, name string) bool {
	_, ok := kc.Raw.Contexts[name]
	return ok
}

// serverHost is the host:port of an API server URL: no scheme, path or credentials.
func serverHost(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return server
	}
	return u.Host
}

// runChecks runs the checks and gathers the report, with progress on a terminal's stderr.
func (o *options) runChecks(ctx context.Context, env *checks.Env, src checks.Source, selected []checks.Check) (*report.Report, error) {
	start := clock()
	r := report.New(version, src, selected, start)
	progress := o.progress(len(selected))
	done := 0
	for res := range checks.Run(ctx, selected, env, checks.RunOptions{Parallelism: o.parallel, Timeout: o.checkTimeout}) {
		r.Add(res)
		done++
		progress(done, res.CheckID)
	}
	progress(-1, "")
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var stats []kube.ListStat
	if env.Snapshot != nil {
		stats = env.Snapshot.Stats()
		if src.Kind == checks.SourceFiles || reachable(r, selected) {
			r.Source.ServerVersion = serverVersion(ctx, env)
		}
	}
	r.Finish(clock().Sub(start), stats)
	return r, nil
}

// reachable reports whether the check that probes the API server's reachability ran and
// passed, so asking the server for more cannot hang the end of a run on a server that is down.
func reachable(r *report.Report, selected []checks.Check) bool {
	probes := map[string]bool{}
	for _, c := range selected {
		probes[c.ID] = c.Reachability
	}
	for _, c := range r.Checks {
		if probes[c.ID] {
			return c.Status == checks.StatusOK || c.Status == checks.StatusWarn
		}
	}
	return false
}

// serverVersion is the server's version for the report header; the snapshot fetches it once
// per run, so after the versions checks it costs nothing. A fetch of its own gets one request
// timeout, like every other request.
func serverVersion(ctx context.Context, env *checks.Env) string {
	timeout := kube.DefaultRequestTimeout
	if env.Cluster != nil && env.Cluster.RequestTimeout > 0 {
		timeout = env.Cluster.RequestTimeout
	}
	vctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := env.Snapshot.ServerVersion(vctx)
	if err != nil || v == nil {
		return ""
	}
	return v.GitVersion
}

// progress returns a reporter of "n of m checks done" on stderr, only when stderr is a
// terminal; done < 0 clears the line.
func (o *options) progress(total int) func(done int, last string) {
	f, ok := o.streams.ErrOut.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(int, string) {}
	}
	return func(done int, last string) {
		if done < 0 {
			fmt.Fprint(f, "\r\x1b[K")
			return
		}
		fmt.Fprintf(f, "\r\x1b[Kkockpit: %d of %d checks done (%s)", done, total, last)
	}
}

// outputFile checks -o before any work is done: kockpit writes only a regular file or a new
// path (see report.CheckOutput), and anything else is bad input. Nil means stdout.
func (o *options) outputFile() (*report.Output, error) {
	if o.output == "" || o.output == "-" {
		return nil, nil
	}
	out, err := report.CheckOutput(o.output)
	if err != nil {
		return nil, outputError(err)
	}
	for _, in := range o.inputFiles() {
		if fi, err := os.Stat(in.path); err == nil && out.Replaces(fi) {
			return nil, usagef("-o %s: is %s, which this run reads; kockpit does not replace its input (name another file)", safetext.Visible(o.output), in.what)
		}
	}
	return out, nil
}

// inputFile is a file a run reads, and how to name it in a message.
type inputFile struct{ path, what string }

// inputFiles are the files this run reads that -o must not replace: the snapshot, or the
// kubeconfig files kubectl would load for these flags.
func (o *options) inputFiles() []inputFile {
	switch {
	case o.demo || o.hostOnly:
		return nil
	case o.snapshot != "":
		return []inputFile{{o.snapshot, "the --snapshot file"}}
	case o.kube == nil:
		return nil
	}
	var files []inputFile
	for _, f := range o.kube.ToRawKubeConfigLoader().ConfigAccess().GetLoadingPrecedence() {
		files = append(files, inputFile{f, "the kubeconfig " + safetext.Visible(f)})
	}
	return files
}

// outputError makes a refusal to write -o's path exit 2; other write errors stay exit 1.
func outputError(err error) error {
	var oe *report.OutputError
	if errors.As(err, &oe) {
		return usagef("-o %v", err)
	}
	return err
}

// writeReport renders the report to out (-o FILE, checked again and replaced atomically), or
// to stdout when out is nil. An interrupt while it writes leaves the old file as it was.
func (o *options) writeReport(ctx context.Context, r *report.Report, format report.Format, out *report.Output) error {
	if out != nil {
		// A signal that stops kockpit mid-write removes the temporary file: no partial -o.
		defer o.writingOutput("")
		return outputError(out.Write(ctx, func(f *os.File) error {
			o.writingOutput(f.Name())
			return report.Write(f, r, format, false)
		}))
	}
	return report.Write(o.streams.Out, r, format, o.colorful(o.streams.Out))
}

// colorful says whether text to w may carry colour: a terminal, and NO_COLOR not set.
func (o *options) colorful(w io.Writer) bool {
	return colorprofile.Detect(w, os.Environ()) >= colorprofile.ANSI
}
