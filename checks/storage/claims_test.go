package storage

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func TestStorageProvisioningFailed(t *testing.T) {
	withStorage(t, "provisioning-failed")
	r := checktest.RunLive(t, "storage.claims")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "team-a", "reports",
		"PersistentVolumeClaim team-a/reports: provisioner csi.example.com failed to make its volume: the backend refuses the class's parameters or the claim's size")
	if !f.Cause {
		t.Error("a refusing provisioner is the first broken link")
	}
	want := `event ProvisioningFailed (12 times, `
	if !slices.ContainsFunc(f.Evidence, func(e string) bool {
		return strings.HasPrefix(e, want) && strings.Contains(e, `invalid volume size 50Gi: exceeds the pool's maximum of 32Gi`)
	}) {
		t.Errorf("evidence = %q", f.Evidence)
	}
	// The class and its provisioner are sound: storage.classes blames nothing.
	checktest.RequireNoProblems(t, checktest.RunLive(t, "storage.classes"))
}

// Events expire after an hour: without them, a claim Pending for long under a running
// provisioner still says how long and what the annotations show.
func TestStorageProvisioningFailedEventsExpired(t *testing.T) {
	withStorage(t, "provisioning-failed")
	env := offlineCopy(t, time.Now().Add(2*time.Hour), func(kind string) bool { return kind == "Event" })
	r := checktest.RunCheck(t, env, "storage.claims")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PersistentVolumeClaim", "team-a", "reports",
		"PersistentVolumeClaim team-a/reports has waited 2h for provisioner csi.example.com, which left no failure in the events")
	if !slices.Contains(f.Evidence, "volume.kubernetes.io/storage-provisioner: csi.example.com") ||
		!slices.ContainsFunc(f.Evidence, func(e string) bool {
			return strings.HasPrefix(e, "provisioner pods ready: kube-system/csi-example-controller-0")
		}) {
		t.Errorf("evidence = %q", f.Evidence)
	}
	if !slices.ContainsFunc(f.Commands, func(c checks.Command) bool {
		return c.String() == "kubectl -n kube-system logs csi-example-controller-0 --all-containers --tail=50"
	}) {
		t.Errorf("commands = %v", f.Commands)
	}
}

func TestStorageOrphanProvisionerEventsExpired(t *testing.T) {
	withStorage(t, "orphan-provisioner")
	env := offlineCopy(t, time.Now().Add(2*time.Hour), func(kind string) bool { return kind == "Event" })
	classes := checktest.RunCheck(t, env, "storage.classes")
	cause := checktest.RequireObjectFinding(t, classes, checks.StatusFail, "StorageClass", "", "ceph-rbd", "runs nowhere")
	claims := checktest.RunCheck(t, env, "storage.claims")
	symptom := checktest.RequireObjectFinding(t, claims, checks.StatusFail, "PersistentVolumeClaim", "team-a", "pg-data", "which runs nowhere")
	requireFolded(t, cause, symptom)
}

func TestStorageStaticClaimNearMiss(t *testing.T) {
	withStorage(t, "static-nearmiss")
	r := checktest.RunLive(t, "storage.claims")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "team-a", "archive",
		"PersistentVolumeClaim team-a/archive fits no PersistentVolume: the nearest, nfs-archive, differs in size")
	for _, want := range []string{
		`the claim wants: class "", 20Gi, ReadWriteMany`,
		"PersistentVolume nfs-archive: capacity 10Gi, less than the 20Gi requested",
	} {
		if !slices.Contains(f.Evidence, want) {
			t.Errorf("evidence lacks %q: %q", want, f.Evidence)
		}
	}
	if !f.Cause {
		t.Error("no volume fitting a static claim is the first broken link")
	}
}

