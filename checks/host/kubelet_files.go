package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// kubeletFilesCheck is the host.kubelet-files check.
var kubeletFilesCheck = checks.Check{
	ID:       "host.kubelet-files",
	Title:    "The kubelet's config, flags and credentials are root's, and kubeadm and the kubelet can rewrite them",
	Category: checks.CategoryHost,
	Learn:    learn("host.kubelet-files"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runKubeletFiles),
}

// kubeletFile is a file the kubelet runs from, and who must be able to rewrite it.
type kubeletFile struct {
	path string
	// rewrite says who rewrites it and what fails when they cannot.
	rewrite string
	// secret: it holds a private key (or a kubeconfig that may embed one).
	secret bool
}

// kubeletPKI is where the kubelet keeps its certificates and rotates them.
const kubeletPKI = "/var/lib/kubelet/pki"

var kubeletFiles = []kubeletFile{
	{"/var/lib/kubelet/config.yaml", "kubeadm writes it on join and on every `kubeadm upgrade node`, which fail with \"operation not permitted\" while the kubelet keeps its old config", false},
	{"/var/lib/kubelet/kubeadm-flags.env", "kubeadm writes the kubelet's flags there on join and upgrade, which fail with \"operation not permitted\" while the kubelet keeps its old flags", false},
	{"/etc/kubernetes/kubelet.conf", "kubeadm writes the kubelet's kubeconfig there on join and when renewing its certificate, which fail, and the node drops out when the certificate expires", true},
	{"/etc/kubernetes/bootstrap-kubelet.conf", "the kubelet removes it once it has joined, so the bootstrap token stays on the node", true},
	{kubeletPKI, "the kubelet writes each rotated certificate there, so rotation fails and the node drops out when the current certificate expires", false},
}

// pkiRewrite is who rewrites a file in the kubelet's PKI directory.
const pkiRewrite = "the kubelet replaces its certificates there when it rotates them, so rotation fails and the node drops out when the current certificate expires"

// isKubeletFile says whether host.kubelet-files judges the node path p, so host.immutable
// does not report the same flag twice.
func isKubeletFile(p string) bool {
	if path.Dir(p) == kubeletPKI {
		return true
	}
	for _, f := range kubeletFiles {
		if f.path == p {
			return true
		}
	}
	return false
}

func runKubeletFiles(ctx context.Context, n *nodefs.FS) checks.Result {
	var findings []checks.Finding
	// In a copy without its sidecar, owners and flags are this machine's: not judged.
	ownersKnown := !n.Env.Host.Unpacked || n.Env.Host.Recorded != ""
	flagsTrusted := !n.Env.Host.Unpacked || n.RecordsAttributes()
	found, flagsKnown := 0, 0
	judge := func(e host.Entry, f kubeletFile) {
		found++
		if flagsTrusted && !e.Attrs.Known && (e.IsRegular() || e.IsDir()) {
			if withAttrs, err := n.Attributes(ctx, e.Path); err == nil {
				e = withAttrs
			}
		}
		if flagsTrusted && e.Attrs.Known {
			flagsKnown++
			if e.Attrs.Immutable || e.Attrs.AppendOnly {
				findings = append(findings, kubeletFlagFinding(n, e, f))
			}
		}
		if ownersKnown {
			findings = append(findings, kubeletOwnerFindings(n, e, f)...)
		}
	}
	for _, f := range kubeletFiles {
		e, err := n.Lstat(ctx, f.path)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, nodefs.ErrNotADirectory) {
			continue // not on this node
		}
		if err == nil && e.Mode&fs.ModeSymlink != 0 {
			// A link's own mode is always 0777 and it carries no flags: judge the file it names.
			var target string
			if target, err = n.Resolve(ctx, f.path); err == nil {
				e, err = n.Lstat(ctx, target)
			}
		}
		if err != nil {
			findings = append(findings, n.Unreadable(f.path, err)) // cannot tell is not absent
			continue
		}
		judge(e, f)
	}
	if l, ok, err := n.ListOptional(ctx, kubeletPKI); err != nil {
		findings = append(findings, n.Unreadable(kubeletPKI, err))
	} else if ok {
		for _, e := range l.Entries {
			if e.IsRegular() {
				judge(e, kubeletFile{path: e.Path, rewrite: pkiRewrite, secret: strings.HasSuffix(e.Name(), ".key") || strings.HasPrefix(e.Name(), "kubelet-client")})
			}
		}
		if l.Truncated {
			findings = append(findings, checks.Finding{Severity: checks.StatusWarn,
				Message:  fmt.Sprintf("%s holds more entries than kockpit reads (%d read): the rest was not checked", kubeletPKI, len(l.Entries)),
				File:     n.Ref(kubeletPKI, 0, 0),
				Hint:     "A kubelet keeps a handful of certificates here: thousands mean rotation is looping.",
				Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(kubeletPKI))}})
		}
	}
	switch {
	case found == 0 && len(findings) == 0:
		return checks.Skipped(checks.SkipNotInstalled, "no kubelet config, kubeconfig or PKI under "+n.Display("/"))
	case flagsKnown == 0 && !ownersKnown && len(findings) == 0:
		return checks.Skipped(checks.SkipNotApplicable, "the scenario's node files were unpacked without their recorded owners and flags: cannot tell")
	}
	quiet := fmt.Sprintf("%d kubelet files are root's and can be rewritten", found)
	if flagsKnown < found {
		quiet = fmt.Sprintf("%d kubelet files are root's; the inode flags of %d cannot be told here (the file system does not report them)", found, found-flagsKnown)
	}
	return n.Result(findings, quiet)
}

