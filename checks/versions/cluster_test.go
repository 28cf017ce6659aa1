package versions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/internal/executable"
)

// These tests run the versions checks against the real test cluster, whose API server is
// v1.37.2, with the healthy fixtures loaded.

func TestVersionsNodesOnTestCluster(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "versions.nodes")
		if r.Status != checks.StatusOK {
			t.Fatalf("status = %v (%s), want ok: %+v", r.Status, r.Summary, r.Findings)
		}
		if !strings.Contains(r.Summary, "within the skew policy of the server v1.37") {
			t.Errorf("summary = %q", r.Summary)
		}
	})

	t.Run("kubelet three minors older", func(t *testing.T) {
		checktest.Cluster(t).Apply(t, "../../testdata/fixtures/versions-skew/kubelet-three-minors-older.yaml")
		r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "versions.nodes")
		if r.Status != checks.StatusOK {
			t.Fatalf("status = %v (%s), want ok: %+v", r.Status, r.Summary, r.Findings)
		}
		inv := checktest.FindingsWith(r, "versions running on 4 nodes")
		if len(inv) != 1 || !strings.Contains(strings.Join(inv[0].Evidence, "\n"), "kubelet v1.34.6: worker-v1-34") {
			t.Errorf("the old node is not in the inventory: %+v", r.Findings)
		}
	})

	t.Run("kubelet four minors older", func(t *testing.T) {
		checktest.Cluster(t).Apply(t, "../../testdata/fixtures/versions-skew/kubelet-four-minors-older.yaml")
		r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "versions.nodes")
		if r.Status != checks.StatusFail {
			t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
		}
		fs := checktest.FindingsWith(r, "node worker-v1-33: kubelet v1.33 is 4 minors behind the server v1.37")
		if len(fs) != 1 {
			t.Fatalf("findings = %+v", r.Findings)
		}
		f := fs[0]
		if f.Severity != checks.StatusFail || f.Object == nil || f.Object.Kind != "Node" || f.Object.Name != "worker-v1-33" || !f.Written {
			t.Errorf("finding = %+v (an installed version is Written)", f)
		}
		if f.Commands[0].String() != "kubectl get nodes -o wide" {
			t.Errorf("commands = %q", f.Commands)
		}
		if !strings.Contains(strings.Join(f.Evidence, "\n"), "server: v1.37.2") {
			t.Errorf("evidence = %q", f.Evidence)
		}
	})
}

func TestVersionsRuntimeOnTestCluster(t *testing.T) {
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "versions.runtime")
	if r.Status != checks.StatusOK || r.Summary != "all 3 nodes run containerd://2.1.4" {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

func TestVersionsKubectlOnTestCluster(t *testing.T) {
	requireUnixShell(t)
	realKubectl := filepath.Join(checktest.Cluster(t).BinDir, "kubectl")
	if _, err := os.Stat(realKubectl); err != nil {
		if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
			t.Fatalf("no kubectl next to the test cluster's binaries (hack/kube-binaries.sh builds it): %v", err)
		}
		t.Skipf("no kubectl next to the test cluster's binaries: %v", err)
	}
	withPath := func(t *testing.T, dirs ...string) *checks.Env {
		env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
		env.Path = strings.Join(dirs, string(os.PathListSeparator))
		return env
	}

	t.Run("the real kubectl", func(t *testing.T) {
		r := checktest.RunCheck(t, withPath(t, checktest.Cluster(t).BinDir), "versions.kubectl")
		if r.Status != checks.StatusOK {
			t.Fatalf("status = %v (%s), want ok: %+v", r.Status, r.Summary, r.Findings)
		}
		if r.Summary != "kubectl v1.37 is on the same minor as the server v1.37" {
			t.Errorf("summary = %q", r.Summary)
		}
	})

	t.Run("an old kubectl first on PATH", func(t *testing.T) {
		fake := writeKubectl(t, versionScript("v1.12.0"), 0o755)
		r := checktest.RunCheck(t, withPath(t, fake, checktest.Cluster(t).BinDir), "versions.kubectl")
		if r.Status != checks.StatusFail {
			t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
		}
		if !strings.HasPrefix(r.Summary, "kubectl v1.12 is 25 minors behind the server v1.37: the supported skew is one minor") {
			t.Errorf("summary = %q", r.Summary)
		}
		if checktest.FindingWith(r, "is a script run by /bin/sh") == nil {
			t.Errorf("the script is not reported: %+v", r.Findings)
		}
	})

	t.Run("kubectl without exec bit", func(t *testing.T) {
		// The real kubectl's header, without the exec bit: a binary for this host that only
		// needs chmod.
		head, err := executable.ReadFileHead(realKubectl, 4096)
		if err != nil {
			t.Fatal(err)
		}
		dir := writeKubectl(t, head, 0o644)
		r := checktest.RunCheck(t, withPath(t, dir), "versions.kubectl")
		if r.Status != checks.StatusFail || len(r.Findings) != 1 {
			t.Fatalf("got %v (%s): %+v, want one failure", r.Status, r.Summary, r.Findings)
		}
		f := r.Findings[0]
		if !strings.Contains(f.Message, "has no exec bit") || f.File == nil || f.File.Path != filepath.Join(dir, "kubectl") {
			t.Errorf("finding = %+v", f)
		}
	})
}
