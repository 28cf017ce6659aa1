//go:build linux

// Tests of host.shell's crontabs: which files cron reads and how job lines are spelled.

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func TestHostShellCronSkipsPackageLeftovers(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/cron.d/sysstat.dpkg-old", "* * * * * root chattr +i /etc/hosts\n", 0o644).
		File("/etc/cron.d/job~", "* * * * * root chattr +i /etc/hosts\n", 0o644).
		File("/etc/cron.d/keep", "* * * * * root chattr +i /etc/hosts\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	requireFinding(t, r, tr, "/etc/cron.d/keep", "chattr", checks.StatusWarn)
	if len(r.Findings) != 1 {
		t.Errorf("files cron does not read were judged:\n%s", describeFindings(r))
	}
}

func TestParseCronLine(t *testing.T) {
	for _, c := range []struct {
		line     string
		withUser bool
		want     string // schedule|user|command, "" for no job
	}{
		{"*/5 * * * * root  /usr/bin/true  --x", true, "*/5 * * * *|root|/usr/bin/true  --x"},
		{"@reboot /tmp/x", false, "@reboot||/tmp/x"},
		{"@hourly root", true, ""},
		{"SHELL=/bin/sh", true, ""},
		{"MAILTO=\"\"", false, ""},
		{"  # 1 2 3 4 5 root x", true, ""},
		{"1 2 3 4", false, ""},
		{"0 0 * * * FOO=1 run", false, "0 0 * * *||FOO=1 run"},
		{"\t0\t0 * * *\troot\tcd / && ls", true, "0 0 * * *|root|cd / && ls"},
		{"PATH = /a b c d e f", true, ""},
		{"*/1\t*  *\t* *   root\tsudo  -u root x", true, "*/1 * * * *|root|sudo  -u root x"},
		{"@reboot\troot\tx", true, "@reboot|root|x"},
		{"* * * * * root é=1 x", true, "* * * * *|root|é=1 x"},
	} {
		job, ok := parseCronLine(c.line, c.withUser)
		got := ""
		if ok {
			got = strings.Join(job.schedule, " ") + "|" + job.user + "|" + job.command
		}
		if got != c.want {
			t.Errorf("parseCronLine(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestHostShellCronSpellings(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/cron.d/spellings", "PATH = /usr/bin:/bin a b c d e f\n"+
			"*/1\t*  *\t* *   root\t/bin/sh%iptables -F%\n"+
			"0-59 * * * * root  sudo -u root chattr +i /etc/hosts\n"+
			"57 0 * * 0 root if [ $(date +\\%d) -le 7 ]; then /usr/share/mdadm/checkarray --cron; fi\n"+
			"5 * * * *\tné\tchattr -i /etc/resolv.conf\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	f := requireFinding(t, r, tr, "/etc/cron.d/spellings", "cron runs `/bin/sh%iptables -F%` every minute as root, and it changes the network or the kernel", checks.StatusWarn)
	if f.File.Line != 2 || f.File.Column != 21 {
		t.Errorf("at %d:%d", f.File.Line, f.File.Column)
	}
	requireFinding(t, r, tr, "/etc/cron.d/spellings", "cron runs `sudo -u root chattr +i /etc/hosts` every minute as root, and it changes file attributes or modes", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/cron.d/spellings", "/usr/share/mdadm/checkarray --cron; fi` on schedule `57 0 * * 0` as root", checks.StatusOK)
	// The column counts characters, not bytes.
	f = requireFinding(t, r, tr, "/etc/cron.d/spellings", "cron runs `chattr -i /etc/resolv.conf` on schedule `5 * * * *` as né", checks.StatusWarn)
	if f.File.Line != 5 || f.File.Column != 14 {
		t.Errorf("at %d:%d", f.File.Line, f.File.Column)
	}
	if findingOn(r, tr, "/etc/cron.d/spellings", "as =") != nil || findingOn(r, tr, "/etc/cron.d/spellings", "a b c") != nil {
		t.Errorf("the environment line was read as a job:\n%s", describeFindings(r))
	}
}
