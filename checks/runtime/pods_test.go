package runtime

import (
	"slices"
	"strings"
	"testing"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// fixture is a file of the runtime-pods fixture: one per cause.
func fixture(name string) string { return checktest.Fixture("runtime-pods/" + name) }

// withoutEvents runs a check on the test cluster as if every event had expired.
func withoutEvents(t *testing.T, id string) checks.Result {
	t.Helper()
	return checktest.LiveWithout(t, id, func(kind, _, _ string) bool { return kind == "Event" })
}

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

// ownerFindings counts the problem findings about one owner.
func ownerFindings(r checks.Result, kind, name string) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity > checks.StatusOK && f.Object != nil && f.Object.Kind == kind && f.Object.Name == name {
			n++
		}
	}
	return n
}

func TestPodsHealthy(t *testing.T) {
	r := checktest.RunLive(t, "runtime.pods")
	checktest.RequireNoProblems(t, r)
	if r.Status != checks.StatusOK {
		t.Errorf("status = %v (%s)", r.Status, r.Summary)
	}
}

func TestPodsImagePull(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("image-pull.yaml"))
	r := checktest.RunLive(t, "runtime.pods")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "payments",
		"3 pods of Deployment team-a/payments cannot pull image registry.exampel.com/team-a/payments:2.1.0 (registry name does not resolve)")
	requireEvidence(t, f, "pods: payments-6b7c8d9f5-4kq2x, payments-6b7c8d9f5-9zt7w, payments-6b7c8d9f5-m2p8d",
		"registry: registry.exampel.com", "no such host", "read from: container status, event Failed")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "catalog",
		"2 pods of Deployment team-a/catalog cannot pull image ghcr.io/example/catalog:9.9.9 (not found)")
	requireEvidence(t, f, "registry: ghcr.io", `event Failed: "Failed to pull image`)
	if ownerFindings(r, "Deployment", "payments") != 1 || ownerFindings(r, "Deployment", "catalog") != 1 {
		t.Errorf("want one finding per owner:\n%s", checktest.DescribeObjectFindings(r))
	}
	if f.ID != "runtime.pods/Deployment.apps/team-a/catalog/image-pull-not-found" {
		t.Errorf("ID = %q", f.ID)
	}
	checktest.RequireLiteralCommands(t, r)

	// The events expired: the waiting messages still say "no such host"; catalog's back-off
	// message names no cause, and the finding says so rather than guess.
	r = withoutEvents(t, "runtime.pods")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "payments", "(registry name does not resolve)")
	requireEvidence(t, f, "container status: ")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "catalog", "cannot pull image ghcr.io/example/catalog:9.9.9 (unclassified)")
}

func TestPodsConfigReference(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("config.yaml"))
	for name, r := range map[string]checks.Result{
		"events":    checktest.RunLive(t, "runtime.pods"),
		"no events": withoutEvents(t, "runtime.pods"),
	} {
		t.Run(name, func(t *testing.T) {
			f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "api", "2 pods of Deployment team-a/api cannot start: ConfigMap api-config not found")
			requireEvidence(t, f, "ConfigMap team-a/api-config: missing")
			if f.ID != "runtime.pods/Deployment.apps/team-a/api/config-reference-missing" {
				t.Errorf("ID = %q: the workloads reference check names this finding by it", f.ID)
			}
			f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "reader", "key url not found in ConfigMap reader-settings")
			requireEvidence(t, f, "key url of ConfigMap team-a/reader-settings: missing")
			f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "worker", "key password not found in Secret db")
			requireEvidence(t, f, "key password of Secret team-a/db: cannot tell whether it exists (the Secret exists; kockpit reads Secret names, never their keys)")
			if strings.Contains(strings.Join(f.Evidence, "\n"), ": missing") {
				t.Errorf("a key of a Secret is never said to be missing: %q", f.Evidence)
			}
			f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "mailer", "Secret smtp-credentials not found")
			requireEvidence(t, f, "Secret team-a/smtp-credentials: missing")
		})
	}
}

