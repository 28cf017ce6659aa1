//go:build linux

package host

import (
	"debug/elf"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/executable"
)

// nativeELF is the head of a program built for the machine the tests run on.
func nativeELF(t *testing.T) []byte {
	t.Helper()
	a, ok := executable.ElfArches[runtime.GOARCH]
	if !ok || runtime.GOOS != "linux" {
		t.Skipf("no ELF description for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return checktest.ELFHeader(a.Class, a.Data, elf.ELFOSABI_NONE, elf.ET_DYN, a.Machine)
}

// foreignELF is the head of a program for an architecture other than this machine's.
func foreignELF() []byte {
	if runtime.GOARCH == "s390x" {
		return checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_X86_64)
	}
	return checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_S390)
}

func TestHostBinaries(t *testing.T) {
	native := nativeELF(t)
	tr := hosttest.New(t).
		File("/usr/bin/kubectl", "#!/bin/sh\n# hide kube-system\nexec /usr/local/bin/.kubectl \"$@\" | grep -v kube-system\n", 0o755).
		Bytes("/usr/bin/kubeadm", native, 0o644).
		Bytes("/usr/bin/chmod", native, 0o644).
		Bytes("/usr/local/bin/kubelet", checktest.MachOHeader(0x0100000c), 0o755).
		Bytes("/usr/bin/crictl", foreignELF(), 0o755).
		Bytes("/usr/bin/runc", native, 0o755).Chmod("/usr/bin/runc", 0o757).
		Bytes("/usr/sbin/xtables-nft-multi", native, 0o755).
		Symlink("/usr/sbin/iptables", "xtables-nft-multi").
		Symlink("/sbin", "usr/sbin").
		Symlink("/usr/bin/ip", "/usr/lib/missing/ip").
		Bytes("/usr/bin/containerd", native, 0o755)
	r := checktest.RunCheck(t, hostEnv(tr), "host.binaries")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/usr/bin/kubeadm", "has no exec bit: running kubeadm only says \"permission denied\"", checks.StatusFail)
	if !strings.Contains(f.Hint, "chmod +x "+tr.Path("/usr/bin/kubeadm")) {
		t.Errorf("hint %q", f.Hint)
	}
	if runtime.GOARCH == "amd64" && !strings.Contains(f.Hint, "/lib64/ld-linux-x86-64.so.2 "+tr.Path("/usr/bin/chmod")+" +x "+tr.Path("/usr/bin/kubeadm")) {
		t.Errorf("hint lacks the dynamic linker: %q", f.Hint)
	}
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "chmod at "+tr.Path("/usr/bin/chmod")+" has no exec bit either") {
		t.Errorf("evidence %q", f.Evidence)
	}
	requireFinding(t, r, tr, "/usr/bin/chmod", "has no exec bit", checks.StatusFail)
	f = requireFinding(t, r, tr, "/usr/local/bin/kubelet", "is a macOS binary for arm64: it cannot run on this", checks.StatusFail)
	if f.Commands[0].String() != "file "+tr.Path("/usr/local/bin/kubelet") {
		t.Errorf("commands %q", f.Commands)
	}
	requireFinding(t, r, tr, "/usr/bin/crictl", "is an ELF binary for", checks.StatusFail)
	f = requireFinding(t, r, tr, "/usr/bin/kubectl", "is a script run by /bin/sh where the kubectl program is expected", checks.StatusWarn)
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "line 3: exec /usr/local/bin/.kubectl") {
		t.Errorf("script lines not quoted: %q", f.Evidence)
	}
	requireFinding(t, r, tr, "/usr/bin/runc", "is writable by every user", checks.StatusWarn)
	requireFinding(t, r, tr, "/usr/bin/ip", "is a link that leads nowhere", checks.StatusWarn)
	for _, p := range []string{"/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/containerd"} {
		for _, f := range r.Findings {
			if f.File != nil && f.File.Path == tr.Path(p) && f.Severity > checks.StatusOK {
				t.Errorf("a healthy program is flagged: %s: %s", p, f.Message)
			}
		}
	}
	if !strings.Contains(r.Summary, "(and ") {
		t.Errorf("summary %q", r.Summary)
	}

	t.Run("changed after the node joined", func(t *testing.T) {
		tr.File("/etc/kubernetes/pki/ca.crt", "x", 0o644).Mtime("/etc/kubernetes/pki/ca.crt", time.Now().Add(-72*time.Hour))
		r := checktest.RunCheck(t, hostEnv(tr), "host.binaries")
		f := requireFinding(t, r, tr, "/usr/bin/containerd", "after the node joined its cluster", checks.StatusWarn)
		if !strings.Contains(strings.Join(f.Evidence, "\n"), "pki/ca.crt was written then") {
			t.Errorf("evidence %q", f.Evidence)
		}
	})
}

func TestHostBinariesHealthy(t *testing.T) {
	native := nativeELF(t)
	tr := hosttest.New(t)
	for _, name := range nodeBinaries {
		tr.Bytes("/usr/bin/"+name, native, 0o755)
	}
	// Installed long before the node joined; the join itself is old too.
	tr.File("/etc/kubernetes/kubelet.conf", "x", 0o600).Mtime("/etc/kubernetes/kubelet.conf", time.Now().Add(-time.Minute))
	r := checktest.RunCheck(t, hostEnv(tr), "host.binaries")
	noProblems(t, r)
	if !strings.Contains(r.Summary, "13 programs") {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestHostBinariesNoneInstalled(t *testing.T) {
	r := checktest.RunCheck(t, hostEnv(hosttest.New(t).Mkdir("/usr/bin")), "host.binaries")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotInstalled {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}
