package workloads

import (
	"context"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// readSecretNames records the Secrets' names from their metadata: kockpit never reads a
// Secret's values.
func (w *refWorld) readSecretNames(ctx context.Context, s *kube.Snapshot) error {
	return w.readNames(ctx, s, kube.SecretMetadata)
}

// podTemplate is a pod spec a workload stamps out, or a pod's own.
type podTemplate struct {
	owner checks.ObjectRef
	// prefix is the path of the pod spec in the owner: "spec.template.spec" or "spec".
	prefix string
	spec   *corev1.PodSpec
	// claimTemplates are a StatefulSet's volumeClaimTemplates: its volumes may name them.
	claimTemplates map[string]bool
}

// podTemplates lists the pod specs to judge: each workload's template once (a Job's and a
// CronJob's too: admission refuses their pods, so often none exists to judge), and the pods no
// workload read here stamps out (bare pods), so thirty replicas give one finding.
func (w *refWorld) podTemplates() []podTemplate {
	var out []podTemplate
	covered := map[string]bool{}
	addAt := func(prefix, kind string, o checks.ObjectRef, spec *corev1.PodSpec, claims map[string]bool) {
		covered[kind+"/"+o.Namespace+"/"+o.Name] = true
		out = append(out, podTemplate{owner: o, prefix: prefix, spec: spec, claimTemplates: claims})
	}
	add := func(kind string, o checks.ObjectRef, spec *corev1.PodSpec, claims map[string]bool) {
		addAt("spec.template.spec", kind, o, spec, claims)
	}
	for _, d := range w.deployments {
		add("Deployment", podinfo.WorkloadRef("Deployment", &d.ObjectMeta), &d.Spec.Template.Spec, nil)
	}
	for _, s := range w.statefulSets {
		claims := map[string]bool{}
		for _, c := range s.Spec.VolumeClaimTemplates {
			claims[c.Name] = true
		}
		add("StatefulSet", podinfo.WorkloadRef("StatefulSet", &s.ObjectMeta), &s.Spec.Template.Spec, claims)
	}
	for _, d := range w.daemonSets {
		add("DaemonSet", podinfo.WorkloadRef("DaemonSet", &d.ObjectMeta), &d.Spec.Template.Spec, nil)
	}
	for _, rs := range w.replicaSets {
		if c := controllerOf(rs.OwnerReferences); c == "Deployment" {
			continue // its Deployment's template is judged
		}
		add("ReplicaSet", podinfo.WorkloadRef("ReplicaSet", &rs.ObjectMeta), &rs.Spec.Template.Spec, nil)
	}
	for _, j := range w.jobs {
		if c := controllerOf(j.OwnerReferences); c == "CronJob" {
			covered["Job/"+j.Namespace+"/"+j.Name] = true // its CronJob's template is judged
			continue
		}
		add("Job", checks.ObjectRef{APIVersion: "batch/v1", Kind: "Job", Namespace: j.Namespace, Name: j.Name}, &j.Spec.Template.Spec, nil)
	}
	for _, c := range w.cronJobs {
		addAt("spec.jobTemplate.spec.template.spec", "CronJob", checks.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: c.Namespace, Name: c.Name},
			&c.Spec.JobTemplate.Spec.Template.Spec, nil)
	}
	for _, p := range w.pods {
		o := w.owners.OwnerOf(p)
		if covered[o.Kind+"/"+o.Namespace+"/"+o.Name] || podinfo.Finished(p) {
			continue
		}
		out = append(out, podTemplate{owner: podinfo.Ref(p), prefix: "spec", spec: &p.Spec})
	}
	return out
}

// podReferenceFindings names what each pod spec needs and does not exist: a cause, since no
// pod of the workload can be created (a ServiceAccount) or start (the others).
func (w *refWorld) podReferenceFindings() []checks.Finding {
	var out []checks.Finding
	for _, t := range w.podTemplates() {
		seen := map[string]int{} // kind/name → index in out, one finding per missing object
		for _, ref := range podSpecReferences(t.spec) {
			if ref.kind == "PersistentVolumeClaim" && t.claimTemplates[ref.name] {
				continue
			}
			found, known := w.exists(ref.kind, t.owner.Namespace, ref.name)
			if found || !known {
				continue
			}
			field := t.prefix + "." + ref.field
			if i, ok := seen[ref.kind+"/"+ref.name]; ok {
				out[i].Evidence = append(out[i].Evidence, field+" too")
				continue
			}
			f := missingFinding(checks.StatusFail, t.owner, field, ref.kind, t.owner.Namespace, ref.name)
			f.Cause = true
			f.Explains = w.explained(t.owner)
			seen[ref.kind+"/"+ref.name] = len(out)
			out = append(out, f)
		}
	}
	return out
}

// explained is a workload and its pods: what a reference it cannot do without explains.
func (w *refWorld) explained(o checks.ObjectRef) []checks.ObjectRef {
	out := []checks.ObjectRef{o}
	for _, p := range w.podsOf[o.Kind+"/"+o.Namespace+"/"+o.Name] {
		if r := podinfo.Ref(p); r != o {
			out = append(out, r)
		}
	}
	return out
}

func controllerOf(refs []metav1.OwnerReference) string {
	for _, r := range refs {
		if r.Controller != nil && *r.Controller {
			return r.Kind
		}
	}
	return ""
}
