package workloads

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// controllersCheck is the workloads.controllers check.
var controllersCheck = checks.Check{
	ID:       "workloads.controllers",
	Title:    "Controllers reach their replicas: Deployments, StatefulSets, DaemonSets, Jobs and their pods",
	Category: checks.CategoryWorkloads,
	Learn:    learn("workloads.controllers"),
	Needs:    checks.NeedsObjects,
	Reads: []kube.Resource{kube.Deployments, kube.ReplicaSets, kube.StatefulSets, kube.DaemonSets,
		kube.Jobs, kube.CronJobs, kube.Pods, kube.Events},
	Run: runControllers,
}

// Thresholds past which a state is no longer a moment of a rollout.
const (
	// stuckTerminating is how long past its deletion deadline a pod may linger.
	stuckTerminating = 5 * time.Minute
	// evictedPile is how many evicted pods of one owner make a pile worth a look.
	evictedPile = 5
	// neverScheduledAfter is how many missed runs of a CronJob with no run at all are reported.
	neverScheduledAfter = 2
)

type controllerInputs struct {
	deployments  []*appsv1.Deployment
	replicaSets  []*appsv1.ReplicaSet
	statefulSets []*appsv1.StatefulSet
	daemonSets   []*appsv1.DaemonSet
	jobs         []*batchv1.Job
	cronJobs     []*batchv1.CronJob
	pods         []*corev1.Pod
	podsRead     bool
	// replicaSetsRead: without them a Deployment with no ReplicaSet cannot be told apart.
	replicaSetsRead bool
	events          eventIndex // empty when unread: causes then come from status alone
	// statusless counts the controllers written by hand (no generation, no status): nothing
	// to judge them by, and the summary says how many.
	statusless *int
	owners     *podinfo.WorkloadIndex
	now        time.Time
}

func runControllers(ctx context.Context, env *checks.Env) checks.Result {
	var p checks.Partial
	in := controllerInputs{now: env.CurrentTime(), statusless: new(int)}
	in.deployments, _ = checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, &p, kube.Deployments)
	in.replicaSets, _ = checks.ListPartial[*appsv1.ReplicaSet](ctx, env.Snapshot, &p, kube.ReplicaSets)
	in.statefulSets, _ = checks.ListPartial[*appsv1.StatefulSet](ctx, env.Snapshot, &p, kube.StatefulSets)
	in.daemonSets, _ = checks.ListPartial[*appsv1.DaemonSet](ctx, env.Snapshot, &p, kube.DaemonSets)
	in.jobs, _ = checks.ListPartial[*batchv1.Job](ctx, env.Snapshot, &p, kube.Jobs)
	in.cronJobs, _ = checks.ListPartial[*batchv1.CronJob](ctx, env.Snapshot, &p, kube.CronJobs)
	in.pods, _ = checks.ListPartial[*corev1.Pod](ctx, env.Snapshot, &p, kube.Pods)
	events, _ := checks.ListPartial[*corev1.Event](ctx, env.Snapshot, &p, kube.Events)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.controllers: %v", err))
	}
	if p.NoneRead(kube.Deployments, kube.ReplicaSets, kube.StatefulSets, kube.DaemonSets, kube.Jobs, kube.CronJobs, kube.Pods) {
		return p.Skip()
	}
	in.podsRead = p.Read(kube.Pods)
	in.replicaSetsRead = p.Read(kube.ReplicaSets)
	in.events = indexEvents(events)
	in.owners = podinfo.NewWorkloadIndex(in.deployments, in.daemonSets, in.statefulSets)
	return p.Note(judgeControllers(in))
}

