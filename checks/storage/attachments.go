package storage

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// attachmentsCheck is the storage.attachments check.
var attachmentsCheck = checks.Check{
	ID:       attachmentsID,
	Title:    "Volumes attach to the node of their pod, and pods mount them",
	Category: checks.CategoryStorage,
	Learn:    learn("storage.attachments"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.VolumeAttachments, kube.Pods, kube.PVCs, kube.PersistentVolumes, kube.Nodes, kube.Events, kube.StorageClasses, kube.CSIDrivers, kube.CSINodes},
	Run:      runStorageAttachments,
}

// attachmentsID is the check's ID, which its findings' IDs start with.
const attachmentsID = "storage.attachments"

// attachPatience is how long an attach may take before it is reported stuck.
const attachPatience = 5 * time.Minute

// problemMountFailing is the kind of the pod-side finding, which an attachment's finding names.
const problemMountFailing = "volume-not-mounted"

func runStorageAttachments(ctx context.Context, env *checks.Env) checks.Result {
	w, bad := load(ctx, env, []kube.Resource{kube.VolumeAttachments, kube.Pods},
		// The classes, drivers and CSINodes only complete the findings' chains.
		[]kube.Resource{kube.PVCs, kube.PersistentVolumes, kube.Nodes, kube.Events, kube.StorageClasses, kube.CSIDrivers, kube.CSINodes})
	if bad != nil {
		return *bad
	}
	r := judgeAttachments(w)
	w.addChains(r.Findings)
	return r
}

func judgeAttachments(w *world) checks.Result {
	var findings []checks.Finding
	// The pods' side first: the attachment that explains them names their findings by ID.
	mounts := mountFindings(w)
	for _, va := range w.attachments {
		if f, ok := attachmentFinding(w, va, mounts); ok {
			findings = append(findings, f)
		}
	}
	for _, m := range mounts {
		findings = append(findings, m.finding)
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case len(findings) == 0:
		r.Summary = fmt.Sprintf("%s, all attached where their pods run; no pod waits for a mount", phrase.Count(len(w.attachments), "VolumeAttachment", "VolumeAttachments"))
	default:
		r.Summary = fmt.Sprintf("%s about %s and pods' mounts", phrase.Count(len(findings), "finding", "findings"), phrase.Count(len(w.attachments), "VolumeAttachment", "VolumeAttachments"))
	}
	r.Summary += w.unreadNote()
	return r
}

// volumeOf is the PersistentVolume name behind a VolumeAttachment, "" for an inline one.
func volumeOf(va *storagev1.VolumeAttachment) string {
	if va.Spec.Source.PersistentVolumeName != nil {
		return *va.Spec.Source.PersistentVolumeName
	}
	return ""
}

