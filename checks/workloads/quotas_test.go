package workloads

import (
	"slices"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// TestQuotasQuotaUsedUp: the quota names the Deployment it refuses, from the ReplicaSet's event,
// or from its ReplicaFailure condition once the events expired.
func TestQuotasQuotaUsedUp(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("quota.yaml"))
	r := checktest.RunLive(t, "workloads.quotas")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "ResourceQuota", "team-q", "compute",
		"ResourceQuota team-q/compute is used up and refuses pods of Deployment team-q/api")
	requireEvidence(t, f, "pods: used 2 of 2", `ReplicaSet api-7c9d8b6f5: event FailedCreate (x12): "Error creating: pods`)
	if !f.Cause || !slices.Equal(checktest.ExplainedNames(f), []string{"api"}) {
		t.Errorf("cause %v, explains %v; want the cause of Deployment api", f.Cause, checktest.ExplainedNames(f))
	}
	checktest.RequireLiteralCommands(t, r)

	r = withoutEvents(t, "workloads.quotas")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "ResourceQuota", "team-q", "compute", "refuses pods of Deployment team-q/api")
	requireEvidence(t, f, "ReplicaSet api-7c9d8b6f5: condition ReplicaFailure (FailedCreate)")
}

func TestQuotasLimitRangeBelowRequests(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("limitrange.yaml"))
	r := checktest.RunLive(t, "workloads.quotas")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "LimitRange", "team-l", "tiny",
		"LimitRange team-l/tiny allows less than Deployment team-l/cache ask for: admission refuses their pods")
	requireEvidence(t, f, "Deployment team-l/cache container cache: memory request 256Mi > max 64Mi, memory limit 512Mi > max 64Mi",
		`event FailedCreate (x9): "Error creating: pods "cache-6f5d4c3b2-n8m2q" is forbidden: maximum memory usage per Container is 64Mi`)
	if !f.Cause || !slices.Equal(checktest.ExplainedNames(f), []string{"cache"}) {
		t.Errorf("cause %v, explains %v; want the cause of Deployment cache", f.Cause, checktest.ExplainedNames(f))
	}
	// The controllers check sees the same Deployment with no pod, and why.
	c := checktest.RunLive(t, "workloads.controllers")
	d := checktest.RequireObjectFinding(t, c, checks.StatusFail, "Deployment", "team-l", "cache", "Deployment team-l/cache has 0 of 1 replicas available")
	requireEvidence(t, d, "maximum memory usage per Container is 64Mi")
}

func TestQuotasDisruptionBudgets(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("pdb.yaml"))
	r := checktest.RunLive(t, "workloads.quotas")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PodDisruptionBudget", "team-a", "web-pdb",
		"PodDisruptionBudget team-a/web-pdb allows zero disruptions: a drain of its pods' nodes never ends")
	requireEvidence(t, f, "disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2", "minAvailable: 2")
	g := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PodDisruptionBudget", "team-a", "ghost",
		"PodDisruptionBudget team-a/ghost selects no pod: it protects nothing")
	requireEvidence(t, g, "selector: app=gohst")
}
