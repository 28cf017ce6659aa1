// Package testcluster runs a real Kubernetes control plane on loopback for kockpit's tests:
// etcd, kube-apiserver and a kube-controller-manager that only aggregates the built-in
// ClusterRoles. No kubelet, scheduler or other controller runs, so fixture objects stay exactly
// as written, status included, and every request is recorded in an audit log that proves
// kockpit never writes.
//
// The servers come from hack/kube-binaries.sh; etcd from the system (Debian's etcd-server).
package testcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"k8s.io/client-go/rest"
)

// KubeVersion is the version of the servers the tests run against.
const KubeVersion = "v1.37.2"

// Names in the kubeconfigs the cluster writes, for KubeconfigWith's mutate functions.
const (
	ClusterName   = "testcluster"
	AdminUser     = "admin"
	ViewerUser    = "viewer"
	AdminContext  = AdminUser + "@" + ClusterName
	ViewerContext = ViewerUser + "@" + ClusterName
)

// ErrBinariesMissing is returned by Start when kube-apiserver, kube-controller-manager or etcd
// cannot be found.
var ErrBinariesMissing = errors.New("test cluster binaries missing")

// Options configures a cluster. The zero value works.
type Options struct {
	// Fixtures are YAML files or directories of them, applied as by Apply once the cluster is up
	// and never deleted.
	Fixtures []string
}

// Cluster is a running control plane. Its fields are read-only.
type Cluster struct {
	// Server is the API server's URL, https://127.0.0.1:PORT.
	Server string
	// CAFile is the PEM file of the CA that signed the server's certificate.
	CAFile string
	// AdminKubeconfig is a kubeconfig for user "admin", in group system:masters.
	AdminKubeconfig string
	// ViewerKubeconfig is a kubeconfig for user "viewer", bound only to ClusterRole "view" by a
	// RoleBinding in ViewerNamespace: it may read that namespace and nothing cluster-wide.
	ViewerKubeconfig string
	// ViewerNamespace is the namespace the viewer may read: "team-a".
	ViewerNamespace string
	// AdminConfig is the admin's REST config. Its user agent is client-go's default.
	AdminConfig *rest.Config
	// AuditLog is the API server's audit log, JSON lines, every request at level Metadata,
	// and Secrets' with their responses (AuditEvent.ResponseKind).
	AuditLog string
	// BinDir holds kube-apiserver, kube-controller-manager and kubectl.
	BinDir string
	// Dir is the temporary directory of certificates, kubeconfigs, logs and etcd's data.
	Dir string

	adminToken, viewerToken string
	procs                   []*process // in start order

	apiMu sync.Mutex
	api   *apiClients // built on first Apply
}

// ViewerNamespace's name.
const viewerNamespace = "team-a"

// BinDir is where the kube binaries are looked for: $KOCKPIT_KUBE_BIN, else
// $KOCKPIT_CACHE/kube-VERSION/bin, else kockpit/kube-VERSION/bin in $XDG_CACHE_HOME or
// ~/.cache: where hack/kube-binaries.sh builds them, by the same rules.
func BinDir() string {
	if d := os.Getenv("KOCKPIT_KUBE_BIN"); d != "" {
		return d
	}
	cache := os.Getenv("KOCKPIT_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				home = os.TempDir()
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "kockpit")
	}
	return filepath.Join(cache, "kube-"+KubeVersion, "bin")
}

// etcdPath is $KOCKPIT_ETCD, else etcd on PATH.
func etcdPath() (string, error) {
	if p := os.Getenv("KOCKPIT_ETCD"); p != "" {
		return p, nil
	}
	return exec.LookPath("etcd")
}

// findBinaries returns the bin dir and etcd, or an error wrapping ErrBinariesMissing that says
// what is missing and how to get it.
func findBinaries() (binDir, etcd string, err error) {
	binDir = BinDir()
	var missing []string
	for _, name := range []string{"kube-apiserver", "kube-controller-manager"} {
		if !isExecutable(filepath.Join(binDir, name)) {
			missing = append(missing, filepath.Join(binDir, name)+" (build it with hack/kube-binaries.sh or set KOCKPIT_KUBE_BIN)")
		}
	}
	etcd, lookErr := etcdPath()
	if lookErr != nil || !isExecutable(etcd) {
		missing = append(missing, "etcd (apt-get install etcd-server, or set KOCKPIT_ETCD)")
	}
	if len(missing) > 0 {
		return "", "", fmt.Errorf("%w: %v", ErrBinariesMissing, missing)
	}
	return binDir, etcd, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start starts a cluster and waits until it serves, the built-in roles are aggregated, the
// viewer is bound and the fixtures are applied. Stop it with Stop.
func Start(opts Options) (*Cluster, error) {
	binDir, etcd, err := findBinaries()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		c, err := start(opts, binDir, etcd)
		if err == nil || !errors.Is(err, errPortInUse) || attempt == 3 {
			return c, err
		}
	}
}

// Stop kills the servers and removes Dir. It may be called more than once.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].stop()
	}
	c.procs = nil
	if c.Dir != "" {
		_ = os.RemoveAll(c.Dir)
	}
}