// attachmentFinding judges one VolumeAttachment: an attach or detach error, an attach that
// does not finish, or a node that is gone (the volume stays attached to it, so a pod moved to
// another node gets "Multi-Attach error"). The pods' mount findings it explains are folded.
func attachmentFinding(w *world, va *storagev1.VolumeAttachment, mounts []mountProblem) (checks.Finding, bool) {
	pv := volumeOf(va)
	f := checks.Finding{
		Object:   ptr(attachmentRef(va.Name)),
		Evidence: []string{fmt.Sprintf("attacher %s, volume %s, node %s, attached: %t", va.Spec.Attacher, orDash(pv), va.Spec.NodeName, va.Status.Attached)},
		Commands: []checks.Command{
			checks.Cmd("kubectl", "get", "volumeattachment", va.Name, "-o", "yaml"),
			checks.Cmd("kubectl", "get", "volumeattachments", "-o", "custom-columns=NAME:.metadata.name,PV:.spec.source.persistentVolumeName,NODE:.spec.nodeName,ATTACHED:.status.attached"),
		},
		Cause: true,
	}
	_, nodeKnown := w.nodes[va.Spec.NodeName]
	switch {
	case !nodeKnown && w.readAll(kube.Nodes) && va.Status.Attached:
		f.Severity = checks.StatusFail
		f.Problem = "attached-to-missing-node"
		f.Message = fmt.Sprintf("VolumeAttachment %s keeps volume %s attached to node %s, which is gone: the volume cannot attach anywhere else until it is detached",
			va.Name, orDash(pv), va.Spec.NodeName)
		f.Hint = "After a node dies, the attach/detach controller waits (6 minutes, or for the node's out-of-service taint) before " +
			"force-detaching. If the node will not return, confirm it is powered off, detach the disk in the backend, then delete the VolumeAttachment."
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "node", va.Spec.NodeName))
	case va.Status.AttachError != nil:
		f.Severity = checks.StatusFail
		f.Problem = "attach-error"
		f.Message = fmt.Sprintf("VolumeAttachment %s: volume %s fails to attach to node %s: %s", va.Name, orDash(pv), va.Spec.NodeName, phrase.Clip(va.Status.AttachError.Message, 200))
		f.Evidence = append(f.Evidence, fmt.Sprintf("status.attachError at %s: %q", phrase.Stamp(va.Status.AttachError.Time.Time), phrase.Clip(va.Status.AttachError.Message, 400)))
		f.Hint = "The driver's controller (csi-attacher) could not attach the disk: read its message; common causes are a disk still attached elsewhere, a node limit of attached volumes, or a zone mismatch."
	case va.Status.DetachError != nil:
		f.Severity = checks.StatusWarn
		f.Problem = "detach-error"
		f.Message = fmt.Sprintf("VolumeAttachment %s: volume %s fails to detach from node %s: %s", va.Name, orDash(pv), va.Spec.NodeName, phrase.Clip(va.Status.DetachError.Message, 200))
		f.Evidence = append(f.Evidence, fmt.Sprintf("status.detachError at %s: %q", phrase.Stamp(va.Status.DetachError.Time.Time), phrase.Clip(va.Status.DetachError.Message, 400)))
		f.Hint = "Until it detaches, the volume cannot attach to another node: read the message and the driver's controller logs."
	case !va.Status.Attached && w.now.Sub(va.CreationTimestamp.Time) >= attachPatience:
		f.Severity = checks.StatusWarn
		f.Problem = "attach-stuck"
		f.Message = fmt.Sprintf("VolumeAttachment %s: volume %s has waited %s to attach to node %s, with no error reported",
			va.Name, orDash(pv), phrase.Duration(w.now.Sub(va.CreationTimestamp.Time)), va.Spec.NodeName)
		f.Hint = "No attach error and no progress: the driver's controller (its csi-attacher sidecar) is likely not running; see storage.drivers."
	default:
		return checks.Finding{}, false
	}
	for _, m := range mounts {
		if m.volume == pv && pv != "" {
			f.ExplainsFindings = append(f.ExplainsFindings, m.id)
			f.Explains = append(f.Explains, m.pods...)
		}
	}
	return f, true
}

// mountProblem is the pods waiting on one volume, as one finding.
type mountProblem struct {
	volume  string // the PersistentVolume, or "claim ns/name" when unbound
	pods    []checks.ObjectRef
	finding checks.Finding
	id      string
}

// multiAttach reads a "Multi-Attach error" and the pods it names: "Volume is already used by
// pod(s) web-1, web-2" or "Volume is already exclusively attached to one node".
var multiAttach = regexp.MustCompile(`Multi-Attach error for volume "([^"]+)"`)

// mountFindings groups pods stuck in ContainerCreating by the volume they wait for, each group
// one finding with the events' words (FailedAttachVolume, FailedMount) or, when the events have
// expired, what the attachments show.
func mountFindings(w *world) []mountProblem {
	type group struct {
		claim  *corev1.PersistentVolumeClaim
		pods   []*corev1.Pod
		events []*corev1.Event
	}
	groups := map[string]*group{}
	for _, p := range w.pods {
		if !containerCreating(p) {
			continue
		}
		var evs []*corev1.Event
		for _, e := range w.eventsOf("Pod", p.Namespace, p.Name) {
			if e.Reason == "FailedAttachVolume" || e.Reason == "FailedMount" {
				evs = append(evs, e)
			}
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			c := w.claim(p.Namespace, v.PersistentVolumeClaim.ClaimName)
			if c == nil || c.Spec.VolumeName == "" {
				continue // an unbound claim is storage.claims' to explain
			}
			mine := eventsAbout(evs, c.Spec.VolumeName, v.Name)
			if len(mine) == 0 && !attachedElsewhere(w, c.Spec.VolumeName, p.Spec.NodeName) {
				continue
			}
			g := groups[c.Spec.VolumeName]
			if g == nil {
				g = &group{claim: c}
				groups[c.Spec.VolumeName] = g
			}
			g.pods = append(g.pods, p)
			g.events = append(g.events, mine...)
		}
	}
	var out []mountProblem
	for _, pv := range sortedKeys(groups) {
		g := groups[pv]
		out = append(out, mountProblemOf(w, pv, g.claim, g.pods, g.events))
	}
	return out
}

