package workloads

import (
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// withoutEvents runs a check on the test cluster as if every event had expired.
func withoutEvents(t *testing.T, id string) checks.Result {
	t.Helper()
	return checktest.LiveWithout(t, id, func(kind, _, _ string) bool { return kind == "Event" })
}

func TestControllersDeploymentControllerOff(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("controller-off-deployment.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "orders",
		"Deployment team-a/orders has no ReplicaSet: the deployment controller has not acted on it")
	requireEvidence(t, f, `kube-controller-manager --controllers without "deployment" (e.g. --controllers=*,-deployment)`)
	checktest.RequireLiteralCommands(t, r)
}

func TestControllersReplicaSetControllerOff(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("controller-off-replicaset.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "ReplicaSet", "team-a", "billing-5c7d9e8f6",
		"ReplicaSet team-a/billing-5c7d9e8f6 never got pods: the replicaset controller has not acted on it")
	requireEvidence(t, f, "--controllers=*,-replicaset")
	if !f.Cause || !slices.Equal(checktest.ExplainedNames(f), []string{"billing"}) {
		t.Errorf("cause %v, explains %v; want the cause of Deployment billing", f.Cause, checktest.ExplainedNames(f))
	}
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "billing", "Deployment team-a/billing has 0 of 2 replicas available")
}

// TestControllersQuotaRefusal: admission refused the third pod, so there is none; the owner's
// event says why, and with the events expired its ReplicaFailure condition still does.
func TestControllersQuotaRefusal(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("quota.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-q", "api", "Deployment team-q/api has 2 of 3 replicas available")
	if len(checktest.FindingsWith(r, "team-q")) != 1 || strings.Contains(strings.Join(f.Evidence, "\n"), "maxUnavailable") {
		t.Errorf("want one finding about team-q, and no rollout blamed (nothing is rolling out):\n%s", checktest.DescribeObjectFindings(r))
	}
	requireEvidence(t, f, `condition ReplicaFailure (FailedCreate): "pods "api-7c9d8b6f5-x7k2m" is forbidden: exceeded quota: compute`,
		`ReplicaSet api-7c9d8b6f5: event FailedCreate (x12): "Error creating: pods`)

	r = withoutEvents(t, "workloads.controllers")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-q", "api", "has 2 of 3 replicas available")
	requireEvidence(t, f, `ReplicaSet api-7c9d8b6f5: condition ReplicaFailure (FailedCreate): "pods "api-7c9d8b6f5-x7k2m" is forbidden: exceeded quota`)
}

// TestControllersRolloutRefused: the new ReplicaSet's pods are refused while the old ones keep
// the Deployment available and its deadline has not passed: the rollout is stuck, said with the
// refusal (the event, or with the events expired the ReplicaSet's ReplicaFailure condition).
func TestControllersRolloutRefused(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("rollout-refused.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Deployment", "team-r", "web",
		"Deployment team-r/web's rollout is stuck: 0 of 2 replicas updated")
	requireEvidence(t, f, `ReplicaSet web-6c5d4e3f2: event FailedCreate (x7): "Error creating: admission webhook "pods.policy-guard.example.com" denied the request"`)

	if fs := checktest.FindingsWith(r, "team-r/api"); len(fs) != 0 {
		t.Errorf("a rollout going well is called stuck for an old ReplicaSet's refusal: %+v", fs)
	}

	r = withoutEvents(t, "workloads.controllers")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Deployment", "team-r", "web", "rollout is stuck")
	requireEvidence(t, f, `ReplicaSet web-6c5d4e3f2: condition ReplicaFailure (FailedCreate): "admission webhook "pods.policy-guard.example.com" denied the request"`)
}

func TestControllersRolloutStuckMaxUnavailableZero(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("rollout-stuck.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "frontend",
		"Deployment team-a/frontend's rollout is stuck: 1 of 3 replicas updated")
	requireEvidence(t, f, `condition Progressing=False (ProgressDeadlineExceeded): "ReplicaSet "frontend-8c7b6a5d4" has timed out progressing."`,
		"rollout with maxUnavailable 0: 1 of 3 replicas updated",
		"1: container frontend CrashLoopBackOff (14 restarts)")
}

