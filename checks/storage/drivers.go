package storage

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// driversCheck is the storage.drivers check.
var driversCheck = checks.Check{
	ID:       "storage.drivers",
	Title:    "CSI drivers are registered on the nodes that need them, with their pods ready",
	Category: checks.CategoryStorage,
	Learn:    learn("storage.drivers"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.CSIDrivers, kube.CSINodes, kube.Nodes, kube.Pods, kube.PersistentVolumes, kube.PVCs},
	Run:      runStorageDrivers,
}

func runStorageDrivers(ctx context.Context, env *checks.Env) checks.Result {
	// CSIDriver objects are optional for a driver: without them, drivers are known from the
	// CSINodes and volumes.
	w, bad := load(ctx, env, []kube.Resource{kube.CSINodes, kube.Nodes},
		[]kube.Resource{kube.CSIDrivers, kube.Pods, kube.PersistentVolumes, kube.PVCs})
	if bad != nil {
		return *bad
	}
	r := judgeDrivers(w)
	w.addChains(r.Findings)
	return r
}

func judgeDrivers(w *world) checks.Result {
	names := w.csiDriverNames()
	var findings []checks.Finding
	for _, d := range names {
		findings = append(findings, registrationFindings(w, d)...)
		if f, ok := attacherFinding(w, d); ok {
			findings = append(findings, f)
		}
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case len(names) == 0:
		r.Summary = "no CSI driver"
	case len(findings) == 0:
		r.Summary = fmt.Sprintf("%s (%s), registered where their volumes are used", phrase.Count(len(names), "CSI driver", "CSI drivers"), phrase.List(names, 3))
	default:
		r.Summary = fmt.Sprintf("%s about %s", phrase.Count(len(findings), "finding", "findings"), phrase.Count(len(names), "CSI driver", "CSI drivers"))
	}
	r.Summary += w.unreadNote()
	return r
}

// csiDriverNames are the CSI drivers the cluster knows of: CSIDriver objects (optional for a
// driver), drivers some node registered, and drivers persistent volumes name.
func (w *world) csiDriverNames() []string {
	set := map[string]bool{}
	for n := range w.drivers {
		set[n] = true
	}
	for n := range w.registered {
		set[n] = true
	}
	for _, pv := range w.pvs {
		if pv.Spec.CSI != nil {
			set[pv.Spec.CSI.Driver] = true
		}
	}
	return sortedKeys(set)
}

// csiUsers maps each node to the pods on it that mount a volume of the driver.
func (w *world) csiUsers(driver string) map[string][]*corev1.Pod {
	out := map[string][]*corev1.Pod{}
	for _, c := range w.claims {
		pv := w.pvs[c.Spec.VolumeName]
		if pv == nil || pv.Spec.CSI == nil || pv.Spec.CSI.Driver != driver {
			continue
		}
		for _, p := range w.usersOf(c) {
			if p.Spec.NodeName != "" {
				out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p)
			}
		}
	}
	return out
}

// registrationFindings: nodes whose CSINode lacks the driver. A node with pods that mount its
// volumes is broken (Fail, the cause of their mounts failing); a schedulable node without is a
// trap for the next pod (Warn). A driver no node registered is left to storage.classes when a
// class uses it.
func registrationFindings(w *world, driver string) []checks.Finding {
	registered := w.registered[driver]
	users := w.csiUsers(driver)
	var out []checks.Finding
	var idle []string
	for _, n := range w.nodeNames {
		if slices.Contains(registered, n) {
			continue
		}
		pods := users[n]
		if len(pods) == 0 {
			if len(registered) > 0 && schedulable(w.nodes[n]) {
				idle = append(idle, n)
			}
			continue
		}
		f := unregisteredFinding(w, driver, n)
		f.Severity = checks.StatusFail
		f.Cause = true
		f.Message = fmt.Sprintf("CSI driver %s is not registered on node %s, so %s there cannot mount %s volumes",
			driver, n, phrase.Count(len(pods), "pod", "pods"), driver)
		f.Evidence = append(f.Evidence, "pods there: "+podinfo.Names(pods, 5))
		for _, p := range pods {
			f.Explains = append(f.Explains, podRef(p))
			for _, c := range w.driverClaimsOf(p, driver) {
				f.ExplainsFindings = append(f.ExplainsFindings, mountFindingID(claimRef(c)))
			}
		}
		out = append(out, f)
	}
	if len(idle) > 0 {
		f := unregisteredFinding(w, driver, idle[0])
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("CSI driver %s is not registered on %s %s (it is on %s): a pod with one of its volumes scheduled there never starts",
			driver, phrase.Plural(len(idle), "node", "nodes"), phrase.List(idle, 5), phrase.List(registered, 3))
		out = append(out, f)
	}
	return out
}

