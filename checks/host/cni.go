package host

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/safetext"
)

// cniCheck is the host.cni check.
var cniCheck = checks.Check{
	ID:       "host.cni",
	Title:    "The node has CNI plugins and one network config that uses them",
	Category: checks.CategoryHost,
	Learn:    learn("host.cni"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostCNI),
}

const (
	cniBinDir  = "/opt/cni/bin"
	cniConfDir = "/etc/cni/net.d"
)

// cniConfig is a network config: a single plugin (.conf) or a list (.conflist).
type cniConfig struct {
	Name       string `json:"name"`
	CNIVersion string `json:"cniVersion"`
	Type       string `json:"type"`
	Plugins    []struct {
		Type string `json:"type"`
	} `json:"plugins"`
}

// types are the plugins the config runs, in order.
func (c cniConfig) types() []string {
	if len(c.Plugins) == 0 {
		if c.Type == "" {
			return nil
		}
		return []string{c.Type}
	}
	var out []string
	for _, p := range c.Plugins {
		out = append(out, p.Type)
	}
	return out
}

func runHostCNI(ctx context.Context, n *nodefs.FS) checks.Result {
	confs, confList, confErr := cniConfigFiles(ctx, n)
	bin := cniPlugins(ctx, n)
	if len(confs) == 0 && confList.Total == 0 && bin.listing.Total == 0 && confErr == nil && bin.err == nil &&
		!n.Exists(ctx, "/etc/kubernetes") && !n.Exists(ctx, "/var/lib/kubelet") {
		return checks.Skipped(checks.SkipNotApplicable, "no CNI directories and no Kubernetes under "+n.Display("/"))
	}
	findings := bin.findings
	// A listing cut short never concludes absence: it says the directory was too large.
	if len(bin.plugins) == 0 && bin.err == nil && bin.coverage.Full() {
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(cniBinDir, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s holds no CNI plugin: no pod sandbox can get a network", cniBinDir),
			Hint:     "Reinstall the CNI plugins (the containernetworking-plugins package, or your CNI's DaemonSet installs its own).",
			Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(cniBinDir))}})
	}
	confCov := nodefs.CoverageOf(cniConfDir, "CNI configs", confList)
	switch {
	case confErr != nil:
		return n.Result(append(findings, n.Unreadable(cniConfDir, confErr)), "")
	case len(confs) == 0 && confCov.Full():
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(cniConfDir, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s holds no network config: the node stays NotReady (\"cni plugin not initialized\")", cniConfDir),
			Hint:     "Your CNI's pods write it when they run (kubectl -n kube-system get pods -o wide); check they run on this node.",
			Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(cniConfDir)), checks.Cmd("journalctl", "-u", "containerd", "--since", "-10m").Pipe("grep", "-i", "cni")}})
		return n.Result(findings, "")
	case len(confs) == 0 || !confCov.Exact:
		// The listing stopped before the first config, or names past its cap were not read:
		// whether there is one, and which comes first, is not known.
		return n.Result(append(findings, *confCov.Finding(n)), "")
	}
	findings = append(findings, cniConfigFindings(ctx, n, confs, confCov, bin)...)
	return n.Result(findings, fmt.Sprintf("%s is in use; its plugins are in %s", confs[0], cniBinDir))
}

// isCNIConfig reports whether the runtime reads a file of the config directory, by its name.
func isCNIConfig(name string) bool {
	switch path.Ext(name) {
	case ".conf", ".conflist", ".json":
		return true
	}
	return false
}

// cniConfigFiles lists the configs the runtime considers, in the order it does (by name), and
// the listing they come from; a directory that does not exist holds none.
func cniConfigFiles(ctx context.Context, n *nodefs.FS) ([]string, host.Listing, error) {
	l, _, err := n.ListMatching(ctx, cniConfDir, isCNIConfig)
	var out []string
	for _, e := range l.Entries {
		if !e.IsDir() {
			out = append(out, e.Path)
		}
	}
	return out, l, err
}

