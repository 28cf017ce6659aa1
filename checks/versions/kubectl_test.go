package versions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

func TestParseKubectlClientVersion(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"json", `{
  "clientVersion": {"major": "1", "minor": "37", "gitVersion": "v1.37.2", "platform": "linux/amd64"},
  "kustomizeVersion": "v5.7.1"
}`, "v1.37.2"},
		{"json after a warning", "WARNING: something\n{\"clientVersion\":{\"gitVersion\":\"v1.31.0-eks-abc\"}}\n", "v1.31.0-eks-abc"},
		{"json major minor only", `{"clientVersion":{"major":"1","minor":"27+"}}`, "v1.27"},
		{"old text", `Client Version: version.Info{Major:"1", Minor:"12", GitVersion:"v1.12.0", GitCommit:"0ed33881dc4355495f623c6f22e7dd0b7632b7c0", GitTreeState:"clean"}`, "v1.12.0"},
		{"new text", "Client Version: v1.28.4\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\n", "v1.28.4"},
		{"json without clientVersion then text", "{\"serverVersion\":{}}\nClient Version: v1.30.1\n", "v1.30.1"},
		{"garbage", "error: unknown flag: --client\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		got, err := parseKubectlClientVersion([]byte(tt.out))
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: got %q, want an error", tt.name, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// writeKubectl puts a file named kubectl in a new directory and returns the directory.
func writeKubectl(t *testing.T, content []byte, mode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "kubectl")
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

func versionScript(gitVersion string) []byte {
	return []byte(fmt.Sprintf("#!/bin/sh\n# a stand-in for kubectl\nprintf '{\"clientVersion\":{\"gitVersion\":\"%s\"}}\\n'\n", gitVersion))
}

func requireUnixShell(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs a Unix shell and file modes")
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
}

func TestInspectKubectlFixtures(t *testing.T) {
	requireUnixShell(t)
	server := mustKubeVersion(t, "v1.37.2")
	ctx := context.Background()

	t.Run("script reporting the server's version", func(t *testing.T) {
		r := inspectKubectl(ctx, writeKubectl(t, versionScript("v1.37.2"), 0o755), server, nil)
		if r.Status != checks.StatusWarn {
			t.Fatalf("status = %v (%s), want warn", r.Status, r.Summary)
		}
		script := checktest.FindingWith(r, "is a script run by /bin/sh")
		if script == nil || script.Severity != checks.StatusWarn {
			t.Fatalf("no script warning in %+v", r.Findings)
		}
		if !strings.Contains(strings.Join(script.Evidence, "\n"), "line 2: # a stand-in for kubectl") {
			t.Errorf("script evidence does not quote its lines: %q", script.Evidence)
		}
		skew := checktest.FindingWith(r, "kubectl v1.37 is on the same minor as the server v1.37")
		if skew == nil || skew.Severity != checks.StatusOK {
			t.Fatalf("no OK version finding in %+v", r.Findings)
		}
		if got := strings.Join(skew.Evidence, "|"); !strings.Contains(got, "kubectl: v1.37.2") || !strings.Contains(got, "server: v1.37.2") {
			t.Errorf("evidence = %q", got)
		}
	})

	t.Run("script reporting a version 25 minors old", func(t *testing.T) {
		r := inspectKubectl(ctx, writeKubectl(t, versionScript("v1.12.0"), 0o755), server, nil)
		if r.Status != checks.StatusFail {
			t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
		}
		f := checktest.FindingWith(r, "kubectl v1.12 is 25 minors behind the server v1.37: the supported skew is one minor")
		if f == nil || f.Severity != checks.StatusFail || f.Commands[0].String() != "kubectl version" {
			t.Fatalf("no skew failure in %+v", r.Findings)
		}
		if checktest.FindingWith(r, "is a script") == nil {
			t.Errorf("the script warning is missing: %+v", r.Findings)
		}
	})

	t.Run("no exec bit", func(t *testing.T) {
		dir := writeKubectl(t, versionScript("v1.37.2"), 0o644)
		r := inspectKubectl(ctx, dir, server, nil)
		if r.Status != checks.StatusFail {
			t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
		}
		f := checktest.FindingWith(r, "has no exec bit")
		if f == nil || f.File == nil || f.File.Path != filepath.Join(dir, "kubectl") {
			t.Fatalf("no exec-bit finding in %+v", r.Findings)
		}
		if !strings.Contains(f.Hint, "chmod +x "+filepath.Join(dir, "kubectl")) {
			t.Errorf("hint = %q", f.Hint)
		}
		if runtime.GOARCH == "amd64" && !strings.Contains(f.Hint, "/lib64/ld-linux-x86-64.so.2 /usr/bin/chmod +x ") {
			t.Errorf("hint lacks the dynamic linker: %q", f.Hint)
		}
		if checktest.FindingWith(r, "is a script run by /bin/sh") == nil {
			t.Errorf("the header was not read: %+v", r.Findings)
		}
		if len(r.Findings) != 2 {
			t.Errorf("a file that cannot run was run: %+v", r.Findings)
		}
		if !strings.HasPrefix(r.Summary, "kubectl at "+filepath.Join(dir, "kubectl")+" has no exec bit") || !strings.HasSuffix(r.Summary, "(and 1 more)") {
			t.Errorf("summary = %q", r.Summary)
		}
	})

	t.Run("no exec bit and built for another system", func(t *testing.T) {
		r := inspectKubectl(ctx, writeKubectl(t, checktest.MachOHeader(0x01000007), 0o600), server, nil)
		if checktest.FindingWith(r, "has no exec bit") == nil || (runtime.GOOS != "darwin" && checktest.FindingWith(r, "is a macOS binary for amd64") == nil) {
			t.Errorf("findings = %+v", r.Findings)
		}
	})

	t.Run("a kubectl without exec bit before a working one", func(t *testing.T) {
		broken := writeKubectl(t, []byte("#!/bin/sh\nexit 1\n"), 0o644)
		good := writeKubectl(t, versionScript("v1.36.1"), 0o755)
		r := inspectKubectl(ctx, broken+string(os.PathListSeparator)+good, server, nil)
		if f := checktest.FindingWith(r, "comes first on PATH but has no exec bit"); f == nil || f.Severity != checks.StatusWarn {
			t.Errorf("the shadowed file is not reported: %+v", r.Findings)
		}
		if f := checktest.FindingWith(r, "kubectl v1.36 is one minor behind"); f == nil || f.Severity != checks.StatusOK {
			t.Errorf("the kubectl that runs was not compared: %+v", r.Findings)
		}
	})

	t.Run("macOS binary", func(t *testing.T) {
		r := inspectKubectl(ctx, writeKubectl(t, checktest.MachOHeader(0x0100000c), 0o755), server, nil)
		if r.Status != checks.StatusFail {
			t.Fatalf("status = %v (%s), want fail", r.Status, r.Summary)
		}
		if runtime.GOOS != "darwin" && checktest.FindingWith(r, "is a macOS binary for arm64") == nil {
			t.Errorf("findings = %+v", r.Findings)
		}
	})

	t.Run("not installed", func(t *testing.T) {
		r := inspectKubectl(ctx, t.TempDir(), server, nil)
		if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotInstalled {
			t.Errorf("got %v %q, want skip not installed", r.Status, r.SkipReason)
		}
	})

	t.Run("runs with a minimal environment", func(t *testing.T) {
		t.Setenv("KOCKPIT_TEST_LEAK", "leaked")
		script := "#!/bin/sh\nif [ -z \"$KOCKPIT_TEST_LEAK\" ] && [ \"$KUBECONFIG\" = /dev/null ]; then v=v1.37.0; else v=v1.0.0; fi\n" +
			"printf '{\"clientVersion\":{\"gitVersion\":\"%s\"}}' \"$v\"\n"
		r := inspectKubectl(ctx, writeKubectl(t, []byte(script), 0o755), server, nil)
		if checktest.FindingWith(r, "kubectl v1.37 is on the same minor") == nil {
			t.Errorf("kubectl saw the caller's environment: %+v", r.Findings)
		}
	})

	t.Run("fails with a fake error", func(t *testing.T) {
		script := "#!/bin/sh\necho 'error: You must be logged in to the server (Unauthorized)' >&2\nexit 1\n"
		r := inspectKubectl(ctx, writeKubectl(t, []byte(script), 0o755), server, nil)
		f := checktest.FindingWith(r, "fails `kubectl version --client`")
		if f == nil || f.Severity != checks.StatusFail {
			t.Fatalf("findings = %+v", r.Findings)
		}
		if !strings.Contains(strings.Join(f.Evidence, "\n"), "You must be logged in") {
			t.Errorf("stderr not quoted: %q", f.Evidence)
		}
	})

	t.Run("prints no version", func(t *testing.T) {
		r := inspectKubectl(ctx, writeKubectl(t, []byte("#!/bin/sh\necho hello\n"), 0o755), server, nil)
		if f := checktest.FindingWith(r, "printed no version"); f == nil || f.Severity != checks.StatusWarn {
			t.Errorf("findings = %+v", r.Findings)
		}
	})

	t.Run("hangs", func(t *testing.T) {
		dir := writeKubectl(t, []byte("#!/bin/sh\nsleep 30\n"), 0o755)
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		r := inspectKubectl(ctx, dir+string(os.PathListSeparator)+"/usr/bin:/bin", server, nil)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %s", d)
		}
		if f := checktest.FindingWith(r, "did not answer"); f == nil || f.Severity != checks.StatusFail {
			t.Errorf("findings = %+v", r.Findings)
		}
	})

	t.Run("server version unknown", func(t *testing.T) {
		r := inspectKubectl(ctx, writeKubectl(t, versionScript("v1.37.2"), 0o755), nil, fmt.Errorf("listing pods: %w", kube.ErrNotCollected))
		if r.Status != checks.StatusWarn || !strings.Contains(r.Summary, "server version unknown") {
			t.Errorf("got %v %q", r.Status, r.Summary)
		}
	})
}

func TestKubectlResultWithoutServer(t *testing.T) {
	info := []checks.Finding{{Severity: checks.StatusOK, Message: "kubectl v1.37.2 at /usr/bin/kubectl"}}
	r := kubectlResult(info, nil, fmt.Errorf("server version: %w", kube.ErrOffline))
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipOffline || len(r.Findings) != 1 {
		t.Errorf("got %v %q %+v, want a skip that keeps the evidence", r.Status, r.SkipReason, r.Findings)
	}
}
