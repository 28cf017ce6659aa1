package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestParseComponentFlags(t *testing.T) {
	got := parseComponentFlags([]string{
		"kube-apiserver", "--a=1", "--b", "two", "--anonymous-auth", "--c=", "-v=2", "--d", "--e=x=y", "--", "--leader-elect", "false",
	})
	want := []cmdFlag{
		{Name: "a", Value: "1", HasValue: true, Raw: "--a=1"},
		{Name: "b", Value: "two", HasValue: true, Raw: "--b two"},
		{Name: "anonymous-auth", Raw: "--anonymous-auth"},
		{Name: "c", Value: "", HasValue: true, Raw: "--c="},
		{Name: "v", Value: "2", HasValue: true, Raw: "-v=2"},
		{Name: "d", Raw: "--d"},
		{Name: "e", Value: "x=y", HasValue: true, Raw: "--e=x=y"},
		{Name: "leader-elect", Raw: "--leader-elect"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseComponentFlags:\n got %+v\nwant %+v", got, want)
	}
}

func TestFlagProblems(t *testing.T) {
	tests := []struct {
		name      string
		component string
		argv      []string
		want      []string // one substring per expected problem, in order
		severity  []checks.Severity
	}{
		{"kubeadm apiserver", "kube-apiserver",
			[]string{"kube-apiserver", "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--anonymous-auth=true"}, nil, nil},
		{"kubeadm controller manager", "kube-controller-manager",
			[]string{"kube-controller-manager", "--controllers=*,bootstrapsigner,tokencleaner"}, nil, nil},
		{"default-off controllers off again", "kube-controller-manager",
			[]string{"kube-controller-manager", "--controllers=*,-bootstrapsigner,-tokencleaner"}, nil, nil},
		{"replicaset disabled", "kube-controller-manager",
			[]string{"kube-controller-manager", "--controllers=*,-replicaset,bootstrapsigner"},
			[]string{"the replicaset controller is switched off: ReplicaSets never create pods"}, []checks.Severity{checks.StatusFail}},
		{"deployment disabled, no star", "kube-controller-manager",
			[]string{"kube-controller-manager", "--controllers", "-deployment,-foo"},
			[]string{`does not include "*"`, "the deployment controller is switched off: Deployments never", "the foo controller is switched off: the foo controller does not run"},
			[]checks.Severity{checks.StatusFail, checks.StatusFail, checks.StatusFail}},
		{"AlwaysDeny hidden in a repeat", "kube-apiserver",
			[]string{"kube-apiserver", "--enable-admission-plugins=NodeRestriction", "--secure-port=6443", "--enable-admission-plugins=NodeRestriction,AlwaysDeny"},
			[]string{"--enable-admission-plugins is given 2 times with different values", "the AlwaysDeny admission plugin is enabled"},
			[]checks.Severity{checks.StatusFail, checks.StatusFail}},
		{"same value twice is no conflict", "kube-apiserver",
			[]string{"kube-apiserver", "--secure-port=6443", "--secure-port=6443"}, nil, nil},
		{"legacy admission-control", "kube-apiserver",
			[]string{"kube-apiserver", "--admission-control=AlwaysDeny"}, []string{"AlwaysDeny admission plugin"}, []checks.Severity{checks.StatusFail}},
		{"anonymous auth off", "kube-apiserver",
			[]string{"kube-apiserver", "--anonymous-auth=false"}, []string{"health probes of the API server fail"}, []checks.Severity{checks.StatusWarn}},
		{"authorization AlwaysDeny", "kube-apiserver",
			[]string{"kube-apiserver", "--authorization-mode=AlwaysDeny,Node,RBAC"}, []string{"--authorization-mode includes AlwaysDeny"}, []checks.Severity{checks.StatusFail}},
		{"etcd tiny quota and request size", "etcd",
			[]string{"etcd", "--quota-backend-bytes=16384", "--max-request-bytes=1024", "--client-cert-auth=true"},
			[]string{"--quota-backend-bytes is tiny (16 KiB): etcd raises its NOSPACE alarm", "--max-request-bytes is tiny (1 KiB)"},
			[]checks.Severity{checks.StatusFail, checks.StatusFail}},
		{"etcd sane limits", "etcd",
			[]string{"etcd", "--quota-backend-bytes=8589934592", "--max-request-bytes=1572864", "--quota-backend-bytes=8589934592"}, nil, nil},
		{"etcd garbage", "etcd", []string{"etcd", "--quota-backend-bytes=lots"}, []string{"--quota-backend-bytes is not a number"}, []checks.Severity{checks.StatusWarn}},
		{"scheduler conflict", "kube-scheduler",
			[]string{"kube-scheduler", "--leader-elect=true", "--leader-elect=false"}, []string{"--leader-elect is given 2 times"}, []checks.Severity{checks.StatusFail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := flagProblems(tt.component, parseComponentFlags(tt.argv))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %+v, want %d", len(got), got, len(tt.want))
			}
			for i, p := range got {
				if !strings.Contains(p.Message, tt.want[i]) || p.Severity != tt.severity[i] {
					t.Errorf("problem %d = %v %q, want %v containing %q", i, p.Severity, p.Message, tt.severity[i], tt.want[i])
				}
				if len(p.Evidence) == 0 || p.Hint == "" {
					t.Errorf("problem %d lacks evidence or hint: %+v", i, p)
				}
			}
		})
	}
}

var cpNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func cpPod(component, node string, ready bool, command ...string) *corev1.Pod {
	p := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: component + "-" + node, Namespace: "kube-system",
			Labels:      map[string]string{"component": component, "tier": "control-plane"},
			Annotations: map[string]string{"kubernetes.io/config.source": "file"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: component, Command: append([]string{component}, command...)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{Name: component, Ready: ready, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
	status := corev1.ConditionTrue
	if !ready {
		status = corev1.ConditionFalse
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	return p
}

func healthyControlPlane(node string) []runtime.Object {
	return []runtime.Object{
		cpPod("kube-apiserver", node, true, "--etcd-servers=https://127.0.0.1:2379", "--authorization-mode=Node,RBAC"),
		cpPod("kube-controller-manager", node, true, "--controllers=*,bootstrapsigner,tokencleaner"),
		cpPod("kube-scheduler", node, true, "--leader-elect=true"),
		cpPod("etcd", node, true, "--quota-backend-bytes=8589934592"),
	}
}

func runControlPlaneWith(t *testing.T, objs ...runtime.Object) checks.Result {
	t.Helper()
	snap := checktest.Snapshot(t, append(objs, workloadKinds()...)...)
	return runControlPlane(t.Context(), &checks.Env{Snapshot: snap, Now: func() time.Time { return cpNow }})
}

// workloadKinds is one object of each workload kind the check reads, all acted on by their
// controllers, so that a snapshot holds those kinds.
func workloadKinds() []runtime.Object {
	meta := func(kind string) (metav1.TypeMeta, metav1.ObjectMeta) {
		return metav1.TypeMeta{APIVersion: "apps/v1", Kind: kind}, metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns", Generation: 1}
	}
	d := &appsv1.Deployment{Status: appsv1.DeploymentStatus{ObservedGeneration: 1}}
	d.TypeMeta, d.ObjectMeta = meta("Deployment")
	rs := &appsv1.ReplicaSet{Status: appsv1.ReplicaSetStatus{ObservedGeneration: 1, Replicas: 1}}
	rs.TypeMeta, rs.ObjectMeta = meta("ReplicaSet")
	ss := &appsv1.StatefulSet{Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: 1}}
	ss.TypeMeta, ss.ObjectMeta = meta("StatefulSet")
	ds := &appsv1.DaemonSet{Status: appsv1.DaemonSetStatus{ObservedGeneration: 1}}
	ds.TypeMeta, ds.ObjectMeta = meta("DaemonSet")
	return []runtime.Object{d, rs, ss, ds}
}

func TestControlPlaneHealthy(t *testing.T) {
	r := runControlPlaneWith(t, healthyControlPlane("cp1")...)
	if r.Status != checks.StatusOK || r.Summary != "4 control-plane pods run, are ready and have no known-bad flags" {
		t.Errorf("got %v %q %+v", r.Status, r.Summary, r.Findings)
	}
}

func TestControlPlaneNotVisible(t *testing.T) {
	other := cpPod("coredns", "n1", true)
	other.Labels = map[string]string{"k8s-app": "kube-dns"}
	r := runControlPlaneWith(t, other)
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotApplicable || !strings.Contains(r.Summary, "managed cluster") {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

func TestControlPlaneBroken(t *testing.T) {
	objs := healthyControlPlane("cp1")
	objs = append(objs[:2], objs[3]) // the scheduler's manifest was moved away
	cm := objs[1].(*corev1.Pod)
	cm.Spec.Containers[0].Command = append(cm.Spec.Containers[0].Command, "--controllers=*,-replicaset")
	etcd := objs[2].(*corev1.Pod)
	etcd.Status.Conditions[0].Status = corev1.ConditionFalse
	etcd.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "etcd", RestartCount: 7,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "Error", ExitCode: 1, FinishedAt: metav1.NewTime(cpNow.Add(-time.Minute)),
			Message: "line one\n{\"level\":\"fatal\",\"msg\":\"failed to start\"}\n"}}}
	api := objs[0].(*corev1.Pod)
	api.Status.ContainerStatuses[0].RestartCount = 2
	api.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
		Reason: "Error", ExitCode: 137, FinishedAt: metav1.NewTime(cpNow.Add(-10 * time.Minute))}

	r := runControlPlaneWith(t, objs...)
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v, want fail", r.Status)
	}
	messages := map[string]checks.Finding{}
	for _, f := range r.Findings {
		messages[f.Message] = f
	}
	for _, want := range []string{
		"no kube-scheduler pod anywhere",
		"kube-apiserver-cp1 restarted 2 times, last 10m0s ago",
		"kube-controller-manager-cp1: the replicaset controller is switched off: ReplicaSets never create pods, so Deployments never get any",
		"etcd-cp1 is crash-looping (7 restarts)",
	} {
		if _, ok := messages[want]; !ok {
			t.Errorf("no finding %q in %+v", want, r.Findings)
		}
	}
	crash := messages["etcd-cp1 is crash-looping (7 restarts)"]
	if ev := strings.Join(crash.Evidence, "\n"); !strings.Contains(ev, "restartCount 7") ||
		!strings.Contains(ev, "last termination: Error, exit code 1") || !strings.Contains(ev, `failed to start`) {
		t.Errorf("crash evidence = %q", ev)
	}
	if _, ok := messages["etcd-cp1 is not ready"]; ok {
		t.Error("a crash-looping pod should not also be reported as not ready")
	}
	flag := messages["kube-controller-manager-cp1: the replicaset controller is switched off: ReplicaSets never create pods, so Deployments never get any"]
	if flag.Evidence[0] != "--controllers=*,-replicaset" || !strings.Contains(flag.Hint, "/etc/kubernetes/manifests/kube-controller-manager.yaml on node cp1") {
		t.Errorf("flag finding = %+v", flag)
	}
}

