package catalog

import (
	"context"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri/critest"
)

// craftedRuntime is a CRI runtime whose pods, containers, IDs and images hold crafted values,
// so that the runtime checks' crictl commands carry them.
type craftedRuntime struct {
	runtimeapi.UnimplementedRuntimeServiceServer
}

func (craftedRuntime) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{RuntimeName: "containerd", RuntimeVersion: hostile("version"), RuntimeApiVersion: "v1"}, nil
}

func (craftedRuntime) Status(context.Context, *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: false, Reason: "NetworkPluginNotReady", Message: hostile("cni")},
	}}, Info: map[string]string{"config": `{"sandboxImage":"` + "evil.example/pause:3.1" + `"}`, "lastCNILoadStatus": hostile("cnistatus")}}, nil
}

func (craftedRuntime) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	return &runtimeapi.ListPodSandboxResponse{Items: []*runtimeapi.PodSandbox{
		{Id: hostile("sbdead"), State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY, Metadata: &runtimeapi.PodSandboxMetadata{Name: hostile("pod")},
			Labels: map[string]string{"io.kubernetes.pod.name": hostile("pod"), "io.kubernetes.pod.namespace": hostile("ns"), "io.kubernetes.pod.uid": hostile("uid")}},
		{Id: hostile("sbhand"), State: runtimeapi.PodSandboxState_SANDBOX_READY, Metadata: &runtimeapi.PodSandboxMetadata{Name: hostile("hand")}},
	}}, nil
}

func (craftedRuntime) ListContainers(context.Context, *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	labels := map[string]string{"io.kubernetes.pod.name": hostile("pod"), "io.kubernetes.pod.namespace": hostile("ns"), "io.kubernetes.container.name": hostile("ctr")}
	return &runtimeapi.ListContainersResponse{Containers: []*runtimeapi.Container{
		{Id: hostile("ctdead"), PodSandboxId: hostile("sbdead"), State: runtimeapi.ContainerState_CONTAINER_RUNNING, Metadata: &runtimeapi.ContainerMetadata{Name: hostile("ctr")}, Labels: labels},
		{Id: hostile("ctloop"), PodSandboxId: hostile("sbdead"), State: runtimeapi.ContainerState_CONTAINER_EXITED, Metadata: &runtimeapi.ContainerMetadata{Name: hostile("loop"), Attempt: 9}, Labels: labels},
	}}, nil
}

// craftedRuntimeSocket serves craftedRuntime on a unix socket and returns what the run needs
// to reach it.
func craftedRuntimeSocket(t *testing.T) *checks.Runtime {
	t.Helper()
	sock := critest.Serve(t, craftedRuntime{}, nil)
	return &checks.Runtime{Endpoint: "unix://" + sock}
}

// craftedRuntimeFiles are node files that give runtime.config findings about crafted paths: a
// registry directory with a crafted name whose hosts.toml sends it elsewhere, a task of a
// crafted namespace that CRI does not list, and SystemdCgroup against the kubelet's systemd.
func craftedRuntimeFiles() map[string]string {
	return map[string]string{
		"etc/containerd/config.toml": "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = false\n" +
			"[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n",
		"etc/containerd/certs.d/" + hostile("registry") + "/hosts.toml":                                             "server = \"https://evil.example\"\n",
		"run/containerd/io.containerd.runtime.v2.task/" + hostile("ctrns") + "/" + hostile("task") + "/config.json": "{}",
	}
}
