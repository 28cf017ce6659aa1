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
	budget := n.Budget() // listing and reading the files, together
	single, dirs := lookalikeFiles(ctx, n)
	var findings []checks.Finding
	scanned := 0
	read := func(p string) {
		f, ok, err := n.ReadOptional(ctx, p)
		switch {
		case err != nil:
			findings = append(findings, n.Unreadable(p, err))
			return
		case !ok:
			return
		case bytes.IndexByte(f.Data[:min(len(f.Data), 8000)], 0) >= 0:
			return // a binary file (an editor's swap file): not a config
		}
		scanned++
		findings = append(findings, lookalikeFindings(n, p, string(f.Data), f.Truncated)...)
	}
	var unread []string
	for _, p := range single {
		if budget.Spent() {
			unread = append(unread, p)
			continue
		}
		read(p)
	}
	if len(unread) > 0 {
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%d config files were not read within %s: nothing is concluded about them", len(unread), n.Limits().MaxDirTime),
			Evidence: nodefs.CapEvidence(unread, nodefs.GroupNames),
			Commands: []checks.Command{checks.Cmd("grep", "-nP", `[^\x00-\x7F]`, n.Display(unread[0]))}})
	}
	for _, d := range dirs {
		d.cov.Judged = 0
		for _, p := range d.files {
			if budget.Spent() {
				d.cov.TimedOut = true
				break
			}
			d.cov.Judged++
			read(p)
		}
		if f := d.cov.Finding(n); f != nil {
			findings = append(findings, *f)
		}
	}
	if scanned == 0 && !hasProblem(findings) {
		return checks.Skipped(checks.SkipNotApplicable, "none of the node's Kubernetes config files exist under "+n.Display("/"))
	}
	findings = nodefs.CapFindings(findings, nodefs.MaxFindings, func(more int) checks.Finding {
		return checks.Finding{Severity: checks.StatusWarn, Message: fmt.Sprintf("%d more lines with characters outside ASCII", more),
			Commands: []checks.Command{checks.Cmd("grep", "-rnP", `[^\x00-\x7F]`, n.Display("/etc/kubernetes"))}}
	})
	return n.Result(findings, fmt.Sprintf("no character outside ASCII in %d config files", scanned))
}

// hasProblem reports whether a finding is Warn or worse.
func hasProblem(findings []checks.Finding) bool {
	return checks.Worst(findings) > checks.StatusOK
}

// lookalikeDir is the files of one directory host.lookalikes reads, and how much of the
// directory they cover.
type lookalikeDir struct {
	cov   nodefs.Coverage
	files []string
}

// lookalikeFiles lists what Kubernetes reads on a node that a person might edit by hand: the
// files named one by one, read first, then the files of directories (static pod manifests,
// CNI configs, drop-ins), which may be too many to read in the time a check has.
func lookalikeFiles(ctx context.Context, n *nodefs.FS) ([]string, []*lookalikeDir) {
	var single []string
	var dirs []*lookalikeDir
	seen := map[string]bool{}
	fresh := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			if p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		return out
	}
	add := func(paths ...string) { single = append(single, fresh(paths)...) }
	addDir := func(files []string, cov nodefs.Coverage) {
		dirs = append(dirs, &lookalikeDir{cov: cov, files: fresh(files)})
	}
	addIn := func(dir, suffix string) {
		files, c := filesIn(ctx, n, dir, suffix)
		addDir(files, c)
	}
	k, _ := kubeletconfig.Load(ctx, n)
	if k != nil {
		add(k.Path)
	}
	add("/root/.kube/config")
	if homes, ok, _ := n.ListOptional(ctx, "/home"); ok {
		for i, h := range homes.Entries {
			if h.IsDir() && i < maxHomes {
				add(path.Join(h.Path, ".kube/config"))
			}
		}
	}
	add("/etc/containerd/config.toml", "/etc/crio/crio.conf", "/etc/hosts", "/etc/resolv.conf")
	if k != nil {
		add(k.Service.All()...)
	}
	add(nodefs.FindService(ctx, n, "containerd.service").All()...)

	addIn("/etc/kubernetes", ".conf")
	addIn("/etc/cni/net.d", "")
	addIn("/etc/containerd/conf.d", ".toml")
	addIn("/etc/crio/crio.conf.d", "")
	// The manifests last: a directory of them is the likeliest to be too large.
	m, _ := manifestFiles(ctx, n, kubeadmManifests)
	addDir(m.files, m.coverage)
	if k != nil {
		if dir := k.Config.StaticPodPath; dir != "" && path.Clean(dir) != kubeadmManifests {
			m, _ = manifestFiles(ctx, n, dir)
			addDir(m.files, m.coverage)
		}
	}
	return single, dirs
}

// filesIn lists the files (or links) of a directory whose names end in suffix and do not
// start with a dot, in name order, with how much of the directory that covers: a huge one
// gives its first files by name.
func filesIn(ctx context.Context, n *nodefs.FS, dir, suffix string) ([]string, nodefs.Coverage) {
	l, _, _ := n.ListMatching(ctx, dir, func(name string) bool {
		return !strings.HasPrefix(name, ".") && strings.HasSuffix(name, suffix)
	})
	var out []string
	for _, e := range l.Entries {
		if !e.IsDir() {
			out = append(out, e.Path)
		}
	}
	c := nodefs.CoverageOf(dir, "files", l)
	c.Judged = len(l.Entries)
	return out, c
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
