package host

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/executable"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
)

// binariesCheck is the host.binaries check.
var binariesCheck = checks.Check{
	ID:       "host.binaries",
	Title:    "The node's Kubernetes and system tools are real programs that can run",
	Category: checks.CategoryHost,
	Learn:    learn("host.binaries"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostBinaries),
}

// nodeBinaries are the programs a node and the person fixing it depend on.
var nodeBinaries = []string{
	"kubelet", "containerd", "runc", "kubectl", "kubeadm", "crictl", "ctr",
	"chmod", "chattr", "systemctl", "journalctl", "iptables", "ip",
}

// headBytes is how much of a program kockpit reads to tell what it is.
const headBytes = 4096

// nodeBinary is one copy of a program found in a directory of the node.
type nodeBinary struct {
	name     string
	path     string // where it was found
	resolved string // the file it links to, when it is a link
	entry    host.Entry
}

func runHostBinaries(ctx context.Context, n *nodefs.FS) checks.Result {
	found, findings := findNodeBinaries(ctx, n)
	if len(found) == 0 && len(findings) == 0 {
		return checks.Skipped(checks.SkipNotInstalled, "none of "+strings.Join(nodeBinaries, ", ")+" is under "+n.Display("/"))
	}
	joined, joinedFrom := nodeJoinedAt(ctx, n)
	chmod := firstBinary(found, "chmod")
	var seen []string
	for _, b := range found {
		for _, f := range inspectNodeBinary(ctx, n, b, chmod, joined, joinedFrom) {
			findings = append(findings, f.Finding)
		}
		seen = append(seen, fmt.Sprintf("%s: %s", b.name, n.Display(b.path)))
	}
	findings = append(findings, checks.Finding{
		Severity: checks.StatusOK,
		Message:  fmt.Sprintf("%d programs found", len(found)),
		Evidence: seen,
		Commands: []checks.Command{checks.Cmd("ls", "-lL").Args(displayPaths(n, found)...)},
	})
	return n.Result(findings, fmt.Sprintf("%d programs are native, executable, and not writable by others", len(found)))
}

// binDirs are the directories to look in, under the root, without duplicates (on merged-/usr
// systems /bin is /usr/bin). PATH counts only on the node itself: a pod's PATH says nothing
// about the node it mounts.
func binDirs(ctx context.Context, n *nodefs.FS) []string {
	dirs := append([]string(nil), nodefs.UsualBinDirs...)
	if n.IsSystemRoot() {
		search := n.Env.Path
		if search == "" {
			search = os.Getenv("PATH")
		}
		for _, d := range filepath.SplitList(search) {
			if path.IsAbs(d) {
				dirs = append(dirs, d)
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		real, err := n.Resolve(ctx, d)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		out = append(out, d)
	}
	return out
}

// findNodeBinaries looks for each program in each directory; a file reached twice (a link
// from /usr/local/bin to /usr/bin) is inspected once.
func findNodeBinaries(ctx context.Context, n *nodefs.FS) ([]nodeBinary, []checks.Finding) {
	var found []nodeBinary
	var findings []checks.Finding
	seen := map[string]bool{}
	dirs := binDirs(ctx, n)
	for _, name := range nodeBinaries {
		for _, d := range dirs {
			p := path.Join(d, name)
			l, err := n.Lstat(ctx, p)
			if err != nil {
				continue
			}
			b := nodeBinary{name: name, path: p, entry: l}
			if l.Mode&fs.ModeSymlink != 0 {
				real, err := n.Resolve(ctx, p)
				if err != nil {
					findings = append(findings, danglingBinaryFinding(n, p, err))
					continue
				}
				b.resolved = real
				if b.entry, err = n.Stat(ctx, p); err != nil {
					continue
				}
			}
			key := cmp.Or(b.resolved, p)
			if seen[key] || !b.entry.IsRegular() {
				continue
			}
			seen[key] = true
			found = append(found, b)
		}
	}
	return found, findings
}

func firstBinary(found []nodeBinary, name string) *nodeBinary {
	for i := range found {
		if found[i].name == name {
			return &found[i]
		}
	}
	return nil
}

func displayPaths(n *nodefs.FS, found []nodeBinary) []string {
	out := make([]string, len(found))
	for i, b := range found {
		out[i] = n.Display(b.path)
	}
	return out
}

func danglingBinaryFinding(n *nodefs.FS, p string, err error) checks.Finding {
	return checks.Finding{
		Severity: checks.StatusWarn,
		Message:  fmt.Sprintf("%s is a link that leads nowhere (%s): running it says \"No such file or directory\"", p, nodefs.ErrorText(err)),
		File:     n.Ref(p, 0, 0),
		Hint:     "Reinstall the package that owns it, or point the link at the real program.",
		Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(p)), checks.Cmd("readlink", "-f", n.Display(p))},
	}
}

