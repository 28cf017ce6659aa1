package storage

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	volumehelpers "k8s.io/component-helpers/storage/volume"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// claimsCheck is the storage.claims check.
var claimsCheck = checks.Check{
	ID:       "storage.claims",
	Title:    "PersistentVolumeClaims bind and PersistentVolumes are usable",
	Category: checks.CategoryStorage,
	Learn:    learn("storage.claims"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.PVCs, kube.PersistentVolumes, kube.StorageClasses, kube.Events, kube.Pods, kube.Nodes, kube.CSINodes, kube.CSIDrivers},
	Run:      runStorageClaims,
}

// The kinds of problem whose findings other checks name by ID.
const problemPending = "pending"

// Thresholds past which a wait is a problem, not progress.
const (
	// provisionPatience is how long a claim may wait for a running provisioner before its wait
	// is reported: provisioning takes seconds to a minute or two.
	provisionPatience = 5 * time.Minute
	// resizePatience is how long a resize may stay in progress.
	resizePatience = 30 * time.Minute
	// terminatingPatience is how long a claim or volume may stay Terminating.
	terminatingPatience = 5 * time.Minute
)

func runStorageClaims(ctx context.Context, env *checks.Env) checks.Result {
	w, bad := load(ctx, env, []kube.Resource{kube.PVCs, kube.PersistentVolumes},
		[]kube.Resource{kube.StorageClasses, kube.Events, kube.Pods, kube.Nodes, kube.CSINodes, kube.CSIDrivers})
	if bad != nil {
		return *bad
	}
	r := judgeClaims(w)
	w.addChains(r.Findings)
	return r
}

func judgeClaims(w *world) checks.Result {
	var findings []checks.Finding
	bound := 0
	for _, c := range w.claims {
		fs := claimFindings(w, c)
		if c.Status.Phase == corev1.ClaimBound && len(fs) == 0 {
			bound++
		}
		findings = append(findings, fs...)
	}
	for _, name := range w.pvNames {
		findings = append(findings, volumeFindings(w, w.pvs[name])...)
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case len(w.claims) == 0 && len(w.pvs) == 0:
		r.Summary = "no PersistentVolumeClaim or PersistentVolume"
	case checks.Worst(findings) <= checks.StatusOK:
		r.Summary = fmt.Sprintf("%s, %d bound; %s usable", phrase.Count(len(w.claims), "claim", "claims"), bound, phrase.Count(len(w.pvs), "volume", "volumes"))
	default:
		r.Summary = fmt.Sprintf("%s about %s and %s", phrase.Count(len(findings), "finding", "findings"),
			phrase.Count(len(w.claims), "claim", "claims"), phrase.Count(len(w.pvs), "volume", "volumes"))
	}
	r.Summary += w.unreadNote()
	return r
}

func claimFindings(w *world, c *corev1.PersistentVolumeClaim) []checks.Finding {
	var out []checks.Finding
	if f, ok := terminatingClaimFinding(w, c); ok {
		out = append(out, f)
	}
	switch c.Status.Phase {
	case corev1.ClaimPending, "":
		if c.DeletionTimestamp == nil {
			if f, ok := pendingFinding(w, c); ok {
				out = append(out, f)
			}
		}
	case corev1.ClaimLost:
		out = append(out, lostFinding(w, c))
	case corev1.ClaimBound:
		if f, ok := missingVolumeFinding(w, c); ok {
			out = append(out, f)
		}
		out = append(out, resizeFindings(w, c)...)
	}
	return out
}

// claimBase is a finding about the claim with the commands that show it.
func claimBase(w *world, c *corev1.PersistentVolumeClaim, sev checks.Status, problem string) checks.Finding {
	f := checks.Finding{
		Severity: sev,
		Problem:  problem,
		Object:   ptr(claimRef(c)),
		Commands: []checks.Command{
			checks.Cmd("kubectl", "-n", c.Namespace, "describe", "pvc", c.Name),
			checks.Cmd("kubectl", "-n", c.Namespace, "get", "events", "--field-selector", "involvedObject.kind=PersistentVolumeClaim,involvedObject.name="+c.Name),
		},
	}
	for _, p := range w.usersOf(c) {
		f.Explains = append(f.Explains, podRef(p))
	}
	return f
}

// className is the class the claim asks for, "" for none, and whether it names one at all
// (nil: admitted when no class was the default).
func className(c *corev1.PersistentVolumeClaim) (string, bool) {
	if c.Spec.StorageClassName == nil {
		return "", false
	}
	return *c.Spec.StorageClassName, true
}

