package nodefs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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

// ServiceFiles are the files that define how a service starts.
type ServiceFiles struct {
	Unit     string   // the unit file in effect, "" when there is none
	DropIns  []string // in the order systemd applies them
	envFiles []string // EnvironmentFile= files that exist
	// Unreadable are the files and drop-in dirs that exist but could not be read: what is
	// concluded from the others may miss a flag they set.
	Unreadable []unreadableFile
}

type unreadableFile struct {
	Path string
	Err  error
}

// All lists every file, unit first.
func (s ServiceFiles) All() []string {
	var out []string
	if s.Unit != "" {
		out = append(out, s.Unit)
	}
	out = append(out, s.DropIns...)
	return append(out, s.envFiles...)
}

var environmentFileRE = regexp.MustCompile(`(?m)^\s*EnvironmentFile\s*=\s*-?\s*(\S+)`)

// FindService locates the files of a service ("kubelet.service") under the root.
func FindService(ctx context.Context, n *FS, name string) ServiceFiles {
	var s ServiceFiles
	byName := map[string]string{}
	var names []string
	for _, dir := range systemdUnitDirs {
		p := path.Join(dir, name)
		if s.Unit == "" && n.Exists(ctx, p) {
			s.Unit = p
		}
		l, ok, err := n.ListMatching(ctx, p+".d", func(name string) bool { return strings.HasSuffix(name, ".conf") })
		if err != nil {
			s.Unreadable = append(s.Unreadable, unreadableFile{p + ".d", err})
		}
		if !ok {
			continue
		}
		if l.Truncated {
			// systemd reads them all; a drop-in past the cap may set what matters.
			count := fmt.Sprint(l.Total)
			if !l.AllNames {
				count = "more than " + count
			}
			s.Unreadable = append(s.Unreadable, unreadableFile{p + ".d", fmt.Errorf("it holds %s drop-ins, more than kockpit reads (%d): the rest were not read", count, len(l.Entries))})
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
		s.DropIns = append(s.DropIns, byName[nm])
	}
	seen := map[string]bool{}
	for _, p := range append([]string{s.Unit}, s.DropIns...) {
		if p == "" {
			continue
		}
		f, ok, err := n.ReadOptional(ctx, p)
		if err != nil {
			s.Unreadable = append(s.Unreadable, unreadableFile{p, err})
		}
		if !ok {
			continue
		}
		for _, m := range environmentFileRE.FindAllSubmatch(f.Data, -1) {
			env := string(m[1])
			if !seen[env] && path.IsAbs(env) && n.Exists(ctx, env) {
				seen[env] = true
				s.envFiles = append(s.envFiles, env)
			}
		}
	}
	return s
}

// FlagValue finds the last `--name=value` or `--name value` across the files, as the last one
// given wins on a command line; it returns the value and where it was (file and line).
func FlagValue(ctx context.Context, n *FS, files []string, name string) (value, file string, line int) {
	re := regexp.MustCompile(`(?:^|[\s"'=])--` + regexp.QuoteMeta(name) + `(?:=|\s+)["']?([^\s"']+)`)
	for _, p := range files {
		f, ok, _ := n.ReadOptional(ctx, p)
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
