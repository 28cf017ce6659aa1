package runtime

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// classesCheck is the runtime.classes check.
var classesCheck = checks.Check{
	ID:       "runtime.classes",
	Title:    "RuntimeClasses name handlers the nodes have, and the classes workloads ask for exist",
	Category: checks.CategoryRuntime,
	Learn:    learn("runtime.classes"),
	Needs:    checks.NeedsObjects,
	Reads: []kube.Resource{kube.RuntimeClasses, kube.Nodes, kube.Pods, kube.Events,
		kube.Deployments, kube.DaemonSets, kube.StatefulSets},
	Run: runClasses,
}

// classInputs is what runtime.classes judges; classes is nil when they could not be listed.
type classInputs struct {
	classes    []*nodev1.RuntimeClass
	classesErr error
	nodes      []*corev1.Node
	nodesErr   error
	pods       []*corev1.Pod
	podsErr    error
	events     []*corev1.Event
	workloads  []classWorkload
	owners     *podinfo.WorkloadIndex
}

// classWorkload is a workload and the RuntimeClass its pod template asks for.
type classWorkload struct {
	ref        checks.ObjectRef
	class      string
	conditions []appsv1.DeploymentCondition // ReplicaFailure, for Deployments
}

func runClasses(ctx context.Context, env *checks.Env) checks.Result {
	// Each list may be forbidden on its own (ClusterRole view reads neither nodes nor
	// RuntimeClasses): what needs it is then said to be unjudged.
	var in classInputs
	var p checks.Partial
	in.nodes, _ = checks.ListPartial[*corev1.Node](ctx, env.Snapshot, &p, kube.Nodes)
	in.pods, _ = checks.ListPartial[*corev1.Pod](ctx, env.Snapshot, &p, kube.Pods)
	in.classes, _ = checks.ListPartial[*nodev1.RuntimeClass](ctx, env.Snapshot, &p, kube.RuntimeClasses)
	in.nodesErr, in.podsErr, in.classesErr = p.Err(kube.Nodes), p.Err(kube.Pods), p.Err(kube.RuntimeClasses)
	in.events, _ = checks.ListPartial[*corev1.Event](ctx, env.Snapshot, &p, kube.Events)
	deps, _ := checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, &p, kube.Deployments)
	for _, d := range deps {
		in.workloads = append(in.workloads, classWorkload{ref: podinfo.WorkloadRef("Deployment", &d.ObjectMeta),
			class: deref(d.Spec.Template.Spec.RuntimeClassName), conditions: d.Status.Conditions})
	}
	dss, _ := checks.ListPartial[*appsv1.DaemonSet](ctx, env.Snapshot, &p, kube.DaemonSets)
	for _, d := range dss {
		in.workloads = append(in.workloads, classWorkload{ref: podinfo.WorkloadRef("DaemonSet", &d.ObjectMeta), class: deref(d.Spec.Template.Spec.RuntimeClassName)})
	}
	sss, _ := checks.ListPartial[*appsv1.StatefulSet](ctx, env.Snapshot, &p, kube.StatefulSets)
	for _, s := range sss {
		in.workloads = append(in.workloads, classWorkload{ref: podinfo.WorkloadRef("StatefulSet", &s.ObjectMeta), class: deref(s.Spec.Template.Spec.RuntimeClassName)})
	}
	in.owners = podinfo.NewWorkloadIndex(deps, dss, sss)
	return p.Note(judgeClasses(in))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func judgeClasses(in classInputs) checks.Result {
	var findings []checks.Finding
	findings = append(findings, missingClassFindings(in)...)
	unread := in.classesErr
	if unread == nil {
		unread = in.nodesErr
	}
	if unread != nil {
		if len(findings) == 0 && in.podsErr == nil && !classesAsked(in) {
			// Nothing asks for a class, so no class can keep anything from running.
			return checks.Result{Status: checks.StatusOK,
				Summary: "no pod or workload asks for a RuntimeClass"} // Note names what was not read
		}
		r := checks.SkipOrError(unread)
		if len(findings) == 0 {
			return r
		}
		// What the owners' events and conditions say needs neither list.
		findings = append(findings, checks.Finding{Severity: checks.StatusOK,
			Message:  "RuntimeClasses or nodes not read: their handlers are not judged",
			Evidence: []string{safetext.Visible(phrase.Clip(unread.Error(), 300))},
			Commands: []checks.Command{checks.Cmd("kubectl", "auth", "can-i", "list", "runtimeclasses.node.k8s.io"),
				checks.Cmd("kubectl", "auth", "can-i", "list", "nodes")}})
		return checks.Result{Status: checks.Worst(findings), Findings: findings, Summary: findings[0].Message}
	}
	findings = append(findings, handlerFindings(in)...)
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case r.Status > checks.StatusOK:
		r.Summary = findings[0].Message
		if n := countProblems(findings); n > 1 {
			r.Summary += fmt.Sprintf(" (and %d more)", n-1)
		}
	case len(in.classes) == 0:
		r.Summary = "no RuntimeClasses, and no workload asks for one"
	default:
		r.Summary = fmt.Sprintf("%s, each with a handler and nodes to run on", phrase.Count(len(in.classes), "RuntimeClass", "RuntimeClasses"))
	}
	return r
}

