package storage

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	volumehelpers "k8s.io/component-helpers/storage/volume"

	"github.com/kockpit/kockpit/internal/nearmiss"
)

// volumeMiss is how an available volume misses a static claim, in the order the volume
// controller tests: class, size, volume mode, access modes, selector.
type volumeMiss struct {
	pv      *corev1.PersistentVolume
	aspects []string // "class", "size"...
	details []string
}

func (m volumeMiss) headline() string { return strings.Join(m.aspects, " and ") }

func (m volumeMiss) evidence() []string {
	out := make([]string, 0, len(m.details))
	for _, d := range m.details {
		out = append(out, "PersistentVolume "+m.pv.Name+": "+d)
	}
	return out
}

// claimWants says what the claim asks of a volume.
func claimWants(c *corev1.PersistentVolumeClaim, class string) string {
	size := c.Spec.Resources.Requests[corev1.ResourceStorage]
	s := fmt.Sprintf("the claim wants: class %q, %s, %s", class, size.String(), accessModes(c.Spec.AccessModes))
	if c.Spec.Selector != nil {
		s += ", volumes labelled " + metav1.FormatLabelSelector(c.Spec.Selector)
	}
	return s
}

func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	out := make([]string, 0, len(modes))
	for _, m := range modes {
		out = append(out, string(m))
	}
	return strings.Join(out, ",")
}

// nearestVolume finds the volume, free for this claim, that misses it in the fewest aspects
// (ties to the name first in order); ok is false when no volume is free.
func nearestVolume(w *world, c *corev1.PersistentVolumeClaim, class string) (volumeMiss, bool) {
	var best volumeMiss
	found := false
	for _, n := range w.pvNames {
		pv := w.pvs[n]
		if pv.DeletionTimestamp != nil || pv.Spec.ClaimRef != nil && !volumehelpers.IsVolumeBoundToClaim(pv, c) {
			continue
		}
		m := compareVolume(c, pv, class)
		if len(m.aspects) == 0 {
			continue
		}
		if !found || len(m.aspects) < len(best.aspects) {
			best, found = m, true
		}
	}
	return best, found
}

func compareVolume(c *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume, class string) volumeMiss {
	m := volumeMiss{pv: pv}
	miss := func(aspect, detail string) {
		m.aspects = append(m.aspects, aspect)
		m.details = append(m.details, detail)
	}
	if have := volumehelpers.GetPersistentVolumeClass(pv); have != class {
		how := nearName(class, have)
		if how != "" {
			how = " (" + how + ")"
		}
		miss("class", fmt.Sprintf("class %q, the claim wants %q%s", have, class, how))
	}
	want, have := c.Spec.Resources.Requests[corev1.ResourceStorage], pv.Spec.Capacity[corev1.ResourceStorage]
	if have.Cmp(want) < 0 {
		miss("size", fmt.Sprintf("capacity %s, less than the %s requested", have.String(), want.String()))
	}
	if volumehelpers.CheckVolumeModeMismatches(&c.Spec, &pv.Spec) {
		miss("volume mode", "a different volumeMode (Filesystem or Block)")
	}
	if !volumehelpers.CheckAccessModes(c, pv) {
		var lacking []string
		for _, mode := range c.Spec.AccessModes {
			if !slices.Contains(pv.Spec.AccessModes, mode) {
				lacking = append(lacking, string(mode))
			}
		}
		miss("access modes", fmt.Sprintf("access modes %s, without %s", accessModes(pv.Spec.AccessModes), strings.Join(lacking, ",")))
	}
	if c.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(c.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(pv.Labels)) {
			miss("labels", fmt.Sprintf("labels %s do not match the claim's selector %s", labels.Set(pv.Labels).String(), metav1.FormatLabelSelector(c.Spec.Selector)))
		}
	}
	if pv.Status.Phase != corev1.VolumeAvailable && len(m.aspects) == 0 {
		miss("phase", "phase "+string(pv.Status.Phase)+", not Available")
	}
	return m
}

// nearName says how a name nearly equals another ("one character", "case"), "" when it does not.
func nearName(want, have string) string {
	if want == have || want == "" || have == "" {
		return ""
	}
	return nearmiss.Nearness(want, have, "")
}
