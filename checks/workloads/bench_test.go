package workloads

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// benchCluster is the shape `make bench` seeds: nodes Ready, pods spread over them in 50
// namespaces, one in 97 Pending (owned by Deployment "stuck" of its namespace, asking for a
// label no node has), one in ten with a required anti-affinity to the pods of its app.
func benchCluster(nodes, pods int) []runtime.Object {
	var out []runtime.Object
	alloc := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), corev1.ResourcePods: resource.MustParse("110")}
	for i := range nodes {
		name := fmt.Sprintf("node-%05d", i)
		out = append(out, &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
			Status:     corev1.NodeStatus{Allocatable: alloc, Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
	}
	for i := range pods {
		p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%06d", i), Namespace: fmt.Sprintf("bench-%02d", i%50),
				Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%200)}},
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%05d", i%nodes), Containers: []corev1.Container{{Name: "app",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue}, {Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}}}
		if i%10 == 3 { // one pod in ten keeps others of its app off its node, as many Deployments ask
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
				{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": p.Labels["app"]}}, TopologyKey: "kubernetes.io/hostname"}}}}
		}
		if i%97 == 1 {
			p.Spec.NodeName, p.Spec.NodeSelector = "", map[string]string{"disktype": "ssd"}
			p.Labels["pod-template-hash"] = "7d9f8c6b5"
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "stuck-7d9f8c6b5", Controller: new(bool)}}
			p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable"}}}
		}
		out = append(out, p)
	}
	return out
}

// BenchmarkChecks runs each workloads check on 1,000 nodes and 20,000 pods, the lists in hand:
// the cost of judging, without the LISTs.
func BenchmarkChecks(b *testing.B) {
	snap, err := kube.NewObjectSnapshot(context.Background(), benchCluster(1000, 20000)...)
	if err != nil {
		b.Fatal(err)
	}
	env := &checks.Env{Snapshot: snap, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
	for _, c := range Checks() {
		b.Run(c.ID, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := c.Run(context.Background(), env); r.Status == checks.StatusError {
					b.Fatal(r.Summary)
				}
			}
		})
	}
}

// TestBenchShapeGroups: the benchmark's Pending pods are one group per namespace, each judged
// on every node (the table shows the first nodes and counts the rest).
func TestBenchShapeGroups(t *testing.T) {
	snap, err := kube.NewObjectSnapshot(context.Background(), benchCluster(100, 2000)...)
	if err != nil {
		t.Fatal(err)
	}
	r := schedulingCheck.Run(context.Background(), &checks.Env{Snapshot: snap})
	groups := 0
	for _, f := range r.Findings {
		if f.Problem == "unschedulable" {
			groups++
			if n := len(f.Evidence); n != 1+1+maxTableNodes+1+1 {
				t.Errorf("%d evidence lines, want pods, table header, %d rows, the count of the rest and the fields:\n%v", n, maxTableNodes, f.Evidence)
			}
		}
	}
	if groups != 21 { // pods 1, 98, 195 ... 1941: 21, each in a namespace of its own
		t.Errorf("%d groups of Pending pods, want 21 (one per namespace)", groups)
	}
}
