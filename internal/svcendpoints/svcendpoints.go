// Package svcendpoints judges a Service's endpoints: pods exist but none is listed ready.
package svcendpoints

import (
	"fmt"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/netpolicy"
	"github.com/kockpit/kockpit/internal/podinfo"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Findings reports a Service whose pods exist but whose EndpointSlices list none ready.
func Findings(svc *corev1.Service, groups []*netpolicy.PodGroup, slices []*discoveryv1.EndpointSlice) []checks.Finding {
	ready, listed := 0, 0
	for _, s := range slices {
		for _, e := range s.Endpoints {
			listed++
			if e.Conditions.Ready == nil || *e.Conditions.Ready || svc.Spec.PublishNotReadyAddresses {
				ready++
			}
		}
	}
	if ready > 0 {
		return nil
	}
	var readyPods int
	var states []string
	for _, g := range groups {
		for _, p := range g.Pods {
			if podinfo.Ready(p) {
				readyPods++
			} else if len(states) < 3 {
				states = append(states, p.Name+": "+podinfo.State(p))
			}
		}
	}
	total := netpolicy.PodCount(groups)
	f := checks.Finding{
		Severity: checks.StatusFail,
		Object:   ServiceRef(svc),
		Evidence: append([]string{fmt.Sprintf("EndpointSlices: %d, endpoints listed: %d, ready: 0", len(slices), listed),
			fmt.Sprintf("pods selected: %d, Ready: %d", total, readyPods)}, states...),
		Commands: []checks.Command{
			checks.Cmd("kubectl", "-n", svc.Namespace, "get", "endpointslices", "-l", "kubernetes.io/service-name="+svc.Name),
			checks.Cmd("kubectl", "-n", svc.Namespace, "get", "pods", "-l", labels.SelectorFromSet(svc.Spec.Selector).String(), "-o", "wide"),
		},
	}
	switch {
	case readyPods == 0:
		f.Message = fmt.Sprintf("Service %s/%s has no ready endpoints: none of its %d pods is ready", svc.Namespace, svc.Name, total)
		if total == 1 {
			f.Message = fmt.Sprintf("Service %s/%s has no ready endpoints: its only pod is not ready", svc.Namespace, svc.Name)
		}
		f.Hint = "The pods' readiness probes fail or their containers do not start: describe a pod and read its logs."
	case len(slices) == 0:
		f.Message = fmt.Sprintf("Service %s/%s has no EndpointSlice although %d of its pods are ready: nothing routes to them", svc.Namespace, svc.Name, readyPods)
		f.Hint = "kube-controller-manager's EndpointSlice controller writes them: check that it runs and is not started with --controllers=-endpointslice."
	default:
		f.Message = fmt.Sprintf("Service %s/%s's EndpointSlices list no ready endpoint although %d of its pods are ready", svc.Namespace, svc.Name, readyPods)
		f.Hint = "The EndpointSlices are stale or written by hand: check who manages them (label endpointslice.kubernetes.io/managed-by)."
	}
	return []checks.Finding{f}
}

func ServiceRef(svc *corev1.Service) *checks.ObjectRef {
	return &checks.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}
}
