// host.shell, history switched off or wiped: a start-up file that keeps no history, and history
// files linked to /dev/null or emptied lately.

package host

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
)

func (j *shellJudge) historyOff(line, col int, what string) {
	j.warn(line, col, fmt.Sprintf("`%s`: shells that read this file keep no history, so what was typed on this node cannot be read back", what),
		"Delete the line; the timeline of changed files (host.timeline) still shows what was touched.",
		checks.Cmd("echo").Shell(`"$HISTFILE $HISTSIZE"`), checks.Cmd("grep", "-n", "HIST", j.scan.n.Display(j.script.path)))
}

// history judges a home's shell history files: one sent to /dev/null keeps nothing, one emptied
// within the timeline's window was wiped.
func (s *shellScan) history(ctx context.Context, home string) {
	n := s.n
	for _, name := range historyFiles {
		p := path.Join(home, name)
		e, err := n.Lstat(ctx, p)
		if err != nil {
			continue
		}
		cmds := []checks.Command{checks.Cmd("ls", "-la", n.Display(p))}
		hint := "Remove the link or device and let the shell write the file again (`" + checks.Cmd("rm", n.Display(p)).String() + "`, then log out and in); what was typed before is gone, but host.timeline shows what changed."
		if e.Mode&fs.ModeSymlink != 0 {
			if target, err := n.Readlink(ctx, p); err == nil && (target == "/dev/null" || strings.HasPrefix(target, "/dev/")) {
				s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0), Commands: cmds, Hint: hint,
					Evidence: []string{name + " -> " + target},
					Message:  fmt.Sprintf("%s is a link to %s: nothing typed in these shells is kept", p, target)})
			}
			continue
		}
		if e.Mode&fs.ModeDevice != 0 {
			s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0), Commands: cmds, Hint: hint,
				Message: fmt.Sprintf("%s is a device, not a file: nothing typed in these shells is kept", p)})
			continue
		}
		// An unpacked scenario's times are this machine's: "emptied just now" would be a lie.
		if e.IsRegular() && e.Size == 0 && !n.Env.Host.Unpacked && n.Now.Sub(e.Mtime) < n.Since && n.Now.Sub(e.Mtime) >= 0 {
			s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0), Commands: append(cmds, checks.Cmd("stat", n.Display(p))),
				Evidence: []string{"size 0, modified " + phrase.Stamp(e.Mtime) + ", changed " + phrase.Stamp(e.Ctime)},
				Hint:     "Ask who was logged in (`last`, `journalctl _COMM=sshd`); host.timeline shows what else changed then.",
				Message:  fmt.Sprintf("%s is empty and was written %s: the history was wiped, or nothing was typed", p, phrase.Ago(n.Now, e.Mtime))})
		}
	}
}
