package network

import (
	"slices"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNetworkCNIHealthy(t *testing.T) {
	r := checktest.RunLive(t, "network.cni")
	checktest.RequireNoProblems(t, r)
	if r.Summary != "Flannel ready on 3 of 3 nodes; kube-proxy ready on 3 of 3 nodes" {
		t.Errorf("summary = %q", r.Summary)
	}
	inv := checktest.RequireObjectFinding(t, r, checks.StatusOK, "DaemonSet", "kube-system", "kube-flannel-ds", "CNI: Flannel")
	if !slices.Contains(inv.Evidence, "Flannel: DaemonSet kube-system/kube-flannel-ds, ready on 3 of 3 nodes") {
		t.Errorf("inventory evidence = %q", inv.Evidence)
	}
}

func TestNetworkCNIDaemonSetPinnedToOneNode(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("net-cni-pinned"))
	r := checktest.RunLive(t, "network.cni")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v, want fail:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "DaemonSet", "kube-system", "cilium", "the Cilium DaemonSet cannot run on 3 of 4 nodes (cp1, worker2, worker3)")
	if !f.Cause || !slices.Equal(checktest.ExplainedNames(f), []string{"cp1", "worker2", "worker3"}) {
		t.Errorf("cause %v, explains %v; want the three nodes it leaves out", f.Cause, checktest.ExplainedNames(f))
	}
	if !slices.Contains(f.Evidence, `worker2: nodeSelector kubernetes.io/hostname=worker1 (the node has "worker2")`) {
		t.Errorf("evidence does not quote the nodeSelector: %q", f.Evidence)
	}
	node := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker3", "node worker3 is NotReady because its pod network is not set up")
	if !strings.Contains(strings.Join(node.Evidence, "\n"), "cni plugin not initialized") ||
		!strings.Contains(strings.Join(node.Evidence, "\n"), "cause: the Cilium DaemonSet kube-system/cilium cannot run on it") {
		t.Errorf("node evidence = %q", node.Evidence)
	}
}

func TestNetworkCNINodeNetworkUnavailable(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("net-node-network-unavailable"))
	r := checktest.RunLive(t, "network.cni")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker3", "node worker3 reports NetworkUnavailable")
	if !strings.Contains(f.Evidence[0], "reason=NoRouteCreated") {
		t.Errorf("evidence = %q", f.Evidence)
	}
	// Flannel's DaemonSet may run there but has no pod on it yet: that is the cause.
	agent := checktest.RequireObjectFinding(t, r, checks.StatusFail, "DaemonSet", "kube-system", "kube-flannel-ds", "the Flannel agent is not ready on 1 of 4 nodes (worker3)")
	if !agent.Cause || !slices.Equal(checktest.ExplainedNames(agent), []string{"worker3"}) {
		t.Errorf("agent finding cause %v explains %v", agent.Cause, checktest.ExplainedNames(agent))
	}
}

func TestNetworkCNINodeWithoutPodCIDR(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("net-node-no-podcidr"))
	r := checktest.RunLive(t, "network.cni")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker3", "node worker3 has no pod CIDR, and Flannel allocates pod IPs from it")
	if !slices.Contains(f.Evidence, "spec.podCIDR: (empty)") {
		t.Errorf("evidence = %q", f.Evidence)
	}
	for _, other := range []string{"worker1", "worker2", "cp1"} {
		if checktest.FindingWith(r, "node "+other+" has no pod CIDR") != nil {
			t.Errorf("%s has a pod CIDR but was reported", other)
		}
	}
}

func TestNetworkCNIKubeProxyGone(t *testing.T) {
	r := checktest.LiveWithout(t, "network.cni", func(kind, ns, name string) bool {
		return ns == "kube-system" && strings.HasPrefix(name, "kube-proxy") && (kind == "DaemonSet" || kind == "Pod")
	})
	f := checktest.FindingWith(r, "kube-proxy is not running and no CNI is configured to replace it")
	if r.Status != checks.StatusFail || f == nil || f.Severity != checks.StatusFail || !f.Cause {
		t.Fatalf("no kube-proxy Fail:\n%s", checktest.DescribeObjectFindings(r))
	}
}

