package checks

import (
	"bufio"
	"bytes"
	"context"
	"path"
	"regexp"
	"sort"
	"strings"
)

// This file finds a systemd service's unit file, its drop-ins and the environment files they
// name, the way systemd does, for the checks that read how the kubelet and containerd start.

// systemdUnitDirs are searched in systemd's order: the first holding a unit wins, and a drop-in
// of the same name in an earlier directory hides the later one.
var systemdUnitDirs = []string{
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
}

// serviceFiles are the files that define how a service starts.
type serviceFiles struct {
	unit     string   // the unit file in effect, "" when there is none
	dropIns  []string // in the order systemd applies them
	envFiles []string // EnvironmentFile= files that exist
	// unreadable are the files and drop-in dirs that exist but could not be read: what is
	// concluded from the others may miss a flag they set.
	unreadable []unreadableFile
}

type unreadableFile struct {
	path string
	err  error
}

// all lists every file, unit first.
func (s serviceFiles) all() []string {
	var out []string
	if s.unit != "" {
		out = append(out, s.unit)
	}
	out = append(out, s.dropIns...)
	return append(out, s.envFiles...)
}

var environmentFileRE = regexp.MustCompile(`(?m)^\s*EnvironmentFile\s*=\s*-?\s*(\S+)`)

// findService locates the files of a service ("kubelet.service") under the root.
func findService(ctx context.Context, n *nodeFS, name string) serviceFiles {
	var s serviceFiles
	byName := map[string]string{}
	var names []string
	for _, dir := range systemdUnitDirs {
		p := path.Join(dir, name)
		if s.unit == "" && n.exists(ctx, p) {
			s.unit = p
		}
		l, ok, err := n.listOptional(ctx, p+".d")
		if err != nil {
			s.unreadable = append(s.unreadable, unreadableFile{p + ".d", err})
		}
		if !ok {
			continue
		}
		for _, e := range l.Entries {
			if !strings.HasSuffix(e.Path, ".conf") {
				continue
			}
			if _, hidden := byName[e.Name()]; !hidden {
				byName[e.Name()] = e.Path
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	for _, nm := range names {
		s.dropIns = append(s.dropIns, byName[nm])
	}
	seen := map[string]bool{}
	for _, p := range append([]string{s.unit}, s.dropIns...) {
		if p == "" {
			continue
		}
		f, ok, err := n.readOptional(ctx, p)
		if err != nil {
			s.unreadable = append(s.unreadable, unreadableFile{p, err})
		}
		if !ok {
			continue
		}
		for _, m := range environmentFileRE.FindAllSubmatch(f.Data, -1) {
			env := string(m[1])
			if !seen[env] && path.IsAbs(env) && n.exists(ctx, env) {
				seen[env] = true
				s.envFiles = append(s.envFiles, env)
			}
		}
	}
	return s
}

// flagValue finds the last `--name=value` or `--name value` across the files, as the last one
// given wins on a command line; it returns the value and where it was (file and line).
func flagValue(ctx context.Context, n *nodeFS, files []string, name string) (value, file string, line int) {
	re := regexp.MustCompile(`(?:^|[\s"'=])--` + regexp.QuoteMeta(name) + `(?:=|\s+)["']?([^\s"']+)`)
	for _, p := range files {
		f, ok, _ := n.readOptional(ctx, p)
		if !ok {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(f.Data))
		sc.Buffer(nil, 1<<20)
		for i := 1; sc.Scan(); i++ {
			if strings.HasPrefix(strings.TrimSpace(sc.Text()), "#") {
				continue
			}
			for _, m := range re.FindAllStringSubmatch(sc.Text(), -1) {
				value, file, line = m[1], p, i
			}
		}
	}
	return value, file, line
}