func countProblems(findings []checks.Finding) int {
	n := 0
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			n++
		}
	}
	return n
}

// nodesWithHandlers are the nodes that report their runtime's handlers: containerd before 2.0
// and older CRI-O report none, and an empty list says nothing about a handler.
func nodesWithHandlers(nodes []*corev1.Node) []*corev1.Node {
	var out []*corev1.Node
	for _, n := range nodes {
		if len(n.Status.RuntimeHandlers) > 0 {
			out = append(out, n)
		}
	}
	return out
}

func handlerFindings(in classInputs) []checks.Finding {
	reporting := nodesWithHandlers(in.nodes)
	classes := append([]*nodev1.RuntimeClass(nil), in.classes...)
	sort.Slice(classes, func(i, j int) bool { return classes[i].Name < classes[j].Name })
	var out []checks.Finding
	for _, rc := range classes {
		ref := checks.ObjectRef{APIVersion: "node.k8s.io/v1", Kind: "RuntimeClass", Name: rc.Name}
		users := usersEvidence(in, rc.Name)
		get := checks.Cmd("kubectl", "get", "runtimeclass", rc.Name, "-o", "yaml")
		handlers := checks.Cmd("kubectl", "get", "nodes", "-o", "custom-columns=NAME:.metadata.name,HANDLERS:.status.runtimeHandlers[*].name")
		eligible, selectorText := nodesForClass(rc, in.nodes)
		if selectorText != "" && len(eligible) == 0 {
			out = append(out, checks.Finding{Severity: checks.StatusFail, Problem: "node-selector-matches-no-node",
				Message:  fmt.Sprintf("RuntimeClass %s: scheduling.nodeSelector matches no node", safetext.Visible(rc.Name)),
				Object:   &ref,
				Evidence: append([]string{"scheduling.nodeSelector: " + safetext.Visible(selectorText)}, users),
				Hint: "Pods of this class can schedule on no node: label the nodes that have the handler, or fix the " +
					"RuntimeClass's scheduling.nodeSelector.",
				Commands: []checks.Command{get, checks.Cmd("kubectl", "get", "nodes", "-l", selectorText)}})
			continue
		}
		judged := intersectNodes(eligible, reporting)
		if len(judged) == 0 {
			continue // no node that could run it says which handlers it has
		}
		var have []string
		for _, n := range judged {
			if nodeHasHandler(n, rc.Handler) {
				have = append(have, n.Name)
			}
		}
		if len(have) > 0 {
			continue
		}
		sev := checks.StatusFail
		if len(judged) < len(eligible) {
			sev = checks.StatusWarn // some eligible nodes report nothing: they may have it
		}
		ev := []string{fmt.Sprintf("handler: %q", safetext.Visible(rc.Handler)),
			fmt.Sprintf("nodes that list their handlers: %s", nodeNames(judged)),
			"their handlers: " + handlerNames(judged)}
		if len(judged) < len(eligible) {
			ev = append(ev, fmt.Sprintf("%s list no handlers (runtimes before containerd 2.0 do not): not judged",
				phrase.Count(len(eligible)-len(judged), "node", "nodes")))
		}
		explains, explainsIDs := sandboxSymptoms(in, rc.Name)
		out = append(out, checks.Finding{Severity: sev, Problem: "handler-on-no-node",
			Message: fmt.Sprintf("RuntimeClass %s: no node has handler %s", safetext.Visible(rc.Name), safetext.Visible(rc.Handler)),
			Object:  &ref,
			Cause:   len(explains) > 0, Explains: explains, ExplainsFindings: explainsIDs,
			Evidence: append(ev, users),
			Hint: "Pods of this class get no sandbox (FailedCreatePodSandBox: no runtime for the handler). Configure the " +
				"handler in the runtime on the nodes (containerd: a runtimes entry in config.toml) or fix the " +
				"RuntimeClass's handler.",
			Commands: []checks.Command{get, handlers}})
	}
	return out
}

