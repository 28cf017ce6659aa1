package workloads

import (
	"testing"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
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

// FuzzPodAffinity feeds cluster strings to the pod (anti-)affinity terms, theirs and a running
// pod's (snapshot files are held to no API server's rules): the verdict never panics, and no
// reason holds a control character.
func FuzzPodAffinity(f *testing.F) {
	f.Add("app", "cache", "topology.kubernetes.io/zone", "a", "team-p", "team", "payments", "track")
	f.Add("app", "", "", "", "", "", "", "")
	f.Add("a\x1b[2J", "c\u202ed", "zone\u200b", "\x07", "ns\x1b]0;x\x07", "t=", "!", "app")
	f.Add("app in (x", "((", "kubernetes.io/hostname", "n", "default", "", "", "app")
	f.Fuzz(func(t *testing.T, key, value, topologyKey, domainValue, namespace, nsKey, nsValue, labelKey string) {
		term := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{key: value}}, TopologyKey: topologyKey,
			MatchLabelKeys: []string{labelKey}, MismatchLabelKeys: []string{nsKey}}
		scoped := term
		scoped.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: nsKey, Operator: metav1.LabelSelectorOpIn, Values: []string{nsValue}}}}
		scoped.Namespaces = []string{namespace}
		labels := map[string]string{key: value, labelKey: domainValue}
		p := withPodAffinity(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "p", Labels: labels}},
			[]corev1.PodAffinityTerm{term, scoped}, []corev1.PodAffinityTerm{scoped, term})
		running := withPodAffinity(boundPod(namespace, "r\x1b[1m"+value, "n1", labels), nil, []corev1.PodAffinityTerm{term})
		n1 := node("n1", map[string]string{topologyKey: domainValue}, "4")
		n2 := node("n2\u202e", map[string]string{topologyKey: value}, "4")
		in := schedulingInputs{nodes: []*corev1.Node{n1, n2}, pods: []*corev1.Pod{running},
			namespaces: map[string]k8slabels.Set{namespace: {nsKey: nsValue}}}
		fit := fitOf(p, in)
		var lines []string
		for _, n := range in.nodes {
			lines = append(lines, texts(whyNotHere(fit, n, nodeLoad{}))...)
		}
		if fit.pods != nil {
			lines = append(lines, fit.pods.unjudged...)
		}
		for _, l := range lines {
			for _, r := range l {
				if unicode.IsControl(r) {
					t.Fatalf("unsafe %U in %q", r, l)
				}
			}
		}
	})
}
