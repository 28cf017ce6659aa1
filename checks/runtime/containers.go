package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// containersCheck is the runtime.containers check.
var containersCheck = checks.Check{
	ID:       "runtime.containers",
	Title:    "The runtime runs only what Kubernetes knows, and no container loops or runs in a dead sandbox",
	Category: checks.CategoryRuntime,
	Learn:    learn("runtime.containers"),
	Needs:    checks.NeedsHost,
	Reads:    []kube.Resource{kube.Pods},
	Run:      nodefs.Run(runContainers),
}

// The labels the kubelet puts on every sandbox and container it creates.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

// loopAttempts is the restart count from which an exited container is restarting in a loop:
// the kubelet's back-off reaches minutes by then.
const loopAttempts = 3

// maxStatusCalls bounds the ContainerStatus calls for the exit codes of looping containers.
const maxStatusCalls = 20

// taskDir is where containerd's v2 shims keep one directory per running task, by namespace.
const taskDir = "/run/containerd/io.containerd.runtime.v2.task"

func runContainers(ctx context.Context, n *nodefs.FS) checks.Result {
	if r, skip := unpackedScenario(n); skip {
		return r
	}
	s, err := openCRI(ctx, n)
	defer s.close()
	if err != nil {
		return noRuntimeResult(err)
	}
	sandboxes, err := s.client.Sandboxes(ctx)
	if err != nil {
		return listError(s, err)
	}
	containers, err := s.client.Containers(ctx)
	if err != nil {
		return listError(s, err)
	}
	var findings []checks.Finding
	findings = append(findings, deadSandboxFindings(s, sandboxes, containers)...)
	findings = append(findings, loopFindings(ctx, n, s, containers)...)
	findings = append(findings, unlabelledFindings(n, s, sandboxes, containers)...)
	findings = append(findings, unknownPodFindings(ctx, n, s, sandboxes)...)
	findings = append(findings, taskFindings(ctx, n, s, sandboxes, containers)...)
	return n.Result(findings, fmt.Sprintf("%d sandboxes and %d containers, all Kubernetes', none looping", len(sandboxes), len(containers)))
}

// listError says why the runtime's lists are not known; a capped answer is not an empty one.
func listError(s *criSession, err error) checks.Result {
	msg := safetext.Message(err.Error())
	if errors.Is(err, cri.ErrTooLarge) {
		msg += ": nothing is concluded about the node's containers"
	}
	return checks.Errored(s.socket + ": " + msg)
}

// podOf names the pod of a kubelet-made sandbox or container from its labels.
func podOf(labels map[string]string) *checks.ObjectRef {
	name, ns := labels[labelPodName], labels[labelPodNamespace]
	if name == "" || ns == "" {
		return nil
	}
	return &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: name}
}

func podText(p *checks.ObjectRef) string {
	return safetext.Message(p.Namespace + "/" + p.Name)
}

func shortID(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

// deadSandboxFindings are containers still running in a sandbox that is NotReady: its
// network namespace is gone or its pause process died, and the kubelet must recreate the pod.
func deadSandboxFindings(s *criSession, sandboxes []*runtimeapi.PodSandbox, containers []*runtimeapi.Container) []checks.Finding {
	notReady := map[string]*runtimeapi.PodSandbox{}
	for _, sb := range sandboxes {
		if sb.State == runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
			notReady[sb.Id] = sb
		}
	}
	inside := map[string][]string{}
	for _, c := range containers {
		if _, ok := notReady[c.PodSandboxId]; ok && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			inside[c.PodSandboxId] = append(inside[c.PodSandboxId], fmt.Sprintf("%s (%s) running", safetext.Message(c.GetMetadata().GetName()), shortID(c.Id)))
		}
	}
	var out []checks.Finding
	for id, running := range inside {
		sb := notReady[id]
		f := checks.Finding{Severity: checks.StatusWarn, Problem: "running-in-notready-sandbox", Object: podOf(sb.Labels),
			Message:  fmt.Sprintf("%d containers run in the NotReady sandbox %s: the pod has lost its network or its pause process", len(running), shortID(id)),
			Evidence: append([]string{"sandbox " + shortID(id) + " NOTREADY"}, running...),
			Hint:     "The kubelet should kill and recreate the pod; if it does not, its logs say why (journalctl -u kubelet). Deleting the pod recreates its sandbox.",
			Commands: []checks.Command{s.crictl("inspectp", id), s.crictl("ps", "--pod", id)}}
		if f.Object != nil {
			f.Message = fmt.Sprintf("pod %s: %s", podText(f.Object), f.Message)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b checks.Finding) int { return strings.Compare(a.Message, b.Message) })
	return out
}

