package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/kubeletconfig"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// This file judges the kubelet's static pods: the directory its config names, and every
// manifest in it, parsed as the kubelet parses them.

// kubeadmManifests is where kubeadm writes the control plane's static pods.
const kubeadmManifests = "/etc/kubernetes/manifests"

// staticManifest is one file the kubelet reads as a static pod.
type staticManifest struct {
	path string
	pod  *corev1.Pod // nil when it does not parse or holds no pod
}

// staticPodFindings judges staticPodPath and the manifests it holds.
func staticPodFindings(ctx context.Context, n *nodefs.FS, k *kubeletconfig.Setup) []checks.Finding {
	dir := k.Config.StaticPodPath
	budget := n.Budget() // listing and parsing the manifests, together
	stray, strayErr := manifestFiles(ctx, n, kubeadmManifests)
	waiting := stray.count()
	at := k.At(n, "staticPodPath")
	evidence := []string{k.Origin(n)}
	if q := k.Quote("staticPodPath"); q != "" {
		evidence = append(evidence, q)
	}
	switch {
	case dir == "" && len(stray.files) > 0:
		return []checks.Finding{{Severity: checks.StatusFail, File: at, Evidence: evidence, Cause: true,
			Message:  fmt.Sprintf("the kubelet has no staticPodPath, so it runs none of the %s manifests in %s", waiting, kubeadmManifests),
			Hint:     fmt.Sprintf("Set `staticPodPath: %s` in %s and restart the kubelet (systemctl restart kubelet).", kubeadmManifests, n.Display(k.Path)),
			Commands: []checks.Command{checks.Cmd("grep", "-n", "staticPodPath", n.Display(k.Path)), checks.Cmd("ls", "-la", n.Display(kubeadmManifests))}}}
	case dir == "":
		return nil
	}
	e, err := n.Stat(ctx, dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, nodefs.ErrNotADirectory) {
		return []checks.Finding{n.Unreadable(dir, err)}
	}
	if err != nil {
		msg := fmt.Sprintf("staticPodPath %s does not exist: the kubelet runs no static pods", dir)
		if len(stray.files) > 0 && path.Clean(dir) != kubeadmManifests {
			msg += fmt.Sprintf(", while %s manifests wait in %s", waiting, kubeadmManifests)
		}
		return []checks.Finding{{Severity: checks.StatusFail, File: at, Evidence: evidence, Cause: true, Message: msg,
			Hint:     fmt.Sprintf("Point staticPodPath back at the manifests (kubeadm: %s) and restart the kubelet.", kubeadmManifests),
			Commands: []checks.Command{checks.Cmd("grep", "-n", "staticPodPath", n.Display(k.Path)), checks.Cmd("ls", "-la", n.Display(dir))}}}
	}
	m := manifests{files: []string{dir}, coverage: nodefs.Coverage{Dir: dir, Exact: true}} // the kubelet also accepts a single manifest file
	if e.IsDir() {
		// An unreadable directory is not an empty one: say so rather than conclude from nothing.
		if sameDir(ctx, n, dir, kubeadmManifests) {
			m, err = stray, strayErr // listed once
		} else {
			m, err = manifestFiles(ctx, n, dir)
		}
		if err != nil {
			return []checks.Finding{n.Unreadable(dir, err)}
		}
	}
	switch {
	case len(m.files) == 0 && m.coverage.Full():
		return emptyStaticPodDir(ctx, n, k, dir, stray, at, evidence)
	case len(m.files) == 0:
		// The listing stopped before any manifest: too large to say it is empty.
		return []checks.Finding{*m.coverage.Finding(n)}
	}
	return parseStaticPods(ctx, n, m, budget)
}

// sameDir reports whether two node paths name the same directory once links are followed.
func sameDir(ctx context.Context, n *nodefs.FS, a, b string) bool {
	ra, err := n.Resolve(ctx, a)
	if err != nil {
		return false
	}
	rb, err := n.Resolve(ctx, b)
	return err == nil && ra == rb
}

