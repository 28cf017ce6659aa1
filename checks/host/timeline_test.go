//go:build linux

package host

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/phrase"
)

func TestHostTimeline(t *testing.T) {
	old := time.Now().Add(-30 * 24 * time.Hour)
	tr := hosttest.New(t).
		File("/etc/hosts", "127.0.0.1 localhost\n", 0o644).
		File("/etc/kubernetes/admin.conf", "x", 0o600).Mtime("/etc/kubernetes/admin.conf", old).
		File("/var/lib/kubelet/config.yaml", "x", 0o644).
		File("/var/lib/kubelet/pki/kubelet.crt", "x", 0o644).
		File("/var/lib/kubelet/pods/abc/volumes/secret", "x", 0o644).
		Symlink("/sbin", "usr/sbin").
		File("/usr/sbin/iptables", "x", 0o755).
		File("/usr/local/bin/kubeadm", "x", 0o755).Mtime("/usr/local/bin/kubeadm", old).
		File("/var/lib/dpkg/info/kubeadm.list", "/.\n/usr\n/usr/local/bin/kubeadm\n", 0o644)
	for i := range bulkInstall {
		p := fmt.Sprintf("/usr/bin/tool%d", i)
		tr.File(p, "x", 0o755).Mtime(p, old)
	}
	r := checktest.RunCheck(t, hostEnv(tr), "host.timeline")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/etc/kubernetes/admin.conf", "but its content claims "+phrase.Stamp(old)+": timestamps reset with touch", checks.StatusWarn)
	if !strings.HasPrefix(f.Evidence[0], "mtime "+phrase.Stamp(old)+"  ctime ") || f.Commands[0].String() != "stat "+tr.Path("/etc/kubernetes/admin.conf") {
		t.Errorf("evidence %q, commands %q", f.Evidence, f.Commands)
	}
	f = requireFinding(t, r, tr, "/usr/bin/tool0", "changed just now", checks.StatusOK)
	if len(f.Evidence) != 2 || !strings.Contains(f.Evidence[1], "an archive unpacked") {
		t.Errorf("a bulk install is not recognised: %q", f.Evidence)
	}
	for _, p := range []string{"/etc/hosts", "/var/lib/kubelet/config.yaml", "/var/lib/kubelet/pki/kubelet.crt", "/usr/sbin/iptables"} {
		requireFinding(t, r, tr, p, "changed", checks.StatusOK)
	}
	if findingOn(r, tr, "/var/lib/kubelet/pods/abc/volumes/secret", "") != nil {
		t.Errorf("pod volumes are not config")
	}
	if findingOn(r, tr, "/sbin/iptables", "") != nil {
		t.Errorf("/sbin, a link to /usr/sbin, was walked twice")
	}
	f = requireFinding(t, r, tr, "/usr/local/bin/kubeadm", "changed just now", checks.StatusOK)
	if len(f.Evidence) != 2 || !strings.Contains(f.Evidence[1], "installed by the package kubeadm at") {
		t.Errorf("a package install is not recognised: %q", f.Evidence)
	}
	if len(r.Findings) != 9 {
		t.Errorf("%d findings:\n%s", len(r.Findings), describeFindings(r))
	}
	if !strings.HasPrefix(r.Summary, "/etc/kubernetes/admin.conf: changed just now") {
		t.Errorf("summary %q", r.Summary)
	}

	// Three days later nothing is recent.
	env := hostEnv(tr)
	env.Now = func() time.Time { return time.Now().Add(72 * time.Hour) }
	r = checktest.RunCheck(t, env, "host.timeline")
	if r.Status != checks.StatusOK || len(r.Findings) != 0 || !strings.HasPrefix(r.Summary, "no file changed in the last 48h") {
		t.Errorf("three days later: %v %q %d findings", r.Status, r.Summary, len(r.Findings))
	}
}

func TestHostTimelineBoundsItsList(t *testing.T) {
	tr := hosttest.New(t)
	for i := range maxTimeline + 30 {
		tr.File(fmt.Sprintf("/etc/f%03d", i), "x", 0o644)
	}
	r := checktest.RunCheck(t, hostEnv(tr), "host.timeline")
	if len(r.Findings) != maxTimeline+1 {
		t.Fatalf("%d findings", len(r.Findings))
	}
	last := r.Findings[len(r.Findings)-1]
	if last.Message != "30 more files changed in the last 48h" || !strings.Contains(last.Commands[0].String(), "-xdev -cmin -2880") {
		t.Errorf("last finding %q %q", last.Message, last.Commands)
	}
	if !strings.HasPrefix(r.Summary, fmt.Sprintf("%d files changed in the last 48h", maxTimeline+30)) {
		t.Errorf("summary %q", r.Summary)
	}
}
