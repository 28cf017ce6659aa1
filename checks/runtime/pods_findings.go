package runtime

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/safetext"
)

// podNamesShown bounds the pod names a finding lists; the rest are counted.
const podNamesShown = 5

// problemGroup is one cause on one owner: a Deployment's 30 pods that cannot pull one image
// are one group, and one finding.
type problemGroup struct {
	owner    checks.ObjectRef
	problem  podProblem  // the example: the first pod's, or the first whose event says more
	example  *corev1.Pod // the pod of the example, which the commands name
	pods     []*corev1.Pod
	severity checks.Status
	sources  map[string]bool // where the messages were read
}

// groupPodProblems groups the problems of every pod by owner, kind and key; the groups come
// ordered by owner, then by kind, so a run gives the same findings in the same order.
func groupPodProblems(in podInputs) []*problemGroup {
	byKey := map[string]*problemGroup{}
	var groups []*problemGroup
	for _, p := range in.pods {
		problems := podProblems(p, in)
		if len(problems) == 0 {
			continue
		}
		owner := in.owners.OwnerOf(p)
		seen := map[string]bool{}
		for _, pr := range problems {
			key := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%s", owner.Kind, owner.Namespace, owner.Name, pr.kind, pr.key)
			if seen[key] {
				continue // two containers of one pod with one cause: the pod counts once
			}
			seen[key] = true
			g := byKey[key]
			if g == nil {
				g = &problemGroup{owner: owner, problem: pr, example: p, severity: pr.severity(), sources: map[string]bool{}}
				byKey[key] = g
				groups = append(groups, g)
			} else if !strings.HasPrefix(g.problem.source, "event") && strings.HasPrefix(pr.source, "event") {
				g.problem, g.example = pr, p // the runtime's own words beat a back-off message
			}
			g.pods = append(g.pods, p)
			g.sources[pr.source] = true
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.owner != b.owner {
			return ownerLess(a.owner, b.owner)
		}
		if a.problem.kind != b.problem.kind {
			return a.problem.kind < b.problem.kind
		}
		return a.problem.key < b.problem.key
	})
	for _, g := range groups {
		sort.Slice(g.pods, func(i, j int) bool { return g.pods[i].Name < g.pods[j].Name })
	}
	return groups
}

func ownerLess(a, b checks.ObjectRef) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Name < b.Name
}

// severity: a container that cannot start is broken; one that waits long or was OOM-killed
// once lately deserves a look.
func (pr podProblem) severity() checks.Status {
	switch {
	case pr.kind == causeCreating, pr.kind == causeOOM && !pr.current:
		return checks.StatusWarn
	}
	return checks.StatusFail
}

// subject names the pods and their owner: "3 pods of Deployment team-a/web", "pod team-a/tool".
func (g *problemGroup) subject() string {
	o := g.owner
	name := safetext.Visible(o.Namespace + "/" + o.Name)
	if o.Kind == "Pod" {
		return "pod " + name
	}
	return fmt.Sprintf("%s of %s %s", phrase.Count(len(g.pods), "pod", "pods"), o.Kind, name)
}

// verb is one or many: "gets" for one pod, "get" for several.
func (g *problemGroup) verb(one, many string) string {
	if len(g.pods) == 1 {
		return one
	}
	return many
}

