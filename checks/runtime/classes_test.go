package runtime

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube/testcluster"
)

func classesFixture(name string) string { return checktest.Fixture("runtime-classes/" + name) }

func TestClassesHealthy(t *testing.T) {
	r := checktest.RunLive(t, "runtime.classes")
	checktest.RequireNoProblems(t, r)
	if r.Status != checks.StatusOK || r.Summary != "no RuntimeClasses, and no workload asks for one" {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

func TestClasses(t *testing.T) {
	c := checktest.Cluster(t)
	c.Replace(t, classesFixture("nodes.yaml"))
	c.Apply(t, classesFixture("classes.yaml"))
	r := checktest.RunLive(t, "runtime.classes")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "RuntimeClass", "", "gvisor", "RuntimeClass gvisor: no node has handler runsc")
	requireEvidence(t, f, "nodes that list their handlers: cp1, worker1, worker2", `their handlers: ""(default), runc`,
		"pods using it (2): team-a/sandboxed-4d5e6f7a8-r2t3y, team-a/sandboxed-4d5e6f7a8-u8i9o")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "RuntimeClass", "", "kata", "RuntimeClass kata: scheduling.nodeSelector matches no node")
	requireEvidence(t, f, "scheduling.nodeSelector: runtime=kata", "pods using it: none")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "legacy", "RuntimeClass gvisor-old does not exist")
	requireEvidence(t, f, "event FailedCreate on ReplicaSet legacy-5f6a7b8c9", "condition ReplicaFailure", "RuntimeClasses: gvisor, kata, runc")
	if n := countProblems(r.Findings); n != 3 {
		t.Errorf("want 3 problems, runc is fine:\n%s", checktest.DescribeObjectFindings(r))
	}
	checktest.RequireLiteralCommands(t, r)

	// The kubelet's events name the missing handler; runtime.pods says it on the pods' owner.
	// The class's finding is their cause, and names that finding by its ID.
	pods := checktest.RunLive(t, "runtime.pods")
	symptom := checktest.RequireObjectFinding(t, pods, checks.StatusFail, "Deployment", "team-a", "sandboxed", "2 pods of Deployment team-a/sandboxed get no pod sandbox: runtime handler")
	gvisor := checktest.FindingWith(r, "RuntimeClass gvisor:")
	if !gvisor.Cause || !slices.Contains(gvisor.ExplainsFindings, symptom.ID) || !slices.Contains(checktest.ExplainedNames(*gvisor), "sandboxed") {
		t.Errorf("cause %v, explains %v %v; want the finding %s", gvisor.Cause, gvisor.ExplainsFindings, gvisor.Explains, symptom.ID)
	}

	// The events expired: the Deployment's ReplicaFailure condition still says it.
	r = withoutEvents(t, "runtime.classes")
	f = checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "legacy", "RuntimeClass gvisor-old does not exist")
	requireEvidence(t, f, `condition ReplicaFailure: "pods \"legacy-5f6a7b8c9-\" is forbidden: pod rejected: RuntimeClass \"gvisor-old\" not found"`)
}

// TestClassesNodesWithoutHandlers: runtimes before containerd 2.0 list no handlers, which says
// nothing about runsc: not judged. The node selector and the missing class need no handlers.
func TestClassesNodesWithoutHandlers(t *testing.T) {
	checktest.Cluster(t).Apply(t, classesFixture("classes.yaml"))
	r := checktest.RunLive(t, "runtime.classes")
	if f := checktest.FindingWith(r, "handler"); f != nil {
		t.Errorf("judged a handler on nodes that list none: %s", f.Message)
	}
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "RuntimeClass", "", "kata", "matches no node")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "legacy", "RuntimeClass gvisor-old does not exist")
}

// TestClassesAsViewer: ClusterRole view does not read RuntimeClasses; the owner's events and
// condition still show a class that does not exist, and the handlers are said to be unjudged.
func TestClassesAsViewer(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("runtime-viewer"), classesFixture("classes.yaml"))
	kc := c.KubeconfigWith(t, func(cfg *clientcmdapi.Config) { cfg.AuthInfos[testcluster.AdminUser].Impersonate = "runtime-viewer" })
	r := checktest.RunCheck(t, checktest.LiveEnv(t, kc), "runtime.classes")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "legacy", "RuntimeClass gvisor-old does not exist")
	if strings.Contains(strings.Join(f.Evidence, "\n"), "RuntimeClasses:") {
		t.Errorf("listed RuntimeClasses it could not read: %q", f.Evidence)
	}
	if checktest.FindingWith(r, "RuntimeClasses or nodes not read: their handlers are not judged") == nil {
		t.Errorf("no word on the unread RuntimeClasses:\n%s", checktest.DescribeObjectFindings(r))
	}
}

// TestClassesSomeNodesWithoutHandlers: a class no reporting node has, while other nodes report
// nothing, is a warning: the silent nodes may have it.
func TestClassesSomeNodesWithoutHandlers(t *testing.T) {
	withHandlers := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: "new"},
		Status: corev1.NodeStatus{RuntimeHandlers: []corev1.NodeRuntimeHandler{{Name: "runc"}}}}
	silent := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: "old"}}
	rc := &nodev1.RuntimeClass{TypeMeta: metav1.TypeMeta{APIVersion: "node.k8s.io/v1", Kind: "RuntimeClass"}, ObjectMeta: metav1.ObjectMeta{Name: "gvisor"}, Handler: "runsc"}
	for _, tt := range []struct {
		nodes []runtime.Object
		want  checks.Status
	}{
		{[]runtime.Object{withHandlers, silent}, checks.StatusWarn},
		{[]runtime.Object{withHandlers}, checks.StatusFail},
		{[]runtime.Object{silent}, checks.StatusOK},
	} {
		r := checktest.RunCheck(t, checktest.OfflineEnv(t, append(tt.nodes, rc, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "a"}})...), "runtime.classes")
		if r.Status != tt.want {
			t.Errorf("%d nodes: status %v, want %v:\n%s", len(tt.nodes), r.Status, tt.want, checktest.DescribeObjectFindings(r))
		}
	}
}