// unregisteredFinding is the shape of a finding on a node that lacks a driver: the CSINode,
// the driver's pod on that node and the commands that show both.
func unregisteredFinding(w *world, driver, node string) checks.Finding {
	f := checks.Finding{
		Problem: "driver-not-registered",
		Object:  ptr(csiNodeRef(node)),
		Commands: []checks.Command{
			checks.Cmd("kubectl", "get", "csinode", node, "-o", "jsonpath={.spec.drivers[*].name}"),
			checks.Cmd("kubectl", "get", "pods", "-A", "-o", "wide", "--field-selector", "spec.nodeName="+node),
		},
		Hint: "The driver's node plugin (a DaemonSet pod with the node-driver-registrar sidecar) registers it with the " +
			"kubelet; check that it runs on the node (tolerations, nodeSelector) and read the registrar's logs.",
	}
	if csiNode, ok := w.csiNodes[node]; !ok {
		f.Object = ptr(checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: node})
		f.Evidence = append(f.Evidence, "node "+node+" has no CSINode: no CSI plugin registered there at all")
	} else {
		var have []string
		for _, d := range csiNode.Spec.Drivers {
			have = append(have, d.Name)
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("CSINode %s lists: %s", node, orNone(have)))
	}
	var here []*corev1.Pod
	for _, p := range w.pods {
		if p.Spec.NodeName == node && servesProvisioner(p, driver) {
			here = append(here, p)
		}
	}
	if len(here) == 0 {
		f.Evidence = append(f.Evidence, "no pod of "+driver+" runs on "+node)
	} else {
		f.Evidence = append(f.Evidence, "its pods there: "+podStates(here, 3))
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", here[0].Namespace, "logs", here[0].Name, "--all-containers", "--tail=50"))
	}
	return f
}

// attacherFinding: a driver that needs attaching (attachRequired, the default) whose controller
// pods kockpit found, none with an attacher: VolumeAttachments of it are never attached.
func attacherFinding(w *world, driver string) (checks.Finding, bool) {
	d, ok := w.drivers[driver]
	if !ok || d.Spec.AttachRequired != nil && !*d.Spec.AttachRequired {
		return checks.Finding{}, false
	}
	var controllers []*corev1.Pod
	attacher := false
	for _, p := range w.pods {
		if !servesProvisioner(p, driver) || isNodePlugin(p) {
			continue
		}
		controllers = append(controllers, p)
		for _, c := range p.Spec.Containers {
			if strings.Contains(c.Image, "csi-attacher") && podinfo.Ready(p) {
				attacher = true
			}
		}
	}
	if len(controllers) == 0 || attacher {
		return checks.Finding{}, false
	}
	sort.Slice(controllers, func(i, j int) bool { return controllers[i].Name < controllers[j].Name })
	f := checks.Finding{
		Severity: checks.StatusWarn,
		Problem:  "no-attacher",
		Object:   ptr(driverRef(driver)),
		Message:  fmt.Sprintf("CSI driver %s requires attaching, but none of its controller pods runs a ready csi-attacher: its volumes are never attached", driver),
		Evidence: []string{"attachRequired: true", "controller pods: " + podStates(controllers, 3)},
		Hint:     "Add or repair the csi-attacher sidecar in the driver's controller, or set attachRequired: false if the driver needs no attach step.",
		Commands: []checks.Command{
			checks.Cmd("kubectl", "get", "csidriver", driver, "-o", "yaml"),
			checks.Cmd("kubectl", "-n", controllers[0].Namespace, "get", "pod", controllers[0].Name, "-o", "jsonpath={.spec.containers[*].image}"),
		},
		Cause: true,
	}
	return f, true
}

// isNodePlugin says the pod is a driver's node plugin: it runs the registrar sidecar.
func isNodePlugin(p *corev1.Pod) bool {
	for _, c := range p.Spec.Containers {
		if strings.Contains(c.Image, "csi-node-driver-registrar") {
			return true
		}
	}
	return false
}

// schedulable says a new pod may land on the node: not cordoned, no NoSchedule or NoExecute taint.
func schedulable(n *corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	return true
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no driver"
	}
	return strings.Join(s, ", ")
}

// driverClaimsOf are the pod's claims bound to volumes of the driver.
func (w *world) driverClaimsOf(p *corev1.Pod, driver string) []*corev1.PersistentVolumeClaim {
	var out []*corev1.PersistentVolumeClaim
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		c := w.claim(p.Namespace, v.PersistentVolumeClaim.ClaimName)
		if c == nil {
			continue
		}
		if pv := w.pvs[c.Spec.VolumeName]; pv != nil && pv.Spec.CSI != nil && pv.Spec.CSI.Driver == driver {
			out = append(out, c)
		}
	}
	return out
}
