//go:build linux

package runtime

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func TestCRIAgainstRealContainerd(t *testing.T) {
	sock := startContainerd(t)
	tr := hosttest.New(t).Mkdir("/etc/kubernetes")
	r := checktest.RunCheck(t, nodeEnv(tr, sock), "runtime.cri")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	v := requireFinding(t, r, "containerd ", checks.StatusOK)
	if !strings.Contains(v.Message, "1.6") {
		t.Errorf("version finding %q", v.Message)
	}
	f := requireFinding(t, r, "NetworkReady=false", checks.StatusFail)
	if !strings.Contains(f.Message, "cni plugin not initialized") || !f.Cause {
		t.Errorf("NetworkReady finding %+v", f)
	}
	requireFinding(t, r, "last CNI config load failed: cni config load failed: no network config found", checks.StatusFail)
	requireFinding(t, r, "does not hold the sandbox image registry.k8s.io/pause:3.6", checks.StatusWarn)
	requireFinding(t, r, `no cluster to compare with: the sandbox image's tag "3.6"`, checks.StatusOK)
	if strings.Contains(describeFindings(r), "RuntimeReady") {
		t.Errorf("RuntimeReady is true in containerd:\n%s", describeFindings(r))
	}
	checktest.RequireLiteralCommands(t, r)
}
