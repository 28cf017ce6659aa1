//go:build linux

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

// procSys writes sysctls (name → value) under /proc/sys.
func procSys(tr *hosttest.Tree, values map[string]string) *hosttest.Tree {
	for name, v := range values {
		tr.File(sysctlPath(name), v+"\n", 0o644)
	}
	return tr
}

var healthySysctls = map[string]string{
	"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1", "kernel.pid_max": "4194304",
	"user.max_net_namespaces": "63000", "user.max_user_namespaces": "63000", "user.max_pid_namespaces": "63000",
}

func TestHostKernel(t *testing.T) {
	tr := procSys(hosttest.New(t), map[string]string{
		"net.ipv4.ip_forward": "0", "net.bridge.bridge-nf-call-iptables": "0", "kernel.pid_max": "1000",
		"user.max_net_namespaces": "3", "user.max_user_namespaces": "0", "user.max_mnt_namespaces": "63000",
	}).File("/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swap.img                               file\t\t4194300\t\t0\t\t-2\n", 0o444)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kernel")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/proc/swaps", "swap is on (1 devices): the kubelet refuses to start", checks.StatusFail)
	if f.Evidence[1] != "/swap.img file 4194300 0 -2" || f.Commands[0].String() != "swapon --show" {
		t.Errorf("evidence %q commands %q", f.Evidence, f.Commands)
	}
	// The summary names the file as the node does; the finding, as reached from here.
	if !strings.HasPrefix(r.Summary, "/proc/swaps: swap is on") || f.File.Path != tr.Path("/proc/swaps") {
		t.Errorf("summary %q, finding on %s", r.Summary, f.File.Path)
	}
	f = requireFinding(t, r, tr, "/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward is 0", checks.StatusFail)
	if f.Commands[0].String() != "cat "+tr.Path("/proc/sys/net/ipv4/ip_forward") || f.Evidence[0] != "net.ipv4.ip_forward = 0" {
		t.Errorf("commands %q evidence %q", f.Commands, f.Evidence)
	}
	requireFinding(t, r, tr, "/proc/sys/net/bridge/bridge-nf-call-iptables", "is 0 while br_netfilter is loaded", checks.StatusFail)
	requireFinding(t, r, tr, "/proc/sys/kernel/pid_max", "kernel.pid_max is 1000", checks.StatusFail)
	requireFinding(t, r, tr, "/proc/sys/user/max_net_namespaces", "user.max_net_namespaces is 3", checks.StatusFail)
	requireFinding(t, r, tr, "/proc/sys/user/max_user_namespaces", "hostUsers: false", checks.StatusWarn)
	if len(r.Findings) != 6 {
		t.Errorf("findings:\n%s", describeFindings(r))
	}

	t.Run("swap allowed by the kubelet", func(t *testing.T) {
		tr.File("/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailSwapOn: false\n", 0o644)
		r := checktest.RunCheck(t, hostEnv(tr), "host.kernel")
		requireFinding(t, r, tr, "/proc/swaps", "which the kubelet allows (failSwapOn: false)", checks.StatusOK)
	})
}

func TestHostKernelHealthy(t *testing.T) {
	tr := procSys(hosttest.New(t), healthySysctls).File("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n", 0o444)
	noProblems(t, checktest.RunCheck(t, hostEnv(tr), "host.kernel"))

	r := checktest.RunCheck(t, hostEnv(hosttest.New(t).Mkdir("/etc")), "host.kernel")
	if r.Status != checks.StatusSkip {
		t.Errorf("no /proc: %v %q", r.Status, r.Summary)
	}
}
