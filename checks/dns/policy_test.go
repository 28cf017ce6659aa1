package dns

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// The dns.policy judgement on objects in memory: what the API server refuses to store
// (dnsPolicy None without nameservers), owner references (fixtures cannot carry them), and the
// exemptions.

func pod(ns, name string, labels map[string]string, spec corev1.PodSpec, owners ...metav1.OwnerReference) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, OwnerReferences: owners},
		Spec:       spec,
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

func controller(apiVersion, kind, name string) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID("u-" + name), Controller: &yes}
}

func deployment(ns, name string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: spec},
		},
	}
}

func runPolicy(t *testing.T, objs ...runtime.Object) checks.Result {
	t.Helper()
	snap, err := kube.NewObjectSnapshot(t.Context(), objs...)
	if err != nil {
		t.Fatal(err)
	}
	return runDNSPolicy(t.Context(), &checks.Env{Snapshot: snap})
}

func TestDNSPolicyNoneWithoutNameservers(t *testing.T) {
	p := pod("team-a", "resolver-less", nil, corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Searches: []string{"a.example"}}})
	r := runPolicy(t, p)
	f := findingAbout(r, "Pod", "team-a", "resolver-less")
	if r.Status != checks.StatusFail || f == nil || !strings.Contains(f.Message, "dnsPolicy None without dnsConfig.nameservers") ||
		f.Commands[0].String() != "kubectl -n team-a get pod resolver-less -o 'jsonpath={.spec.dnsPolicy} {.spec.dnsConfig}'" {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	ok := pod("team-a", "custom", nil, corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.96.0.10"}}})
	if r := runPolicy(t, ok); r.Status != checks.StatusOK {
		t.Errorf("None with nameservers is fine: %+v", r.Findings)
	}
}

func TestDNSPolicyOwners(t *testing.T) {
	def := corev1.PodSpec{DNSPolicy: corev1.DNSDefault}
	hash := map[string]string{"app": "web", "pod-template-hash": "5d7f8b9c6d"}
	var objs []runtime.Object
	for i := range 5 {
		objs = append(objs, pod("team-a", fmt.Sprintf("web-5d7f8b9c6d-%d", i), hash, def, controller("apps/v1", "ReplicaSet", "web-5d7f8b9c6d")))
	}
	// A ReplicaSet named NAME-HASH with its pods' hash is Deployment NAME's; one without a hash
	// (legacy) is no Deployment's and owns its pods itself.
	objs = append(objs, pod("team-a", "api-6c8d9f7b5a-x", map[string]string{"pod-template-hash": "6c8d9f7b5a"}, def, controller("apps/v1", "ReplicaSet", "api-6c8d9f7b5a")),
		pod("team-a", "nightly-29001-abcde", nil, def, controller("batch/v1", "Job", "nightly-29001")),
		pod("team-a", "legacy-x1", nil, def, controller("apps/v1", "ReplicaSet", "legacy")))
	r := runPolicy(t, objs...)
	if len(r.Findings) != 4 {
		t.Fatalf("want one finding per owner, got %+v", r.Findings)
	}
	web := findingAbout(r, "Deployment", "team-a", "web")
	if web == nil || web.Evidence[1] != "5 running pod(s) with it: web-5d7f8b9c6d-0, web-5d7f8b9c6d-1, web-5d7f8b9c6d-2 and 2 more" {
		t.Errorf("web = %+v", web)
	}
	if web != nil && web.Evidence[0] != "spec.template.spec.dnsPolicy: Default" {
		t.Errorf("web evidence = %q", web.Evidence)
	}
	if api := findingAbout(r, "Deployment", "team-a", "api"); api == nil {
		t.Errorf("api's pods belong to Deployment api: %+v", r.Findings)
	}
	if rs := findingAbout(r, "ReplicaSet", "team-a", "legacy"); rs == nil {
		t.Errorf("a bare ReplicaSet is its pods' owner: %+v", r.Findings)
	}
	job := findingAbout(r, "Job", "team-a", "nightly-29001")
	if job == nil || job.Commands[0].String() != "kubectl -n team-a get job nightly-29001 -o 'jsonpath={.spec.template.spec.dnsPolicy}'" {
		t.Errorf("job = %+v", job)
	}
	if !strings.HasPrefix(r.Summary, "4 workload(s) bypass or break cluster DNS: ") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestDNSPolicyTemplateFixedPodsNot(t *testing.T) {
	d := deployment("team-a", "web", corev1.PodSpec{})
	p := pod("team-a", "web-5d7f8b9c6d-0", map[string]string{"app": "web", "pod-template-hash": "5d7f8b9c6d"}, corev1.PodSpec{DNSPolicy: corev1.DNSDefault})
	r := runPolicy(t, d, p)
	f := findingAbout(r, "Deployment", "team-a", "web")
	if f == nil || f.Evidence[len(f.Evidence)-1] != "1 running pod(s) with it: web-5d7f8b9c6d-0" {
		t.Fatalf("pods still running with the old setting are reported under their Deployment: %+v", r.Findings)
	}
}

func TestDNSPolicyExemptions(t *testing.T) {
	hostNet := corev1.PodSpec{HostNetwork: true}
	r := runPolicy(t,
		// CoreDNS and NodeLocal DNSCache resolve with the node's resolver on purpose.
		deployment("kube-system", "coredns", corev1.PodSpec{DNSPolicy: corev1.DNSDefault}),
		pod("kube-system", "node-local-dns-x1", map[string]string{"k8s-app": "node-local-dns"}, corev1.PodSpec{DNSPolicy: corev1.DNSDefault, HostNetwork: true}),
		// Node agents on the host network, and static pods.
		pod("kube-system", "kube-proxy-a1", map[string]string{"k8s-app": "kube-proxy"}, hostNet),
		pod("calico-system", "calico-node-b2", nil, hostNet),
		pod("kube-system", "kube-apiserver-cp1", nil, hostNet, controller("v1", "Node", "cp1")),
		// ClusterFirstWithHostNet is the right setting.
		pod("team-a", "agent-1", nil, corev1.PodSpec{HostNetwork: true, DNSPolicy: corev1.DNSClusterFirstWithHostNet}),
		// Finished pods do not resolve anything any more.
		&corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "done"},
			Spec: corev1.PodSpec{DNSPolicy: corev1.DNSDefault}, Status: corev1.PodStatus{Phase: corev1.PodSucceeded}},
	)
	if r.Status != checks.StatusOK || len(r.Findings) != 0 {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	// But another kube-system workload with Default is reported.
	r = runPolicy(t, deployment("kube-system", "metrics-server", corev1.PodSpec{DNSPolicy: corev1.DNSDefault}))
	if findingAbout(r, "Deployment", "kube-system", "metrics-server") == nil {
		t.Errorf("metrics-server is no DNS server: %+v", r.Findings)
	}
}

func TestDNSPolicyNdotsValues(t *testing.T) {
	opt := func(v *string) *corev1.PodDNSConfig {
		return &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: v}}}
	}
	s := func(v string) *string { return &v }
	for _, tt := range []struct {
		value *string
		warn  string
	}{
		{s("5"), ""}, {s("1"), ""}, {s("6"), "sets ndots to 6"}, {s("lots"), `sets the resolver option ndots to "lots"`}, {nil, `ndots to ""`}, {s("-1"), `ndots to "-1"`},
	} {
		p, ok := ndotsProblem(opt(tt.value))
		if ok != (tt.warn != "") || (ok && !strings.Contains(p.what, tt.warn)) {
			t.Errorf("ndots %v: %v %q, want %q", tt.value, ok, p.what, tt.warn)
		}
	}
}

