package workloads

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// schedulingCheck is the workloads.scheduling check.
var schedulingCheck = checks.Check{
	ID:       "workloads.scheduling",
	Title:    "Pods get a node: why each Pending pod fits no node, node by node",
	Category: checks.CategoryWorkloads,
	Learn:    learn("workloads.scheduling"),
	Needs:    checks.NeedsObjects,
	Reads: []kube.Resource{kube.Pods, kube.Nodes, kube.PVCs, kube.PersistentVolumes,
		kube.Deployments, kube.DaemonSets, kube.StatefulSets, kube.Namespaces},
	Run: runScheduling,
}

// maxTableNodes caps the rows of a "why not here" table; the other nodes are counted by reason.
const maxTableNodes = 12

// defaultScheduler is the scheduler a pod asks for when it names none.
const defaultScheduler = corev1.DefaultSchedulerName

type schedulingInputs struct {
	pods    []*corev1.Pod
	nodes   []*corev1.Node // sorted by name
	claims  map[string]*corev1.PersistentVolumeClaim
	volumes map[string]*corev1.PersistentVolume
	owners  *podinfo.WorkloadIndex
	// namespaces are the namespaces' labels, for pod affinity's namespaceSelector; nil when
	// they could not be read (such terms are then not judged).
	namespaces map[string]labels.Set
	// affinity is the running pods as pod affinity sees them, built once a run (nil: fitOf
	// builds its own).
	affinity *affinityIndex
}

func runScheduling(ctx context.Context, env *checks.Env) checks.Result {
	var p checks.Partial
	pods, _ := checks.ListPartial[*corev1.Pod](ctx, env.Snapshot, &p, kube.Pods)
	nodes, _ := checks.ListPartial[*corev1.Node](ctx, env.Snapshot, &p, kube.Nodes)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.scheduling: %v", err))
	}
	if !p.Read(kube.Pods) || !p.Read(kube.Nodes) {
		return p.Skip() // neither pods nor nodes alone say why a pod has no node
	}
	in := schedulingInputs{pods: pods, nodes: append([]*corev1.Node(nil), nodes...)}
	sort.Slice(in.nodes, func(i, j int) bool { return in.nodes[i].Name < in.nodes[j].Name })
	in.claims, in.volumes = volumeIndex(ctx, env, &p)
	in.namespaces = namespaceLabels(ctx, env, &p)
	in.owners = owners(ctx, env, &p)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.scheduling: %v", err))
	}
	return p.Note(judgeScheduling(in))
}

// volumeIndex reads the claims (by namespace/name) and volumes (by name) that pin pods to
// nodes; a kind that cannot be read is noted in p and pins nothing.
func volumeIndex(ctx context.Context, env *checks.Env, p *checks.Partial) (map[string]*corev1.PersistentVolumeClaim, map[string]*corev1.PersistentVolume) {
	claims, _ := checks.ListPartial[*corev1.PersistentVolumeClaim](ctx, env.Snapshot, p, kube.PVCs)
	pvs, _ := checks.ListPartial[*corev1.PersistentVolume](ctx, env.Snapshot, p, kube.PersistentVolumes)
	byClaim := make(map[string]*corev1.PersistentVolumeClaim, len(claims))
	for _, c := range claims {
		byClaim[c.Namespace+"/"+c.Name] = c
	}
	byName := make(map[string]*corev1.PersistentVolume, len(pvs))
	for _, v := range pvs {
		byName[v.Name] = v
	}
	return byClaim, byName
}

// namespaceLabels reads the namespaces' labels; nil when they could not be read (noted in p).
func namespaceLabels(ctx context.Context, env *checks.Env, p *checks.Partial) map[string]labels.Set {
	nss, _ := checks.ListPartial[*corev1.Namespace](ctx, env.Snapshot, p, kube.Namespaces)
	if !p.Read(kube.Namespaces) {
		return nil
	}
	out := make(map[string]labels.Set, len(nss))
	for _, ns := range nss {
		out[ns.Name] = labels.Set(ns.Labels)
	}
	return out
}

// pendingGroup is the Pending pods of one owner that wait for the same thing.
type pendingGroup struct {
	owner   checks.ObjectRef
	state   string // "unschedulable", "gated", "unseen"
	pods    []*corev1.Pod
	message string // the PodScheduled condition's message of the first pod
	rows    []nodeRow
	fit     *podFit // what the table was computed from
}

