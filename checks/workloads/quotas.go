package workloads

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// quotasCheck is the workloads.quotas check.
var quotasCheck = checks.Check{
	ID:       "workloads.quotas",
	Title:    "Quotas, LimitRanges and PodDisruptionBudgets leave room: no pod refused, no drain blocked",
	Category: checks.CategoryWorkloads,
	Learn:    learn("workloads.quotas"),
	Needs:    checks.NeedsObjects,
	Reads: []kube.Resource{kube.ResourceQuotas, kube.LimitRanges, kube.PodDisruptionBudgets, kube.Pods, kube.Events,
		kube.Deployments, kube.ReplicaSets, kube.StatefulSets, kube.DaemonSets},
	Run: runQuotas,
}

type quotaInputs struct {
	quotas       []*corev1.ResourceQuota
	limitRanges  []*corev1.LimitRange
	budgets      []*policyv1.PodDisruptionBudget
	pods         []*corev1.Pod
	podsRead     bool
	events       []*corev1.Event
	replicaSets  []*appsv1.ReplicaSet
	templates    []template // the pod templates of the controllers, for LimitRanges
	rsOwner      map[string]checks.ObjectRef
	eventsUnread bool
}

// template is a controller's pod template: what admission will see of its next pod.
type template struct {
	owner checks.ObjectRef
	spec  *corev1.PodSpec
}

func runQuotas(ctx context.Context, env *checks.Env) checks.Result {
	var p checks.Partial
	var in quotaInputs
	in.quotas, _ = checks.ListPartial[*corev1.ResourceQuota](ctx, env.Snapshot, &p, kube.ResourceQuotas)
	in.limitRanges, _ = checks.ListPartial[*corev1.LimitRange](ctx, env.Snapshot, &p, kube.LimitRanges)
	in.budgets, _ = checks.ListPartial[*policyv1.PodDisruptionBudget](ctx, env.Snapshot, &p, kube.PodDisruptionBudgets)
	in.pods, _ = checks.ListPartial[*corev1.Pod](ctx, env.Snapshot, &p, kube.Pods)
	in.podsRead = p.Read(kube.Pods)
	in.events, _ = checks.ListPartial[*corev1.Event](ctx, env.Snapshot, &p, kube.Events)
	in.eventsUnread = !p.Read(kube.Events)
	deps, _ := checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, &p, kube.Deployments)
	in.replicaSets, _ = checks.ListPartial[*appsv1.ReplicaSet](ctx, env.Snapshot, &p, kube.ReplicaSets)
	sss, _ := checks.ListPartial[*appsv1.StatefulSet](ctx, env.Snapshot, &p, kube.StatefulSets)
	dss, _ := checks.ListPartial[*appsv1.DaemonSet](ctx, env.Snapshot, &p, kube.DaemonSets)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.quotas: %v", err))
	}
	if p.NoneRead(kube.ResourceQuotas, kube.LimitRanges, kube.PodDisruptionBudgets) {
		return p.Skip() // names every kind not read, the ones that only sharpen included
	}
	for _, d := range deps {
		in.templates = append(in.templates, template{*ref("apps/v1", "Deployment", d), &d.Spec.Template.Spec})
	}
	for _, s := range sss {
		in.templates = append(in.templates, template{*ref("apps/v1", "StatefulSet", s), &s.Spec.Template.Spec})
	}
	for _, d := range dss {
		in.templates = append(in.templates, template{*ref("apps/v1", "DaemonSet", d), &d.Spec.Template.Spec})
	}
	in.rsOwner = map[string]checks.ObjectRef{}
	for _, rs := range in.replicaSets {
		if c := metav1.GetControllerOf(rs); c != nil {
			in.rsOwner[rs.Namespace+"/"+rs.Name] = checks.ObjectRef{APIVersion: c.APIVersion, Kind: c.Kind, Namespace: rs.Namespace, Name: c.Name}
		}
	}
	return p.Note(judgeQuotas(in))
}

func judgeQuotas(in quotaInputs) checks.Result {
	var findings []checks.Finding
	for _, q := range sortedByName(in.quotas) {
		findings = append(findings, quotaFindings(in, q)...)
	}
	for _, lr := range sortedByName(in.limitRanges) {
		findings = append(findings, limitRangeFindings(in, lr)...)
	}
	for _, b := range sortedByName(in.budgets) {
		findings = append(findings, budgetFindings(in, b)...)
	}
	return summarize(findings, fmt.Sprintf("no quota used up, no LimitRange below the workloads' requests, no budget blocking drains (%s, %s, %s)",
		phrase.Count(len(in.quotas), "ResourceQuota", "ResourceQuotas"), phrase.Count(len(in.limitRanges), "LimitRange", "LimitRanges"),
		phrase.Count(len(in.budgets), "PodDisruptionBudget", "PodDisruptionBudgets")))
}