// cniBin is what the plugin directory holds, as far as it was judged.
type cniBin struct {
	listing  host.Listing
	err      error
	plugins  map[string]bool // the regular files judged, by name
	coverage nodefs.Coverage
	groups   nodefs.Groups
	findings []checks.Finding
}

// cniPlugins inspects each plugin binary like host.binaries does, within the directory's
// budget; findings about many plugins of one kind are grouped.
func cniPlugins(ctx context.Context, n *nodefs.FS) *cniBin {
	bin := &cniBin{plugins: map[string]bool{}}
	budget := n.Budget() // listing and judging the plugins, together
	l, ok, err := n.ListOptional(ctx, cniBinDir)
	bin.listing = l
	if err != nil {
		bin.err = err
		bin.findings = []checks.Finding{n.Unreadable(cniBinDir, err)}
		return bin
	}
	bin.coverage = nodefs.CoverageOf(cniBinDir, "entries", l)
	if !ok {
		return bin
	}
	for _, e := range l.Entries {
		if budget.Spent() {
			bin.coverage.TimedOut = true
			break
		}
		bin.coverage.Judged++
		bin.inspect(ctx, n, e)
	}
	bin.findings = bin.groups.Findings()
	if f := bin.coverage.Finding(n); f != nil {
		bin.findings = append(bin.findings, *f)
	}
	return bin
}

// inspect judges one entry of the plugin directory.
func (bin *cniBin) inspect(ctx context.Context, n *nodefs.FS, e host.Entry) {
	regular, found := pluginFindings(ctx, n, e)
	if !regular {
		return
	}
	bin.plugins[e.Name()] = true
	for _, f := range found {
		bin.groups.Add(f.kind, f.Finding, func(count int) checks.Finding { return manyPluginsFinding(n, f.kind, count) })
	}
}

// pluginFindings judges one entry of the plugin directory (its Lstat): it is a plugin when it
// is, or links to, a regular file; the findings are its problems.
func pluginFindings(ctx context.Context, n *nodefs.FS, e host.Entry) (bool, []binaryFinding) {
	if e.IsDir() {
		return false, nil
	}
	b := nodeBinary{name: e.Name(), path: e.Path, entry: e}
	if real, err := n.Resolve(ctx, e.Path); err == nil && real != e.Path {
		b.resolved = real
		if b.entry, err = n.Stat(ctx, e.Path); err != nil {
			return false, nil
		}
	}
	if !b.entry.IsRegular() {
		return false, nil
	}
	var out []binaryFinding
	for _, f := range inspectNodeBinary(ctx, n, b, nil, time.Time{}, "") {
		if f.Severity > checks.StatusOK {
			out = append(out, f)
		}
	}
	return true, out
}

// manyPluginsFinding is the finding for many entries of the plugin directory with the same
// problem.
func manyPluginsFinding(n *nodefs.FS, kind string, count int) checks.Finding {
	dir := n.Display(cniBinDir)
	f := checks.Finding{File: n.Ref(cniBinDir, 0, 0)}
	switch kind {
	case binaryNoExecBit:
		f.Message = fmt.Sprintf("%d files in %s have no exec bit: as plugins they only fail with \"permission denied\"", count, cniBinDir)
		f.Hint = "Restore the exec bit of the plugins (chmod +x), and move what is not a plugin out of " + n.Display(cniBinDir) + "."
		f.Commands = []checks.Command{checks.Cmd("find", dir, "-maxdepth", "1", "-type", "f", "!", "-perm", "-u+x").Pipe("head", "-n", "20")}
	case binaryForeign:
		f.Message = fmt.Sprintf("%d files in %s cannot run on this %s/%s node (\"exec format error\")", count, cniBinDir, runtime.GOOS, runtime.GOARCH)
		f.Hint = fmt.Sprintf("Reinstall the CNI plugins for %s/%s, and move what is not a plugin out of %s.", runtime.GOOS, runtime.GOARCH, n.Display(cniBinDir))
		f.Commands = []checks.Command{checks.Cmd("find", dir, "-maxdepth", "1", "-type", "f", "-exec", "file", "{}", "+").Pipe("grep", "-v", "ELF").Pipe("head", "-n", "20")}
	case binaryScript:
		f.Message = fmt.Sprintf("%d plugins in %s are scripts where programs are expected: a wrapper can hide or fake what it does", count, cniBinDir)
		f.Commands = []checks.Command{checks.Cmd("find", dir, "-maxdepth", "1", "-type", "f", "-exec", "file", "{}", "+").Pipe("grep", "-i", "script").Pipe("head", "-n", "20")}
	case binaryWritable:
		f.Message = fmt.Sprintf("%d plugins in %s are writable by every user: anyone on the node can replace them", count, cniBinDir)
		f.Hint = "chmod o-w the plugins, then check they are the real ones (compare with the package or release checksums)."
		f.Commands = []checks.Command{checks.Cmd("find", dir, "-maxdepth", "1", "-perm", "-o+w").Pipe("head", "-n", "20")}
	case binaryRecent:
		f.Message = fmt.Sprintf("%d plugins in %s changed after the node joined its cluster: programs are installed before", count, cniBinDir)
		f.Commands = []checks.Command{checks.Cmd("ls", "-lt", dir).Pipe("head", "-n", "20")}
	default:
		f.Message = fmt.Sprintf("%d files in %s could not be read", count, cniBinDir)
		f.Commands = []checks.Command{checks.Cmd("ls", "-la", dir).Pipe("head", "-n", "20")}
	}
	return f
}