func judgeControllers(in controllerInputs) checks.Result {
	podsOf := map[checks.ObjectRef][]*corev1.Pod{}
	for _, p := range in.pods {
		o := in.owners.OwnerOf(p)
		podsOf[o] = append(podsOf[o], p)
	}
	var findings []checks.Finding
	rsOf := map[string][]*appsv1.ReplicaSet{}
	for _, rs := range in.replicaSets {
		if c := metav1.GetControllerOf(rs); c != nil && c.Kind == "Deployment" {
			rsOf[rs.Namespace+"/"+c.Name] = append(rsOf[rs.Namespace+"/"+c.Name], rs)
		}
	}
	for _, d := range sortedByName(in.deployments) {
		findings = append(findings, deploymentFindings(in, d, rsOf[d.Namespace+"/"+d.Name], podsOf)...)
	}
	for _, rs := range sortedByName(in.replicaSets) {
		findings = append(findings, replicaSetFindings(in, rs, podsOf)...)
	}
	for _, s := range sortedByName(in.statefulSets) {
		findings = append(findings, statefulSetFindings(in, s, podsOf)...)
	}
	for _, d := range sortedByName(in.daemonSets) {
		findings = append(findings, daemonSetFindings(in, d, podsOf)...)
	}
	for _, j := range sortedByName(in.jobs) {
		findings = append(findings, jobFindings(j)...)
	}
	for _, c := range sortedByName(in.cronJobs) {
		findings = append(findings, cronJobFindings(c, in.now)...)
	}
	findings = append(findings, podFindings(in)...)
	r := summarize(findings, fmt.Sprintf("every controller has its replicas ready (%s, %s, %s, %s)",
		phrase.Count(len(in.deployments), "Deployment", "Deployments"), phrase.Count(len(in.statefulSets), "StatefulSet", "StatefulSets"),
		phrase.Count(len(in.daemonSets), "DaemonSet", "DaemonSets"), phrase.Count(len(in.jobs), "Job", "Jobs")))
	if n := *in.statusless; n > 0 {
		r.Summary += fmt.Sprintf("; %s without generation or status not judged", phrase.Count(n, "controller", "controllers"))
		if r.Status == checks.StatusOK {
			r.Summary = strings.Replace(r.Summary, "every controller has", "every controller judged has", 1)
		}
	}
	return r
}

// unjudged says whether a controller has neither a generation nor a status: an object written
// by hand that no API server stored, whose replicas nothing says. It is counted, not judged.
func unjudged[S any](in controllerInputs, generation int64, status, zero S) bool {
	if generation != 0 || !equality.Semantic.DeepEqual(status, zero) {
		return false
	}
	*in.statusless++
	return true
}

func sortedByName[T metav1.Object](list []T) []T {
	out := append([]T(nil), list...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].GetNamespace() != out[j].GetNamespace() {
			return out[i].GetNamespace() < out[j].GetNamespace()
		}
		return out[i].GetName() < out[j].GetName()
	})
	return out
}

func ref(apiVersion, kind string, m metav1.Object) *checks.ObjectRef {
	return &checks.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()}
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// controllerOff is the finding about an object its controller never acted on: the
// kube-controller-manager runs without that controller (--controllers=*,-NAME) or not at all.
func controllerOff(o *checks.ObjectRef, controller, what string, cmd checks.Command) checks.Finding {
	return checks.Finding{
		Severity: checks.StatusFail, Problem: "controller-off", Object: o,
		Message: fmt.Sprintf("%s %s: the %s controller has not acted on it", safetext.Visible(o.String()), what, controller),
		Evidence: []string{"status.observedGeneration is behind metadata.generation and nothing was created",
			fmt.Sprintf("kube-controller-manager --controllers without %q (e.g. --controllers=*,-%s) leaves it so; see api.control-plane", controller, controller)},
		Hint: fmt.Sprintf("Check kube-controller-manager's --controllers flag (the static pod manifest /etc/kubernetes/manifests/kube-controller-manager.yaml) and that it runs and holds its lease: the %s controller must be on.", controller),
		Commands: []checks.Command{cmd,
			checks.Cmd("kubectl", "get", "pods", "-n", "kube-system", "-l", "component=kube-controller-manager", "-o", "jsonpath={.items[*].spec.containers[0].command}")},
	}
}

