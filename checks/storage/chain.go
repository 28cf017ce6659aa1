package storage

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
)

// chainShown bounds the attachments and pods a chain lists: the drill-in steps through them
// one by one, and a claim mounted by many pods is told by its first few.
const chainShown = 3

// addChains gives each finding about a volume's object the chain of that volume: claim,
// volume, class, CSI driver, CSINode, attachment, pod, as far as the objects exist.
func (w *world) addChains(findings []checks.Finding) {
	for i := range findings {
		f := &findings[i]
		if f.Object == nil || len(f.Chain) > 0 {
			continue
		}
		if c := w.claimOfObject(*f.Object); c != nil {
			if chain := w.chainOf(c); len(chain) > 1 {
				f.Chain = chain
			}
		}
	}
}

// claimOfObject is the claim whose chain the object is on, nil when none is known.
func (w *world) claimOfObject(o checks.ObjectRef) *corev1.PersistentVolumeClaim {
	switch o.Kind {
	case "PersistentVolumeClaim":
		return w.claimByKey[o.Namespace+"/"+o.Name]
	case "PersistentVolume":
		if pv := w.pvs[o.Name]; pv != nil && pv.Spec.ClaimRef != nil {
			return w.claimByKey[pv.Spec.ClaimRef.Namespace+"/"+pv.Spec.ClaimRef.Name]
		}
	case "VolumeAttachment":
		if va := w.attachmentByName[o.Name]; va != nil {
			return w.claimOfObject(pvRef(volumeOf(va)))
		}
	case "StorageClass":
		if waiting := w.pendingOf(&o.Name); len(waiting) > 0 {
			return waiting[0]
		}
	case "Pod":
		if p := w.podByKey[o.Namespace+"/"+o.Name]; p != nil {
			for _, v := range p.Spec.Volumes {
				if v.PersistentVolumeClaim != nil {
					return w.claimByKey[p.Namespace+"/"+v.PersistentVolumeClaim.ClaimName]
				}
			}
		}
	}
	return nil
}

// chainOf is the claim's chain, each link an object that exists in the snapshot.
func (w *world) chainOf(c *corev1.PersistentVolumeClaim) []checks.ObjectRef {
	chain := []checks.ObjectRef{claimRef(c)}
	pvName := c.Spec.VolumeName
	if w.pvs[pvName] != nil {
		chain = append(chain, pvRef(pvName))
	}
	if c.Spec.StorageClassName != nil {
		if sc := w.classes[*c.Spec.StorageClassName]; sc != nil {
			chain = append(chain, classRef(sc.Name))
			if d := w.provisioner(sc.Provisioner).driver; w.drivers[d] != nil {
				chain = append(chain, driverRef(d))
			}
		}
	}
	users := w.usersOf(c)
	var attached []string
	for _, va := range w.attachmentsOf[pvName] {
		attached = append(attached, va.Spec.NodeName)
	}
	node := ""
	switch {
	case len(users) > 0 && users[0].Spec.NodeName != "":
		node = users[0].Spec.NodeName
	case len(attached) > 0:
		node = attached[0]
	}
	if w.csiNodes[node] != nil {
		chain = append(chain, csiNodeRef(node))
	}
	for i, va := range w.attachmentsOf[pvName] {
		if i == chainShown {
			break
		}
		chain = append(chain, attachmentRef(va.Name))
	}
	for i, p := range users {
		if i == chainShown {
			break
		}
		chain = append(chain, podRef(p))
	}
	return chain
}
