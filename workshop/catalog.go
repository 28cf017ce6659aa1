package workshop

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Source is a directory of scenarios, one per subdirectory: the embedded ones, or a teacher's
// (--scenarios DIR).
type Source struct {
	FS fs.FS
	// Root is the directory in FS; Display names it in messages.
	Root, Display string
}

// DirSource is a teacher's directory on disk.
func DirSource(dir string) Source {
	return Source{FS: os.DirFS(dir), Root: ".", Display: filepath.Clean(dir)}
}

// Catalog loads every scenario of the sources, in name order. Every problem of every scenario
// is returned at once (Problems), so a teacher fixes them in one pass; two scenarios with one
// name are a problem too.
func Catalog(ctx context.Context, lib Library, sources []Source) ([]*Scenario, error) {
	var out []*Scenario
	var ps Problems
	where := map[string]string{}
	for _, src := range sources {
		entries, err := fs.ReadDir(src.FS, src.Root)
		if err != nil {
			ps = append(ps, Problem{Path: src.Display, Msg: fmt.Sprintf("cannot read the scenarios: %v (fix: give a directory with one subdirectory per scenario)", err)})
			continue
		}
		found := 0
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			found++
			dir := path.Join(src.Root, e.Name())
			display := path.Join(src.Display, e.Name())
			if prev, dup := where[e.Name()]; dup {
				ps = append(ps, Problem{Path: display, Msg: fmt.Sprintf("a scenario named %q is also in %s (fix: rename one directory)", e.Name(), prev)})
				continue
			}
			where[e.Name()] = display
			s, err := Load(ctx, lib, src.FS, dir, display)
			if err != nil {
				if more, ok := err.(Problems); ok {
					ps = append(ps, more...)
					continue
				}
				return nil, err
			}
			out = append(out, s)
		}
		if found == 0 {
			ps = append(ps, Problem{Path: src.Display, Msg: "no scenarios: a scenario is a subdirectory with a scenario.yaml and a cluster/ (fix: see the README's worked example)"})
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
