//go:build linux

package host

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// These tests make a small tree stand for a huge one by lowering the limits host checks read
// with: a directory holds more entries than a listing reads (MaxDirEntries), or more than a
// check judges within its time (MaxDirTime). TestNodeReportOfHugeDirectories in cmd/kockpit
// runs the real limits on 200,000 entries.

// withLimits sets the limits host checks read with for the rest of the test.
func withLimits(t *testing.T, l host.Limits) {
	old := nodefs.Limits
	nodefs.Limits = l
	t.Cleanup(func() { nodefs.Limits = old })
}

const ciliumConflist = `{"cniVersion": "0.3.1", "name": "cilium", "plugins": [{"type": "cilium-cni"}]}`

// A plugin the config runs is looked up by name, never concluded absent from a listing that
// stopped before it; many plugins with one problem give one finding with a count.
func TestHostCNIHugePluginDirectory(t *testing.T) {
	withLimits(t, host.Limits{MaxDirEntries: 100})
	tr := hosttest.New(t).
		File("/etc/cni/net.d/05-cilium.conflist", ciliumConflist, 0o644).
		Many("/opt/cni/bin", 300, func(i int) string { return fmt.Sprintf("aa-plugin-%03d", i) }, 0o644).
		Bytes("/opt/cni/bin/cilium-cni", nativeELF(t), 0o755) // sorted after the cap
	r := checktest.RunCheck(t, hostEnv(tr), "host.cni")
	if f := findingOn(r, tr, "/etc/cni/net.d/05-cilium.conflist", "lacks"); f != nil {
		t.Errorf("a capped listing concluded absence: %s", f.Message)
	}
	f := requireFinding(t, r, tr, "/opt/cni/bin", "100 files in /opt/cni/bin have no exec bit", checks.StatusFail)
	if got := strings.Join(f.Evidence, "\n"); !strings.Contains(got, tr.Path("/opt/cni/bin/aa-plugin-000")) || !strings.Contains(got, "and 95 more") {
		t.Errorf("grouped evidence:\n%s", got)
	}
	requireFinding(t, r, tr, "/opt/cni/bin", `100 files in /opt/cni/bin cannot run on this`, checks.StatusFail)
	requireFinding(t, r, tr, "/opt/cni/bin", "/opt/cni/bin holds 301 entries, too many to judge fully: the first 100 by name were judged", checks.StatusWarn)
	if len(r.Findings) != 3 {
		t.Errorf("want two groups (no exec bit, not a program) and the coverage, got:\n%s", describeFindings(r))
	}

	// The plugin in use is judged even past the listing: a broken one is still reported.
	tr.Chmod("/opt/cni/bin/cilium-cni", 0o644)
	r = checktest.RunCheck(t, hostEnv(tr), "host.cni")
	requireFinding(t, r, tr, "/opt/cni/bin/cilium-cni", "has no exec bit", checks.StatusFail)

	// Truly missing: the lookup says so.
	tr.File("/etc/cni/net.d/05-cilium.conflist", strings.Replace(ciliumConflist, "cilium-cni", "calico", 1), 0o644)
	r = checktest.RunCheck(t, hostEnv(tr), "host.cni")
	requireFinding(t, r, tr, "/etc/cni/net.d/05-cilium.conflist", `runs the plugin "calico", which /opt/cni/bin lacks`, checks.StatusFail)
}

