package runtime

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/internal/podinfo"
)

// benchPods is n pods, one in 20 unable to pull its image, of seven Deployments; half of
// those keep their Failed event. The shape `make bench` seeds.
func benchPods(n int) ([]*corev1.Pod, []*corev1.Event) {
	var pods []*corev1.Pod
	var events []*corev1.Event
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	for i := range n {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%06d", i), Namespace: fmt.Sprintf("bench-%02d", i%50),
			Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%200)}},
			Spec:   corev1.PodSpec{NodeName: "node", Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1.0"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: running}}}}
		if i%20 == 0 {
			dep := fmt.Sprintf("shop-%d", i%7)
			p.Labels["pod-template-hash"] = "5d7f8b9c6d"
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: dep + "-5d7f8b9c6d", Controller: new(bool)}}
			p.Spec.Containers[0].Image = "registry.exampel/app:1.0"
			msg := `failed to pull and unpack image "registry.exampel/app:1.0": dial tcp: lookup registry.exampel on 10.0.0.2:53: no such host`
			p.Status = corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image: ErrImagePull: " + msg}}}}}
			if i%40 == 0 {
				events = append(events, &corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name},
					Reason: "Failed", Message: `Failed to pull image "registry.exampel/app:1.0": ` + msg})
			}
		}
		pods = append(pods, p)
	}
	return pods, events
}

// BenchmarkPodsGrouping is runtime.pods' work on 20,000 pods with 5% failing, lists in hand.
func BenchmarkPodsGrouping(b *testing.B) {
	pods, events := benchPods(20000)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		in := podInputs{pods: pods, events: indexEvents(events), configMaps: map[string]*corev1.ConfigMap{},
			owners: podinfo.NewWorkloadIndex(nil, nil, nil), now: now}
		r := judgePods(in)
		if len(r.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

// TestBenchShapeGroups: the benchmark's failing pods are one finding per Deployment and
// namespace, not one per pod.
func TestBenchShapeGroups(t *testing.T) {
	pods, events := benchPods(20000)
	in := podInputs{pods: pods, events: indexEvents(events), owners: podinfo.NewWorkloadIndex(nil, nil, nil), now: testNow}
	groups := groupPodProblems(in)
	total := 0
	for _, g := range groups {
		total += len(g.pods)
	}
	if total != 1000 || len(groups) > 7*50 {
		t.Errorf("%d failing pods in %d groups", total, len(groups))
	}
}
