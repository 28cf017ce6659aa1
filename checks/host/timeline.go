package host

import (
	"container/heap"
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
)

// timelineCheck is the host.timeline check.
var timelineCheck = checks.Check{
	ID:       "host.timeline",
	Title:    "What changed on the node lately, newest first",
	Category: checks.CategoryHost,
	Learn:    learn("host.timeline"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(nodefs.OnRealNode("timestamps", runHostTimeline)),
}

// timelineDirs are where a node is broken by editing files. descend limits a walk to some
// subdirectories (the kubelet's directory holds pod volumes, which are not config).
var timelineDirs = []struct {
	path    string
	depth   int
	descend []string
}{
	{"/etc", 0, nil},
	{"/usr/bin", 1, nil},
	{"/usr/local/bin", 1, nil},
	{"/usr/sbin", 1, nil},
	{"/opt/cni/bin", 1, nil},
	{"/var/lib/kubelet", 2, []string{"pki"}},
}

// Bounds of the timeline: the newest files listed, the reset timestamps listed.
const (
	maxTimeline = 100
	maxResets   = 50
)

// resetGap is how much newer a ctime must be than the mtime to look like a reset.
const resetGap = time.Hour

// bulkInstall is how many files of one directory changed within one minute, all with old
// mtimes, that make an archive being unpacked (tar keeps mtimes) rather than files touched one
// by one.
const bulkInstall = 3

// changedFile is a file with the time it last changed.
type changedFile struct {
	host.Entry
	changed time.Time
}

// newestFiles is a min-heap on the change time: it keeps the newest maxTimeline files of a
// walk of any size.
type newestFiles []changedFile

func (h newestFiles) Len() int           { return len(h) }
func (h newestFiles) Less(i, j int) bool { return h[i].changed.Before(h[j].changed) }
func (h newestFiles) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *newestFiles) Push(x any)        { *h = append(*h, x.(changedFile)) }
func (h *newestFiles) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bucket groups files by directory and the minute their inode changed.
type bucket struct {
	dir    string
	minute int64
}

func bucketOf(e host.Entry) bucket {
	return bucket{dir: path.Dir(e.Path), minute: e.Ctime.Unix() / 60}
}

// timeline gathers a walk's changed files within bounded memory.
type timeline struct {
	since   time.Time
	newest  newestFiles
	resets  []changedFile
	buckets map[bucket]int // files with an old mtime, by directory and the minute of their ctime
	total   int
	walked  int
}

func (t *timeline) add(e host.Entry) {
	t.walked++
	if e.IsDir() {
		return
	}
	c := changedFile{Entry: e, changed: e.Ctime}
	if e.Mtime.After(c.changed) {
		c.changed = e.Mtime
	}
	if c.changed.Before(t.since) {
		return
	}
	t.total++
	if e.Ctime.Sub(e.Mtime) > resetGap {
		t.buckets[bucketOf(e)]++
		if len(t.resets) < maxResets*4 {
			t.resets = append(t.resets, c)
		}
	}
	if len(t.newest) < maxTimeline {
		heap.Push(&t.newest, c)
	} else if c.changed.After(t.newest[0].changed) {
		t.newest[0] = c
		heap.Fix(&t.newest, 0)
	}
}

func runHostTimeline(ctx context.Context, n *nodefs.FS) checks.Result {
	t := &timeline{since: n.Now.Add(-n.Since), buckets: map[bucket]int{}}
	var findings []checks.Finding
	var walked []string
	seen := map[string]bool{}
	for _, d := range timelineDirs {
		real, err := n.Resolve(ctx, d.path)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		walked = append(walked, d.path)
		opts := host.WalkOptions{MaxDepth: d.depth, SameDevice: true}
		if d.descend != nil {
			allowed := d.descend
			opts.Descend = func(e host.Entry) bool { return containsString(allowed, e.Name()) }
		}
		res, err := n.Walk(ctx, d.path, opts, func(e host.Entry) error { t.add(e); return nil })
		if err != nil {
			findings = append(findings, n.Unreadable(d.path, err))
		}
		if res.Truncated && err == nil {
			findings = append(findings, truncatedWalkFinding(n, d.path, res))
		}
	}
	if len(walked) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "none of "+timelineDirNames()+" exist under "+n.Display("/"))
	}
	findings = append(findings, t.findings(n, walked, recentPackages(ctx, n))...)
	return n.Result(findings, t.summary(n))
}

func timelineDirNames() string {
	var names []string
	for _, d := range timelineDirs {
		names = append(names, d.path)
	}
	return strings.Join(names, ", ")
}

func (t *timeline) summary(n *nodefs.FS) string {
	if t.total == 0 {
		return fmt.Sprintf("no file changed in the last %s (%d looked at)", shortDuration(n.Since), t.walked)
	}
	newest := t.newest[0]
	for _, c := range t.newest {
		if c.changed.After(newest.changed) {
			newest = c
		}
	}
	return fmt.Sprintf("%d files changed in the last %s; the newest: %s, %s", t.total, shortDuration(n.Since), newest.Path, phrase.Ago(n.Now, newest.changed))
}