// TestPodsConfigVolume: a ConfigMap volume that does not exist keeps the pods in
// ContainerCreating; the FailedMount events name it, and so does the spec once they expire.
func TestPodsConfigVolume(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("config-volume.yaml"))
	for name, tt := range map[string]struct {
		r      checks.Result
		source string
	}{
		"events":    {checktest.RunLive(t, "runtime.pods"), `event FailedMount: "MountVolume.SetUp failed for volume \"settings\"`},
		"no events": {withoutEvents(t, "runtime.pods"), "read from: pod spec volumes"},
	} {
		t.Run(name, func(t *testing.T) {
			f := checktest.RequireObjectFinding(t, tt.r, checks.StatusFail, "Deployment", "team-a", "dashboard",
				"2 pods of Deployment team-a/dashboard cannot start: ConfigMap dashboard-settings not found")
			requireEvidence(t, f, "ConfigMap team-a/dashboard-settings: missing", tt.source)
			if n := ownerFindings(tt.r, "Deployment", "dashboard"); n != 1 {
				t.Errorf("%d findings about dashboard, want 1:\n%s", n, checktest.DescribeObjectFindings(tt.r))
			}
		})
	}
}

// TestPodsAsViewer: a user with ClusterRole view reads pods, events and ConfigMaps but not
// Secrets; the findings are the same.
func TestPodsAsViewer(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("runtime-viewer"), fixture("config.yaml"), fixture("image-pull.yaml"))
	kc := c.KubeconfigWith(t, func(cfg *clientcmdapi.Config) { cfg.AuthInfos[testcluster.AdminUser].Impersonate = "runtime-viewer" })
	r := checktest.RunCheck(t, checktest.LiveEnv(t, kc), "runtime.pods")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "api", "ConfigMap api-config not found")
	requireEvidence(t, f, "ConfigMap team-a/api-config: missing")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "payments", "(registry name does not resolve)")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "worker", "Secret db")
	// The viewer may not list Secrets: a Secret that does not exist is "cannot tell", never
	// "missing", and the result names what it could not read.
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "mailer", "Secret smtp-credentials not found")
	requireEvidence(t, f, "Secret team-a/smtp-credentials: cannot tell whether it exists", "forbidden")
	if strings.Contains(strings.Join(f.Evidence, "\n"), ": missing") {
		t.Errorf("a Secret the user may not list is said to be missing: %q", f.Evidence)
	}
	if !strings.Contains(r.Summary, "secrets") {
		t.Errorf("the summary does not name the unread Secrets: %q", r.Summary)
	}
}

// Reading Secrets' names reads no Secret's body: every read of Secrets this package's checks
// made was answered with metadata only, as the test API server's audit log records it.
func TestPodsReadNoSecretBody(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, fixture("config.yaml"))
	checktest.RunLive(t, "runtime.pods")
	reads, bodies, err := c.SecretReadsBy("kockpit/")
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) == 0 {
		t.Fatal("the audit log shows no read of Secrets by kockpit: the proof proves nothing")
	}
	for _, e := range bodies {
		t.Errorf("a Secret's body was read: %s", e)
	}
}

func TestPodsCreateError(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("create-error.yaml"))
	r := checktest.RunLive(t, "runtime.pods")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Pod", "team-a", "tool",
		"pod team-a/tool cannot start: the runtime fails to create container tool (CreateContainerError)")
	requireEvidence(t, f, `stat /app/start: no such file or directory`)
}

