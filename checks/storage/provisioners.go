package storage

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// noProvisioner is the class provisioner of statically made volumes: nothing runs for it.
const noProvisioner = "kubernetes.io/no-provisioner"

// migratedInTree maps the in-tree provisioners that CSI migration serves to their CSI driver:
// a class naming the old one is provisioned by the new one.
var migratedInTree = map[string]string{
	"kubernetes.io/aws-ebs":         "ebs.csi.aws.com",
	"kubernetes.io/gce-pd":          "pd.csi.storage.gke.io",
	"kubernetes.io/azure-disk":      "disk.csi.azure.com",
	"kubernetes.io/azure-file":      "file.csi.azure.com",
	"kubernetes.io/cinder":          "cinder.csi.openstack.org",
	"kubernetes.io/vsphere-volume":  "csi.vsphere.vmware.com",
	"kubernetes.io/portworx-volume": "pxd.portworx.com",
}

// podHints names, for provisioners whose pods do not carry their name in arguments or
// environment, what their pods' names or images hold instead.
var podHints = map[string]string{
	"rancher.io/local-path": "local-path-provisioner",
}

// provisioner is what the cluster shows of one provisioner: the driver name that serves it, the
// nodes that registered it, and the pods that run it.
type provisioner struct {
	name   string // as the class names it
	driver string // the name that does the work: the CSI driver for a migrated in-tree name
	// static: nothing runs for it (kubernetes.io/no-provisioner); inTree: a kubernetes.io/
	// provisioner the controller-manager ran, not judged.
	static, inTree bool
	csi            bool     // a CSIDriver object or a CSINode names it
	nodes          []string // the nodes whose CSINode lists it
	ready, unready []*corev1.Pod
	// judged: the pods and CSINodes were read, so "not running" is a conclusion, not a guess.
	judged bool
}

// orphan says nothing serves a provisioner that needs something to: no node registered it and
// no pod of it is ready.
func (p provisioner) orphan() bool {
	return !p.static && !p.inTree && p.judged && len(p.nodes) == 0 && len(p.ready) == 0
}

// provisioner is what the cluster shows of the named provisioner, computed once per check run:
// finding its pods scans every pod.
func (w *world) provisioner(name string) provisioner {
	if p, ok := w.provisioners[name]; ok {
		return p
	}
	p := w.findProvisioner(name)
	w.provisioners[name] = p
	return p
}

func (w *world) findProvisioner(name string) provisioner {
	p := provisioner{name: name, driver: name}
	if name == noProvisioner {
		p.static = true
		return p
	}
	if csi, ok := migratedInTree[name]; ok {
		p.driver = csi
	} else if strings.HasPrefix(name, "kubernetes.io/") {
		p.inTree = true
		return p
	}
	_, hasDriver := w.drivers[p.driver]
	p.nodes = w.registered[p.driver]
	p.csi = hasDriver || len(p.nodes) > 0
	p.judged = w.readAll(kube.Pods, kube.CSINodes)
	for _, pod := range w.pods {
		if !servesProvisioner(pod, p.driver) {
			continue
		}
		if podinfo.Ready(pod) {
			p.ready = append(p.ready, pod)
		} else {
			p.unready = append(p.unready, pod)
		}
	}
	return p
}

// servesProvisioner says the pod runs the provisioner or driver: a container names it in its
// command, arguments or environment (CSI drivers take it as --drivername, --driver-name or an
// env var), or the pod's name or image holds the provisioner's known hint.
func servesProvisioner(pod *corev1.Pod, name string) bool {
	hint := podHints[name]
	if hint != "" && strings.Contains(pod.Name, hint) {
		return true
	}
	for _, c := range pod.Spec.Containers {
		if hint != "" && strings.Contains(c.Image, hint) {
			return true
		}
		for _, a := range append(append([]string(nil), c.Command...), c.Args...) {
			if mentions(a, name) {
				return true
			}
		}
		for _, e := range c.Env {
			if e.Value == name {
				return true
			}
		}
	}
	return false
}

// mentions says the argument names the driver as a whole value: "--drivername=x", "x",
// "--endpoint=/var/lib/kubelet/plugins/x/csi.sock", not "x2".
func mentions(arg, name string) bool {
	if name == "" {
		return false
	}
	for from := 0; from+len(name) <= len(arg); {
		i := strings.Index(arg[from:], name)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(name)
		before := start == 0 || strings.ContainsRune("=/ :,\"'", rune(arg[start-1]))
		after := end == len(arg) || strings.ContainsRune("/ ,\"'", rune(arg[end]))
		if before && after {
			return true
		}
		from = start + 1
	}
	return false
}

// podStates says in a few words how the pods of a provisioner are: "csi-ctrl-0 (ImagePullBackOff)".
func podStates(pods []*corev1.Pod, n int) string {
	var out []string
	for i, p := range pods {
		if i == n {
			out = append(out, fmt.Sprintf("and %d more", len(pods)-n))
			break
		}
		out = append(out, fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, podinfo.State(p)))
	}
	return strings.Join(out, ", ")
}
