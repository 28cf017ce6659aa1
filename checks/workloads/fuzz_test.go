package workloads

import (
	"testing"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FuzzWhyNotHere feeds cluster strings (from snapshot files, which no API server held to its
// rules) to the per-node verdict: it never panics, and no reason holds a control character.
func FuzzWhyNotHere(f *testing.F) {
	f.Add("disktype", "ssd", "sdd", "dedicated", "gpu", "3")
	f.Add("disktype", "ѕsd", "ssd", "klustered", "true", "100m")
	f.Add("zone\x1b[2J", "a\u202eb", "a", "key\u200b", "\x07", "1Gi")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, key, want, have, taintKey, taintValue, cpu string) {
		q, err := resource.ParseQuantity(cpu)
		if err != nil {
			q = resource.MustParse("1")
		}
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "n\x1b]0;x\x07" + have, Labels: map[string]string{key: have, key + "s": want}},
			Spec:       corev1.NodeSpec{Taints: []corev1.Taint{{Key: taintKey, Value: taintValue, Effect: corev1.TaintEffectNoSchedule}}},
			Status:     corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourcePods: resource.MustParse("1")}},
		}
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{
			NodeSelector: map[string]string{key: want},
			Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: []string{want}}}}}}}},
			Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q, corev1.ResourceName(taintKey): q}}}},
		}}
		rows := []nodeRow{{node: n, reasons: whyNotHere(fitFor(p, []*corev1.Node{n}), n, nodeLoad{pods: 1})}}
		lines := whyNotHereTable(rows)
		for _, r := range rows[0].reasons {
			lines = append(lines, r.text)
		}
		for _, l := range lines {
			for _, r := range l {
				if unicode.IsControl(r) { // bidi and look-alikes are named by each view (safetext.Annotate)
					t.Fatalf("unsafe %U in %q", r, l)
				}
			}
		}
	})
}
