//go:build linux

package versions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// kubectlStub is what an old kubectl's bytes say of it, and nothing else: an ELF header, the
// root command's text and the two version stamps its build set, as the linker stores them.
func kubectlStub(version string) string { return kubectlStubFor(version, 0) }

// kubectlStubFor is the same built for the ELF machine given (0: none said).
func kubectlStubFor(version string, machine byte) string {
	header := []byte("\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 56))
	header[18] = machine // e_machine, little-endian
	return string(header) +
		"kubectl controls the Kubernetes cluster manager\x00" +
		"\x00" + version + "\x00" + version + "\x00go1.10.8\x00"
}

// nodeEnv is a live run against the test cluster (API server v1.37.2) on the node tree tr.
func nodeEnv(t *testing.T, tr *hosttest.Tree) *checks.Env {
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	env.Host = &checks.Host{Root: tr.Dir, Since: nodefs.DefaultHostSince}
	return env
}

func TestNodeKubectlTwentyFiveMinorsBehind(t *testing.T) {
	tr := hosttest.New(t).File("/usr/bin/kubectl", kubectlStubFor("v1.12.10", 0xb7 /* EM_AARCH64 */), 0o755)
	r := checktest.RunCheck(t, nodeEnv(t, tr), "versions.node-kubectl")
	if r.Status != checks.StatusFail || len(r.Findings) != 1 {
		t.Fatalf("got %v %q: %+v", r.Status, r.Summary, r.Findings)
	}
	f := r.Findings[0]
	shown := tr.Path("/usr/bin/kubectl")
	want := "/usr/bin/kubectl is kubectl v1.12.10, 25 minors behind the server v1.37: the supported skew is one minor, older or newer"
	if !strings.HasPrefix(f.Message, want) || !f.Cause || f.File == nil || f.File.Path != shown {
		t.Errorf("finding %q (cause %v, file %v)", f.Message, f.Cause, f.File)
	}
	if ev := strings.Join(f.Evidence, "\n"); !strings.Contains(ev, "kubectl: v1.12.10, stamped 2 times in the binary (read, never run)") || !strings.Contains(ev, "built with go1.10.8") {
		t.Errorf("evidence %q", f.Evidence)
	}
	if len(f.Commands) != 2 || f.Commands[0].String() != `grep -a -o -P '\x00\Kv1\.[0-9]+\.[0-9]+[-+.0-9A-Za-z]*(?=\x00)' `+shown+` | sort | uniq -c | sort -rn` || f.Commands[1].String() != "kubectl version" {
		t.Errorf("commands %q", f.Commands)
	}
	// The node's kubectl is built for arm64: the download is the node's, whatever runs kockpit.
	if !strings.Contains(f.Hint, "Install kubectl v1.37 (v1.36 to v1.38 are supported)") || !strings.Contains(f.Hint, "https://dl.k8s.io/release/v1.37.2/bin/linux/arm64/kubectl") ||
		!strings.Contains(f.Hint, "`install -m 0755 /tmp/kubectl "+shown+"`") {
		t.Errorf("hint %q", f.Hint)
	}
}

// TestNodeKubectlRealBinary reads the real kubectl hack/kube-binaries.sh builds (v1.37.2,
// -trimpath, stripped) on the node, never running it.
func TestNodeKubectlRealBinary(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testcluster.BinDir(), "kubectl"))
	if err != nil {
		if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v: run hack/kube-binaries.sh (KOCKPIT_REQUIRE_CLUSTER=1 makes this a failure)", err)
	}
	// Non-executable: a check that ran it would fail.
	tr := hosttest.New(t).Bytes("/usr/local/bin/kubectl", data, 0o644).File("/usr/bin/kubectl", kubectlStub("v1.36.4"), 0o755)
	r := checktest.RunCheck(t, nodeEnv(t, tr), "versions.node-kubectl")
	if r.Status != checks.StatusOK || len(r.Findings) != 2 {
		t.Fatalf("got %v %q: %+v", r.Status, r.Summary, r.Findings)
	}
	if f := checktest.FindingWith(r, "/usr/local/bin/kubectl is kubectl v1.37.2, on the same minor as the server v1.37"); f == nil ||
		!strings.Contains(strings.Join(f.Evidence, "\n"), "kubectl: v1.37.2, stamped 2 times") {
		t.Errorf("the real kubectl is not read: %+v", r.Findings)
	}
	if checktest.FindingWith(r, "/usr/bin/kubectl is kubectl v1.36.4, one minor behind the server v1.37") == nil {
		t.Errorf("the second kubectl is not judged: %+v", r.Findings)
	}
}

// TestNodeKubectlCannotTell: a kubectl whose version cannot be read is said so, never passed;
// a file that is not kubectl is left to host.binaries.
func TestNodeKubectlCannotTell(t *testing.T) {
	t.Run("two versions", func(t *testing.T) {
		tr := hosttest.New(t).File("/usr/bin/kubectl", strings.Replace(kubectlStub("v1.12.10"), "\x00v1.12.10\x00go", "\x00v1.13.0\x00go", 1), 0o755)
		r := checktest.RunCheck(t, nodeEnv(t, tr), "versions.node-kubectl")
		if r.Status != checks.StatusWarn || checktest.FindingWith(r, "cannot tell the version of /usr/bin/kubectl from its bytes: it carries more than one Kubernetes version: v1.12.10, v1.13.0") == nil {
			t.Errorf("got %v %q: %+v", r.Status, r.Summary, r.Findings)
		}
	})
	t.Run("not kubectl", func(t *testing.T) {
		tr := hosttest.New(t).File("/usr/bin/kubectl", "#!/bin/sh\necho 'Unable to connect to the server'\n", 0o755)
		r := checktest.RunCheck(t, nodeEnv(t, tr), "versions.node-kubectl")
		if r.Status != checks.StatusSkip || !strings.HasPrefix(r.Summary, "cannot tell") || checktest.FindingWith(r, "carries nothing of kubectl: not judged") == nil {
			t.Errorf("got %v %q: %+v", r.Status, r.Summary, r.Findings)
		}
	})
	t.Run("no server", func(t *testing.T) {
		tr := hosttest.New(t).File("/usr/bin/kubectl", kubectlStub("v1.12.10"), 0o755)
		env := &checks.Env{Host: &checks.Host{Root: tr.Dir, Since: nodefs.DefaultHostSince}}
		r := checktest.RunCheck(t, env, "versions.node-kubectl")
		if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "the API server's version is unknown") || checktest.FindingWith(r, "/usr/bin/kubectl is kubectl v1.12.10") == nil {
			t.Errorf("got %v %q: %+v", r.Status, r.Summary, r.Findings)
		}
	})
	t.Run("link loop", func(t *testing.T) {
		tr := hosttest.New(t).Symlink("/usr/bin/kubectl", "/usr/bin/kubectl")
		r := checktest.RunCheck(t, nodeEnv(t, tr), "versions.node-kubectl")
		if r.Status == checks.StatusSkip && r.SkipReason == checks.SkipNotInstalled || checktest.FindingWith(r, "cannot tell the version of /usr/bin/kubectl") == nil {
			t.Errorf("a kubectl that cannot be read is taken as absent: %v %q: %+v", r.Status, r.Summary, r.Findings)
		}
	})
	t.Run("no kubectl", func(t *testing.T) {
		r := checktest.RunCheck(t, nodeEnv(t, hosttest.New(t).File("/usr/bin/kubelet", "x", 0o755)), "versions.node-kubectl")
		if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotInstalled {
			t.Errorf("got %v %q", r.Status, r.Summary)
		}
	})
}