// nodeRow is one node of a group's "why not here" table.
type nodeRow struct {
	node    *corev1.Node
	reasons []reason
}

func judgeScheduling(in schedulingInputs) checks.Result {
	groups := pendingGroups(in)
	var load map[string]nodeLoad // summed only when some group needs its table
	served, schedulers := servedSchedulers(in.pods), schedulerPods(in.pods)
	var findings []checks.Finding
	for _, g := range groups {
		switch g.state {
		case "gated":
			findings = append(findings, gatedFinding(g))
		case "unseen":
			findings = append(findings, unseenFinding(g, served, schedulers))
		default:
			if load == nil {
				load, in.affinity = loads(in.pods), newAffinityIndex(in)
			}
			fit := fitOf(g.pods[0], in)
			g.fit = fit
			for _, n := range in.nodes {
				g.rows = append(g.rows, nodeRow{node: n, reasons: whyNotHere(fit, n, load[n.Name])})
			}
			findings = append(findings, unschedulableFinding(g))
		}
	}
	findings = append(findings, taintCauses(in, groups)...)
	findings = append(findings, volumeCauses(groups)...)
	return summarize(findings, fmt.Sprintf("no pod waits for a node (%s, %s)",
		phrase.Count(len(in.pods), "pod", "pods"), phrase.Count(len(in.nodes), "node", "nodes")))
}

// pendingGroups groups the pods with no node by owner and by what they wait for.
func pendingGroups(in schedulingInputs) []*pendingGroup {
	byKey := map[string]*pendingGroup{}
	var out []*pendingGroup
	for _, p := range in.pods {
		if p.Spec.NodeName != "" || p.Status.Phase != corev1.PodPending || p.DeletionTimestamp != nil {
			continue
		}
		state, msg := "unseen", ""
		if c := scheduledCondition(p); c != nil {
			state, msg = "unschedulable", c.Message
			if c.Reason == corev1.PodReasonSchedulingGated {
				state = "gated"
			}
		}
		if len(p.Spec.SchedulingGates) > 0 {
			state = "gated"
		}
		owner := in.owners.OwnerOf(p)
		key := owner.String() + "|" + state + "|" + p.Spec.SchedulerName
		g := byKey[key]
		if g == nil {
			g = &pendingGroup{owner: owner, state: state, message: msg}
			byKey[key] = g
			out = append(out, g)
		}
		g.pods = append(g.pods, p)
	}
	for _, g := range out {
		sort.Slice(g.pods, func(i, j int) bool { return g.pods[i].Name < g.pods[j].Name })
		if c := scheduledCondition(g.pods[0]); c != nil {
			g.message = c.Message
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].owner.String()+out[i].state < out[j].owner.String()+out[j].state })
	return out
}

func scheduledCondition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if c := &p.Status.Conditions[i]; c.Type == corev1.PodScheduled {
			return c
		}
	}
	return nil
}

// fitOf computes what the per-node verdict needs of a group's pod: its requests as the
// scheduler sums them (init containers, sidecars, overhead), its pinned volumes, its spread.
func fitOf(p *corev1.Pod, in schedulingInputs) *podFit {
	fit := &podFit{pod: p, requests: resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{})}
	for k := range p.Spec.NodeSelector {
		fit.selectorKeys = append(fit.selectorKeys, k)
	}
	sort.Strings(fit.selectorKeys)
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		c := in.claims[p.Namespace+"/"+v.PersistentVolumeClaim.ClaimName]
		if c == nil || c.Spec.VolumeName == "" {
			continue
		}
		pv := in.volumes[c.Spec.VolumeName]
		if pv == nil || pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
			continue
		}
		sel, err := nodeaffinity.NewNodeSelector(pv.Spec.NodeAffinity.Required)
		if err != nil {
			continue
		}
		fit.volumes = append(fit.volumes, volumePin{claim: c.Name, volume: pv.Name, selector: sel, terms: pv.Spec.NodeAffinity.Required})
	}
	fit.spread = spreadRules(p, in)
	fit.pods = podAffinityOf(p, in)
	return fit
}

