package host

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// systemd timers are cron's modern twin: a .timer an administrator (or an intruder) put in
// /etc/systemd/system starts its service on a schedule, and that service can put a breakage back
// every minute as well as a crontab can. Timers the distribution ships live in /usr/lib and /lib
// and are not read; links to them in /etc (enabled timers) are not either.

// adminUnitDirs hold the units an administrator wrote rather than a package.
var adminUnitDirs = []string{"/etc/systemd/system", "/run/systemd/system"}

// maxTimers bounds how many timers are read.
const maxTimers = 200

// timers judges the commands that the services of administrator-written timers run.
func (s *shellScan) timers(ctx context.Context) {
	for _, dir := range adminUnitDirs {
		s.each(ctx, dir, func(e host.Entry) {
			if !e.IsRegular() || !strings.HasSuffix(e.Name(), ".timer") || s.timerCount >= maxTimers {
				return
			}
			s.timer(ctx, e.Path)
		})
	}
}

// timer reads one .timer, finds its service and judges each ExecStart of it.
func (s *shellScan) timer(ctx context.Context, p string) {
	data, ok := s.read(ctx, p)
	if !ok {
		return
	}
	s.timerCount++
	n := s.n
	unit := strings.TrimSuffix(path.Base(p), ".timer") + ".service"
	var when []string
	for _, kv := range unitSettings(string(data), "Timer") {
		switch kv.key {
		case "Unit":
			unit = kv.value
		case "OnCalendar", "OnBootSec", "OnStartupSec", "OnActiveSec", "OnUnitActiveSec", "OnUnitInactiveSec":
			when = append(when, kv.key+"="+kv.value)
		}
	}
	schedule := "on its schedule"
	if len(when) > 0 {
		schedule = "on " + strings.Join(when, ", ")
	}
	svc := nodefs.FindService(ctx, n, unit)
	for _, u := range svc.Unreadable {
		s.findings = append(s.findings, n.Unreadable(u.Path, u.Err))
	}
	if svc.Unit == "" {
		s.findings = append(s.findings, checks.Finding{Severity: checks.StatusOK, File: n.Ref(p, 0, 0),
			Message:  fmt.Sprintf("the timer %s starts %s, which does not exist: it runs nothing", path.Base(p), unit),
			Commands: []checks.Command{checks.Cmd("systemctl", "list-timers", "--all"), checks.Cmd("systemctl", "cat", path.Base(p))}})
		return
	}
	// The commands in effect: a drop-in's empty "ExecStart=" drops those set before it.
	type execLine struct {
		file string
		kv   unitSetting
	}
	var execs []execLine
	for _, f := range append([]string{svc.Unit}, svc.DropIns...) {
		text, ok := s.read(ctx, f)
		if !ok {
			continue
		}
		for _, kv := range unitSettings(string(text), "Service") {
			if kv.key != "ExecStart" && kv.key != "ExecStartPre" && kv.key != "ExecStartPost" {
				continue
			}
			if kv.value == "" {
				execs = slices.DeleteFunc(execs, func(e execLine) bool { return e.kv.key == kv.key })
				continue
			}
			execs = append(execs, execLine{f, kv})
		}
	}
	for _, e := range execs {
		f, kv := e.file, e.kv
		cmd := strings.TrimLeft(kv.value, "-@+!:|")
		if cmd == "" {
			continue
		}
		s.jobs++
		ev := []string{fmt.Sprintf("line %d: %s", kv.line, kv.text), fmt.Sprintf("%s: %s", path.Base(p), strings.Join(when, ", "))}
		col := 0
		if at := strings.Index(kv.text, cmd); at >= 0 {
			col = utf8.RuneCountInString(kv.text[:at]) + 1
		}
		show := []checks.Command{checks.Cmd("systemctl", "list-timers", "--all"), checks.Cmd("systemctl", "cat", unit)}
		reasons := cronReasons(cmd)
		if len(reasons) == 0 {
			s.findings = append(s.findings, checks.Finding{Severity: checks.StatusOK, File: n.Ref(f, kv.line, col), Evidence: ev, Commands: show,
				Message: fmt.Sprintf("the timer %s runs `%s` %s", path.Base(p), cmd, schedule)})
			continue
		}
		s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(f, kv.line, col), Evidence: ev, Commands: show,
			Message: fmt.Sprintf("the timer %s runs `%s` %s, and it %s: a job like this puts a breakage back after you fix it",
				path.Base(p), cmd, schedule, strings.Join(reasons, ", ")),
			Hint: fmt.Sprintf("`%s`, then undo what the job did and remove %s.", checks.Cmd("systemctl", "disable", "--now", path.Base(p)), n.Display(p))})
	}
}

// unitSetting is one `Key=value` line of a systemd unit section.
type unitSetting struct {
	key, value, text string
	line             int
}

// unitSettings reads the settings of one section of a unit file, joining lines continued with a
// backslash as systemd does; a setting keeps the number of its first line.
func unitSettings(text, section string) []unitSetting {
	var out []unitSetting
	in := false
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		raw := strings.TrimSpace(lines[i])
		first := i + 1
		if strings.HasSuffix(raw, `\`) && i+1 < len(lines) {
			// Joined in a builder: joining by concatenation copies the setting once per line.
			var b strings.Builder
			for strings.HasSuffix(raw, `\`) && i+1 < len(lines) {
				b.WriteString(strings.TrimSpace(strings.TrimSuffix(raw, `\`)))
				b.WriteString(" ")
				i++
				raw = strings.TrimSpace(lines[i])
			}
			b.WriteString(raw)
			raw = strings.TrimSpace(b.String())
		}
		switch {
		case raw == "" || raw[0] == '#' || raw[0] == ';':
		case raw[0] == '[':
			in = raw == "["+section+"]"
		case in:
			if k, v, ok := strings.Cut(raw, "="); ok {
				out = append(out, unitSetting{key: strings.TrimSpace(k), value: strings.TrimSpace(v), text: raw, line: first})
			}
		}
	}
	return out
}
