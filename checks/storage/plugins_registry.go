package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	storagev1 "k8s.io/api/storage/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// pluginsRegistryCheck is the storage.plugins-registry check.
var pluginsRegistryCheck = checks.Check{
	ID:       "storage.plugins-registry",
	Title:    "The kubelet's CSI plugin registrations on this node match its CSINode",
	Category: checks.CategoryStorage,
	Learn:    learn("storage.plugins-registry"),
	Needs:    checks.NeedsHost,
	Reads:    []kube.Resource{kube.CSINodes},
	Run:      nodefs.Run(runPluginsRegistry),
}

const (
	pluginsRegistryDir = "/var/lib/kubelet/plugins_registry"
	pluginsDir         = "/var/lib/kubelet/plugins"
	// regSuffix ends the socket node-driver-registrar creates for the kubelet: <driver>-reg.sock.
	regSuffix = "-reg.sock"
)

func runPluginsRegistry(ctx context.Context, n *nodefs.FS) checks.Result {
	l, exists, err := n.ListOptional(ctx, pluginsRegistryDir)
	if err != nil {
		return n.Result([]checks.Finding{n.Unreadable(pluginsRegistryDir, err)}, "")
	}
	if !exists && !n.Exists(ctx, "/var/lib/kubelet") {
		return checks.Skipped(checks.SkipNotApplicable, "no kubelet state under "+n.Dir())
	}
	var findings []checks.Finding
	var registered []string // drivers whose registration socket is there
	cov := nodefs.CoverageOf(pluginsRegistryDir, "registrations", l)
	for _, e := range l.Entries {
		cov.Judged++
		if !strings.HasSuffix(e.Name(), regSuffix) {
			continue
		}
		driver := strings.TrimSuffix(e.Name(), regSuffix)
		if e.Mode.Type() != fs.ModeSocket {
			findings = append(findings, notSocketFinding(n, e, driver, "registration socket", "the kubelet cannot reach the registrar, so "+driver+" is not registered on this node"))
			continue
		}
		registered = append(registered, driver)
		findings = append(findings, driverSocketFindings(ctx, n, driver)...)
	}
	if f := cov.Finding(n); f != nil {
		findings = append(findings, *f)
	}
	node, csiNode, why := thisCSINode(ctx, n)
	if csiNode != nil {
		findings = append(findings, compareCSINode(ctx, n, node, csiNode, registered)...)
	}
	quiet := fmt.Sprintf("%s in %s", phrase.Count(len(registered), "CSI plugin registration", "CSI plugin registrations"), pluginsRegistryDir)
	if why != "" {
		quiet += " (not compared with the CSINode: " + why + ")"
	} else {
		quiet += ", as CSINode " + node + " lists"
	}
	return n.Result(findings, quiet)
}

// thisCSINode is the CSINode of the node whose files these are, found by its hostname; why
// says why there is none to compare with.
func thisCSINode(ctx context.Context, n *nodefs.FS) (string, *storagev1.CSINode, string) {
	f, ok, err := n.ReadOptional(ctx, "/etc/hostname")
	if err != nil || !ok || f.Truncated {
		return "", nil, "the node's name is not known (/etc/hostname)"
	}
	node := strings.TrimSpace(string(f.Data))
	if node == "" || strings.ContainsAny(node, "\n/") {
		return "", nil, "the node's name is not known (/etc/hostname)"
	}
	if n.Env.Snapshot == nil {
		return node, nil, "no cluster objects in this run"
	}
	list, err := kube.ListOf[*storagev1.CSINode](ctx, n.Env.Snapshot, kube.CSINodes)
	if err != nil {
		return node, nil, "CSINodes not read: " + checks.SkipOrError(err).Summary
	}
	for _, c := range list {
		if c.Name == node {
			return node, c, ""
		}
	}
	return node, nil, "no CSINode named " + node
}

