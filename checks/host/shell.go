package host

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
)

// shellCheck is the host.shell check.
var shellCheck = checks.Check{
	ID:       "host.shell",
	Title:    "No shell start-up file or cron job changes what the commands you type do",
	Category: checks.CategoryHost,
	Learn:    learn("host.shell"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostShell),
}

// Files bash, sh and zsh read when a guest logs in or opens a shell.
var (
	systemShellFiles = []string{
		"/etc/profile", "/etc/bash.bashrc", "/etc/bashrc",
		"/etc/zsh/zshenv", "/etc/zsh/zprofile", "/etc/zsh/zshrc", "/etc/zshenv", "/etc/zprofile", "/etc/zshrc",
	}
	userShellFiles = []string{
		".profile", ".bash_profile", ".bash_login", ".bashrc", ".bash_aliases", ".bash_logout",
		".zshenv", ".zprofile", ".zshrc", ".zlogin", ".zlogout",
	}
	historyFiles = []string{".bash_history", ".zsh_history", ".histfile", ".sh_history"}
)

// shellScript is one start-up file: the node path, the home whose ~ it expands, and its language.
type shellScript struct {
	path, home string
	zsh        bool
}

// shellScan gathers what one run of the check saw.
type shellScan struct {
	n          *nodefs.FS
	findings   []checks.Finding
	scripts    int // start-up files read
	tabs       int // crontabs read
	timerCount int // systemd timers read
	jobs       int
}

func runHostShell(ctx context.Context, n *nodefs.FS) checks.Result {
	s := &shellScan{n: n}
	scripts := []shellScript{}
	for _, p := range systemShellFiles {
		scripts = append(scripts, shellScript{path: p, zsh: strings.Contains(p, "zsh") || strings.HasPrefix(path.Base(p), "z")})
	}
	s.each(ctx, "/etc/profile.d", func(e host.Entry) {
		if strings.HasSuffix(e.Name(), ".sh") {
			scripts = append(scripts, shellScript{path: e.Path})
		}
	})
	homes := s.homes(ctx)
	for _, home := range homes {
		for _, name := range userShellFiles {
			scripts = append(scripts, shellScript{path: path.Join(home, name), home: home, zsh: strings.HasPrefix(name, ".z")})
		}
	}
	for _, sc := range scripts {
		s.script(ctx, sc)
	}
	s.environment(ctx)
	for _, home := range homes {
		s.history(ctx, home)
	}
	s.crontabs(ctx)
	s.timers(ctx)
	if ctx.Err() != nil {
		return checks.Errored("stopped before every file was read: " + ctx.Err().Error())
	}
	if s.scripts+s.tabs+s.timerCount == 0 && len(s.findings) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no shell start-up file, crontab or systemd timer under "+n.Display("/"))
	}
	findings := nodefs.CapFindings(s.findings, nodefs.MaxFindings, func(more int) checks.Finding {
		return checks.Finding{Severity: checks.StatusWarn, Message: fmt.Sprintf("%d more findings not shown", more),
			Commands: []checks.Command{checks.Cmd("grep", "-n", "-E", "alias|PROMPT_COMMAND|trap|EDITOR|HIST", "/etc/profile", "/etc/bash.bashrc").Shell("~/.bashrc")}}
	})
	read := phrase.Plural(s.scripts, "1 shell start-up file", "shell start-up files") + " and " + phrase.Plural(s.tabs, "1 crontab", "crontabs")
	if s.timerCount > 0 {
		read = strings.Replace(read, " and ", ", ", 1) + " and " + phrase.Plural(s.timerCount, "1 systemd timer", "systemd timers")
	}
	return n.Result(findings, fmt.Sprintf("%s (%s) read: no alias, function, hook or job changes what you type", read, phrase.Plural(s.jobs, "1 job", "jobs")))
}
