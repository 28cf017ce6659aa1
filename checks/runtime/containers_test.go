//go:build linux

package runtime

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

// fakeRuntime is a CRI runtime service written for the tests: it serves the lists and
// answers it holds; calls it does not implement answer Unimplemented, as an old runtime does.
type fakeRuntime struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	name, version string
	conditions    []*runtimeapi.RuntimeCondition
	info          map[string]string
	handlers      []*runtimeapi.RuntimeHandler
	cgroupDriver  *runtimeapi.CgroupDriver
	sandboxes     []*runtimeapi.PodSandbox
	containers    []*runtimeapi.Container
	statuses      map[string]*runtimeapi.ContainerStatus
}

func (f *fakeRuntime) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: f.name, RuntimeVersion: f.version, RuntimeApiVersion: "v1"}, nil
}

func (f *fakeRuntime) Status(context.Context, *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: f.conditions}, Info: f.info, RuntimeHandlers: f.handlers}, nil
}

func (f *fakeRuntime) RuntimeConfig(ctx context.Context, r *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	if f.cgroupDriver == nil {
		return f.UnimplementedRuntimeServiceServer.RuntimeConfig(ctx, r)
	}
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: *f.cgroupDriver}}, nil
}

func (f *fakeRuntime) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	return &runtimeapi.ListPodSandboxResponse{Items: f.sandboxes}, nil
}

func (f *fakeRuntime) ListContainers(context.Context, *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	return &runtimeapi.ListContainersResponse{Containers: f.containers}, nil
}

func (f *fakeRuntime) ContainerStatus(_ context.Context, r *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	return &runtimeapi.ContainerStatusResponse{Status: f.statuses[r.ContainerId]}, nil
}

// fakeImages holds the images named.
type fakeImages struct {
	runtimeapi.UnimplementedImageServiceServer
	held map[string]bool
}

func (f *fakeImages) ImageStatus(_ context.Context, r *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	if f.held[r.Image.Image] {
		return &runtimeapi.ImageStatusResponse{Image: &runtimeapi.Image{Id: "sha256:1", RepoTags: []string{r.Image.Image}}}, nil
	}
	return &runtimeapi.ImageStatusResponse{}, nil
}

func ready() []*runtimeapi.RuntimeCondition {
	return []*runtimeapi.RuntimeCondition{{Type: runtimeapi.RuntimeReady, Status: true}, {Type: runtimeapi.NetworkReady, Status: true}}
}

func kubeletLabels(ns, pod, uid, container string) map[string]string {
	l := map[string]string{labelPodNamespace: ns, labelPodName: pod, labelPodUID: uid}
	if container != "" {
		l[labelContainerName] = container
	}
	return l
}

func sandbox(id, ns, pod, uid string, state runtimeapi.PodSandboxState) *runtimeapi.PodSandbox {
	return &runtimeapi.PodSandbox{Id: id, State: state, Metadata: &runtimeapi.PodSandboxMetadata{Name: pod, Namespace: ns, Uid: uid}, Labels: kubeletLabels(ns, pod, uid, "")}
}

func container(id, sandboxID, ns, pod, uid, name string, attempt uint32, state runtimeapi.ContainerState) *runtimeapi.Container {
	return &runtimeapi.Container{Id: id, PodSandboxId: sandboxID, State: state, Metadata: &runtimeapi.ContainerMetadata{Name: name, Attempt: attempt},
		Image: &runtimeapi.ImageSpec{Image: "registry.example/app:1"}, Labels: kubeletLabels(ns, pod, uid, name)}
}

