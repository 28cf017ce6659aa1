package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/internal/kubeletconfig"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/safetext"
)

// This file connects a runtime check to the node's container runtime: the socket named by
// --cri-endpoint, or found under the node's root as crictl finds it.

// criSession is a check's connection to the node's runtime.
type criSession struct {
	client *cri.Client
	// socket is the socket's path on the node (for commands run there); local is its path
	// from here.
	socket, local string
	from          string
	// kubelet is the kubelet's setup; nil when it could not be read.
	kubelet *kubeletconfig.Setup
}

// openCRI finds the runtime's socket and prepares a client; the error wraps cri.ErrNoSocket
// when no socket was found (it names every path tried).
func openCRI(ctx context.Context, n *nodefs.FS) (*criSession, error) {
	s := &criSession{}
	if k, err := kubeletconfig.Load(ctx, n); err == nil {
		s.kubelet = k
	}
	var timeout time.Duration
	if rt := n.Env.Runtime; rt != nil {
		timeout = rt.Timeout
		if rt.Endpoint != "" {
			p, err := cri.SocketPath(rt.Endpoint)
			if err != nil {
				return s, err
			}
			s.socket, s.local, s.from = p, p, "--cri-endpoint"
		}
	}
	if s.local == "" {
		cands, errs := cri.Candidates(crictlEndpoint(ctx, n), s.kubeletEndpoint(ctx, n))
		local, c, err := cri.Find(ctx, n.Root, cands)
		if err != nil {
			return s, errors.Join(append([]error{err}, errs...)...)
		}
		s.local, s.socket, s.from = local, c.Path, c.From
	}
	client, err := cri.Dial(s.local, cri.Options{Timeout: timeout})
	if err != nil {
		return s, err
	}
	s.client = client
	return s, nil
}

func (s *criSession) close() {
	if s.client != nil {
		_ = s.client.Close()
	}
}

// crictlEndpoint is the runtime-endpoint of the node's /etc/crictl.yaml, "" when unset or
// unreadable (then crictl itself would fall back to its defaults too).
func crictlEndpoint(ctx context.Context, n *nodefs.FS) string {
	f, ok, err := n.ReadOptional(ctx, cri.CrictlConfig)
	if !ok || err != nil || f.Truncated {
		return ""
	}
	e, _ := cri.CrictlEndpoint(f.Data)
	return e
}

// kubeletEndpoint is the socket the kubelet talks to: its config's containerRuntimeEndpoint,
// or the --container-runtime-endpoint flag of its unit.
func (s *criSession) kubeletEndpoint(ctx context.Context, n *nodefs.FS) string {
	if s.kubelet == nil {
		return ""
	}
	if v, _, _ := nodefs.FlagValue(ctx, n, s.kubelet.Service.All(), "container-runtime-endpoint"); v != "" {
		return v
	}
	return s.kubelet.Config.ContainerRuntimeEndpoint
}

// crictl is a crictl command line against the session's socket, as run on the node.
func (s *criSession) crictl(args ...string) checks.Command {
	return checks.Cmd("crictl", append([]string{"--runtime-endpoint", "unix://" + s.socket}, args...)...)
}

// describe names the runtime's socket and what named it, for evidence.
func (s *criSession) describe() string {
	return fmt.Sprintf("socket %s (from %s)", safetext.Message(s.socket), s.from)
}

// isNode reports whether the root holds a Kubernetes node (kubeadm's or the kubelet's
// directory): there, no runtime socket is a failure, elsewhere it is not applicable.
func isNode(ctx context.Context, n *nodefs.FS) bool {
	return n.Exists(ctx, "/etc/kubernetes") || n.Exists(ctx, "/var/lib/kubelet")
}

// noRuntimeResult is the result of a runtime check that needs the runtime's answers and
// cannot have them: the runtime.cri check reports why, the others point at it.
func noRuntimeResult(err error) checks.Result {
	if errors.Is(err, cri.ErrNoSocket) {
		return checks.Skipped(checks.SkipNotApplicable, "no container runtime socket (see runtime.cri)")
	}
	return checks.Errored(safetext.Message(err.Error()) + " (see runtime.cri)")
}

// unpackedScenario skips a check that asks the runtime when the node is a scenario's tree
// unpacked just now (the demo): no runtime runs behind it.
func unpackedScenario(n *nodefs.FS) (checks.Result, bool) {
	if n.Env.Host.Unpacked && (n.Env.Runtime == nil || n.Env.Runtime.Endpoint == "") {
		return checks.Skipped(checks.SkipNotApplicable, "not applicable: the scenario's node files were unpacked just now, and no container runtime runs behind them"), true
	}
	return checks.Result{}, false
}
