package dns

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// The dns.service judgement on objects in memory, for what the fixtures do not show.

var dnsTestNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func dnsService(ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns", Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec:       corev1.ServiceSpec{ClusterIP: "10.96.0.10", Selector: map[string]string{"k8s-app": "kube-dns"}, Ports: ports},
	}
}

func svcPort(proto corev1.Protocol, target intstr.IntOrString) corev1.ServicePort {
	return corev1.ServicePort{Port: 53, Protocol: proto, TargetPort: target}
}

func corednsDeployment(replicas, ready int32) *appsv1.Deployment {
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": "kube-dns"}},
				Spec: corev1.PodSpec{DNSPolicy: corev1.DNSDefault, Containers: []corev1.Container{{Name: "coredns", Ports: []corev1.ContainerPort{
					{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
					{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
				}}}},
			},
		},
		Status: appsv1.DeploymentStatus{ReadyReplicas: ready},
	}
	return d
}

func runService(t *testing.T, objs ...runtime.Object) checks.Result {
	t.Helper()
	snap, err := kube.NewObjectSnapshot(t.Context(), objs...)
	if err != nil {
		t.Fatal(err)
	}
	return runDNSService(t.Context(), &checks.Env{Snapshot: snap, Now: func() time.Time { return dnsTestNow }})
}

