package checks

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	register(Check{
		ID:       "host.preload",
		Title:    "No library is preloaded into every program (/etc/ld.so.preload)",
		Category: CategoryHost,
		Learn: "Every library named in /etc/ld.so.preload is loaded into every dynamically linked " +
			"program on the node before its own code runs: ls, ps, kubectl, the kubelet. It is how " +
			"rootkits hide files and processes and how someone keeps a foothold, and it is normally empty " +
			"or absent. kockpit flags any entry (and one naming a missing file, which makes every program " +
			"print an error). Look at the library first (`file`, `dpkg -S`); a preloaded library can hide " +
			"itself from the tools it is loaded into, so `ld.so --list` from a static shell is more honest.",
		Needs: NeedsHost,
		Run:   hostRun(runHostPreload),
	})
}

func runHostPreload(ctx context.Context, n *nodeFS) Result {
	const p = "/etc/ld.so.preload"
	f, ok, err := n.readOptional(ctx, p)
	switch {
	case err != nil:
		return n.result([]Finding{n.unreadable(p, err)}, "")
	case !ok:
		return Result{Status: StatusOK, Summary: p + " does not exist: nothing is preloaded"}
	}
	var findings []Finding
	for i, line := range strings.Split(string(f.Data), "\n") {
		content, _, _ := strings.Cut(line, "#")
		for _, lib := range strings.FieldsFunc(content, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' }) {
			ev := []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))}
			msg := fmt.Sprintf("%s preloads %s into every program on the node: the way rootkits hide files and processes and stay", p, lib)
			if e, err := n.Stat(ctx, lib); err != nil {
				msg = fmt.Sprintf("%s preloads %s, which does not exist: every program prints \"ld.so: object ... cannot be preloaded\"", p, lib)
			} else {
				ev = append(ev, fmt.Sprintf("%s: mode %s, %s, changed %s", n.Display(lib), e.Mode, humanBytes(e.Size), stamp(e.Ctime)))
			}
			findings = append(findings, Finding{Severity: StatusWarn, File: n.ref(p, i+1, strings.Index(line, lib)+1), Evidence: ev,
				Message:  msg,
				Hint:     fmt.Sprintf("Look at %s (file, dpkg -S / rpm -qf), then empty %s (`: > %s`) and restart the processes that loaded it.", lib, p, n.sh(p)),
				Commands: []string{"cat " + n.sh(p), "file " + n.sh(lib)}})
		}
	}
	return n.result(findings, p+" exists but preloads nothing")
}