// pendingFinding follows a Pending claim's chain to its first broken link: no class, a class
// that does not exist, a provisioner that does not run (storage.classes names it; the claim is
// its symptom), a provisioner that refuses (ProvisioningFailed), a static claim no volume fits.
func pendingFinding(w *world, c *corev1.PersistentVolumeClaim) (checks.Finding, bool) {
	age := w.now.Sub(c.CreationTimestamp.Time)
	name, named := className(c)
	f := claimBase(w, c, checks.StatusFail, problemPending)
	f.Evidence = []string{"Pending for " + phrase.Duration(age)}
	users := w.usersOf(c)
	if len(users) > 0 {
		f.Evidence = append(f.Evidence, "used by "+podinfo.Names(users, 3))
	}
	if !named {
		if len(w.defaults()) == 0 {
			f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s names no StorageClass and there is no default, so nothing provisions it", c.Namespace, c.Name)
			f.Hint = "See storage.classes: mark a default class, or set storageClassName."
			return f, true
		}
		// A default appeared after the claim: the controller-manager assigns it soon.
		name, named = w.defaults()[0].Name, true
	}
	sc, hasClass := w.classes[name]
	if hasClass && sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer &&
		c.Annotations[annSelectedNode] == "" && sc.Provisioner != "" && !w.provisioner(sc.Provisioner).orphan() {
		return waitingForConsumerFinding(w, c, f)
	}
	if name == "" || hasClass && sc.Provisioner == noProvisioner || !hasClass && w.readAll(kube.StorageClasses) && w.hasVolumesOfClass(name) {
		return staticFinding(w, c, f, name)
	}
	if !hasClass {
		if !w.readAll(kube.StorageClasses) {
			return checks.Finding{}, false
		}
		f.Cause = true
		f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s asks for StorageClass %s, which does not exist", c.Namespace, c.Name, name)
		f.Evidence = append(f.Evidence, "classes: "+phrase.List(w.classNames, 5))
		for _, other := range w.classNames {
			if how := nearName(name, other); how != "" {
				f.Evidence = append(f.Evidence, fmt.Sprintf("StorageClass %s differs by %s", other, how))
			}
		}
		f.Hint = "A claim's class is immutable: recreate the claim with an existing class, or create the class it names."
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "storageclass"))
		return f, true
	}
	return dynamicFinding(w, c, f, sc, age)
}

func (w *world) hasVolumesOfClass(name string) bool {
	for _, pv := range w.pvs {
		if volumehelpers.GetPersistentVolumeClass(pv) == name {
			return true
		}
	}
	return false
}

// dynamicFinding judges a Pending claim of a class with a provisioner.
func dynamicFinding(w *world, c *corev1.PersistentVolumeClaim, f checks.Finding, sc *storagev1.StorageClass, age time.Duration) (checks.Finding, bool) {
	f.Evidence = append(f.Evidence, fmt.Sprintf("StorageClass %s, provisioner %s", sc.Name, sc.Provisioner))
	f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "storageclass", sc.Name, "-o", "yaml"))
	selected := c.Annotations[annSelectedNode]
	p := w.provisioner(sc.Provisioner)
	if failed := w.latestEvent("PersistentVolumeClaim", c.Namespace, c.Name, "ProvisioningFailed"); failed != nil && failed.Type == corev1.EventTypeWarning {
		why := classifyProvisioningFailure(failed.Message)
		f.Cause = true
		f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s: provisioner %s failed to make its volume: %s", c.Namespace, c.Name, sc.Provisioner, why.summary)
		f.Evidence = append(f.Evidence, fmt.Sprintf("event ProvisioningFailed (%s, %s): %q", eventCount(failed), phrase.Ago(w.now, kube.EventLastSeen(failed)), phrase.Clip(failed.Message, 400)))
		f.Hint = why.fix
		return f, true
	}
	if p.orphan() {
		// The class is the first broken link: storage.classes says so, and folds this.
		f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s waits for provisioner %s, which runs nowhere (see storage.classes on StorageClass %s)", c.Namespace, c.Name, sc.Provisioner, sc.Name)
		if e := w.latestEvent("PersistentVolumeClaim", c.Namespace, c.Name, "ExternalProvisioning"); e != nil {
			f.Evidence = append(f.Evidence, fmt.Sprintf("event ExternalProvisioning (%s): %q", eventCount(e), phrase.Clip(e.Message, 300)))
		}
		f.Hint = "Repair the provisioner; the claim binds once it runs."
		return f, true
	}
	if age < provisionPatience {
		return checks.Finding{}, false
	}
	// The provisioner runs (or kockpit cannot tell) and said nothing the events kept: say how
	// long, from what the status and annotations show.
	f.Cause = true
	f.Severity = checks.StatusWarn
	f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s has waited %s for provisioner %s, which left no failure in the events", c.Namespace, c.Name, phrase.Duration(age), sc.Provisioner)
	if got := c.Annotations[annStorageProvisioner]; got != "" {
		f.Evidence = append(f.Evidence, annStorageProvisioner+": "+got)
	} else {
		f.Evidence = append(f.Evidence, "no "+annStorageProvisioner+" annotation: the controller-manager's volume controller has not handled the claim")
	}
	if selected != "" {
		f.Evidence = append(f.Evidence, "the scheduler picked node "+selected)
	}
	if len(p.ready) > 0 {
		f.Evidence = append(f.Evidence, "provisioner pods ready: "+podStates(p.ready, 2))
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", p.ready[0].Namespace, "logs", p.ready[0].Name, "--all-containers", "--tail=50"))
	}
	f.Hint = "Events expire after an hour: read the provisioner's logs for this claim."
	return f, true
}

