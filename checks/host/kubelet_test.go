//go:build linux

package host

import (
	"context"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/kube"
)

const kubeletUnit = "[Service]\nExecStart=/usr/bin/kubelet\n"

const kubeadmDropIn = `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`

const apiserverManifest = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.37.2
    command:
    - kube-apiserver
    - --service-cluster-ip-range=10.96.0.0/12
`

const healthyKubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /etc/kubernetes/manifests
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
evictionHard:
  memory.available: 100Mi
  nodefs.available: 10%
systemReserved:
  memory: 512Mi
  cpu: 500m
kubeReserved:
  cpu: 250m
containerLogMaxSize: 10Mi
featureGates:
  NodeSwap: false
`

// kubeadmNode is a control-plane node as kubeadm lays it out: 16 GiB, 4 CPUs.
func kubeadmNode(t *testing.T, kubeletConfig string) *hosttest.Tree {
	return hosttest.New(t).
		File("/usr/lib/systemd/system/kubelet.service", kubeletUnit, 0o644).
		File("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", kubeadmDropIn, 0o644).
		File("/var/lib/kubelet/kubeadm-flags.env", `KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"`+"\n", 0o644).
		File("/var/lib/kubelet/config.yaml", kubeletConfig, 0o644).
		File("/etc/kubernetes/manifests/kube-apiserver.yaml", apiserverManifest, 0o600).
		File("/proc/meminfo", "MemTotal:       16777216 kB\nMemFree:         1000 kB\n", 0o444).
		File("/proc/cpuinfo", "processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\n\nprocessor\t: 2\n\nprocessor\t: 3\n", 0o444)
}

func TestHostKubeletHealthy(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	noProblems(t, r)
	info := findingOn(r, tr, "/var/lib/kubelet/config.yaml", "the kubelet's config")
	if info == nil || !strings.Contains(strings.Join(info.Evidence, "\n"), "--config=/var/lib/kubelet/config.yaml at "+tr.Path("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf")+":3") {
		t.Errorf("the config's origin is not shown: %+v", info)
	}
	if !strings.Contains(strings.Join(info.Evidence, "\n"), "16.0Gi of memory, 4 CPUs") {
		t.Errorf("node size: %q", info.Evidence)
	}
}

func TestHostKubeletBrokenConfig(t *testing.T) {
	tr := kubeadmNode(t, `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /etc/kubernetes/manifest
clusterDNS:
- 10.200.0.10
maxPods: 3
evictionHard:
  memory.available: "90%"
  nodefs.available: "35%"
  bogus.signal: "1%"
systemReserved:
  memory: 64Gi
  cpu: "8"
kubeReserved:
  cpu: banana
containerLogMaxSize: 1Ki
featureGates:
  NodeSwap: true
  node swap: true
`)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	cfg := "/var/lib/kubelet/config.yaml"
	at := func(f *checks.Finding, line int) {
		t.Helper()
		if f.File.Line != line {
			t.Errorf("%q at line %d, want %d", f.Message, f.File.Line, line)
		}
	}
	f := requireFinding(t, r, tr, cfg, "staticPodPath /etc/kubernetes/manifest does not exist: the kubelet runs no static pods, while 1 manifests wait in /etc/kubernetes/manifests", checks.StatusFail)
	at(f, 3)
	at(requireFinding(t, r, tr, cfg, "clusterDNS 10.200.0.10 is outside the cluster's Service range", checks.StatusFail), 5)
	f = requireFinding(t, r, tr, cfg, "maxPods is 3", checks.StatusFail)
	at(f, 6)
	if f.Evidence[0] != "line 6: maxPods: 3" {
		t.Errorf("evidence %q", f.Evidence)
	}
	at(requireFinding(t, r, tr, cfg, `evictionHard memory.available<90% keeps 90% of the node in reserve`, checks.StatusFail), 8)
	requireFinding(t, r, tr, cfg, `evictionHard nodefs.available<35% keeps 35%`, checks.StatusWarn)
	requireFinding(t, r, tr, cfg, `evictionHard names the unknown signal "bogus.signal"`, checks.StatusFail)
	requireFinding(t, r, tr, cfg, `kubeReserved cpu: "banana" is not a quantity`, checks.StatusFail)
	requireFinding(t, r, tr, cfg, "the kubelet reserves 64.0Gi of memory, all of the node's 16.0Gi", checks.StatusFail)
	requireFinding(t, r, tr, cfg, "the kubelet reserves 8cpu of CPU, all of the node's 4cpu", checks.StatusFail)
	at(requireFinding(t, r, tr, cfg, "containerLogMaxSize is 1Ki", checks.StatusWarn), 16)
	at(requireFinding(t, r, tr, cfg, `feature gate "node swap" cannot exist`, checks.StatusFail), 19)
}

