package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// A large cluster for the storage checks' benchmarks: 1,000 nodes, each with a CSINode; 20,000
// claims bound to 20,000 CSI volumes, each attached (a VolumeAttachment) to the node of the pod
// that mounts it; one pod in 20 stuck in ContainerCreating with a FailedMount event; 1,000
// claims Pending on a class whose provisioner runs nowhere.
const (
	benchNodes   = 1000
	benchClaims  = 20000
	benchPending = 1000
)

func benchObjects() []runtime.Object {
	var objs []runtime.Object
	created := metav1.NewTime(testNow.Add(-time.Hour))
	tm := func(apiVersion, kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	}
	objs = append(objs,
		&storagev1.StorageClass{TypeMeta: tm("storage.k8s.io/v1", "StorageClass"), ObjectMeta: metav1.ObjectMeta{Name: "fast",
			Annotations: map[string]string{defaultClassAnnotation: "true"}}, Provisioner: "csi.example.com"},
		&storagev1.StorageClass{TypeMeta: tm("storage.k8s.io/v1", "StorageClass"), ObjectMeta: metav1.ObjectMeta{Name: "gone"}, Provisioner: "gone.example.com"},
		&storagev1.CSIDriver{TypeMeta: tm("storage.k8s.io/v1", "CSIDriver"), ObjectMeta: metav1.ObjectMeta{Name: "csi.example.com"}},
		&corev1.Pod{TypeMeta: tm("v1", "Pod"), ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "csi-controller-0"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "plugin", Args: []string{"--drivername=csi.example.com"}},
				{Name: "attacher", Image: "registry.k8s.io/sig-storage/csi-attacher:v4.8.0"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}})
	for n := range benchNodes {
		name := fmt.Sprintf("node-%04d", n)
		objs = append(objs,
			&corev1.Node{TypeMeta: tm("v1", "Node"), ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}},
			&storagev1.CSINode{TypeMeta: tm("storage.k8s.io/v1", "CSINode"), ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{{Name: "csi.example.com", NodeID: name}}}})
	}
	fast, gone := "fast", "gone"
	for i := range benchClaims + benchPending {
		ns, name := fmt.Sprintf("team-%03d", i%200), fmt.Sprintf("data-%05d", i)
		node := fmt.Sprintf("node-%04d", i%benchNodes)
		c := &corev1.PersistentVolumeClaim{TypeMeta: tm("v1", "PersistentVolumeClaim"), ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: created},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &fast, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
		pod := &corev1.Pod{TypeMeta: tm("v1", "Pod"), ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-0", CreationTimestamp: created},
			Spec: corev1.PodSpec{NodeName: node, Volumes: []corev1.Volume{{Name: "data",
				VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
		objs = append(objs, c, pod)
		if i >= benchClaims {
			c.Spec.StorageClassName, c.Status.Phase, pod.Spec.NodeName = &gone, corev1.ClaimPending, ""
			pod.Status = corev1.PodStatus{Phase: corev1.PodPending}
			continue
		}
		pvName := "pvc-" + name + "-" + ns
		c.Spec.VolumeName = pvName
		objs = append(objs,
			&corev1.PersistentVolume{TypeMeta: tm("v1", "PersistentVolume"), ObjectMeta: metav1.ObjectMeta{Name: pvName},
				Spec: corev1.PersistentVolumeSpec{StorageClassName: fast, Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
					ClaimRef:               &corev1.ObjectReference{Namespace: ns, Name: name},
					PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "csi.example.com", VolumeHandle: pvName}}},
				Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}},
			&storagev1.VolumeAttachment{TypeMeta: tm("storage.k8s.io/v1", "VolumeAttachment"), ObjectMeta: metav1.ObjectMeta{Name: "csi-" + pvName, CreationTimestamp: created},
				Spec:   storagev1.VolumeAttachmentSpec{Attacher: "csi.example.com", NodeName: node, Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pvName}},
				Status: storagev1.VolumeAttachmentStatus{Attached: true}})
		if i%20 == 0 {
			pod.Status = corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}
			objs = append(objs, &corev1.Event{TypeMeta: tm("v1", "Event"), ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-0.1"},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: name + "-0"}, Reason: "FailedMount", Type: corev1.EventTypeWarning,
				Message:       `MountVolume.SetUp failed for volume "` + pvName + `" : rpc error: code = Internal desc = mount failed: exit status 32`,
				LastTimestamp: created})
		}
	}
	return objs
}

// BenchmarkStorageSnapshot is the floor the checks' figures include: indexing the objects.
func BenchmarkStorageSnapshot(b *testing.B) {
	objs := benchObjects()
	for b.Loop() {
		if _, err := kube.NewObjectSnapshot(context.Background(), objs...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStorageChecks(b *testing.B) {
	objs := benchObjects()
	for _, c := range Checks() {
		if c.Needs&checks.NeedsHost != 0 {
			continue
		}
		b.Run(c.ID, func(b *testing.B) {
			var r checks.Result
			for b.Loop() {
				snap, err := kube.NewObjectSnapshot(context.Background(), objs...)
				if err != nil {
					b.Fatal(err)
				}
				r = c.Run(context.Background(), &checks.Env{Snapshot: snap, Now: func() time.Time { return testNow }})
			}
			if r.Status == checks.StatusError || r.Status == checks.StatusSkip {
				b.Fatalf("%s: %v %s", c.ID, r.Status, r.Summary)
			}
			b.ReportMetric(float64(len(r.Findings)), "findings")
		})
	}
}
