package checks

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kockpit/kockpit/safetext"
)

// RunOptions bound a run.
type RunOptions struct {
	// Parallelism is how many checks run at once; 0 means DefaultParallelism.
	Parallelism int
	// Timeout bounds each check; 0 means DefaultCheckTimeout.
	Timeout time.Duration
}

// Defaults for RunOptions.
const (
	DefaultParallelism  = 8
	DefaultCheckTimeout = 30 * time.Second
)

// abandonGrace is how long the runner waits, after a check's deadline, for the check to notice
// its cancelled context before reporting it as hung and moving on without it.
const abandonGrace = 500 * time.Millisecond

// Run runs the checks concurrently and streams each result as it completes. The channel
// closes after every check has reported, so a reader ranging over it sees exactly one result
// per check. A check that panics or overruns its timeout is reported as an Error; it never
// holds up the others. Cancelling ctx reports the checks not yet finished as cancelled.
func Run(ctx context.Context, list []Check, env *Env, opts RunOptions) <-chan Result {
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultCheckTimeout
	}
	out := make(chan Result, len(list))
	slots := make(chan struct{}, opts.Parallelism)
	var wg sync.WaitGroup
	for _, c := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
				out <- finish(c, Errored("cancelled before it ran"), time.Now(), env)
				return
			}
			out <- runOne(ctx, c, env, opts.Timeout)
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// runOne runs one check with its timeout, turning a panic or a hang into an Error result.
func runOne(ctx context.Context, c Check, env *Env, timeout time.Duration) Result {
	start := time.Now()
	if r, skip := unmetNeeds(c, env); skip {
		return finish(c, r, start, env)
	}
	if ctx.Err() != nil {
		return finish(c, Errored("cancelled before it ran"), start, env)
	}
	checkCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan Result, 1) // buffered: an abandoned check can still send and exit
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Errored(fmt.Sprintf("the check panicked: %v (at %s)", p, panicSite(c.Run)))
			}
		}()
		done <- c.Run(checkCtx, env)
	}()
	var r Result
	select {
	case r = <-done:
	case <-checkCtx.Done():
		select {
		case r = <-done:
		case <-time.After(abandonGrace):
			if ctx.Err() != nil {
				return finish(c, Errored("cancelled while running"), start, env)
			}
			return finish(c, Errored(fmt.Sprintf("timed out after %s and did not stop; abandoned", timeout)), start, env)
		}
	}
	// A check that returned after its deadline or the run's cancellation may have concluded
	// from partial data: whatever it says, it is not believed.
	switch {
	case checkCtx.Err() == nil:
	case ctx.Err() != nil:
		r = Errored("cancelled: " + r.Summary)
	default:
		r = Errored(fmt.Sprintf("timed out after %s: %s", timeout, r.Summary))
	}
	return finish(c, r, start, env)
}

// NoActiveFlows is why a live run has no Hubble flows with --no-active: the port-forward to
// hubble-relay is traffic of kockpit's own.
const NoActiveFlows = "Hubble flows: port-forward to hubble-relay not tried: --no-active (use --hubble-server or --hubble-flows)"

// unmetNeeds returns the Skip result of a check whose inputs this run lacks.
func unmetNeeds(c Check, env *Env) (Result, bool) {
	live := env.Cluster != nil && env.Snapshot != nil && env.Snapshot.Live()
	switch {
	case c.Needs&NeedsLiveAPI != 0 && env.Cluster == nil && env.Snapshot != nil:
		return Skipped(SkipOffline, "offline snapshot: needs a live API server"), true
	case c.Needs&(NeedsLiveAPI|NeedsObjects) != 0 && !live && env.Snapshot == nil && env.Kubeconfig != nil:
		// There is a kubeconfig, but no client could be built from it: saying "no kubeconfig"
		// would send the reader looking for a file that is there.
		return Skipped(SkipUnreachable, "the kubeconfig gives no usable cluster: see api.kubeconfig"), true
	case c.Needs&NeedsLiveAPI != 0 && !live:
		return Skipped(SkipNoKubeconfig, "no cluster to talk to: no kubeconfig found"), true
	case c.Needs&NeedsObjects != 0 && env.Snapshot == nil:
		return Skipped(SkipNoKubeconfig, "no cluster objects: no kubeconfig and no --snapshot"), true
	case c.Needs&NeedsHost != 0 && env.Host == nil:
		return Skipped(SkipNotApplicable, "not on a node: run `kockpit node --host-root DIR` on one"), true
	case c.Needs&NeedsFlows != 0 && env.Flows == nil && live && !env.Active:
		return Skipped(SkipNotApplicable, NoActiveFlows), true
	case c.Needs&NeedsFlows != 0 && env.Flows == nil:
		return Skipped(SkipNotApplicable, "no Hubble flows: pass --hubble-server HOST:PORT, or --hubble-flows FILE as `hubble observe -o jsonpb` writes it"), true
	case c.Needs&NeedsKubeconfig != 0 && env.Kubeconfig == nil:
		if env.Snapshot != nil && !env.Snapshot.Live() {
			return Skipped(SkipOffline, "offline snapshot: no kubeconfig in use"), true
		}
		return Skipped(SkipNoKubeconfig, "no kubeconfig found"), true
	}
	return Result{}, false
}