// Kinds of findings about a program, for grouping many programs of a directory (host.cni).
const (
	binaryNoExecBit  = "no-exec-bit"
	binaryUnreadable = "unreadable"
	binaryForeign    = "foreign"
	binaryScript     = "script"
	binaryWritable   = "writable"
	binaryRecent     = "recent"
)

// binaryFinding is a finding about one program, with its kind.
type binaryFinding struct {
	kind string
	checks.Finding
}

// inspectNodeBinary judges one program: exec bit, header, who may write it, when it changed.
func inspectNodeBinary(ctx context.Context, n *nodefs.FS, b nodeBinary, chmod *nodeBinary, joined time.Time, joinedFrom string) []binaryFinding {
	var out []binaryFinding
	e := b.entry
	evidence := []string{fmt.Sprintf("mode %s, owner uid %d, %s, changed %s (ctime), modified %s (mtime)",
		e.Mode, e.Uid, phrase.Bytes(e.Size), phrase.Stamp(e.Ctime), phrase.Stamp(e.Mtime))}
	if b.resolved != "" {
		evidence = append(evidence, "links to "+n.Display(b.resolved))
	}
	if e.Mode.Perm()&0o111 == 0 {
		out = append(out, binaryFinding{binaryNoExecBit, noExecBitFinding(n, b, chmod, evidence)})
	}
	head, err := n.ReadHead(ctx, b.path, headBytes)
	switch {
	case err != nil:
		out = append(out, binaryFinding{binaryUnreadable, n.Unreadable(b.path, err)})
	default:
		hdr := executable.ReadHeader(head.Data)
		if what := hdr.Mismatch(runtime.GOOS, runtime.GOARCH); what != "" {
			out = append(out, binaryFinding{binaryForeign, foreignBinaryFinding(n, b, hdr, what, evidence)})
		} else if hdr.Format == executable.FormatScript {
			out = append(out, binaryFinding{binaryScript, scriptBinaryFinding(n, b, hdr, evidence)})
		}
	}
	if e.Mode.Perm()&0o002 != 0 {
		out = append(out, binaryFinding{binaryWritable, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%s is writable by every user: anyone on the node can replace %s", b.path, b.name),
			File:     n.Ref(b.path, 0, 0),
			Evidence: evidence,
			Hint:     fmt.Sprintf("`%s`, then check it is the real %s (compare with the package or release checksum).", checks.Cmd("chmod", "o-w", n.Display(b.path)), b.name),
			Commands: []checks.Command{checks.Cmd("stat", n.Display(b.path))},
		}})
	}
	if f, ok := recentBinaryFinding(n, b, joined, joinedFrom, evidence); ok {
		out = append(out, binaryFinding{binaryRecent, f})
	}
	return out
}

func noExecBitFinding(n *nodefs.FS, b nodeBinary, chmod *nodeBinary, evidence []string) checks.Finding {
	target := n.Display(b.path)
	hint := fmt.Sprintf("Restore it: `%s`.", checks.Cmd("chmod", "+x", target))
	chmodPath := n.Display("/usr/bin/chmod")
	if chmod != nil {
		chmodPath = n.Display(chmod.path)
		if chmod.entry.Mode.Perm()&0o111 == 0 {
			evidence = append(evidence, fmt.Sprintf("chmod at %s has no exec bit either", chmodPath))
		}
	}
	if loader := executable.DynamicLoader(runtime.GOARCH); loader != "" {
		hint += fmt.Sprintf(" If chmod lost its exec bit too, run it through the dynamic linker, which only needs "+
			"to read it: `%s`.", checks.Cmd(loader, chmodPath, "+x", target))
	}
	return checks.Finding{
		Severity: checks.StatusFail,
		Message:  fmt.Sprintf("%s has no exec bit: running %s only says \"permission denied\"", b.path, b.name),
		File:     n.Ref(b.path, 0, 0),
		Evidence: evidence,
		Hint:     hint,
		Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(b.path)), checks.Cmd("stat", "-c", "%A %n", n.Display(b.path))},
		Cause:    true,
	}
}

