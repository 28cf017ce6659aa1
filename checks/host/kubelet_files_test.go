//go:build linux

package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/host/hosttest"
)

// kubeletTree is a kubeadm node's kubelet files, each mode as kubeadm writes it.
func kubeletTree(t *testing.T) *hosttest.Tree {
	return hosttest.New(t).
		File("/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n", 0o644).
		File("/var/lib/kubelet/kubeadm-flags.env", "KUBELET_KUBEADM_ARGS=\"\"\n", 0o644).
		File("/etc/kubernetes/kubelet.conf", "kind: Config\n", 0o600).
		File("/var/lib/kubelet/pki/kubelet.crt", "cert", 0o644).
		File("/var/lib/kubelet/pki/kubelet.key", "key", 0o600).
		File("/var/lib/kubelet/pki/kubelet-client-2026-12-01-10-00-00.pem", "cert and key", 0o600).
		Symlink("/var/lib/kubelet/pki/kubelet-client-current.pem", "/var/lib/kubelet/pki/kubelet-client-2026-12-01-10-00-00.pem")
}

// brokenKubeletFacts are what the breakage sets on the tree: the config immutable, the flags
// append-only, the kubelet's key given to uid 1000.
var brokenKubeletFacts = map[string]host.RecordedFile{
	"/var/lib/kubelet/config.yaml":                                {Immutable: true},
	"/var/lib/kubelet/kubeadm-flags.env":                          {AppendOnly: true},
	"/var/lib/kubelet/pki/kubelet.key":                            {Uid: ptr(uint32(1000)), Gid: ptr(uint32(1000))},
	"/etc/kubernetes/kubelet.conf":                                {},
	"/var/lib/kubelet/pki/kubelet.crt":                            {},
	"/var/lib/kubelet/pki":                                        {},
	"/var/lib/kubelet/pki/kubelet-client-2026-12-01-10-00-00.pem": {},
}

func ptr[T any](v T) *T { return &v }

// TestHostKubeletFiles judges the same breakage twice: set on the file system (as root, with
// chattr and chown) and recorded in an unpacked tree's sidecar (as anyone).
func TestHostKubeletFiles(t *testing.T) {
	t.Run("sidecar", func(t *testing.T) {
		tr := kubeletTree(t)
		env := hostEnv(tr)
		env.Host.Unpacked = true
		env.Host.Recorded = writeSidecar(t, brokenKubeletFacts)
		assertBrokenKubeletFiles(t, tr, checktest.RunCheck(t, env, "host.kubelet-files"), true)
	})
	t.Run("file system", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("not root: chown and chattr need root; the sidecar subtest judges the same facts")
		}
		tr := kubeletTree(t)
		if err := tr.SetAttrs("/var/lib/kubelet/config.yaml", true, false); err != nil {
			t.Skipf("chattr +i is not supported here (%v); the sidecar subtest judges the same facts", err)
		}
		if err := tr.SetAttrs("/var/lib/kubelet/kubeadm-flags.env", false, true); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(tr.Path("/var/lib/kubelet/pki/kubelet.key"), 1000, 1000); err != nil {
			t.Fatal(err)
		}
		assertBrokenKubeletFiles(t, tr, checktest.RunCheck(t, hostEnv(tr), "host.kubelet-files"), false)

		// Cleared and given back, the same tree is fine.
		for _, p := range []string{"/var/lib/kubelet/config.yaml", "/var/lib/kubelet/kubeadm-flags.env"} {
			if err := tr.SetAttrs(p, false, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Lchown(tr.Path("/var/lib/kubelet/pki/kubelet.key"), 0, 0); err != nil {
			t.Fatal(err)
		}
		noProblems(t, checktest.RunCheck(t, hostEnv(tr), "host.kubelet-files"))
	})
}

