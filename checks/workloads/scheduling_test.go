package workloads

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// fixture is a file or directory of the workloads fixtures.
func fixture(name string) string { return checktest.Fixture("workloads/" + name) }

// requireEvidence fails unless some evidence line of f contains each of want.
func requireEvidence(t *testing.T, f checks.Finding, want ...string) {
	t.Helper()
	all := strings.Join(f.Evidence, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("finding %q: no evidence says %q:\n%s", f.Message, w, all)
		}
	}
}

func TestSchedulingTaintExplainsTwoDeployments(t *testing.T) {
	c := checktest.Cluster(t)
	c.Replace(t, fixture("taint-nodes-replace"))
	c.Apply(t, fixture("taint-pending.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	shop := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "shop",
		"2 pods of Deployment team-a/shop fit no node: untolerated taint klustered=true:NoSchedule (2 nodes), untolerated taint node-role.kubernetes.io/control-plane:NoSchedule (1 node)")
	requireEvidence(t, shop, "pods: shop-7f9c6d5b8-k2m4p, shop-7f9c6d5b8-w7r9t", `scheduler: "0/3 nodes are available`,
		"why not here: NODE     REASONS",
		"why not here: cp1      untolerated taint node-role.kubernetes.io/control-plane:NoSchedule",
		"why not here: worker1  untolerated taint klustered=true:NoSchedule")
	requireEvidence(t, shop, "from the fields: spec.template.spec.tolerations")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "cart", "1 pod of Deployment team-a/cart fits no node")
	taint := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker1",
		"taint klustered=true:NoSchedule is on every schedulable node and no pod outside kube-system tolerates it: it keeps 2 workloads Pending")
	if !taint.Cause || !slices.Equal(checktest.ExplainedNames(taint), []string{"cart", "shop"}) {
		t.Errorf("taint finding: cause %v, explains %v; want a cause of cart and shop", taint.Cause, checktest.ExplainedNames(taint))
	}
	if !slices.Contains(taint.ExplainsFindings, shop.ID) {
		t.Errorf("taint finding explains findings %v, want %s among them", taint.ExplainsFindings, shop.ID)
	}
	// The control plane's own taint is there by design: no cause finding names it.
	for _, f := range r.Findings {
		if f.Object.Kind == "Node" && f.ID != taint.ID {
			t.Errorf("another taint is named a cause: %s", f.Message)
		}
	}
	checktest.RequireLiteralCommands(t, r)
}

func TestSchedulingTaintEverywhereBeforeAnythingPends(t *testing.T) {
	checktest.Cluster(t).Replace(t, fixture("taint-nodes-replace"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Node", "", "worker1",
		"taint klustered=true:NoSchedule is on every schedulable node and no pod outside kube-system tolerates it")
	requireEvidence(t, f, "on nodes: worker1, worker2")
	if f.Cause {
		t.Errorf("nothing is Pending: the taint explains nothing yet")
	}
}

func TestSchedulingSelectorNearMiss(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("selector.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "reports",
		"1 pod of Deployment team-a/reports fits no node: nodeSelector (4 nodes), untolerated taint node-role.kubernetes.io/control-plane:NoSchedule (1 node)")
	requireEvidence(t, f, "why not here: worker6  nodeSelector disktype=ssd: node has disktype=sdd (near miss of ssd: one character)",
		"why not here: worker1  nodeSelector disktype=ssd: node has no label disktype")
	if !strings.Contains(f.Hint, "nodeSelector") {
		t.Errorf("hint %q does not say to fix the nodeSelector", f.Hint)
	}
}

func TestSchedulingInsufficientMemory(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("resources.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "warehouse",
		"1 pod of Deployment team-a/warehouse fits no node: insufficient resources (3 nodes)")
	requireEvidence(t, f, "why not here: worker2  insufficient memory: requests 12Gi, ")
}

func TestSchedulingNoSchedulerServesTheName(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("no-scheduler.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "StatefulSet", "team-a", "ledger",
		"pod of StatefulSet team-a/ledger asks for scheduler default-schedular, which no running scheduler serves")
	requireEvidence(t, f, "no PodScheduled condition", "near miss of default-scheduler: one character")
}

func TestSchedulingGated(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("gated.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Pod", "team-a", "batch-runner",
		"pod team-a/batch-runner waits behind scheduling gates: example.com/quota-check")
}

// TestSchedulingVolumeClaimExplainsItsPods: a claim whose volume is pinned to a node that is
// gone keeps its pod off every node; the claim is named as the cause, the storage area's object.
func TestSchedulingVolumeClaimExplainsItsPods(t *testing.T) {
	worker := node("worker1", nil, "4")
	worker.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}
	pv := &corev1.PersistentVolume{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: metav1.ObjectMeta{Name: "local-pv-1"},
		Spec: corev1.PersistentVolumeSpec{NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"worker9"}}}}}}}}}
	pvc := &corev1.PersistentVolumeClaim{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: "data-db-0", Namespace: "team-a"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "local-pv-1"}}
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "db-0", Namespace: "team-a"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db"}}, Volumes: []corev1.Volume{{Name: "data",
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-db-0"}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
			Message: "0/1 nodes are available: 1 node(s) had volume node affinity conflict."}}}}
	r := checktest.RunCheck(t, checktest.OfflineEnv(t, worker, pv, pvc, pod), "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "PersistentVolumeClaim", "team-a", "data-db-0",
		"claim team-a/data-db-0's volume can be used on no node pod team-a/db-0 may run on")
	requireEvidence(t, f, "claim data-db-0's volume local-pv-1 may only be used where kubernetes.io/hostname In [worker9]")
	if !f.Cause || !slices.Equal(checktest.ExplainedNames(f), []string{"db-0"}) {
		t.Errorf("cause %v, explains %v; want the cause of pod db-0", f.Cause, checktest.ExplainedNames(f))
	}
}