// nodesForClass is the nodes a class's pods may run on, and its node selector as text ("" when
// it has none). Tolerations are not judged: a taint keeps pods off, it does not decide handlers.
func nodesForClass(rc *nodev1.RuntimeClass, nodes []*corev1.Node) ([]*corev1.Node, string) {
	if rc.Scheduling == nil || len(rc.Scheduling.NodeSelector) == 0 {
		return nodes, ""
	}
	sel := labels.SelectorFromSet(rc.Scheduling.NodeSelector)
	var out []*corev1.Node
	for _, n := range nodes {
		if sel.Matches(labels.Set(n.Labels)) {
			out = append(out, n)
		}
	}
	return out, sel.String()
}

func intersectNodes(a, b []*corev1.Node) []*corev1.Node {
	in := map[string]bool{}
	for _, n := range b {
		in[n.Name] = true
	}
	var out []*corev1.Node
	for _, n := range a {
		if in[n.Name] {
			out = append(out, n)
		}
	}
	return out
}

func nodeHasHandler(n *corev1.Node, handler string) bool {
	for _, h := range n.Status.RuntimeHandlers {
		if h.Name == handler {
			return true
		}
	}
	return false
}

func nodeNames(nodes []*corev1.Node) string {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = safetext.Visible(n.Name)
	}
	sort.Strings(names)
	return phrase.List(names, podNamesShown)
}

func handlerNames(nodes []*corev1.Node) string {
	seen := map[string]bool{}
	var names []string
	for _, n := range nodes {
		for _, h := range n.Status.RuntimeHandlers {
			name := h.Name
			if name == "" {
				name = `""(default)`
			}
			if !seen[name] {
				seen[name] = true
				names = append(names, safetext.Visible(name))
			}
		}
	}
	sort.Strings(names)
	return phrase.List(names, 10)
}

// classesAsked says whether any pod or workload template names a RuntimeClass.
func classesAsked(in classInputs) bool {
	for _, w := range in.workloads {
		if w.class != "" {
			return true
		}
	}
	for _, p := range in.pods {
		if deref(p.Spec.RuntimeClassName) != "" {
			return true
		}
	}
	return false
}

// usersEvidence names the running pods that use the class.
func usersEvidence(in classInputs, class string) string {
	if in.podsErr != nil {
		return "pods using it: cannot tell (" + safetext.Visible(phrase.Clip(in.podsErr.Error(), 200)) + ")"
	}
	var names []string
	for _, p := range in.pods {
		if deref(p.Spec.RuntimeClassName) == class && !podinfo.Finished(p) {
			names = append(names, safetext.Visible(p.Namespace+"/"+p.Name))
		}
	}
	if len(names) == 0 {
		return "pods using it: none"
	}
	sort.Strings(names)
	return fmt.Sprintf("pods using it (%d): %s", len(names), phrase.List(names, podNamesShown))
}

// sandboxSymptoms are the owners of the pods that use the class, and the runtime.pods findings
// that say their pods get no sandbox for want of the handler: this finding is their cause.
func sandboxSymptoms(in classInputs, class string) ([]checks.ObjectRef, []string) {
	if in.podsErr != nil || in.owners == nil {
		return nil, nil
	}
	seen := map[checks.ObjectRef]bool{}
	var owners []checks.ObjectRef
	var ids []string
	for _, p := range in.pods {
		if deref(p.Spec.RuntimeClassName) != class || podinfo.Finished(p) {
			continue
		}
		owner := in.owners.OwnerOf(p)
		if seen[owner] {
			continue
		}
		seen[owner] = true
		owners = append(owners, owner)
		symptom := checks.Finding{Object: &owner, Problem: (podProblem{kind: causeSandbox, sandbox: sandboxHandler}).problemSlug()}
		ids = append(ids, checks.FindingID(podsCheck.ID, &symptom, ""))
	}
	return owners, ids
}

