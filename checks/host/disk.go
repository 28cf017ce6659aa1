package host

import (
	"context"
	"fmt"
	"sort"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
)

// diskCheck is the host.disk check.
var diskCheck = checks.Check{
	ID:       "host.disk",
	Title:    "The node's disks have room, and no huge file hides on them",
	Category: checks.CategoryHost,
	Learn:    learn("host.disk"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(nodefs.OnRealNode("file systems", runHostDisk)),
}

// nodeDataDirs are the file systems whose room the node depends on.
var nodeDataDirs = []string{"/", "/var/lib/kubelet", "/var/lib/containerd", "/var/lib/etcd"}

// Thresholds for disk and inode use, in percent.
const (
	diskWarn = 85
	diskFail = 95
)

// Sizes that make a file worth a look: allocated, or apparent for a sparse one.
const (
	hugeFile       = 10 << 30
	hugeSparseFile = 100 << 30
)

// hugeFileDirs are walked for huge files (bounded, never leaving their file system); the whole
// of / is not, as /usr alone holds a hundred thousand files nobody drops a disk filler in.
var hugeFileDirs = []struct {
	path  string
	depth int
}{
	{"/", 1}, {"/tmp", 4}, {"/var/tmp", 4}, {"/root", 4}, {"/home", 5}, {"/opt", 4}, {"/srv", 4},
	{"/var/log", 4}, {"/var/lib/kubelet", 8}, {"/var/lib/containerd", 8}, {"/var/lib/etcd", 4},
}

func runHostDisk(ctx context.Context, n *nodefs.FS) checks.Result {
	var findings []checks.Finding
	measured := 0
	if n.IsSystemRoot() {
		seen := map[uint64]bool{}
		for _, p := range nodeDataDirs {
			u, err := n.Usage(ctx, p)
			if err != nil || seen[u.Dev] {
				continue
			}
			seen[u.Dev] = true
			measured++
			findings = append(findings, diskUseFindings(n, p, u)...)
		}
	}
	huge, partial := hugeFileFindings(ctx, n)
	findings = append(findings, huge...)
	noHuge := "no huge file"
	if partial {
		noHuge = "no huge file among the files looked at (a walk stopped at its bound)"
	}
	quiet := fmt.Sprintf("%d file systems below %d%% of space and inodes; %s", measured, diskWarn, noHuge)
	if !n.IsSystemRoot() {
		quiet = noHuge + " (disk use is measured only on the node itself: --host-root /)"
	}
	return n.Result(findings, quiet)
}

// diskUseFindings judges one file system's space and inodes.
func diskUseFindings(n *nodefs.FS, p string, u host.Usage) []checks.Finding {
	var out []checks.Finding
	judge := func(what string, pct float64, evidence string, cmd checks.Command) {
		sev := checks.StatusOK
		switch {
		case pct >= diskFail:
			sev = checks.StatusFail
		case pct >= diskWarn:
			sev = checks.StatusWarn
		}
		f := checks.Finding{Severity: sev, File: n.Ref(p, 0, 0), Evidence: []string{evidence}, Commands: []checks.Command{cmd},
			Message: fmt.Sprintf("the file system of %s is %.0f%% full of %s", p, pct, what)}
		if sev > checks.StatusOK {
			f.Message += ": past 90% the kubelet reports DiskPressure and evicts pods; images stop unpacking, etcd stops writing"
			f.Hint = fmt.Sprintf("Find what takes the room: `%s`; prune unused images with `crictl rmi --prune`.",
				checks.Cmd("du", "-xh", "--max-depth=2", n.Display(p)).Pipe("sort", "-h").Pipe("tail"))
			f.Cause = sev == checks.StatusFail
		}
		out = append(out, f)
	}
	judge("space", u.BytesPercent(), fmt.Sprintf("used %s, available %s", phrase.Bytes(int64(u.Used)), phrase.Bytes(int64(u.Avail))), checks.Cmd("df", "-h", n.Display(p)))
	if u.InodesUsed+u.InodesFree > 0 {
		judge("inodes", u.InodesPercent(), fmt.Sprintf("inodes used %d, free %d", u.InodesUsed, u.InodesFree), checks.Cmd("df", "-i", n.Display(p)))
	}
	return out
}

// hugeFileFindings walks where a disk filler would be dropped, within bounds; partial says a
// walk stopped at its bound (an OK finding says which), so "no huge file" is only of what
// was looked at.
func hugeFileFindings(ctx context.Context, n *nodefs.FS) (out []checks.Finding, partial bool) {
	var huge []host.Entry
	seen := map[string]bool{}
	for _, d := range hugeFileDirs {
		real, err := n.Resolve(ctx, d.path)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		opts := host.WalkOptions{MaxDepth: d.depth, SameDevice: true, MaxEntries: 100000}
		if d.path == "/" {
			opts.Descend = func(host.Entry) bool { return false }
		}
		res, err := n.Walk(ctx, d.path, opts, func(e host.Entry) error {
			if e.IsRegular() && (e.Blocks*512 >= hugeFile || e.Size >= hugeSparseFile) {
				huge = append(huge, e)
			}
			return nil
		})
		if err != nil {
			out = append(out, n.Unreadable(d.path, err))
		} else if res.Truncated {
			// A busy node's /var/lib/containerd is larger than the bound: worth saying, not a
			// problem in itself.
			f := truncatedWalkFinding(n, d.path, res)
			f.Severity, f.Hint = checks.StatusOK, ""
			out, partial = append(out, f), true
		}
	}
	sort.Slice(huge, func(i, j int) bool { return huge[i].Size > huge[j].Size })
	for _, e := range huge[:min(len(huge), 20)] {
		onDisk := e.Blocks * 512
		f := checks.Finding{Severity: checks.StatusWarn, File: n.Ref(e.Path, 0, 0),
			Evidence: []string{fmt.Sprintf("apparent size %s, on disk %s, changed %s", phrase.Bytes(e.Size), phrase.Bytes(onDisk), phrase.Stamp(e.Ctime))},
			Commands: []checks.Command{checks.Cmd("ls", "-lsh", n.Display(e.Path)), checks.Cmd("du", "-h", "--apparent-size", n.Display(e.Path))}}
		if onDisk < e.Size/2 {
			f.Message = fmt.Sprintf("%s is a sparse file of %s (%s on disk): copies, backups and image layers of it write it in full", e.Path, phrase.Bytes(e.Size), phrase.Bytes(onDisk))
			f.Hint = "If nothing needs it (a database's preallocation does), delete it."
		} else {
			f.Message = fmt.Sprintf("%s takes %s of the disk", e.Path, phrase.Bytes(onDisk))
			f.Hint = "If nothing needs it, delete it to give the node its room back."
		}
		out = append(out, f)
	}
	return out, partial
}
