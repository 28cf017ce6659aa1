package storage

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// socket makes a Unix socket node in the tree (mknod needs no privilege for sockets).
func socket(t *testing.T, tr *hosttest.Tree, p string) {
	t.Helper()
	tr.Mkdir(p[:len(p)-len("/"+lastElem(p))])
	if err := unix.Mknod(tr.Path(p), unix.S_IFSOCK|0o600, 0); err != nil {
		t.Fatal(err)
	}
}

func lastElem(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

func csiNodeWith(name string, drivers ...string) *storagev1.CSINode {
	n := &storagev1.CSINode{TypeMeta: metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "CSINode"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, d := range drivers {
		n.Spec.Drivers = append(n.Spec.Drivers, storagev1.CSINodeDriver{Name: d, NodeID: name})
	}
	return n
}

func registryEnv(t *testing.T, tr *hosttest.Tree, objs ...any) *checks.Env {
	env := offline(t, objs...)
	env.Host = &checks.Host{Root: tr.Dir, Since: nodefs.DefaultHostSince}
	return env
}

func TestStoragePluginsRegistryHealthy(t *testing.T) {
	tr := hosttest.New(t).File("/etc/hostname", "worker1\n", 0o644)
	socket(t, tr, "/var/lib/kubelet/plugins_registry/csi.example.com-reg.sock")
	socket(t, tr, "/var/lib/kubelet/plugins/csi.example.com/csi.sock")
	r := checktest.RunCheck(t, registryEnv(t, tr, csiNodeWith("worker1", "csi.example.com")), "storage.plugins-registry")
	checktest.RequireNoProblems(t, r)
	if r.Summary != "1 CSI plugin registration in /var/lib/kubelet/plugins_registry, as CSINode worker1 lists" {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestStoragePluginsRegistryBroken(t *testing.T) {
	tr := hosttest.New(t).File("/etc/hostname", "worker1\n", 0o644).
		// A copy of the registration socket: a regular file the kubelet cannot dial.
		File("/var/lib/kubelet/plugins_registry/rbd.csi.ceph.com-reg.sock", "", 0o600).
		// The driver's own socket written over.
		File("/var/lib/kubelet/plugins/csi.example.com/csi.sock", "oops\n", 0o644)
	socket(t, tr, "/var/lib/kubelet/plugins_registry/csi.example.com-reg.sock")
	socket(t, tr, "/var/lib/kubelet/plugins_registry/nfs.csi.k8s.io-reg.sock")
	env := registryEnv(t, tr, csiNodeWith("worker1", "csi.example.com", "ebs.csi.aws.com"))
	r := checktest.RunCheck(t, env, "storage.plugins-registry")
	byMsg := func(s string) checks.Finding {
		f := checktest.FindingWith(r, s)
		if f == nil {
			t.Fatalf("no finding says %q:\n%s", s, checktest.DescribeObjectFindings(r))
		}
		return *f
	}
	f := byMsg("rbd.csi.ceph.com's registration socket /var/lib/kubelet/plugins_registry/rbd.csi.ceph.com-reg.sock is a regular file, not a socket")
	if f.Severity != checks.StatusFail || f.File == nil {
		t.Errorf("finding %+v", f)
	}
	byMsg("csi.example.com's socket /var/lib/kubelet/plugins/csi.example.com/csi.sock is a regular file, not a socket")
	byMsg("nfs.csi.k8s.io's registration socket is here, but CSINode worker1 does not list it")
	g := byMsg("CSINode worker1 lists driver ebs.csi.aws.com, but its registration socket /var/lib/kubelet/plugins_registry/ebs.csi.aws.com-reg.sock is gone")
	if g.Severity != checks.StatusWarn {
		t.Errorf("severity %v", g.Severity)
	}
	if !slices.ContainsFunc(g.Commands, func(c checks.Command) bool {
		return c.String() == "kubectl get csinode worker1 -o 'jsonpath={.spec.drivers[*].name}'"
	}) {
		t.Errorf("commands = %v", g.Commands)
	}
}

// Without the cluster's objects the sockets are still judged; the CSINode comparison says why
// it was not made.
func TestStoragePluginsRegistryWithoutObjects(t *testing.T) {
	tr := hosttest.New(t).File("/etc/hostname", "worker1\n", 0o644)
	socket(t, tr, "/var/lib/kubelet/plugins_registry/csi.example.com-reg.sock")
	env := &checks.Env{Host: &checks.Host{Root: tr.Dir, Since: nodefs.DefaultHostSince}}
	r := checktest.RunCheck(t, env, "storage.plugins-registry")
	checktest.RequireNoProblems(t, r)
	if r.Summary != "1 CSI plugin registration in /var/lib/kubelet/plugins_registry (not compared with the CSINode: no cluster objects in this run)" {
		t.Errorf("summary = %q", r.Summary)
	}
}