// TestSchedulingDefaultSchedulerDown: pods no scheduler looked at, and the kube-scheduler pod
// crash-loops: the scheduler is named, not the pods' spec.
func TestSchedulingDefaultSchedulerDown(t *testing.T) {
	typ := metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	sched := &corev1.Pod{TypeMeta: typ, ObjectMeta: metav1.ObjectMeta{Name: "kube-scheduler-cp1", Namespace: "kube-system",
		Labels: map[string]string{"component": "kube-scheduler"}, Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"}},
		Spec: corev1.PodSpec{NodeName: "cp1"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "kube-scheduler", RestartCount: 9,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}}
	pending := &corev1.Pod{TypeMeta: typ, ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "team-a"},
		Status: corev1.PodStatus{Phase: corev1.PodPending}}
	cp := node("cp1", nil, "4")
	cp.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}
	r := checktest.RunCheck(t, checktest.OfflineEnv(t, cp, sched, pending), "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Pod", "team-a", "web-1",
		"pod team-a/web-1 asks for the default scheduler, and no kube-scheduler pod runs")
	requireEvidence(t, f, "scheduler pod kube-system/kube-scheduler-cp1: container kube-scheduler CrashLoopBackOff (9 restarts)")
}

// Pod affinity and anti-affinity on the real API server, pods bound with nodeName: api's pod
// fits no node, for a different term on each zone, and no zone label elsewhere; digest's
// namespaceSelector finds the cache pods of another namespace.
func TestSchedulingPodAffinityNamesTheTermPerNode(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("pod-affinity.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	api := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-p", "api", "1 pod of Deployment team-p/api fits no node: pod affinity (")
	requireEvidence(t, api,
		"why not here: zone-a1  pod anti-affinity (app=api in namespace team-p, topologyKey topology.kubernetes.io/zone): pod team-p/api-7d4b9c8f6-a1b2c runs in topology.kubernetes.io/zone=a",
		"why not here: zone-b1  pod team-p/db-0's anti-affinity (app=api in namespace team-p, topologyKey topology.kubernetes.io/zone) refuses it in topology.kubernetes.io/zone=b",
		"why not here: zone-c1  pod affinity (app=cache in namespace team-p, topologyKey topology.kubernetes.io/zone): no matching pod runs in topology.kubernetes.io/zone=c",
		"why not here: worker1  pod affinity (app=cache in namespace team-p, topologyKey topology.kubernetes.io/zone): node has no label topology.kubernetes.io/zone")
	for _, line := range api.Evidence {
		if strings.HasPrefix(line, "why not here: zone-") && strings.Count(line, "; ") > 0 {
			t.Errorf("a zone node is refused for more than its one term: %s", line)
		}
		if strings.HasPrefix(line, "closest: ") {
			t.Errorf("the closest nodes are each one change away, but not the same change: %s", line)
		}
	}
	requireEvidence(t, api, "from the fields: spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution, "+
		"spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")
	if !slices.ContainsFunc(api.Commands, func(c checks.Command) bool {
		return c.String() == "kubectl -n team-p get deployment.apps api -o 'jsonpath={.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution}'"
	}) {
		t.Errorf("no command shows the pod affinity of the template: %v", api.Commands)
	}
	if !strings.Contains(api.Hint, "pod affinity") && !strings.Contains(api.Hint, "anti-affinity") {
		t.Errorf("hint %q says nothing of pod affinity", api.Hint)
	}
	digest := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Pod", "reports", "digest", "pod reports/digest is Pending though 2 nodes would take it")
	requireEvidence(t, digest, "why not here: zone-a1  fits", "why not here: zone-b1  fits",
		"why not here: zone-c1  pod affinity (app=cache in namespaces matching team=payments, topologyKey kubernetes.io/hostname): no matching pod runs in kubernetes.io/hostname=zone-c1")
	checktest.RequireLiteralCommands(t, r)
}