// spreadRules counts, for each DoNotSchedule constraint, the matching pods in each domain of
// the nodes the pod could go to (its nodeSelector and affinity honoured, taints ignored: the
// defaults of nodeAffinityPolicy and nodeTaintsPolicy).
func spreadRules(p *corev1.Pod, in schedulingInputs) []spreadRule {
	var out []spreadRule
	affinity := nodeaffinity.GetRequiredNodeAffinity(p)
	for _, c := range p.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != corev1.DoNotSchedule {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			continue
		}
		if len(c.MatchLabelKeys) > 0 {
			set := labels.Set{}
			for _, k := range c.MatchLabelKeys {
				if v, ok := p.Labels[k]; ok {
					set[k] = v
				}
			}
			if extra, err := labels.ValidatedSelectorFromSet(set); err == nil {
				reqs, _ := extra.Requirements()
				sel = sel.Add(reqs...)
			}
		}
		rule := spreadRule{key: c.TopologyKey, maxSkew: c.MaxSkew, counts: map[string]int{}}
		domainOf := map[string]string{}
		for _, n := range in.nodes {
			if ok, _ := affinity.Match(n); !ok {
				continue
			}
			if d, has := n.Labels[c.TopologyKey]; has {
				domainOf[n.Name] = d
				rule.counts[d] += 0
			}
		}
		for _, q := range in.pods {
			if q.Namespace != p.Namespace || !active(q) || !sel.Matches(labels.Set(q.Labels)) {
				continue
			}
			if d, ok := domainOf[q.Spec.NodeName]; ok {
				rule.counts[d]++
			}
		}
		if sel.Matches(labels.Set(p.Labels)) {
			rule.self = 1
		}
		first := true
		for _, n := range rule.counts {
			if first || n < rule.min {
				rule.min, first = n, false
			}
		}
		out = append(out, rule)
	}
	return out
}

// servedSchedulers is the scheduler names some running scheduler answers: those of the pods it
// bound (mirror pods are bound by their kubelet, not a scheduler).
func servedSchedulers(pods []*corev1.Pod) map[string]bool {
	out := map[string]bool{}
	for _, p := range pods {
		if p.Spec.NodeName == "" || podinfo.Finished(p) || isMirror(p) {
			continue
		}
		if c := scheduledCondition(p); c != nil && c.Status == corev1.ConditionTrue {
			out[schedulerName(p)] = true
		}
	}
	return out
}

func isMirror(p *corev1.Pod) bool {
	_, ok := p.Annotations[corev1.MirrorPodAnnotationKey]
	return ok
}

func schedulerName(p *corev1.Pod) string {
	if p.Spec.SchedulerName == "" {
		return defaultScheduler
	}
	return p.Spec.SchedulerName
}

// groupSubject is "2 pods of Deployment team-a/web" or "pod team-a/debug".
func groupSubject(g *pendingGroup) string { return subject(g.owner, g.pods) }

func podsLine(g *pendingGroup) string { return "pods: " + safetext.Visible(podinfo.Names(g.pods, 5)) }

func describeCmd(p *corev1.Pod) checks.Command {
	return checks.Cmd("kubectl", "get", "pod", "-n", p.Namespace, p.Name, "-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}`)
}

func gatedFinding(g *pendingGroup) checks.Finding {
	var gates []string
	for _, s := range g.pods[0].Spec.SchedulingGates {
		gates = append(gates, safetext.Visible(s.Name))
	}
	return checks.Finding{
		Severity: checks.StatusWarn, Problem: "scheduling-gated", Object: &g.owner,
		Message:  fmt.Sprintf("%s %s behind scheduling gates: %s", groupSubject(g), agree(g, "waits", "wait"), strings.Join(gates, ", ")),
		Evidence: []string{podsLine(g), "spec.schedulingGates: " + strings.Join(gates, ", ")},
		Hint:     "The scheduler does not look at a pod until every gate is removed; the controller that added the gate removes it. Find which one (the gate's name says) and why it holds the pod.",
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "pod", "-n", g.pods[0].Namespace, g.pods[0].Name, "-o", "jsonpath={.spec.schedulingGates}")},
	}
}

