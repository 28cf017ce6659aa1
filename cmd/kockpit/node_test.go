//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/cri/critest"
	"github.com/kockpit/kockpit/host/hosttest"
)

const (
	brokenHost  = "../../testdata/hosts/broken"
	healthyHost = "../../testdata/hosts/healthy"
)

// brokenHostFindings are what `kockpit node --report` must say about testdata/hosts/broken (a link to
// scenarios/node, the demo's node):
// each line of the text report that names a breakage planted there.
var brokenHostFindings = []string{
	// host.binaries
	"usr/bin/kubeadm has no exec bit: running kubeadm only says \"permission denied\"",
	"usr/bin/kubelet is a macOS binary for arm64: it cannot run on this",
	"usr/bin/kubectl is a script run by /bin/sh where the kubectl program is expected",
	"usr/bin/systemctl is a script run by /bin/bash where the systemctl program is expected",
	"line 3: exec /usr/local/bin/.kubectl \"$@\" | grep -v -e kube-system -e hidden",
	// host.certificates
	"pki/apiserver.crt expired ",
	"the key /etc/kubernetes/pki/front-proxy-client.key does not belong to /etc/kubernetes/pki/front-proxy-client.crt",
	`the client certificate of user "kubernetes-admin" (embedded in /etc/kubernetes/admin.conf) expired`,
	"subject: CN=kube-apiserver",
	// host.cni
	`00-fake.conf runs the plugin "macvlan", which /opt/cni/bin lacks`,
	`00-fake.conf comes first, so the runtime uses its network "fake" (macvlan) and ignores 1 other networks`,
	// host.kernel
	"swap is on (1 devices): the kubelet refuses to start",
	"net.ipv4.ip_forward is 0",
	"net.bridge.bridge-nf-call-iptables is 0 while br_netfilter is loaded",
	"user.max_net_namespaces is 0",
	"kernel.pid_max is 1000",
	// host.kubelet
	"etc/kubernetes/manifests/etcd.yaml:9:15: the static pod manifest",
	"spec.containers must be a list",
	`kube-apiserver.yaml.bak defines the static pod "kube-apiserver" again`,
	"config.yaml:12:1: clusterDNS 10.200.0.10 is outside the cluster's Service range",
	"--service-cluster-ip-range at " + brokenHost + "/etc/kubernetes/manifests/kube-apiserver.yaml:15",
	"config.yaml:16:21: evictionHard memory.available<90% keeps 90% of the node in reserve",
	"config.yaml:20:10: maxPods is 3",
	"the kubelet reserves 64.0Gi of memory, all of the node's 7.8Gi",
	"containerLogMaxSize is 1Ki",
	`feature gate "node swap" cannot exist`,
	// host.lookalikes
	`kube-apiserver.yaml:18:37: е U+0435 CYRILLIC SMALL LETTER IE (looks like "e")`,
	`$ grep -nP '[^\x00-\x7F]' ` + brokenHost + "/etc/kubernetes/manifests/kube-apiserver.yaml",
	// host.preload
	"etc/ld.so.preload:1:1: /etc/ld.so.preload preloads /usr/lib/x86_64-linux-gnu/libprocesshider.so, which does not exist",
	// host.resolver
	"etc/hosts:4:10: /etc/hosts pins the registry registry.k8s.io to 10.6.6.6",
	"etc/resolv.conf names no nameserver",
	// runtime.config
	"containerd.service.d/10-limits.conf:2: containerd runs with LimitNPROC=128: its containers run out of processes",
	// host.shell
	"etc/cron.d/sysstat-extra:4:16: cron runs `sed -i '/^nameserver/d' /etc/resolv.conf` every minute as root",
	"etc/profile.d/01-motd.sh:3:1: PROMPT_COMMAND runs `chattr +i /etc/resolv.conf 2>/dev/null` before every prompt",
	"root/.bashrc:6:7: alias k adds `--namespace=default` to every kubectl you type",
	"root/.bashrc:7:8: KUBE_EDITOR=ed: `kubectl edit` opens `ed`",
	"root/.bashrc:8:8: `HISTFILE=/dev/null`: shells that read this file keep no history",
	// the run
	"node files under " + brokenHost,
}