// waitingForConsumerFinding explains a WaitForFirstConsumer claim: normal until a pod uses it;
// a pod that uses it and is not scheduled is the problem, said in the scheduler's words.
func waitingForConsumerFinding(w *world, c *corev1.PersistentVolumeClaim, f checks.Finding) (checks.Finding, bool) {
	for _, p := range w.usersOf(c) {
		if p.Spec.NodeName != "" {
			continue
		}
		msg := unschedulableMessage(w, p)
		if msg == "" {
			continue
		}
		f.Cause = true
		f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s waits for its first consumer, and pod %s cannot be scheduled", c.Namespace, c.Name, p.Name)
		f.Evidence = append(f.Evidence, "pod "+p.Name+": "+phrase.Clip(msg, 400))
		f.Hint = "WaitForFirstConsumer binds the claim only once its pod is scheduled: fix what the scheduler says " +
			"(a volume node affinity conflict is the class's allowedTopologies or the volume's nodeAffinity against the nodes)."
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", p.Namespace, "describe", "pod", p.Name))
		return f, true
	}
	return checks.Finding{}, false // normal: the claim binds when a pod using it is scheduled
}

// unschedulableMessage is why the scheduler could not place the pod: its PodScheduled
// condition, or, when that says nothing, its newest FailedScheduling event.
func unschedulableMessage(w *world, p *corev1.Pod) string {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Message != "" {
			return cond.Message
		}
	}
	if e := w.latestEvent("Pod", p.Namespace, p.Name, "FailedScheduling"); e != nil {
		return e.Message
	}
	return ""
}

// staticFinding explains a claim that only an existing volume can satisfy: none does; the
// nearest volume and how it misses.
func staticFinding(w *world, c *corev1.PersistentVolumeClaim, f checks.Finding, class string) (checks.Finding, bool) {
	vols := make([]*corev1.PersistentVolume, 0, len(w.pvs))
	for _, n := range w.pvNames {
		vols = append(vols, w.pvs[n])
	}
	if m, err := volumehelpers.FindMatchingVolume(c, vols, nil, nil, false, true); err == nil && m != nil {
		return checks.Finding{}, false // a volume fits: the controller binds it on its next pass
	}
	f.Cause = true
	f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s waits for a volume of class %q made in advance, and no available PersistentVolume fits it", c.Namespace, c.Name, class)
	f.Evidence = append(f.Evidence, claimWants(c, class))
	if m, ok := nearestVolume(w, c, class); ok {
		f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s fits no PersistentVolume: the nearest, %s, differs in %s", c.Namespace, c.Name, m.pv.Name, m.headline())
		f.Evidence = append(f.Evidence, m.evidence()...)
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "pv", m.pv.Name, "-o", "yaml"))
	}
	f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "pv"))
	f.Hint = "A static claim binds an Available volume with the same class, at least the requested size, every " +
		"requested access mode, the same volume mode, and labels its selector matches. Fix the volume or the claim."
	return f, true
}

func lostFinding(w *world, c *corev1.PersistentVolumeClaim) checks.Finding {
	f := claimBase(w, c, checks.StatusFail, "lost")
	f.Cause = true
	f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s is Lost: its PersistentVolume %s is gone, and its data with it unless the backend kept it", c.Namespace, c.Name, c.Spec.VolumeName)
	f.Evidence = []string{"status.phase: Lost", "spec.volumeName: " + c.Spec.VolumeName}
	f.Hint = "Recreate the PersistentVolume from the backend's disk (same name, claimRef to this claim) if the data " +
		"still exists there; otherwise delete the claim and restore from backup."
	f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "pv", c.Spec.VolumeName))
	return f
}

// missingVolumeFinding is a Bound claim whose volume no longer exists: the status will turn to
// Lost; pods that mount it do not start.
func missingVolumeFinding(w *world, c *corev1.PersistentVolumeClaim) (checks.Finding, bool) {
	if c.Spec.VolumeName == "" || w.pvs[c.Spec.VolumeName] != nil {
		return checks.Finding{}, false
	}
	f := lostFinding(w, c)
	f.Problem = "bound-to-missing-volume"
	f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s is Bound to PersistentVolume %s, which does not exist", c.Namespace, c.Name, c.Spec.VolumeName)
	f.Evidence = []string{"status.phase: Bound", "spec.volumeName: " + c.Spec.VolumeName, "no PersistentVolume of that name"}
	return f, true
}