// unseenFinding is for pods no scheduler has looked at: no PodScheduled condition at all. The
// names some scheduler serves are those of the pods it bound; the default scheduler is also
// judged by its own pods (kube-scheduler in kube-system).
func unseenFinding(g *pendingGroup, served map[string]bool, schedulers []*corev1.Pod) checks.Finding {
	name := schedulerName(g.pods[0])
	ev := []string{podsLine(g), "spec.schedulerName: " + safetext.Visible(name), "no PodScheduled condition: no scheduler has looked at them"}
	var names []string
	for n := range served {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		ev = append(ev, "scheduler names that bound running pods: "+safetext.Visible(strings.Join(names, ", ")))
	}
	for _, n := range names {
		if near := nearness(n, name); near != "" {
			ev = append(ev, fmt.Sprintf("near miss of %s: %s", safetext.Visible(n), near))
		}
	}
	running := 0
	for _, p := range schedulers {
		ev = append(ev, fmt.Sprintf("scheduler pod %s: %s", safetext.Visible(p.Namespace+"/"+p.Name), safetext.Visible(podinfo.State(p))))
		if p.Status.Phase == corev1.PodRunning && podinfo.Ready(p) {
			running++
		}
	}
	f := checks.Finding{
		Severity: checks.StatusFail, Problem: "no-scheduler", Object: &g.owner, Evidence: ev,
		Commands: []checks.Command{
			checks.Cmd("kubectl", "get", "pod", "-n", g.pods[0].Namespace, g.pods[0].Name, "-o", "jsonpath={.spec.schedulerName}"),
			checks.Cmd("kubectl", "get", "pods", "-n", "kube-system", "-l", "component=kube-scheduler", "-o", "wide"),
		},
	}
	subject, verb := groupSubject(g), agree(g, "asks", "ask")
	switch {
	case name == defaultScheduler && len(schedulers) > 0 && running == 0:
		f.Message = fmt.Sprintf("%s %s for the default scheduler, and no kube-scheduler pod runs", subject, verb)
		f.Hint = "Start kube-scheduler: its static pod manifest (/etc/kubernetes/manifests/kube-scheduler.yaml) and its log say why it does not run."
	case served[name]:
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("%s %s not been looked at by scheduler %s yet", subject, agree(g, "has", "have"), safetext.Visible(name))
		f.Hint = "The scheduler serving this name has bound other pods: it may be slow, restarting, or no longer running. Read its log."
	case len(served) == 0 || name == defaultScheduler:
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("%s %s for scheduler %s and no scheduler has looked at them", subject, verb, safetext.Visible(name))
		f.Hint = "No pod here shows which scheduler names are served: check that a scheduler runs under this name (for the default one, kube-scheduler in kube-system) and read its log."
	default:
		f.Message = fmt.Sprintf("%s %s for scheduler %s, which no running scheduler serves", subject, verb, safetext.Visible(name))
		f.Hint = "Set spec.schedulerName to a scheduler that runs (default-scheduler unless you run another), or start the scheduler it names; a kube-scheduler started with a profile of another name serves only that name."
	}
	return f
}

// agree picks the verb for the group's subject: "pod x asks", "2 pods of y ask".
func agree(g *pendingGroup, one, many string) string {
	if len(g.pods) == 1 {
		return one
	}
	return many
}

// schedulerPods are the default scheduler's pods, as kubeadm labels them.
func schedulerPods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Namespace == metav1.NamespaceSystem && p.Labels["component"] == "kube-scheduler" {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// unschedulableFinding says why no node takes the group's pods, with the table.
func unschedulableFinding(g *pendingGroup) checks.Finding {
	fits, counts := 0, map[string]int{}
	var order []string
	for _, r := range g.rows {
		if len(r.reasons) == 0 {
			fits++
			continue
		}
		for _, k := range distinctTexts(r.reasons) {
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return counts[order[i]] > counts[order[j]] })
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%s (%s)", k, phrase.Count(counts[k], "node", "nodes")))
	}
	f := checks.Finding{
		Severity: checks.StatusFail, Problem: "unschedulable", Object: &g.owner,
		Evidence: []string{podsLine(g)},
		Commands: []checks.Command{describeCmd(g.pods[0]),
			checks.Cmd("kubectl", "get", "nodes", "-o", "custom-columns=NAME:.metadata.name,UNSCHEDULABLE:.spec.unschedulable,TAINTS:.spec.taints[*].key")},
	}
	if g.message != "" {
		f.Evidence = append(f.Evidence, "scheduler: "+quote(g.message))
	}
	f.Evidence = append(f.Evidence, whyNotHereTable(g.rows)...)
	if c := closest(g.rows); c != "" && fits == 0 {
		f.Evidence = append(f.Evidence, c)
	}
	if fits == 0 {
		fieldsEvidence(&f, g)
	}
	if g.fit != nil && g.fit.pods != nil && len(g.fit.pods.unjudged) > 0 {
		f.Evidence = append(f.Evidence, "not judged (namespaces not read): "+phrase.List(g.fit.pods.unjudged, 3))
	}
	switch {
	case len(g.rows) == 0:
		f.Message = fmt.Sprintf("%s cannot be scheduled: the cluster has no nodes", groupSubject(g))
		f.Hint = "Join a node to the cluster, or check why the nodes were deleted."
	case fits > 0:
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("%s %s Pending though %s would take %s now", groupSubject(g), agree(g, "is", "are"), phrase.Count(fits, "node", "nodes"), agree(g, "it", "them"))
		f.Hint = "The objects say a node fits: the scheduler may not have retried yet, or rejects the pods for something kockpit does not model (DRA, a plugin of its own, a pod it is binding now). Read the scheduler's message and log."
	default:
		f.Message = fmt.Sprintf("%s %s no node: %s", groupSubject(g), agree(g, "fits", "fit"), strings.Join(parts, ", "))
		f.Hint = schedulingHint(g.rows)
	}
	return f
}