// loopFindings are containers whose latest attempt exited after restarting loopAttempts
// times or more, one finding per pod, with the exit code and reason the runtime kept.
func loopFindings(ctx context.Context, n *nodefs.FS, s *criSession, containers []*runtimeapi.Container) []checks.Finding {
	type key struct{ sandbox, name string }
	latest := map[key]*runtimeapi.Container{}
	for _, c := range containers {
		k := key{c.PodSandboxId, c.GetMetadata().GetName()}
		if l, ok := latest[k]; !ok || c.GetMetadata().GetAttempt() > l.GetMetadata().GetAttempt() {
			latest[k] = c
		}
	}
	var looping []*runtimeapi.Container
	for _, c := range latest {
		if c.State == runtimeapi.ContainerState_CONTAINER_EXITED && c.GetMetadata().GetAttempt() >= loopAttempts {
			looping = append(looping, c)
		}
	}
	slices.SortFunc(looping, func(a, b *runtimeapi.Container) int {
		return cmp.Or(strings.Compare(a.Labels[labelPodNamespace]+"/"+a.Labels[labelPodName], b.Labels[labelPodNamespace]+"/"+b.Labels[labelPodName]), strings.Compare(a.GetMetadata().GetName(), b.GetMetadata().GetName()))
	})
	var out []checks.Finding
	byPod := map[string]int{}
	for i, c := range looping {
		name := safetext.Message(c.GetMetadata().GetName())
		line := fmt.Sprintf("%s (%s): attempt %d exited", name, shortID(c.Id), c.GetMetadata().GetAttempt())
		if i < maxStatusCalls {
			if st, err := s.client.ContainerStatus(ctx, c.Id); err == nil && st != nil {
				line += fmt.Sprintf(" with code %d", st.ExitCode)
				if st.Reason != "" {
					line += ", reason " + safetext.Message(st.Reason)
				}
				if st.Message != "" {
					line += ": " + safetext.Message(st.Message)
				}
			}
		}
		pod := podOf(c.Labels)
		podKey := c.PodSandboxId
		if pod != nil {
			podKey = pod.Namespace + "/" + pod.Name
		}
		if j, ok := byPod[podKey]; ok {
			out[j].Evidence = append(out[j].Evidence, line)
			out[j].Commands = append(out[j].Commands, s.crictl("logs", "--tail", "20", c.Id))
			continue
		}
		f := checks.Finding{Severity: checks.StatusWarn, Problem: "restart-loop", Object: pod,
			Message:  fmt.Sprintf("container %s has exited %d times and restarts in a loop", name, c.GetMetadata().GetAttempt()),
			Evidence: []string{line},
			Hint:     "Its last logs say why it exits (crictl logs); an exit code of 137 is a kill (OOM or liveness), 1 the program's own error.",
			Commands: []checks.Command{s.crictl("ps", "-a", "--name", c.GetMetadata().GetName()), s.crictl("logs", "--tail", "20", c.Id)}}
		if pod != nil {
			f.Message = fmt.Sprintf("pod %s: %s", podText(pod), f.Message)
		} else {
			f.File = s.ref(n) // not the kubelet's: the runtime is what the finding is about
		}
		byPod[podKey] = len(out)
		out = append(out, f)
	}
	return out
}

// unlabelledFindings are sandboxes and containers the kubelet did not make: created over CRI
// by hand (crictl runp, crictl create), they run beside the pods and nobody schedules them.
func unlabelledFindings(n *nodefs.FS, s *criSession, sandboxes []*runtimeapi.PodSandbox, containers []*runtimeapi.Container) []checks.Finding {
	var out []checks.Finding
	known := map[string]bool{}
	for _, sb := range sandboxes {
		known[sb.Id] = true
		if sb.Labels[labelPodUID] != "" || sb.State != runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		out = append(out, checks.Finding{Severity: checks.StatusWarn, Problem: "sandbox-not-kubelets", File: s.ref(n),
			Message:  fmt.Sprintf("the runtime runs the sandbox %q (%s), which the kubelet did not create: Kubernetes does not know it", safetext.Message(sb.GetMetadata().GetName()), shortID(sb.Id)),
			Evidence: []string{fmt.Sprintf("sandbox %s namespace %q has no %s label", shortID(sb.Id), safetext.Message(sb.GetMetadata().GetNamespace()), labelPodUID)},
			Hint:     "Someone ran it by hand (crictl runp). Find out what it does before you remove it (crictl stopp, crictl rmp).",
			Commands: []checks.Command{s.crictl("inspectp", sb.Id), s.crictl("ps", "--pod", sb.Id)}})
	}
	for _, c := range containers {
		if c.State != runtimeapi.ContainerState_CONTAINER_RUNNING || c.Labels[labelContainerName] != "" && known[c.PodSandboxId] {
			continue
		}
		out = append(out, checks.Finding{Severity: checks.StatusWarn, Problem: "container-not-kubelets", File: s.ref(n),
			Message:  fmt.Sprintf("the runtime runs the container %q (%s), which the kubelet did not create: Kubernetes does not know it", safetext.Message(c.GetMetadata().GetName()), shortID(c.Id)),
			Evidence: []string{fmt.Sprintf("container %s image %s, sandbox %s", shortID(c.Id), safetext.Message(c.GetImage().GetImage()), shortID(c.PodSandboxId))},
			Hint:     "Someone created it over CRI by hand (crictl create). Find out what it does before you remove it.",
			Commands: []checks.Command{s.crictl("inspect", c.Id)}})
	}
	return out
}