func foreignBinaryFinding(n *nodefs.FS, b nodeBinary, hdr executable.Header, what string, evidence []string) checks.Finding {
	return checks.Finding{
		Severity: checks.StatusFail,
		Message: fmt.Sprintf("%s is %s: it cannot run on this %s/%s node (\"exec format error\")",
			b.path, what, runtime.GOOS, runtime.GOARCH),
		File:     n.Ref(b.path, 0, 0),
		Evidence: append(evidence, "first bytes: "+hdr.HexPrefix()),
		Hint: fmt.Sprintf("Reinstall %s for %s/%s from the distribution's package or the project's release.",
			b.name, runtime.GOOS, runtime.GOARCH),
		Commands: []checks.Command{checks.Cmd("file", n.Display(b.path)), checks.Cmd("od", "-A", "d", "-t", "x1", "-N", "20", n.Display(b.path))},
		Cause:    true,
	}
}

func scriptBinaryFinding(n *nodefs.FS, b nodeBinary, hdr executable.Header, evidence []string) checks.Finding {
	for i, l := range hdr.Lines {
		evidence = append(evidence, fmt.Sprintf("line %d: %s", i+1, l))
	}
	return checks.Finding{
		Severity: checks.StatusWarn,
		Message: fmt.Sprintf("%s is a script run by %s where the %s program is expected: a wrapper can hide or fake what it shows",
			b.path, cmp.Or(hdr.Interpreter, "the shell"), b.name),
		File:     n.Ref(b.path, 0, 1),
		Evidence: evidence,
		Hint:     fmt.Sprintf("Read it; if it is not a wrapper you trust, reinstall the real %s from its package or release.", b.name),
		Commands: []checks.Command{checks.Cmd("file", n.Display(b.path)), checks.Cmd("head", "-n", "20", n.Display(b.path))},
	}
}

// recentBinaryFinding flags a program changed after the node joined its cluster: an install
// happens before, a swap later. Other recent changes are the timeline's to list.
func recentBinaryFinding(n *nodefs.FS, b nodeBinary, joined time.Time, joinedFrom string, evidence []string) (checks.Finding, bool) {
	changed := b.entry.Ctime
	if b.entry.Mtime.After(changed) {
		changed = b.entry.Mtime
	}
	if n.Env.Host.Unpacked || n.Now.Sub(changed) > n.Since || joined.IsZero() || changed.Sub(joined) <= time.Hour {
		return checks.Finding{}, false
	}
	return checks.Finding{
		Severity: checks.StatusWarn,
		Message: fmt.Sprintf("%s changed %s, %s after the node joined its cluster: programs are installed before",
			b.path, phrase.Ago(n.Now, changed), phrase.Duration(changed.Sub(joined))),
		File:     n.Ref(b.path, 0, 0),
		Evidence: append(evidence, fmt.Sprintf("joined: %s (%s was written then)", phrase.Stamp(joined), joinedFrom)),
		Hint:     "If nobody upgraded it, compare it with the package's checksum (debsums, rpm -V) or the release's, and see host.timeline for what else changed.",
		Commands: []checks.Command{checks.Cmd("stat", n.Display(b.path))},
	}, true
}

// nodeJoinedAt estimates when the node joined its cluster: the oldest of the files kubeadm
// writes then. Editing one later makes it newer, so the oldest is the best witness.
func nodeJoinedAt(ctx context.Context, n *nodefs.FS) (time.Time, string) {
	var at time.Time
	var from string
	for _, p := range []string{"/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/kubelet.conf", "/var/lib/kubelet/config.yaml"} {
		e, err := n.Stat(ctx, p)
		if err != nil {
			continue
		}
		if at.IsZero() || e.Mtime.Before(at) {
			at, from = e.Mtime, p
		}
	}
	return at, from
}
