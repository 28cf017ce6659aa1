// Finding snapshot files: the files under a path (a cluster-info dump's .json beside its logs,
// hidden entries skipped), reading one within the size limit, and fs errors without the path.

package kube

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kockpit/kockpit/internal/inputfile"
)

// maxFileSize bounds one snapshot file: a bigger one is almost surely not a snapshot, and
// holding it would take the memory the checks need. It is checked on the file's size before
// reading and enforced while reading.
const maxFileSize = 512 << 20

// snapshotWhat names a snapshot in inputfile's messages.
const snapshotWhat = "a snapshot"

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
			// An entry that is not a regular file (a FIFO, a device, a link to either) is
			// refused before anything is opened: it would block or never end.
			if !d.Type().IsRegular() {
				fi, err := fs.Stat(fsys, p)
				if err != nil {
					return &InputError{File: display(p), Msg: pathErrorText(err)}
				}
				if err := inputfile.Check(display(p), fi, false, 0, snapshotWhat); err != nil {
					return refused(display(p), err)
				}
			}
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

// readFile reads one regular file: a special file is refused unopened and one over
// maxFileSize before it is read (Stat), and the cap holds while reading.
func readFile(fsys fs.FS, p, file string) ([]byte, error) {
	f, fi, err := openSnapshotFile(fsys, p, file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := inputfile.ReadAll(f, file, fi.Size(), maxFileSize, snapshotWhat)
	if err != nil {
		if errors.Is(err, inputfile.ErrTooLarge) {
			return nil, refused(file, err)
		}
		return nil, newInputError(file, 0, 0, "reading: "+pathErrorText(err), "")
	}
	return data, nil
}

// openSnapshotFile opens one regular file: a special file is refused unopened and one over
// maxFileSize before it is read; the reader enforces the cap while reading.
func openSnapshotFile(fsys fs.FS, p, file string) (fs.File, fs.FileInfo, error) {
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, nil, &InputError{File: file, Msg: pathErrorText(err)}
	}
	if err := inputfile.Check(file, fi, false, maxFileSize, snapshotWhat); err != nil {
		return nil, nil, refused(file, err)
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, nil, newInputError(file, 0, 0, pathErrorText(err), "")
	}
	// The file may have changed since the Stat: judge what was opened.
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return nil, nil, newInputError(file, 0, 0, pathErrorText(err), "")
	}
	if err := inputfile.Check(file, fi, false, maxFileSize, snapshotWhat); err != nil {
		f.Close()
		return nil, nil, refused(file, err)
	}
	return f, fi, nil
}

// refused is an inputfile refusal as an InputError, with what to do about it.
func refused(file string, err error) error {
	fix := "give a regular file or a directory of them"
	if errors.Is(err, inputfile.ErrTooLarge) {
		fix = "split it, for example one file per kind: `kubectl get pods -A -o yaml > pods.yaml`"
	}
	return newInputError(file, 0, 0, err.Error(), fix)
}

// nonblockingDirFS is os.DirFS(dir), except that files are opened with O_NONBLOCK: were an
// entry swapped for a FIFO after its Stat, opening it returns at once instead of waiting for
// a writer forever (readFile then refuses it).
func nonblockingDirFS(dir string) fs.FS { return nbDirFS{FS: os.DirFS(dir), dir: dir} }

type nbDirFS struct {
	fs.FS
	dir string
}

func (d nbDirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := os.OpenFile(filepath.Join(d.dir, filepath.FromSlash(name)), os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (d nbDirFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(d.FS, name) }

func (d nbDirFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(d.FS, name) }
