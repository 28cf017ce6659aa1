package runtime

import (
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
)

// causeKind is why a container does not start (or does not stay up).
type causeKind int

const (
	causeImagePull causeKind = iota
	causeConfig
	causeCreate
	causeSandbox
	causeCreating
	causeCrashLoop
	causeOOM
)

// podProblem is one reason one pod's container does not start, with what was seen.
type podProblem struct {
	kind      causeKind
	container string
	// key tells problems of one kind apart within an owner: the image and its pull class,
	// the referenced object, the class of a sandbox error.
	key     string
	message string // the kubelet's or the runtime's words, quoted as evidence
	source  string // where message was read: "event Failed", "container status", ...

	image   string
	pull    pullClass
	ref     configRef
	sandbox sandboxClass
	reason  string // the waiting or termination reason
	term    *corev1.ContainerStateTerminated
	limit   string // the container's memory limit, for OOMKilled
	waiting time.Duration
	current bool // OOMKilled: the container crash-loops on it now, not only once lately
}

// podProblems finds every reason the pod's containers do not start. A pod whose containers all
// run has none, whatever its old events say.
func podProblems(p *corev1.Pod, in podInputs) []podProblem {
	if podinfo.Finished(p) || p.DeletionTimestamp != nil || isControlPlanePod(p) {
		return nil
	}
	var out []podProblem
	creating := false
	// In place: a status is a large struct, and copying 20,000 pods' worth costs more than the rest.
	for _, list := range [2][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			cs := &list[i]
			if w := cs.State.Waiting; w != nil {
				switch w.Reason {
				case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
					out = append(out, pullProblem(p, cs, in))
				case "CreateContainerConfigError":
					out = append(out, configProblem(p, cs, in))
				case "CreateContainerError", "RunContainerError", "StartError":
					out = append(out, createProblem(p, cs, in))
				case "CrashLoopBackOff":
					out = append(out, crashProblem(p, cs))
				case "ContainerCreating", "PodInitializing":
					creating = true
				}
				continue
			}
			if t := cs.LastTerminationState.Terminated; cs.State.Running != nil && t != nil && t.Reason == "OOMKilled" &&
				in.now.Sub(t.FinishedAt.Time) < podinfo.RecentRestart {
				pr := crashProblem(p, cs)
				pr.current = false
				out = append(out, pr)
			}
		}
	}
	if creating || (len(p.Status.ContainerStatuses)+len(p.Status.InitContainerStatuses) == 0 && p.Status.Phase == corev1.PodPending && p.Spec.NodeName != "") {
		if pr, ok := creatingProblem(p, in); ok {
			out = append(out, pr)
		}
	}
	return out
}

// messageNamesImage finds the image a pull message names: Failed to pull image "x": ...
func messageNamesImage(image string) func(string) bool {
	return func(msg string) bool { return strings.Contains(msg, `"`+image+`"`) }
}

func pullProblem(p *corev1.Pod, cs *corev1.ContainerStatus, in podInputs) podProblem {
	w := cs.State.Waiting
	image := specImage(p, cs.Name, cs.Image)
	pr := podProblem{kind: causeImagePull, container: cs.Name, image: image, reason: w.Reason,
		message: w.Message, source: "container status"}
	// The event carries the runtime's error; the waiting message of ImagePullBackOff may only
	// say "Back-off pulling image".
	if e := in.events.latest(p, "Failed", messageNamesImage(image)); e != nil && strings.HasPrefix(e.Message, "Failed to pull image") {
		pr.message, pr.source = e.Message, "event Failed"
	} else if e := in.events.latest(p, "InspectFailed", nil); e != nil && w.Reason == "InvalidImageName" {
		pr.message, pr.source = e.Message, "event InspectFailed"
	}
	pr.pull = classifyPull(w.Reason, pr.message)
	pr.key = image + "\x00" + string(pr.pull)
	return pr
}

// configMessage is a Failed event of the kubelet's "Error: ..." kind that is not about a pull.
func configMessage(msg string) bool {
	return strings.HasPrefix(msg, "Error: ") && msg != "Error: ErrImagePull" && msg != "Error: ImagePullBackOff"
}

func configProblem(p *corev1.Pod, cs *corev1.ContainerStatus, in podInputs) podProblem {
	w := cs.State.Waiting
	pr := podProblem{kind: causeConfig, container: cs.Name, reason: w.Reason, message: w.Message, source: "container status"}
	ref, ok := parseConfigError(w.Message)
	if !ok {
		if e := in.events.latest(p, "Failed", configMessage); e != nil {
			pr.message, pr.source = e.Message, "event Failed"
			ref, ok = parseConfigError(e.Message)
		}
	}
	if ok {
		pr.ref = ref
		pr.key = ref.Kind + "\x00" + ref.Name + "\x00" + ref.Key
	} else {
		pr.key = "\x00" + normalizeMessage(pr.message)
	}
	return pr
}

func createProblem(p *corev1.Pod, cs *corev1.ContainerStatus, in podInputs) podProblem {
	w := cs.State.Waiting
	pr := podProblem{kind: causeCreate, container: cs.Name, reason: w.Reason, message: w.Message, source: "container status"}
	if strings.TrimSpace(w.Message) == "" {
		if e := in.events.latest(p, "Failed", configMessage); e != nil {
			pr.message, pr.source = e.Message, "event Failed"
		}
	}
	pr.key = w.Reason + "\x00" + normalizeMessage(pr.message)
	return pr
}

