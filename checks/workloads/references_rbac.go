package workloads

import (
	"context"
	"fmt"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// autoscalerFindings judges each HorizontalPodAutoscaler's scale target, for the kinds read.
func (w *refWorld) autoscalerFindings(ctx context.Context, s *kube.Snapshot) []checks.Finding {
	hpas, _ := checks.ListPartial[*autoscalingv2.HorizontalPodAutoscaler](ctx, s, &w.p, kube.HPAs)
	targets := map[string]kube.Resource{"Deployment": kube.Deployments, "StatefulSet": kube.StatefulSets, "ReplicaSet": kube.ReplicaSets}
	names := map[string]bool{}
	for _, d := range w.deployments {
		names["Deployment/"+d.Namespace+"/"+d.Name] = true
	}
	for _, d := range w.statefulSets {
		names["StatefulSet/"+d.Namespace+"/"+d.Name] = true
	}
	for _, d := range w.replicaSets {
		names["ReplicaSet/"+d.Namespace+"/"+d.Name] = true
	}
	var out []checks.Finding
	for _, h := range hpas {
		t := h.Spec.ScaleTargetRef
		r, ok := targets[t.Kind]
		if !ok || t.APIVersion != "apps/v1" || !w.p.Read(r) || names[t.Kind+"/"+h.Namespace+"/"+t.Name] {
			continue // another kind (a CRD with a scale subresource) is not judged
		}
		ref := checks.ObjectRef{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler", Namespace: h.Namespace, Name: h.Name}
		f := missingFinding(checks.StatusWarn, ref, "spec.scaleTargetRef.name", t.Kind, h.Namespace, t.Name)
		f.Commands[1] = getCmd(checks.ObjectRef{APIVersion: "apps/v1", Kind: t.Kind, Namespace: h.Namespace, Name: t.Name}, "")
		f.Hint = "Fix scaleTargetRef or delete the autoscaler: it scales nothing."
		out = append(out, f)
	}
	return out
}

// bindingFindings judges each binding's role and the ServiceAccounts it grants it to.
func (w *refWorld) bindingFindings(ctx context.Context, s *kube.Snapshot) []checks.Finding {
	var out []checks.Finding
	rbs, _ := checks.ListPartial[*rbacv1.RoleBinding](ctx, s, &w.p, kube.RoleBindings)
	for _, b := range rbs {
		ref := checks.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: b.Namespace, Name: b.Name}
		out = append(out, w.bindingRefFindings(ref, &b.ObjectMeta, b.RoleRef, b.Subjects)...)
	}
	crbs, _ := checks.ListPartial[*rbacv1.ClusterRoleBinding](ctx, s, &w.p, kube.ClusterRoleBindings)
	for _, b := range crbs {
		ref := checks.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: b.Name}
		out = append(out, w.bindingRefFindings(ref, &b.ObjectMeta, b.RoleRef, b.Subjects)...)
	}
	return out
}

func (w *refWorld) bindingRefFindings(ref checks.ObjectRef, m *metav1.ObjectMeta, role rbacv1.RoleRef, subjects []rbacv1.Subject) []checks.Finding {
	var out []checks.Finding
	ns := ref.Namespace
	if role.Kind == "ClusterRole" {
		ns = ""
	}
	if found, known := w.exists(role.Kind, ns, role.Name); known && !found {
		f := missingFinding(checks.StatusWarn, ref, "roleRef.name", role.Kind, ns, role.Name)
		f.Commands[1] = getCmd(checks.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: role.Kind, Namespace: ns, Name: role.Name}, "")
		out = append(out, f)
	}
	// The API server's default bindings name the controllers' accounts, which the
	// controller-manager creates as each controller starts: not a user's reference.
	if m.Labels["kubernetes.io/bootstrapping"] == "rbac-defaults" {
		return out
	}
	for i, sub := range subjects {
		if sub.Kind != rbacv1.ServiceAccountKind {
			continue
		}
		sns := sub.Namespace
		if sns == "" {
			sns = ref.Namespace
		}
		if found, known := w.exists("ServiceAccount", sns, sub.Name); known && !found {
			f := missingFinding(checks.StatusWarn, ref, fmt.Sprintf("subjects[%d].name", i), "ServiceAccount", sns, sub.Name)
			f.Hint = "Create the ServiceAccount or fix the subject: the binding grants its role to no one."
			out = append(out, f)
		}
	}
	return out
}