func TestHostKubeletStaticPods(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig).
		File("/etc/kubernetes/manifests/kube-apiserver.yaml.bak", apiserverManifest, 0o600).
		File("/etc/kubernetes/manifests/.kube-apiserver.yaml.swp", "binary junk", 0o600).
		File("/etc/kubernetes/manifests/etcd.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\nspec:\n  containers: etcd\n", 0o600).
		File("/etc/kubernetes/manifests/scheduler.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kube-scheduler\n", 0o600).
		File("/etc/kubernetes/manifests/controller-manager.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kcm\n   bad: indent\n", 0o600)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	f := requireFinding(t, r, tr, "/etc/kubernetes/manifests/etcd.yaml", "does not parse: the kubelet skips it", checks.StatusFail)
	if f.File.Line != 6 || !strings.Contains(f.Evidence[0], "spec.containers must be a list") {
		t.Errorf("etcd: line %d, %q", f.File.Line, f.Evidence)
	}
	f = requireFinding(t, r, tr, "/etc/kubernetes/manifests/controller-manager.yaml", "does not parse", checks.StatusFail)
	if f.File.Line != 5 {
		t.Errorf("controller-manager at line %d: %q", f.File.Line, f.Evidence)
	}
	f = requireFinding(t, r, tr, "/etc/kubernetes/manifests/scheduler.yaml", "does not parse", checks.StatusFail)
	if !strings.Contains(f.Evidence[0], "holds no Pod") {
		t.Errorf("deployment: %q", f.Evidence)
	}
	requireFinding(t, r, tr, "/etc/kubernetes/manifests/kube-apiserver.yaml.bak", `defines the static pod "kube-apiserver" again`, checks.StatusFail)
	if findingOn(r, tr, "/etc/kubernetes/manifests/.kube-apiserver.yaml.swp", "") != nil {
		t.Errorf("a hidden file was read as a manifest")
	}

	t.Run("moved", func(t *testing.T) {
		tr.File("/etc/kubernetes/elsewhere/README", "", 0o644)
		tr.File("/var/lib/kubelet/config.yaml", strings.Replace(healthyKubeletConfig, "/etc/kubernetes/manifests", "/etc/kubernetes/elsewhere/..", 1), 0o644)
		r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
		requireFinding(t, r, tr, "/var/lib/kubelet/config.yaml", "which is empty, while 5 manifests wait in", checks.StatusFail)
	})
}

func TestHostKubeletMissingOrMalformed(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig).
		File("/etc/default/kubelet", "KUBELET_EXTRA_ARGS=--config /etc/kubelet/custom.yaml\n", 0o644).
		File("/etc/systemd/system/kubelet.service.d/20-extra.conf", "[Service]\nEnvironmentFile=-/etc/default/kubelet\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	f := requireFinding(t, r, tr, "/etc/kubelet/custom.yaml", "does not exist: the kubelet exits as it starts", checks.StatusFail)
	if !strings.Contains(f.Evidence[0], "--config=/etc/kubelet/custom.yaml at "+tr.Path("/etc/default/kubelet")+":1") {
		t.Errorf("evidence %q", f.Evidence)
	}

	tr.File("/etc/kubelet/custom.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: three\n", 0o644)
	r = checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	f = requireFinding(t, r, tr, "/etc/kubelet/custom.yaml", "does not parse", checks.StatusFail)
	if f.File.Line != 3 || !strings.Contains(f.Message, "cannot unmarshal") {
		t.Errorf("at line %d: %q", f.File.Line, f.Message)
	}

	r = checktest.RunCheck(t, hostEnv(hosttest.New(t).Mkdir("/etc")), "host.kubelet")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotInstalled {
		t.Errorf("no kubelet: %v %q", r.Status, r.Summary)
	}
}