// title is the finding's message.
func (g *problemGroup) title() string {
	pr := g.problem
	s := g.subject()
	switch pr.kind {
	case causeImagePull:
		return fmt.Sprintf("%s cannot pull image %s (%s)", s, safetext.Visible(pr.image), pr.pull)
	case causeConfig:
		if pr.ref.Name == "" {
			return fmt.Sprintf("%s cannot start: container configuration error", s)
		}
		if pr.ref.Key != "" {
			return fmt.Sprintf("%s cannot start: key %s not found in %s %s", s, safetext.Visible(pr.ref.Key), pr.ref.Kind, safetext.Visible(pr.ref.Name))
		}
		return fmt.Sprintf("%s cannot start: %s %s not found", s, pr.ref.Kind, safetext.Visible(pr.ref.Name))
	case causeCreate:
		return fmt.Sprintf("%s cannot start: the runtime fails to create container %s (%s)", s, safetext.Visible(pr.container), pr.reason)
	case causeSandbox:
		if pr.sandbox == sandboxOther {
			return fmt.Sprintf("%s %s no pod sandbox", s, g.verb("gets", "get"))
		}
		return fmt.Sprintf("%s %s no pod sandbox: %s", s, g.verb("gets", "get"), pr.sandbox)
	case causeCreating:
		return fmt.Sprintf("%s %s stuck in ContainerCreating", s, g.verb("is", "are"))
	case causeOOM:
		if pr.current {
			return fmt.Sprintf("%s %s: container %s is OOMKilled", s, g.verb("crash-loops", "crash-loop"), safetext.Visible(pr.container))
		}
		return fmt.Sprintf("%s restarted lately: container %s was OOMKilled", s, safetext.Visible(pr.container))
	}
	return fmt.Sprintf("%s %s: container %s", s, g.verb("crash-loops", "crash-loop"), safetext.Visible(pr.container))
}

// problemSlug is the finding's Problem, so its ID says the cause. A missing ConfigMap or Secret
// keeps "config-reference-missing" whatever the wording: the workloads area's reference check
// will name this finding (runtime.pods/<owner>/config-reference-missing) in its
// ExplainsFindings, and the views fold this symptom under that cause.
func (pr podProblem) problemSlug() string {
	switch pr.kind {
	case causeImagePull:
		return "image-pull-" + string(pr.pull)
	case causeConfig:
		return "config-reference-missing"
	case causeCreate:
		return "container-create-error"
	case causeSandbox:
		return "sandbox-" + string(pr.sandbox)
	case causeCreating:
		return "container-creating"
	case causeOOM:
		return "oom-killed"
	}
	return "crash-loop"
}

