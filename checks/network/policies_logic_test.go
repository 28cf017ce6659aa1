package network

import (
	"errors"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/internal/netpolicy"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Pure logic of network.policies, on objects in memory: cases the test cluster cannot hold (a
// selector with a Cyrillic letter) or that need a reader without some permission.

func logicPods() ([]*corev1.Pod, []*corev1.Service) {
	pod := func(ns, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.244.1.5"}}}}
	}
	dns := pod("kube-system", "coredns-1", map[string]string{"k8s-app": "kube-dns"})
	dns.Spec.Containers = []corev1.Container{{Name: "coredns", Ports: []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"k8s-app": "kube-dns"}, ClusterIP: "10.96.0.10",
			Ports: []corev1.ServicePort{{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")}}}}
	return []*corev1.Pod{dns, pod("shop", "web-1", map[string]string{"app": "web"})}, []*corev1.Service{svc}
}

func judgeLogic(policies []*netpolicy.Policy, namespaces []*corev1.Namespace, nsErr error) checks.Result {
	pods, svcs := logicPods()
	return judgePolicies(policyInput{pods: pods, services: svcs, policies: policies, namespaces: namespaces,
		namespacesErr: nsErr, skipped: map[netpolicy.Flavour]string{}})
}

func cnp(ns, name string, spec map[string]any) *netpolicy.Policy {
	return netpolicy.CiliumPolicy(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
		"metadata": map[string]any{"namespace": ns, "name": name}, "spec": spec}}, false)
}

func TestPoliciesLookalikeInDNSRule(t *testing.T) {
	r := judgeLogic([]*netpolicy.Policy{cnp("shop", "web-egress", map[string]any{
		"endpointSelector": map[string]any{},
		"egress": []any{map[string]any{"toEndpoints": []any{map[string]any{"matchLabels": map[string]any{
			"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dnѕ"}}}}},
	})}, nil, nil)
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "CiliumNetworkPolicy", "shop", "web-egress", "pods in shop cannot resolve names")
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "U+0455 CYRILLIC SMALL LETTER DZE") {
		t.Errorf("the look-alike is not named: %q", f.Evidence)
	}
}

func TestPoliciesNamedDNSPortAndDefaultDenyOff(t *testing.T) {
	udp := corev1.ProtocolUDP
	named := intstr.FromString("dns")
	allowNamed := netpolicy.KubernetesPolicy(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "dns-by-name"},
		Spec: networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &named}}}}}})
	if !allowNamed.Parts[0].Egress.Isolates {
		t.Fatal("policyTypes unset with egress rules must isolate egress")
	}
	off := cnp("shop", "audit-only", map[string]any{
		"endpointSelector":  map[string]any{},
		"enableDefaultDeny": map[string]any{"egress": false},
		"egress":            []any{map[string]any{"toEntities": []any{"world"}}},
	})
	checktest.RequireNoProblems(t, judgeLogic([]*netpolicy.Policy{allowNamed, off}, nil, nil))
}

func TestPoliciesNamespaceLabelsUnknown(t *testing.T) {
	udp := corev1.ProtocolUDP
	port := intstr.FromInt32(53)
	np := netpolicy.KubernetesPolicy(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "dns-by-team-label"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "platform"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &port}}}}}})
	// Without the namespaces, kockpit cannot know whether kube-system is labelled team=platform.
	r := judgeLogic([]*netpolicy.Policy{np}, nil, errors.New("forbidden"))
	checktest.RequireNoProblems(t, r)
	if !strings.Contains(r.Summary, "namespaces not read") {
		t.Errorf("summary = %q", r.Summary)
	}
	// With them, it knows kube-system is not.
	kubeSystem := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}}
	shop := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	r = judgeLogic([]*netpolicy.Policy{np}, []*corev1.Namespace{kubeSystem, shop}, nil)
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "NetworkPolicy", "shop", "dns-by-team-label", "pods in shop cannot resolve names")
	// And labelled, it passes.
	kubeSystem.Labels = map[string]string{"team": "platform"}
	checktest.RequireNoProblems(t, judgeLogic([]*netpolicy.Policy{np}, []*corev1.Namespace{kubeSystem, shop}, nil))
}

func TestPoliciesUnparsableCalicoSelector(t *testing.T) {
	p := netpolicy.CalicoPolicy(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
		"metadata": map[string]any{"name": "broken"},
		"spec":     map[string]any{"selector": "app = 'web'", "types": []any{"Egress"}},
	}}, true)
	r := judgeLogic([]*netpolicy.Policy{p}, nil, nil)
	checktest.RequireNoProblems(t, r)
	inv := checktest.FindingWith(r, "1 network policy")
	if inv == nil || !strings.Contains(strings.Join(inv.Evidence, "\n"), "Calico GlobalNetworkPolicy broken: not evaluated, selector: calico selector") {
		t.Errorf("inventory does not say the policy was not evaluated: %+v", inv)
	}
}

func TestPoliciesOfflineWithoutKubernetesPolicies(t *testing.T) {
	pods, svcs := logicPods()
	for _, p := range pods {
		p.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	}
	svcs[0].TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}
	ccnp := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
		"metadata": map[string]any{"name": "world-only"},
		"spec": map[string]any{"endpointSelector": map[string]any{}, "egress": []any{
			map[string]any{"toEntities": []any{"world"}}}}}}
	env := checktest.OfflineEnv(t, pods[0], pods[1], svcs[0], ccnp)
	r := runNetworkPolicies(t.Context(), env)
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "CiliumClusterwideNetworkPolicy", "", "world-only", "reach only the world entity")
	if !strings.Contains(r.Summary, "skipped: NetworkPolicy not in the snapshot") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestSuggestsAllow(t *testing.T) {
	for s, want := range map[string]bool{
		"allow-frontend": true, "default.allow-dns": true, "Permit web": true, "web-allowed": true,
		"disallow": false, "deny-all": false, "shallow": false, "lets the frontend in": false,
	} {
		if got := netpolicy.SuggestsAllow(s); got != want {
			t.Errorf("suggestsAllow(%q) = %v", s, got)
		}
	}
}