// specFields are the fields of a pod spec that hold each reason, as the owner spells them.
var specFields = map[reasonKind]string{
	reasonTaint:        "tolerations",
	reasonNodeSelector: "nodeSelector",
	reasonAffinity:     "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
	reasonSpread:       "topologySpreadConstraints",
	reasonPodAffinity:  "affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution",
}

// maxFieldCommands caps the commands that show the fields the table's reasons come from.
const maxFieldCommands = 2

// fieldsEvidence names the fields of the owner's pod spec that the table's reasons come from
// (spec.template.spec.nodeSelector), with the commands that show them.
func fieldsEvidence(f *checks.Finding, g *pendingGroup) {
	prefix := "spec.template.spec."
	if g.owner.Kind == "Pod" {
		prefix = "spec."
	}
	seen := map[reasonKind]bool{}
	for _, r := range g.rows {
		for _, rs := range r.reasons {
			// The control plane's taint and a node condition's are no fault of the spec.
			seen[rs.kind] = seen[rs.kind] || rs.kind != reasonTaint || !routineTaint(rs.taint)
		}
	}
	var fields []string
	for k := reasonCordoned; k <= reasonPodAntiAffinity; k++ {
		if name, ok := specFields[k]; ok && seen[k] {
			fields = append(fields, prefix+name)
		}
	}
	// Anti-affinity is the pod's own field only when it has terms: else running pods' refuse it.
	if a := g.pods[0].Spec.Affinity; seen[reasonPodAntiAffinity] && a != nil && a.PodAntiAffinity != nil &&
		len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
		fields = append(fields, prefix+"affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")
	}
	if len(fields) == 0 {
		return
	}
	f.Evidence = append(f.Evidence, "from the fields: "+strings.Join(fields, ", "))
	for i, field := range fields {
		if i == maxFieldCommands {
			break
		}
		f.Commands = append(f.Commands, getCmd(g.owner, "jsonpath={."+field+"}"))
	}
}

// distance ranks how far a node is from taking the pods: a node the pods ask for (their
// nodeSelector and affinity match) comes before one they do not, then by how many reasons.
func distance(r nodeRow) int {
	d := len(r.reasons)
	for _, rs := range r.reasons {
		if rs.kind == reasonNodeSelector || rs.kind == reasonAffinity {
			return d + 1000
		}
	}
	return d
}

// closestRows are the rows at the least distance.
func closestRows(rows []nodeRow) []nodeRow {
	var out []nodeRow
	for _, r := range rows {
		switch {
		case len(out) == 0 || distance(r) < distance(out[0]):
			out = []nodeRow{r}
		case distance(r) == distance(out[0]):
			out = append(out, r)
		}
	}
	return out
}