func TestControllersJobsAndCronJobs(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("jobs.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Job", "team-a", "migrate", "Job team-a/migrate failed: BackoffLimitExceeded")
	requireEvidence(t, f, `condition Failed (BackoffLimitExceeded): "Job has reached the specified backoff limit"`)
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "CronJob", "team-a", "nightly", "CronJob team-a/nightly is suspended")
}

func TestControllersReadinessProbe(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("probes.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Deployment", "team-a", "checkout",
		"1 pod of Deployment team-a/checkout runs but fails its readiness probe")
	requireEvidence(t, f, "container checkout: readinessProbe httpGet /healthz port 8080",
		`event Unhealthy (x240): "Readiness probe failed: HTTP probe failed with statuscode: 503"`)
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "checkout", "Deployment team-a/checkout has 0 of 1 replicas available")

	r = withoutEvents(t, "workloads.controllers")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Deployment", "team-a", "checkout", "fails its readiness probe")
	requireEvidence(t, f, "no Unhealthy event left (events expire)", "readinessProbe httpGet /healthz port 8080")
}

func TestControllersEvictedPile(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("evicted.yaml"))
	r := checktest.RunLive(t, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Deployment", "team-a", "indexer",
		"6 pods of Deployment team-a/indexer were evicted and pile up")
	requireEvidence(t, f, "nodes: worker2", `last message: "The node was low on resource: ephemeral-storage.`)
}

// TestControllersTerminatingAndCronNeverRan: what a fixture cannot create (a pod being deleted,
// a CronJob created days ago) is judged offline.
func TestControllersTerminatingAndCronNeverRan(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	deleted := metav1.NewTime(now.Add(-20 * time.Minute))
	podType := metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	cronType := metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"}
	stuck := &corev1.Pod{TypeMeta: podType, ObjectMeta: metav1.ObjectMeta{Name: "db-0", Namespace: "team-a", DeletionTimestamp: &deleted,
		Finalizers: []string{"example.com/backup"}}, Spec: corev1.PodSpec{NodeName: "worker1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	fresh := &corev1.Pod{TypeMeta: podType, ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "team-a", DeletionTimestamp: ptr(metav1.NewTime(now.Add(-time.Minute)))},
		Spec: corev1.PodSpec{NodeName: "worker1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	hourly := &batchv1.CronJob{TypeMeta: cronType, ObjectMeta: metav1.ObjectMeta{Name: "report", Namespace: "team-a", CreationTimestamp: metav1.NewTime(now.Add(-3 * time.Hour))},
		Spec: batchv1.CronJobSpec{Schedule: "@hourly"}}
	yearly := &batchv1.CronJob{TypeMeta: cronType, ObjectMeta: metav1.ObjectMeta{Name: "audit", Namespace: "team-a", CreationTimestamp: metav1.NewTime(now.Add(-3 * time.Hour))},
		Spec: batchv1.CronJobSpec{Schedule: "0 0 1 1 *"}}
	env := checktest.OfflineEnv(t, stuck, fresh, hourly, yearly)
	env.Now = func() time.Time { return now }
	r := checktest.RunCheck(t, env, "workloads.controllers")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Pod", "team-a", "db-0", "pod team-a/db-0 is stuck Terminating: finalizers example.com/backup")
	requireEvidence(t, f, "deletion requested 20m ago")
	if checktest.FindingWith(r, "web-1") != nil {
		t.Errorf("a pod deleted a minute ago is reported stuck:\n%s", checktest.DescribeObjectFindings(r))
	}
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "CronJob", "team-a", "report", "CronJob team-a/report never ran, though its schedule came due since it was created 3h ago")
	if checktest.FindingWith(r, "audit") != nil {
		t.Errorf("a yearly CronJob created 3h ago is reported:\n%s", checktest.DescribeObjectFindings(r))
	}
}

func ptr[T any](v T) *T { return &v }