func TestStorageReleasedRetained(t *testing.T) {
	withStorage(t, "released-retain")
	r := checktest.RunLive(t, "storage.claims")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PersistentVolume", "", "pvc-9e8d7c6b-old-db",
		"is Released and kept (reclaim policy Retain)")
	if !slices.Contains(f.Evidence, "was bound to claim team-a/old-db") {
		t.Errorf("evidence = %q", f.Evidence)
	}
	if got := f.Commands[1].String(); got != `kubectl patch pv pvc-9e8d7c6b-old-db --type=json -p '[{"op":"remove","path":"/spec/claimRef"}]'` {
		t.Errorf("command = %s", got)
	}
}

// The shapes the API server cannot hold as fixtures (Terminating, ages) are judged offline.
var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func objMeta(name, ns string, age time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, CreationTimestamp: metav1.NewTime(testNow.Add(-age))}
}

func claim(name, class string, phase corev1.PersistentVolumeClaimPhase, volume string) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}, ObjectMeta: objMeta(name, "shop", 3*time.Hour),
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: volume, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: phase}}
	return c
}

func podUsing(name, claimName, node string) *corev1.Pod {
	return &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: objMeta(name, "shop", time.Hour),
		Spec: corev1.PodSpec{NodeName: node, Volumes: []corev1.Volume{{Name: "data",
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func offline(t *testing.T, objs ...any) *checks.Env {
	t.Helper()
	env := checktest.OfflineEnv(t, toObjects(objs)...)
	env.Now = func() time.Time { return testNow }
	return env
}

func TestStorageTerminatingClaimNamesItsPod(t *testing.T) {
	c := claim("orders", "fast", corev1.ClaimBound, "pv-orders")
	c.DeletionTimestamp = ptr(metav1.NewTime(testNow.Add(-40 * time.Minute)))
	c.Finalizers = []string{"kubernetes.io/pvc-protection"}
	pv := &corev1.PersistentVolume{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"}, ObjectMeta: objMeta("pv-orders", "", 3*time.Hour),
		Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "shop", Name: "orders"}}, Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}
	r := checktest.RunCheck(t, offline(t, c, pv, podUsing("orders-db-0", "orders", "worker1")), "storage.claims")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PersistentVolumeClaim", "shop", "orders",
		"has been Terminating for 40m: pod orders-db-0 still uses it, so its protection finalizer keeps it")
	if got := checktest.ExplainedNames(f); !slices.Equal(got, []string{"orders-db-0"}) {
		t.Errorf("explains %q", got)
	}
}

func TestStorageLostAndMissingVolume(t *testing.T) {
	lost := claim("ledger", "fast", corev1.ClaimLost, "pv-ledger")
	gone := claim("photos", "fast", corev1.ClaimBound, "pv-photos")
	other := &corev1.PersistentVolume{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"}, ObjectMeta: objMeta("pv-other", "", time.Hour)}
	r := checktest.RunCheck(t, offline(t, lost, gone, other), "storage.claims")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "shop", "ledger", "is Lost: its PersistentVolume pv-ledger is gone")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "shop", "photos", "is Bound to PersistentVolume pv-photos, which does not exist")
}

