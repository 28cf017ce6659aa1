package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// immutableCheck is the host.immutable check.
var immutableCheck = checks.Check{
	ID:       "host.immutable",
	Title:    "Nothing Kubernetes writes on the node is immutable or append-only",
	Category: checks.CategoryHost,
	Learn:    learn("host.immutable"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(nodefs.OnRealNodeOrRecorded(runHostImmutable)),
}

// writtenTree is a place Kubernetes writes, how deep to look into it, and who suffers when it
// cannot.
type writtenTree struct {
	path  string
	depth int // 0: the path alone; 1: it and its entries; more: deeper
	who   string
}

// writtenByKubernetes lists what the kubelet, kubeadm, the runtime and the CNI plugin write.
var writtenByKubernetes = []writtenTree{
	{"/etc/kubernetes", 4, "kubeadm cannot renew certificates or kubeconfigs, nor update the static pod manifests"},
	{"/var/lib/kubelet", 1, "the kubelet cannot write its state: pod volumes, checkpoints, its config"},
	{"/etc/cni/net.d", 1, "the CNI plugin cannot install its config, so the node stays NotReady"},
	{"/var/log/containers", 1, "container log links cannot be created: pods fail to start or `kubectl logs` is empty"},
	{"/var/log/pods", 1, "container logs cannot be written: pods fail to start or `kubectl logs` is empty"},
	{"/etc/resolv.conf", 0, "the resolver (DHCP, systemd-resolved, NetworkManager) cannot update it"},
	{"/etc/hosts", 0, "the hostname and local names cannot be updated"},
	{"/etc/containerd", 2, "containerd's config cannot be fixed or upgraded"},
	{"/etc/crio", 2, "CRI-O's config cannot be fixed or upgraded"},
}

func runHostImmutable(ctx context.Context, n *nodefs.FS) checks.Result {
	var findings []checks.Finding
	checked, known := 0, 0
	seen := map[string]bool{}
	visit := func(e host.Entry, who string) {
		if seen[e.Path] || isKubeletFile(e.Path) {
			return // host.kubelet-files says what a flag on the kubelet's own files breaks
		}
		seen[e.Path] = true
		checked++
		if !e.Attrs.Known && (e.IsRegular() || e.IsDir()) {
			if withAttrs, err := n.Attributes(ctx, e.Path); err == nil {
				e = withAttrs
			}
		}
		if !e.Attrs.Known {
			return
		}
		known++
		if e.Attrs.Immutable || e.Attrs.AppendOnly {
			findings = append(findings, immutableFinding(n, e, who))
		}
	}
	for _, t := range writtenByKubernetes {
		top, err := n.Lstat(ctx, t.path)
		if err != nil {
			continue // not on this node
		}
		visit(top, t.who)
		if t.depth == 0 || !top.IsDir() {
			continue
		}
		res, err := n.Walk(ctx, t.path, host.WalkOptions{MaxDepth: t.depth, SameDevice: true, MaxEntries: 20000},
			func(e host.Entry) error { visit(e, t.who); return nil })
		if err != nil {
			findings = append(findings, n.Unreadable(t.path, err))
		}
		if res.Truncated {
			findings = append(findings, truncatedWalkFinding(n, t.path, res))
		}
	}
	findings = nodefs.CapFindings(findings, nodefs.MaxFindings, func(more int) checks.Finding {
		return checks.Finding{Severity: checks.StatusFail, Message: fmt.Sprintf("%d more immutable or append-only files", more),
			Commands: []checks.Command{checks.Cmd("lsattr", "-R", n.Display("/etc/kubernetes")).Shell("2>/dev/null").Pipe("grep", "-E", "^[^ ]*[ia]")}}
	})
	switch {
	case checked == 0:
		return checks.Skipped(checks.SkipNotApplicable, "none of the paths Kubernetes writes exist under "+n.Display("/"))
	case known == 0 && len(findings) == 0:
		return checks.Skipped(checks.SkipNotApplicable, fmt.Sprintf("the file system under %s does not report inode flags", n.Display("/")))
	}
	return n.Result(findings, fmt.Sprintf("no immutable or append-only file among %d that Kubernetes writes", known))
}

func immutableFinding(n *nodefs.FS, e host.Entry, who string) checks.Finding {
	flag := "immutable"
	if e.Attrs.AppendOnly && !e.Attrs.Immutable {
		flag = "append-only"
	}
	kind := "file"
	if e.IsDir() {
		kind = "directory"
	}
	what := map[string]string{
		"immutable file":        "nobody, not even root, may change, rename or delete it",
		"immutable directory":   "nobody, not even root, may add, rename or delete files in it",
		"append-only file":      "it can only grow: nothing may rewrite, truncate or delete it",
		"append-only directory": "files can be added to it but never renamed or deleted",
	}[flag+" "+kind]
	attrs := boolString(e.Attrs.Immutable, "i") + boolString(e.Attrs.AppendOnly, "a")
	letters := "-" + attrs
	return checks.Finding{
		Severity: checks.StatusFail,
		Message:  fmt.Sprintf("%s is %s (chattr +%s): %s, so %s", e.Path, flag, attrs, what, who),
		File:     n.Ref(e.Path, 0, 0),
		Evidence: []string{fmt.Sprintf("%s %s, mode %s: flags %s", kind, n.Display(e.Path), e.Mode, attrsText(e.Attrs))},
		Hint:     fmt.Sprintf("Clear the flag as root: `%s`; `ls -l` never shows it, only `lsattr` does.", checks.Cmd("chattr", letters, n.Display(e.Path))),
		Commands: []checks.Command{checks.Cmd("lsattr", "-d", n.Display(e.Path))},
		Cause:    true,
	}
}

func boolString(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

// attrsText writes the flags the way lsattr marks them.
func attrsText(a host.Attrs) string {
	var parts []string
	if a.Immutable {
		parts = append(parts, "i (immutable)")
	}
	if a.AppendOnly {
		parts = append(parts, "a (append only)")
	}
	return strings.Join(parts, ", ")
}

// truncatedWalkFinding says a check looked at only part of a directory tree: it holds more
// entries than kockpit reads, or more than it reads within its time.
func truncatedWalkFinding(n *nodefs.FS, p string, res host.WalkResult) checks.Finding {
	msg := fmt.Sprintf("%s holds more entries than kockpit reads (%d read): the rest was not checked", p, res.Entries)
	if res.TimedOut {
		msg = fmt.Sprintf("%s is too large or too slow to read fully within %s (%d entries read): the rest was not checked", p, n.Limits().MaxDirTime, res.Entries)
	}
	return checks.Finding{
		Severity: checks.StatusWarn,
		Message:  msg,
		File:     n.Ref(p, 0, 0),
		Hint:     "An unusually large tree here is itself worth a look.",
		Commands: []checks.Command{checks.Cmd("find", n.Display(p), "-xdev").Pipe("wc", "-l")},
	}
}
