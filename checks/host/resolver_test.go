//go:build linux

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func TestHostResolver(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/resolv.conf", "# written by hand\nsearch example.com\nnameserver dns.example.com\n", 0o644).
		File("/etc/hosts", "127.0.0.1 localhost\n10.6.6.6 registry.k8s.io  # mirror\n10.6.6.7 cdn.quay.io quay.io\n192.168.1.5 localhost\n10.0.0.5 cp1\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.resolver")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/etc/hosts", "pins the registry registry.k8s.io to 10.6.6.6", checks.StatusFail)
	if f.File.Line != 2 || f.File.Column != 10 || f.Evidence[0] != "line 2: 10.6.6.6 registry.k8s.io  # mirror" {
		t.Errorf("at %d:%d, %q", f.File.Line, f.File.Column, f.Evidence)
	}
	requireFinding(t, r, tr, "/etc/hosts", "pins the registry cdn.quay.io to 10.6.6.7", checks.StatusFail)
	requireFinding(t, r, tr, "/etc/hosts", "pins the registry quay.io to 10.6.6.7", checks.StatusFail)
	requireFinding(t, r, tr, "/etc/hosts", "points localhost at 192.168.1.5", checks.StatusFail)
	requireFinding(t, r, tr, "/etc/resolv.conf", "line 3 names no IP address", checks.StatusFail)
	requireFinding(t, r, tr, "/etc/resolv.conf", "names no nameserver: the node resolves no names", checks.StatusFail)
	if len(r.Findings) != 6 {
		t.Errorf("findings:\n%s", describeFindings(r))
	}
}

func TestHostResolverLoopbackForPods(t *testing.T) {
	stub := "nameserver 127.0.0.53\noptions edns0 trust-ad\n"
	tr := hosttest.New(t).
		File("/run/systemd/resolve/stub-resolv.conf", stub, 0o644).
		Symlink("/etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf").
		File("/etc/hosts", "127.0.0.1 localhost\n::1 localhost ip6-localhost\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.resolver")
	requireFinding(t, r, tr, "/etc/resolv.conf", "names the loopback nameserver 127.0.0.53", checks.StatusWarn)

	// kubeadm points the kubelet at systemd-resolved's real file.
	tr.File("/run/systemd/resolve/resolv.conf", "nameserver 10.0.0.2\nnameserver 10.0.0.3\n", 0o644).
		File("/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nresolvConf: /run/systemd/resolve/resolv.conf\n", 0o644)
	r = checktest.RunCheck(t, hostEnv(tr), "host.resolver")
	noProblems(t, r)
	if f := findingOn(r, tr, "/run/systemd/resolve/resolv.conf", "names 10.0.0.2, 10.0.0.3"); f == nil {
		t.Errorf("the pods' resolv.conf is not shown:\n%s", describeFindings(r))
	}

	tr.File("/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nresolvConf: /run/nowhere.conf\n", 0o644)
	r = checktest.RunCheck(t, hostEnv(tr), "host.resolver")
	requireFinding(t, r, tr, "/run/nowhere.conf", "the kubelet's resolvConf", checks.StatusFail)
}

func TestHostPreload(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/ld.so.preload", "# hide things\n/usr/lib/libhide.so\n/lib/gone.so\n", 0o644).
		File("/usr/lib/libhide.so", "\x7fELF", 0o755)
	r := checktest.RunCheck(t, hostEnv(tr), "host.preload")
	f := requireFinding(t, r, tr, "/etc/ld.so.preload", "preloads /usr/lib/libhide.so into every program", checks.StatusWarn)
	if f.File.Line != 2 || f.File.Column != 1 || !strings.Contains(f.Evidence[1], "mode -rwxr-xr-x") {
		t.Errorf("at %d:%d, %q", f.File.Line, f.File.Column, f.Evidence)
	}
	requireFinding(t, r, tr, "/etc/ld.so.preload", "preloads /lib/gone.so, which does not exist", checks.StatusWarn)
	// The message names the node's file; the summary does not repeat it as reached from here.
	if strings.Contains(r.Summary, tr.Path("/")) || !strings.HasPrefix(r.Summary, "/etc/ld.so.preload preloads") {
		t.Errorf("summary %q", r.Summary)
	}

	noProblems(t, checktest.RunCheck(t, hostEnv(hosttest.New(t).File("/etc/ld.so.preload", "# nothing\n", 0o644)), "host.preload"))
	r = checktest.RunCheck(t, hostEnv(hosttest.New(t).Mkdir("/etc")), "host.preload")
	if r.Status != checks.StatusOK || !strings.Contains(r.Summary, "does not exist") {
		t.Errorf("no file: %v %q", r.Status, r.Summary)
	}
}
