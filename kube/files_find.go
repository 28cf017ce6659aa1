// Finding snapshot files: the files under a path (a cluster-info dump's .json beside its logs,
// hidden entries skipped), reading one within the size limit, and fs errors without the path.

package kube

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// maxFileSize bounds one snapshot file: a bigger one is almost surely not a snapshot, and
// holding it would take the memory the checks need.
const maxFileSize = 512 << 20

// snapshotFiles lists the files to read, in lexical order so that runs are deterministic and a
// duplicate object resolves the same way each time. A root that is a file is read whatever its
// name; in a directory only .yaml, .yml and .json count: a cluster-info dump puts logs.txt
// beside the JSON. Hidden entries (.git, editor swap files) are skipped.
func snapshotFiles(fsys fs.FS, root string, display func(string) string) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fix := ""
			if p == root {
				fix = loadFix
			}
			return newInputError(display(p), 0, 0, pathErrorText(err), fix)
		}
		hidden := p != root && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return fs.SkipDir
		case d.IsDir() || hidden:
			return nil
		case p == root || isSnapshotExt(p):
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

func isSnapshotExt(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// pathErrorText is an fs error without the path, which the InputError already shows.
func pathErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or directory"
	}
	return err.Error()
}

// readFile reads one file, refusing those over maxFileSize before reading them.
func readFile(fsys fs.FS, p, file string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, newInputError(file, 0, 0, pathErrorText(err), "")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, newInputError(file, 0, 0, pathErrorText(err), "")
	}
	if fi.Size() > maxFileSize {
		return nil, tooBig(file)
	}
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	// The limit also holds for files whose size Stat does not know (pipes).
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return nil, newInputError(file, 0, 0, "reading: "+pathErrorText(err), "")
	}
	if buf.Len() > maxFileSize {
		return nil, tooBig(file)
	}
	return buf.Bytes(), nil
}

func tooBig(file string) error {
	return newInputError(file, 0, 0, fmt.Sprintf("larger than the %d MiB kockpit reads from one file", maxFileSize>>20),
		"split it, for example one file per kind: `kubectl get pods -A -o yaml > pods.yaml`")
}