// closest names the nodes nearest to taking the pods, when one change would let them in there:
// "closest: worker-2, refused only for: untolerated taint dedicated=ml:NoSchedule".
func closest(rows []nodeRow) string {
	near := closestRows(rows)
	if len(near) == 0 || len(near[0].reasons) != 1 || len(near) > 5 {
		return ""
	}
	for _, r := range near[1:] {
		if r.reasons[0].text != near[0].reasons[0].text {
			return "" // one change each, but not the same one: the table says which
		}
	}
	names := make([]string, len(near))
	for i, r := range near {
		names[i] = safetext.Visible(r.node.Name)
	}
	return fmt.Sprintf("closest: %s, refused only for: %s", strings.Join(names, ", "), near[0].reasons[0].text)
}

func distinctTexts(rs []reason) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		k := r.kind.String()
		if r.kind == reasonTaint {
			k = r.text
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// whyNotHereTable is the table's lines: a node and its reasons each, the closest nodes first
// (then by name), the first maxTableNodes of them; the rest are counted by reason.
func whyNotHereTable(rows []nodeRow) []string {
	if len(rows) == 0 {
		return nil
	}
	shown := append([]nodeRow(nil), rows...)
	sort.SliceStable(shown, func(i, j int) bool { return distance(shown[i]) < distance(shown[j]) })
	rest := shown[min(len(shown), maxTableNodes):]
	shown = shown[:min(len(shown), maxTableNodes)]
	width := 4
	for _, r := range shown {
		width = max(width, len(safetext.Visible(r.node.Name)))
	}
	out := []string{fmt.Sprintf("why not here: %-*s  %s", width, "NODE", "REASONS")}
	for _, r := range shown {
		texts := make([]string, len(r.reasons))
		for j, rs := range r.reasons {
			texts[j] = rs.text
		}
		why := strings.Join(texts, "; ")
		if why == "" {
			why = "fits"
		}
		out = append(out, fmt.Sprintf("why not here: %-*s  %s", width, safetext.Visible(r.node.Name), why))
	}
	if len(rest) > 0 {
		count := map[string]int{}
		var order []string
		for _, r := range rest {
			for _, k := range distinctTexts(r.reasons) {
				if count[k] == 0 {
					order = append(order, k)
				}
				count[k]++
			}
		}
		parts := make([]string, len(order))
		for i, k := range order {
			parts[i] = fmt.Sprintf("%s %d", k, count[k])
		}
		out = append(out, fmt.Sprintf("why not here: … and %s more: %s", phrase.Count(len(rest), "node", "nodes"), strings.Join(parts, ", ")))
	}
	return out
}

// schedulingHint says what to change for the reason of the closest nodes: the fewest changes
// that let the pods in.
func schedulingHint(rows []nodeRow) string {
	count := map[reasonKind]int{}
	for _, r := range closestRows(rows) {
		for _, rs := range r.reasons {
			count[rs.kind]++
		}
	}
	top := reasonCordoned
	for k := reasonCordoned; k <= reasonPodAntiAffinity; k++ {
		if count[k] > count[top] {
			top = k
		}
	}
	switch top {
	case reasonCordoned:
		return "Uncordon a node (`kubectl uncordon NODE`) once whatever it was cordoned for is done."
	case reasonTaint:
		return "Remove the taint from the nodes (`kubectl taint nodes NODE KEY:EFFECT-`) or add a matching toleration to the pod template."
	case reasonNodeSelector, reasonAffinity:
		return "Fix the pod template's nodeSelector or node affinity to a label the nodes carry (the table names the nearest), or label the nodes."
	case reasonResources:
		return "Lower the pod's requests, free the nodes (scale down what runs there), or add nodes; requests count the largest init container, sidecars and pod overhead, as the scheduler does."
	case reasonVolume:
		return "The pod's volume lives where no eligible node is: schedule it in the volume's zone or node, or move the data."
	case reasonPodAffinity:
		return "Required pod affinity needs a pod its term selects already running in the node's domain (the table names the term): start that pod first, or fix the term's selector, namespaces or topologyKey, or make it preferred."
	case reasonPodAntiAffinity:
		return "Required pod anti-affinity allows no two selected pods in one domain (the table names the pod in the way): add nodes in new domains, labelled with the topologyKey, scale down, or make it preferred."
	}
	return "Relax the topology spread constraint (maxSkew, whenUnsatisfiable: ScheduleAnyway) or add nodes in the missing domains, labelled with the topology key."
}

// taintCauses names the taints that keep groups off every node: a group whose every node
// rejects it with an untolerated taint, or that a taint alone keeps off some node, is explained
// by those taints, except the control plane's
// (there by design) and a node condition's (workloads.nodes names the node). And a taint on every schedulable node
// that no pod outside kube-system tolerates is named even when nothing is Pending yet.
func taintCauses(in schedulingInputs, groups []*pendingGroup) []checks.Finding {
	type cause struct {
		taint    corev1.Taint
		nodes    []string
		explains []checks.ObjectRef
	}
	byID := map[string]*cause{}
	var order []string
	add := func(t corev1.Taint, node string, owner *checks.ObjectRef) {
		id := taintString(&t)
		c := byID[id]
		if c == nil {
			c = &cause{taint: t}
			byID[id] = c
			order = append(order, id)
		}
		if node != "" && !contains(c.nodes, node) {
			c.nodes = append(c.nodes, node)
		}
		if owner != nil && !containsRef(c.explains, *owner) {
			c.explains = append(c.explains, *owner)
		}
	}
	for _, g := range groups {
		if len(g.rows) == 0 || fitsSomewhere(g.rows) {
			continue
		}
		everywhere := everyRowHasTaint(g.rows)
		for _, r := range g.rows {
			for _, rs := range r.reasons {
				// A taint explains the group when every node has one, or when it alone keeps
				// the pods off a node that would otherwise take them.
				if rs.kind == reasonTaint && !routineTaint(rs.taint) && (everywhere || len(r.reasons) == 1) {
					add(*rs.taint, r.node.Name, &g.owner)
				}
			}
		}
	}
	everywhere := taintsEverywhere(in)
	for _, t := range everywhere {
		add(t, "", nil)
	}
	var out []checks.Finding
	for _, id := range order {
		c := byID[id]
		f := taintFinding(in, c.taint, c.nodes, c.explains, containsTaint(everywhere, c.taint))
		out = append(out, f)
	}
	return out
}

func taintFinding(in schedulingInputs, t corev1.Taint, nodes []string, explains []checks.ObjectRef, everywhere bool) checks.Finding {
	if everywhere {
		nodes = nil
		for _, n := range in.nodes {
			if hasTaint(n, t) {
				nodes = append(nodes, n.Name)
			}
		}
	}
	sort.Strings(nodes)
	id := taintString(&t)
	f := checks.Finding{
		Severity: checks.StatusFail, Problem: "untolerated-taint", Cause: len(explains) > 0, Explains: explains,
		// A taint a person put there is written, not a state of the node: a cause about the node
		// (no pod network there) does not explain it. The taints that say the node's state can
		// be explained by such a cause.
		Written:  !nodeStateTaint(&t),
		Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: nodes[0]},
		Evidence: []string{"taint: " + id, "on nodes: " + safetext.Visible(phrase.List(nodes, 8))},
		Hint: fmt.Sprintf("Remove the taint where it should not be (`%s`), or add a toleration to the workloads meant to run there.",
			checks.Cmd("kubectl", "taint", "nodes", nodes[0], t.Key+":"+string(t.Effect)+"-").String()),
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "nodes", "-o", "custom-columns=NAME:.metadata.name,TAINTS:.spec.taints")},
	}
	var owners []string
	for _, o := range explains {
		owners = append(owners, o.String())
	}
	if len(owners) > 0 {
		f.Evidence = append(f.Evidence, "keeps Pending: "+safetext.Visible(phrase.List(owners, 5)))
	}
	switch {
	case everywhere && len(explains) > 0:
		f.Message = fmt.Sprintf("taint %s is on every schedulable node and no pod outside kube-system tolerates it: it keeps %s Pending", id, phrase.Count(len(explains), "workload", "workloads"))
	case everywhere:
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("taint %s is on every schedulable node and no pod outside kube-system tolerates it", id)
	default:
		f.Message = fmt.Sprintf("taint %s on %s keeps %s Pending", id, phrase.Count(len(nodes), "node", "nodes"), phrase.Count(len(explains), "workload", "workloads"))
	}
	return f
}