// refused is what admission refused in a namespace because of one object: the FailedCreate
// events whose message matches, or (events expired) the ReplicaFailure conditions that do.
type refused struct {
	evidence []string
	owners   []checks.ObjectRef
}

func (in quotaInputs) refusals(namespace string, match func(msg string) bool) refused {
	var r refused
	addOwner := func(kind, name string) {
		o := checks.ObjectRef{APIVersion: "apps/v1", Kind: kind, Namespace: namespace, Name: name}
		if kind == "ReplicaSet" {
			if owner, ok := in.rsOwner[namespace+"/"+name]; ok {
				o = owner
			}
		}
		if !containsRef(r.owners, o) {
			r.owners = append(r.owners, o)
		}
	}
	events := append([]*corev1.Event(nil), in.events...)
	sort.SliceStable(events, func(i, j int) bool { return kube.EventLastSeen(events[i]).After(kube.EventLastSeen(events[j])) })
	for _, e := range events {
		if e.Namespace != namespace || e.Reason != "FailedCreate" || !match(e.Message) {
			continue
		}
		addOwner(e.InvolvedObject.Kind, e.InvolvedObject.Name)
		if len(r.evidence) < 3 {
			r.evidence = append(r.evidence, fmt.Sprintf("%s %s: %s", safetext.Visible(e.InvolvedObject.Kind), safetext.Visible(e.InvolvedObject.Name), eventLine(e)))
		}
	}
	if len(r.owners) > 0 {
		return r
	}
	for _, rs := range in.replicaSets {
		if rs.Namespace != namespace {
			continue
		}
		for _, c := range rs.Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue && match(c.Message) {
				addOwner("ReplicaSet", rs.Name)
				r.evidence = append(r.evidence, fmt.Sprintf("ReplicaSet %s: condition ReplicaFailure (%s): %s", safetext.Visible(rs.Name), safetext.Visible(c.Reason), quote(c.Message)))
			}
		}
	}
	return r
}

func quotaFindings(in quotaInputs, q *corev1.ResourceQuota) []checks.Finding {
	var full []string
	names := make([]string, 0, len(q.Status.Hard))
	for n := range q.Status.Hard {
		names = append(names, string(n))
	}
	sort.Strings(names)
	for _, n := range names {
		hard := q.Status.Hard[corev1.ResourceName(n)]
		used, ok := q.Status.Used[corev1.ResourceName(n)]
		if ok && used.Cmp(hard) >= 0 {
			full = append(full, fmt.Sprintf("%s: used %s of %s", safetext.Visible(n), quantity(used), quantity(hard)))
		}
	}
	if len(full) == 0 {
		return nil
	}
	r := in.refusals(q.Namespace, func(msg string) bool { return strings.Contains(msg, "exceeded quota: "+q.Name) })
	f := checks.Finding{
		Severity: checks.StatusWarn, Problem: "quota-used-up", Object: ref("v1", "ResourceQuota", q),
		Message:  fmt.Sprintf("ResourceQuota %s is used up: the next pod asking for it is refused", safetext.Visible(q.Namespace+"/"+q.Name)),
		Evidence: append(full, r.evidence...),
		Hint:     "Raise the quota's hard limits, or lower the requests (or count) of what runs in the namespace. Refused pods leave no pod behind: their owner's events and ReplicaFailure condition say so.",
		Commands: []checks.Command{checks.Cmd("kubectl", "describe", "resourcequota", "-n", q.Namespace, q.Name)},
	}
	if len(r.owners) > 0 {
		f.Severity, f.Cause, f.Explains = checks.StatusFail, true, r.owners
		f.Message = fmt.Sprintf("ResourceQuota %s is used up and refuses pods of %s", safetext.Visible(q.Namespace+"/"+q.Name), refNames(r.owners))
	} else if in.eventsUnread {
		f.Evidence = append(f.Evidence, "events not read: which pods it refused is unknown")
	}
	return []checks.Finding{f}
}

func refNames(refs []checks.ObjectRef) string {
	names := make([]string, len(refs))
	for i, o := range refs {
		names[i] = o.String()
	}
	return safetext.Visible(phrase.List(names, 3))
}

