package runtime

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func typedPod(name string, statuses ...corev1.ContainerStatus) *corev1.Pod {
	p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a", CreationTimestamp: metav1.NewTime(testNow.Add(-time.Hour))},
		Spec: corev1.PodSpec{NodeName: "worker1", Containers: []corev1.Container{{Name: "app", Image: "ghcr.io/example/app:1",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: statuses}}
	return p
}

func typedEvent(pod, reason, message string) *corev1.Event {
	return &corev1.Event{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta:     metav1.ObjectMeta{Name: pod + "." + reason, Namespace: "team-a"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "team-a", Name: pod}, Reason: reason, Message: message,
		LastTimestamp: metav1.NewTime(testNow.Add(-time.Minute))}
}

func runPodsOffline(t *testing.T, objs ...runtime.Object) checks.Result {
	t.Helper()
	env := checktest.OfflineEnv(t, objs...)
	env.Now = func() time.Time { return testNow }
	return checktest.RunCheck(t, env, "runtime.pods")
}

// TestPodsHostileText: escape sequences in a name, a waiting message and an event reach no
// terminal: every string is drawn visibly.
func TestPodsHostileText(t *testing.T) {
	name := "evil-pod"
	p := typedPod(name, corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
		Reason: "CreateContainerError", Message: "boom \x1b[2J\x1b[31mred\x1b[0m"}}})
	p.Spec.Containers[0].Name, p.Status.ContainerStatuses[0].Name = "app\x1b]0;title\x07", "app\x1b]0;title\x07"
	r := runPodsOffline(t, p, typedEvent(name, "Failed", "Error: \x1b[2J"))
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	for _, f := range r.Findings {
		all := f.Message + strings.Join(f.Evidence, "") + f.Hint + r.Summary
		if strings.ContainsAny(all, "\x1b\x07") {
			t.Errorf("a control character reaches the terminal: %q", all)
		}
	}
	requireEvidence(t, r.Findings[0], "␛[2J")
}

// TestPodsEventsNotRead: without events the causes come from status, and the result says so.
func TestPodsEventsNotRead(t *testing.T) {
	p := typedPod("web-1", corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
		Reason: "ErrImagePull", Message: "dial tcp: lookup ghcr.io: no such host"}}})
	r := runPodsOffline(t, p) // the snapshot holds no Event: not collected
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Pod", "team-a", "web-1", "(registry name does not resolve)")
	if checktest.FindingWith(r, "events not read: causes above come from the pods' status only") == nil {
		t.Errorf("no word on the unread events:\n%s", checktest.DescribeObjectFindings(r))
	}
}

// TestPodsOOMOnceIsAWarning: a container OOM-killed within the hour that runs again deserves a
// look; one killed a day ago does not.
func TestPodsOOMOnceIsAWarning(t *testing.T) {
	oom := func(name string, ago time.Duration) *corev1.Pod {
		return typedPod(name, corev1.ContainerStatus{Name: "app", RestartCount: 1,
			State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137, FinishedAt: metav1.NewTime(testNow.Add(-ago))}}})
	}
	r := runPodsOffline(t, oom("recent", 10*time.Minute), oom("old", 24*time.Hour))
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Pod", "team-a", "recent", "pod team-a/recent restarted lately: container app was OOMKilled")
	requireEvidence(t, f, "memory limit: 256Mi", "signal 9 (SIGKILL)")
	if countProblems(r.Findings) != 1 {
		t.Errorf("want only the recent one:\n%s", checktest.DescribeObjectFindings(r))
	}
}

// TestPodsContainerCreating: past the threshold with no event and no condition, a warning;
// before it, nothing.
func TestPodsContainerCreating(t *testing.T) {
	creating := func(name string, started time.Duration) *corev1.Pod {
		p := typedPod(name, corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}})
		p.Status.Phase = corev1.PodPending
		start := metav1.NewTime(testNow.Add(-started))
		p.Status.StartTime = &start
		return p
	}
	r := runPodsOffline(t, creating("slow", 20*time.Minute), creating("fresh", time.Minute))
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Pod", "team-a", "slow", "pod team-a/slow is stuck in ContainerCreating")
	requireEvidence(t, f, "waiting for 20m")
	if countProblems(r.Findings) != 1 {
		t.Errorf("the fresh pod is not stuck yet:\n%s", checktest.DescribeObjectFindings(r))
	}
}

// TestPodsRecoveredIgnoresOldEvents: a pod whose containers run again is fine, whatever its
// events of the last hour say.
func TestPodsRecoveredIgnoresOldEvents(t *testing.T) {
	p := typedPod("ok", corev1.ContainerStatus{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})
	r := runPodsOffline(t, p, typedEvent("ok", "FailedCreatePodSandBox", "failed to setup network for sandbox: cni plugin not initialized"),
		typedEvent("ok", "Failed", `Failed to pull image "x": not found`))
	checktest.RequireNoProblems(t, r)
}

// TestHealthyOffline: the healthy fixture as snapshot files gives no Warn or Fail either.
func TestHealthyOffline(t *testing.T) {
	env := offlineEnv(t, checktest.Fixture("healthy"))
	for _, id := range []string{"runtime.pods", "runtime.nodes", "runtime.classes"} {
		r := checktest.RunCheck(t, env, id)
		checktest.RequireNoProblems(t, r)
		if r.Status != checks.StatusOK {
			t.Errorf("%s: %v %q; nothing asks for what the files lack", id, r.Status, r.Summary)
		}
	}
}