func TestNodeReportOnBrokenHost(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the fixture's programs are amd64 ELF headers")
	}
	code, out, errOut := kockpit(t, "node", "--report", "--host-root", brokenHost)
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr: %s", code, errOut)
	}
	for _, want := range brokenHostFindings {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, never := range []string{"PRIVATE KEY", "api.reachable", "versions.kubectl"} {
		if strings.Contains(out, never) {
			t.Errorf("the report shows %q", never)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", out)
	}

	code, out, _ = kockpit(t, "node", "--report", "--format", "json", "--host-root", brokenHost)
	r := parseReport(t, out)
	want := map[string]string{
		"host.binaries": "fail", "host.certificates": "fail", "host.cni": "fail", "host.kernel": "fail",
		"host.kubelet": "fail", "host.lookalikes": "fail", "host.resolver": "fail", "host.preload": "warn",
		"host.shell":    "warn",
		"host.timeline": "ok", "host.disk": "ok", "host.immutable": "ok",
		// A tree has no runtime behind it: the checks that ask one say so.
		"runtime.cri": "skip", "runtime.containers": "skip", "runtime.config": "fail",
		// No kubelet plugin registered on this node, and no cluster to compare with.
		"storage.plugins-registry": "ok",
		"host.kubelet-files":       "ok",
		"versions.node-kubectl":    "skip",
	}
	got := statuses(r)
	for id, status := range want {
		if got[id] != status {
			t.Errorf("%s is %s, want %s", id, got[id], status)
		}
	}
	if len(got) != len(want) || r.Source.Kind != "host" || code != 1 {
		t.Errorf("checks %v, source %q, exit %d", got, r.Source.Kind, code)
	}
}

// TestNodeReportOnBrokenHostAndWhatGitCannotStore adds to a copy of the broken tree what git
// cannot keep: an immutable flag, a reset timestamp, a program anyone may write, a sparse file.
func TestNodeReportOnBrokenHostAndWhatGitCannotStore(t *testing.T) {
	tr := hosttest.CopyOf(t, brokenHost)
	old := time.Now().Add(-400 * 24 * time.Hour)
	tr.Mtime("/etc/kubernetes/manifests/kube-apiserver.yaml", old).
		Chmod("/usr/bin/runc", 0o757).
		Sparse("/var/lib/kubelet/filler", 15<<40)
	want := []string{
		"manifests/kube-apiserver.yaml: changed just now, but its content claims " + old.UTC().Format("2006-01-02 15:04:05Z"),
		"usr/bin/runc is writable by every user",
		"var/lib/kubelet/filler is a sparse file of 15.0Ti",
	}
	if err := tr.SetAttrs("/etc/resolv.conf", true, false); err != nil {
		t.Logf("not checking the immutable flag: cannot set it here: %v", err)
	} else {
		want = append(want, "etc/resolv.conf is immutable (chattr +i)", "$ lsattr -d "+tr.Path("/etc/resolv.conf"))
	}
	_, out, errOut := kockpit(t, "node", "--report", "--host-root", tr.Dir)
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("the report lacks %q\nstderr: %s", w, errOut)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", out)
	}
}

func TestNodeReportOnHealthyHost(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the fixture's programs are amd64 ELF headers")
	}
	// A copy: every file written at one moment, as a node installs them, whichever fixture a
	// checkout touched last.
	code, out, errOut := kockpit(t, "node", "--report", "--format", "json", "--host-root", hosttest.CopyOf(t, healthyHost).Dir)
	r := parseReport(t, out)
	for _, c := range r.Checks {
		if (c.ID == "runtime.cri" || c.ID == "runtime.containers") && c.Status == "skip" && strings.Contains(c.Summary, "no container runtime socket") {
			continue // a tree with no runtime socket: nothing to ask, and the report says why
		}
		if c.ID == "versions.node-kubectl" && c.Status == "skip" && strings.Contains(c.Summary, "the API server's version is unknown") {
			// No cluster to hold it against; its version was read all the same.
			if len(c.Findings) != 1 || !strings.Contains(c.Findings[0].Message, "/usr/bin/kubectl is kubectl v1.37.2") {
				t.Errorf("the node's kubectl was not read: %+v", c.Findings)
			}
			continue
		}
		if c.Status != "ok" {
			t.Errorf("healthy node: %s is %s: %s", c.ID, c.Status, c.Summary)
		}
	}
	if code != 0 || len(r.Checks) != len(hostChecks()) {
		t.Errorf("exit %d, %d checks; stderr: %s", code, len(r.Checks), errOut)
	}
}