func deploymentFindings(in controllerInputs, d *appsv1.Deployment, rss []*appsv1.ReplicaSet, podsOf map[checks.ObjectRef][]*corev1.Pod) []checks.Finding {
	want := replicas(d.Spec.Replicas)
	o := ref("apps/v1", "Deployment", d)
	get := checks.Cmd("kubectl", "get", "deployment", "-n", d.Namespace, d.Name, "-o", "wide")
	if unjudged(in, d.Generation, d.Status, appsv1.DeploymentStatus{}) {
		return nil
	}
	if want > 0 && in.replicaSetsRead && len(rss) == 0 && d.Status.ObservedGeneration < d.Generation && !rsByName(in.replicaSets, d) {
		return []checks.Finding{controllerOff(o, "deployment", "has no ReplicaSet", get)}
	}
	var refused []string // why the Deployment's ReplicaSets could not create pods
	for _, rs := range rss {
		refused = append(refused, createFailures(in, "ReplicaSet", rs.Namespace, rs.Name, rs.Status.Conditions)...)
	}
	// A rollout whose new pods are refused (a webhook, a quota) is stuck before its progress
	// deadline says so, even while the old replicas keep the Deployment available. Only the
	// newest ReplicaSet, still short of its pods, counts: an old one's refusal is history.
	newRefused := false
	if rs := newestReplicaSet(rss); rs != nil && rs.Status.Replicas < replicas(rs.Spec.Replicas) {
		newRefused = len(createFailures(in, "ReplicaSet", rs.Namespace, rs.Name, rs.Status.Conditions)) > 0
	}
	stuck := d.Status.UpdatedReplicas < want && (deploymentCondition(d, appsv1.DeploymentProgressing, "ProgressDeadlineExceeded") ||
		deploymentConditionTrue(d, appsv1.DeploymentReplicaFailure) || newRefused)
	if want == 0 || d.Spec.Paused || d.Status.AvailableReplicas >= want && !stuck {
		return nil
	}
	f := checks.Finding{
		Severity: checks.StatusWarn, Problem: "not-available", Object: o,
		Message:  fmt.Sprintf("Deployment %s has %d of %d replicas available", safetext.Visible(d.Namespace+"/"+d.Name), d.Status.AvailableReplicas, want),
		Commands: []checks.Command{get, checks.Cmd("kubectl", "describe", "deployment", "-n", d.Namespace, d.Name)},
		Hint:     "The conditions and the pods say why; fix what they name (an image, a probe, a quota, a missing ServiceAccount) and the rollout continues.",
	}
	if d.Status.AvailableReplicas >= want {
		f.Problem = "rollout-stuck"
		f.Message = fmt.Sprintf("Deployment %s's rollout is stuck: %d of %d replicas updated", safetext.Visible(d.Namespace+"/"+d.Name), d.Status.UpdatedReplicas, want)
		f.Hint = "The old replicas still serve; the new ones do not get ready. Fix what the new pods show, or roll back (`kubectl rollout undo`)."
	}
	if d.Status.AvailableReplicas == 0 {
		f.Severity = checks.StatusFail
	}
	for _, c := range d.Status.Conditions {
		switch {
		case c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue:
			f.Severity = checks.StatusFail
			f.Evidence = append(f.Evidence, fmt.Sprintf("condition ReplicaFailure (%s): %s", safetext.Visible(c.Reason), quote(c.Message)))
		case c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded":
			f.Severity = checks.StatusFail
			f.Evidence = append(f.Evidence, "condition Progressing=False (ProgressDeadlineExceeded): "+quote(c.Message))
		}
	}
	f.Evidence = append(f.Evidence, refused...)
	if maxUnavailableZero(d) && d.Status.UpdatedReplicas < want && d.Status.Replicas > d.Status.UpdatedReplicas {
		f.Evidence = append(f.Evidence, fmt.Sprintf("rollout with maxUnavailable 0: %d of %d replicas updated; no old pod goes until a new one is ready, so an unready new pod stops the rollout", d.Status.UpdatedReplicas, want))
	}
	f.Evidence = append(f.Evidence, podStates(podsOf[*o])...)
	return []checks.Finding{f}
}

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType, reason string) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == t && c.Reason == reason {
			return true
		}
	}
	return false
}

func deploymentConditionTrue(d *appsv1.Deployment, t appsv1.DeploymentConditionType) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// newestReplicaSet is the ReplicaSet of a Deployment's current template: the highest
// deployment.kubernetes.io/revision, else the newest created.
func newestReplicaSet(rss []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	var best *appsv1.ReplicaSet
	bestRev := int64(-1)
	for _, rs := range rss {
		rev, err := strconv.ParseInt(rs.Annotations["deployment.kubernetes.io/revision"], 10, 64)
		if err != nil {
			rev = -1
		}
		if best == nil || rev > bestRev || rev == bestRev && best.CreationTimestamp.Before(&rs.CreationTimestamp) {
			best, bestRev = rs, rev
		}
	}
	return best
}

