//go:build linux

package runtime

import (
	"os"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

const systemdKubelet = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n"

func brokenRuntimeNode(t *testing.T) *hosttest.Tree {
	return hosttest.New(t).Mkdir("/etc/kubernetes").
		File(containerdConfigPath, brokenContainerdConfig, 0o644).
		File("/var/lib/kubelet/config.yaml", systemdKubelet, 0o644).
		File("/etc/containerd/certs.d/registry.k8s.io/hosts.toml", "server = \"https://registry.k8s.io\"\n\n[host.\"https://mirror.internal:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n", 0o644).
		File("/etc/containerd/certs.d/quay.io/hosts.toml", "server = \"https://quay.io\"\n", 0o644).
		File("/lib/systemd/system/containerd.service", "[Unit]\nDescription=containerd\n[Service]\nExecStart=/usr/bin/containerd\nLimitNOFILE=infinity\nTasksMax=infinity\n", 0o644).
		File("/etc/systemd/system/containerd.service.d/10-limits.conf", "[Service]\nLimitNPROC=64\nLimitNOFILE=4096\n", 0o644)
}

func TestConfigWithAnOldContainerd(t *testing.T) {
	// containerd 1.6 does not implement RuntimeConfig: the file's SystemdCgroup is what counts.
	tr := brokenRuntimeNode(t)
	r := checktest.RunCheck(t, nodeEnv(tr, startContainerd(t)), "runtime.config")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, "containerd uses the cgroupfs cgroup driver and the kubelet systemd", checks.StatusFail)
	if f.File.Path != tr.Path(containerdConfigPath) || f.File.Line != 10 || !f.Cause {
		t.Errorf("mismatch finding at %+v", f.File)
	}
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "line 10: SystemdCgroup = false (runtime runc)") {
		t.Errorf("mismatch evidence %q", f.Evidence)
	}
	typo := requireFinding(t, r, `containerd ignores plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options.SystemdCgroups (one character away from SystemdCgroup)`, checks.StatusFail)
	if typo.File.Line != 11 || typo.File.Column != 9 {
		t.Errorf("typo at %d:%d", typo.File.Line, typo.File.Column)
	}
	look := requireFinding(t, r, "line 4 holds characters that only look like others", checks.StatusFail)
	if look.File.Column != 37 || !strings.Contains(strings.Join(look.Evidence, "\n"), "U+0430 CYRILLIC SMALL LETTER A") {
		t.Errorf("look-alike %+v %q", look.File, look.Evidence)
	}
	mirror := requireFinding(t, r, "containerd sends pulls from docker.io to https://hub.evil.example first", checks.StatusWarn)
	if len(mirror.Evidence) != 1 {
		t.Errorf("the registry itself counted as elsewhere: %q", mirror.Evidence)
	}
	requireFinding(t, r, "containerd sends pulls from registry.k8s.io to https://mirror.internal:5000 first", checks.StatusWarn)
	requireFinding(t, r, "containerd runs with LimitNPROC=64", checks.StatusFail)
	requireFinding(t, r, "containerd runs with LimitNOFILE=4096", checks.StatusWarn)
	if strings.Contains(describeFindings(r), "TasksMax") || strings.Contains(describeFindings(r), "quay.io") {
		t.Errorf("infinity or a registry's own server judged:\n%s", describeFindings(r))
	}
	// containerd answered, so runtime.cri judges its live sandbox image, not this check.
	if strings.Contains(describeFindings(r), "cluster to compare") {
		t.Errorf("sandbox image judged twice:\n%s", describeFindings(r))
	}
	checktest.RequireLiteralCommands(t, r)
}