func fitsSomewhere(rows []nodeRow) bool {
	for _, r := range rows {
		if len(r.reasons) == 0 {
			return true
		}
	}
	return false
}

func everyRowHasTaint(rows []nodeRow) bool {
	for _, r := range rows {
		has := false
		for _, rs := range r.reasons {
			has = has || rs.kind == reasonTaint
		}
		if !has {
			return false
		}
	}
	return true
}

// routineTaint is a taint that is there by design (control plane) or that the node lifecycle
// controller sets for a condition workloads.nodes reports (not-ready, unreachable, pressure).
func routineTaint(t *corev1.Taint) bool {
	return t.Key == "node-role.kubernetes.io/control-plane" || t.Key == "node-role.kubernetes.io/master" || nodeStateTaint(t)
}

// nodeStateTaint says whether a taint says the node's state (NotReady, pressure, a cloud node
// not yet initialised or shut down), put there by Kubernetes rather than by a person.
func nodeStateTaint(t *corev1.Taint) bool {
	return strings.HasPrefix(t.Key, "node.kubernetes.io/") || strings.HasPrefix(t.Key, "node.cloudprovider.kubernetes.io/")
}

// taintsEverywhere is the taints (not routine) on every schedulable node that no pod outside
// kube-system tolerates. Schedulable: not cordoned, and not a control-plane node unless every
// node is one.
func taintsEverywhere(in schedulingInputs) []corev1.Taint {
	var schedulable, workers []*corev1.Node
	for _, n := range in.nodes {
		if n.Spec.Unschedulable {
			continue
		}
		schedulable = append(schedulable, n)
		if !controlPlaneTainted(n) {
			workers = append(workers, n)
		}
	}
	if len(workers) > 0 {
		schedulable = workers
	}
	if len(schedulable) == 0 {
		return nil
	}
	var out []corev1.Taint
	for _, t := range schedulable[0].Spec.Taints {
		if t.Effect == corev1.TaintEffectPreferNoSchedule || routineTaint(&t) {
			continue
		}
		everywhere := true
		for _, n := range schedulable[1:] {
			everywhere = everywhere && hasTaint(n, t)
		}
		if everywhere && !toleratedOutsideKubeSystem(in.pods, &t) {
			out = append(out, t)
		}
	}
	return out
}