func TestPodsSandbox(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("sandbox.yaml"))
	r := checktest.RunLive(t, "runtime.pods")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "edge", "2 pods of Deployment team-a/edge get no pod sandbox: CNI")
	requireEvidence(t, f, "pods: edge-1a2b3c4d5-b4n5m, edge-1a2b3c4d5-c6v7b", `/run/flannel/subnet.env`, "event FailedCreatePodSandBox")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "batch", "1 pod of Deployment team-a/batch gets no pod sandbox: pause image")
	requireEvidence(t, f, `pause:3.1O`)

	// The events expired: the pods' condition still says no sandbox came up.
	r = withoutEvents(t, "runtime.pods")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "edge", "2 pods of Deployment team-a/edge get no pod sandbox")
	requireEvidence(t, f, "pod condition PodReadyToStartContainers: \"PodReadyToStartContainers=False since 2026-11-20 10:00:00Z\"")
	if strings.Contains(f.Message, "CNI") {
		t.Errorf("without the event the class is not known: %q", f.Message)
	}
}

func TestPodsCrashLoop(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("crashloop.yaml"))
	for name, r := range map[string]checks.Result{
		"events":    checktest.RunLive(t, "runtime.pods"),
		"no events": withoutEvents(t, "runtime.pods"),
	} {
		t.Run(name, func(t *testing.T) {
			f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "StatefulSet", "team-a", "db", "2 pods of StatefulSet team-a/db crash-loop: container db")
			requireEvidence(t, f, "pods: db-0, db-1", "last termination: reason Error, exit code 1, at 2026-11-20 10:20:03Z", `pg_stat_statements`)
			if !slices.ContainsFunc(f.Commands, func(c checks.Command) bool { return strings.Contains(c.String(), "logs db-0 -c db --previous") }) {
				t.Errorf("no logs command: %v", checktest.Lines(f.Commands))
			}
			f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "cache", "1 pod of Deployment team-a/cache crash-loops: container cache is OOMKilled")
			requireEvidence(t, f, "exit code 137, signal 9 (SIGKILL)", "memory limit: 64Mi")
		})
	}
}

// TestPodsOffline: the same causes from snapshot files, as `kockpit --snapshot` reads them.
func TestPodsOffline(t *testing.T) {
	env := offlineEnv(t, checktest.Fixture("healthy"), checktest.Fixture("runtime-pods"))
	r := checktest.RunCheck(t, env, "runtime.pods")
	for _, owner := range []struct{ kind, name, msg string }{
		{"Deployment", "payments", "(registry name does not resolve)"},
		{"Deployment", "catalog", "(not found)"},
		{"Deployment", "api", "ConfigMap api-config not found"},
		{"Deployment", "reader", "key url not found"},
		{"Deployment", "worker", "Secret db"},
		{"Pod", "tool", "CreateContainerError"},
		{"Deployment", "edge", "sandbox: CNI"},
		{"Deployment", "batch", "sandbox: pause image"},
		{"StatefulSet", "db", "crash-loop: container db"},
		{"Deployment", "cache", "OOMKilled"},
		{"Deployment", "dashboard", "ConfigMap dashboard-settings not found"},
		{"Deployment", "mailer", "Secret smtp-credentials not found"},
	} {
		checktest.RequireObjectFinding(t, r, checks.StatusFail, owner.kind, "team-a", owner.name, owner.msg)
	}
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "mailer", "Secret smtp-credentials")
	requireEvidence(t, f, "Secret team-a/smtp-credentials: missing")
	if n := checktest.FindingsWith(r, "team-a"); len(n) != 12 {
		t.Errorf("want 12 findings, one per cause and owner:\n%s", checktest.DescribeObjectFindings(r))
	}
}

// An image that cannot be pulled is the cause of its Deployment's trouble: the finding explains
// the Deployment and its pods, so the triage folds their other findings under it.
func TestPodsImagePullIsACause(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("image-pull.yaml"))
	r := checktest.RunLive(t, "runtime.pods")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "payments", "Deployment team-a/payments cannot pull")
	if !f.Cause || !slices.Contains(checktest.ExplainedNames(f), "payments") || len(f.Explains) < 2 {
		t.Errorf("image pull: cause %v, explains %v", f.Cause, f.Explains)
	}
}