// validPluginName reports whether the runtime would look a plugin name up at all: libcni
// refuses an empty name and one holding a path separator ("invalid plugin name").
func validPluginName(typ string) bool {
	return typ != "" && !strings.Contains(typ, "/")
}

// cniConfigFindings parses the configs: the first is the one in use; the others are flagged
// when they are another network, as a config placed in front of the real one would be. Each
// plugin the first runs is looked up in the plugin directory by name, never concluded absent
// from a listing that may be cut short.
func cniConfigFindings(ctx context.Context, n *nodefs.FS, confs []string, cov nodefs.Coverage, bin *cniBin) []checks.Finding {
	var out []checks.Finding
	var groups nodefs.Groups
	parsed := make([]cniConfig, 0, len(confs))
	budget := n.Budget()
	cov.Judged = 0
	for i, p := range confs {
		if i > 0 && budget.Spent() {
			cov.TimedOut = true
			break
		}
		cov.Judged++
		c, f := parseCNIConfig(ctx, n, p)
		if f != nil {
			if i == 0 {
				f.Severity, f.Cause = checks.StatusFail, true
				out = append(out, *f)
			} else {
				groups.Add("unusable", *f, func(count int) checks.Finding {
					return checks.Finding{File: n.Ref(cniConfDir, 0, 0),
						Message:  fmt.Sprintf("%d more CNI configs in %s cannot be used (not valid JSON, or no plugin named)", count, cniConfDir),
						Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(cniConfDir)).Pipe("head", "-n", "20")}}
				})
			}
		}
		parsed = append(parsed, c)
	}
	out = append(out, groups.Findings()...)
	first := parsed[0]
	for _, typ := range first.types() {
		out = append(out, usedPluginFindings(ctx, n, confs[0], first, typ, bin)...)
	}
	var others []string
	for i, c := range parsed[1:] {
		if len(c.types()) > 0 && len(first.types()) > 0 && c.types()[0] != first.types()[0] {
			others = append(others, fmt.Sprintf("%s: %s (%s)", confs[i+1], cmp.Or(c.Name, "unnamed"), c.types()[0]))
		}
	}
	if len(others) > 0 {
		out = append(out, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(confs[0], 0, 0),
			Message: fmt.Sprintf("%s comes first, so the runtime uses its network %q (%s) and ignores %d other networks: is it the one this cluster runs?",
				confs[0], cmp.Or(first.Name, "unnamed"), strings.Join(first.types(), ", "), len(others)),
			Evidence: nodefs.CapEvidence(append([]string{"in use: " + confs[0]}, others...), 1+nodefs.GroupNames),
			Hint:     "Move the config that does not belong out of " + n.Display(cniConfDir) + "; the runtime picks the lexically first file.",
			Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(cniConfDir)), checks.Cmd("head", "-n", "20", n.Display(confs[0]))}})
	}
	if f := cov.Finding(n); f != nil {
		out = append(out, *f)
	}
	return out
}

