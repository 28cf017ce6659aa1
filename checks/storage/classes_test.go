package storage

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func TestStorageHealthy(t *testing.T) {
	withStorage(t)
	for _, id := range []string{"storage.classes", "storage.claims"} {
		r := checktest.RunLive(t, id)
		checktest.RequireNoProblems(t, r)
	}
	r := checktest.RunLive(t, "storage.classes")
	if r.Summary != "2 StorageClasses, one default, each provisioner served" {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestStorageNoClusterStorage(t *testing.T) {
	r := checktest.RunLive(t, "storage.classes")
	checktest.RequireNoProblems(t, r)
	if r.Summary != "no StorageClass; 0 claims" {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestStorageNoDefaultClass(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("storage/no-default"))
	classes := checktest.RunLive(t, "storage.classes")
	cause := checktest.FindingWith(classes, "No StorageClass is the default, and 1 Pending claim name no class")
	if cause == nil || cause.Severity != checks.StatusFail {
		t.Fatalf("no Fail on the missing default:\n%s", checktest.DescribeObjectFindings(classes))
	}
	if got := checktest.ExplainedNames(*cause); !slices.Equal(got, []string{"uploads"}) {
		t.Errorf("explains %q", got)
	}
	claims := checktest.RunLive(t, "storage.claims")
	symptom := checktest.RequireObjectFinding(t, claims, checks.StatusFail, "PersistentVolumeClaim", "team-a", "uploads",
		"names no StorageClass and there is no default")
	requireFolded(t, *cause, symptom)
}

func TestStorageTwoDefaults(t *testing.T) {
	withStorage(t, "two-defaults")
	r := checktest.RunLive(t, "storage.classes")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "StorageClass", "", "premium",
		"2 StorageClasses are the default (premium, standard): a new claim without a class gets premium, the newest")
	if len(f.Commands) != 2 || f.Commands[1].String() != "kubectl annotate --overwrite storageclass standard storageclass.kubernetes.io/is-default-class=false" {
		t.Errorf("commands = %v", f.Commands)
	}
}

func TestStorageOrphanProvisioner(t *testing.T) {
	withStorage(t, "orphan-provisioner")
	classes := checktest.RunLive(t, "storage.classes")
	cause := checktest.RequireObjectFinding(t, classes, checks.StatusFail, "StorageClass", "", "ceph-rbd",
		"StorageClass ceph-rbd's provisioner rbd.csi.ceph.com runs nowhere (no pod of it is ready): 1 Pending claim wait")
	if !slices.Contains(cause.Evidence, "its pods, not ready: kube-system/csi-rbdplugin-provisioner-5d8f7c9b6-x7k2p (container csi-rbdplugin CrashLoopBackOff (31 restarts))") {
		t.Errorf("evidence = %q", cause.Evidence)
	}
	if got := checktest.ExplainedNames(cause); !slices.Equal(got, []string{"pg-0", "pg-data"}) {
		t.Errorf("explains %q", got)
	}
	claims := checktest.RunLive(t, "storage.claims")
	symptom := checktest.RequireObjectFinding(t, claims, checks.StatusFail, "PersistentVolumeClaim", "team-a", "pg-data",
		"waits for provisioner rbd.csi.ceph.com, which runs nowhere (see storage.classes on StorageClass ceph-rbd)")
	requireFolded(t, cause, symptom)
	// The healthy classes are not blamed.
	if n := len(classes.Findings); n != 1 {
		t.Errorf("%d findings:\n%s", n, checktest.DescribeObjectFindings(classes))
	}
}

func TestStorageAllowedTopologiesMatchNoNode(t *testing.T) {
	node := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: "worker1", Labels: map[string]string{"topology.kubernetes.io/zone": "eu-west-1a"}}}
	sc := &storagev1.StorageClass{TypeMeta: metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"}, ObjectMeta: objMeta("zonal", "", time.Hour),
		Provisioner: noProvisioner, AllowedTopologies: []corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{
			{Key: "topology.kubernetes.io/zone", Values: []string{"eu-west-1в"}}}}}}
	waiting := claim("logs", "zonal", corev1.ClaimPending, "")
	r := checktest.RunCheck(t, offline(t, node, sc, waiting), "storage.classes")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "StorageClass", "", "zonal", "StorageClass zonal's allowedTopologies match none of the 1 node")
	if got := checktest.ExplainedNames(f); !slices.Equal(got, []string{"logs"}) {
		t.Errorf("explains %q", got)
	}
	if !slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, "U+0432 CYRILLIC SMALL LETTER VE") }) {
		t.Errorf("evidence = %q", f.Evidence)
	}
	// The node in the zone: no finding.
	sc.AllowedTopologies[0].MatchLabelExpressions[0].Values = []string{"eu-west-1a"}
	checktest.RequireNoProblems(t, checktest.RunCheck(t, offline(t, node, sc, waiting), "storage.classes"))
}