// A listing whose first entries are no plugin and no config (directories, other files) says
// the directory was too large to judge; it never says the directory holds none.
func TestHostCNICappedListingsNeverConcludeAbsence(t *testing.T) {
	withLimits(t, host.Limits{MaxDirEntries: 20})
	tr := hosttest.New(t).Mkdir("/etc/kubernetes")
	for i := range 40 {
		tr.Mkdir(fmt.Sprintf("/opt/cni/bin/a%02d", i)).Mkdir(fmt.Sprintf("/etc/cni/net.d/a%02d.conf", i))
	}
	tr.Bytes("/opt/cni/bin/zz-bridge", nativeELF(t), 0o755).
		File("/etc/cni/net.d/zz.conflist", strings.Replace(ciliumConflist, "cilium-cni", "zz-bridge", 1), 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.cni")
	for _, absent := range []string{"holds no CNI plugin", "holds no network config"} {
		for _, f := range r.Findings {
			if strings.Contains(f.Message, absent) {
				t.Errorf("concluded from a capped listing: %s", f.Message)
			}
		}
	}
	requireFinding(t, r, tr, "/etc/cni/net.d", "/etc/cni/net.d holds 41 CNI configs, too many to judge fully", checks.StatusWarn)
	requireFinding(t, r, tr, "/opt/cni/bin", "/opt/cni/bin holds 41 entries, too many to judge fully", checks.StatusWarn)

	// The same directories, fully listed: the config and its plugin are found.
	withLimits(t, host.Limits{})
	noProblems(t, checktest.RunCheck(t, hostEnv(tr), "host.cni"))
}

// Out of time: nothing judged is concluded about, the plugin in use is still looked up, and
// the check says it ran out of time.
func TestHostCNIOutOfTime(t *testing.T) {
	withLimits(t, host.Limits{MaxDirTime: time.Nanosecond})
	tr := hosttest.New(t).
		File("/etc/cni/net.d/05-cilium.conflist", ciliumConflist, 0o644).
		Many("/opt/cni/bin", 300, func(i int) string { return fmt.Sprintf("aa-plugin-%03d", i) }, 0o644).
		Bytes("/opt/cni/bin/cilium-cni", nativeELF(t), 0o755)
	r := checktest.RunCheck(t, hostEnv(tr), "host.cni")
	if r.Status != checks.StatusWarn {
		t.Errorf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/opt/cni/bin", "too many or too slow to judge fully within 1ns: none was judged", checks.StatusWarn)
	if strings.Contains(f.Message, "lacks") {
		t.Error(f.Message)
	}
}

// Many manifests: the duplicates and the broken ones are one finding each, with a count; a
// directory whose listed entries hold no manifest is not called empty.
func TestHostKubeletHugeManifestDirectory(t *testing.T) {
	withLimits(t, host.Limits{MaxDirEntries: 200})
	tr := kubeadmNode(t, healthyKubeletConfig)
	for i := range 150 {
		tr.File(fmt.Sprintf("/etc/kubernetes/manifests/copy-%03d.yaml", i), apiserverManifest, 0o600)
	}
	tr.Many("/etc/kubernetes/manifests", 150, func(i int) string { return fmt.Sprintf("empty-%03d.yaml", i) }, 0o600)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	dir := "/etc/kubernetes/manifests"
	// The first 200 by name: copy-000 to copy-149 (one pod, 149 times again), empty-000 to
	// empty-049.
	requireFinding(t, r, tr, dir, "149 manifests in /etc/kubernetes/manifests define static pods another file there defines already", checks.StatusFail)
	requireFinding(t, r, tr, dir, "50 static pod manifests in /etc/kubernetes/manifests cannot be used", checks.StatusFail)
	requireFinding(t, r, tr, dir, "/etc/kubernetes/manifests holds 301 entries, too many to judge fully: the first 200 by name were judged", checks.StatusWarn)
	if len(r.Findings) > 10 {
		t.Errorf("%d findings:\n%s", len(r.Findings), describeFindings(r))
	}

	empty := kubeadmNode(t, strings.Replace(healthyKubeletConfig, "/etc/kubernetes/manifests", "/srv/pods", 1)).
		File("/etc/kubernetes/pki/ca.key", "key", 0o600)
	for i := range 300 {
		empty.Mkdir(fmt.Sprintf("/srv/pods/d%03d", i))
	}
	empty.File("/srv/pods/zz.yaml", apiserverManifest, 0o600)
	r = checktest.RunCheck(t, hostEnv(empty), "host.kubelet")
	if f := findingOn(r, empty, "/var/lib/kubelet/config.yaml", "holds no manifests"); f != nil {
		t.Errorf("concluded from a capped listing: %s", f.Message)
	}
	requireFinding(t, r, empty, "/srv/pods", "/srv/pods holds 301 entries, too many to judge fully: the first 200 by name were judged", checks.StatusWarn)
}

// Findings that say the same of many files are folded into one by every host check, even
// one that does not group them itself.
func TestHostFindingsAlikeAreFolded(t *testing.T) {
	tr := hosttest.New(t)
	for i := range 60 {
		tr.File(fmt.Sprintf("/etc/kubernetes/pki/c%02d.crt", i), "not a certificate", 0o644)
	}
	r := checktest.RunCheck(t, hostEnv(tr), "host.certificates")
	f := requireFinding(t, r, tr, "/etc/kubernetes/pki/c00.crt", "holds no PEM certificate", checks.StatusFail)
	if !strings.Contains(f.Message, "(the same for 59 more files)") || len(r.Findings) != 1 {
		t.Errorf("not folded:\n%s", describeFindings(r))
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, tr.Path("/etc/kubernetes/pki/c04.crt")) || !strings.Contains(ev, "and 55 more") {
		t.Errorf("evidence:\n%s", ev)
	}
}

// A crontab directory too large to read fully is said: "no job changes what you type" is then
// only about the crontabs read.
func TestHostShellHugeCronDirectory(t *testing.T) {
	withLimits(t, host.Limits{MaxDirEntries: 50})
	tr := hosttest.New(t).File("/etc/crontab", "", 0o644).
		Many("/etc/cron.d", 300, func(i int) string { return fmt.Sprintf("job%03d", i) }, 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	requireFinding(t, r, tr, "/etc/cron.d", "/etc/cron.d holds 300 entries, too many to judge fully: the first 50 by name were judged", checks.StatusWarn)
}

// A drop-in directory of the kubelet's unit too large to read fully: a drop-in past the cap
// may set the --config that matters, so the check says it did not read them all.
func TestHostKubeletHugeDropInDirectory(t *testing.T) {
	withLimits(t, host.Limits{MaxDirEntries: 20})
	tr := kubeadmNode(t, healthyKubeletConfig).
		Many("/usr/lib/systemd/system/kubelet.service.d", 30, func(i int) string { return fmt.Sprintf("zz-%02d.conf", i) }, 0o644).
		Many("/usr/lib/systemd/system/kubelet.service.d", 100, func(i int) string { return fmt.Sprintf("not-a-drop-in-%03d", i) }, 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	requireFinding(t, r, tr, "/usr/lib/systemd/system/kubelet.service.d", "it holds 31 drop-ins, more than kockpit reads (20)", checks.StatusWarn)
}
