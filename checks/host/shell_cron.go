// host.shell, crontabs: which crontabs are read, their job lines and what cron hands the shell.

package host

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
)

// Crontabs: the system's take a user field, the spool's are named after their user.
var (
	systemCrontabs    = []string{"/etc/crontab"}
	systemCrontabDirs = []string{"/etc/cron.d"}
	userCrontabDirs   = []string{"/var/spool/cron/crontabs", "/var/spool/cron"}
)

// crontabs reads every crontab and judges each job.
func (s *shellScan) crontabs(ctx context.Context) {
	for _, p := range systemCrontabs {
		s.crontab(ctx, p, "")
	}
	for _, dir := range append(systemCrontabDirs, userCrontabDirs...) {
		s.each(ctx, dir, func(e host.Entry) {
			if !e.IsRegular() || strings.HasPrefix(e.Name(), ".") || packageLeftover(e.Name()) {
				return
			}
			user := ""
			if containsString(userCrontabDirs, dir) {
				user = e.Name()
			}
			s.crontab(ctx, e.Path, user)
		})
	}
}

// crontab judges the jobs of one crontab; user is its owner for a user crontab, "" when each
// line names its user.
func (s *shellScan) crontab(ctx context.Context, p, user string) {
	data, ok := s.read(ctx, p)
	if !ok {
		return
	}
	s.tabs++
	n := s.n
	for i, line := range strings.Split(string(data), "\n") {
		job, ok := parseCronLine(line, user == "")
		if !ok {
			continue
		}
		s.jobs++
		if user != "" {
			job.user = user
		}
		show := []checks.Command{checks.Cmd("cat", n.Display(p))}
		if user != "" {
			show = append(show, checks.Cmd("crontab", "-l", "-u", user))
		}
		ev := []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))}
		col := 0
		if at := strings.Index(line, job.command); at >= 0 {
			col = utf8.RuneCountInString(line[:at]) + 1
		}
		reasons := cronReasons(cronShellText(job.command))
		if len(reasons) == 0 {
			s.findings = append(s.findings, checks.Finding{Severity: checks.StatusOK, File: n.Ref(p, i+1, col), Evidence: ev, Commands: show,
				Message: fmt.Sprintf("cron runs `%s` %s as %s", job.command, job.when(), job.user)})
			continue
		}
		s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, i+1, col), Evidence: ev, Commands: show,
			Message: fmt.Sprintf("cron runs `%s` %s as %s, and it %s: a job like this puts a breakage back after you fix it", job.command, job.when(), job.user, strings.Join(reasons, ", ")),
			Hint:    fmt.Sprintf("Comment out line %d of %s (cron rereads it by itself), then undo what the job did.", i+1, n.Display(p))})
	}
}

// packageLeftover is a file a package manager left beside a crontab it updated: cron does not
// read it (Debian's reads no name with a dot at all, cronie skips these).
func packageLeftover(name string) bool {
	for _, suffix := range []string{"~", ".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-tmp", ".dpkg-bak", ".ucf-old", ".ucf-dist", ".rpmsave", ".rpmnew", ".rpmorig", ".swp"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// cronJob is one line of a crontab.
type cronJob struct {
	schedule []string // five fields, or one @keyword
	user     string
	command  string
}

// when says how often a job runs, as a person would.
func (c cronJob) when() string {
	s := strings.Join(c.schedule, " ")
	everyMinute := len(c.schedule) == 5
	for i, f := range c.schedule {
		everyMinute = everyMinute && (f == "*" || f == "*/1" || i == 0 && (f == "0-59" || f == "0-59/1"))
	}
	switch {
	case everyMinute || s == "@minutely":
		return "every minute"
	case s == "@reboot":
		return "at every boot"
	}
	return "on schedule `" + s + "`"
}

// parseCronLine reads a job line; comments, blank lines and VAR=value lines are not jobs.
func parseCronLine(line string, withUser bool) (cronJob, bool) {
	text := strings.TrimSpace(line)
	if text == "" || strings.HasPrefix(text, "#") {
		return cronJob{}, false
	}
	fields := strings.Fields(text)
	nSchedule := 5
	if strings.HasPrefix(fields[0], "@") {
		nSchedule = 1
	} else if eq := strings.Index(text, "="); eq > 0 && !strings.ContainsAny(strings.TrimRight(text[:eq], " \t"), " \t*/,") {
		return cronJob{}, false // an environment line: SHELL=/bin/sh, or NAME = value
	}
	need := nSchedule + 1
	if withUser {
		need++
	}
	if len(fields) < need {
		return cronJob{}, false
	}
	job := cronJob{schedule: fields[:nSchedule]}
	rest := fields[nSchedule:]
	if withUser {
		job.user, rest = rest[0], rest[1:]
	}
	// The command is the rest of the line as written, spacing and all.
	for _, f := range fields[:len(fields)-len(rest)] {
		text = strings.TrimLeftFunc(text, unicode.IsSpace)[len(f):]
	}
	job.command = strings.TrimSpace(text)
	return job, job.command != ""
}

// cronShellText is what cron hands the shell: an unescaped % ends the command and the rest goes to
// its standard input, one line per %, and \% is a %. A shell reading that input (sh%kubectl ...)
// runs it, so the lines are judged as commands too.
func cronShellText(cmd string) string {
	var b strings.Builder
	for i := 0; i < len(cmd); i++ {
		switch {
		case cmd[i] == '\\' && i+1 < len(cmd) && cmd[i+1] == '%':
			b.WriteByte('%')
			i++
		case cmd[i] == '%':
			b.WriteByte('\n')
		default:
			b.WriteByte(cmd[i])
		}
	}
	return b.String()
}
