package versions

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/internal/phrase"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func versionsNode(name, kubelet, runtimeVersion string) *corev1.Node {
	return &corev1.Node{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion:          kubelet,
			ContainerRuntimeVersion: runtimeVersion,
		}},
	}
}

// versionsPod is a kube-system pod with one container; labels are "key=value" pairs.
func versionsPod(name, node, image string, labels ...string) *corev1.Pod {
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Labels: map[string]string{}},
		Spec: corev1.PodSpec{
			NodeName:   node,
			Containers: []corev1.Container{{Name: strings.SplitN(image[strings.LastIndex(image, "/")+1:], ":", 2)[0], Image: image}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		p.Labels[k] = v
	}
	return p
}

func apiserverPod(tag string) *corev1.Pod {
	return versionsPod("kube-apiserver-cp1", "cp1", "registry.k8s.io/kube-apiserver:"+tag, "component=kube-apiserver")
}

func TestNodeVersionsWithinPolicy(t *testing.T) {
	env := checktest.OfflineEnv(t,
		apiserverPod("v1.37.2"),
		versionsPod("kube-controller-manager-cp1", "cp1", "registry.k8s.io/kube-controller-manager:v1.36.3", "component=kube-controller-manager"),
		versionsPod("kube-scheduler-cp1", "cp1", "registry.k8s.io/kube-scheduler:v1.37.2", "component=kube-scheduler"),
		versionsPod("etcd-cp1", "cp1", "registry.k8s.io/etcd:3.6.4-0", "component=etcd"),
		versionsPod("kube-proxy-a", "w1", "registry.k8s.io/kube-proxy:v1.34.0", "k8s-app=kube-proxy"),
		versionsNode("cp1", "v1.37.2", "containerd://2.1.4"),
		versionsNode("w1", "v1.34.0", "containerd://2.1.4"),
		versionsNode("w2", "v1.36.1", "containerd://2.1.4"),
	)
	r := checktest.RunCheck(t, env, "versions.nodes")
	if r.Status != checks.StatusOK {
		t.Fatalf("status = %v (%s), want ok; findings %+v", r.Status, r.Summary, r.Findings)
	}
	if !strings.Contains(r.Summary, "3 nodes and 4 control-plane pods within the skew policy of the server v1.37") {
		t.Errorf("summary = %q", r.Summary)
	}
	inv := checktest.FindingsWith(r, "versions running")
	if len(inv) != 1 {
		t.Fatalf("no inventory finding: %+v", r.Findings)
	}
	ev := strings.Join(inv[0].Evidence, "\n")
	for _, want := range []string{"kubelet v1.34.0: w1", "kube-proxy v1.34.0: w1", "etcd 3.6.4-0: etcd-cp1 (etcd has its own releases", "server: v1.37.2"} {
		if !strings.Contains(ev, want) {
			t.Errorf("inventory lacks %q:\n%s", want, ev)
		}
	}
}

