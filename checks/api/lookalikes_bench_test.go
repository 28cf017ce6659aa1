package api

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// benchPod is a pod as a real cluster holds it: labels, annotations, two containers with env,
// args, probes, mounts and resources, volumes, tolerations; all ASCII.
func benchPod(i int) *corev1.Pod {
	container := func(name string) corev1.Container {
		return corev1.Container{
			Name:    name,
			Image:   "registry.example.com/team/" + name + ":1.27.4",
			Command: []string{"/app/" + name},
			Args:    []string{"--listen=:8080", "--upstream=http://orders.shop.svc.cluster.local:8080", "--log-level=info"},
			Env: []corev1.EnvVar{
				{Name: "ORDERS_URL", Value: "http://orders.shop.svc.cluster.local:8080"},
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "GOMAXPROCS", Value: "2"},
			},
			Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			VolumeMounts:   []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}, {Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz"}}},
		}
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: fmt.Sprintf("ns-%d", i%50), Name: fmt.Sprintf("web-7d4b9c-%05d", i),
			Labels:          map[string]string{"app": "web", "pod-template-hash": "7d4b9c", "app.kubernetes.io/part-of": "shop"},
			Annotations:     map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "8080", "kubectl.kubernetes.io/restartedAt": "2026-11-25T09:00:00Z"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d4b9c"}},
		},
		Spec: corev1.PodSpec{
			NodeName:           fmt.Sprintf("node-%d", i%1000),
			ServiceAccountName: "web",
			Containers:         []corev1.Container{container("web"), container("sidecar")},
			Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}}}}},
			Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
		},
	}
}

func benchPods(n int) []runtime.Object {
	objs := make([]runtime.Object, n)
	for i := range objs {
		objs[i] = benchPod(i)
	}
	return objs
}

// BenchmarkLookalikesWalk20000Pods is the walk over the 20,000 pods of the bench cluster.
func BenchmarkLookalikesWalk20000Pods(b *testing.B) {
	pods := benchPods(20000)
	b.ReportAllocs()
	for b.Loop() {
		if hits := lookalikesIn(kube.Pods, pods); len(hits) != 0 {
			b.Fatalf("%d hits in ASCII pods", len(hits))
		}
	}
}

// TestLookalikesWalkAllocations: walking an ASCII pod allocates next to nothing, so the cost
// stays linear in the cluster's size and light on the collector.
func TestLookalikesWalkAllocations(t *testing.T) {
	pods := benchPods(100)
	lookalikesIn(kube.Pods, pods) // the type cache fills on first use
	allocs := testing.AllocsPerRun(10, func() { lookalikesIn(kube.Pods, pods) })
	if perPod := allocs / float64(len(pods)); perPod > 12 {
		t.Errorf("%.1f allocations per ASCII pod", perPod)
	}
}

// TestLookalikesWalkFindsAPodAmongMany: the one pod with a look-alike among thousands is
// found, at its path.
func TestLookalikesWalkFindsAPodAmongMany(t *testing.T) {
	pods := benchPods(2000)
	odd := benchPod(1234)
	odd.Spec.Containers[1].Args[1] = "--upstream=http://orders.shop.svc.cluster.loсal:8080"
	pods[1234] = odd
	hits := lookalikesIn(kube.Pods, pods)
	if len(hits) != 1 || hits[0].path != "spec.containers[1].args[1]" || hits[0].ref.Name != odd.Name || hits[0].chars[0].Column != 45 {
		t.Fatalf("hits %+v", hits)
	}
}

// BenchmarkLookalikesCheck20000Pods is the whole check on the bench cluster's shape: 1,000
// nodes and 20,000 pods in 50 namespaces, from a snapshot already listed.
func BenchmarkLookalikesCheck20000Pods(b *testing.B) {
	objs := benchPods(20000)
	for i := range 1000 {
		objs = append(objs, &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%05d", i), Labels: map[string]string{"kubernetes.io/hostname": fmt.Sprintf("node-%05d", i)}}})
	}
	snap, err := kube.NewObjectSnapshot(b.Context(), objs...)
	if err != nil {
		b.Fatal(err)
	}
	env := &checks.Env{Snapshot: snap}
	b.ReportAllocs()
	for b.Loop() {
		if r := runLookalikes(b.Context(), env); r.Status != checks.StatusOK {
			b.Fatalf("%v %s", r.Status, r.Summary)
		}
	}
}
