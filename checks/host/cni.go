package host

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kockpit/kockpit/checks"
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
	confs := cniConfigFiles(ctx, n)
	plugins, binFindings := cniPlugins(ctx, n)
	if len(confs) == 0 && len(plugins) == 0 && !n.Exists(ctx, "/etc/kubernetes") && !n.Exists(ctx, "/var/lib/kubelet") {
		return checks.Skipped(checks.SkipNotApplicable, "no CNI directories and no Kubernetes under "+n.Dir())
	}
	findings := binFindings
	if len(plugins) == 0 {
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(cniBinDir, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s holds no CNI plugin: no pod sandbox can get a network", cniBinDir),
			Hint:     "Reinstall the CNI plugins (the containernetworking-plugins package, or your CNI's DaemonSet installs its own).",
			Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(cniBinDir))}})
	}
	if len(confs) == 0 {
		findings = append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(cniConfDir, 0, 0), Cause: true,
			Message:  fmt.Sprintf("%s holds no network config: the node stays NotReady (\"cni plugin not initialized\")", cniConfDir),
			Hint:     "Your CNI's pods write it when they run (kubectl -n kube-system get pods -o wide); check they run on this node.",
			Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(cniConfDir)), checks.Cmd("journalctl", "-u", "containerd", "--since", "-10m").Pipe("grep", "-i", "cni")}})
		return n.Result(findings, "")
	}
	findings = append(findings, cniConfigFindings(ctx, n, confs, plugins)...)
	return n.Result(findings, fmt.Sprintf("%s is in use; its plugins are in %s", confs[0], cniBinDir))
}

// cniConfigFiles lists the configs the runtime considers, in the order it does.
func cniConfigFiles(ctx context.Context, n *nodefs.FS) []string {
	var out []string
	for _, p := range filesIn(ctx, n, cniConfDir, "") {
		switch path.Ext(p) {
		case ".conf", ".conflist", ".json":
			out = append(out, p)
		}
	}
	return out
}

// cniPlugins lists the plugin binaries, inspecting each like host.binaries does.
func cniPlugins(ctx context.Context, n *nodefs.FS) (map[string]bool, []checks.Finding) {
	plugins := map[string]bool{}
	var findings []checks.Finding
	l, ok, err := n.ListOptional(ctx, cniBinDir)
	if err != nil {
		return plugins, []checks.Finding{n.Unreadable(cniBinDir, err)}
	}
	if !ok {
		return plugins, nil
	}
	for _, e := range l.Entries {
		if e.IsDir() {
			continue
		}
		b := nodeBinary{name: e.Name(), path: e.Path, entry: e}
		if real, err := n.Resolve(ctx, e.Path); err == nil && real != e.Path {
			b.resolved = real
			if b.entry, err = n.Stat(ctx, e.Path); err != nil {
				continue
			}
		}
		if !b.entry.IsRegular() {
			continue
		}
		plugins[e.Name()] = true
		for _, f := range inspectNodeBinary(ctx, n, b, nil, time.Time{}, "") {
			if f.Severity > checks.StatusOK {
				findings = append(findings, f)
			}
		}
	}
	return plugins, findings
}

// cniConfigFindings parses the configs: the first is the one in use; the others are flagged
// when they are another network, as a config placed in front of the real one would be.
func cniConfigFindings(ctx context.Context, n *nodefs.FS, confs []string, plugins map[string]bool) []checks.Finding {
	var out []checks.Finding
	parsed := make([]cniConfig, len(confs))
	for i, p := range confs {
		c, f := parseCNIConfig(ctx, n, p)
		if f != nil {
			if i == 0 {
				f.Severity, f.Cause = checks.StatusFail, true
			}
			out = append(out, *f)
		}
		parsed[i] = c
	}
	first := parsed[0]
	for _, typ := range first.types() {
		if !plugins[typ] {
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: n.Ref(confs[0], 0, 0), Cause: true,
				Message:  fmt.Sprintf("%s runs the plugin %q, which %s lacks: every pod sandbox fails (\"failed to find plugin %q in path\")", confs[0], typ, cniBinDir, typ),
				Evidence: []string{"plugins: " + strings.Join(first.types(), ", ")},
				Hint:     "Install the plugin into " + n.Display(cniBinDir) + ", or fix the config's \"type\".",
				Commands: []checks.Command{checks.Cmd("ls", "-l", n.Display(path.Join(cniBinDir, typ))), checks.Cmd("grep", "-n", `"type"`, n.Display(confs[0]))}})
		}
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
			Evidence: append([]string{"in use: " + confs[0]}, others...),
			Hint:     "Move the config that does not belong out of " + n.Display(cniConfDir) + "; the runtime picks the lexically first file.",
			Commands: []checks.Command{checks.Cmd("ls", "-la", n.Display(cniConfDir)), checks.Cmd("head", "-n", "20", n.Display(confs[0]))}})
	}
	return out
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