// compareCSINode: a driver the CSINode lists whose registration socket is gone (its node plugin
// stopped), and a registration socket whose driver the CSINode lacks (registration failed).
func compareCSINode(ctx context.Context, n *nodefs.FS, node string, csiNode *storagev1.CSINode, registered []string) []checks.Finding {
	var out []checks.Finding
	listed := map[string]bool{}
	cmd := checks.Cmd("kubectl", "get", "csinode", node, "-o", "jsonpath={.spec.drivers[*].name}")
	for _, d := range csiNode.Spec.Drivers {
		listed[d.Name] = true
		p := path.Join(pluginsRegistryDir, d.Name+regSuffix)
		if _, err := n.Lstat(ctx, p); !errors.Is(err, fs.ErrNotExist) {
			continue // looked up by name: present, or not known to be absent
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn, Problem: "registration-gone", File: n.Ref(p, 0, 0), Cause: true,
			Message: fmt.Sprintf("CSINode %s lists driver %s, but its registration socket %s is gone: its node plugin stopped, so new mounts of its volumes here fail", node, d.Name, p),
			Hint:    "Look at the driver's node plugin pod on this node (kubectl get pods -A -o wide --field-selector spec.nodeName=NODE): the registrar recreates the socket when it runs.",
			Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(pluginsRegistryDir)), cmd,
				checks.Cmd("kubectl", "get", "pods", "-A", "-o", "wide", "--field-selector", "spec.nodeName="+node)},
		})
	}
	for _, d := range registered {
		if listed[d] {
			continue
		}
		p := path.Join(pluginsRegistryDir, d+regSuffix)
		out = append(out, checks.Finding{
			Severity: checks.StatusFail, Problem: "registration-failed", File: n.Ref(p, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s's registration socket is here, but CSINode %s does not list it: the kubelet's registration of the driver failed, so pods here cannot mount its volumes", d, node),
			Hint:     "The kubelet logs why (a wrong endpoint in the registrar's --kubelet-registration-path, a driver that does not answer GetInfo).",
			Commands: []checks.Command{cmd, checks.Cmd("journalctl", "-u", "kubelet", "--since", "-1h").Pipe("grep", "-F", d)},
		})
	}
	return out
}

// driverSocketFindings: the driver's own socket, at the path registrars usually give it, is a
// regular file (something wrote over it) or missing.
func driverSocketFindings(ctx context.Context, n *nodefs.FS, driver string) []checks.Finding {
	p := path.Join(pluginsDir, driver, "csi.sock")
	e, err := n.Lstat(ctx, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := path.Join(pluginsDir, driver)
		if _, derr := n.Lstat(ctx, dir); derr == nil {
			return []checks.Finding{{Severity: checks.StatusWarn, Problem: "driver-socket-missing", File: n.Ref(p, 0, 0),
				Message:  fmt.Sprintf("%s is registered, but its socket %s is missing: the kubelet cannot call the driver to mount its volumes", driver, p),
				Hint:     "The driver's node plugin container creates the socket: see that it runs, and that its --endpoint is this path.",
				Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(dir))}}}
		}
		return nil // the driver keeps its socket elsewhere: nothing to judge
	case err != nil:
		return []checks.Finding{n.Unreadable(p, err)}
	case e.Mode.Type() != fs.ModeSocket:
		return []checks.Finding{notSocketFinding(n, e, driver, "socket", "the kubelet cannot call the driver, so its volumes do not mount here")}
	}
	return nil
}

func notSocketFinding(n *nodefs.FS, e host.Entry, driver, what, effect string) checks.Finding {
	kind := "a regular file"
	switch {
	case e.IsDir():
		kind = "a directory"
	case !e.IsRegular():
		kind = "a " + e.Mode.Type().String() + " file"
	}
	return checks.Finding{
		Severity: checks.StatusFail, Problem: "not-a-socket", File: n.Ref(e.Path, 0, 0), Cause: true,
		Message:  fmt.Sprintf("%s's %s %s is %s, not a socket: %s", driver, what, e.Path, kind, effect),
		Evidence: []string{fmt.Sprintf("mode %s, %d bytes", e.Mode, e.Size)},
		Hint:     "Remove it and restart the driver's node plugin pod, which creates the socket anew.",
		Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(e.Path)), checks.Cmd("stat", n.Display(e.Path))},
	}
}