// finish stamps the result with its check and timing, makes the status honest (a check may
// not report OK while one of its findings says Warn or Fail), redacts the credentials it quotes
// and gives each finding its ID. The findings are copied first: a check may keep the slice it
// returned.
func finish(c Check, r Result, start time.Time, env *Env) Result {
	r.Findings = slices.Clone(r.Findings)
	for i := range r.Findings {
		r.Findings[i].ExplainsFindings = slices.Clone(r.Findings[i].ExplainsFindings)
	}
	r.CheckID = c.ID
	r.Started = start
	r.Duration = time.Since(start)
	if r.Status == StatusOK || r.Status == StatusWarn || r.Status == StatusFail {
		if w := Worst(r.Findings); w > r.Status && w <= StatusFail {
			r.Status = w
		}
	}
	if r.Summary == "" {
		r.Summary = r.Status.String()
	}
	redact(&r)
	identify(c.ID, r.Findings, hostRoot(env))
	return r
}

// redact replaces every credential the result quotes (a --token= flag, a Bearer header, a
// URL's password, a private key, a value under a name like DB_PASSWORD) with "<redacted>", once,
// as the result leaves the runner: every consumer (each report format, the cockpit, its
// drill-in, the command y copies) then gets the same safe text, and none can forget to.
// Names of objects and files stay exact. IDs are derived after, from the redacted message.
func redact(r *Result) {
	r.Summary = safetext.RedactSecrets(r.Summary)
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Message = safetext.RedactSecrets(f.Message)
		f.Evidence = redactAll(f.Evidence)
		f.Hint = safetext.RedactSecrets(f.Hint)
		f.Commands = redactCommands(f.Commands)
		if f.Flows != nil {
			f.Flows = f.Flows.redacted(safetext.RedactSecrets)
		}
	}
}

// redactCommands redacts the values of each command into a new slice; its quoting is decided
// after, so a redacted value stays one word.
func redactCommands(in []Command) []Command {
	if in == nil {
		return nil
	}
	out := make([]Command, len(in))
	for i, c := range in {
		out[i] = c.Redact(safetext.RedactSecrets)
	}
	return out
}

// redactAll redacts each string into a new slice: the check's stays as it was.
func redactAll(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = safetext.RedactSecrets(s)
	}
	return out
}

// hostRoot is the root of the node files a run reads, "" without any.
func hostRoot(env *Env) string {
	if env == nil || env.Host == nil {
		return ""
	}
	return env.Host.Root
}

// panicSite names where a check panicked, called from the deferred function that recovered:
// the innermost frame of the panicking goroutine in the package of the check's Run, so a panic
// inside a library or the runtime (a nil map, strings.Repeat of -1) names the check's line
// that called it. The search stops at Run's own frame, found by its entry point: the runner's
// frames lie above it. The package is the one Run's function belongs to: no path is written here.
func panicSite(run func(context.Context, *Env) Result) string {
	pcs := make([]uintptr, 128)
	n := runtime.Callers(3, pcs) // skip runtime.Callers, panicSite and the deferred function
	var runEntry uintptr
	pkg := ""
	if fn := runtime.FuncForPC(reflect.ValueOf(run).Pointer()); fn != nil {
		runEntry, pkg = fn.Entry(), packageOf(fn.Name())
	}
	frames := runtime.CallersFrames(pcs[:n])
	for {
		fr, more := frames.Next()
		atRun := runEntry != 0 && fr.Entry == runEntry
		if atRun || (pkg != "" && packageOf(fr.Function) == pkg) {
			return fmt.Sprintf("%s:%d", fr.File, fr.Line)
		}
		if !more {
			return "unknown site"
		}
	}
}

// packageOf is the import path of a function named as the runtime names it
// ("example.com/a/b.(*T).m.func1" is in "example.com/a/b").
func packageOf(function string) string {
	slash := strings.LastIndexByte(function, '/') + 1
	if dot := strings.IndexByte(function[slash:], '.'); dot >= 0 {
		return function[:slash+dot]
	}
	return ""
}
