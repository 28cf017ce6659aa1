package cri

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kockpit/kockpit/host"
)

// DefaultSockets are the sockets crictl tries, in its order, when nothing names one.
var DefaultSockets = []string{"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/cri-dockerd.sock"}

// CrictlConfig is where crictl reads its endpoint.
const CrictlConfig = "/etc/crictl.yaml"

// Candidate is a socket to try, on the node, and what named it.
type Candidate struct {
	Path string
	From string
}

// SocketPath turns a CRI endpoint ("unix:///run/containerd/containerd.sock", or a bare
// absolute path as older crictl accepted) into the socket's path.
func SocketPath(endpoint string) (string, error) {
	p := endpoint
	if scheme, rest, ok := strings.Cut(endpoint, "://"); ok {
		if scheme != "unix" {
			return "", fmt.Errorf("endpoint %q: only unix:// sockets are supported", endpoint)
		}
		p = rest
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("endpoint %q: want unix:///absolute/path", endpoint)
	}
	return filepath.Clean(p), nil
}

// CrictlEndpoint reads runtime-endpoint from a crictl.yaml; "" when it sets none.
func CrictlEndpoint(data []byte) (string, error) {
	var c struct {
		RuntimeEndpoint string `yaml:"runtime-endpoint"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return "", err
	}
	return c.RuntimeEndpoint, nil
}

// Candidates lists the sockets to try in order: crictl's config, the kubelet's
// containerRuntimeEndpoint, then crictl's defaults. A configured endpoint that is not a unix
// socket is returned as an error beside the others.
func Candidates(crictlEndpoint, kubeletEndpoint string) ([]Candidate, []error) {
	var out []Candidate
	var errs []error
	seen := map[string]bool{}
	add := func(endpoint, from string) {
		if endpoint == "" {
			return
		}
		p, err := SocketPath(endpoint)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
			return
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, Candidate{Path: p, From: from})
		}
	}
	add(crictlEndpoint, CrictlConfig)
	add(kubeletEndpoint, "the kubelet's containerRuntimeEndpoint")
	for _, s := range DefaultSockets {
		add(s, "crictl's default")
	}
	return out, errs
}

// ErrNoSocket is no socket at any of the paths tried.
var ErrNoSocket = errors.New("no container runtime socket")

// Find returns the first candidate that is a socket under the root, as a path on this
// machine (links resolved as the node would), and the candidate. When none is, the error
// names every path tried and what each is.
func Find(ctx context.Context, root *host.Root, cands []Candidate) (string, Candidate, error) {
	var tried []string
	for _, c := range cands {
		resolved, err := root.Resolve(ctx, c.Path)
		if err == nil {
			var e host.Entry
			e, err = root.Lstat(ctx, resolved)
			if err == nil && e.Mode.Type() == fs.ModeSocket {
				return filepath.Join(root.Dir(), resolved), c, nil
			}
			if err == nil {
				err = fmt.Errorf("not a socket (%s)", e.Mode.Type())
			}
		}
		why := "absent"
		if !errors.Is(err, fs.ErrNotExist) {
			why = errText(err)
		}
		tried = append(tried, fmt.Sprintf("%s (%s): %s", root.Display(c.Path), c.From, why))
	}
	return "", Candidate{}, fmt.Errorf("%w: tried %s", ErrNoSocket, strings.Join(tried, "; "))
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
