package network

import (
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// cniPlugin describes how to recognise one CNI: its node agent (the DaemonSet that gives each
// node its pod network), its other parts, and what it leaves on nodes.
type cniPlugin struct {
	name string
	// daemonSets, containers and images recognise the node agent: a DaemonSet of one of these
	// names, or with a container of one of these names, or running an image whose repository
	// ends with one of these paths.
	daemonSets []string
	containers []string
	images     []string
	// components are the container names of its other parts (operators, controllers).
	components []string
	// annotations are prefixes of the annotations it writes on the nodes it runs on.
	annotations []string
	// needsPodCIDR: it allocates pod IPs from the node's spec.podCIDR.
	needsPodCIDR bool
}

// knownCNIs are the CNIs kockpit recognises. Canal comes first: it is Calico and Flannel in
// one DaemonSet, and must not be taken for either.
var knownCNIs = []cniPlugin{
	{name: "Canal", daemonSets: []string{"canal"}, needsPodCIDR: true},
	{name: "Cilium", daemonSets: []string{"cilium"}, containers: []string{"cilium-agent"}, images: []string{"cilium/cilium"},
		components:  []string{"cilium-operator", "hubble-relay", "clustermesh-apiserver"},
		annotations: []string{"network.cilium.io/", "io.cilium.network."}},
	{name: "Calico", daemonSets: []string{"calico-node"}, containers: []string{"calico-node"}, images: []string{"calico/node"},
		components:  []string{"calico-kube-controllers", "calico-typha", "calico-apiserver"},
		annotations: []string{"projectcalico.org/"}},
	{name: "Flannel", daemonSets: []string{"kube-flannel-ds", "kube-flannel"}, containers: []string{"kube-flannel"}, images: []string{"flannel"},
		annotations: []string{"flannel.alpha.coreos.com/"}, needsPodCIDR: true},
	{name: "Weave Net", daemonSets: []string{"weave-net"}, containers: []string{"weave"}, images: []string{"weave-kube"}},
	{name: "Antrea", daemonSets: []string{"antrea-agent"}, containers: []string{"antrea-agent"},
		images: []string{"antrea-agent-ubuntu", "antrea-ubuntu", "antrea-agent"}, components: []string{"antrea-controller"}, needsPodCIDR: true},
	{name: "kindnet", daemonSets: []string{"kindnet"}, containers: []string{"kindnet-cni"}, images: []string{"kindnetd"}, needsPodCIDR: true},
	{name: "kube-router", daemonSets: []string{"kube-router"}, containers: []string{"kube-router"}, images: []string{"kube-router"},
		annotations: []string{"kube-router.io/"}, needsPodCIDR: true},
	{name: "OVN-Kubernetes", daemonSets: []string{"ovnkube-node"}, containers: []string{"ovnkube-node", "ovnkube-controller"},
		components: []string{"ovnkube-master", "ovnkube-cluster-manager"}, annotations: []string{"k8s.ovn.org/"}},
	{name: "Kube-OVN", daemonSets: []string{"kube-ovn-cni"}, containers: []string{"cni-server"}, images: []string{"kubeovn/kube-ovn"},
		components: []string{"kube-ovn-controller"}, annotations: []string{"ovn.kubernetes.io/"}},
	{name: "AWS VPC CNI", daemonSets: []string{"aws-node"}, containers: []string{"aws-node"}, images: []string{"amazon-k8s-cni"}},
}

// cniForDaemonSet returns the CNI whose node agent the DaemonSet runs.
func cniForDaemonSet(ds *appsv1.DaemonSet) (*cniPlugin, bool) {
	for i := range knownCNIs {
		c := &knownCNIs[i]
		if slices.Contains(c.daemonSets, ds.Name) || c.runsAgent(ds.Spec.Template.Spec.Containers) {
			return c, true
		}
	}
	return nil, false
}

// cniForPod returns the CNI a pod belongs to, its node agent or another part of it.
func cniForPod(p *corev1.Pod) (*cniPlugin, bool) {
	for i := range knownCNIs {
		c := &knownCNIs[i]
		if c.runsAgent(p.Spec.Containers) {
			return c, true
		}
		for _, ct := range p.Spec.Containers {
			if slices.Contains(c.components, ct.Name) {
				return c, true
			}
		}
	}
	return nil, false
}

func (c *cniPlugin) runsAgent(containers []corev1.Container) bool {
	for _, ct := range containers {
		if slices.Contains(c.containers, ct.Name) {
			return true
		}
		repo := imageRepository(ct.Image)
		for _, img := range c.images {
			if repo == img || strings.HasSuffix(repo, "/"+img) {
				return true
			}
		}
	}
	return false
}

// annotatedNodes counts the nodes carrying one of the CNI's annotations.
func (c *cniPlugin) annotatedNodes(nodes []*corev1.Node) int {
	n := 0
	for _, node := range nodes {
		for k := range node.Annotations {
			if hasAnyPrefix(k, c.annotations) {
				n++
				break
			}
		}
	}
	return n
}

// imageRepository is an image reference without its tag and digest.
func imageRepository(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