func controlPlaneTainted(n *corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if (t.Key == "node-role.kubernetes.io/control-plane" || t.Key == "node-role.kubernetes.io/master") && t.Effect != corev1.TaintEffectPreferNoSchedule {
			return true
		}
	}
	return false
}

func toleratedOutsideKubeSystem(pods []*corev1.Pod, t *corev1.Taint) bool {
	for _, p := range pods {
		if p.Namespace != metav1.NamespaceSystem && tolerated(p.Spec.Tolerations, t) {
			return true
		}
	}
	return false
}

func hasTaint(n *corev1.Node, t corev1.Taint) bool {
	for _, x := range n.Spec.Taints {
		if x.Key == t.Key && x.Value == t.Value && x.Effect == t.Effect {
			return true
		}
	}
	return false
}

func containsTaint(ts []corev1.Taint, t corev1.Taint) bool {
	for _, x := range ts {
		if x.Key == t.Key && x.Value == t.Value && x.Effect == t.Effect {
			return true
		}
	}
	return false
}

// volumeCauses names the claim whose volume no eligible node can use, when it rejects the
// group on every node: the claim (storage's object) explains the group.
func volumeCauses(groups []*pendingGroup) []checks.Finding {
	var out []checks.Finding
	for _, g := range groups {
		if len(g.rows) == 0 {
			continue
		}
		claim, text := "", ""
		for _, r := range g.rows {
			found := false
			for _, rs := range r.reasons {
				if rs.kind == reasonVolume {
					claim, text, found = rs.claim, rs.text, true
				}
			}
			if !found {
				claim = ""
				break
			}
		}
		if claim == "" {
			continue
		}
		ns := g.pods[0].Namespace
		out = append(out, checks.Finding{
			Severity: checks.StatusFail, Problem: "volume-node-affinity", Cause: true, Explains: []checks.ObjectRef{g.owner},
			Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: ns, Name: claim},
			Message:  fmt.Sprintf("claim %s's volume can be used on no node %s may run on", safetext.Visible(ns+"/"+claim), groupSubject(g)),
			Evidence: []string{text},
			Hint:     "The volume is pinned (a local volume, a zone): run the pods where it is (fix their nodeSelector or affinity, or bring the node back), or restore the data elsewhere.",
			Commands: []checks.Command{checks.Cmd("kubectl", "get", "pvc", "-n", ns, claim, "-o", "jsonpath={.spec.volumeName}")},
		})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsRef(list []checks.ObjectRef, r checks.ObjectRef) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}