// rsByName finds a ReplicaSet named after the Deployment without an owner reference (snapshot
// files strip little, but a hand-made one may).
func rsByName(rss []*appsv1.ReplicaSet, d *appsv1.Deployment) bool {
	for _, rs := range rss {
		if rs.Namespace == d.Namespace && strings.HasPrefix(rs.Name, d.Name+"-") && metav1.GetControllerOf(rs) == nil {
			return true
		}
	}
	return false
}

func maxUnavailableZero(d *appsv1.Deployment) bool {
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil {
		return false
	}
	v, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, int(replicas(d.Spec.Replicas)), false)
	return err == nil && v == 0
}

// createFailures is why a controller could not create pods: its FailedCreate event, or, the
// events expired, its ReplicaFailure condition.
func createFailures(in controllerInputs, kind, namespace, name string, conds []appsv1.ReplicaSetCondition) []string {
	if e := in.events.latest(kind, namespace, name, "FailedCreate"); e != nil {
		return []string{fmt.Sprintf("%s %s: %s", kind, safetext.Visible(name), eventLine(e))}
	}
	for _, c := range conds {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return []string{fmt.Sprintf("%s %s: condition ReplicaFailure (%s): %s", kind, safetext.Visible(name), safetext.Visible(c.Reason), quote(c.Message))}
		}
	}
	return nil
}

// podStates says what the owner's unready pods show, the commonest state first.
func podStates(pods []*corev1.Pod) []string {
	count := map[string]int{}
	var names []*corev1.Pod
	for _, p := range pods {
		if podinfo.Finished(p) || podinfo.Ready(p) {
			continue
		}
		count[podinfo.State(p)]++
		names = append(names, p)
	}
	if len(names) == 0 {
		return nil
	}
	states := make([]string, 0, len(count))
	for s := range count {
		states = append(states, s)
	}
	sort.Slice(states, func(i, j int) bool {
		if count[states[i]] != count[states[j]] {
			return count[states[i]] > count[states[j]]
		}
		return states[i] < states[j]
	})
	out := []string{"unready pods: " + safetext.Visible(podinfo.Names(names, 5))}
	for i, s := range states {
		if i == 3 {
			break
		}
		out = append(out, fmt.Sprintf("%d: %s", count[s], safetext.Visible(s)))
	}
	return out
}

func replicaSetFindings(in controllerInputs, rs *appsv1.ReplicaSet, podsOf map[checks.ObjectRef][]*corev1.Pod) []checks.Finding {
	if unjudged(in, rs.Generation, rs.Status, appsv1.ReplicaSetStatus{}) {
		return nil
	}
	want := replicas(rs.Spec.Replicas)
	o := ref("apps/v1", "ReplicaSet", rs)
	get := checks.Cmd("kubectl", "get", "replicaset", "-n", rs.Namespace, rs.Name, "-o", "wide")
	owner := metav1.GetControllerOf(rs)
	if want > 0 && rs.Status.Replicas == 0 && rs.Status.ObservedGeneration < rs.Generation {
		f := controllerOff(o, "replicaset", "never got pods", get)
		f.Cause = owner != nil
		if owner != nil {
			f.Explains = []checks.ObjectRef{{APIVersion: owner.APIVersion, Kind: owner.Kind, Namespace: rs.Namespace, Name: owner.Name}}
		}
		return []checks.Finding{f}
	}
	if owner != nil || want == 0 || rs.Status.AvailableReplicas >= want {
		return nil // a Deployment's ReplicaSet is judged with its Deployment
	}
	f := checks.Finding{
		Severity: checks.StatusWarn, Problem: "not-available", Object: o,
		Message:  fmt.Sprintf("ReplicaSet %s has %d of %d replicas available", safetext.Visible(rs.Namespace+"/"+rs.Name), rs.Status.AvailableReplicas, want),
		Evidence: createFailures(in, "ReplicaSet", rs.Namespace, rs.Name, rs.Status.Conditions),
		Commands: []checks.Command{get, checks.Cmd("kubectl", "describe", "replicaset", "-n", rs.Namespace, rs.Name)},
		Hint:     "The events and pods say why; fix what they name.",
	}
	if rs.Status.AvailableReplicas == 0 || len(f.Evidence) > 0 {
		f.Severity = checks.StatusFail
	}
	f.Evidence = append(f.Evidence, podStates(podsOf[*o])...)
	return []checks.Finding{f}
}