// brokenNode is a runtime with one of each problem runtime.containers finds.
func brokenNode() *fakeRuntime {
	const (
		ready    = runtimeapi.PodSandboxState_SANDBOX_READY
		notReady = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
		running  = runtimeapi.ContainerState_CONTAINER_RUNNING
		exited   = runtimeapi.ContainerState_CONTAINER_EXITED
	)
	hand := sandbox("sbhand0000000000aa", "default", "debug", "", ready)
	hand.Labels = map[string]string{}
	return &fakeRuntime{name: "containerd", version: "v2.1.0", conditions: []*runtimeapi.RuntimeCondition{{Type: runtimeapi.RuntimeReady, Status: true}, {Type: runtimeapi.NetworkReady, Status: true}},
		sandboxes: []*runtimeapi.PodSandbox{
			sandbox("sbweb000000000000aa", "shop", "web-1", "uid-web", ready),
			sandbox("sbdead00000000000aa", "shop", "cart-1", "uid-cart", notReady),
			sandbox("sbloop00000000000aa", "shop", "api-1", "uid-api", ready),
			sandbox("sbghost0000000000aa", "shop", "ghost-1", "uid-ghost", ready),
			hand,
		},
		containers: []*runtimeapi.Container{
			container("ctweb000000000000aa", "sbweb000000000000aa", "shop", "web-1", "uid-web", "web", 0, running),
			container("ctcart00000000000aa", "sbdead00000000000aa", "shop", "cart-1", "uid-cart", "cart", 0, running),
			container("ctloop30000000000aa", "sbloop00000000000aa", "shop", "api-1", "uid-api", "api", 6, exited),
			container("ctloop20000000000aa", "sbloop00000000000aa", "shop", "api-1", "uid-api", "api", 5, exited),
			container("ctside00000000000aa", "sbloop00000000000aa", "shop", "api-1", "uid-api", "sidecar", 4, exited),
			container("ctok000000000000aaa", "sbloop00000000000aa", "shop", "api-1", "uid-api", "warm", 1, exited),
			{Id: "cthand00000000000aa", PodSandboxId: "sbhand0000000000aa", State: running, Metadata: &runtimeapi.ContainerMetadata{Name: "miner"}, Image: &runtimeapi.ImageSpec{Image: "evil.example/xmrig:latest"}},
		},
		statuses: map[string]*runtimeapi.ContainerStatus{
			"ctloop30000000000aa": {ExitCode: 1, Reason: "Error", Message: "config.yaml: no such file"},
			"ctside00000000000aa": {ExitCode: 137, Reason: "OOMKilled"},
		}}
}

func TestContainersFromACRIServer(t *testing.T) {
	sock := serveCRI(t, brokenNode(), &fakeImages{})
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").
		Mkdir(taskDir + "/k8s.io/sbweb000000000000aa").
		Mkdir(taskDir + "/k8s.io/ctweb000000000000aa").
		Mkdir(taskDir + "/k8s.io/ctrbehindback").
		Mkdir(taskDir + "/default/redis").
		Mkdir(taskDir + "/moby/0123abc")
	env := nodeEnv(tr, sock)
	pods := []*corev1.Pod{}
	for _, p := range []struct{ name, uid string }{{"web-1", "uid-web"}, {"cart-1", "uid-cart"}, {"api-1", "uid-api"}} {
		pods = append(pods, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: p.name, UID: types.UID(p.uid)}})
	}
	env.Snapshot = checktest.Snapshot(t, pods[0], pods[1], pods[2])
	r := checktest.RunCheck(t, env, "runtime.containers")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, "pod shop/cart-1: 1 containers run in the NotReady sandbox", checks.StatusWarn)
	if f.Object == nil || f.Object.Name != "cart-1" {
		t.Errorf("dead sandbox object %+v", f.Object)
	}
	loop := requireFinding(t, r, "pod shop/api-1: container api has exited 6 times", checks.StatusWarn)
	ev := strings.Join(loop.Evidence, "\n")
	for _, want := range []string{"api (ctloop3000000): attempt 6 exited with code 1, reason Error: config.yaml: no such file", "sidecar (ctside0000000): attempt 4 exited with code 137, reason OOMKilled"} {
		if !strings.Contains(ev, want) {
			t.Errorf("loop evidence lacks %q:\n%s", want, ev)
		}
	}
	if strings.Contains(ev, "warm") || strings.Contains(ev, "attempt 5") {
		t.Errorf("a container under the threshold or an older attempt counted:\n%s", ev)
	}
	requireFinding(t, r, `runs the sandbox "debug" (sbhand0000000), which the kubelet did not create`, checks.StatusWarn)
	requireFinding(t, r, `runs the container "miner" (cthand0000000), which the kubelet did not create`, checks.StatusWarn)
	requireFinding(t, r, "sandbox of pod shop/ghost-1 (uid uid-ghost) that the cluster does not have", checks.StatusWarn)
	k8s := requireFinding(t, r, "1 tasks in its k8s.io namespace that CRI does not list", checks.StatusWarn)
	if strings.Join(k8s.Evidence, ",") != "ctrbehindback" {
		t.Errorf("k8s.io tasks %q", k8s.Evidence)
	}
	requireFinding(t, r, `1 containers in its namespace "default", outside Kubernetes`, checks.StatusWarn)
	requireFinding(t, r, "1 Docker containers (namespace moby)", checks.StatusWarn)
	if n := len(r.Findings); n != 8 {
		t.Errorf("%d findings, want 8:\n%s", n, describeFindings(r))
	}
	checktest.RequireLiteralCommands(t, r)
}

