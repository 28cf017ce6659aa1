package host

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/kubeletconfig"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// kernelCheck is the host.kernel check.
var kernelCheck = checks.Check{
	ID:       "host.kernel",
	Title:    "The kernel settings Kubernetes relies on: swap, forwarding, namespaces, PIDs",
	Category: checks.CategoryHost,
	Learn:    learn("host.kernel"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostKernel),
}

// minNamespaces is below what a node's pods alone need of each kind (110 pods by default).
const minNamespaces = 128

// Thresholds for kernel.pid_max: Linux's own default is 32768.
const (
	pidMaxFail = 4096
	pidMaxWarn = 32768
)

func runHostKernel(ctx context.Context, n *nodefs.FS) checks.Result {
	if !n.Exists(ctx, "/proc/sys") {
		return checks.Skipped(checks.SkipNotApplicable, fmt.Sprintf("no /proc/sys under %s: the node's /proc is not visible from here", n.Display("/")))
	}
	var findings []checks.Finding
	findings = append(findings, swapFindings(ctx, n)...)
	findings = append(findings, forwardingFindings(ctx, n)...)
	findings = append(findings, namespaceFindings(ctx, n)...)
	if v, ok := sysctlInt(ctx, n, "kernel.pid_max"); ok && v < pidMaxWarn {
		sev, what := checks.StatusWarn, "below Linux's default of 32768: busy nodes run out of PIDs"
		if v < pidMaxFail {
			sev, what = checks.StatusFail, "so few that forks fail (\"Resource temporarily unavailable\") once a few pods run"
		}
		findings = append(findings, sysctlFinding(n, "kernel.pid_max", strconv.FormatInt(v, 10), sev,
			fmt.Sprintf("kernel.pid_max is %d, %s", v, what), "4194304"))
	}
	return n.Result(findings, "swap off, forwarding on, namespace and PID limits roomy")
}

// sysctlPath is where a sysctl lives under /proc/sys.
func sysctlPath(name string) string {
	return "/proc/sys/" + strings.ReplaceAll(name, ".", "/")
}

// sysctl reads a sysctl's value; ok is false when it does not exist (a module not loaded).
func sysctl(ctx context.Context, n *nodefs.FS, name string) (string, bool) {
	f, ok, err := n.ReadOptional(ctx, sysctlPath(name))
	if !ok || err != nil {
		return "", false
	}
	return strings.TrimSpace(string(f.Data)), true
}

func sysctlInt(ctx context.Context, n *nodefs.FS, name string) (int64, bool) {
	s, ok := sysctl(ctx, n, name)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// sysctlFinding is a finding about one sysctl, with the commands that show and fix it.
func sysctlFinding(n *nodefs.FS, name, value string, sev checks.Severity, msg, good string) checks.Finding {
	show := checks.Cmd("sysctl", name)
	if !n.IsSystemRoot() {
		show = checks.Cmd("cat", n.Display(sysctlPath(name)))
	}
	return checks.Finding{
		Severity: sev,
		Message:  msg,
		File:     n.Ref(sysctlPath(name), 0, 0),
		Evidence: []string{fmt.Sprintf("%s = %s", name, value)},
		Hint: fmt.Sprintf("Set it now with `%s`, and for good in /etc/sysctl.d/99-kubernetes.conf; "+
			"`%s` finds whoever set it.", checks.Cmd("sysctl", "-w", name+"="+good),
			checks.Cmd("grep", "-r", name, "/etc/sysctl.conf", "/etc/sysctl.d")),
		Commands: []checks.Command{show},
		Cause:    sev == checks.StatusFail,
	}
}

func swapFindings(ctx context.Context, n *nodefs.FS) []checks.Finding {
	f, ok, _ := n.ReadOptional(ctx, "/proc/swaps")
	if !ok {
		return nil
	}
	var active []string
	for i, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
		if i > 0 && strings.TrimSpace(line) != "" {
			active = append(active, strings.Join(strings.Fields(line), " "))
		}
	}
	if len(active) == 0 {
		return nil
	}
	sev, msg := checks.StatusFail, fmt.Sprintf("swap is on (%d devices): the kubelet refuses to start while failSwapOn is true, its default", len(active))
	if k, err := kubeletconfig.Load(ctx, n); err == nil && k.Config.FailSwapOn != nil && !*k.Config.FailSwapOn {
		sev, msg = checks.StatusOK, fmt.Sprintf("swap is on (%d devices), which the kubelet allows (failSwapOn: false)", len(active))
	}
	return []checks.Finding{{
		Severity: sev,
		Message:  msg,
		File:     n.Ref("/proc/swaps", 0, 0),
		Evidence: append([]string{"Filename Type Size Used Priority"}, active...),
		Hint:     "Turn it off with `swapoff -a`, and comment out the swap lines of /etc/fstab (and `systemctl mask` any swap unit) so it stays off after a reboot.",
		Commands: []checks.Command{checks.Cmd("swapon", "--show"), checks.Cmd("grep", "-n", "swap", n.Display("/etc/fstab"))},
		Cause:    sev == checks.StatusFail,
	}}
}

func forwardingFindings(ctx context.Context, n *nodefs.FS) []checks.Finding {
	var out []checks.Finding
	if v, ok := sysctl(ctx, n, "net.ipv4.ip_forward"); ok && v == "0" {
		out = append(out, sysctlFinding(n, "net.ipv4.ip_forward", v, checks.StatusFail,
			"net.ipv4.ip_forward is 0: the node does not forward packets, so pods cannot reach other nodes' pods or Services", "1"))
	}
	// The bridge sysctls exist only while br_netfilter is loaded.
	if v, ok := sysctl(ctx, n, "net.bridge.bridge-nf-call-iptables"); ok && v == "0" {
		out = append(out, sysctlFinding(n, "net.bridge.bridge-nf-call-iptables", v, checks.StatusFail,
			"net.bridge.bridge-nf-call-iptables is 0 while br_netfilter is loaded: bridged pod traffic skips iptables, so Service IPs do not work between pods on this node", "1"))
	}
	return out
}

// namespaceKinds are the namespaces a pod's sandbox creates; user namespaces only pods with
// hostUsers: false need.
var namespaceKinds = []string{"net", "mnt", "pid", "ipc", "uts", "cgroup", "user"}

func namespaceFindings(ctx context.Context, n *nodefs.FS) []checks.Finding {
	var out []checks.Finding
	for _, kind := range namespaceKinds {
		name := "user.max_" + kind + "_namespaces"
		v, ok := sysctlInt(ctx, n, name)
		if !ok || v >= minNamespaces {
			continue
		}
		sev, msg := checks.StatusFail, fmt.Sprintf("%s is %d: every pod needs new %s namespaces, so sandboxes fail to start once that many exist", name, v, kind)
		if kind == "user" {
			sev, msg = checks.StatusWarn, fmt.Sprintf("%s is %d: pods with hostUsers: false (user namespaces) cannot start", name, v)
		}
		out = append(out, sysctlFinding(n, name, strconv.FormatInt(v, 10), sev, msg, "63000"))
	}
	return out
}