func assertBrokenKubeletFiles(t *testing.T, tr *hosttest.Tree, r checks.Result, nodePaths bool) {
	t.Helper()
	at := func(p string) string {
		if nodePaths {
			return p
		}
		return tr.Path(p)
	}
	find := func(p, msg string, sev checks.Severity) checks.Finding {
		t.Helper()
		for _, f := range r.Findings {
			if f.File != nil && f.File.Path == at(p) && strings.Contains(f.Message, msg) {
				if f.Severity != sev {
					t.Errorf("%q is %v, want %v", f.Message, f.Severity, sev)
				}
				return f
			}
		}
		t.Fatalf("no finding on %s saying %q:\n%s", p, msg, describeFindings(r))
		return checks.Finding{}
	}
	if r.Status != checks.StatusFail {
		t.Errorf("status %v", r.Status)
	}
	f := find("/var/lib/kubelet/config.yaml", "is immutable (chattr +i): kubeadm writes it on join and on every `kubeadm upgrade node`, which fail with \"operation not permitted\"", checks.StatusFail)
	if !f.Cause || !strings.Contains(f.Hint, "`chattr -i "+at("/var/lib/kubelet/config.yaml")+"`") ||
		len(f.Commands) != 1 || f.Commands[0].String() != "lsattr -d "+at("/var/lib/kubelet/config.yaml") {
		t.Errorf("immutable finding: %+v", f)
	}
	f = find("/var/lib/kubelet/kubeadm-flags.env", "is append-only (chattr +a)", checks.StatusFail)
	if !strings.Contains(f.Hint, "chattr -a ") {
		t.Errorf("hint %q", f.Hint)
	}
	f = find("/var/lib/kubelet/pki/kubelet.key", "is owned by uid 1000 gid 1000, not root: that user can read the node's private key", checks.StatusWarn)
	if f.Cause || !strings.Contains(f.Hint, "chown root:root ") || f.Commands[0].String() != "stat -c '%U:%G %a %n' "+at("/var/lib/kubelet/pki/kubelet.key") {
		t.Errorf("owner finding: %+v", f)
	}
	if len(r.Findings) != 3 {
		t.Errorf("want 3 findings:\n%s", describeFindings(r))
	}
}