func TestHostKubeletClusterDNSAgainstTheCluster(t *testing.T) {
	tr := kubeadmNode(t, strings.Replace(healthyKubeletConfig, "10.96.0.10", "10.96.0.53", 1))
	ctx := context.Background()
	snap, err := kube.NewObjectSnapshot(ctx, &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns"},
		Spec:       corev1.ServiceSpec{ClusterIP: "10.96.0.10"},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := hostEnv(tr)
	env.Snapshot = snap
	r := checktest.RunCheck(t, env, "host.kubelet")
	requireFinding(t, r, tr, "/var/lib/kubelet/config.yaml", "clusterDNS 10.96.0.53 is not the kube-dns Service's IP 10.96.0.10", checks.StatusFail)
}

// A staticPodPath kockpit cannot look into is reported as unreadable, never as missing or empty.
func TestHostKubeletStaticPodPathUnreadable(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig).
		File("/etc/kubernetes/pki/ca.key", "k", 0o600)
	if err := os.RemoveAll(tr.Path("/etc/kubernetes/manifests")); err != nil {
		t.Fatal(err)
	}
	tr.Symlink("/etc/kubernetes/manifests", "/etc/kubernetes/loop").
		Symlink("/etc/kubernetes/loop", "/etc/kubernetes/manifests")
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	f := requireFinding(t, r, tr, "/etc/kubernetes/manifests", "could not be read", checks.StatusWarn)
	if strings.Contains(f.Message, "does not exist") {
		t.Errorf("message %q", f.Message)
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "does not exist") || strings.Contains(f.Message, "holds no manifests") {
			t.Errorf("concluded from an unreadable directory: %s", f.Message)
		}
	}
}

func TestHostKubeletSaysWhichUnitFilesItCouldNotRead(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig)
	// A drop-in dir that cannot be listed may hold the --config that matters.
	tr.Symlink("/etc/systemd/system/kubelet.service.d", "/etc/systemd/system/loop").
		Symlink("/etc/systemd/system/loop", "/etc/systemd/system/kubelet.service.d")
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	requireFinding(t, r, tr, "/etc/systemd/system/kubelet.service.d", "could not be read", checks.StatusWarn)
	if r.Status == checks.StatusOK {
		t.Errorf("OK although a drop-in dir could not be read")
	}
}

// TestHostKubeletMissingConfigWithUnreadableUnitFiles: the --config that matters may be in the
// file it could not read, so a missing default config is no proof the kubelet cannot start.
func TestHostKubeletMissingConfigWithUnreadableUnitFiles(t *testing.T) {
	tr := hosttest.New(t).
		File("/usr/lib/systemd/system/kubelet.service", kubeletUnit, 0o644).
		File("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", kubeadmDropIn, 0o644).
		File("/etc/kubernetes/kubelet-custom.yaml", healthyKubeletConfig, 0o644).
		Symlink("/etc/systemd/system/kubelet.service.d", "/etc/systemd/system/loop").
		Symlink("/etc/systemd/system/loop", "/etc/systemd/system/kubelet.service.d")
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet")
	requireFinding(t, r, tr, "/etc/systemd/system/kubelet.service.d", "could not be read", checks.StatusWarn)
	if r.Status == checks.StatusFail {
		t.Errorf("Fail from what it could not read:\n%s", describeFindings(r))
	}
}
