package storage

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	volumehelpers "k8s.io/component-helpers/storage/volume"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// volumeFindings judges one PersistentVolume: Released and kept, Failed, pinned to no node,
// stuck Terminating.
func volumeFindings(w *world, pv *corev1.PersistentVolume) []checks.Finding {
	var out []checks.Finding
	base := func(sev checks.Status, problem string) checks.Finding {
		return checks.Finding{Severity: sev, Problem: problem, Object: ptr(pvRef(pv.Name)),
			Commands: []checks.Command{checks.Cmd("kubectl", "describe", "pv", pv.Name)}}
	}
	claim := "-"
	if ref := pv.Spec.ClaimRef; ref != nil {
		claim = ref.Namespace + "/" + ref.Name
	}
	switch pv.Status.Phase {
	case corev1.VolumeReleased:
		if pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRetain {
			f := base(checks.StatusWarn, "released-retained")
			f.Message = fmt.Sprintf("PersistentVolume %s is Released and kept (reclaim policy Retain): its data is still there, but no claim can bind it", pv.Name)
			f.Evidence = []string{"status.phase: Released", "reclaimPolicy: Retain", "was bound to claim " + claim}
			f.Hint = "To reuse the data, remove the volume's claimRef so it becomes Available and a claim can bind it; " +
				"if the data is not needed, delete the volume and then the backend's disk (Retain deletes neither)."
			f.Commands = append(f.Commands, checks.Cmd("kubectl", "patch", "pv", pv.Name, "--type=json", "-p", `[{"op":"remove","path":"/spec/claimRef"}]`))
			out = append(out, f)
		}
	case corev1.VolumeFailed:
		f := base(checks.StatusFail, "failed")
		f.Cause = true
		f.Message = fmt.Sprintf("PersistentVolume %s Failed: %s", pv.Name, phrase.Clip(pv.Status.Message, 300))
		f.Evidence = []string{"status.phase: Failed", "reason: " + pv.Status.Reason, "claim " + claim, "reclaimPolicy: " + string(pv.Spec.PersistentVolumeReclaimPolicy)}
		f.Hint = "Usually the reclaim (Delete or Recycle) failed: read the message, delete the disk in the backend by hand, then the volume."
		out = append(out, f)
	}
	if f, ok := disagreementFinding(w, pv, base); ok {
		out = append(out, f)
	}
	if f, ok := affinityFinding(w, pv, base); ok {
		out = append(out, f)
	}
	if pv.DeletionTimestamp != nil && w.now.Sub(pv.DeletionTimestamp.Time) >= terminatingPatience {
		f := base(checks.StatusWarn, "terminating")
		since := phrase.Duration(w.now.Sub(pv.DeletionTimestamp.Time))
		f.Message = fmt.Sprintf("PersistentVolume %s has been Terminating for %s: its protection finalizer keeps it while claim %s is bound to it", pv.Name, since, claim)
		f.Evidence = []string{fmt.Sprintf("finalizers: %v", pv.Finalizers), "status.phase: " + string(pv.Status.Phase)}
		f.Hint = "The volume goes once its claim is deleted (and the claim once no pod uses it): see the claim's finding."
		out = append(out, f)
	}
	return out
}

// affinityFinding is a volume whose required node affinity matches no node: pods that mount it
// can never be scheduled ("volume node affinity conflict").
func affinityFinding(w *world, pv *corev1.PersistentVolume, base func(checks.Status, string) checks.Finding) (checks.Finding, bool) {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil || len(w.nodes) == 0 || !w.readAll(kube.Nodes) {
		return checks.Finding{}, false
	}
	for _, n := range w.nodeNames {
		if volumehelpers.CheckNodeAffinity(pv, w.nodes[n].Labels) == nil {
			return checks.Finding{}, false
		}
	}
	f := base(checks.StatusWarn, "node-affinity-matches-no-node")
	f.Cause = true
	f.Message = fmt.Sprintf("PersistentVolume %s may only be used on nodes that do not exist: its node affinity matches none of the %s", pv.Name, phrase.Count(len(w.nodes), "node", "nodes"))
	f.Evidence = append(f.Evidence, "nodes: "+phrase.List(w.nodeNames, 5))
	for _, t := range pv.Spec.NodeAffinity.Required.NodeSelectorTerms {
		for _, e := range t.MatchExpressions {
			f.Evidence = append(f.Evidence, fmt.Sprintf("nodeAffinity: %s %s %v", e.Key, e.Operator, e.Values))
		}
	}
	f.Hint = "A local or zonal volume pinned to a node that was removed or renamed: its data lives on that node or zone. " +
		"Bring the node back, or delete the claim and volume and restore the data elsewhere."
	f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "nodes", "--show-labels"))
	if ref := pv.Spec.ClaimRef; ref != nil && pv.Status.Phase == corev1.VolumeBound {
		f.Severity = checks.StatusFail
		f.Explains = append(f.Explains, checks.ObjectRef{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: ref.Namespace, Name: ref.Name})
		for _, p := range w.podsByClaim[ref.Namespace+"/"+ref.Name] {
			f.Explains = append(f.Explains, podRef(p))
			if msg := unschedulableMessage(w, p); msg != "" {
				f.Evidence = append(f.Evidence, "pod "+p.Name+": "+phrase.Clip(msg, 300))
			}
		}
	}
	return f, true
}

// disagreementFinding is a Bound volume smaller than its claim asks, or without an access mode
// the claim asks for: a volume bound by hand (claimRef and volumeName set together) skips the
// controller's matching, so nothing else says so. A claim whose resize is under way is left to
// resizeFindings.
func disagreementFinding(w *world, pv *corev1.PersistentVolume, base func(checks.Status, string) checks.Finding) (checks.Finding, bool) {
	ref := pv.Spec.ClaimRef
	if ref == nil || pv.Status.Phase != corev1.VolumeBound {
		return checks.Finding{}, false
	}
	c := w.claim(ref.Namespace, ref.Name)
	if c == nil || c.Spec.VolumeName != pv.Name || len(c.Status.Conditions) > 0 || len(c.Status.AllocatedResources) > 0 {
		return checks.Finding{}, false
	}
	var evidence []string
	want, have := c.Spec.Resources.Requests[corev1.ResourceStorage], pv.Spec.Capacity[corev1.ResourceStorage]
	if !want.IsZero() && !have.IsZero() && have.Cmp(want) < 0 {
		evidence = append(evidence, fmt.Sprintf("capacity %s, the claim asks for %s", have.String(), want.String()))
	}
	if !volumehelpers.CheckAccessModes(c, pv) {
		evidence = append(evidence, fmt.Sprintf("access modes %s, the claim asks for %s", accessModes(pv.Spec.AccessModes), accessModes(c.Spec.AccessModes)))
	}
	if len(evidence) == 0 {
		return checks.Finding{}, false
	}
	f := base(checks.StatusWarn, "disagrees-with-claim")
	f.Message = fmt.Sprintf("PersistentVolume %s does not give its claim %s/%s what it asks: %s", pv.Name, ref.Namespace, ref.Name, evidence[0])
	f.Evidence = evidence
	f.Hint = "A volume bound by hand is not matched against its claim: pods may run out of space, or mount it in a mode the backend refuses. Bind a volume that fits."
	f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", ref.Namespace, "get", "pvc", ref.Name, "-o", "wide"))
	return f, true
}