func TestConfigWhenTheRuntimeReportsItsCgroupDriver(t *testing.T) {
	driver := runtimeapi.CgroupDriver_SYSTEMD
	rt := &fakeRuntime{name: "containerd", version: "v2.1.0", conditions: ready(), cgroupDriver: &driver}
	tr := brokenRuntimeNode(t)
	r := checktest.RunCheck(t, nodeEnv(tr, serveCRI(t, rt, nil)), "runtime.config")
	requireFinding(t, r, "containerd reports its cgroup driver (systemd) over CRI", checks.StatusOK)
	if strings.Contains(describeFindings(r), "cgroup driver and the kubelet") {
		t.Errorf("compared although the runtime reports its driver:\n%s", describeFindings(r))
	}
}

func TestConfigWhenTheRuntimeIsDown(t *testing.T) {
	tr := brokenRuntimeNode(t)
	r := checktest.RunCheck(t, nodeEnv(tr, ""), "runtime.config")
	requireFinding(t, r, "containerd uses the cgroupfs cgroup driver and the kubelet systemd", checks.StatusFail)
	requireFinding(t, r, `no cluster to compare with: the sandbox image's tag "3.10"`, checks.StatusOK)
}

func TestConfigDefaultsAreHealthy(t *testing.T) {
	// containerd 1.6's own `containerd config default`, with the kubelet on cgroupfs.
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").
		File(containerdConfigPath, containerd16Default, 0o644).
		File("/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\ncgroupDriver: cgroupfs\n", 0o644)
	r := checktest.RunCheck(t, nodeEnv(tr, ""), "runtime.config")
	for _, f := range r.Findings {
		if f.Severity > checks.StatusOK {
			t.Errorf("default config:\n%s", describeFindings(r))
			break
		}
	}
}

func TestConfigVersion3(t *testing.T) {
	const v3 = `version = 3
[plugins."io.containerd.cri.v1.images".pinned_images]
  sandbox = "registry.k8s.io/pause:3.10"
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
  SystemdCgroup = true
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_port = "0"
  sandbox_image = "registry.k8s.io/pause:3.9"
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.kata]
  runtime_type = "io.containerd.kata.v2"
  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.kata.options]
    ConfigPath = "/opt/kata/configuration.toml"
`
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").
		File(containerdConfigPath, v3, 0o644).
		File("/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n", 0o644)
	r := checktest.RunCheck(t, nodeEnv(tr, ""), "runtime.config")
	f := requireFinding(t, r, `containerd ignores plugins."io.containerd.grpc.v1.cri".sandbox_image: config version 3 has no such key`, checks.StatusWarn)
	if f.File.Line != 8 {
		t.Errorf("line %d", f.File.Line)
	}
	requireFinding(t, r, "containerd uses the systemd cgroup driver and the kubelet cgroupfs", checks.StatusFail)
	requireFinding(t, r, `the sandbox image's tag "3.10"`, checks.StatusOK)
	if strings.Contains(describeFindings(r), "ConfigPath") {
		t.Errorf("a kata option judged as runc's:\n%s", describeFindings(r))
	}
}

func TestCRIOConfig(t *testing.T) {
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").
		File(crioConfigPath, "[crio.runtime]\ncgroup_manager = \"systemd\"\n[crio.image]\npause_image = \"registry.k8s.io/pause:3.10\"\n", 0o644).
		File(crioDropInDir+"/20-cgroupfs.conf", "[crio.runtime]\ncgroup_manager = \"cgroupfs\"\n", 0o644).
		File("/var/lib/kubelet/config.yaml", systemdKubelet, 0o644)
	r := checktest.RunCheck(t, nodeEnv(tr, ""), "runtime.config")
	f := requireFinding(t, r, "CRI-O uses the cgroupfs cgroup driver and the kubelet systemd", checks.StatusFail)
	if f.File.Path != tr.Path(crioDropInDir+"/20-cgroupfs.conf") || f.File.Line != 2 {
		t.Errorf("at %+v", f.File)
	}
}

var containerd16Default = func() string {
	data, err := os.ReadFile("testdata/containerd-1.6-default.toml")
	if err != nil {
		panic(err)
	}
	return string(data)
}()