func TestControlPlaneExternalEtcdAndSecondNode(t *testing.T) {
	objs := healthyControlPlane("cp1")[:3]
	objs[0].(*corev1.Pod).Spec.Containers[0].Command = []string{"kube-apiserver", "--etcd-servers=https://10.0.0.5:2379"}
	objs = append(objs, cpPod("kube-apiserver", "cp2", true, "--etcd-servers=https://10.0.0.5:2379"),
		cpPod("kube-scheduler", "cp2", false))
	r := runControlPlaneWith(t, objs...)
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%v %s", f.Severity, f.Message))
	}
	want := []string{"warn no kube-controller-manager pod on node(s) cp2", "fail kube-scheduler-cp2 is not ready"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A flag that switches workload controllers off names which: "-name" that one, a list without
// "*" every workload controller it does not name.
func TestControllersFlagSaysWhichItSwitchesOff(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  [][]string // Disables of each problem, in order
	}{
		{"*,bootstrapsigner,tokencleaner", nil},
		{"*,-replicaset,-bootstrapsigner", [][]string{{"replicaset"}}},
		{"*,-deployment,-replicaset", [][]string{{"deployment"}, {"replicaset"}}},
		{"deployment,-foo", [][]string{{"replicaset", "statefulset", "daemonset"}, {"foo"}}},
	} {
		var got [][]string
		for _, p := range controllersFlagProblems(cmdFlag{Name: "controllers", Value: tt.value, HasValue: true}) {
			got = append(got, p.Disables)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("--controllers=%s switches off %v, want %v", tt.value, got, tt.want)
		}
	}
}

// On the test cluster: kube-controller-manager-cp1 runs with --controllers=*,-deployment,-replicaset;
// a Deployment has no ReplicaSet and another's ReplicaSet never got a pod. Each flag's finding
// explains exactly what its controller left behind, and nothing of the healthy cluster.
func TestControllersOffExplainWhatTheyLeftBehind(t *testing.T) {
	c := checktest.Cluster(t)
	c.Replace(t, checktest.Fixture("api-controllers-off"))
	c.Apply(t, checktest.Fixture("workloads/controller-off-deployment.yaml"), checktest.Fixture("workloads/controller-off-replicaset.yaml"))
	r := checktest.RunLive(t, "api.control-plane")
	for _, tt := range []struct {
		msg      string
		explains string
	}{
		{"kube-controller-manager-cp1: the deployment controller is switched off", "[Deployment team-a/orders]"},
		{"kube-controller-manager-cp1: the replicaset controller is switched off", "[Deployment team-a/billing ReplicaSet team-a/billing-5c7d9e8f6]"},
	} {
		f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Pod", "kube-system", "kube-controller-manager-cp1", tt.msg)
		if !f.Cause || fmt.Sprint(f.Explains) != tt.explains {
			t.Errorf("%q: cause %v, explains %v; want %s", tt.msg, f.Cause, f.Explains, tt.explains)
		}
		if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "left behind (status.observedGeneration behind metadata.generation, nothing created): ") {
			t.Errorf("%q: evidence does not name what was left behind:\n%s", tt.msg, ev)
		}
		if len(f.Commands) < 2 || !strings.Contains(f.Commands[1].String(), "OBSERVED:.status.observedGeneration") {
			t.Errorf("%q: no command shows the generations: %v", tt.msg, f.Commands)
		}
	}
	checktest.RequireLiteralCommands(t, r)
}