func TestDNSServiceMissing(t *testing.T) {
	other := dnsService()
	other.Namespace = "default"
	r := runService(t, other, corednsDeployment(2, 2))
	f := findingAbout(r, "Service", "kube-system", "kube-dns")
	if r.Status != checks.StatusFail || f == nil || !f.Cause || !strings.Contains(f.Message, "no kube-dns Service in kube-system") {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSServiceNoDeployment(t *testing.T) {
	r := runService(t, dnsService(svcPort(corev1.ProtocolUDP, intstr.FromInt32(53)), svcPort(corev1.ProtocolTCP, intstr.FromInt32(53))),
		deployment("kube-system", "metrics-server", corev1.PodSpec{}))
	f := findingAbout(r, "Deployment", "kube-system", "coredns")
	if r.Status != checks.StatusFail || f == nil || len(f.Explains) != 1 || !strings.Contains(f.Message, "no CoreDNS (or kube-dns) Deployment") {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSServiceTargetPorts(t *testing.T) {
	r := runService(t, dnsService(svcPort(corev1.ProtocolUDP, intstr.FromString("domain")), svcPort(corev1.ProtocolTCP, intstr.FromInt32(5353))),
		corednsDeployment(2, 2))
	if r.Status != checks.StatusFail || len(r.Findings) != 2 {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	msgs := r.Findings[0].Message + "\n" + r.Findings[1].Message
	if !strings.Contains(msgs, `port 53/UDP sends traffic to the port name "domain", which no container of the DNS pods declares`) ||
		!strings.Contains(msgs, "port 53/TCP sends traffic to port 5353, where CoreDNS does not listen") {
		t.Errorf("messages:\n%s", msgs)
	}
	// Named ports that exist, and an unset targetPort (which is the port), are fine.
	r = runService(t, dnsService(svcPort(corev1.ProtocolUDP, intstr.FromString("dns")), svcPort(corev1.ProtocolTCP, intstr.IntOrString{})), corednsDeployment(2, 2))
	if r.Status != checks.StatusOK {
		t.Errorf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSServiceHeadless(t *testing.T) {
	s := dnsService(svcPort(corev1.ProtocolUDP, intstr.FromInt32(53)), svcPort(corev1.ProtocolTCP, intstr.FromInt32(53)))
	s.Spec.ClusterIP = corev1.ClusterIPNone
	r := runService(t, s, corednsDeployment(2, 2))
	if r.Status != checks.StatusFail || !strings.Contains(r.Findings[0].Message, "headless") {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSServiceNoneReady(t *testing.T) {
	r := runService(t, dnsService(svcPort(corev1.ProtocolUDP, intstr.FromInt32(53)), svcPort(corev1.ProtocolTCP, intstr.FromInt32(53))), corednsDeployment(2, 0))
	f := findingAbout(r, "Deployment", "kube-system", "coredns")
	if r.Status != checks.StatusFail || f == nil || !f.Cause || f.Message != "none of the 2 pods of the coredns Deployment is ready, so cluster DNS answers nothing" {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSServicePodTrouble(t *testing.T) {
	labels := map[string]string{"k8s-app": "kube-dns", "pod-template-hash": "7c65d6cfc9"}
	restarting := pod("kube-system", "coredns-7c65d6cfc9-aaaaa", labels, corev1.PodSpec{})
	restarting.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "coredns", RestartCount: 4, Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "OOMKilled", ExitCode: 137, FinishedAt: metav1.NewTime(dnsTestNow.Add(-10 * time.Minute))}},
	}}
	pulling := pod("kube-system", "coredns-7c65d6cfc9-bbbbb", labels, corev1.PodSpec{})
	pulling.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "coredns", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image \"registry.k8s.io/coredns/coredns:v9.9.9\""}},
	}}
	old := pod("kube-system", "coredns-7c65d6cfc9-ccccc", labels, corev1.PodSpec{})
	old.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "coredns", RestartCount: 7, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", FinishedAt: metav1.NewTime(dnsTestNow.Add(-72 * time.Hour))}},
	}}
	r := runService(t, dnsService(svcPort(corev1.ProtocolUDP, intstr.FromInt32(53)), svcPort(corev1.ProtocolTCP, intstr.FromInt32(53))),
		corednsDeployment(3, 2), restarting, pulling, old)
	if f := findingAbout(r, "Pod", "kube-system", "coredns-7c65d6cfc9-aaaaa"); f == nil || f.Severity != checks.StatusWarn ||
		f.Message != "the DNS pod coredns-7c65d6cfc9-aaaaa restarted 4 times, last 10m0s ago" ||
		!strings.Contains(strings.Join(f.Evidence, "\n"), "last termination: OOMKilled, exit code 137") {
		t.Errorf("restarting: %+v", f)
	}
	if f := findingAbout(r, "Pod", "kube-system", "coredns-7c65d6cfc9-bbbbb"); f == nil || f.Severity != checks.StatusFail ||
		!strings.Contains(f.Message, "cannot start its container coredns (ImagePullBackOff)") {
		t.Errorf("pulling: %+v", f)
	}
	if f := findingAbout(r, "Pod", "kube-system", "coredns-7c65d6cfc9-ccccc"); f != nil {
		t.Errorf("restarts three days ago are history: %+v", f)
	}
}

func TestDNSServiceDaemonSet(t *testing.T) {
	ds := &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns-ds"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": "kube-dns"}}},
		},
		Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, NumberReady: 0},
	}
	own := pod("kube-system", "coredns-ds-x1", map[string]string{"k8s-app": "kube-dns"}, corev1.PodSpec{}, controller("apps/v1", "DaemonSet", "coredns-ds"))
	fake := pod("kube-system", "dns-imposter", map[string]string{"k8s-app": "kube-dns"}, corev1.PodSpec{})
	svc := dnsService(svcPort(corev1.ProtocolUDP, intstr.FromInt32(53)), svcPort(corev1.ProtocolTCP, intstr.FromInt32(53)))
	r := runService(t, svc, deployment("kube-system", "other", corev1.PodSpec{}), ds, own, fake)
	if f := findingAbout(r, "DaemonSet", "kube-system", "coredns-ds"); f == nil || f.Severity != checks.StatusFail {
		t.Errorf("DaemonSet none ready: %+v", r.Findings)
	}
	if f := findingAbout(r, "Pod", "kube-system", "dns-imposter"); f == nil || !strings.Contains(f.Message, "the coredns-ds DaemonSet does not own it") {
		t.Errorf("imposter: %+v", r.Findings)
	}
	if f := findingAbout(r, "Pod", "kube-system", "coredns-ds-x1"); f != nil {
		t.Errorf("the DaemonSet's own pod is no fake: %+v", f)
	}
	ds.Status.NumberReady = 3
	r = runService(t, svc, deployment("kube-system", "other", corev1.PodSpec{}), ds, own)
	if r.Status != checks.StatusOK || !strings.HasSuffix(r.Summary, "; DaemonSet coredns-ds 3/3 ready (not in the snapshot: EndpointSlices)") {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

func TestOwnedByDeployment(t *testing.T) {
	d := corednsDeployment(2, 2)
	labels := map[string]string{"k8s-app": "kube-dns", "pod-template-hash": "7c65d6cfc9"}
	for _, tt := range []struct {
		pod  *corev1.Pod
		want bool
	}{
		{pod("kube-system", "coredns-7c65d6cfc9-aaaaa", labels, corev1.PodSpec{}, controller("apps/v1", "ReplicaSet", "coredns-7c65d6cfc9")), true},
		{pod("kube-system", "coredns-7c65d6cfc9-aaaaa", labels, corev1.PodSpec{}), true},
		{pod("kube-system", "coredns-7c65d6cfc9-aaaaa", labels, corev1.PodSpec{}, controller("apps/v1", "ReplicaSet", "evil-7c65d6cfc9")), false},
		{pod("kube-system", "coredns-7c65d6cfc9-aaaaa", labels, corev1.PodSpec{}, controller("apps/v1", "ReplicaSet", "coredns-1111111111")), false},
		{pod("kube-system", "coredns-fake", map[string]string{"k8s-app": "kube-dns"}, corev1.PodSpec{}), false},
		{pod("kube-system", "coredns-7c65d6cfc9-b", map[string]string{"pod-template-hash": "7c65d6cfc9"}, corev1.PodSpec{}), false},
		{pod("default", "coredns-7c65d6cfc9-aaaaa", labels, corev1.PodSpec{}), false},
	} {
		if got := ownedByDeployment(tt.pod, d); got != tt.want {
			t.Errorf("%s/%s owners %v: %v, want %v", tt.pod.Namespace, tt.pod.Name, tt.pod.OwnerReferences, got, tt.want)
		}
	}
}
