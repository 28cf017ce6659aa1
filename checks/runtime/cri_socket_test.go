//go:build linux

package runtime

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/cri/critest"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
)

func TestARuntimeThatNeverAnswersIsAnErrorWithinTheTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tr := hosttest.New(t).Mkdir("/etc/kubernetes")
	env := nodeEnv(tr, critest.Silent(t))
	env.Runtime.Timeout = timeout
	for _, id := range []string{"runtime.cri", "runtime.containers"} {
		start := time.Now()
		r := checktest.RunCheck(t, env, id)
		took := time.Since(start)
		if r.Status != checks.StatusError || !strings.Contains(r.Summary, "the runtime does not answer within 300ms") {
			t.Errorf("%s: %v %q", id, r.Status, r.Summary)
		}
		// One call's timeout, not the check's: well under three of them.
		ratio := float64(took) / float64(timeout)
		if ratio > 3 {
			t.Errorf("%s took %.1f timeouts", id, ratio)
		}
		t.Logf("%s: Error after %.2f timeouts", id, ratio)
	}
}

func TestNoSocketNamesEveryPathTried(t *testing.T) {
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").
		File("/etc/crictl.yaml", "runtime-endpoint: unix:///run/k3s/containerd/containerd.sock\n", 0o644).
		File("/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///var/run/custom.sock\n", 0o644).
		File("/run/crio/crio.sock", "a regular file, not a socket", 0o644)
	r := checktest.RunCheck(t, nodeEnv(tr, ""), "runtime.cri")
	// Under a root other than /, no socket says nothing about the node: a skip naming why.
	if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "--cri-endpoint") {
		t.Errorf("no socket under a tree: %v %q", r.Status, r.Summary)
	}
	// On the node itself it is a failure, with every path tried as evidence.
	_, err := openCRI(t.Context(), openFS(t, nodeEnv(tr, "")))
	f := noSocketFinding(err)
	if f.Severity != checks.StatusFail || !f.Cause {
		t.Errorf("no socket on a node: %+v", f)
	}
	ev := strings.Join(f.Evidence, "\n")
	if !strings.Contains(r.Summary, tr.Path("/var/run/cri-dockerd.sock")+" (crictl's default): absent") {
		t.Errorf("the skip does not name the paths tried: %q", r.Summary)
	}
	for _, want := range []string{
		tr.Path("/run/k3s/containerd/containerd.sock") + " (/etc/crictl.yaml): absent",
		tr.Path("/var/run/custom.sock") + " (the kubelet's containerRuntimeEndpoint): absent",
		tr.Path("/run/containerd/containerd.sock") + " (crictl's default): absent",
		tr.Path("/run/crio/crio.sock") + " (crictl's default): not a socket",
		tr.Path("/var/run/cri-dockerd.sock") + " (crictl's default): absent",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	r = checktest.RunCheck(t, nodeEnv(tr, ""), "runtime.containers")
	if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "see runtime.cri") {
		t.Errorf("runtime.containers without a socket: %v %q", r.Status, r.Summary)
	}
}

func TestTheSocketIsFoundUnderTheRootThroughLinks(t *testing.T) {
	// A real node links /var/run to /run; under --host-root the link's absolute target starts
	// again at the root, never at this machine's /run.
	rt := &fakeRuntime{name: "containerd", version: "v2.1.0", conditions: ready()}
	sock := serveCRI(t, rt, nil)
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").Mkdir("/run/containerd").Mkdir("/var")
	if err := os.Symlink("/run", tr.Path("/var/run")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(sock, tr.Path("/run/containerd/containerd.sock")); err != nil {
		t.Fatal(err)
	}
	tr.File("/var/lib/kubelet/config.yaml", "containerRuntimeEndpoint: unix:///var/run/containerd/containerd.sock\n", 0o644)
	r := checktest.RunCheck(t, nodeEnv(tr, ""), "runtime.cri")
	f := requireFinding(t, r, "containerd v2.1.0 answers on /var/run/containerd/containerd.sock", checks.StatusOK)
	if f.Evidence[0] != "socket /var/run/containerd/containerd.sock (from the kubelet's containerRuntimeEndpoint)" {
		t.Errorf("evidence %q", f.Evidence)
	}
}

func TestAListLargerThanTheCapConcludesNothing(t *testing.T) {
	rt := &fakeRuntime{name: "containerd", version: "v2.1.0", conditions: ready()}
	for i := range 2000 {
		id := fmt.Sprintf("sb%04d", i)
		rt.sandboxes = append(rt.sandboxes, sandbox(id, "ns", "p"+id, "uid"+id, runtimeapi.PodSandboxState_SANDBOX_READY))
	}
	c, err := cri.Dial(serveCRI(t, rt, nil), cri.Options{MaxResponseBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, err := c.Sandboxes(t.Context())
	if !errors.Is(err, cri.ErrTooLarge) || len(list) != 0 {
		t.Errorf("capped list: %d items, %v", len(list), err)
	}
	r := listError(&criSession{socket: "/run/containerd/containerd.sock"}, err)
	if r.Status != checks.StatusError || !strings.Contains(r.Summary, "nothing is concluded") {
		t.Errorf("result %v %q", r.Status, r.Summary)
	}
}

// openFS opens the env's node root as a host check sees it.
func openFS(t *testing.T, env *checks.Env) *nodefs.FS {
	t.Helper()
	root, err := host.Open(env.Host.Root, nodefs.Limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &nodefs.FS{Root: root, Env: env, Now: time.Now(), Since: env.Host.Since}
}