// selectorFindings names NetworkPolicies and PodDisruptionBudgets whose selector matches no
// pod of their namespace: a policy that protects nothing, a budget that guards nothing.
func (w *refWorld) selectorFindings(ctx context.Context, s *kube.Snapshot) []checks.Finding {
	if !w.p.Read(kube.Pods) {
		return nil // which pods they select cannot be told
	}
	var out []checks.Finding
	nps, _ := checks.ListPartial[*networkingv1.NetworkPolicy](ctx, s, &w.p, kube.NetworkPolicies)
	for _, np := range nps {
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 {
			continue // every pod of the namespace, however many there are
		}
		ref := checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name}
		if f, ok := w.selectsNothing(ref, "spec.podSelector", &np.Spec.PodSelector); ok {
			out = append(out, f)
		}
	}
	pdbs, _ := checks.ListPartial[*policyv1.PodDisruptionBudget](ctx, s, &w.p, kube.PodDisruptionBudgets)
	for _, b := range pdbs {
		ref := checks.ObjectRef{APIVersion: "policy/v1", Kind: "PodDisruptionBudget", Namespace: b.Namespace, Name: b.Name}
		if f, ok := w.selectsNothing(ref, "spec.selector", b.Spec.Selector); ok {
			out = append(out, f)
		}
	}
	return out
}

func (w *refWorld) selectsNothing(ref checks.ObjectRef, field string, sel *metav1.LabelSelector) (checks.Finding, bool) {
	selector := labels.Nothing()
	if sel != nil {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return checks.Finding{}, false // the API server refuses such selectors; nothing to judge
		}
		selector = s
	}
	for _, p := range w.pods {
		if p.Namespace == ref.Namespace && selector.Matches(labels.Set(p.Labels)) {
			return checks.Finding{}, false
		}
	}
	shown := "none"
	if sel != nil {
		shown = metav1.FormatLabelSelector(sel)
	}
	f := checks.Finding{
		Severity: checks.StatusWarn,
		Problem:  "selects-no-pod",
		Object:   &ref,
		Message:  fmt.Sprintf("%s %s selects no pod", ref.Kind, visibleName(ref)),
		Evidence: []string{field + ": " + visibleText(shown), "no pod of namespace " + visibleText(ref.Namespace) + " matches"},
		Commands: []checks.Command{
			getCmd(ref, "jsonpath={."+field+"}"),
			checks.Cmd("kubectl", "-n", ref.Namespace, "get", "pods", "--show-labels"),
		},
		Hint: "Fix the selector to match the pods' labels (or their labels): a policy that selects no pod protects nothing, a budget that selects none guards nothing.",
	}
	if sel != nil {
		f.Evidence = append(f.Evidence, w.labelsInstead(ref.Namespace, sel.MatchLabels)...)
	}
	if ref.Kind == "NetworkPolicy" {
		f.Commands[1] = checks.Cmd("kubectl", "-n", ref.Namespace, "get", "pods", "-l", shown)
	}
	return f, true
}

// maxValuesShown caps the values a label has among a namespace's pods, as evidence.
const maxValuesShown = 5

// labelsInstead says, for each key=value of a selector that no pod of the namespace has, what
// the pods have for that key instead, a near miss (look-alike, case, one character) marked:
// "app=wbe: the pods have app=api, app=web (near miss: one character)".
func (w *refWorld) labelsInstead(namespace string, match map[string]string) []string {
	keys := make([]string, 0, len(match))
	for k := range match {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		want := match[k]
		seen := map[string]bool{}
		for _, p := range w.pods {
			if v, ok := p.Labels[k]; ok && p.Namespace == namespace {
				seen[v] = true
			}
		}
		if seen[want] {
			continue // this label matches; another one does not
		}
		if len(seen) == 0 {
			out = append(out, fmt.Sprintf("%s=%s: no pod of %s has the label %s", visibleText(k), visibleText(want), visibleText(namespace), visibleText(k)))
			continue
		}
		values := make([]string, 0, len(seen))
		for v := range seen {
			values = append(values, v)
		}
		slices.Sort(values)
		var have []string
		for _, v := range values {
			s := visibleText(k + "=" + v)
			if near := nearness(want, v); near != "" {
				s += " (near miss: " + near + ")"
			}
			have = append(have, s)
		}
		out = append(out, fmt.Sprintf("%s=%s: the pods have %s", visibleText(k), visibleText(want), phrase.List(have, maxValuesShown)))
	}
	return out
}
