// Package podinfo holds facts about pods and their owners: finished, ready, restarted lately, their
// state in a word, and the workload that owns them.
package podinfo

import (
	"fmt"
	"sort"
	"time"

	"github.com/kockpit/kockpit/internal/phrase"
	corev1 "k8s.io/api/core/v1"
)

// RecentRestart is how far back a restart still says "this component is unstable now".
const RecentRestart = time.Hour

func Ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// State says in a few words why a pod is not ready: "CrashLoopBackOff (12 restarts)".
func State(p *corev1.Pod) string {
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			return fmt.Sprintf("container %s %s (%d restarts)", cs.Name, cs.State.Waiting.Reason, cs.RestartCount)
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
			return fmt.Sprintf("container %s terminated: %s, exit code %d", cs.Name, cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
		case !cs.Ready && cs.State.Running != nil:
			return fmt.Sprintf("container %s running but not ready", cs.Name)
		}
	}
	if p.Status.Reason != "" {
		return string(p.Status.Phase) + ": " + p.Status.Reason
	}
	return string(p.Status.Phase)
}

func Finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// podNames names up to n pods: "web-1, web-2 and 3 more".
func Names(pods []*corev1.Pod, n int) string {
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return phrase.List(names, n)
}
