package checks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/hubble"
)

// Env is everything a check may read. Fields are nil when the run lacks them (no kubeconfig,
// offline snapshot); the runner skips checks whose Needs are not met before calling Run.
type Env struct {
	// Snapshot holds the cluster objects, live or from files. Nil when there is no cluster.
	Snapshot *kube.Snapshot
	// Cluster is live access to the API server. Nil offline.
	Cluster *kube.Cluster
	// Kubeconfig is the loaded kubeconfig. Nil offline or when none was found.
	Kubeconfig *kube.Kubeconfig
	// Path is the PATH to look commands up in (kubectl); tests point it at fixtures.
	Path string
	// Now is the clock for expiry and age decisions.
	Now func() time.Time
	// Host is the node whose files host checks read. Nil when kockpit does not run on (or
	// against) a node.
	Host *Host
	// Runtime says how runtime checks reach the node's container runtime over CRI. Nil: they
	// find its socket under Host.Root as crictl does.
	Runtime *Runtime
	// Active allows checks that send traffic of their own (a DNS query through a
	// port-forward) rather than only read; --no-active turns it off.
	Active bool
	// DNSProbeName is the name outside the cluster the DNS probe asks CoreDNS for
	// (--dns-probe-name); empty means registry.k8s.io.
	DNSProbeName string
	// Flows are Cilium Hubble's flows: a relay (--hubble-server) or a recording
	// (--hubble-flows). Nil when the run has neither.
	Flows hubble.Source
	// FlowsSince is how far back a live read of flows goes (--hubble-since); a recording is
	// read whole.
	FlowsSince time.Duration
	// Selected is the set of checks of this run, for checks that reason about the others
	// (which of them a restricted user degrades).
	Selected []Check
}

// Host is a node's file system as host checks see it.
type Host struct {
	// Root prefixes every path: "/" on a node, "/host" in a pod that mounts the node, a
	// fixture tree in tests.
	Root string
	// Since is how far back the timeline looks for changed files.
	Since time.Duration
	// Unpacked says the files were written just now from an embedded scenario (the demo's
	// node): their timestamps, inode attributes and file system are this machine's, so the
	// checks that read those skip rather than judge them. Findings and commands name the
	// node's paths ("/usr/bin/kubeadm"), not the copy's.
	Unpacked bool
	// Recorded is the sidecar file the unpacking wrote beside the tree: the owners and inode
	// flags it could not give the copy (see host.Recorded). Only an unpacked tree has one.
	Recorded string
}

// Runtime is how the node's container runtime is reached.
type Runtime struct {
	// Endpoint is the runtime's socket on this machine (--cri-endpoint unix:///PATH); empty:
	// found under Host.Root.
	Endpoint string
	// Timeout bounds each CRI call; zero takes the CRI client's default.
	Timeout time.Duration
}

// SkipOrError turns an error from the snapshot into the result a reader can act on: forbidden,
// offline, not in the snapshot files and not served by this cluster become a Skip with the
// reason; anything else (a server that does not answer included) an Error, so that a run
// whose checks could not look never passes for a healthy one.
func SkipOrError(err error) Result {
	switch {
	case apierrors.IsForbidden(err):
		return Skipped(SkipForbidden, "forbidden: "+err.Error())
	case forbiddenInSnapshot(err):
		return Skipped(SkipForbidden, "forbidden: "+err.Error())
	case errors.Is(err, kube.ErrOffline):
		return Skipped(SkipOffline, "offline snapshot: needs a live API server")
	case errors.Is(err, kube.ErrNotCollected):
		return Skipped(SkipNotCollected, err.Error())
	case errors.Is(err, kube.ErrNotInstalled):
		return Skipped(SkipNotInstalled, err.Error())
	case !isAPIStatus(err) && !errors.Is(err, context.Canceled):
		// The request never got an answer: say so in api.reachable's words, not as a raw URL.
		msg, _ := kube.ClassifyConnError(err)
		return Errored(fmt.Sprintf("%s: %s (see api.reachable)", failedStep(err), msg))
	default:
		return Errored(err.Error())
	}
}

// forbiddenInSnapshot is a kind the snapshot's header records as forbidden to its taker.
func forbiddenInSnapshot(err error) bool {
	var nc *kube.NotCollectedError
	return errors.As(err, &nc) && nc.Forbidden
}

func isAPIStatus(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}

// failedStep is what the check was doing when err happened: "listing pods", from the
// snapshot's "listing pods: page 1: ..." wrapping.
func failedStep(err error) string {
	step, _, found := strings.Cut(err.Error(), ":")
	if !found || len(step) > 80 {
		return "asking the API server"
	}
	return step
}

// CurrentTime is Env.Now, or the wall clock when the Env sets no clock.
func (e *Env) CurrentTime() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// SearchPath is Env.Path, or kockpit's own PATH when the Env sets none.
func (e *Env) SearchPath() string {
	if e.Path != "" {
		return e.Path
	}
	return os.Getenv("PATH")
}

// NodePath is the node path of a file a finding names, when it lies on the node: under Root
// as reached from here, or already a node path when the files are an unpacked copy.
func (h *Host) NodePath(shown string) (string, bool) {
	if h == nil || h.Root == "" {
		return "", false
	}
	if h.Unpacked {
		if !filepath.IsAbs(shown) {
			return "", false
		}
		return filepath.ToSlash(filepath.Clean(shown)), true
	}
	rel, err := filepath.Rel(h.Root, shown)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return "/" + filepath.ToSlash(rel), true
}
