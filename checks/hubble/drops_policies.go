package hubble

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/netpolicy"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// selection is what evaluating the policies said about a policy drop whose flows name no
// policy: those that select the isolated endpoint in the drop's direction.
type selection struct {
	side     string // "shop/Deployment orders (egress)"
	names    []string
	refs     []checks.ObjectRef
	evidence []string
	commands []checks.Command
}

// policyView is what the evaluation reads once per run of the check: pods by name, namespaces,
// every policy, and why some flavours could not be read.
type policyView struct {
	pods       map[string]*corev1.Pod // namespace/name
	podsErr    error
	namespaces map[string]*corev1.Namespace
	policies   []*netpolicy.Policy
	unread     []string
}

// selectPolicies names, for each policy drop shown whose flows name no policy, the policies
// that select its endpoint (the destination for ingress, the source for egress). It reads the
// snapshot only when such a group exists; without a snapshot it says nothing.
func selectPolicies(ctx context.Context, env *checks.Env, groups map[string]*dropGroup, keys []string) {
	var need []*dropGroup
	for _, k := range keys {
		if g := groups[k]; g.reason == flowpb.DropReason_POLICY_DENIED && len(g.policies.names) == 0 {
			need = append(need, g)
		}
	}
	if len(need) == 0 || env.Snapshot == nil {
		return
	}
	view := readPolicyView(ctx, env.Snapshot)
	for _, g := range need {
		g.selecting = view.evaluate(g)
	}
}

func readPolicyView(ctx context.Context, snap *kube.Snapshot) *policyView {
	v := &policyView{pods: map[string]*corev1.Pod{}, namespaces: map[string]*corev1.Namespace{}}
	pods, err := kube.ListOf[*corev1.Pod](ctx, snap, kube.Pods)
	v.podsErr = err
	for _, p := range pods {
		v.pods[p.Namespace+"/"+p.Name] = p
	}
	namespaces, err := kube.ListOf[*corev1.Namespace](ctx, snap, kube.Namespaces)
	if err != nil {
		v.unread = append(v.unread, "namespaces not read (selectors on namespace labels see only names): "+safetext.Message(err.Error()))
	}
	for _, ns := range namespaces {
		v.namespaces[ns.Name] = ns
	}
	var unread map[netpolicy.Flavour]error
	v.policies, unread = netpolicy.Load(ctx, snap)
	var flavours []string
	for f := range netpolicy.Flavours {
		if err := unread[netpolicy.Flavour(f)]; err != nil && !netpolicy.NotInstalled(err) {
			flavours = append(flavours, netpolicy.Flavour(f).String()+" ("+unreadReason(err)+")")
		}
	}
	if len(flavours) > 0 {
		v.unread = append(v.unread, "policies not read, so not evaluated: "+strings.Join(flavours, ", "))
	}
	slices.SortFunc(v.policies, func(a, b *netpolicy.Policy) int { return strings.Compare(a.Display(), b.Display()) })
	return v
}

// evaluate finds the pod of the group's isolated side, by name in the snapshot or else from
// the flow's endpoint labels, and the policies that select it.
func (v *policyView) evaluate(g *dropGroup) *selection {
	egress := len(g.directions.names) == 1 && g.directions.names[0] == "egress"
	side, lbls, dir := g.dst, g.dstLabels, "ingress"
	if egress {
		side, lbls, dir = g.src, g.srcLabels, "egress"
	}
	sel := &selection{side: side.Name + " (" + dir + ")"}
	var pod *corev1.Pod
	var from string
	if p := v.pods[side.Namespace+"/"+side.Pod]; side.Pod != "" && p != nil {
		pod, from = p, "pod "+safetext.Message(side.Namespace+"/"+side.Pod)
	} else if p, ok := endpointPod(side.Namespace, lbls); ok {
		pod, from = p, "the flow's endpoint labels ("+safetext.Message(strings.Join(lbls, ","))+")"
		if side.Pod != "" && v.podsErr == nil {
			from += ", the pod is no longer in the cluster"
		}
	} else {
		sel.evidence = append(sel.evidence, "policies not evaluated: "+sel.side+" is no pod kockpit read and its flows carry no pod labels")
		return sel
	}
	selecting, unknown := netpolicy.Selecting(v.policies, pod, v.namespaces[pod.Namespace], egress)
	for i, p := range selecting {
		if i == maxWitnesses {
			sel.names = append(sel.names, fmt.Sprintf("and %d more", len(selecting)-maxWitnesses))
			break
		}
		sel.names = append(sel.names, safetext.Message(p.Display()))
		sel.refs = append(sel.refs, p.Ref)
		sel.commands = append(sel.commands, p.Command)
	}
	if len(selecting) > 0 {
		sel.evidence = append(sel.evidence, fmt.Sprintf("policies selecting %s, evaluated from %s (the flows name none): %s", sel.side, from, strings.Join(sel.names, ", ")))
	} else {
		sel.evidence = append(sel.evidence, fmt.Sprintf("no policy kockpit read selects %s for %s, evaluated from %s", side.Name, dir, from))
	}
	for i, p := range unknown {
		if i == maxWitnesses {
			break
		}
		sel.evidence = append(sel.evidence, "not evaluated (may select it too): "+safetext.Message(p.Display())+": "+safetext.Message(p.Unknown))
	}
	sel.evidence = append(sel.evidence, v.unread...)
	return sel
}

// endpointPod is a pod as a flow's endpoint labels describe it: Cilium's "k8s:" labels are the
// pod's labels, plus the namespace and service account it derives. Other sources (reserved:,
// cidr:, container:) are not pod labels. ok is false when no pod label is there.
func endpointPod(namespace string, labels []string) (*corev1.Pod, bool) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Labels: map[string]string{}}}
	for _, l := range labels {
		kv, ok := strings.CutPrefix(l, "k8s:")
		if !ok {
			continue
		}
		key, value, _ := strings.Cut(kv, "=")
		switch {
		case key == "":
		case key == "io.kubernetes.pod.namespace":
			if pod.Namespace == "" {
				pod.Namespace = value
			}
		case key == "io.cilium.k8s.policy.serviceaccount":
			pod.Spec.ServiceAccountName = value
		case strings.HasPrefix(key, "io.cilium.k8s."):
			// namespace labels and the cluster name: derived again from the namespace
		default:
			pod.Labels[key] = value
		}
	}
	if pod.Namespace == "" || len(pod.Labels) == 0 {
		return nil, false
	}
	return pod, true
}

// unreadReason says in a few words why a flavour's policies were not read.
func unreadReason(err error) string {
	switch {
	case errors.Is(err, kube.ErrNotCollected):
		return "not in the snapshot"
	case checks.IsForbidden(err):
		return "forbidden"
	}
	return phrase.Clip(safetext.Message(err.Error()), 120)
}
