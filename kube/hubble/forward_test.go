package hubble

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func relaySvc(ns string, port int32, target intstr.IntOrString) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hubble-relay"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"k8s-app": "hubble-relay"},
			Ports: []corev1.ServicePort{{Name: "grpc", Port: port, TargetPort: target}}},
	}
}

func relayPodIn(ns, name string, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"k8s-app": "hubble-relay"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "hubble-relay",
			Ports: []corev1.ContainerPort{{Name: "grpc", ContainerPort: 4245}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

func TestFindRelay(t *testing.T) {
	named := intstr.FromString("grpc")
	tests := []struct {
		name    string
		svcs    []*corev1.Service
		pods    []*corev1.Pod
		want    RelayTarget
		wantErr string
	}{
		{"kube-system first", []*corev1.Service{relaySvc("cilium", 80, named), relaySvc("kube-system", 80, intstr.FromInt32(4245))},
			[]*corev1.Pod{relayPodIn("cilium", "r-c", true), relayPodIn("kube-system", "r-k", true)},
			RelayTarget{ServiceNamespace: "kube-system", Pod: "r-k", Port: 4245}, ""},
		{"a Service with no ready pod is passed over", []*corev1.Service{relaySvc("kube-system", 80, named), relaySvc("aaa", 80, named)},
			[]*corev1.Pod{relayPodIn("kube-system", "r-k", false), relayPodIn("aaa", "r-b", true), relayPodIn("aaa", "r-a", true)},
			RelayTarget{ServiceNamespace: "aaa", Pod: "r-a", Port: 4245}, ""},
		{"cilium before any other namespace", []*corev1.Service{relaySvc("aaa", 80, named), relaySvc("cilium", 80, named)},
			[]*corev1.Pod{relayPodIn("aaa", "r-a", true), relayPodIn("cilium", "r-c", true)},
			RelayTarget{ServiceNamespace: "cilium", Pod: "r-c", Port: 4245}, ""},
		{"no targetPort: the Service's port", []*corev1.Service{relaySvc("kube-system", 4245, intstr.IntOrString{})},
			[]*corev1.Pod{relayPodIn("kube-system", "r-k", true)},
			RelayTarget{ServiceNamespace: "kube-system", Pod: "r-k", Port: 4245}, ""},
		{"TLS on 443", []*corev1.Service{relaySvc("kube-system", 443, named)},
			[]*corev1.Pod{relayPodIn("kube-system", "r-k", true)},
			RelayTarget{ServiceNamespace: "kube-system", Pod: "r-k", Port: 4245, TLS: true}, ""},
		{"a named port no pod has", []*corev1.Service{relaySvc("kube-system", 80, intstr.FromString("grcp"))},
			[]*corev1.Pod{relayPodIn("kube-system", "r-k", true)},
			RelayTarget{}, "kube-system/hubble-relay: no ready pod has the port the Service targets (grcp)"},
		{"no ready pod anywhere", []*corev1.Service{relaySvc("kube-system", 80, named), relaySvc("cilium", 80, named)},
			[]*corev1.Pod{relayPodIn("cilium", "r-c", false), relayPodIn("other", "r-o", true)},
			RelayTarget{}, "no hubble-relay pod to forward to (kube-system/hubble-relay: no running, ready pod matches its selector; cilium/hubble-relay: no running, ready pod matches its selector)"},
		{"no Service", nil, nil, RelayTarget{}, "no hubble-relay Service in any namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindRelay(tt.svcs, tt.pods)
			if tt.wantErr != "" {
				var fe *ForwardError
				if !errors.As(err, &fe) || fe.Failure != NoRelay || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want NoRelay with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