func writeSidecar(t *testing.T, files map[string]host.RecordedFile) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "recorded.json")
	root := uint32(0)
	full := map[string]host.RecordedFile{}
	for k, v := range files {
		if v.Uid == nil {
			v.Uid, v.Gid = &root, &root
		}
		full[k] = v
	}
	if err := host.WriteRecorded(p, &host.Recorded{AttrsComplete: true, Files: full}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostKubeletFilesLooseModes: a kubeconfig readable by everyone and a config anyone may
// write are risks, not failures.
func TestHostKubeletFilesLooseModes(t *testing.T) {
	tr := kubeletTree(t).Chmod("/etc/kubernetes/kubelet.conf", 0o644).Chmod("/var/lib/kubelet/config.yaml", 0o666)
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet-files")
	requireFinding(t, r, tr, "/etc/kubernetes/kubelet.conf", "holds the node's credentials and is readable by its group or by everyone (mode -rw-r--r--)", checks.StatusWarn)
	f := requireFinding(t, r, tr, "/var/lib/kubelet/config.yaml", "is writable by its group or by everyone (mode -rw-rw-rw-): any such user can rewrite the kubelet's config", checks.StatusWarn)
	if !strings.Contains(f.Hint, "chmod go-w ") {
		t.Errorf("hint %q", f.Hint)
	}
	if r.Status != checks.StatusWarn || len(r.Findings) != 2 {
		t.Errorf("got:\n%s", describeFindings(r))
	}
}

// TestHostKubeletFilesUnpackedWithoutSidecar: a copy whose owners and flags are this machine's
// is not judged on them.
func TestHostKubeletFilesUnpackedWithoutSidecar(t *testing.T) {
	env := hostEnv(kubeletTree(t))
	env.Host.Unpacked = true
	r := checktest.RunCheck(t, env, "host.kubelet-files")
	if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "cannot tell") {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

func TestHostKubeletFilesNotAKubeletNode(t *testing.T) {
	r := checktest.RunCheck(t, hostEnv(hosttest.New(t).File("/etc/hosts", "", 0o644)), "host.kubelet-files")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotInstalled {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

// TestHostImmutableLeavesTheKubeletFiles: a flag on the kubelet's config is reported once, by
// host.kubelet-files.
func TestHostImmutableLeavesTheKubeletFiles(t *testing.T) {
	tr := kubeletTree(t)
	env := hostEnv(tr)
	env.Host.Unpacked = true
	env.Host.Recorded = writeSidecar(t, brokenKubeletFacts)
	r := checktest.RunCheck(t, env, "host.immutable")
	if r.Status != checks.StatusOK {
		t.Errorf("host.immutable reports the kubelet's files:\n%s", describeFindings(r))
	}
}

// TestHostImmutableOnAnUnpackedTree: a flag the sidecar records is judged as on a node; without
// a sidecar the copy's flags are this machine's and the check says so.
func TestHostImmutableOnAnUnpackedTree(t *testing.T) {
	tr := hosttest.New(t).File("/etc/resolv.conf", "nameserver 10.96.0.10\n", 0o644).Mkdir("/var/log/pods")
	env := hostEnv(tr)
	env.Host.Unpacked = true
	r := checktest.RunCheck(t, env, "host.immutable")
	if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "inode attributes are this machine's") {
		t.Errorf("without a sidecar: %v %q", r.Status, r.Summary)
	}
	env.Host.Recorded = writeSidecar(t, map[string]host.RecordedFile{"/etc/resolv.conf": {Immutable: true}})
	r = checktest.RunCheck(t, env, "host.immutable")
	if r.Status != checks.StatusFail || len(r.Findings) != 1 || r.Findings[0].File.Path != "/etc/resolv.conf" ||
		!strings.Contains(r.Findings[0].Message, "is immutable (chattr +i)") {
		t.Errorf("with a sidecar:\n%s", describeFindings(r))
	}
}

// TestHostChecksErrorOnABrokenSidecar: facts that cannot be read are an error, never a pass.
func TestHostChecksErrorOnABrokenSidecar(t *testing.T) {
	env := hostEnv(kubeletTree(t))
	env.Host.Unpacked = true
	env.Host.Recorded = filepath.Join(t.TempDir(), "recorded.json")
	if err := os.WriteFile(env.Host.Recorded, []byte(`{"version":1,"files":{"var/x":{}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := checktest.RunCheck(t, env, "host.kubelet-files")
	if r.Status != checks.StatusError || !strings.Contains(r.Summary, `"var/x" is not a clean absolute node path`) {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}

// TestHostKubeletFilesFollowsLinks: a kubelet file that is a link is judged by the file it
// names (a link's own mode is always 0777), and the finding names that file.
func TestHostKubeletFilesFollowsLinks(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/kubernetes/kubelet.conf.d/real.conf", "kind: Config\n", 0o600).
		Symlink("/etc/kubernetes/kubelet.conf", "/etc/kubernetes/kubelet.conf.d/real.conf")
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet-files")
	if r.Status != checks.StatusOK {
		t.Errorf("a link to a root-owned 0600 file: got %v\n%s", r.Status, describeFindings(r))
	}
	tr.Chmod("/etc/kubernetes/kubelet.conf.d/real.conf", 0o644)
	r = checktest.RunCheck(t, hostEnv(tr), "host.kubelet-files")
	requireFinding(t, r, tr, "/etc/kubernetes/kubelet.conf.d/real.conf", "holds the node's credentials and is readable by its group or by everyone (mode -rw-r--r--)", checks.StatusWarn)
}

// TestHostKubeletFilesUnreadableIsNotAbsent: a kubelet file that cannot be read (a link loop)
// is said to be unreadable, never taken for a node without a kubelet.
func TestHostKubeletFilesUnreadableIsNotAbsent(t *testing.T) {
	tr := hosttest.New(t).Symlink("/var/lib/kubelet/config.yaml", "/var/lib/kubelet/config.yaml")
	r := checktest.RunCheck(t, hostEnv(tr), "host.kubelet-files")
	if r.Status == checks.StatusSkip || r.Status == checks.StatusOK {
		t.Fatalf("an unreadable kubelet config: got %v %q", r.Status, r.Summary)
	}
	if !strings.Contains(describeFindings(r), "/var/lib/kubelet/config.yaml could not be read") {
		t.Errorf("got:\n%s", describeFindings(r))
	}
}
