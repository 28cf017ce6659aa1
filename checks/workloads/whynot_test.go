package workloads

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

func node(name string, labels map[string]string, cpu string, taints ...corev1.Taint) *corev1.Node {
	l := map[string]string{"kubernetes.io/hostname": name}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
		Spec:       corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")}},
	}
}

func container(name, cpu string) corev1.Container {
	return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}
}

// gpuPod asks for disktype=ssd, tolerates nothing, and requests cpu as the scheduler sums it:
// the init container (3) runs beside the sidecar (0.5) = 3.5, more than the app containers with
// the sidecar (1+1+0.5); plus 250m overhead: 3750m.
func gpuPod() *corev1.Pod {
	always := corev1.ContainerRestartPolicyAlways
	sidecar := container("proxy", "500m")
	sidecar.RestartPolicy = &always
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "train-0", Namespace: "ml", Labels: map[string]string{"app": "train"}},
		Spec: corev1.PodSpec{
			NodeSelector:   map[string]string{"disktype": "ssd"},
			InitContainers: []corev1.Container{sidecar, container("fetch", "3")},
			Containers:     []corev1.Container{container("train", "1"), container("log", "1")},
			Overhead:       corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
		},
	}
}

func fitFor(p *corev1.Pod, nodes []*corev1.Node, pods ...*corev1.Pod) *podFit {
	return fitOf(p, schedulingInputs{nodes: nodes, pods: pods})
}

func texts(rs []reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.text)
	}
	return out
}

// TestWhyNotHereThreeNodesThreeReasons is the proof: one pod that fits no node, for a
// different reason on each of three nodes, each named.
func TestWhyNotHereThreeNodesThreeReasons(t *testing.T) {
	gpu := corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}
	nodes := []*corev1.Node{
		node("a", map[string]string{"disktype": "ssd"}, "8", gpu),
		node("b", map[string]string{"disktype": "sdd"}, "8"),
		node("c", map[string]string{"disktype": "ssd"}, "4"),
	}
	running := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "busy", Namespace: "ml"},
		Spec:   corev1.PodSpec{NodeName: "c", Containers: []corev1.Container{container("busy", "1")}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	p := gpuPod()
	fit := fitFor(p, nodes, running)
	if got := fit.requests[corev1.ResourceCPU]; got.MilliValue() != 3750 {
		t.Fatalf("cpu request = %s, want 3750m (init 3 + sidecar 0.5, + overhead 0.25)", got.String())
	}
	load := loads([]*corev1.Pod{running})
	want := map[string]struct {
		kind reasonKind
		text string
	}{
		"a": {reasonTaint, "untolerated taint dedicated=gpu:NoSchedule"},
		"b": {reasonNodeSelector, "nodeSelector disktype=ssd: node has disktype=sdd (near miss of ssd: one character)"},
		"c": {reasonResources, "insufficient cpu: requests 3750m, 3 free of 4 allocatable"},
	}
	for _, n := range nodes {
		got := whyNotHere(fit, n, load[n.Name])
		w := want[n.Name]
		if len(got) != 1 || got[0].kind != w.kind || got[0].text != w.text {
			t.Errorf("node %s: reasons %q, want one %v: %q", n.Name, texts(got), w.kind, w.text)
		}
	}
	// Tolerating the taint, node a fits: the verdict follows the pod, not the node alone.
	p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
	if got := whyNotHere(fitFor(p, nodes), nodes[0], nodeLoad{}); len(got) != 0 {
		t.Errorf("tolerated: reasons %q, want none", texts(got))
	}
}

