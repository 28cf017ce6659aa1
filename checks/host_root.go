package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/kockpit/kockpit/host"
)

// This file holds what every host check shares: opening the node's root, naming its files the
// way a person on this machine reaches them, and turning read errors into honest results.

// DefaultHostSince is how far back the timeline looks when the run does not say.
const DefaultHostSince = 48 * time.Hour

// nodeFS is a host check's view of the node: the root, the clock and the timeline window.
type nodeFS struct {
	*host.Root
	env   *Env
	now   time.Time
	since time.Duration
}

// hostRun adapts a host check to the runner: it opens the node's root for the check and
// closes it after.
func hostRun(run func(ctx context.Context, n *nodeFS) Result) func(context.Context, *Env) Result {
	return func(ctx context.Context, env *Env) Result {
		if runtime.GOOS != "linux" {
			return Skipped(SkipNotApplicable, "host checks read Linux nodes; this is "+runtime.GOOS)
		}
		root, err := host.Open(env.Host.Root, host.Limits{})
		if err != nil {
			return Errored(err.Error())
		}
		defer root.Close()
		n := &nodeFS{Root: root, env: env, now: time.Now(), since: env.Host.Since}
		if env.Now != nil {
			n.now = env.Now()
		}
		if n.since <= 0 {
			n.since = DefaultHostSince
		}
		return run(ctx, n)
	}
}

// onRealNode adapts a host check that judges timestamps, inode attributes or the file system
// itself: an unpacked scenario tree has none of the node's, so there it says why it skips.
func onRealNode(what string, run func(ctx context.Context, n *nodeFS) Result) func(ctx context.Context, n *nodeFS) Result {
	return func(ctx context.Context, n *nodeFS) Result {
		if n.env.Host.Unpacked {
			return Skipped(SkipNotApplicable, "not applicable: the scenario's node files were unpacked just now, so their "+what+" are this machine's, not the node's")
		}
		return run(ctx, n)
	}
}

// ref names a node file for a finding, as reached from this machine.
func (n *nodeFS) ref(p string, line, column int) *FileRef {
	return &FileRef{Path: n.Display(p), Line: line, Column: column}
}

// sh is a node path ready to paste into a shell command on this machine.
func (n *nodeFS) sh(p string) string { return quotePathForShell(n.Display(p)) }

// readOptional reads a file that may well not exist: (file, false, nil) when it does not.
func (n *nodeFS) readOptional(ctx context.Context, p string) (host.File, bool, error) {
	f, err := n.ReadFile(ctx, p)
	switch {
	case err == nil:
		return f, true, nil
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotADirectory):
		return f, false, nil
	}
	return f, false, err
}

// listOptional lists a directory that may not exist.
func (n *nodeFS) listOptional(ctx context.Context, p string) (host.Listing, bool, error) {
	l, err := n.ReadDir(ctx, p)
	switch {
	case err == nil:
		return l, true, nil
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotADirectory):
		return l, false, nil
	}
	return l, false, err
}

// exists reports whether the node path exists (following links).
func (n *nodeFS) exists(ctx context.Context, p string) bool {
	_, err := n.Stat(ctx, p)
	return err == nil
}

// unreadable is the finding for a file a check needed and could not read: the check says so
// rather than concluding from nothing.
func (n *nodeFS) unreadable(p string, err error) Finding {
	return Finding{
		Severity: StatusWarn,
		Message:  fmt.Sprintf("%s could not be read: %s", p, hostErrorText(err)),
		File:     n.ref(p, 0, 0),
		Hint:     "Run kockpit as root on the node (sudo), or check the file's permissions and mount.",
		Commands: []string{"ls -la " + n.sh(p)},
	}
}

// hostErrorText is an error from the node without the path the finding already names.
func hostErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, host.ErrNotRegular) {
			return "not a regular file"
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// result closes a host check: the findings decide the status, the gravest finding leads the
// summary, and the others are counted; quiet is the summary when nothing is wrong. The lead
// finding's file, as the node names it, goes in front unless its message already names it.
func (n *nodeFS) result(findings []Finding, quiet string) Result {
	sortFindings(findings)
	r := Result{Status: Worst(findings), Findings: findings, Summary: quiet}
	problems := 0
	for _, f := range findings {
		if f.Severity > StatusOK {
			problems++
		}
	}
	if problems > 0 {
		r.Summary = findings[0].Message
		if f := findings[0].File; f != nil {
			onNode := FileRef{Path: n.nodePath(f.Path), Line: f.Line, Column: f.Column}
			if !strings.Contains(r.Summary, onNode.Path) {
				r.Summary = fileRefText(&onNode) + ": " + r.Summary
			}
		}
		if problems > 1 {
			r.Summary += fmt.Sprintf(" (and %d more)", problems-1)
		}
	}
	return r
}

// nodePath is the path on the node of a file a finding names as reached from here.
func (n *nodeFS) nodePath(display string) string {
	if n.IsSystemRoot() {
		return display
	}
	rel, err := filepath.Rel(n.Dir(), display)
	if err != nil || strings.HasPrefix(rel, "..") {
		return display
	}
	return path.Clean("/" + filepath.ToSlash(rel))
}

// fileRefText writes a file reference as editors and compilers do: path:line:column.
func fileRefText(f *FileRef) string {
	s := f.Path
	if f.Line > 0 {
		s += fmt.Sprintf(":%d", f.Line)
		if f.Column > 0 {
			s += fmt.Sprintf(":%d", f.Column)
		}
	}
	return s
}

// sortFindings puts the gravest first, then by file, line and column: stable, readable runs.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.File != nil && b.File != nil {
			if a.File.Path != b.File.Path {
				return a.File.Path < b.File.Path
			}
			if a.File.Line != b.File.Line {
				return a.File.Line < b.File.Line
			}
			return a.File.Column < b.File.Column
		}
		return false
	})
}

// humanBytes writes a size the way `ls -lh` and `df -h` do.
func humanBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%dB", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ci", float64(b)/float64(div), "KMGTPE"[exp])
}

// ago says how long before now a time was, roughly: "just now", "12m ago", "26h ago", "3d ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future (" + roughDuration(-d) + " from now)"
	case d < time.Minute:
		return "just now"
	}
	return roughDuration(d) + " ago"
}

// roughDuration writes a duration to the precision a person needs: 12m, 3h5m, 26h, 3d, 3d4h.
func roughDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 10*time.Hour && d%time.Hour != 0:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d < 10*24*time.Hour && (d/time.Hour)%24 != 0:
		return fmt.Sprintf("%dd%dh", int(d.Hours()/24), int(d.Hours())%24)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// stamp writes a file time as `stat` does, in UTC so reports compare across machines.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// errNotADirectory is what reading "a/b" returns when "a" is a file.
var errNotADirectory = syscall.ENOTDIR

// maxFindingsPerCheck keeps a check on a badly broken node readable: past it, one finding
// says how many more there are.
const maxFindingsPerCheck = 50

// capFindings keeps the first max findings (gravest first) and sums up the rest in one.
func capFindings(findings []Finding, max int, more func(n int) Finding) []Finding {
	if len(findings) <= max {
		return findings
	}
	sortFindings(findings)
	rest := len(findings) - max
	out := append(findings[:max:max], more(rest))
	return out
}