// limitRangeFindings compares each Container max with the requests and limits of the
// namespace's pod templates, as the LimitRanger admission plugin will.
func limitRangeFindings(in quotaInputs, lr *corev1.LimitRange) []checks.Finding {
	var over []string
	var owners []checks.ObjectRef
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypeContainer || len(item.Max) == 0 {
			continue
		}
		for _, t := range in.templates {
			if t.owner.Namespace != lr.Namespace {
				continue
			}
			for _, c := range append(append([]corev1.Container(nil), t.spec.InitContainers...), t.spec.Containers...) {
				if v := overMax(item.Max, c); v != "" {
					over = append(over, fmt.Sprintf("%s container %s: %s", safetext.Visible(t.owner.String()), safetext.Visible(c.Name), v))
					if !containsRef(owners, t.owner) {
						owners = append(owners, t.owner)
					}
				}
			}
		}
	}
	r := in.refusals(lr.Namespace, func(msg string) bool {
		return strings.Contains(msg, "maximum") && strings.Contains(msg, "per Container")
	})
	for _, o := range r.owners {
		if !containsRef(owners, o) {
			owners = append(owners, o)
		}
	}
	if len(owners) == 0 {
		return nil
	}
	if len(over) > 5 {
		over = append(over[:5], fmt.Sprintf("and %d more containers", len(over)-5))
	}
	return []checks.Finding{{
		Severity: checks.StatusFail, Problem: "limitrange-below-requests", Object: ref("v1", "LimitRange", lr), Cause: true, Explains: owners,
		Message:  fmt.Sprintf("LimitRange %s allows less than %s ask for: admission refuses their pods", safetext.Visible(lr.Namespace+"/"+lr.Name), refNames(owners)),
		Evidence: append(over, r.evidence...),
		Hint:     "Raise the LimitRange's max to what the workloads need, or lower their requests and limits; the refused pods never exist, only their owner's FailedCreate events.",
		Commands: []checks.Command{checks.Cmd("kubectl", "describe", "limitrange", "-n", lr.Namespace, lr.Name)},
	}}
}

// overMax says which of a container's requests or limits exceeds the max, "" if none.
func overMax(max corev1.ResourceList, c corev1.Container) string {
	names := make([]string, 0, len(max))
	for n := range max {
		names = append(names, string(n))
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		limit := max[corev1.ResourceName(n)]
		for _, side := range []struct {
			what string
			list corev1.ResourceList
		}{{"request", c.Resources.Requests}, {"limit", c.Resources.Limits}} {
			if v, ok := side.list[corev1.ResourceName(n)]; ok && v.Cmp(limit) > 0 {
				out = append(out, fmt.Sprintf("%s %s %s > max %s", safetext.Visible(n), side.what, quantity(v), quantity(limit)))
			}
		}
	}
	return strings.Join(out, ", ")
}

func budgetFindings(in quotaInputs, b *policyv1.PodDisruptionBudget) []checks.Finding {
	o := ref("policy/v1", "PodDisruptionBudget", b)
	get := checks.Cmd("kubectl", "get", "pdb", "-n", b.Namespace, b.Name, "-o", "wide")
	if in.podsRead {
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		matched := 0
		for _, p := range in.pods {
			if err == nil && p.Namespace == b.Namespace && sel.Matches(labels.Set(p.Labels)) {
				matched++
			}
		}
		if matched == 0 {
			return []checks.Finding{{
				Severity: checks.StatusWarn, Problem: "selects-nothing", Object: o,
				Message:  fmt.Sprintf("PodDisruptionBudget %s selects no pod: it protects nothing", safetext.Visible(b.Namespace+"/"+b.Name)),
				Evidence: []string{"selector: " + safetext.Visible(metav1.FormatLabelSelector(b.Spec.Selector))},
				Hint:     "Fix the selector to the labels of the pods it should protect (compare with `kubectl get pods --show-labels`).",
				Commands: []checks.Command{get, checks.Cmd("kubectl", "get", "pods", "-n", b.Namespace, "-l", metav1.FormatLabelSelector(b.Spec.Selector))},
			}}
		}
	}
	if b.Status.ObservedGeneration == 0 || b.Status.DisruptionsAllowed > 0 || b.Status.ExpectedPods == 0 {
		return nil
	}
	ev := []string{fmt.Sprintf("disruptionsAllowed: 0, currentHealthy: %d, desiredHealthy: %d, expectedPods: %d",
		b.Status.CurrentHealthy, b.Status.DesiredHealthy, b.Status.ExpectedPods)}
	if b.Spec.MinAvailable != nil {
		ev = append(ev, "minAvailable: "+safetext.Visible(b.Spec.MinAvailable.String()))
	}
	if b.Spec.MaxUnavailable != nil {
		ev = append(ev, "maxUnavailable: "+safetext.Visible(b.Spec.MaxUnavailable.String()))
	}
	return []checks.Finding{{
		Severity: checks.StatusWarn, Problem: "zero-disruptions", Object: o,
		Message:  fmt.Sprintf("PodDisruptionBudget %s allows zero disruptions: a drain of its pods' nodes never ends", safetext.Visible(b.Namespace+"/"+b.Name)),
		Evidence: ev,
		Hint:     "minAvailable equal to the replicas (or maxUnavailable 0) forbids every eviction; so do unhealthy pods. Allow at least one disruption, or scale the workload up first.",
		Commands: []checks.Command{get},
	}}
}