func TestNodeVersionsOutOfPolicy(t *testing.T) {
	env := checktest.OfflineEnv(t,
		apiserverPod("v1.37.2"),
		versionsPod("kube-scheduler-cp1", "cp1", "registry.k8s.io/kube-scheduler:v1.35.0", "component=kube-scheduler"),
		versionsPod("kube-controller-manager-cp1", "cp1", "registry.k8s.io/kube-controller-manager:v1.38.0", "component=kube-controller-manager"),
		versionsPod("kube-proxy-b", "w2", "registry.k8s.io/kube-proxy:v1.33.0", "k8s-app=kube-proxy"),
		versionsNode("cp1", "v1.37.2", ""),
		versionsNode("w1", "v1.33.9", ""),
		versionsNode("w2", "v1.37.2", ""),
		versionsNode("w3", "v1.38.0", ""),
		versionsNode("w4", "", ""),
	)
	r := checktest.RunCheck(t, env, "versions.nodes")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
	}
	tests := []struct {
		message  string
		severity checks.Status
		object   string
	}{
		{"node w1: kubelet v1.33 is 4 minors behind the server v1.37", checks.StatusFail, "Node/w1"},
		{"node w2: kube-proxy v1.33 is 4 minors behind the server v1.37", checks.StatusFail, "Node/w2"},
		{"node w3: kubelet v1.38 is one minor ahead of the server v1.37", checks.StatusFail, "Node/w3"},
		{"node w4: reports no kubelet version", checks.StatusWarn, "Node/w4"},
		{"pod kube-system/kube-scheduler-cp1: kube-scheduler v1.35 is 2 minors behind the server v1.37", checks.StatusFail, "Pod/kube-scheduler-cp1"},
		{"pod kube-system/kube-controller-manager-cp1: kube-controller-manager v1.38 is one minor ahead", checks.StatusFail, "Pod/kube-controller-manager-cp1"},
	}
	for _, tt := range tests {
		fs := checktest.FindingsWith(r, tt.message)
		if len(fs) != 1 {
			t.Errorf("want one finding %q, got %d in %+v", tt.message, len(fs), r.Findings)
			continue
		}
		f := fs[0]
		if f.Severity != tt.severity {
			t.Errorf("%q: severity %v, want %v", tt.message, f.Severity, tt.severity)
		}
		if f.Object == nil || f.Object.Kind+"/"+f.Object.Name != tt.object {
			t.Errorf("%q: object %+v, want %s", tt.message, f.Object, tt.object)
		}
		if len(f.Commands) == 0 || f.Hint == "" || len(f.Evidence) == 0 {
			t.Errorf("%q: missing commands, hint or evidence: %+v", tt.message, f)
		}
	}
	w1 := checktest.FindingsWith(r, "node w1:")[0]
	if !w1.Cause || len(w1.Explains) != 1 || w1.Explains[0].Name != "w1" {
		t.Errorf("w1 finding is not a cause explaining w1: %+v", w1)
	}
	if ev := strings.Join(w1.Evidence, "\n"); !strings.Contains(ev, "policy: the kubelet may be up to three minors older") {
		t.Errorf("w1 evidence lacks the policy:\n%s", ev)
	}
	if !strings.Contains(r.Summary, "4 of 5 nodes and 2 of 3 control-plane pods outside") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestNodeVersionsGroupsManyNodes(t *testing.T) {
	objs := []runtime.Object{apiserverPod("v1.37.2")}
	for i := range 12 {
		objs = append(objs, versionsNode(fmt.Sprintf("old-%02d", i), "v1.32.1", ""))
	}
	for i := range 3 {
		objs = append(objs, versionsNode(fmt.Sprintf("older-%d", i), "v1.31.0", ""))
	}
	r := checktest.RunCheck(t, checktest.OfflineEnv(t, objs...), "versions.nodes")
	grouped := checktest.FindingsWith(r, "12 nodes: kubelet v1.32 is 5 minors behind the server v1.37")
	if len(grouped) != 1 {
		t.Fatalf("no grouped finding: %+v", r.Findings)
	}
	g := grouped[0]
	if g.Object != nil || len(g.Explains) != 12 {
		t.Errorf("grouped finding: object %+v, explains %d", g.Object, len(g.Explains))
	}
	if g.Evidence[0] != "nodes: old-00, old-01, old-02, old-03, old-04 and 7 more" {
		t.Errorf("evidence[0] = %q", g.Evidence[0])
	}
	if n := len(checktest.FindingsWith(r, "kubelet v1.31 is 6 minors behind")); n != 3 {
		t.Errorf("got %d findings for the three v1.31 nodes, want one each", n)
	}
}

func TestNodeVersionsWithoutServerVersion(t *testing.T) {
	t.Run("too far apart", func(t *testing.T) {
		r := checktest.RunCheck(t, checktest.OfflineEnv(t,
			versionsNode("a", "v1.35.0", ""), versionsNode("b", "v1.31.2", ""), versionsNode("c", "v1.32.0", ""),
		), "versions.nodes")
		if r.Status != checks.StatusFail {
			t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
		}
		if len(checktest.FindingsWith(r, "node b: kubelet v1.31 is 4 minors behind v1.35, the newest kubelet here")) != 1 {
			t.Errorf("findings = %+v", r.Findings)
		}
		if len(checktest.FindingsWith(r, "node c:")) != 0 {
			t.Errorf("c is within three minors of the newest: %+v", r.Findings)
		}
		if !strings.Contains(r.Summary, "server version unknown") {
			t.Errorf("summary = %q", r.Summary)
		}
	})
	t.Run("close together", func(t *testing.T) {
		r := checktest.RunCheck(t, checktest.OfflineEnv(t, versionsNode("a", "v1.35.0", ""), versionsNode("b", "v1.32.2", "")), "versions.nodes")
		if r.Status != checks.StatusOK || !strings.Contains(r.Summary, "compared the components with each other") {
			t.Errorf("got %v %q", r.Status, r.Summary)
		}
	})
	t.Run("nothing to compare", func(t *testing.T) {
		r := checktest.RunCheck(t, checktest.OfflineEnv(t, versionsNode("a", "v1.35.0", "")), "versions.nodes")
		if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotCollected {
			t.Errorf("got %v %q %q", r.Status, r.SkipReason, r.Summary)
		}
	})
}

func TestNodeVersionsNoNodes(t *testing.T) {
	r := judgeNodeVersions(nil, nil, nil, mustKubeVersion(t, "v1.37.2"), nil)
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotApplicable {
		t.Errorf("got %v %q", r.Status, r.SkipReason)
	}
}

func TestNamesWithMore(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b", "c"}, "a, b, c"},
		{[]string{"a", "b", "c", "d"}, "a, b, c and 1 more"},
	}
	for _, tt := range tests {
		if got := phrase.List(tt.names, 3); got != tt.want {
			t.Errorf("namesWithMore(%q, 3) = %q, want %q", tt.names, got, tt.want)
		}
	}
}
