package netpolicy

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kockpit/kockpit/kube"
)

// Load reads the policies of every flavour the snapshot holds. unread names, per flavour that
// could not be read, why ("not installed", "forbidden: ..."): a caller that names the policies
// selecting a pod says those were not looked at.
func Load(ctx context.Context, snap *kube.Snapshot) (policies []*Policy, unread map[Flavour]error) {
	unread = map[Flavour]error{}
	nps, err := kube.ListOf[*networkingv1.NetworkPolicy](ctx, snap, kube.NetworkPolicies)
	if err != nil {
		unread[FlavourKubernetes] = err
	}
	for _, np := range nps {
		policies = append(policies, KubernetesPolicy(np))
	}
	for f := FlavourCilium; f <= FlavourCalicoGlobal; f++ {
		items, err := kube.ListUnstructured(ctx, snap, Flavours[f].Res)
		if err != nil {
			unread[f] = err
			continue
		}
		for _, u := range items {
			switch f {
			case FlavourCilium, FlavourCiliumClusterwide:
				policies = append(policies, CiliumPolicy(u, f == FlavourCiliumClusterwide))
			default:
				policies = append(policies, CalicoPolicy(u, f == FlavourCalicoGlobal))
			}
		}
	}
	return policies, unread
}

// NotInstalled says a flavour's error means its policies cannot exist here (the CRD is not
// served): nothing was missed.
func NotInstalled(err error) bool { return errors.Is(err, kube.ErrNotInstalled) }

// Selecting returns the policies that select the pod and decide its traffic in one direction
// (egress, or else ingress): those that isolate it there or deny something there. A dropped
// flow with no policy named was dropped by one of them. unknown are the policies kockpit cannot
// evaluate (a selector it cannot parse): they may select the pod too. namespace may be nil
// (its labels unknown: selectors on them see only its name).
func Selecting(policies []*Policy, pod *corev1.Pod, namespace *corev1.Namespace, egress bool) (selecting, unknown []*Policy) {
	var nss []*corev1.Namespace
	if namespace != nil {
		nss = []*corev1.Namespace{namespace}
	}
	running := pod.DeepCopy()
	running.Status.Phase = corev1.PodRunning // a finished pod's flows were still its own
	idx := NewPodIndex([]*corev1.Pod{running}, nss, true)
	ns := idx.Namespaces[pod.Namespace]
	if ns == nil || len(ns.Groups) == 0 {
		return nil, nil
	}
	g := ns.Groups[0]
	for _, p := range policies {
		if p.Unknown != "" {
			unknown = append(unknown, p)
			continue
		}
		for _, part := range p.Parts {
			dir := part.Ingress
			if egress {
				dir = part.Egress
			}
			if (dir.Isolates || len(dir.Deny) > 0) && part.Selects.Matches(g, ns) {
				selecting = append(selecting, p)
				break
			}
		}
	}
	return selecting, unknown
}
