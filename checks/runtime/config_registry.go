package runtime

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/safetext"
)

// This file judges where containerd pulls from: mirrors in config.toml (version 2) and the
// hosts.toml files under the registry's config_path, which may send a registry elsewhere.

// hostsFile is a registry's hosts.toml: its server and the hosts tried first.
type hostsFile struct {
	Server string                    `toml:"server"`
	Host   map[string]map[string]any `toml:"host"`
}

// sameRegistry reports whether an endpoint URL reaches the registry itself (Docker Hub's
// API host counts as docker.io).
func sameRegistry(registry, endpoint string) bool {
	host := endpoint
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		host = u.Host
	}
	if registry == "docker.io" && (host == "registry-1.docker.io" || host == "index.docker.io") {
		return true
	}
	return host == registry
}

func (r *configRun) registries(ctx context.Context, c *containerdConfig, data []byte) {
	reg := c.registry()
	hosts := make([]string, 0, len(reg.Mirrors))
	for h := range reg.Mirrors {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		var elsewhere []string
		for _, e := range reg.Mirrors[h].Endpoint {
			if !sameRegistry(h, e) {
				elsewhere = append(elsewhere, e)
			}
		}
		if len(elsewhere) == 0 {
			continue
		}
		line := keyLine(data, "endpoint")
		r.findings = append(r.findings, r.redirectFinding(h, elsewhere, containerdConfigPath, line))
	}
	if reg.ConfigPath == "" {
		return
	}
	for _, dir := range strings.Split(reg.ConfigPath, ":") {
		r.hostsDir(ctx, dir)
	}
}

func (r *configRun) redirectFinding(registry string, elsewhere []string, file string, line int) checks.Finding {
	who := "pulls from " + safetext.Message(registry)
	if registry == "_default" {
		who = "pulls from every registry without a directory of its own"
	}
	ev := make([]string, len(elsewhere))
	for i, e := range elsewhere {
		ev[i] = "→ " + safetext.Message(e)
	}
	return checks.Finding{Severity: checks.StatusWarn, Problem: "registry-redirected", File: r.n.Ref(file, line, 0),
		Message:  fmt.Sprintf("containerd sends %s to %s first", who, safetext.Message(strings.Join(elsewhere, ", "))),
		Evidence: ev,
		Hint:     "A pull-through cache of your own is fine; anything else serves whatever image it likes under the names your pods pull. Remove the mirror if you do not know it.",
		Commands: []checks.Command{checks.Cmd("cat", r.n.Display(file))}}
}

// hostsDir reads each registry's hosts.toml under a config_path directory.
func (r *configRun) hostsDir(ctx context.Context, dir string) {
	l, ok, err := r.n.ListOptional(ctx, dir)
	if err != nil {
		r.findings = append(r.findings, r.n.Unreadable(dir, err))
		return
	}
	if !ok {
		return
	}
	for _, e := range l.Entries {
		if !e.IsDir() {
			continue
		}
		p := path.Join(e.Path, "hosts.toml")
		f, ok, err := r.n.ReadOptional(ctx, p)
		switch {
		case err != nil:
			r.findings = append(r.findings, r.n.Unreadable(p, err))
			continue
		case !ok:
			continue
		}
		r.lookalikes(p, f.Data)
		var h hostsFile
		if err := toml.Unmarshal(f.Data, &h); err != nil {
			row, col := 0, 0
			if de, ok := err.(*toml.DecodeError); ok {
				row, col = de.Position()
			}
			r.findings = append(r.findings, checks.Finding{Severity: checks.StatusWarn, Problem: "hosts-invalid", File: r.n.Ref(p, row, col),
				Message:  "containerd cannot read this hosts.toml: " + safetext.Message(err.Error()) + "; pulls from the registry fail",
				Commands: []checks.Command{checks.Cmd("cat", r.n.Display(p))}})
			continue
		}
		registry := e.Name()
		var elsewhere []string
		if h.Server != "" && !sameRegistry(registry, h.Server) {
			elsewhere = append(elsewhere, h.Server)
		}
		var mirrors []string
		for m := range h.Host {
			if !sameRegistry(registry, m) {
				mirrors = append(mirrors, m)
			}
		}
		sort.Strings(mirrors)
		elsewhere = append(mirrors, elsewhere...)
		if len(elsewhere) > 0 {
			r.findings = append(r.findings, r.redirectFinding(registry, elsewhere, p, 0))
		}
	}
}