func mountProblemOf(w *world, pv string, c *corev1.PersistentVolumeClaim, pods []*corev1.Pod, evs []*corev1.Event) mountProblem {
	first := pods[0]
	f := checks.Finding{
		Severity: checks.StatusFail,
		Problem:  problemMountFailing,
		Object:   ptr(claimRef(c)),
		Commands: []checks.Command{
			checks.Cmd("kubectl", "-n", first.Namespace, "describe", "pod", first.Name),
			checks.Cmd("kubectl", "-n", first.Namespace, "get", "events", "--field-selector", "involvedObject.name="+first.Name),
		},
	}
	m := mountProblem{volume: pv}
	for _, p := range pods {
		m.pods = append(m.pods, podRef(p))
		f.Evidence = append(f.Evidence, fmt.Sprintf("pod %s on node %s: %s", p.Name, p.Spec.NodeName, podinfo.State(p)))
	}
	f.Explains = m.pods
	sort.SliceStable(evs, func(i, j int) bool { return kube.EventLastSeen(evs[i]).After(kube.EventLastSeen(evs[j])) })
	other := otherNodes(w, pv, first.Spec.NodeName)
	multi, unregistered := false, false
	for _, e := range evs {
		multi = multi || multiAttach.MatchString(e.Message)
		unregistered = unregistered || strings.Contains(e.Message, "not found in the list of registered CSI drivers")
	}
	switch {
	case unregistered:
		f.Message = fmt.Sprintf("%s cannot mount volume %s of claim %s/%s: its CSI driver is not registered on node %s (see storage.drivers)",
			podinfo.Names(pods, 3), pv, c.Namespace, c.Name, first.Spec.NodeName)
		f.Hint = "The driver's node plugin on that node has not registered with the kubelet: storage.drivers names why."
	case multi || len(other) > 0 && len(evs) == 0:
		f.Message = fmt.Sprintf("Multi-Attach error: volume %s of claim %s/%s is still attached to %s, so %s on %s cannot start",
			pv, c.Namespace, c.Name, orUnknownNode(other), podinfo.Names(pods, 3), first.Spec.NodeName)
		f.Hint = "A ReadWriteOnce volume attaches to one node at a time. Once the old node's attachment is gone (see the " +
			"VolumeAttachment's finding) the pod starts; if that node is dead, follow that finding's fix."
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "volumeattachments", "-o", "wide"))
	default:
		f.Message = fmt.Sprintf("%s cannot mount volume %s of claim %s/%s", podinfo.Names(pods, 3), pv, c.Namespace, c.Name)
		f.Hint = "Read the event's message: the driver's node plugin on that node (storage.drivers), the attachment (this check) and the volume's backend are the usual suspects."
	}
	for i, e := range evs {
		if i == 3 {
			break
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("event %s (%s, %s): %q", e.Reason, eventCount(e), phrase.Ago(w.now, kube.EventLastSeen(e)), phrase.Clip(e.Message, 400)))
	}
	m.finding = f
	m.id = mountFindingID(claimRef(c))
	return m
}

// eventsAbout keeps the events that name the volume (by PV or by the pod's volume name).
func eventsAbout(evs []*corev1.Event, pv, podVolume string) []*corev1.Event {
	var out []*corev1.Event
	for _, e := range evs {
		if strings.Contains(e.Message, `"`+pv+`"`) || strings.Contains(e.Message, `volume "`+podVolume+`"`) || strings.Contains(e.Message, "["+podVolume+"]") {
			out = append(out, e)
		}
	}
	return out
}

// attachedElsewhere says a VolumeAttachment holds the volume attached to a node other than node.
func attachedElsewhere(w *world, pv, node string) bool { return len(otherNodes(w, pv, node)) > 0 }

func otherNodes(w *world, pv, node string) []string {
	var out []string
	for _, va := range w.attachmentsOf[pv] {
		if va.Spec.NodeName != node && va.Status.Attached {
			out = append(out, va.Spec.NodeName)
		}
	}
	return out
}

// containerCreating says the pod is placed on a node and waits for its containers to be
// created, which is where a mount that fails keeps it.
func containerCreating(p *corev1.Pod) bool {
	if p.Spec.NodeName == "" || p.Status.Phase != corev1.PodPending || p.DeletionTimestamp != nil {
		return false
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Waiting == nil || cs.State.Waiting.Reason != "ContainerCreating" {
			return false
		}
	}
	return true
}

func (w *world) claim(namespace, name string) *corev1.PersistentVolumeClaim {
	want := metav1.ObjectMeta{Namespace: namespace, Name: name}
	i := sort.Search(len(w.claims), func(i int) bool { return !before(&w.claims[i].ObjectMeta, &want) })
	if i < len(w.claims) && w.claims[i].Namespace == namespace && w.claims[i].Name == name {
		return w.claims[i]
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orUnknownNode(nodes []string) string {
	if len(nodes) == 0 {
		return "another node"
	}
	return phrase.Plural(len(nodes), "node", "nodes") + " " + strings.Join(nodes, ", ")
}

// mountFindingID is the ID of this check's finding on the pods that wait to mount the claim's
// volume, which the finding on its cause names.
func mountFindingID(claim checks.ObjectRef) string {
	return checks.FindingID(attachmentsID, &checks.Finding{Object: &claim, Problem: problemMountFailing}, "")
}