func TestWhyNotHereEveryReasonOnOneNode(t *testing.T) {
	n := node("d", map[string]string{"zone": "b"}, "1",
		corev1.Taint{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoExecute},
		corev1.Taint{Key: "soft", Effect: corev1.TaintEffectPreferNoSchedule})
	n.Spec.Unschedulable = true
	p := gpuPod()
	p.Spec.NodeSelector = map[string]string{"disk-type": "ssd"}
	p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}}}}}
	got := texts(whyNotHere(fitFor(p, []*corev1.Node{n}), n, nodeLoad{pods: 110}))
	want := []string{
		"cordoned (spec.unschedulable)",
		"untolerated taint node.kubernetes.io/not-ready:NoExecute",
		"nodeSelector disk-type=ssd: node has no label disk-type",
		"node affinity zone In [a]: node has zone=b",
		"too many pods: 110 of 110 allowed run there",
		"insufficient cpu: requests 3750m, 1 free of 1 allocatable",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reasons:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWhyNotHereNearMissLabels(t *testing.T) {
	// Snapshot files are not held to the API server's ASCII rule: a Cyrillic "ѕ" is named.
	cases := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"disktype": "\u0455sd"}, "node has disktype=\u0455sd (near miss of ssd: a look-alike character)"},
		{map[string]string{"disktype": "SSD"}, "node has disktype=SSD (near miss of ssd: case)"},
		{map[string]string{"disktype": "nvme"}, "node has disktype=nvme"},
		{map[string]string{"disk_type": "ssd"}, "node has no label disktype"},
		{map[string]string{"disktypes": "ssd"}, "node has no label disktype, but disktypes=ssd (near miss: one character)"},
	}
	for _, c := range cases {
		if got := labelMiss("disktype", []string{"ssd"}, c.labels); !strings.Contains(got, c.want) {
			t.Errorf("labels %v: %q, want %q", c.labels, got, c.want)
		}
	}
}

func TestWhyNotHereVolumeAndSpread(t *testing.T) {
	zone := func(name, z string) *corev1.Node { return node(name, map[string]string{"zone": z}, "8") }
	nodes := []*corev1.Node{zone("a1", "a"), zone("a2", "a"), zone("b1", "b"), node("x", nil, "8")}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-3", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}}
	var running []*corev1.Pod
	for i, n := range []string{"a1", "a2", "b1"} {
		running = append(running, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-" + string(rune('0'+i)), Namespace: "shop", Labels: map[string]string{"app": "web"}},
			Spec: corev1.PodSpec{NodeName: n}, Status: corev1.PodStatus{Phase: corev1.PodRunning}})
	}
	fit := fitFor(p, nodes, running...)
	sel, _ := nodeaffinity.NewNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}}})
	fit.volumes = []volumePin{{claim: "data", volume: "pv-1", selector: sel, terms: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}}}}}
	want := map[string]string{
		"a1": "topology spread: 2 matching pods in zone=a, fewest 1 elsewhere, maxSkew 1",
		"a2": "topology spread: 2 matching pods in zone=a, fewest 1 elsewhere, maxSkew 1",
		"b1": "claim data's volume pv-1 may only be used where zone In [a]",
		"x":  "claim data's volume pv-1 may only be used where zone In [a]\nno label zone, which topology spread needs",
	}
	for _, n := range nodes {
		if got := strings.Join(texts(whyNotHere(fit, n, nodeLoad{})), "\n"); got != want[n.Name] {
			t.Errorf("node %s: %q, want %q", n.Name, got, want[n.Name])
		}
	}
}

func boundPod(ns, name, nodeName string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: corev1.PodSpec{NodeName: nodeName}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func affinityTerm(key string, match map[string]string) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: match}, TopologyKey: key}
}

func withPodAffinity(p *corev1.Pod, affinity, anti []corev1.PodAffinityTerm) *corev1.Pod {
	p.Spec.Affinity = &corev1.Affinity{}
	if affinity != nil {
		p.Spec.Affinity.PodAffinity = &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: affinity}
	}
	if anti != nil {
		p.Spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: anti}
	}
	return p
}

const zone = "topology.kubernetes.io/zone"

func zoneNodes() []*corev1.Node {
	return []*corev1.Node{node("a1", map[string]string{zone: "a"}, "4"), node("b1", map[string]string{zone: "b"}, "4"), node("x", nil, "4")}
}

func affinityReasons(p *corev1.Pod, nodes []*corev1.Node, running ...*corev1.Pod) map[string][]string {
	fit := fitFor(p, nodes, running...)
	out := map[string][]string{}
	for _, n := range nodes {
		out[n.Name] = texts(fit.pods.reasons(n))
	}
	return out
}