func statefulSetFindings(in controllerInputs, s *appsv1.StatefulSet, podsOf map[checks.ObjectRef][]*corev1.Pod) []checks.Finding {
	if unjudged(in, s.Generation, s.Status, appsv1.StatefulSetStatus{}) {
		return nil
	}
	want := replicas(s.Spec.Replicas)
	o := ref("apps/v1", "StatefulSet", s)
	get := checks.Cmd("kubectl", "get", "statefulset", "-n", s.Namespace, s.Name, "-o", "wide")
	if want > 0 && s.Status.Replicas == 0 && s.Status.ObservedGeneration < s.Generation && len(podsOf[*o]) == 0 &&
		in.events.latest("StatefulSet", s.Namespace, s.Name, "FailedCreate") == nil {
		return []checks.Finding{controllerOff(o, "statefulset", "never got pods", get)}
	}
	if want == 0 || s.Status.ReadyReplicas >= want {
		return nil
	}
	f := checks.Finding{
		Severity: checks.StatusWarn, Problem: "not-ready", Object: o,
		Message:  fmt.Sprintf("StatefulSet %s has %d of %d replicas ready", safetext.Visible(s.Namespace+"/"+s.Name), s.Status.ReadyReplicas, want),
		Commands: []checks.Command{get, checks.Cmd("kubectl", "describe", "statefulset", "-n", s.Namespace, s.Name)},
		Hint:     "A StatefulSet creates its pods one by one: the first that does not come up (or cannot be created) stops the rest. The events and that pod say why.",
	}
	if e := in.events.latest("StatefulSet", s.Namespace, s.Name, "FailedCreate"); e != nil {
		f.Evidence = append(f.Evidence, eventLine(e))
	} else if s.Status.Replicas < want && len(podsOf[*o]) < int(want) {
		// Events expired: the status still says pods are missing, not why.
		f.Evidence = append(f.Evidence, fmt.Sprintf("status: %d of %d pods exist; no FailedCreate event left to say why (events expire)", s.Status.Replicas, want))
	}
	if s.Status.ReadyReplicas == 0 || len(f.Evidence) > 0 {
		f.Severity = checks.StatusFail
	}
	f.Evidence = append(f.Evidence, podStates(podsOf[*o])...)
	return []checks.Finding{f}
}

func daemonSetFindings(in controllerInputs, d *appsv1.DaemonSet, podsOf map[checks.ObjectRef][]*corev1.Pod) []checks.Finding {
	if unjudged(in, d.Generation, d.Status, appsv1.DaemonSetStatus{}) {
		return nil
	}
	o := ref("apps/v1", "DaemonSet", d)
	get := checks.Cmd("kubectl", "get", "daemonset", "-n", d.Namespace, d.Name, "-o", "wide")
	if d.Status.ObservedGeneration < d.Generation && d.Status.DesiredNumberScheduled == 0 && len(podsOf[*o]) == 0 {
		return []checks.Finding{controllerOff(o, "daemonset", "never got pods", get)}
	}
	want := d.Status.DesiredNumberScheduled
	if want == 0 || d.Status.NumberReady >= want {
		return nil
	}
	f := checks.Finding{
		Severity: checks.StatusWarn, Problem: "not-ready", Object: o,
		Message:  fmt.Sprintf("DaemonSet %s has %d of %d pods ready", safetext.Visible(d.Namespace+"/"+d.Name), d.Status.NumberReady, want),
		Commands: []checks.Command{get, checks.Cmd("kubectl", "describe", "daemonset", "-n", d.Namespace, d.Name)},
		Hint:     "The DaemonSet's pod on some nodes is not ready: the pods' states (and their nodes) say why.",
	}
	if e := in.events.latest("DaemonSet", d.Namespace, d.Name, "FailedCreate"); e != nil {
		f.Evidence = append(f.Evidence, eventLine(e))
	}
	if d.Status.NumberReady == 0 || len(f.Evidence) > 0 {
		f.Severity = checks.StatusFail
	}
	f.Evidence = append(f.Evidence, podStates(podsOf[*o])...)
	return []checks.Finding{f}
}