func emptyStaticPodDir(ctx context.Context, n *nodefs.FS, k *kubeletconfig.Setup, dir string, stray manifests, at *checks.FileRef, evidence []string) []checks.Finding {
	switch {
	case len(stray.files) > 0 && path.Clean(dir) != kubeadmManifests:
		return []checks.Finding{{Severity: checks.StatusFail, File: at, Evidence: evidence, Cause: true,
			Message: fmt.Sprintf("staticPodPath is %s, which is empty, while %s manifests wait in %s: the control plane's pods are not run",
				dir, stray.count(), kubeadmManifests),
			Hint:     fmt.Sprintf("Set `staticPodPath: %s` in %s and restart the kubelet.", kubeadmManifests, n.Display(k.Path)),
			Commands: []checks.Command{checks.Cmd("grep", "-n", "staticPodPath", n.Display(k.Path)), checks.Cmd("ls", "-la", n.Display(kubeadmManifests))}}}
	case n.Exists(ctx, "/etc/kubernetes/pki/ca.key"):
		return []checks.Finding{{Severity: checks.StatusWarn, File: at, Evidence: evidence,
			Message:  fmt.Sprintf("staticPodPath %s holds no manifests, yet this node holds the cluster CA's key: a control plane without its static pods", dir),
			Hint:     "Restore the manifests (kubeadm init phase control-plane all, and etcd local) or find where they were moved.",
			Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(dir)), checks.Cmd("crictl", "ps", "-a")}}}
	}
	return nil
}

// manifests are the files the kubelet reads as static pods in a directory, as far as it was
// listed: a huge directory gives its first files by name, and its coverage says so.
type manifests struct {
	files    []string
	coverage nodefs.Coverage
}

// count is how many manifests there are, as a person reads it: "3", or "at least 20000" of a
// directory too large to list fully.
func (m manifests) count() string {
	if m.coverage.Capped || m.coverage.TimedOut || !m.coverage.Exact {
		return fmt.Sprintf("at least %d", len(m.files))
	}
	return fmt.Sprint(len(m.files))
}

// manifestFiles lists what the kubelet would read in a directory: every regular file whose name
// does not start with a dot, whatever its extension (a `.bak` copy is read too).
// A directory that does not exist holds none; one that cannot be read returns the error.
func manifestFiles(ctx context.Context, n *nodefs.FS, dir string) (manifests, error) {
	l, _, err := n.ListMatching(ctx, dir, func(name string) bool { return !strings.HasPrefix(name, ".") })
	m := manifests{coverage: nodefs.CoverageOf(dir, "entries", l)}
	m.coverage.Judged = len(l.Entries)
	if err != nil {
		return m, err
	}
	for _, e := range l.Entries {
		if e.IsRegular() || e.Mode&fs.ModeSymlink != 0 {
			m.files = append(m.files, e.Path)
		}
	}
	return m, nil
}

// Kinds of findings about a static pod manifest, grouped when many files share one.
const (
	manifestBroken = "does-not-parse"
	manifestAgain  = "defined-again"
)