func TestContainersHealthy(t *testing.T) {
	rt := &fakeRuntime{name: "containerd", version: "v2.1.0", conditions: ready(),
		sandboxes:  []*runtimeapi.PodSandbox{sandbox("sb1", "shop", "web-1", "uid-web", runtimeapi.PodSandboxState_SANDBOX_READY)},
		containers: []*runtimeapi.Container{container("ct1", "sb1", "shop", "web-1", "uid-web", "web", 1, runtimeapi.ContainerState_CONTAINER_RUNNING)}}
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").Mkdir(taskDir + "/k8s.io/sb1").Mkdir(taskDir + "/k8s.io/ct1")
	r := checktest.RunCheck(t, nodeEnv(tr, serveCRI(t, rt, nil)), "runtime.containers")
	if r.Status != checks.StatusOK || !strings.Contains(r.Summary, "1 sandboxes and 1 containers") {
		t.Errorf("healthy node:\n%s", describeFindings(r))
	}
}

func TestCRIFromACRIServer(t *testing.T) {
	rt := &fakeRuntime{name: "containerd", version: "v2.1.0", conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: false, Reason: "ContainerdNotReady", Message: "snapshotter overlayfs failed"},
	}, info: map[string]string{
		"lastCNILoadStatus": "OK",
		"config":            `{"pinnedImages":{"sandbox":"registry.k8s.io/pаuse:3.10"},"containerd":{"runtimes":{"runc":{}}}}`,
	}, handlers: []*runtimeapi.RuntimeHandler{{Name: "runc"}, {Name: "kata"}}}
	tr := hosttest.New(t).Mkdir("/etc/kubernetes")
	env := nodeEnv(tr, serveCRI(t, rt, &fakeImages{held: map[string]bool{"registry.k8s.io/pаuse:3.10": true}}))
	env.Snapshot = checktest.Snapshot(t,
		&nodev1.RuntimeClass{TypeMeta: metav1.TypeMeta{APIVersion: "node.k8s.io/v1", Kind: "RuntimeClass"}, ObjectMeta: metav1.ObjectMeta{Name: "gvisor"}, Handler: "runsc"},
		&nodev1.RuntimeClass{TypeMeta: metav1.TypeMeta{APIVersion: "node.k8s.io/v1", Kind: "RuntimeClass"}, ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata"})
	r := checktest.RunCheck(t, env, "runtime.cri")
	requireFinding(t, r, "RuntimeReady=false: ContainerdNotReady: snapshotter overlayfs failed", checks.StatusFail)
	requireFinding(t, r, "reports no NetworkReady condition", checks.StatusWarn)
	look := requireFinding(t, r, "holds characters that only look like others", checks.StatusFail)
	if !strings.Contains(strings.Join(look.Evidence, "\n"), "U+0430") {
		t.Errorf("look-alike evidence %q", look.Evidence)
	}
	h := requireFinding(t, r, `RuntimeClass gvisor names the handler "runsc"`, checks.StatusWarn)
	if h.Object == nil || h.Object.Kind != "RuntimeClass" || !strings.Contains(h.Evidence[0], "kata, runc") && !strings.Contains(h.Evidence[0], "runc, kata") {
		t.Errorf("handler finding %+v", h)
	}
	if strings.Contains(describeFindings(r), "RuntimeClass kata") || strings.Contains(describeFindings(r), "CNI") {
		t.Errorf("unexpected findings:\n%s", describeFindings(r))
	}
	checktest.RequireLiteralCommands(t, r)
}
