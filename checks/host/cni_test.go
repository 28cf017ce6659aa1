//go:build linux

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

const bridgeConflist = `{
  "cniVersion": "1.0.0",
  "name": "cbr0",
  "plugins": [
    {"type": "bridge", "bridge": "cni0"},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`

func TestHostCNI(t *testing.T) {
	native := nativeELF(t)
	tr := hosttest.New(t).
		Bytes("/opt/cni/bin/bridge", native, 0o755).
		Bytes("/opt/cni/bin/host-local", native, 0o644).
		File("/opt/cni/bin/loopback", "#!/bin/sh\nexit 0\n", 0o755).
		File("/etc/cni/net.d/00-fake.conf", `{"cniVersion": "0.4.0", "name": "fake", "type": "macvlan"}`, 0o644).
		File("/etc/cni/net.d/10-bridge.conflist", bridgeConflist, 0o644).
		File("/etc/cni/net.d/20-broken.json", "{\n  \"name\": \"x\",\n  \"type\": bridge\n}\n", 0o644).
		File("/etc/cni/net.d/README", "not a config", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.cni")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	requireFinding(t, r, tr, "/etc/cni/net.d/00-fake.conf", `runs the plugin "macvlan", which /opt/cni/bin lacks`, checks.StatusFail)
	f := requireFinding(t, r, tr, "/etc/cni/net.d/00-fake.conf", `comes first, so the runtime uses its network "fake" (macvlan) and ignores 1 other networks`, checks.StatusWarn)
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "10-bridge.conflist: cbr0 (bridge)") {
		t.Errorf("evidence %q", f.Evidence)
	}
	f = requireFinding(t, r, tr, "/etc/cni/net.d/20-broken.json", "is not valid JSON", checks.StatusWarn)
	if f.File.Line != 3 || f.File.Column != 11 {
		t.Errorf("JSON error at %d:%d", f.File.Line, f.File.Column)
	}
	requireFinding(t, r, tr, "/opt/cni/bin/host-local", "has no exec bit", checks.StatusFail)
	requireFinding(t, r, tr, "/opt/cni/bin/loopback", "is a script run by /bin/sh", checks.StatusWarn)
	if findingOn(r, tr, "/opt/cni/bin/bridge", "") != nil || findingOn(r, tr, "/etc/cni/net.d/README", "") != nil {
		t.Errorf("findings:\n%s", describeFindings(r))
	}
}

func TestHostCNIMissing(t *testing.T) {
	tr := hosttest.New(t).Mkdir("/etc/kubernetes").Mkdir("/etc/cni/net.d")
	r := checktest.RunCheck(t, hostEnv(tr), "host.cni")
	requireFinding(t, r, tr, "/etc/cni/net.d", "holds no network config: the node stays NotReady", checks.StatusFail)
	requireFinding(t, r, tr, "/opt/cni/bin", "holds no CNI plugin", checks.StatusFail)

	native := nativeELF(t)
	healthy := hosttest.New(t).File("/etc/cni/net.d/10-bridge.conflist", bridgeConflist, 0o644)
	for _, p := range []string{"bridge", "portmap", "host-local", "loopback"} {
		healthy.Bytes("/opt/cni/bin/"+p, native, 0o755)
	}
	noProblems(t, checktest.RunCheck(t, hostEnv(healthy), "host.cni"))

	r = checktest.RunCheck(t, hostEnv(hosttest.New(t).Mkdir("/srv")), "host.cni")
	if r.Status != checks.StatusSkip {
		t.Errorf("not a node: %v %q", r.Status, r.Summary)
	}
}