// The first pod of a group with affinity to itself may go anywhere the topology key exists, as
// the scheduler lets it; once one runs, the others must join its zone.
func TestPodAffinityFirstOfItsGroup(t *testing.T) {
	self := func() *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-1", Labels: map[string]string{"app": "web"}}}
		return withPodAffinity(p, []corev1.PodAffinityTerm{affinityTerm(zone, map[string]string{"app": "web"})}, nil)
	}
	got := affinityReasons(self(), zoneNodes())
	if len(got["a1"]) != 0 || len(got["b1"]) != 0 || len(got["x"]) != 1 || !strings.HasSuffix(got["x"][0], "node has no label "+zone) {
		t.Errorf("first of its group: %q", got)
	}
	got = affinityReasons(self(), zoneNodes(), boundPod("ns", "web-0", "b1", map[string]string{"app": "web"}))
	if len(got["b1"]) != 0 || len(got["a1"]) != 1 || !strings.HasSuffix(got["a1"][0], "no matching pod runs in "+zone+"=a") {
		t.Errorf("second of its group: %q", got)
	}
}

// A running pod counts for affinity only when it matches every term; a pod in another
// namespace counts only when the term looks there; matchLabelKeys narrows the selector with
// the pod's own label.
func TestPodAffinityTermsSelectAsTheSchedulerDoes(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "api-1", Labels: map[string]string{"app": "api", "track": "canary"}}}
	cache := affinityTerm(zone, map[string]string{"app": "cache"})
	cache.MatchLabelKeys = []string{"track"}
	withPodAffinity(p, []corev1.PodAffinityTerm{cache, affinityTerm("kubernetes.io/hostname", map[string]string{"tier": "data"})}, nil)
	running := []*corev1.Pod{
		boundPod("ns", "cache-a", "a1", map[string]string{"app": "cache", "track": "stable", "tier": "data"}),    // wrong track
		boundPod("other", "cache-b", "b1", map[string]string{"app": "cache", "track": "canary", "tier": "data"}), // wrong namespace
		boundPod("ns", "cache-x", "x", map[string]string{"app": "cache", "track": "canary"}),                     // not tier=data
	}
	got := affinityReasons(p, zoneNodes(), running...)
	for _, n := range []string{"a1", "b1"} {
		if len(got[n]) != 2 {
			t.Errorf("%s: %q, want both terms unmet (no pod matches both)", n, got[n])
		}
	}
	if want := "pod affinity term 1 (app=cache,track in (canary) in namespace ns, topologyKey " + zone + ")"; !strings.HasPrefix(got["a1"][0], want) {
		t.Errorf("a1: %q, want it to start %q", got["a1"][0], want)
	}
	running[0].Labels["track"] = "canary"
	if got := affinityReasons(p, zoneNodes(), running...); len(got["a1"]) != 0 {
		t.Errorf("a1 runs a pod matching both terms: %q", got["a1"])
	}
}

// A namespaceSelector is judged only with the namespaces' labels: unread, the term is named as
// not judged and refuses nothing.
func TestPodAffinityNamespaceSelectorUnread(t *testing.T) {
	term := affinityTerm(zone, map[string]string{"app": "cache"})
	term.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "payments"}}
	p := withPodAffinity(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}, []corev1.PodAffinityTerm{term}, nil)
	fit := fitFor(p, zoneNodes())
	if fit.pods == nil || len(fit.pods.unjudged) != 1 || len(fit.pods.reasons(zoneNodes()[0])) != 0 {
		t.Fatalf("unread namespaces: %+v", fit.pods)
	}
	in := schedulingInputs{nodes: zoneNodes(), pods: []*corev1.Pod{boundPod("team-p", "cache-0", "a1", map[string]string{"app": "cache"})},
		namespaces: map[string]labels.Set{"team-p": {"team": "payments"}, "ns": {}}}
	fit = fitOf(p, in)
	if got := texts(fit.pods.reasons(in.nodes[1])); len(got) != 1 || len(fit.pods.reasons(in.nodes[0])) != 0 {
		t.Errorf("read namespaces: a1 %q, b1 %q", texts(fit.pods.reasons(in.nodes[0])), got)
	}
}
