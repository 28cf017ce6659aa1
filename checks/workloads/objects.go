package workloads

import (
	"context"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// maxQuoted caps a message quoted from the cluster (a condition, an event).
const maxQuoted = 300

// quote is a cluster message made safe and short, in quotes.
func quote(s string) string { return `"` + safetext.Visible(phrase.Clip(s, maxQuoted)) + `"` }

// owners reads the workloads that own pods, for grouping; a kind that cannot be read is noted
// in p and its pods are grouped by their owner references alone.
func owners(ctx context.Context, env *checks.Env, p *checks.Partial) *podinfo.WorkloadIndex {
	deps, _ := checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, p, kube.Deployments)
	dss, _ := checks.ListPartial[*appsv1.DaemonSet](ctx, env.Snapshot, p, kube.DaemonSets)
	sss, _ := checks.ListPartial[*appsv1.StatefulSet](ctx, env.Snapshot, p, kube.StatefulSets)
	return podinfo.NewWorkloadIndex(deps, dss, sss)
}

// active says whether a pod holds its node's resources: bound and not finished.
func active(p *corev1.Pod) bool { return p.Spec.NodeName != "" && !podinfo.Finished(p) }

// loads sums, per node, the requests of the pods bound there, as the scheduler counts them.
func loads(pods []*corev1.Pod) map[string]nodeLoad {
	out := map[string]nodeLoad{}
	for _, p := range pods {
		if !active(p) {
			continue
		}
		l := out[p.Spec.NodeName]
		if l.requests == nil {
			l.requests = corev1.ResourceList{}
		}
		addRequests(l.requests, p)
		l.pods++
		out[p.Spec.NodeName] = l
	}
	return out
}

// addRequests adds the pod's requests to sum as the scheduler counts them. A pod of app
// containers only (most) is their sum, added without the allocations of the general case.
func addRequests(sum corev1.ResourceList, p *corev1.Pod) {
	reqs := func(yield func(corev1.ResourceName, resource.Quantity) bool) {
		for name, q := range resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{}) {
			if !yield(name, q) {
				return
			}
		}
	}
	if len(p.Spec.InitContainers) == 0 && p.Spec.Overhead == nil && p.Spec.Resources == nil {
		reqs = func(yield func(corev1.ResourceName, resource.Quantity) bool) {
			for i := range p.Spec.Containers {
				for name, q := range p.Spec.Containers[i].Resources.Requests {
					if !yield(name, q) {
						return
					}
				}
			}
		}
	}
	for name, q := range reqs {
		total := sum[name]
		total.Add(q)
		sum[name] = total
	}
}

// eventIndex holds events by the object they are about, newest first.
type eventIndex map[string][]*corev1.Event

func eventKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

func indexEvents(events []*corev1.Event) eventIndex {
	ix := eventIndex{}
	for _, e := range events {
		k := eventKey(e.InvolvedObject.Kind, e.InvolvedObject.Namespace, e.InvolvedObject.Name)
		ix[k] = append(ix[k], e)
	}
	for _, list := range ix {
		sort.SliceStable(list, func(i, j int) bool { return kube.EventLastSeen(list[i]).After(kube.EventLastSeen(list[j])) })
	}
	return ix
}

// latest is the newest event about the object with the reason, nil if none (or unread).
func (ix eventIndex) latest(kind, namespace, name, reason string) *corev1.Event {
	for _, e := range ix[eventKey(kind, namespace, name)] {
		if e.Reason == reason {
			return e
		}
	}
	return nil
}

// eventLine quotes an event as evidence: `event FailedCreate (x4): "..."`.
func eventLine(e *corev1.Event) string {
	count := ""
	if e.Count > 1 {
		count = " (x" + itoa(int(e.Count)) + ")"
	}
	return "event " + safetext.Visible(e.Reason) + count + ": " + quote(e.Message)
}

// summarize is a result's summary: the first finding's message and how many more.
func summarize(findings []checks.Finding, ok string) checks.Result {
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if r.Status == checks.StatusOK {
		r.Summary = ok
		return r
	}
	for _, f := range findings {
		if f.Severity == r.Status {
			r.Summary = f.Message
			break
		}
	}
	if n := problems(findings); n > 1 {
		r.Summary += " (and " + itoa(n-1) + " more)"
	}
	return r
}

func problems(findings []checks.Finding) int {
	n := 0
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			n++
		}
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