func TestNetworkCNIKubeProxyReplacedByCilium(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("net-cilium"), checktest.Fixture("net-cilium-kpr"))
	r := checktest.LiveWithout(t, "network.cni", func(kind, ns, name string) bool {
		return ns == "kube-system" && strings.HasPrefix(name, "kube-proxy") && (kind == "DaemonSet" || kind == "Pod")
	})
	checktest.RequireNoProblems(t, r)
	if !strings.Contains(r.Summary, "kube-proxy replaced by Cilium (cilium-config kube-proxy-replacement: true)") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestNetworkCNICiliumConfigTypos(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("net-cilium"), checktest.Fixture("net-cilium-config-typo"))
	r := checktest.RunLive(t, "network.cni")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status = %v, want warn:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "ConfigMap", "kube-system", "cilium-config", `cilium-config kube-proxy-replacement is "ture"`)
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "ConfigMap", "kube-system", "cilium-config", `cilium-config enable-ipv4 is "yes"`)
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "ConfigMap", "kube-system", "cilium-config", "cilium-config tunnel-protocol has characters outside ASCII")
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "U+0430 CYRILLIC SMALL LETTER A") {
		t.Errorf("evidence does not name the code point: %q", f.Evidence)
	}
}

// The cases below need objects the API server would not keep as they are, or a cluster other
// than the test cluster's three nodes: pure logic, on offline objects.

func TestNetworkCNITaintNotTolerated(t *testing.T) {
	node := func(name string, taints ...corev1.Taint) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/os": "linux"}},
			Spec: corev1.NodeSpec{Taints: taints}}
	}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "calico-node", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "calico-node"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Tolerations: []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists}},
				Containers:  []corev1.Container{{Name: "calico-node", Image: "quay.io/calico/node:v3.30.3"}}}}}}
	nodes := []*corev1.Node{
		node("cp", corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}),
		node("gpu", corev1.Taint{Key: "nvidia.com/gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}),
		node("sick", corev1.Taint{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoSchedule}),
		{ObjectMeta: metav1.ObjectMeta{Name: "win", Labels: map[string]string{"kubernetes.io/os": "windows"}}},
	}
	cov := daemonSetCoverage(ds, nodes, nil)
	if cov.nodes != 3 || len(cov.excluded) != 1 || cov.excluded[0].node.Name != "gpu" ||
		cov.excluded[0].why != "taint nvidia.com/gpu=true:NoSchedule is not tolerated" {
		t.Errorf("coverage = %d nodes, excluded %+v", cov.nodes, cov.excluded)
	}
}

func TestNetworkCNINoneFound(t *testing.T) {
	notReady := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "KubeletNotReady",
		Message: "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized"}}}}
	r := judgeCNI(cniInput{nodes: []*corev1.Node{notReady}})
	if f := checktest.FindingWith(r, "no CNI runs: no DaemonSet is a CNI's node agent, and n1 report"); r.Status != checks.StatusFail || f == nil || !f.Cause {
		t.Errorf("no CNI not reported as the cause:\n%s", checktest.DescribeObjectFindings(r))
	}
}

func TestNetworkCNIFlannelConfig(t *testing.T) {
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-flannel-ds", Namespace: "kube-flannel"},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "kube-flannel", Image: "ghcr.io/flannel-io/flannel:v0.27.4"}},
			Volumes:    []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-flannel-cfg"}}}}},
		}}}}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NodeSpec{PodCIDR: "10.42.0.0/24"}}
	for conf, want := range map[string]string{
		`{"Network": "10.244.0.0/16"}`: "Flannel's Network 10.244.0.0/16 does not contain the pod CIDR of 1 node",
		`{"Network": "10.244.0.0/16",`: "Flannel's net-conf.json is not valid JSON",
		`{"Network": "10.244.0.0"}`:    `Flannel's net-conf.json Network "10.244.0.0" is not a CIDR`,
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-flannel-cfg", Namespace: "kube-flannel"},
			Data: map[string]string{"net-conf.json": conf}}
		r := judgeCNI(cniInput{nodes: []*corev1.Node{node}, daemonSets: []*appsv1.DaemonSet{ds},
			configMaps: map[string]*corev1.ConfigMap{"kube-flannel/kube-flannel-cfg": cm}})
		checktest.RequireObjectFinding(t, r, checks.StatusFail, "ConfigMap", "kube-flannel", "kube-flannel-cfg", want)
	}
}
