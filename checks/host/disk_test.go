//go:build linux

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
)

func TestHostDiskUse(t *testing.T) {
	n := &nodefs.FS{Root: openRoot(t, "/")}
	tests := []struct {
		u         host.Usage
		space     checks.Severity
		inodes    checks.Severity
		spaceText string
	}{
		{host.Usage{Used: 50, Avail: 50, InodesUsed: 10, InodesFree: 90}, checks.StatusOK, checks.StatusOK, "50% full of space"},
		{host.Usage{Used: 86, Avail: 14, InodesUsed: 10, InodesFree: 90}, checks.StatusWarn, checks.StatusOK, "86% full of space: past 90%"},
		{host.Usage{Used: 97 << 30, Avail: 3 << 30, InodesUsed: 90, InodesFree: 10}, checks.StatusFail, checks.StatusWarn, "97% full of space"},
	}
	for _, tt := range tests {
		got := diskUseFindings(n, "/var/lib/containerd", tt.u)
		if len(got) != 2 || got[0].Severity != tt.space || got[1].Severity != tt.inodes || !strings.Contains(got[0].Message, tt.spaceText) {
			t.Errorf("%+v: %+v", tt.u, got)
		}
	}
	f := diskUseFindings(n, "/", host.Usage{Used: 97 << 30, Avail: 3 << 30})
	if len(f) != 1 || f[0].Evidence[0] != "used 97.0Gi, available 3.0Gi" || f[0].Commands[0].String() != "df -h /" || !strings.Contains(f[0].Hint, "du -xh --max-depth=2 /") {
		t.Errorf("no inodes, or the commands: %+v", f)
	}
}

func openRoot(t *testing.T, dir string) *host.Root {
	t.Helper()
	r, err := host.Open(dir, host.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestHostDiskSparseFile(t *testing.T) {
	tr := hosttest.New(t).
		Sparse("/var/lib/kubelet/pods/x/volumes/filler", 15<<40).
		Sparse("/tmp/small-sparse", 1<<30).
		File("/etc/hosts", "x", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.disk")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/var/lib/kubelet/pods/x/volumes/filler", "is a sparse file of 15.0Ti", checks.StatusWarn)
	if !strings.HasPrefix(f.Evidence[0], "apparent size 15.0Ti, on disk 0B") {
		t.Errorf("evidence %q", f.Evidence)
	}
	if len(r.Findings) != 1 {
		t.Errorf("findings:\n%s", describeFindings(r))
	}
	noProblems(t, checktest.RunCheck(t, hostEnv(hosttest.New(t).File("/etc/hosts", "x", 0o644)), "host.disk"))
}

func TestHostDiskOnThisMachine(t *testing.T) {
	r := checktest.RunCheck(t, &checks.Env{Host: &checks.Host{Root: "/"}}, "host.disk")
	if r.Status == checks.StatusError || r.Status == checks.StatusSkip {
		t.Fatalf("%v: %s", r.Status, r.Summary)
	}
	found := false
	for _, f := range r.Findings {
		found = found || (f.File != nil && f.File.Path == "/" && strings.Contains(f.Message, "full of space"))
	}
	if !found {
		t.Errorf("/ was not measured:\n%s", describeFindings(r))
	}
}