func TestDNSPolicyNothingReadable(t *testing.T) {
	r := runPolicy(t)
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotCollected {
		t.Errorf("with no workload or pod in the snapshot: %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
}

// BenchmarkDNSPolicy100kPods: 100,000 pods of 1,000 Deployments, one Deployment in twenty on
// dnsPolicy Default (5,000 flagged pods to fold into 50 findings).
func BenchmarkDNSPolicy100kPods(b *testing.B) {
	var objs []runtime.Object
	for d := range 1000 {
		spec := corev1.PodSpec{}
		if d%20 == 0 {
			spec.DNSPolicy = corev1.DNSDefault
		}
		name := fmt.Sprintf("app-%d", d)
		objs = append(objs, deployment(fmt.Sprintf("ns-%d", d%50), name, spec))
		for i := range 100 {
			labels := map[string]string{"app": name, "pod-template-hash": "5d7f8b9c6d"}
			objs = append(objs, pod(fmt.Sprintf("ns-%d", d%50), fmt.Sprintf("%s-5d7f8b9c6d-%05d", name, i), labels, spec))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		snap, err := kube.NewObjectSnapshot(b.Context(), objs...)
		if err != nil {
			b.Fatal(err)
		}
		r := runDNSPolicy(b.Context(), &checks.Env{Snapshot: snap})
		if len(r.Findings) != 50 {
			b.Fatalf("%d findings", len(r.Findings))
		}
	}
}