// parseStaticPods parses each manifest as the kubelet would, within the directory's budget,
// and finds the pods two files both define (the kubelet runs only one of them). Findings
// about many manifests of one kind are grouped.
func parseStaticPods(ctx context.Context, n *nodefs.FS, m manifests, budget nodefs.Budget) []checks.Finding {
	var groups nodefs.Groups
	var pods []staticManifest
	byName := map[string]string{}
	cov := m.coverage
	cov.Judged = 0
	dir := path.Dir(m.files[0])
	for _, p := range m.files {
		if budget.Spent() {
			cov.TimedOut = true
			break
		}
		cov.Judged++
		sm, f := parseStaticPod(ctx, n, p)
		if f != nil {
			groups.Add(manifestBroken, *f, func(count int) checks.Finding {
				return checks.Finding{File: n.Ref(dir, 0, 0),
					Message:  fmt.Sprintf("%d static pod manifests in %s cannot be used (they do not parse, or cannot be read): the kubelet skips them", count, dir),
					Hint:     "Fix the manifests, or move what is not a manifest out of the directory: the kubelet reads every file there whose name does not start with a dot.",
					Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(dir)).Pipe("head", "-n", "20"), checks.Cmd("journalctl", "-u", "kubelet", "--since", "-10m").Pipe("grep", "-i", "manifest")}}
			})
			continue
		}
		key := sm.pod.Namespace + "/" + sm.pod.Name
		if first, dup := byName[key]; dup {
			groups.Add(manifestAgain, checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
				Message:  fmt.Sprintf("%s defines the static pod %q again, as %s does: the kubelet runs only one of them", p, sm.pod.Name, first),
				Evidence: []string{"first: " + n.Display(first), "again: " + n.Display(p)},
				Hint:     "Move the copy (a backup such as .bak or .orig) out of the manifests directory: the kubelet reads every file there whose name does not start with a dot.",
				Commands: []checks.Command{checks.Cmd("grep", "-n", "^  name:").Glob(n.Display(path.Dir(p)), "*")}},
				func(count int) checks.Finding {
					return checks.Finding{File: n.Ref(dir, 0, 0),
						Message:  fmt.Sprintf("%d manifests in %s define static pods another file there defines already: the kubelet runs only one of each", count, dir),
						Commands: []checks.Command{checks.Cmd("grep", "-rn", "^  name:", n.Display(dir)).Pipe("sort", "-t:", "-k4").Pipe("head", "-n", "40")}}
				})
			continue
		}
		byName[key] = p
		pods = append(pods, sm)
	}
	findings := groups.Findings()
	if len(pods) > 0 {
		var names []string
		for _, sm := range pods {
			names = append(names, fmt.Sprintf("%s: %s", n.Display(sm.path), sm.pod.Name))
		}
		findings = append(findings, checks.Finding{Severity: checks.StatusOK,
			Message:  fmt.Sprintf("%d static pod manifests parse", len(pods)),
			Evidence: nodefs.CapEvidence(names, 20), Commands: []checks.Command{checks.Cmd("crictl", "pods")}})
	}
	if f := cov.Finding(n); f != nil {
		findings = append(findings, *f)
	}
	return findings
}

// parseStaticPod reads one manifest with kockpit's own snapshot decoder, which locates errors
// by line and column as the kubelet's log does not.
func parseStaticPod(ctx context.Context, n *nodefs.FS, p string) (staticManifest, *checks.Finding) {
	m := staticManifest{path: p}
	f, err := n.ReadFile(ctx, p)
	if err != nil {
		u := n.Unreadable(p, err)
		return m, &u
	}
	if f.Truncated {
		return m, &checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0),
			Message:  fmt.Sprintf("%s is larger than %s: no pod manifest is this big", p, phrase.Bytes(n.Limits().MaxFileBytes)),
			Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(p))}}
	}
	snap, err := kube.LoadSnapshotFS(ctx, fstest.MapFS{"manifest": {Data: f.Data}}, "manifest", n.Display(p))
	if err == nil {
		pods, lerr := kube.ListOf[*corev1.Pod](ctx, snap, kube.Pods)
		if lerr == nil && len(pods) > 0 {
			m.pod = pods[0]
			return m, nil
		}
		err = errors.New("it holds no Pod: the kubelet runs only `kind: Pod` manifests")
	}
	finding := checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
		Message:  fmt.Sprintf("the static pod manifest %s does not parse: the kubelet skips it", p),
		Evidence: []string{err.Error()},
		Hint:     "Fix the manifest; the kubelet picks it up within seconds (journalctl -u kubelet shows its own error).",
		Commands: []checks.Command{checks.Cmd("journalctl", "-u", "kubelet", "--since", "-10m").Pipe("grep", "-i", path.Base(p))}}
	var ie *kube.InputError
	if errors.As(err, &ie) {
		finding.File = n.Ref(p, ie.Line, ie.Column)
		finding.Evidence = []string{ie.Msg}
		if ie.Fix != "" {
			finding.Hint = "Fix the manifest (" + ie.Fix + "); the kubelet picks it up within seconds."
		}
		if ie.Line > 0 {
			finding.Commands = append([]checks.Command{checks.Cmd("sed", "-n", fmt.Sprintf("%d,%dp", max(ie.Line-2, 1), ie.Line+2), n.Display(p))}, finding.Commands...)
		}
	}
	return m, &finding
}
