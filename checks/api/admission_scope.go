package api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kockpit/kockpit/checks"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// webhookScopeFindings warns about webhooks that reach too far: every resource or every
// operation, and mutating webhooks on pods.
func webhookScopeFindings(in admissionInput, w webhook) []checks.Finding {
	var out []checks.Finding
	allRes, allOps := -1, -1
	podRule := -1
	for i, r := range w.rules {
		// All the resources of the webhook's own groups are its business; of every group, everyone's.
		if slices.Contains(r.APIGroups, "*") && (slices.Contains(r.Resources, "*") || slices.Contains(r.Resources, "*/*")) {
			allRes = i
		}
		if slices.Contains(r.Operations, admissionv1.OperationAll) {
			allOps = i
		}
		if w.mutating && rewritesPods(r) {
			podRule = i
		}
	}
	narrowing := webhookSelectorsEvidence(in, w)
	if allRes >= 0 || allOps >= 0 {
		var what []string
		var evidence []string
		if allRes >= 0 {
			what = append(what, "every resource")
			evidence = append(evidence, ruleText(allRes, w.rules[allRes]))
		}
		if allOps >= 0 {
			what = append(what, "every operation")
			if allOps != allRes {
				evidence = append(evidence, ruleText(allOps, w.rules[allOps]))
			}
		}
		msg := fmt.Sprintf("%s webhook %s matches %s: every such request waits for it", w.kind(), w.name, strings.Join(what, " and "))
		if w.failure == admissionv1.Fail {
			msg += ", and fails when it is down"
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Object:   &w.config,
			Message:  msg,
			Evidence: append(append([]string{fmt.Sprintf("webhooks[%d]: %s, failurePolicy %s", w.index, w.name, w.failure)}, evidence...), narrowing...),
			Hint: "Match only the resources and operations the webhook needs, and exclude kube-system and the " +
				"webhook's own namespace with a namespaceSelector, so the cluster can heal while it is down.",
			Commands: []checks.Command{w.getCommand()},
		})
	}
	if podRule >= 0 {
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Object:   &w.config,
			Message:  fmt.Sprintf("mutating webhook %s can rewrite images: it may change every pod it matches before the pod is stored", w.name),
			Evidence: append([]string{fmt.Sprintf("webhooks[%d]: %s", w.index, w.name), ruleText(podRule, w.rules[podRule]), destinationText(w)}, narrowing...),
			Hint: "Know what it does: a webhook that quietly swaps an image tag shows as pods whose images differ " +
				"from their Deployment's template. Compare them, and remove the configuration if nobody owns it.",
			Commands: []checks.Command{
				w.getCommand(),
				checks.Cmd("kubectl", "get", "pods", "-A", "-o", `jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\t"}{.spec.containers[*].image}{"\n"}{end}`),
			},
		})
	}
	return out
}

// rewritesPods says whether a rule sends pod creations or updates to the webhook.
func rewritesPods(r admissionv1.RuleWithOperations) bool {
	group := slices.Contains(r.APIGroups, "") || slices.Contains(r.APIGroups, "*")
	res := slices.Contains(r.Resources, "pods") || slices.Contains(r.Resources, "*") || slices.Contains(r.Resources, "*/*")
	ops := slices.ContainsFunc(r.Operations, func(o admissionv1.OperationType) bool {
		return o == admissionv1.Create || o == admissionv1.Update || o == admissionv1.OperationAll
	})
	return group && res && ops
}

func ruleText(i int, r admissionv1.RuleWithOperations) string {
	return fmt.Sprintf("rules[%d]: operations %v, apiGroups %q, resources %q", i, r.Operations, r.APIGroups, r.Resources)
}

func destinationText(w webhook) string {
	switch {
	case w.client.Service != nil:
		return fmt.Sprintf("clientConfig.service: %s/%s", w.client.Service.Namespace, w.client.Service.Name)
	case w.client.URL != nil:
		return "clientConfig.url: " + *w.client.URL
	}
	return "clientConfig: (empty)"
}

// webhookSelectorsEvidence quotes what narrows the webhook, and says when it also applies in
// kube-system, where a webhook that is down blocks the cluster's own repairs.
func webhookSelectorsEvidence(in admissionInput, w webhook) []string {
	var out []string
	if s := selectorText(w.nsSel); s != "" {
		out = append(out, "namespaceSelector: "+s)
	}
	if s := selectorText(w.objSel); s != "" {
		out = append(out, "objectSelector: "+s)
	}
	nsLabels := labels.Set{corev1.LabelMetadataName: "kube-system"}
	for _, ns := range in.namespaces {
		if ns.Name == "kube-system" {
			nsLabels = labels.Merge(ns.Labels, nsLabels)
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(w.nsSel)
	if w.nsSel == nil {
		sel, err = labels.Everything(), nil
	}
	if err == nil && sel.Matches(nsLabels) {
		out = append(out, "it applies in kube-system too")
	}
	return out
}

// selectorText writes a label selector as kubectl's -l would take it; "" for none or everything.
func selectorText(s *metav1.LabelSelector) string {
	if s == nil {
		return ""
	}
	if text := metav1.FormatLabelSelector(s); text != "<none>" {
		return text
	}
	return ""
}