// usedPluginFindings looks up a plugin the config in use runs, by its name in the plugin
// directory, and says when it is missing; one the listing did not reach (past its cap or
// budget) is judged here like the others.
func usedPluginFindings(ctx context.Context, n *nodefs.FS, conf string, c cniConfig, typ string, bin *cniBin) []checks.Finding {
	if !validPluginName(typ) {
		return []checks.Finding{{Severity: checks.StatusFail, File: n.Ref(conf, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s runs the plugin %q, which no runtime looks up: a plugin is named by a file name in %s, without a slash (\"invalid plugin name\")", conf, typ, cniBinDir),
			Evidence: []string{"plugins: " + strings.Join(c.types(), ", ")},
			Hint:     "Fix the config's \"type\" to the name of a file in " + n.Display(cniBinDir) + ".",
			Commands: []checks.Command{checks.Cmd("grep", "-n", `"type"`, n.Display(conf))}}}
	}
	if bin.plugins[typ] {
		return nil // judged with the listing
	}
	p := path.Join(cniBinDir, typ)
	e, err := n.Lstat(ctx, p)
	var evidence []string
	switch {
	case err == nil:
		regular, found := pluginFindings(ctx, n, e)
		if regular {
			var out []checks.Finding
			for _, f := range found {
				out = append(out, f.Finding)
			}
			return out
		}
		evidence = append(evidence, fmt.Sprintf("%s is not a program: %s", n.Display(p), entryKind(e)))
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, nodefs.ErrNotADirectory):
		return []checks.Finding{n.Unreadable(p, err)}
	}
	return []checks.Finding{{Severity: checks.StatusFail, File: n.Ref(conf, 0, 0), Cause: true,
		Message:  fmt.Sprintf("%s runs the plugin %q, which %s lacks: every pod sandbox fails (\"failed to find plugin %q in path\")", conf, typ, cniBinDir, typ),
		Evidence: append([]string{"plugins: " + strings.Join(c.types(), ", ")}, evidence...),
		Hint:     "Install the plugin into " + n.Display(cniBinDir) + ", or fix the config's \"type\".",
		Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(p)), checks.Cmd("grep", "-n", `"type"`, n.Display(conf))}}}
}

// entryKind names what a directory entry is, as ls -l would show it.
func entryKind(e host.Entry) string {
	switch {
	case e.IsDir():
		return "a directory"
	case e.Mode&fs.ModeSymlink != 0:
		return "a link that leads nowhere"
	case e.IsRegular():
		return "a regular file"
	}
	return "a special file (" + e.Mode.Type().String() + ")"
}

// parseCNIConfig reads one config; a finding (Warn; the caller makes the one in use Fail) says
// why it cannot be used.
func parseCNIConfig(ctx context.Context, n *nodefs.FS, p string) (cniConfig, *checks.Finding) {
	var c cniConfig
	f, err := n.ReadFile(ctx, p)
	if err != nil {
		u := n.Unreadable(p, err)
		return c, &u
	}
	if err := json.Unmarshal(f.Data, &c); err != nil {
		line, col := 0, 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col = safetext.LineColumn(string(f.Data), int(se.Offset)-1)
		case errors.As(err, &te):
			line, col = safetext.LineColumn(string(f.Data), int(te.Offset))
		}
		return c, &checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, line, col),
			Message:  fmt.Sprintf("the CNI config %s is not valid JSON: %s", p, strings.TrimPrefix(err.Error(), "json: ")),
			Hint:     "Fix the JSON; `jq . FILE` points at the same place.",
			Commands: []checks.Command{checks.Cmd("jq", ".", n.Display(p))}}
	}
	if len(c.types()) == 0 {
		return c, &checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0),
			Message:  fmt.Sprintf("the CNI config %s names no plugin (no \"type\", no \"plugins\")", p),
			Commands: []checks.Command{checks.Cmd("cat", n.Display(p))}}
	}
	return c, nil
}
