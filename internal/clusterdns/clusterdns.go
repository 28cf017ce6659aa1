// Package clusterdns knows where cluster DNS lives: the kube-dns Service of kube-system and the
// label its pods carry, for every area that follows DNS traffic.
package clusterdns

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Where cluster DNS lives: kubeadm, k3s, kind and the managed clusters all run it in kube-system
// behind a Service named kube-dns, with pods labelled k8s-app=kube-dns, whether the server is
// CoreDNS or the older kube-dns.
const (
	Namespace   = "kube-system"
	ServiceName = "kube-dns"
	LabelKey    = "k8s-app"
	LabelValue  = "kube-dns"
)

// FindService returns the kube-dns Service of kube-system: by name, else the first (by name)
// labelled k8s-app=kube-dns. Nil when there is none.
func FindService(svcs []*corev1.Service) *corev1.Service {
	var labelled []*corev1.Service
	for _, s := range svcs {
		if s.Namespace != Namespace {
			continue
		}
		if s.Name == ServiceName {
			return s
		}
		if s.Labels[LabelKey] == LabelValue {
			labelled = append(labelled, s)
		}
	}
	if len(labelled) == 0 {
		return nil
	}
	sort.Slice(labelled, func(i, j int) bool { return labelled[i].Name < labelled[j].Name })
	return labelled[0]
}

// Selector is what picks the DNS pods: the Service's selector, or k8s-app=kube-dns when
// there is no Service (or it selects nothing).
func Selector(svc *corev1.Service) labels.Selector {
	if svc != nil && len(svc.Spec.Selector) > 0 {
		return labels.SelectorFromSet(svc.Spec.Selector)
	}
	return labels.SelectorFromSet(labels.Set{LabelKey: LabelValue})
}
