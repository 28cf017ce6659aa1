package dns

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// defaultClusterDomain is the kubelet's --cluster-domain when nobody set one.
const defaultClusterDomain = "cluster.local"

// dnsDeploymentNames are the names the DNS Deployment goes by, most likely first.
var dnsDeploymentNames = []string{"coredns", "kube-dns", "rke2-coredns-rke2-coredns"}

// findDNSDeployment returns the Deployment that runs cluster DNS in kube-system: by a known name,
// else one whose pod template the DNS selector matches. Nil when there is none.
func findDNSDeployment(deps []*appsv1.Deployment, svc *corev1.Service) *appsv1.Deployment {
	byName := map[string]*appsv1.Deployment{}
	var matching []*appsv1.Deployment
	sel := clusterdns.Selector(svc)
	for _, d := range deps {
		if d.Namespace != clusterdns.Namespace {
			continue
		}
		byName[d.Name] = d
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			matching = append(matching, d)
		}
	}
	for _, n := range dnsDeploymentNames {
		if d := byName[n]; d != nil {
			return d
		}
	}
	if len(matching) == 0 {
		return nil
	}
	sort.Slice(matching, func(i, j int) bool { return matching[i].Name < matching[j].Name })
	return matching[0]
}

// dnsServerPods returns the kube-system pods the DNS selector picks, by name.
func dnsServerPods(pods []*corev1.Pod, svc *corev1.Service) []*corev1.Pod {
	sel := clusterdns.Selector(svc)
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Namespace == clusterdns.Namespace && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ownedByDeployment reports whether the Deployment runs the pod: the pod's controller is one of
// the Deployment's ReplicaSets (named NAME-HASH). A pod without owner references (snapshot
// files, fixtures) counts when its name and pod-template-hash say so and the Deployment's
// selector matches it, as its ReplicaSet would adopt it.
func ownedByDeployment(p *corev1.Pod, d *appsv1.Deployment) bool {
	if d == nil || p.Namespace != d.Namespace {
		return false
	}
	hash := p.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
	if c := metav1.GetControllerOf(p); c != nil {
		return c.Kind == "ReplicaSet" && strings.HasPrefix(c.Name, d.Name+"-") &&
			(hash == "" || c.Name == d.Name+"-"+hash)
	}
	if len(p.OwnerReferences) > 0 || hash == "" || !strings.HasPrefix(p.Name, d.Name+"-"+hash+"-") {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	return err == nil && !sel.Empty() && sel.Matches(labels.Set(p.Labels))
}

// podReady reports the pod's Ready condition.
func podReady(p *corev1.Pod) bool { return podinfo.Ready(p) }

// clusterDomain is the cluster's DNS domain and where it was read: the kubelet of one node
// (through the API server's node proxy) when live and allowed, else the default. A kubelet that
// cannot be asked is not an error here: dns.kubelet-clusterdns reports it.
func clusterDomain(ctx context.Context, env *checks.Env) (domain, source string) {
	if env.Cluster == nil || env.Snapshot == nil || !env.Snapshot.Live() {
		return defaultClusterDomain, "the default; a snapshot holds no kubelet configuration"
	}
	nodes, err := kube.ListOf[*corev1.Node](ctx, env.Snapshot, kube.Nodes)
	if err != nil || len(nodes) == 0 {
		return defaultClusterDomain, "the default; no node to ask"
	}
	// A few nodes at once, so one kubelet that is down costs no more than one timeout.
	asked := readyNodesFirst(nodes)[:min(len(nodes), 3)]
	answers := askKubelets(ctx, env.Snapshot, asked)
	for _, a := range answers {
		if a.err == nil && a.cfg.ClusterDomain != "" {
			return strings.TrimSuffix(strings.ToLower(a.cfg.ClusterDomain), "."), "from the kubelet of node " + a.node
		}
	}
	return defaultClusterDomain, fmt.Sprintf("the default; the kubelet of node %s did not say: %s", answers[0].node, errText(answers[0].err))
}

func errText(err error) string {
	if err == nil {
		return "no clusterDomain"
	}
	return phrase.Clip(err.Error(), 200)
}

// readyNodesFirst returns the names of the Ready nodes, then the others, each by name.
func readyNodesFirst(nodes []*corev1.Node) []string {
	var ready, other []string
	for _, n := range nodes {
		if nodeIsReady(n) {
			ready = append(ready, n.Name)
		} else {
			other = append(other, n.Name)
		}
	}
	sort.Strings(ready)
	sort.Strings(other)
	return append(ready, other...)
}

func nodeIsReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// labelsOf is a label map as a selectable, printable set.
func labelsOf(m map[string]string) labels.Set { return labels.Set(m) }