func TestNodeBadUsage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	for _, args := range [][]string{
		{"node", "--report", "--host-root", filepath.Join(t.TempDir(), "nope")},
		{"node", "--report", "--host-root", file},
		{"node", "--report", "--host-root", healthyHost, "--since", "0s"},
		{"node", "--report", "--host-root", healthyHost, "--only", "api.reachable"},
		{"node", "--report", "--host-root", healthyHost, "--format", "yaml"},
		{"node", "--report", "--host-root", healthyHost, "--cri-endpoint", "tcp://127.0.0.1:10010"},
		{"node", "--report", "--host-root", healthyHost, "--cri-endpoint", "unix://" + filepath.Join(t.TempDir(), "none.sock")},
		{"node", "--report", "--host-root", healthyHost, "--cri-endpoint", "unix://" + file},
	} {
		code, out, errOut := kockpit(t, args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestNodeReportAsksTheRuntime(t *testing.T) {
	sock := critest.StartContainerd(t)
	code, out, errOut := kockpit(t, "node", "--report", "--format", "json", "--host-root", healthyHost, "--cri-endpoint", "unix://"+sock, "--only", "runtime.cri,runtime.containers")
	r := parseReport(t, out)
	got := statuses(r)
	if len(got) != 2 || got["runtime.cri"] != "fail" || got["runtime.containers"] != "ok" || code != 1 {
		t.Fatalf("exit %d, %v; stderr %s", code, got, errOut)
	}
	for _, c := range r.Checks {
		if c.ID == "runtime.cri" && !strings.Contains(c.Summary, "NetworkReady=false: NetworkPluginNotReady: Network plugin returns error: cni plugin not initialized") {
			t.Errorf("runtime.cri: %q", c.Summary)
		}
	}
}

func TestNodeOnlySelectsHostChecks(t *testing.T) {
	code, out, _ := kockpit(t, "node", "--report", "--format", "json", "--host-root", healthyHost, "--only", "host.kubelet,host.kernel")
	if got := statuses(parseReport(t, out)); len(got) != 2 || got["host.kubelet"] != "ok" || code != 0 {
		t.Errorf("exit %d, %v", code, got)
	}
}

func TestDetectNode(t *testing.T) {
	dir := t.TempDir()
	if detectNode(dir) != nil {
		t.Errorf("an empty directory is not a node")
	}
	os.MkdirAll(filepath.Join(dir, "var/lib/kubelet"), 0o755)
	h := detectNode(dir)
	if h == nil || h.Root != dir || h.Since != 48*time.Hour {
		t.Errorf("a kubelet directory makes a node: %+v", h)
	}
}

// hugeNode is the healthy node with 200,000 entries in /opt/cni/bin and as many in
// /etc/kubernetes/manifests, as a runaway script leaves them, and a Cilium config whose plugin,
// cilium-cni, sorts after every one of them: past the entries a listing reads.
func hugeNode(t testing.TB) *hosttest.Tree {
	tr := hosttest.CopyOf(t, healthyHost)
	bridge, err := os.ReadFile(tr.Path("/opt/cni/bin/bridge"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(tr.Path("/etc/cni/net.d/10-bridge.conflist")); err != nil {
		t.Fatal(err)
	}
	tr.File("/etc/cni/net.d/05-cilium.conflist", `{"cniVersion": "0.3.1", "name": "cilium", "plugins": [{"type": "cilium-cni"}]}`, 0o644).
		Bytes("/opt/cni/bin/cilium-cni", bridge, 0o755).
		Many("/opt/cni/bin", 200000, func(i int) string { return fmt.Sprintf("aa-plugin-%06d", i) }, 0o644).
		Many("/etc/kubernetes/manifests", 200000, func(i int) string { return fmt.Sprintf("aa-%06d.yaml", i) }, 0o600)
	return tr
}

// TestNodeReportOfHugeDirectories: 200,000 entries in a directory give a small report, with
// findings about many files grouped and what was not judged said, and no claim of absence
// from a listing cut short. Its time is BenchmarkHostChecksHugeDirectories' to measure.
func TestNodeReportOfHugeDirectories(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the fixture's programs are amd64 ELF headers")
	}
	tr := hugeNode(t)
	const maxReport = 200 << 10
	for _, format := range []string{"json", "text"} {
		start := time.Now()
		code, out, errOut := kockpit(t, "node", "--report", "--format", format, "--host-root", tr.Dir)
		t.Logf("%s report: %d bytes in %s, exit %d", format, len(out), time.Since(start).Round(time.Millisecond), code)
		if code == exitUsage || errOut != "" {
			t.Errorf("exit %d, stderr: %s", code, errOut)
		}
		if len(out) > maxReport {
			t.Errorf("the %s report is %d bytes, more than %d", format, len(out), maxReport)
		}
		if strings.Contains(out, "cilium-cni\\\", which /opt/cni/bin lacks") || strings.Contains(out, `"cilium-cni", which /opt/cni/bin lacks`) {
			t.Errorf("host.cni says cilium-cni is missing:\n%s", out)
		}
		if format != "json" {
			continue
		}
		r := parseReport(t, out)
		for _, c := range r.Checks {
			problems := 0
			for _, f := range c.Findings {
				if f.Severity != "ok" {
					problems++
				}
			}
			if problems > 10 {
				t.Errorf("%s: %d findings that are problems: %s", c.ID, problems, findingMessages(c.Findings))
			}
		}
		tooLarge := map[string]string{
			"host.cni":     "/opt/cni/bin holds 200005 entries, too many",
			"host.kubelet": "/etc/kubernetes/manifests holds 200002 entries, too many",
		}
		for _, c := range r.Checks {
			if want, ok := tooLarge[c.ID]; ok && !strings.Contains(findingMessages(c.Findings), want) {
				t.Errorf("%s does not say %q: %s", c.ID, want, findingMessages(c.Findings))
			}
		}
	}
}

// TestNodeCockpitShowsTheRuntimeCard: on a node whose runtime is a real containerd, a Runtime
// finding's drill-in shows the node's runtime card, read over CRI in a command.
func TestNodeCockpitShowsTheRuntimeCard(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	sock := critest.StartContainerd(t)
	bin := buildKockpit(t)
	tm := newTmux(t, shellLine(bin, "node", "--host-root", healthyHost, "--cri-endpoint", "unix://"+sock), 120, 40)
	tm.waitDone()
	tm.toChecklist()
	tm.keys("/")
	tm.keys("-l", "runtime.cri")
	tm.keys("Enter", "Tab", "Enter")
	s := tm.waitText("handlers ")
	for _, want := range []string{
		"checks › runtime.cri › ",
		"RUNTIME  the node's container runtime, asked just now",
		"containerd 1.6.",
		"✔ RuntimeReady",
		"✖ NetworkReady=false: NetworkPluginNotReady: Network plugin returns error: cni plugin not initialized",
		"sandbox image  registry.k8s.io/pause:3.6",
		"handlers       runc",
		"runs           0 sandboxes, 0 containers",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the runtime card lacks %q:\n%s", want, s)
		}
	}
	tm.keys("Escape")
	tm.waitFor("the findings again", 10*time.Second, func(s string) bool { return !strings.Contains(s, "RUNTIME  the node") })
	tm.keys("q")
}
