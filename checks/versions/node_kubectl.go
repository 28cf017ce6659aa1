package versions

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/executable"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// nodeKubectlCheck is the versions.node-kubectl check.
var nodeKubectlCheck = checks.Check{
	ID:       "versions.node-kubectl",
	Title:    "The node's kubectl is within one minor of the API server (read from the binary, never run)",
	Category: checks.CategoryVersions,
	Learn:    learn("versions.node-kubectl"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runNodeKubectl),
}

// nodeKubectl is one kubectl on the node and what its bytes say.
type nodeKubectl struct {
	path  string
	build executable.KubeBuild
	// arch is the GOARCH its ELF header names, "" when it does not say.
	arch string
	// err says why the version could not be read ("cannot tell").
	err error
}

func runNodeKubectl(ctx context.Context, n *nodefs.FS) checks.Result {
	found := findNodeKubectls(ctx, n)
	if len(found) == 0 {
		return checks.Skipped(checks.SkipNotInstalled, "no kubectl under "+n.Display("/")+" in "+strings.Join(nodefs.UsualBinDirs, ", "))
	}
	server, serverErr := serverKubeVersion(ctx, n.Env)
	var findings []checks.Finding
	told := 0
	for _, k := range found {
		f, ok := nodeKubectlFinding(n, k, server)
		findings = append(findings, f)
		if ok {
			told++
		}
	}
	switch worst := checks.Worst(findings); {
	case worst > checks.StatusOK:
		return n.Result(findings, "")
	case told == 0:
		r := checks.Skipped(checks.SkipNotApplicable, "cannot tell: no file named kubectl on the node carries kubectl's text or a Kubernetes version stamp")
		r.Findings = findings
		return r
	case server == nil:
		r := checks.SkipOrError(fmt.Errorf("the node's kubectl is read, the API server's version is unknown: %w", serverErr))
		r.Findings = findings
		return r
	}
	return n.Result(findings, fmt.Sprintf("the node's kubectl is within one minor of the server %s", MinorString(server)))
}

// findNodeKubectls reads every regular file named kubectl in the node's usual directories,
// each once (a link and its target are one).
func findNodeKubectls(ctx context.Context, n *nodefs.FS) []nodeKubectl {
	var out []nodeKubectl
	seen := map[string]bool{}
	for _, d := range nodefs.UsualBinDirs {
		p := path.Join(d, "kubectl")
		real, err := n.Resolve(ctx, p)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, nodefs.ErrNotADirectory) {
			continue
		}
		if err != nil { // a dangling link, a loop, a stall: cannot tell, which is not absent
			out = append(out, nodeKubectl{path: p, err: err})
			continue
		}
		if seen[real] {
			continue
		}
		seen[real] = true
		k := nodeKubectl{path: p}
		rd, err := n.OpenReader(ctx, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			head := make([]byte, 64)
			if m, _ := rd.ReadAt(head, 0); m > 0 {
				k.arch = executable.ReadHeader(head[:m]).Arch()
			}
			k.build, k.err = executable.ReadKubeVersion(ctx, rd, rd.Size, 0)
			rd.Close()
		} else {
			k.err = err
		}
		out = append(out, k)
	}
	return out
}

// nodeKubectlFinding judges one kubectl; ok says its version was read.
func nodeKubectlFinding(n *nodefs.FS, k nodeKubectl, server *version.Version) (f checks.Finding, ok bool) {
	shown := n.Display(k.path)
	// What shows the same stamps without running the binary.
	// What shows the same stamps without running the binary: the versions the linker stored
	// between NUL bytes, counted (dependencies' versions in the build info are not).
	look := checks.Cmd("grep", "-a", "-o", "-P", `\x00\Kv1\.[0-9]+\.[0-9]+[-+.0-9A-Za-z]*(?=\x00)`, shown).
		Pipe("sort").Pipe("uniq", "-c").Pipe("sort", "-rn")
	evidence := []string{"path: " + k.path}
	if k.build.GoVersion != "" {
		evidence = append(evidence, "built with "+k.build.GoVersion)
	}
	var v *version.Version
	if k.err == nil && k.build.GitVersion != "" {
		v, k.err = ParseKubeVersion(k.build.GitVersion)
	}
	switch {
	case k.err != nil:
		return cannotTellFinding(n, k, checks.StatusWarn, fmt.Sprintf("cannot tell the version of %s from its bytes: %s", k.path, nodefs.ErrorText(k.err)), evidence, look), false
	case v == nil && !k.build.Kubectl:
		// Not kubectl as far as its bytes say: what it is instead is host.binaries' to tell.
		return cannotTellFinding(n, k, checks.StatusOK, fmt.Sprintf("%s carries nothing of kubectl: not judged (host.binaries says what it is)", k.path), evidence, look), false
	case v == nil:
		return cannotTellFinding(n, k, checks.StatusWarn, fmt.Sprintf("cannot tell the version of %s: it is kubectl, but its build stamped no version", k.path), evidence, look), false
	}
	evidence = append(evidence, fmt.Sprintf("kubectl: %s, stamped %d times in the binary (read, never run)", displayVersion(v), k.build.Stamps))
	f = checks.Finding{
		Severity: checks.StatusOK,
		Message:  fmt.Sprintf("%s is kubectl %s", k.path, displayVersion(v)),
		File:     n.Ref(k.path, 0, 0),
		Evidence: evidence,
		Commands: []checks.Command{look},
	}
	if server == nil {
		return f, true
	}
	s := CompareSkew(ComponentKubectl, v, server)
	f.Evidence = append(f.Evidence, "server: "+displayVersion(server))
	f.Message = fmt.Sprintf("%s is kubectl %s, %s the server %s", k.path, displayVersion(v), s.Distance(), MinorString(server))
	f.Commands = append(f.Commands, checks.Cmd("kubectl", "version"))
	if !s.Allowed {
		f.Severity, f.Cause = checks.StatusFail, true
		f.Message += ": " + s.Rule() + "; far outside it kubectl misreads the API or cannot talk to it at all"
		// The node's architecture, as its kubectl's header says; this machine's only when it
		// does not say (the hint names which).
		arch, whose := k.arch, "the node's"
		if arch == "" {
			arch, whose = runtime.GOARCH, "this machine's (the node's kubectl does not say its own)"
		}
		url := kubectlDownloadURLFor(server, "linux", arch)
		f.Evidence = append(f.Evidence, "architecture for the download: "+arch+", "+whose)
		f.Hint = fmt.Sprintf("Install kubectl %s (%s to %s are supported): `%s`, then `%s`.",
			MinorString(server), MinorString(server.SubtractMinor(1)), MinorString(server.AddMinor(1)),
			checks.Cmd("curl", "-fsSLo", "/tmp/kubectl", url), checks.Cmd("install", "-m", "0755", "/tmp/kubectl", shown))
	}
	return f, true
}

func cannotTellFinding(n *nodefs.FS, k nodeKubectl, sev checks.Severity, msg string, evidence []string, look checks.Command) checks.Finding {
	return checks.Finding{
		Severity: sev,
		Message:  msg,
		File:     n.Ref(k.path, 0, 0),
		Evidence: evidence,
		Hint:     "kockpit reads the version kubectl's build stamps into it and never runs it; look at the stamps yourself, or run it with --client on a machine you trust.",
		Commands: []checks.Command{look, checks.Cmd("file", n.Display(k.path))},
	}
}