func jobFindings(j *batchv1.Job) []checks.Finding {
	for _, c := range j.Status.Conditions {
		if c.Type != batchv1.JobFailed || c.Status != corev1.ConditionTrue {
			continue
		}
		f := checks.Finding{
			Severity: checks.StatusFail, Problem: "job-failed", Object: ref("batch/v1", "Job", j),
			Message: fmt.Sprintf("Job %s failed: %s", safetext.Visible(j.Namespace+"/"+j.Name), safetext.Visible(c.Reason)),
			Evidence: []string{fmt.Sprintf("condition Failed (%s): %s", safetext.Visible(c.Reason), quote(c.Message)),
				fmt.Sprintf("pods failed: %d, succeeded: %d", j.Status.Failed, j.Status.Succeeded)},
			Commands: []checks.Command{checks.Cmd("kubectl", "describe", "job", "-n", j.Namespace, j.Name),
				checks.Cmd("kubectl", "logs", "-n", j.Namespace, "job/"+j.Name, "--all-containers")},
		}
		switch c.Reason {
		case batchv1.JobReasonBackoffLimitExceeded:
			f.Hint = "Its pods kept failing until spec.backoffLimit: their logs and exit codes say why."
		case batchv1.JobReasonDeadlineExceeded:
			f.Hint = "It ran past spec.activeDeadlineSeconds: it hangs, or the deadline is too short."
		default:
			f.Hint = "The condition's message says why; the pods' logs say more."
		}
		return []checks.Finding{f}
	}
	return nil
}

func podFindings(in controllerInputs) []checks.Finding {
	if !in.podsRead {
		return nil
	}
	type group struct {
		owner checks.ObjectRef
		pods  []*corev1.Pod
	}
	groups := map[string]map[checks.ObjectRef]*group{}
	var keys []string
	add := func(kind string, p *corev1.Pod) {
		if groups[kind] == nil {
			groups[kind] = map[checks.ObjectRef]*group{}
		}
		o := in.owners.OwnerOf(p)
		g := groups[kind][o]
		if g == nil {
			g = &group{owner: o}
			groups[kind][o] = g
			keys = append(keys, kind+"|"+o.String())
		}
		g.pods = append(g.pods, p)
	}
	for _, p := range in.pods {
		switch {
		case p.DeletionTimestamp != nil:
			if in.now.Sub(p.DeletionTimestamp.Time) > stuckTerminating {
				add("terminating", p)
			}
		case p.Status.Phase == corev1.PodFailed && p.Status.Reason == "Evicted":
			add("evicted", p)
		case p.Status.Phase == corev1.PodRunning && probeFailing(p):
			add("unready", p)
		}
	}
	var out []checks.Finding
	for _, kind := range []string{"unready", "terminating", "evicted"} {
		var list []*group
		for _, g := range groups[kind] {
			list = append(list, g)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].owner.String() < list[j].owner.String() })
		for _, g := range list {
			sort.Slice(g.pods, func(i, j int) bool { return g.pods[i].Name < g.pods[j].Name })
			switch kind {
			case "unready":
				out = append(out, unreadyFinding(in, g.owner, g.pods))
			case "terminating":
				out = append(out, terminatingFinding(in, g.owner, g.pods))
			case "evicted":
				if len(g.pods) >= evictedPile {
					out = append(out, evictedFinding(g.owner, g.pods))
				}
			}
		}
	}
	return out
}

// probeFailing: a container runs but is not ready, and has a readiness probe that says so.
func probeFailing(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running != nil && !cs.Ready && readinessProbe(p, cs.Name) != nil {
			return true
		}
	}
	return false
}

func readinessProbe(p *corev1.Pod, container string) *corev1.Probe {
	for _, c := range p.Spec.Containers {
		if c.Name == container {
			return c.ReadinessProbe
		}
	}
	return nil
}

func subject(owner checks.ObjectRef, pods []*corev1.Pod) string {
	if owner.Kind == "Pod" {
		return "pod " + safetext.Visible(owner.Namespace+"/"+owner.Name)
	}
	return phrase.Count(len(pods), "pod", "pods") + " of " + safetext.Visible(owner.String())
}

func plural(pods []*corev1.Pod, one, many string) string {
	if len(pods) == 1 {
		return one
	}
	return many
}

