package host

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/kubeletconfig"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/safetext"
)

// lookalikesCheck is the host.lookalikes check.
var lookalikesCheck = checks.Check{
	ID:       "host.lookalikes",
	Title:    "The node's Kubernetes config files hold no look-alike or invisible characters",
	Category: checks.CategoryHost,
	Learn:    learn("host.lookalikes"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostLookalikes),
}

// maxLookalikeLines is how many lines of one file get a finding each; the rest are counted.
const maxLookalikeLines = 20

func runHostLookalikes(ctx context.Context, n *nodefs.FS) checks.Result {
	files := lookalikeFiles(ctx, n)
	var findings []checks.Finding
	scanned := 0
	for _, p := range files {
		f, ok, err := n.ReadOptional(ctx, p)
		switch {
		case err != nil:
			findings = append(findings, n.Unreadable(p, err))
			continue
		case !ok:
			continue
		case bytes.IndexByte(f.Data[:min(len(f.Data), 8000)], 0) >= 0:
			continue // a binary file (an editor's swap file): not a config
		}
		scanned++
		findings = append(findings, lookalikeFindings(n, p, string(f.Data), f.Truncated)...)
	}
	if scanned == 0 && len(findings) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "none of the node's Kubernetes config files exist under "+n.Dir())
	}
	findings = nodefs.CapFindings(findings, nodefs.MaxFindings, func(more int) checks.Finding {
		return checks.Finding{Severity: checks.StatusWarn, Message: fmt.Sprintf("%d more lines with characters outside ASCII", more),
			Commands: []checks.Command{checks.Cmd("grep", "-rnP", `[^\x00-\x7F]`, n.Display("/etc/kubernetes"))}}
	})
	return n.Result(findings, fmt.Sprintf("no character outside ASCII in %d config files", scanned))
}

// lookalikeFiles lists what Kubernetes reads on a node that a person might edit by hand.
func lookalikeFiles(ctx context.Context, n *nodefs.FS) []string {
	var out []string
	seen := map[string]bool{}
	add := func(paths ...string) {
		for _, p := range paths {
			if p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	k, _ := kubeletconfig.Load(ctx, n)
	manifests, _ := manifestFiles(ctx, n, kubeadmManifests)
	add(manifests...)
	if k != nil {
		if k.Config.StaticPodPath != "" {
			manifests, _ = manifestFiles(ctx, n, k.Config.StaticPodPath)
			add(manifests...)
		}
		add(k.Path)
	}
	add(filesIn(ctx, n, "/etc/kubernetes", ".conf")...)
	add("/root/.kube/config")
	if homes, ok, _ := n.ListOptional(ctx, "/home"); ok {
		for _, h := range homes.Entries {
			if h.IsDir() {
				add(path.Join(h.Path, ".kube/config"))
			}
		}
	}
	add(filesIn(ctx, n, "/etc/cni/net.d", "")...)
	add("/etc/containerd/config.toml")
	add(filesIn(ctx, n, "/etc/containerd/conf.d", ".toml")...)
	add("/etc/crio/crio.conf")
	add(filesIn(ctx, n, "/etc/crio/crio.conf.d", "")...)
	add("/etc/hosts", "/etc/resolv.conf")
	if k != nil {
		add(k.Service.All()...)
	}
	add(nodefs.FindService(ctx, n, "containerd.service").All()...)
	return out
}

// filesIn lists the regular files (or links) of a directory whose names end in suffix and do
// not start with a dot.
func filesIn(ctx context.Context, n *nodefs.FS, dir, suffix string) []string {
	l, ok, _ := n.ListOptional(ctx, dir)
	if !ok {
		return nil
	}
	var out []string
	for _, e := range l.Entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), suffix) {
			out = append(out, e.Path)
		}
	}
	return out
}

// lookalikeFindings gives one finding per line holding characters outside ASCII.
func lookalikeFindings(n *nodefs.FS, p, text string, truncated bool) []checks.Finding {
	chars := safetext.Suspicious(text)
	if len(chars) == 0 {
		return nil
	}
	lines := strings.Split(text, "\n")
	var out []checks.Finding
	for start := 0; start < len(chars); {
		end := start
		for end < len(chars) && chars[end].Line == chars[start].Line {
			end++
		}
		if len(out) == maxLookalikeLines {
			rest := 0
			for i := start; i < len(chars); i++ {
				if i == start || chars[i].Line != chars[i-1].Line {
					rest++
				}
			}
			out = append(out, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0),
				Message:  fmt.Sprintf("%d more lines of %s hold characters outside ASCII", rest, p),
				Commands: []checks.Command{checks.Cmd("grep", "-nP", `[^\x00-\x7F]`, n.Display(p))}})
			break
		}
		out = append(out, lookalikeLine(n, p, lines, chars[start:end], truncated))
		start = end
	}
	return out
}

func lookalikeLine(n *nodefs.FS, p string, lines []string, chars []safetext.Char, truncated bool) checks.Finding {
	first := chars[0]
	sev, lead := checks.StatusWarn, first
	for _, c := range chars {
		if deceptive(c) {
			sev, lead = checks.StatusFail, c
			break
		}
	}
	msg := fmt.Sprintf("a character outside ASCII: %s", lead)
	if sev == checks.StatusFail {
		msg = fmt.Sprintf("%s: the word it is in only looks right, and matches nothing spelled in ASCII", lead)
	}
	if len(chars) > 1 {
		msg += fmt.Sprintf(" (%d such characters on this line)", len(chars))
	}
	line := ""
	if first.Line-1 < len(lines) {
		// Kubeconfigs and environment files hold tokens and keys: the line is quoted on
		// camera, so credentials go first, before the cut could hide their name.
		line = safetext.RedactSecrets(lines[first.Line-1])
		if r := []rune(line); len(r) > 160 {
			line = string(r[:160]) + "…"
		}
	}
	evidence := []string{fmt.Sprintf("line %d: %s", first.Line, safetext.Visible(strings.TrimRight(line, "\r")))}
	for _, c := range chars {
		evidence = append(evidence, fmt.Sprintf("column %d: %s", c.Column, c))
	}
	if truncated {
		evidence = append(evidence, fmt.Sprintf("only the first %s of the file were read", phrase.Bytes(n.Limits().MaxFileBytes)))
	}
	return checks.Finding{
		Severity: sev,
		Message:  msg,
		File:     n.Ref(p, lead.Line, lead.Column),
		Evidence: evidence,
		Hint: "Retype the line in plain ASCII (delete the characters at the columns shown and type them again), " +
			"then restart or reload what reads the file.",
		Commands: []checks.Command{checks.Cmd("grep", "-nP", `[^\x00-\x7F]`, n.Display(p))},
		Cause:    sev == checks.StatusFail,
	}
}

// deceptive reports whether a character passes for something it is not: a look-alike of
// ASCII, or something invisible.
func deceptive(c safetext.Char) bool {
	switch c.Reason {
	case safetext.ReasonBidi, safetext.ReasonInvisible, safetext.ReasonSeparator, safetext.ReasonSpace:
		return true
	}
	return c.LooksLike != "" || strings.HasPrefix(c.Reason, "mixed scripts")
}