// resizeFindings: a resize the node has still to finish, or one in progress for long, or refused.
func resizeFindings(w *world, c *corev1.PersistentVolumeClaim) []checks.Finding {
	var out []checks.Finding
	for _, cond := range c.Status.Conditions {
		since := w.now.Sub(cond.LastTransitionTime.Time)
		if cond.Status != corev1.ConditionTrue {
			continue
		}
		switch cond.Type {
		case corev1.PersistentVolumeClaimFileSystemResizePending:
			f := claimBase(w, c, checks.StatusWarn, "resize-pending")
			f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s's volume grew, but its file system waits for a pod to mount it to grow too (for %s)", c.Namespace, c.Name, phrase.Duration(since))
			f.Evidence = []string{fmt.Sprintf("condition FileSystemResizePending since %s: %s", phrase.Stamp(cond.LastTransitionTime.Time), phrase.Clip(cond.Message, 200))}
			f.Hint = "The kubelet grows the file system when a pod (re)starts with the volume: restart the pod that uses it."
			if since >= resizePatience {
				out = append(out, f)
			}
		case corev1.PersistentVolumeClaimResizing, corev1.PersistentVolumeClaimControllerResizeError, corev1.PersistentVolumeClaimNodeResizeError:
			if cond.Type == corev1.PersistentVolumeClaimResizing && since < resizePatience {
				continue
			}
			f := claimBase(w, c, checks.StatusWarn, "resize-stuck")
			f.Cause = true
			f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s's resize is stuck: %s for %s", c.Namespace, c.Name, cond.Type, phrase.Duration(since))
			if cond.Type != corev1.PersistentVolumeClaimResizing {
				f.Severity = checks.StatusFail
			}
			f.Evidence = []string{fmt.Sprintf("condition %s since %s: %s", cond.Type, phrase.Stamp(cond.LastTransitionTime.Time), phrase.Clip(cond.Message, 300))}
			if e := w.latestEvent("PersistentVolumeClaim", c.Namespace, c.Name, "VolumeResizeFailed", "FileSystemResizeFailed"); e != nil {
				f.Evidence = append(f.Evidence, fmt.Sprintf("event %s: %q", e.Reason, phrase.Clip(e.Message, 300)))
			}
			f.Hint = "The driver's resizer (csi-resizer sidecar) does the controller part and the kubelet the node part: read their logs; the class must allow volume expansion."
			out = append(out, f)
		}
	}
	return out
}

// terminatingClaimFinding is a claim deleted but kept by its protection finalizer, naming the
// pods that still mount it.
func terminatingClaimFinding(w *world, c *corev1.PersistentVolumeClaim) (checks.Finding, bool) {
	if c.DeletionTimestamp == nil || w.now.Sub(c.DeletionTimestamp.Time) < terminatingPatience {
		return checks.Finding{}, false
	}
	f := claimBase(w, c, checks.StatusWarn, "terminating")
	f.Cause = true
	since := phrase.Duration(w.now.Sub(c.DeletionTimestamp.Time))
	f.Evidence = []string{fmt.Sprintf("deleted %s ago; finalizers: %v", since, c.Finalizers)}
	users := w.usersOf(c)
	if len(users) > 0 {
		f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s has been Terminating for %s: pod %s still uses it, so its protection finalizer keeps it", c.Namespace, c.Name, since, podinfo.Names(users, 3))
		f.Hint = "The claim goes when no pod uses it: delete or move the pods, never strip the finalizer while they run."
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", users[0].Namespace, "get", "pod", users[0].Name, "-o", "wide"))
		return f, true
	}
	if !w.readAll(kube.Pods) {
		return checks.Finding{}, false
	}
	f.Message = fmt.Sprintf("PersistentVolumeClaim %s/%s has been Terminating for %s though no pod uses it: whatever removes its finalizers is not running", c.Namespace, c.Name, since)
	f.Hint = "kube-controller-manager removes kubernetes.io/pvc-protection once no pod uses the claim: see that it runs (api.control-plane)."
	return f, true
}

// Annotations the volume controllers set on claims.
const (
	annSelectedNode       = "volume.kubernetes.io/selected-node"
	annStorageProvisioner = "volume.kubernetes.io/storage-provisioner"
)

func eventCount(e *corev1.Event) string {
	n := e.Count
	if e.Series != nil && e.Series.Count > n {
		n = e.Series.Count
	}
	if n <= 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