func kubeletFlagFinding(n *nodefs.FS, e host.Entry, f kubeletFile) checks.Finding {
	flag, letters := "immutable", "i"
	if !e.Attrs.Immutable {
		flag, letters = "append-only", "a"
	} else if e.Attrs.AppendOnly {
		letters = "ia"
	}
	return checks.Finding{
		Severity: checks.StatusFail,
		Message:  fmt.Sprintf("%s is %s (chattr +%s): %s", e.Path, flag, letters, f.rewrite),
		File:     n.Ref(e.Path, 0, 0),
		Evidence: []string{fmt.Sprintf("mode %s, owner uid %d gid %d: flags %s", e.Mode, e.Uid, e.Gid, attrsText(e.Attrs)),
			"`ls -l` shows nothing wrong: only `lsattr` shows the flag, and root gets \"operation not permitted\", not \"permission denied\""},
		Hint:     fmt.Sprintf("Clear the flag as root: `%s`, then rerun what failed (kubeadm upgrade node, or restart the kubelet).", checks.Cmd("chattr", "-"+letters, n.Display(e.Path))),
		Commands: []checks.Command{checks.Cmd("lsattr", "-d", n.Display(e.Path))},
		Cause:    true,
	}
}

// kubeletOwnerFindings judge who may read or change a kubelet file: the kubelet runs as root, so
// any other owner, or a group or others allowed to write it (or to read a key), can take over
// the node's identity in the cluster. Nothing fails: root reads the file whoever owns it.
func kubeletOwnerFindings(n *nodefs.FS, e host.Entry, f kubeletFile) []checks.Finding {
	var out []checks.Finding
	stat := checks.Cmd("stat", "-c", "%U:%G %a %n", n.Display(e.Path))
	what := "rewrite the kubelet's config"
	if f.secret {
		what = "read the node's private key and act as the node"
	}
	if e.Uid != 0 || e.Gid != 0 {
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%s is owned by uid %d gid %d, not root: that user can %s", e.Path, e.Uid, e.Gid, what),
			File:     n.Ref(e.Path, 0, 0),
			Evidence: []string{fmt.Sprintf("mode %s, owner uid %d gid %d", e.Mode, e.Uid, e.Gid), "the kubelet runs as root and reads it whoever owns it: this is a risk, not a failure"},
			Hint:     fmt.Sprintf("Give it back to root: `%s`.", checks.Cmd("chown", "root:root", n.Display(e.Path))),
			Commands: []checks.Command{stat},
		})
	}
	switch perm := e.Mode.Perm(); {
	case perm&0o022 != 0:
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%s is writable by its group or by everyone (mode %s): any such user can %s", e.Path, e.Mode, what),
			File:     n.Ref(e.Path, 0, 0),
			Evidence: []string{fmt.Sprintf("mode %s, owner uid %d gid %d", e.Mode, e.Uid, e.Gid)},
			Hint:     fmt.Sprintf("`%s`.", checks.Cmd("chmod", "go-w", n.Display(e.Path))),
			Commands: []checks.Command{stat},
		})
	case f.secret && e.IsRegular() && perm&0o044 != 0:
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%s holds the node's credentials and is readable by its group or by everyone (mode %s)", e.Path, e.Mode),
			File:     n.Ref(e.Path, 0, 0),
			Evidence: []string{fmt.Sprintf("mode %s, owner uid %d gid %d", e.Mode, e.Uid, e.Gid)},
			Hint:     fmt.Sprintf("`%s`.", checks.Cmd("chmod", "0600", n.Display(e.Path))),
			Commands: []checks.Command{stat},
		})
	}
	return out
}