func unreadyFinding(in controllerInputs, owner checks.ObjectRef, pods []*corev1.Pod) checks.Finding {
	p := pods[0]
	f := checks.Finding{
		Severity: checks.StatusWarn, Problem: "probe-failing", Object: &owner,
		Message:  fmt.Sprintf("%s %s readiness probe", subject(owner, pods), plural(pods, "runs but fails its", "run but fail their")),
		Evidence: []string{"pods: " + safetext.Visible(podinfo.Names(pods, 5))},
		Hint:     "The probe's endpoint does not answer as configured: a wrong port or path, a slow start (raise initialDelaySeconds or add a startupProbe), or the app is really unhealthy.",
		Commands: []checks.Command{checks.Cmd("kubectl", "describe", "pod", "-n", p.Namespace, p.Name),
			checks.Cmd("kubectl", "get", "events", "-n", p.Namespace, "--field-selector", "reason=Unhealthy,involvedObject.name="+p.Name)},
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running == nil || cs.Ready {
			continue
		}
		if pr := readinessProbe(p, cs.Name); pr != nil {
			f.Evidence = append(f.Evidence, fmt.Sprintf("container %s: readinessProbe %s", safetext.Visible(cs.Name), probeString(pr)))
		}
	}
	for _, q := range pods {
		if e := in.events.latest("Pod", q.Namespace, q.Name, "Unhealthy"); e != nil {
			f.Evidence = append(f.Evidence, eventLine(e))
			return f
		}
	}
	f.Evidence = append(f.Evidence, "no Unhealthy event left (events expire): the container status says running, not ready")
	return f
}

func probeString(p *corev1.Probe) string {
	switch {
	case p.HTTPGet != nil:
		return fmt.Sprintf("httpGet %s port %s", safetext.Visible(p.HTTPGet.Path), safetext.Visible(p.HTTPGet.Port.String()))
	case p.TCPSocket != nil:
		return "tcpSocket port " + safetext.Visible(p.TCPSocket.Port.String())
	case p.Exec != nil:
		return "exec " + safetext.Visible(phrase.Clip(strings.Join(p.Exec.Command, " "), 120))
	case p.GRPC != nil:
		return fmt.Sprintf("grpc port %d", p.GRPC.Port)
	}
	return "(no handler)"
}

func terminatingFinding(in controllerInputs, owner checks.ObjectRef, pods []*corev1.Pod) checks.Finding {
	p := pods[0]
	var fins []string
	for _, s := range p.Finalizers {
		fins = append(fins, safetext.Visible(s))
	}
	f := checks.Finding{
		Severity: checks.StatusWarn, Problem: "stuck-terminating", Object: &owner,
		Message: fmt.Sprintf("%s stuck Terminating", subject(owner, pods)+plural(pods, " is", " are")),
		Evidence: []string{"pods: " + safetext.Visible(podinfo.Names(pods, 5)),
			fmt.Sprintf("deletion requested %s (grace included)", phrase.Ago(in.now, p.DeletionTimestamp.Time))},
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "pod", "-n", p.Namespace, p.Name, "-o", "jsonpath={.metadata.finalizers}")},
	}
	if len(fins) > 0 {
		f.Message += ": finalizers " + strings.Join(fins, ", ")
		f.Evidence = append(f.Evidence, "finalizers: "+strings.Join(fins, ", "))
		f.Hint = "A finalizer holds the pod until its controller removes it: find why that controller does not (it is down, or fails). Removing the finalizer by hand skips its cleanup."
	} else {
		f.Message += fmt.Sprintf(" on node %s", safetext.Visible(p.Spec.NodeName))
		f.Hint = "No finalizer: the kubelet has not confirmed the containers stopped. Its node may be NotReady (see workloads.nodes) or its runtime hung."
	}
	return f
}

func evictedFinding(owner checks.ObjectRef, pods []*corev1.Pod) checks.Finding {
	nodes := map[string]bool{}
	for _, p := range pods {
		nodes[p.Spec.NodeName] = true
	}
	var names []string
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	last := pods[len(pods)-1]
	return checks.Finding{
		Severity: checks.StatusWarn, Problem: "evicted-pile", Object: &owner,
		Message: fmt.Sprintf("%s were evicted and pile up", subject(owner, pods)),
		Evidence: []string{"pods: " + safetext.Visible(podinfo.Names(pods, 5)), "nodes: " + safetext.Visible(phrase.List(names, 5)),
			"last message: " + quote(last.Status.Message)},
		Hint:     "The kubelet evicted them for node pressure (the message names the resource): fix the pressure (workloads.nodes), then delete the Failed pods; they are kept until the terminated-pod threshold garbage-collects them.",
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "pods", "-n", owner.Namespace, "--field-selector", "status.phase=Failed")},
	}
}
