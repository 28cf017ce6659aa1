//go:build linux

// Tests of host.shell's systemd timers and the unit-file reader.

package host

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func TestHostShellSystemdTimers(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/systemd/system/kube-fix.timer", "[Unit]\nDescription=keep it broken\n\n[Timer]\nOnCalendar=minutely\nOnBootSec=1min\n\n[Install]\nWantedBy=timers.target\n", 0o644).
		File("/etc/systemd/system/kube-fix.service", "[Unit]\nDescription=x\n\n[Service]\nType=oneshot\nExecStart=-/bin/sh -c 'iptables -I INPUT -p tcp --dport 6443 -j DROP'\n", 0o644).
		File("/etc/systemd/system/kube-fix.service.d/10-more.conf", "[Service]\nExecStartPost=/usr/bin/chattr \\\n    +i /etc/kubernetes/manifests/etcd.yaml\n", 0o644).
		File("/etc/systemd/system/backup.timer", "[Timer]\nOnCalendar=daily\nUnit=nightly.service\n", 0o644).
		File("/usr/lib/systemd/system/nightly.service", "[Service]\nExecStart=/usr/local/bin/backup.sh --to /srv/backup\n", 0o644).
		File("/etc/systemd/system/orphan.timer", "[Timer]\nOnCalendar=hourly\n", 0o644).
		File("/lib/systemd/system/apt-daily.timer", "[Timer]\nOnCalendar=*-*-* 6,18:00\n", 0o644).
		File("/lib/systemd/system/apt-daily.service", "[Service]\nExecStart=/usr/lib/apt/apt.systemd.daily update\n", 0o644).
		Symlink("/etc/systemd/system/timers.target.wants/apt-daily.timer", "/lib/systemd/system/apt-daily.timer").
		Symlink("/etc/systemd/system/fstrim.timer", "/lib/systemd/system/apt-daily.timer")
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	f := requireFinding(t, r, tr, "/etc/systemd/system/kube-fix.service",
		"the timer kube-fix.timer runs `/bin/sh -c 'iptables -I INPUT -p tcp --dport 6443 -j DROP'` on OnCalendar=minutely, OnBootSec=1min, and it changes the network or the kernel", checks.StatusWarn)
	if f.File.Line != 6 || f.File.Column != 12 || !strings.Contains(f.Hint, "systemctl disable --now kube-fix.timer") {
		t.Errorf("at %d:%d, hint %q", f.File.Line, f.File.Column, f.Hint)
	}
	f = requireFinding(t, r, tr, "/etc/systemd/system/kube-fix.service.d/10-more.conf", "runs `/usr/bin/chattr +i /etc/kubernetes/manifests/etcd.yaml`", checks.StatusWarn)
	if f.File.Line != 2 {
		t.Errorf("a continued line is named by its first line: %d", f.File.Line)
	}
	requireFinding(t, r, tr, "/usr/lib/systemd/system/nightly.service", "the timer backup.timer runs `/usr/local/bin/backup.sh --to /srv/backup` on OnCalendar=daily", checks.StatusOK)

	// A drop-in's empty ExecStart= drops the unit's: only the drop-in's command runs.
	tr.File("/etc/systemd/system/nightly.service.d/override.conf", "[Service]\nExecStart=\nExecStart=/usr/bin/chattr +i /etc/hosts\n", 0o644)
	r2 := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	requireFinding(t, r2, tr, "/etc/systemd/system/nightly.service.d/override.conf", "the timer backup.timer runs `/usr/bin/chattr +i /etc/hosts`", checks.StatusWarn)
	if f := findingOn(r2, tr, "/usr/lib/systemd/system/nightly.service", "backup.sh"); f != nil {
		t.Errorf("a command a drop-in reset is judged: %s", f.Message)
	}
	requireFinding(t, r, tr, "/etc/systemd/system/orphan.timer", "starts orphan.service, which does not exist", checks.StatusOK)
	for _, fd := range r.Findings {
		if strings.Contains(fd.Message, "apt") {
			t.Errorf("a packaged timer was judged: %s", fd.Message)
		}
	}
	if r.Status != checks.StatusWarn || !strings.HasPrefix(r.Summary, "/etc/systemd/system/kube-fix.service") {
		t.Errorf("status %v, summary %q", r.Status, r.Summary)
	}

	noProblems(t, checktest.RunCheck(t, hostEnv(hosttest.New(t).
		File("/etc/systemd/system/backup.timer", "[Timer]\nOnCalendar=daily\n", 0o644).
		File("/etc/systemd/system/backup.service", "[Service]\nExecStart=/usr/local/bin/backup.sh\n", 0o644)), "host.shell"))
	r = checktest.RunCheck(t, hostEnv(hosttest.New(t).
		File("/root/.bashrc", "alias k=kubectl\n", 0o644).
		File("/etc/systemd/system/backup.timer", "[Timer]\nOnCalendar=daily\n", 0o644).
		File("/etc/systemd/system/backup.service", "[Service]\nExecStart=/usr/local/bin/backup.sh\n", 0o644)), "host.shell")
	if r.Summary != "1 shell start-up file, 0 crontabs and 1 systemd timer (1 job) read: no alias, function, hook or job changes what you type" {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestUnitSettings(t *testing.T) {
	text := "[Unit]\nExecStart=/not/this\n[Service]\n# ExecStart=/commented\n; also a comment\nEnvironment=A=1\nExecStart=/bin/a \\\n  b \\\n  c\nExecStart=\n"
	var got []string
	for _, kv := range unitSettings(text, "Service") {
		got = append(got, fmt.Sprintf("%d %s=%s", kv.line, kv.key, kv.value))
	}
	want := []string{"6 Environment=A=1", "7 ExecStart=/bin/a b c", "10 ExecStart="}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestUnitSettingsLongContinuation: a unit file of a million lines each continued with a
// backslash is joined in time linear in its size (joining by concatenation copied the setting
// once per line: hours for 4 MiB, past the check's timeout).
func TestUnitSettingsLongContinuation(t *testing.T) {
	text := "[Service]\nExecStart=/bin/x \\\n" + strings.Repeat("a \\\n", 1<<20) + "end\n"
	start := time.Now()
	got := unitSettings(text, "Service")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
	if len(got) != 1 || got[0].line != 2 || !strings.HasPrefix(got[0].value, "/bin/x a a ") || !strings.HasSuffix(got[0].value, " a end") {
		t.Errorf("got %d settings", len(got))
	}
}