// classNotFound is admission's refusal of a pod whose RuntimeClass does not exist, as the
// ReplicaSet, DaemonSet or StatefulSet controller reports it (FailedCreate, ReplicaFailure).
var classNotFound = regexp.MustCompile(`RuntimeClass "([^"]{1,253})" not found`)

// missingClassFindings reports each workload whose pods are refused because their RuntimeClass
// does not exist: from the controller's FailedCreate events, the Deployment's ReplicaFailure
// condition (which outlives the events), or the template against the RuntimeClass list.
func missingClassFindings(in classInputs) []checks.Finding {
	known := map[string]bool{}
	for _, rc := range in.classes {
		known[rc.Name] = true
	}
	var out []checks.Finding
	for _, w := range in.workloads {
		if w.class == "" {
			continue
		}
		var ev []string
		if e := failedCreateEvent(in.events, w); e != nil {
			ev = append(ev, quoteMessage(fmt.Sprintf("event FailedCreate on %s %s", e.InvolvedObject.Kind, safetext.Visible(e.InvolvedObject.Name)), e.Message))
		}
		for _, c := range w.conditions {
			if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue && classNotFound.MatchString(c.Message) {
				ev = append(ev, quoteMessage("condition ReplicaFailure", c.Message))
			}
		}
		listed := in.classesErr == nil
		if len(ev) == 0 && (!listed || known[w.class]) {
			continue
		}
		if listed && known[w.class] {
			continue // it exists now: the controller's next attempt succeeds
		}
		if listed {
			ev = append(ev, fmt.Sprintf("RuntimeClasses: %s", classList(in.classes)))
		}
		ref := w.ref
		out = append(out, checks.Finding{Severity: checks.StatusFail, Problem: "runtime-class-not-found",
			Message: fmt.Sprintf("%s %s: RuntimeClass %s does not exist, no pod is created",
				w.ref.Kind, safetext.Visible(w.ref.Namespace+"/"+w.ref.Name), safetext.Visible(w.class)),
			Object:   &ref,
			Evidence: append([]string{fmt.Sprintf("runtimeClassName: %q", safetext.Visible(w.class))}, ev...),
			Hint: "Admission rejects every pod that names a RuntimeClass that does not exist, so the controller " +
				"creates none. Create the RuntimeClass or fix runtimeClassName in the pod template.",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", w.ref.Namespace, "describe", strings.ToLower(w.ref.Kind), w.ref.Name),
				checks.Cmd("kubectl", "get", "runtimeclasses")}})
	}
	return out
}

func classList(classes []*nodev1.RuntimeClass) string {
	if len(classes) == 0 {
		return "none"
	}
	names := make([]string, len(classes))
	for i, rc := range classes {
		names[i] = safetext.Visible(rc.Name)
	}
	sort.Strings(names)
	return phrase.List(names, 10)
}

// failedCreateEvent is the newest FailedCreate about the workload (or, for a Deployment, one of
// its ReplicaSets, named NAME-HASH) that names its missing RuntimeClass.
func failedCreateEvent(events []*corev1.Event, w classWorkload) *corev1.Event {
	var best *corev1.Event
	for _, e := range events {
		o := e.InvolvedObject
		if e.Reason != "FailedCreate" || o.Namespace != w.ref.Namespace {
			continue
		}
		mine := o.Kind == w.ref.Kind && o.Name == w.ref.Name ||
			w.ref.Kind == "Deployment" && o.Kind == "ReplicaSet" && strings.HasPrefix(o.Name, w.ref.Name+"-")
		if !mine {
			continue
		}
		if m := classNotFound.FindStringSubmatch(e.Message); m == nil || m[1] != w.class {
			continue
		}
		if best == nil || kube.EventLastSeen(e).After(kube.EventLastSeen(best)) {
			best = e
		}
	}
	return best
}