func (g *problemGroup) finding(in podInputs) checks.Finding {
	pr := g.problem
	first := g.example
	names := make([]string, len(g.pods))
	for i, p := range g.pods {
		names[i] = safetext.Visible(p.Name)
	}
	f := checks.Finding{
		Severity: g.severity,
		Problem:  pr.problemSlug(),
		Message:  g.title(),
		Object:   &g.owner,
	}
	if g.owner.Kind != "Pod" {
		f.Evidence = append(f.Evidence, "pods: "+phrase.List(names, podNamesShown))
	}
	// An image that cannot be pulled, or configuration that does not resolve, is why the owner
	// is unavailable: the finding explains the owner's other findings and its pods'.
	if pr.kind == causeImagePull || pr.kind == causeConfig {
		f.Cause = true
		f.Explains = []checks.ObjectRef{g.owner}
		for _, p := range g.pods {
			if r := podinfo.Ref(p); r != g.owner {
				f.Explains = append(f.Explains, r)
			}
		}
	}
	if pr.container != "" && pr.kind != causeCrashLoop && pr.kind != causeOOM && pr.kind != causeCreate {
		f.Evidence = append(f.Evidence, "container: "+safetext.Visible(pr.container))
	}
	describe := checks.Cmd("kubectl", "-n", first.Namespace, "describe", "pod", first.Name)
	events := checks.Cmd("kubectl", "-n", first.Namespace, "get", "events", "--field-selector", "involvedObject.name="+first.Name)
	f.Commands = []checks.Command{describe, events}
	switch pr.kind {
	case causeImagePull:
		host := registryHost(pr.image)
		f.Evidence = append(f.Evidence, "image: "+safetext.Visible(pr.image), "registry: "+safetext.Visible(orUnknown(host)))
		f.Hint = pullHint(pr.pull, host)
	case causeConfig:
		f.Evidence, f.Hint, f.Commands = configDetails(f.Evidence, pr, first.Namespace, in, f.Commands)
	case causeCreate:
		f.Evidence = append(f.Evidence, "container: "+safetext.Visible(pr.container)+", "+pr.reason)
		f.Hint = "The runtime refused to create or start the container: its message says why (a command or " +
			"working directory that does not exist in the image, a mount onto a file, a device or a seccomp " +
			"profile missing on the node). Fix the pod template; on the node, `crictl ps -a` and the runtime's " +
			"journal show the same error."
	case causeSandbox:
		f.Hint = sandboxHint(pr.sandbox)
		f.Evidence = append(f.Evidence, "waiting for "+phrase.Duration(pr.waiting))
	case causeCreating:
		f.Evidence = append(f.Evidence, "waiting for "+phrase.Duration(pr.waiting))
		f.Hint = "The pod has a node but its containers were never created, and no event says why any more " +
			"(events expire after an hour). Look at the node: the kubelet's journal (`journalctl -u kubelet`) " +
			"and the runtime's (`crictl pods`, `journalctl -u containerd`)."
	case causeCrashLoop, causeOOM:
		f.Evidence = append(f.Evidence, crashEvidence(pr)...)
		f.Hint = crashHint(pr)
		f.Commands = append([]checks.Command{checks.Cmd("kubectl", "-n", first.Namespace, "logs", first.Name, "-c", pr.container, "--previous")}, f.Commands...)
	}
	if pr.message != "" {
		f.Evidence = append(f.Evidence, quoteMessage(pr.source, pr.message))
	}
	if len(g.sources) > 1 || pr.message == "" {
		var src []string
		for s := range g.sources {
			src = append(src, s)
		}
		sort.Strings(src)
		f.Evidence = append(f.Evidence, "read from: "+strings.Join(src, ", "))
	}
	return f
}

func orUnknown(s string) string {
	if s == "" {
		return "(the image reference does not parse)"
	}
	return s
}

func pullHint(class pullClass, host string) string {
	where := "the registry"
	if host != "" {
		where = safetext.Visible(checks.ShellQuote(host))
	}
	switch class {
	case pullNotFound:
		return "The registry answers but has no such image or tag: a typo in the name or tag, or a tag never pushed. Fix the image in the pod template."
	case pullUnauthorized, pullDeniedOrAbsent:
		return "The registry refuses the pull (or hides an image that does not exist): add or fix the pod's imagePullSecrets, or the service account's, for " + where + "."
	case pullNoSuchHost:
		return "The node cannot resolve " + where + ": a typo in the registry host, or the node's resolver (/etc/resolv.conf, /etc/hosts) is broken. Try `crictl pull` on the node."
	case pullTLS:
		return "The TLS handshake with " + where + " fails: the node does not trust its certificate (a private CA missing from the node or from containerd's hosts.toml), or it speaks plain HTTP."
	case pullTimeout, pullRefused:
		return "The node cannot reach " + where + ": a firewall, a proxy the runtime does not know (HTTPS_PROXY in its unit), or a mirror that is down."
	case pullRateLimited:
		return "The registry rate-limits the node's pulls: authenticate the pulls (imagePullSecrets) or use a mirror."
	case pullInvalidName:
		return "The image reference does not parse: fix the image in the pod template."
	case pullNeverPull:
		return "imagePullPolicy is Never and the image is not on the node: load it on every node or allow pulling."
	}
	return "Read the pull error quoted here; `crictl pull IMAGE` on the node shows it first-hand."
}