func crashProblem(p *corev1.Pod, cs *corev1.ContainerStatus) podProblem {
	pr := podProblem{kind: causeCrashLoop, container: cs.Name, reason: "CrashLoopBackOff", source: "container status", current: true}
	if w := cs.State.Waiting; w != nil {
		pr.message = w.Message
	}
	t := cs.LastTerminationState.Terminated
	if t == nil {
		pr.key = cs.Name
		return pr
	}
	pr.term = t
	if t.Reason == "OOMKilled" {
		pr.kind = causeOOM
		pr.limit = memoryLimit(p, cs.Name)
		pr.key = cs.Name + "\x00" + pr.limit
		return pr
	}
	pr.key = fmt.Sprintf("%s\x00%s\x00%d", cs.Name, t.Reason, t.ExitCode)
	return pr
}

// creatingProblem is a pod whose containers wait to be created for longer than the threshold:
// its sandbox failed (the FailedCreatePodSandBox event says why, while it lasts), a volume
// does not mount, or the cause is gone with the events.
func creatingProblem(p *corev1.Pod, in podInputs) (podProblem, bool) {
	since := p.CreationTimestamp.Time
	if p.Status.StartTime != nil {
		since = p.Status.StartTime.Time
	}
	waited := in.now.Sub(since)
	if e := in.events.latest(p, "FailedCreatePodSandBox", nil); e != nil {
		class := classifySandbox(e.Message)
		return podProblem{kind: causeSandbox, sandbox: class, key: string(class), message: e.Message,
			source: "event FailedCreatePodSandBox", waiting: waited}, true
	}
	if e := in.events.latest(p, "FailedMount", nil); e != nil {
		if ref, ok := parseConfigError(e.Message); ok {
			return podProblem{kind: causeConfig, ref: ref, key: ref.Kind + "\x00" + ref.Name + "\x00" + ref.Key,
				message: e.Message, source: "event FailedMount", reason: "ContainerCreating", waiting: waited}, true
		}
	}
	if waited < creatingThreshold || since.IsZero() {
		return podProblem{}, false
	}
	// Without the FailedMount event, the spec still names the volumes the kubelet waits for.
	if ref, ok := missingConfigMapVolume(p, in); ok {
		return podProblem{kind: causeConfig, ref: ref, key: ref.Kind + "\x00" + ref.Name + "\x00",
			source: "pod spec volumes", reason: "ContainerCreating", waiting: waited}, true
	}
	pr := podProblem{kind: causeCreating, reason: "ContainerCreating", waiting: waited, source: "pod status"}
	// Events expire within the hour; the pod's condition still says the sandbox is not there.
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReadyToStartContainers && c.Status == corev1.ConditionFalse {
			pr.kind, pr.sandbox = causeSandbox, sandboxOther
			pr.key = string(sandboxOther)
			pr.source = "pod condition PodReadyToStartContainers"
			pr.message = fmt.Sprintf("PodReadyToStartContainers=False since %s", phrase.Stamp(c.LastTransitionTime.Time))
		}
	}
	return pr, true
}

// hexRun is an ID in a runtime message (a container or sandbox ID, a digest): it differs from
// pod to pod and would keep pods with one cause apart.
var hexRun = regexp.MustCompile(`[0-9a-f]{12,}`)

// normalizeMessage is a message with what differs between pods taken out, to group by.
func normalizeMessage(msg string) string {
	return phrase.Clip(hexRun.ReplaceAllString(msg, "…"), 200)
}

// specImage is the image the pod's spec names for a container: the status may hold a resolved
// or empty one.
func specImage(p *corev1.Pod, container, fallback string) string {
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range list {
			if c.Name == container {
				return c.Image
			}
		}
	}
	return fallback
}

// memoryLimit is the container's memory limit as written, or "" without one.
func memoryLimit(p *corev1.Pod, container string) string {
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range list {
			if c.Name == container {
				if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
					return q.String()
				}
			}
		}
	}
	return ""
}

// signalOf is the signal that ended a container: the status's own field, or an exit code above
// 128 as the shell reports a signal (137 is 128+9, SIGKILL). Zero when none.
func signalOf(t *corev1.ContainerStateTerminated) (int, string) {
	n := int(t.Signal)
	if n == 0 && t.ExitCode > 128 && t.ExitCode <= 128+64 {
		n = int(t.ExitCode - 128)
	}
	if n == 0 {
		return 0, ""
	}
	name := unix.SignalName(syscall.Signal(n))
	if name == "" {
		name = fmt.Sprintf("signal %d", n)
	}
	return n, name
}

// missingConfigMapVolume is the first ConfigMap volume of the pod that must exist and is not in
// the ConfigMap list; ok is false when every one exists, or when ConfigMaps were not read.
func missingConfigMapVolume(p *corev1.Pod, in podInputs) (configRef, bool) {
	if in.configMaps == nil {
		return configRef{}, false
	}
	for _, v := range p.Spec.Volumes {
		if cm := v.ConfigMap; cm != nil && (cm.Optional == nil || !*cm.Optional) && in.configMaps[p.Namespace+"/"+cm.Name] == nil {
			return configRef{Kind: "ConfigMap", Name: cm.Name}, true
		}
		if pr := v.Projected; pr != nil {
			for _, src := range pr.Sources {
				if cm := src.ConfigMap; cm != nil && (cm.Optional == nil || !*cm.Optional) && in.configMaps[p.Namespace+"/"+cm.Name] == nil {
					return configRef{Kind: "ConfigMap", Name: cm.Name}, true
				}
			}
		}
	}
	return configRef{}, false
}
