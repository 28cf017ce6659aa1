// Package nodefs is a node's files as checks read them: the root, the names a person on the node
// types, read errors turned into honest results, and systemd units.
package nodefs

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

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
)

// This file holds what every host check shares: opening the node's root, naming its files the
// way a person on this machine reaches them, and turning read errors into honest results.

// UsualBinDirs are where distributions and installers put a node's programs, in the order a
// shell's default PATH searches them.
var UsualBinDirs = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/opt/bin"}

// DefaultHostSince is how far back the timeline looks when the run does not say.
const DefaultHostSince = 48 * time.Hour

// FS is a host check's view of the node: the root, the clock and the timeline window.
type FS struct {
	*host.Root
	Env   *checks.Env
	Now   time.Time
	Since time.Duration
}

// Run adapts a host check to the runner: it opens the node's root for the check and
// closes it after.
func Run(run func(ctx context.Context, n *FS) checks.Result) func(context.Context, *checks.Env) checks.Result {
	return func(ctx context.Context, env *checks.Env) checks.Result {
		if runtime.GOOS != "linux" {
			return checks.Skipped(checks.SkipNotApplicable, "host checks read Linux nodes; this is "+runtime.GOOS)
		}
		root, err := host.Open(env.Host.Root, Limits)
		if err != nil {
			return checks.Errored(err.Error())
		}
		defer root.Close()
		if env.Host.Unpacked {
			root.ShowNodePaths()
		}
		if env.Host.Unpacked && env.Host.Recorded != "" {
			rec, err := host.ReadRecorded(env.Host.Recorded)
			if err == nil {
				err = root.UseRecorded(rec)
			}
			if err != nil {
				return checks.Errored(err.Error())
			}
		}
		n := &FS{Root: root, Env: env, Now: time.Now(), Since: env.Host.Since}
		if env.Now != nil {
			n.Now = env.Now()
		}
		if n.Since <= 0 {
			n.Since = DefaultHostSince
		}
		return run(ctx, n)
	}
}

// OnRealNode adapts a host check that judges timestamps, inode attributes or the file system
// itself: an unpacked scenario tree has none of the node's, so there it says why it skips.
// Inode attributes an unpacked tree's sidecar records are the node's: see OnRealNodeOrRecorded.
func OnRealNode(what string, run func(ctx context.Context, n *FS) checks.Result) func(ctx context.Context, n *FS) checks.Result {
	return func(ctx context.Context, n *FS) checks.Result {
		if n.Env.Host.Unpacked {
			return checks.Skipped(checks.SkipNotApplicable, "not applicable: the scenario's node files were unpacked just now, so their "+what+" are this machine's, not the node's")
		}
		return run(ctx, n)
	}
}

// OnRealNodeOrRecorded adapts a host check that judges inode attributes: on an unpacked tree it
// runs when the tree's sidecar records them (host.Root.RecordsAttributes), and skips as
// OnRealNode does otherwise.
func OnRealNodeOrRecorded(run func(ctx context.Context, n *FS) checks.Result) func(ctx context.Context, n *FS) checks.Result {
	onNode := OnRealNode("inode attributes", run)
	return func(ctx context.Context, n *FS) checks.Result {
		if n.RecordsAttributes() {
			return run(ctx, n)
		}
		return onNode(ctx, n)
	}
}

// Ref names a node file for a finding, as reached from this machine.
func (n *FS) Ref(p string, line, column int) *checks.FileRef {
	return &checks.FileRef{Path: n.Display(p), Line: line, Column: column}
}

// ReadOptional reads a file that may well not exist: (file, false, nil) when it does not.
func (n *FS) ReadOptional(ctx context.Context, p string) (host.File, bool, error) {
	f, err := n.ReadFile(ctx, p)
	switch {
	case err == nil:
		return f, true, nil
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotADirectory):
		return f, false, nil
	}
	return f, false, err
}

// ListOptional lists a directory that may not exist.
func (n *FS) ListOptional(ctx context.Context, p string) (host.Listing, bool, error) {
	return n.ListMatching(ctx, p, nil)
}

// ListMatching lists the entries whose names match (nil: all) of a directory that may not
// exist; one that does not is an empty listing, known in full. A huge directory gives its
// first entries by name (see host.Root.ReadDirMatch): a name missing from a truncated listing
// is not absent; look it up.
func (n *FS) ListMatching(ctx context.Context, p string, match func(name string) bool) (host.Listing, bool, error) {
	l, err := n.ReadDirMatch(ctx, p, match)
	switch {
	case err == nil:
		return l, true, nil
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotADirectory):
		return host.Listing{AllNames: true}, false, nil
	}
	return l, false, err
}

// Exists reports whether the node path exists (following links).
func (n *FS) Exists(ctx context.Context, p string) bool {
	_, err := n.Stat(ctx, p)
	return err == nil
}

// Unreadable is the finding for a file a check needed and could not read: the check says so
// rather than concluding from nothing.
func (n *FS) Unreadable(p string, err error) checks.Finding {
	return checks.Finding{
		Severity: checks.StatusWarn,
		Message:  fmt.Sprintf("%s could not be read: %s", p, ErrorText(err)),
		File:     n.Ref(p, 0, 0),
		Hint:     "Run kockpit as root on the node (sudo), or check the file's permissions and mount.",
		Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(p))},
	}
}

// ErrorText is an error from the node without the path the finding already names.
func ErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, host.ErrNotRegular) {
			return "not a regular file"
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// Result closes a host check: the findings decide the status, the gravest finding leads the
// summary, and the others are counted; quiet is the summary when nothing is wrong. The lead
// finding's file, as the node names it, goes in front unless its message already names it.
// What it reports is bounded whatever the node holds (see bounded).
func (n *FS) Result(findings []checks.Finding, quiet string) checks.Result {
	findings = n.bounded(findings)
	sortFindings(findings)
	r := checks.Result{Status: checks.Worst(findings), Findings: findings, Summary: quiet}
	problems := 0
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			problems++
		}
	}
	if problems > 0 {
		r.Summary = findings[0].Message
		if f := findings[0].File; f != nil {
			onNode := checks.FileRef{Path: n.NodePath(f.Path), Line: f.Line, Column: f.Column}
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

// NodePath is the path on the node of a file a finding names as reached from here.
func (n *FS) NodePath(display string) string {
	if n.IsSystemRoot() || n.Display("/") == "/" {
		return display
	}
	rel, err := filepath.Rel(n.Dir(), display)
	if err != nil || strings.HasPrefix(rel, "..") {
		return display
	}
	return path.Clean("/" + filepath.ToSlash(rel))
}

// fileRefText writes a file reference as editors and compilers do: path:line:column.
func fileRefText(f *checks.FileRef) string {
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
func sortFindings(fs []checks.Finding) {
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

// ErrNotADirectory is what reading "a/b" returns when "a" is a file.
var ErrNotADirectory = syscall.ENOTDIR

// MaxFindings keeps a check on a badly broken node readable: past it, one finding
// says how many more there are.
const MaxFindings = 50

// CapFindings keeps the first max findings (gravest first) and sums up the rest in one.
func CapFindings(findings []checks.Finding, max int, more func(n int) checks.Finding) []checks.Finding {
	if len(findings) <= max {
		return findings
	}
	sortFindings(findings)
	rest := len(findings) - max
	out := append(findings[:max:max], more(rest))
	return out
}