func sandboxHint(class sandboxClass) string {
	switch class {
	case sandboxHandler:
		return "The pod's RuntimeClass names a handler the node's runtime does not have configured: see runtime.classes, and the runtime's configuration on the node."
	case sandboxPauseImage:
		return "The runtime cannot get its sandbox (pause) image: a replaced or unreachable sandbox_image in containerd's config.toml (pause_image in CRI-O), or a registry the node cannot reach."
	case sandboxCNI:
		return "The CNI plugin fails to set up the pod's network: its agent on the node is down, its config in /etc/cni/net.d is missing or broken, or its IP pool is exhausted. See the network area."
	case sandboxCgroup:
		return "The runtime and the kubelet disagree on cgroups: SystemdCgroup in containerd's config against the kubelet's cgroupDriver, or a cgroup hierarchy the runtime cannot write."
	case sandboxSecurity:
		return "A seccomp or AppArmor profile the pod asks for is missing on the node, or the node does not support it."
	}
	return "The pod sandbox was never created: a volume that does not mount (a Secret or PVC) or the runtime failing to create it. " +
		"The event that said why has expired or is unclassified; on the node, `crictl pods` and the kubelet's and the runtime's journals show the error."
}

func crashEvidence(pr podProblem) []string {
	ev := []string{"container: " + safetext.Visible(pr.container)}
	if t := pr.term; t != nil {
		last := fmt.Sprintf("last termination: reason %s, exit code %d", safetext.Visible(orNone(t.Reason)), t.ExitCode)
		if n, name := signalOf(t); n != 0 {
			last += fmt.Sprintf(", signal %d (%s)", n, name)
		}
		if !t.FinishedAt.IsZero() {
			last += ", at " + phrase.Stamp(t.FinishedAt.Time)
		}
		ev = append(ev, last)
		if t.Message != "" {
			ev = append(ev, quoteMessage("termination message", t.Message))
		}
	}
	if pr.kind == causeOOM {
		if pr.limit == "" {
			ev = append(ev, "memory limit: none (the node itself ran out of memory)")
		} else {
			ev = append(ev, "memory limit: "+pr.limit)
		}
	}
	return ev
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func crashHint(pr podProblem) string {
	if pr.kind == causeOOM {
		if pr.limit == "" {
			return "The kernel killed the container for memory with no limit set: the node ran out. Set requests and limits, and look at what else uses the node's memory."
		}
		return "The container uses more memory than its limit and the kernel kills it: raise the limit, or find what grows (`kubectl top pod`)."
	}
	return "The container starts and exits again; the kubelet backs off restarting it. Its previous logs say why; an exit code above 128 is a signal (137: SIGKILL, often a failing liveness probe or the OOM killer)."
}

// configDetails says which ConfigMap or Secret is missing, and whether kockpit could tell.
func configDetails(ev []string, pr podProblem, namespace string, in podInputs, cmds []checks.Command) ([]string, string, []checks.Command) {
	ref := pr.ref
	if ref.Name == "" {
		return ev, "The kubelet could not build the container's configuration: its message says what it refers to.", cmds
	}
	what := ref.Kind + " " + safetext.Visible(namespace+"/"+ref.Name)
	if ref.Key != "" {
		what = "key " + safetext.Visible(ref.Key) + " of " + what
	}
	state, why := in.lookupConfig(namespace, ref)
	switch state {
	case "missing":
		ev = append(ev, what+": missing")
	case "exists":
		ev = append(ev, what+": exists now (the kubelet retries; the pods start on its next attempt)")
	default:
		line := what + ": cannot tell whether it exists"
		if why != nil {
			line += " (" + safetext.Visible(phrase.Clip(why.Error(), 200)) + ")"
		}
		ev = append(ev, line)
	}
	kind := strings.ToLower(ref.Kind)
	// describe shows a Secret's keys and sizes, never its values.
	cmds = append(cmds, checks.Cmd("kubectl", "-n", namespace, "describe", kind, ref.Name))
	hint := fmt.Sprintf("The pod template refers to %s, which the kubelet cannot find: create it (with the key), "+
		"or fix the reference in the template. A reference marked optional: true would let the pod start without it.", what)
	return ev, hint, cmds
}
