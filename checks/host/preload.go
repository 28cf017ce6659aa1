package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
)

// preloadCheck is the host.preload check.
var preloadCheck = checks.Check{
	ID:       "host.preload",
	Title:    "No library is preloaded into every program (/etc/ld.so.preload)",
	Category: checks.CategoryHost,
	Learn:    learn("host.preload"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostPreload),
}

func runHostPreload(ctx context.Context, n *nodefs.FS) checks.Result {
	const p = "/etc/ld.so.preload"
	f, ok, err := n.ReadOptional(ctx, p)
	switch {
	case err != nil:
		return n.Result([]checks.Finding{n.Unreadable(p, err)}, "")
	case !ok:
		return checks.Result{Status: checks.StatusOK, Summary: p + " does not exist: nothing is preloaded"}
	}
	var findings []checks.Finding
	for i, line := range strings.Split(string(f.Data), "\n") {
		content, _, _ := strings.Cut(line, "#")
		for _, lib := range strings.FieldsFunc(content, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' }) {
			ev := []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))}
			msg := fmt.Sprintf("%s preloads %s into every program on the node: the way rootkits hide files and processes and stay", p, lib)
			if e, err := n.Stat(ctx, lib); err != nil {
				msg = fmt.Sprintf("%s preloads %s, which does not exist: every program prints \"ld.so: object ... cannot be preloaded\"", p, lib)
			} else {
				ev = append(ev, fmt.Sprintf("%s: mode %s, %s, changed %s", n.Display(lib), e.Mode, phrase.Bytes(e.Size), phrase.Stamp(e.Ctime)))
			}
			findings = append(findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, i+1, strings.Index(line, lib)+1), Evidence: ev,
				Message: msg,
				Hint: fmt.Sprintf("Look at %s (file, dpkg -S / rpm -qf), then empty %s (`%s`) and restart the processes that loaded it.",
					lib, p, checks.Cmd("truncate", "-s", "0", n.Display(p))),
				Commands: []checks.Command{checks.Cmd("cat", n.Display(p)), checks.Cmd("file", n.Display(lib))}})
		}
	}
	return n.Result(findings, p+" exists but preloads nothing")
}
