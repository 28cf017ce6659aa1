package network

import (
	"fmt"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/netpolicy"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// A large cluster for the network checks' benchmarks: 500 namespaces of 200 pods (100k pods):
// in each, 15 Deployments of 10 replicas, and a StatefulSet of 50 pods whose labels are all
// different (the worst case for grouping by labels); a Service per workload; and, per namespace,
// a default-deny egress policy, an allow-dns policy, a policy per Deployment, and a
// CiliumNetworkPolicy, plus a cluster-wide one.
const (
	benchNamespaces  = 500
	benchDeployments = 15
	benchReplicas    = 10
	benchStateful    = 50
)

func benchCluster() ([]*corev1.Pod, []*corev1.Service, []*netpolicy.Policy) {
	var pods []*corev1.Pod
	var services []*corev1.Service
	var policies []*netpolicy.Policy
	pod := func(ns, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.244.0.1"}},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
		}
	}
	for _, name := range []string{"coredns-a", "coredns-b"} {
		p := pod("kube-system", name, map[string]string{"k8s-app": "kube-dns"})
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}
		pods = append(pods, p)
	}
	services = append(services, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"k8s-app": "kube-dns"}, ClusterIP: "10.96.0.10",
			Ports: []corev1.ServicePort{{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)}}}})
	udp := corev1.ProtocolUDP
	dnsPort := intstr.FromInt32(53)
	for n := range benchNamespaces {
		ns := fmt.Sprintf("team-%03d", n)
		for d := range benchDeployments {
			app := fmt.Sprintf("app-%02d", d)
			for r := range benchReplicas {
				pods = append(pods, pod(ns, fmt.Sprintf("%s-5d7f8b9c6d-%05d", app, r), map[string]string{"app": app, "pod-template-hash": "5d7f8b9c6d"}))
			}
			services = append(services, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": app},
					Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}})
			policies = append(policies, netpolicy.KubernetesPolicy(&networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "allow-" + app},
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
					Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "frontend"}}}}}},
				}}))
		}
		for s := range benchStateful {
			name := fmt.Sprintf("db-%d", s)
			pods = append(pods, pod(ns, name, map[string]string{"app": "db", "statefulset.kubernetes.io/pod-name": name}))
		}
		policies = append(policies,
			netpolicy.KubernetesPolicy(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default-deny-egress"},
				Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}}),
			netpolicy.KubernetesPolicy(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "allow-dns"},
				Spec: networkingv1.NetworkPolicySpec{
					PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
					Egress: []networkingv1.NetworkPolicyEgressRule{{
						To: []networkingv1.NetworkPolicyPeer{{
							NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
							PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}}},
						Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dnsPort}}}}}}),
			netpolicy.CiliumPolicy(&unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
				"metadata": map[string]any{"namespace": ns, "name": "db-ingress"},
				"spec": map[string]any{
					"endpointSelector": map[string]any{"matchLabels": map[string]any{"app": "db"}},
					"ingress":          []any{map[string]any{"fromEndpoints": []any{map[string]any{"matchLabels": map[string]any{"app": "app-01"}}}}},
				}}}, false),
		)
	}
	policies = append(policies, netpolicy.CiliumPolicy(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
		"metadata": map[string]any{"name": "no-metadata-api"},
		"spec": map[string]any{
			"endpointSelector": map[string]any{},
			"egressDeny":       []any{map[string]any{"toCIDR": []any{"169.254.169.254/32"}}},
		}}}, true))
	return pods, services, policies
}

func BenchmarkNetworkPolicies100kPods(b *testing.B) {
	pods, services, policies := benchCluster()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := judgePolicies(policyInput{pods: pods, services: services, policies: policies, skipped: map[netpolicy.Flavour]string{}})
		if r.Status != checks.StatusWarn { // the cluster-wide egressDeny rule
			b.Fatalf("status %v: %s", r.Status, r.Summary)
		}
	}
	b.ReportMetric(float64(len(pods)), "pods")
	b.ReportMetric(float64(len(policies)), "policies")
}

func BenchmarkNetworkServices100kPods(b *testing.B) {
	pods, services, _ := benchCluster()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := judgeServices(services, pods, nil, fmt.Errorf("not read"))
		if r.Status != checks.StatusOK {
			b.Fatalf("status %v: %s", r.Status, r.Summary)
		}
	}
	b.ReportMetric(float64(len(services)), "services")
}