// unknownPodFindings are ready sandboxes of pods the cluster does not have (by UID): the
// kubelet lost track of them, or the node was pointed at another cluster.
func unknownPodFindings(ctx context.Context, n *nodefs.FS, s *criSession, sandboxes []*runtimeapi.PodSandbox) []checks.Finding {
	if n.Env.Snapshot == nil {
		return nil
	}
	objs, err := n.Env.Snapshot.List(ctx, kube.Pods)
	if err != nil {
		return []checks.Finding{{Severity: checks.StatusOK, Problem: "pods-not-compared", File: s.ref(n),
			Message: "the runtime's sandboxes were not compared with the cluster's pods: " + safetext.Message(err.Error())}}
	}
	uids := map[string]bool{}
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			uids[string(p.UID)] = true
		}
	}
	var out []checks.Finding
	for _, sb := range sandboxes {
		uid := sb.Labels[labelPodUID]
		if uid == "" || uids[uid] || sb.State != runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		pod := podOf(sb.Labels)
		out = append(out, checks.Finding{Severity: checks.StatusWarn, Problem: "pod-unknown-to-cluster", File: s.ref(n),
			Message:  fmt.Sprintf("the runtime runs a sandbox of pod %s (uid %s) that the cluster does not have", podText(pod), safetext.Message(uid)),
			Evidence: []string{"sandbox " + shortID(sb.Id) + " READY"},
			Hint:     "An orphan the kubelet did not clean up, or a kubelet talking to another cluster: compare with kubectl get pods -A, and restart the kubelet to have it reconcile.",
			Commands: []checks.Command{s.crictl("inspectp", sb.Id), checks.Cmd("kubectl", "get", "pods", "-A", "--field-selector", "metadata.uid="+uid)}})
	}
	return out
}

// taskFindings reads containerd's task directories: a container started with `ctr run` (any
// namespace but k8s.io, or k8s.io behind CRI's back) runs there and never shows over CRI.
func taskFindings(ctx context.Context, n *nodefs.FS, s *criSession, sandboxes []*runtimeapi.PodSandbox, containers []*runtimeapi.Container) []checks.Finding {
	namespaces, ok, err := n.ListOptional(ctx, taskDir)
	if err != nil {
		return []checks.Finding{n.Unreadable(taskDir, err)}
	}
	if !ok {
		return nil
	}
	viaCRI := map[string]bool{}
	for _, sb := range sandboxes {
		viaCRI[sb.Id] = true
	}
	for _, c := range containers {
		viaCRI[c.Id] = true
	}
	var out []checks.Finding
	if cov := nodefs.CoverageOf(taskDir, "namespaces", namespaces); !cov.Full() {
		out = append(out, *cov.Finding(n))
	}
	for _, ns := range namespaces.Entries {
		if !ns.IsDir() {
			continue
		}
		dir := path.Join(taskDir, ns.Name())
		tasks, _, err := n.ListOptional(ctx, dir)
		if err != nil {
			out = append(out, n.Unreadable(dir, err))
			continue
		}
		if cov := nodefs.CoverageOf(dir, "tasks", tasks); !cov.Full() {
			out = append(out, *cov.Finding(n))
		}
		var unknown []string
		for _, t := range tasks.Entries {
			if t.IsDir() && !(ns.Name() == "k8s.io" && viaCRI[t.Name()]) {
				unknown = append(unknown, t.Name())
			}
		}
		if len(unknown) == 0 {
			continue
		}
		f := checks.Finding{Severity: checks.StatusWarn, Problem: "task-unknown-to-kubernetes", File: n.Ref(dir, 0, 0),
			Evidence: nodefs.CapEvidence(safeAll(unknown), 10),
			Commands: []checks.Command{checks.Cmd("ctr", "--namespace", ns.Name(), "tasks", "ls")}}
		switch ns.Name() {
		case "k8s.io":
			f.Message = fmt.Sprintf("containerd runs %d tasks in its k8s.io namespace that CRI does not list: started with ctr behind the kubelet's back", len(unknown))
			f.Hint = "Kubernetes neither sees nor limits them. Inspect each (ctr -n k8s.io containers info ID), then ctr -n k8s.io tasks kill and ctr -n k8s.io containers rm."
		case "moby":
			f.Message = fmt.Sprintf("containerd runs %d Docker containers (namespace moby) beside Kubernetes: Kubernetes neither sees nor limits them", len(unknown))
			f.Hint = "docker ps shows them; stop them unless the node is meant to run Docker as well."
		default:
			f.Message = fmt.Sprintf("containerd runs %d containers in its namespace %q, outside Kubernetes: the kubelet neither sees nor limits them", len(unknown), safetext.Message(ns.Name()))
			f.Hint = "They were started with ctr run or nerdctl. Inspect each (ctr -n NAMESPACE containers info ID) before you stop it (ctr -n NAMESPACE tasks kill ID)."
		}
		if len(unknown) > 0 {
			f.Commands = append(f.Commands, checks.Cmd("ctr", "--namespace", ns.Name(), "containers", "info", unknown[0]))
		}
		out = append(out, f)
	}
	return out
}

func safeAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = safetext.Message(s)
	}
	return out
}