func TestStorageWaitForFirstConsumerIsNormal(t *testing.T) {
	wffc := storagev1.VolumeBindingWaitForFirstConsumer
	sc := &storagev1.StorageClass{TypeMeta: metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"}, ObjectMeta: objMeta("local", "", 24*time.Hour),
		Provisioner: noProvisioner, VolumeBindingMode: &wffc}
	waiting := claim("scratch", "local", corev1.ClaimPending, "")
	other := &corev1.PersistentVolume{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"}, ObjectMeta: objMeta("pv-other", "", time.Hour)}
	// Static or dynamic, a WaitForFirstConsumer claim no pod uses is Pending by design.
	r := checktest.RunCheck(t, offline(t, sc, waiting, other), "storage.claims")
	checktest.RequireNoProblems(t, r)
	if r.Status != checks.StatusOK {
		t.Fatalf("status %v: %s", r.Status, r.Summary)
	}
	sc.Provisioner = "rancher.io/local-path"
	prov := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: objMeta("local-path-provisioner-1", "local-path-storage", time.Hour),
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	r = checktest.RunCheck(t, offline(t, sc, waiting, prov, other), "storage.claims")
	checktest.RequireNoProblems(t, r)

	// Once a pod uses it and cannot be scheduled, the scheduler's words are the cause.
	pod := podUsing("scratch-0", "scratch", "")
	pod.Status.Phase = corev1.PodPending
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
		Message: "0/3 nodes are available: 3 node(s) didn't find available persistent volumes to bind."}}
	r = checktest.RunCheck(t, offline(t, sc, waiting, prov, pod, other), "storage.claims")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "shop", "scratch", "waits for its first consumer, and pod scratch-0 cannot be scheduled")
	if !slices.Contains(f.Evidence, "pod scratch-0: 0/3 nodes are available: 3 node(s) didn't find available persistent volumes to bind.") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestStorageResizeStuck(t *testing.T) {
	c := claim("metrics", "fast", corev1.ClaimBound, "pv-metrics")
	c.Status.Conditions = []corev1.PersistentVolumeClaimCondition{{Type: corev1.PersistentVolumeClaimResizing, Status: corev1.ConditionTrue,
		LastTransitionTime: metav1.NewTime(testNow.Add(-2 * time.Hour))}}
	pv := &corev1.PersistentVolume{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"}, ObjectMeta: objMeta("pv-metrics", "", 3*time.Hour),
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}
	r := checktest.RunCheck(t, offline(t, c, pv), "storage.claims")
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PersistentVolumeClaim", "shop", "metrics", "resize is stuck: Resizing for 2h")

	c.Status.Conditions[0].LastTransitionTime = metav1.NewTime(testNow.Add(-time.Minute))
	checktest.RequireNoProblems(t, checktest.RunCheck(t, offline(t, c, pv), "storage.claims"))
}

func TestStorageVolumeAffinityMatchesNoNode(t *testing.T) {
	pv := &corev1.PersistentVolume{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"}, ObjectMeta: objMeta("pv-local", "", 3*time.Hour),
		Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "shop", Name: "db"},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"worker3"}}}}}}}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}
	node := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: "worker1", Labels: map[string]string{"kubernetes.io/hostname": "worker1"}}}
	c := claim("db", "local", corev1.ClaimBound, "pv-local")
	pod := podUsing("db-0", "db", "")
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/1 nodes are available: 1 node(s) had volume node affinity conflict."}}
	r := checktest.RunCheck(t, offline(t, pv, node, c, pod), "storage.claims")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolume", "", "pv-local", "may only be used on nodes that do not exist")
	if got := checktest.ExplainedNames(f); !slices.Equal(got, []string{"db", "db-0"}) {
		t.Errorf("explains %q", got)
	}
	if !slices.Contains(f.Evidence, "pod db-0: 0/1 nodes are available: 1 node(s) had volume node affinity conflict.") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestStorageVolumeSmallerThanItsClaim(t *testing.T) {
	c := claim("uploads", "", corev1.ClaimBound, "pv-uploads")
	c.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("50Gi")
	pv := &corev1.PersistentVolume{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"}, ObjectMeta: objMeta("pv-uploads", "", 3*time.Hour),
		Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "shop", Name: "uploads"},
			Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}
	r := checktest.RunCheck(t, offline(t, c, pv), "storage.claims")
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PersistentVolume", "", "pv-uploads",
		"PersistentVolume pv-uploads does not give its claim shop/uploads what it asks: capacity 5Gi, the claim asks for 50Gi")

	pv.Spec.Capacity[corev1.ResourceStorage] = resource.MustParse("50Gi")
	checktest.RequireNoProblems(t, checktest.RunCheck(t, offline(t, c, pv), "storage.claims"))
}
