package podinfo

import (
	"sort"
	"strings"

	"github.com/kockpit/kockpit/checks"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// WorkloadIndex finds the workload that runs a pod, so findings about many replicas become one
// finding about their Deployment, DaemonSet or StatefulSet. Built once per run: per namespace,
// the workloads with their selectors. ReplicaSets need no list: the Deployment controller names
// them NAME-HASH and labels their pods with the hash.
type WorkloadIndex struct {
	// byNamespace holds the workloads of each namespace, for pods without owner references.
	byNamespace map[string][]indexedWorkload
}

type indexedWorkload struct {
	ref      checks.ObjectRef
	selector labels.Selector
}

func NewWorkloadIndex(deps []*appsv1.Deployment, dss []*appsv1.DaemonSet, sss []*appsv1.StatefulSet) *WorkloadIndex {
	ix := &WorkloadIndex{byNamespace: map[string][]indexedWorkload{}}
	add := func(ref checks.ObjectRef, sel *metav1.LabelSelector) {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil || s.Empty() {
			return // a workload whose selector selects nothing useful adopts nothing
		}
		ix.byNamespace[ref.Namespace] = append(ix.byNamespace[ref.Namespace], indexedWorkload{ref: ref, selector: s})
	}
	for _, d := range deps {
		add(WorkloadRef("Deployment", &d.ObjectMeta), d.Spec.Selector)
	}
	for _, d := range dss {
		add(WorkloadRef("DaemonSet", &d.ObjectMeta), d.Spec.Selector)
	}
	for _, s := range sss {
		add(WorkloadRef("StatefulSet", &s.ObjectMeta), s.Spec.Selector)
	}
	for ns := range ix.byNamespace {
		list := ix.byNamespace[ns]
		// Longest name first: "web-api" must win over "web" for pod "web-api-7d9f-x2".
		sort.Slice(list, func(i, j int) bool { return len(list[i].ref.Name) > len(list[j].ref.Name) })
	}
	return ix
}

func WorkloadRef(kind string, m *metav1.ObjectMeta) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "apps/v1", Kind: kind, Namespace: m.Namespace, Name: m.Name}
}

func Ref(p *corev1.Pod) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
}

// OwnerOf returns the workload a pod belongs to: its controller, followed from a Deployment's
// ReplicaSet to the Deployment; the pod itself for bare and static pods. Pods without owner references
// (snapshot files, test fixtures) are matched to a workload of their namespace whose name
// prefixes theirs and whose selector selects them, as the controllers would adopt them.
func (ix *WorkloadIndex) OwnerOf(p *corev1.Pod) checks.ObjectRef {
	c := metav1.GetControllerOf(p)
	if c == nil && len(p.OwnerReferences) > 0 {
		c = &p.OwnerReferences[0]
	}
	if c == nil {
		return ix.adopter(p)
	}
	switch c.Kind {
	case "Node":
		return Ref(p) // a static pod's mirror: each is its own
	case "ReplicaSet":
		if hash := p.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; hash != "" && strings.HasSuffix(c.Name, "-"+hash) {
			return checks.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: p.Namespace, Name: strings.TrimSuffix(c.Name, "-"+hash)}
		}
	}
	return checks.ObjectRef{APIVersion: c.APIVersion, Kind: c.Kind, Namespace: p.Namespace, Name: c.Name}
}

func (ix *WorkloadIndex) adopter(p *corev1.Pod) checks.ObjectRef {
	set := labels.Set(p.Labels)
	for _, w := range ix.byNamespace[p.Namespace] {
		if strings.HasPrefix(p.Name, w.ref.Name+"-") && w.selector.Matches(set) {
			return w.ref
		}
	}
	return Ref(p)
}
