package api

import (
	"context"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// workloadControllers are the controllers whose objects say, in their status, whether the
// controller ever acted on their latest spec (status.observedGeneration): a controller that is
// off leaves them behind, which is how its flag is linked to what it breaks.
var workloadControllers = []string{"deployment", "replicaset", "statefulset", "daemonset"}

// stalledObjects are the workload objects that no controller acted on, by the controller that
// should have: the symptoms a controller switched off explains.
type stalledObjects map[string][]checks.ObjectRef

// readStalled lists the workload kinds and finds the objects their controllers left behind. A
// kind that cannot be read is recorded in p: its objects are then explained by nothing.
func readStalled(ctx context.Context, env *checks.Env, p *checks.Partial) stalledObjects {
	deps, _ := checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, p, kube.Deployments)
	rss, _ := checks.ListPartial[*appsv1.ReplicaSet](ctx, env.Snapshot, p, kube.ReplicaSets)
	sss, _ := checks.ListPartial[*appsv1.StatefulSet](ctx, env.Snapshot, p, kube.StatefulSets)
	dss, _ := checks.ListPartial[*appsv1.DaemonSet](ctx, env.Snapshot, p, kube.DaemonSets)
	return findStalled(deps, rss, sss, dss)
}

// findStalled applies the rule the workloads checks use: an object wanting replicas whose
// observedGeneration is behind its generation, with none made. A ReplicaSet brings its
// Deployment along: the Deployment's unavailability is the same symptom. Objects without a
// generation (written by hand, never stored) are not judged.
func findStalled(deps []*appsv1.Deployment, rss []*appsv1.ReplicaSet, sss []*appsv1.StatefulSet, dss []*appsv1.DaemonSet) stalledObjects {
	out := stalledObjects{}
	add := func(controller, kind string, m metav1.Object) {
		out[controller] = append(out[controller], checks.ObjectRef{APIVersion: "apps/v1", Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()})
	}
	for _, d := range deps {
		if wants(d.Spec.Replicas) && d.Status.ObservedGeneration < d.Generation {
			add("deployment", "Deployment", d)
		}
	}
	for _, rs := range rss {
		if !wants(rs.Spec.Replicas) || rs.Status.Replicas > 0 || rs.Status.ObservedGeneration >= rs.Generation {
			continue
		}
		add("replicaset", "ReplicaSet", rs)
		if owner := metav1.GetControllerOf(rs); owner != nil && owner.Kind == "Deployment" {
			out["replicaset"] = append(out["replicaset"], checks.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: rs.Namespace, Name: owner.Name})
		}
	}
	for _, s := range sss {
		if wants(s.Spec.Replicas) && s.Status.Replicas == 0 && s.Status.ObservedGeneration < s.Generation {
			add("statefulset", "StatefulSet", s)
		}
	}
	for _, d := range dss {
		if d.Status.ObservedGeneration < d.Generation {
			add("daemonset", "DaemonSet", d)
		}
	}
	for c, refs := range out {
		out[c] = sortedUnique(refs)
	}
	return out
}

func wants(replicas *int32) bool { return replicas == nil || *replicas > 0 }

// leftBehind is what the controllers switched off leave behind, without repeats: every one,
// since each is a symptom the triage folds under the flag.
func (s stalledObjects) leftBehind(controllers []string) []checks.ObjectRef {
	var out []checks.ObjectRef
	for _, c := range controllers {
		out = append(out, s[c]...)
	}
	return sortedUnique(out)
}

func sortedUnique(refs []checks.ObjectRef) []checks.ObjectRef {
	slices.SortFunc(refs, func(a, b checks.ObjectRef) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(refs)
}

// maxStalledNamed caps the objects a finding's evidence names; Explains holds them all.
const maxStalledNamed = 8

// explainStalled makes a flag that switches controllers off the cause of what they left
// behind, and quotes those objects with the command that shows their generations.
func explainStalled(f *checks.Finding, controllers []string, stalled stalledObjects) {
	refs := stalled.leftBehind(controllers)
	if len(refs) == 0 {
		return
	}
	f.Explains = refs
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = safetext.Visible(r.String())
	}
	f.Evidence = append(f.Evidence, "left behind (status.observedGeneration behind metadata.generation, nothing created): "+phrase.List(names, maxStalledNamed))
	kinds := map[string]bool{}
	for _, r := range refs {
		if kinds[r.Kind] {
			continue
		}
		kinds[r.Kind] = true
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", strings.ToLower(r.Kind)+"s", "-A", "-o",
			"custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,GENERATION:.metadata.generation,OBSERVED:.status.observedGeneration"))
	}
}
