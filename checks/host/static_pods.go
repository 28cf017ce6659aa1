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
	stray, _ := manifestFiles(ctx, n, kubeadmManifests)
	at := k.At(n, "staticPodPath")
	evidence := []string{k.Origin(n)}
	if q := k.Quote("staticPodPath"); q != "" {
		evidence = append(evidence, q)
	}
	switch {
	case dir == "" && len(stray) > 0:
		return []checks.Finding{{Severity: checks.StatusFail, File: at, Evidence: evidence, Cause: true,
			Message:  fmt.Sprintf("the kubelet has no staticPodPath, so it runs none of the %d manifests in %s", len(stray), kubeadmManifests),
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
		if len(stray) > 0 && path.Clean(dir) != kubeadmManifests {
			msg += fmt.Sprintf(", while %d manifests wait in %s", len(stray), kubeadmManifests)
		}
		return []checks.Finding{{Severity: checks.StatusFail, File: at, Evidence: evidence, Cause: true, Message: msg,
			Hint:     fmt.Sprintf("Point staticPodPath back at the manifests (kubeadm: %s) and restart the kubelet.", kubeadmManifests),
			Commands: []checks.Command{checks.Cmd("grep", "-n", "staticPodPath", n.Display(k.Path)), checks.Cmd("ls", "-la", n.Display(dir))}}}
	}
	var files []string
	if e.IsDir() {
		// An unreadable directory is not an empty one: say so rather than conclude from nothing.
		if files, err = manifestFiles(ctx, n, dir); err != nil {
			return []checks.Finding{n.Unreadable(dir, err)}
		}
	} else {
		files = []string{dir} // the kubelet also accepts a single manifest file
	}
	if len(files) == 0 {
		return emptyStaticPodDir(ctx, n, k, dir, stray, at, evidence)
	}
	return parseStaticPods(ctx, n, files)
}

func emptyStaticPodDir(ctx context.Context, n *nodefs.FS, k *kubeletconfig.Setup, dir string, stray []string, at *checks.FileRef, evidence []string) []checks.Finding {
	switch {
	case len(stray) > 0 && path.Clean(dir) != kubeadmManifests:
		return []checks.Finding{{Severity: checks.StatusFail, File: at, Evidence: evidence, Cause: true,
			Message: fmt.Sprintf("staticPodPath is %s, which is empty, while %d manifests wait in %s: the control plane's pods are not run",
				dir, len(stray), kubeadmManifests),
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

// manifestFiles lists what the kubelet would read in a directory: every regular file whose name
// does not start with a dot, whatever its extension (a `.bak` copy is read too).
// A directory that does not exist holds none; one that cannot be read returns the error.
func manifestFiles(ctx context.Context, n *nodefs.FS, dir string) ([]string, error) {
	l, ok, err := n.ListOptional(ctx, dir)
	if !ok {
		return nil, err
	}
	var out []string
	for _, e := range l.Entries {
		if !strings.HasPrefix(e.Name(), ".") && (e.IsRegular() || e.Mode&fs.ModeSymlink != 0) {
			out = append(out, e.Path)
		}
	}
	return out, nil
}

// parseStaticPods parses each manifest as the kubelet would, and finds the pods two files both
// define (the kubelet runs only one of them).
func parseStaticPods(ctx context.Context, n *nodefs.FS, files []string) []checks.Finding {
	var findings []checks.Finding
	var pods []staticManifest
	byName := map[string]string{}
	for _, p := range files {
		m, f := parseStaticPod(ctx, n, p)
		if f != nil {
			findings = append(findings, *f)
			continue
		}
		key := m.pod.Namespace + "/" + m.pod.Name
		if first, dup := byName[key]; dup {
			findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(p, 0, 0), Cause: true,
				Message:  fmt.Sprintf("%s defines the static pod %q again, as %s does: the kubelet runs only one of them", p, m.pod.Name, first),
				Evidence: []string{"first: " + n.Display(first), "again: " + n.Display(p)},
				Hint:     "Move the copy (a backup such as .bak or .orig) out of the manifests directory: the kubelet reads every file there whose name does not start with a dot.",
				Commands: []checks.Command{checks.Cmd("grep", "-n", "^  name:").Glob(n.Display(path.Dir(p)), "*")}})
			continue
		}
		byName[key] = p
		pods = append(pods, m)
	}
	if len(pods) > 0 {
		var names []string
		for _, m := range pods {
			names = append(names, fmt.Sprintf("%s: %s", n.Display(m.path), m.pod.Name))
		}
		findings = append(findings, checks.Finding{Severity: checks.StatusOK,
			Message:  fmt.Sprintf("%d static pod manifests parse", len(pods)),
			Evidence: names, Commands: []checks.Command{checks.Cmd("crictl", "pods")}})
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