// findings lists the reset timestamps first (Warn), then the newest files (OK), newest first.
func (t *timeline) findings(n *nodefs.FS, walked []string, pkgs map[string]install) []checks.Finding {
	var out []checks.Finding
	reset := map[string]bool{}
	sort.Slice(t.resets, func(i, j int) bool { return t.resets[i].Ctime.After(t.resets[j].Ctime) })
	for _, c := range t.resets {
		if t.explained(c, pkgs) != "" || len(reset) == maxResets {
			continue
		}
		reset[c.Path] = true
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Message: fmt.Sprintf("changed %s, but its content claims %s: timestamps reset with touch, or it was renamed or had its mode, owner or flags changed (mv, chmod, chown, chattr)",
				phrase.Ago(n.Now, c.Ctime), phrase.Stamp(c.Mtime)),
			File:     n.Ref(c.Path, 0, 0),
			Evidence: []string{timesText(c.Entry)},
			Hint:     "Look at what it is now (ls -l, lsattr, the content) and compare it with the package or a healthy node: `dpkg -S` / `rpm -qf` names its package, `debsums` / `rpm -V` checks it.",
			Commands: []checks.Command{checks.Cmd("stat", n.Display(c.Path))},
		})
	}
	sort.Slice(t.newest, func(i, j int) bool { return t.newest[i].changed.After(t.newest[j].changed) })
	for _, c := range t.newest {
		if reset[c.Path] {
			continue
		}
		ev := []string{timesText(c.Entry)}
		if why := t.explained(c, pkgs); why != "" {
			ev = append(ev, why)
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusOK,
			Message:  "changed " + phrase.Ago(n.Now, c.changed),
			File:     n.Ref(c.Path, 0, 0),
			Evidence: ev,
			Commands: []checks.Command{checks.Cmd("stat", n.Display(c.Path))},
		})
	}
	if t.total > len(t.newest) {
		var dirs []string
		for _, d := range walked {
			dirs = append(dirs, n.Display(d))
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusOK,
			Message:  fmt.Sprintf("%d more files changed in the last %s", t.total-len(t.newest), shortDuration(n.Since)),
			Commands: []checks.Command{checks.Cmd("find", dirs...).Args("-xdev", "-cmin", fmt.Sprintf("-%d", int(n.Since.Minutes())), "-printf", `%C+ %T+ %p\n`).
				Pipe("sort", "-r")},
		})
	}
	return out
}

// explained says why a file whose ctime is much newer than its mtime was not touched: a
// package installed it, or an archive was unpacked with it; "" when nothing explains it.
func (t *timeline) explained(c changedFile, pkgs map[string]install) string {
	if c.Ctime.Sub(c.Mtime) <= resetGap {
		return ""
	}
	if p, ok := pkgs[c.Path]; ok && absDuration(c.Ctime.Sub(p.at)) < 10*time.Minute {
		return fmt.Sprintf("installed by the package %s at %s: packages keep the files' build times as mtime", p.pkg, phrase.Stamp(p.at))
	}
	if k := t.buckets[bucketOf(c.Entry)]; k >= bulkInstall {
		return fmt.Sprintf("written with %d other files of its directory that minute, all with old mtimes: an archive unpacked", k-1)
	}
	return ""
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// install is when a package put a file in place.
type install struct {
	pkg string
	at  time.Time
}

// maxPackageLists bounds the dpkg file lists read: only packages installed within the window
// matter, and a node installs few at a time.
const maxPackageLists = 200

// recentPackages maps each file of the dpkg packages installed or upgraded within the window
// to its package, from /var/lib/dpkg/info/*.list (dpkg rewrites a package's list when it
// installs it).
func recentPackages(ctx context.Context, n *nodefs.FS) map[string]install {
	out := map[string]install{}
	l, ok, _ := n.ListMatching(ctx, "/var/lib/dpkg/info", func(name string) bool { return strings.HasSuffix(name, ".list") })
	if !ok {
		return out
	}
	since := n.Now.Add(-n.Since)
	read := 0
	for _, e := range l.Entries {
		name, isList := strings.CutSuffix(e.Name(), ".list")
		if !isList || e.Mtime.Before(since) || read == maxPackageLists {
			continue
		}
		read++
		f, err := n.ReadFile(ctx, e.Path)
		if err != nil {
			continue
		}
		pkg, _, _ := strings.Cut(name, ":") // kubeadm:amd64
		for _, line := range strings.Split(string(f.Data), "\n") {
			if strings.HasPrefix(line, "/") {
				out[line] = install{pkg: pkg, at: e.Mtime}
			}
		}
	}
	return out
}

// timesText shows a file's two times as `stat` does.
func timesText(e host.Entry) string {
	kind := "file"
	if e.Mode&fs.ModeSymlink != 0 {
		kind = "link"
	}
	return fmt.Sprintf("mtime %s  ctime %s  %s %s, %s", phrase.Stamp(e.Mtime), phrase.Stamp(e.Ctime), kind, e.Mode, phrase.Bytes(e.Size))
}

// shortDuration writes 48h0m0s as 48h.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
