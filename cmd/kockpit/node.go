package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// nodeOptions are the flags of `kockpit node`: the report flags of the root command, and the
// node's root and timeline window.
type nodeOptions struct {
	*options
	hostRoot string
	since    time.Duration
	// criEndpoint is the runtime's socket on this machine; empty: found under hostRoot.
	criEndpoint string
}

// newNodeCommand runs the host checks alone, against a node's files: on the node itself, in
// a pod that mounts the node, or on a copy of its tree. It needs no cluster at all.
func newNodeCommand(o *options) *cobra.Command {
	n := &nodeOptions{options: o}
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Check this node's files and container runtime: binaries, kubelet, certificates, kernel, CRI, what changed lately",
		Long: `kockpit node runs the host checks alone, reading the node's files under --host-root: the
programs Kubernetes and you rely on, the kubelet's config and static pods, certificates,
immutable files, look-alike characters, kernel settings, disks, the resolver, CNI, and the
timeline of what changed within --since. It asks the container runtime over CRI (its socket
found as crictl finds it, or --cri-endpoint) for its status, containers and sandboxes, and
reads its config and unit. It needs no API server, so it works when the cluster is down. It
only reads.`,
		Example: `  sudo kockpit node                        # on the node itself
  kockpit node --host-root /host --report  # in a pod that mounts the node at /host
  kockpit node --since 6h --format json -o node.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return n.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&n.hostRoot, "host-root", "/", "the directory that holds the node's files (/host in a pod that mounts the node)")
	f.DurationVar(&n.since, "since", nodefs.DefaultHostSince, "the timeline lists files changed within this long")
	f.StringVar(&n.criEndpoint, "cri-endpoint", "", "the container runtime's CRI socket, unix:///PATH on this machine (default: found under --host-root as crictl finds it)")
	f.BoolVar(&o.report, "report", false, "print a report instead of opening the cockpit")
	f.StringVar(&o.format, "format", "text", "report format: text, json, markdown or junit")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file (atomically) instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "fail", "exit 1 when a check reaches this status: warn, fail or never")
	f.StringSliceVar(&o.only, "only", nil, "run only these node checks: IDs (host.kubelet, runtime.cri) or prefixes")
	f.StringSliceVar(&o.skip, "skip", nil, "skip these node checks: IDs or prefixes")
	f.DurationVar(&o.checkTimeout, "check-timeout", checks.DefaultCheckTimeout, "give up on a check after this long")
	f.IntVar(&o.parallel, "parallel", checks.DefaultParallelism, "how many checks run at once")
	o.cockpit.addFlags(f)
	return cmd
}

func (n *nodeOptions) run(parent context.Context) error {
	if n.listThemes() {
		return nil
	}
	root := filepath.Clean(n.hostRoot)
	fi, err := os.Stat(root)
	switch {
	case err != nil:
		return usagef("--host-root %s: %v (fix: name the directory that holds the node's files)", n.hostRoot, err)
	case !fi.IsDir():
		return usagef("--host-root %s is not a directory", n.hostRoot)
	case n.since <= 0:
		return usagef("--since must be positive, got %s", n.since)
	}
	if err := checkCRIEndpoint(n.criEndpoint); err != nil {
		return err
	}
	n.hostOnly = true
	return n.runReport(parent, hostChecks(), func(context.Context) (*checks.Env, checks.Source, error) {
		env := &checks.Env{Path: os.Getenv("PATH"), Now: time.Now, Host: &checks.Host{Root: root, Since: n.since}}
		if n.criEndpoint != "" {
			env.Runtime = &checks.Runtime{Endpoint: n.criEndpoint}
		}
		return env, checks.Source{Kind: checks.SourceHost, Path: root}, nil
	})
}

// checkCRIEndpoint refuses a --cri-endpoint that is not a unix socket, before any check runs.
func checkCRIEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	p, err := cri.SocketPath(endpoint)
	if err != nil {
		return usagef("--cri-endpoint: %v (fix: unix:///run/containerd/containerd.sock, or the socket your runtime listens on)", err)
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return usagef("--cri-endpoint %s: %v (fix: name the socket the runtime listens on; crictl info shows it)", endpoint, err)
	case fi.Mode().Type() != os.ModeSocket:
		return usagef("--cri-endpoint %s is not a socket", endpoint)
	}
	return nil
}

// hostChecks are the checks `kockpit node` runs: the host checks and the runtime's checks
// that read the node (over CRI and in its files).
func hostChecks() []checks.Check {
	var out []checks.Check
	for _, c := range catalog.All() {
		if c.Category == checks.CategoryHost || c.Needs&checks.NeedsHost != 0 {
			out = append(out, c)
		}
	}
	return out
}

// nodeMarkers are what only a Kubernetes node has: kubeadm's directory, the kubelet's.
var nodeMarkers = []string{"etc/kubernetes", "var/lib/kubelet"}

// detectNode returns the host of a run when the machine under root looks like a node, so a
// plain `kockpit` on a node checks its files too; nil otherwise.
func detectNode(root string) *checks.Host {
	for _, m := range nodeMarkers {
		if fi, err := os.Stat(filepath.Join(root, m)); err == nil && fi.IsDir() {
			return &checks.Host{Root: root, Since: nodefs.DefaultHostSince}
		}
	}
	return nil
}
