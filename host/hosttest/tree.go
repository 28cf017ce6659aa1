// Package hosttest builds node file trees in temporary directories for tests of host checks:
// what git cannot store (modes such as o+w, FIFOs, sparse files, dates, immutable flags) is
// made here, on top of a fixture tree copied from testdata or from nothing.
package hosttest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Tree is a node's file tree under a temporary directory.
type Tree struct {
	t   testing.TB
	Dir string
}

// New starts an empty tree.
func New(t testing.TB) *Tree {
	t.Helper()
	return &Tree{t: t, Dir: t.TempDir()}
}

// CopyOf starts a tree as a copy of the fixture tree src: files with their modes, directories
// and symbolic links as they are.
func CopyOf(t testing.TB, src string) *Tree {
	t.Helper()
	tr := New(t)
	src, err := filepath.EvalSymlinks(src) // a link to a tree copies the tree (testdata/hosts/broken)
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(tr.Dir, rel)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(dst, data, 0o600); err != nil {
				return err
			}
			return os.Chmod(dst, info.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	return tr
}

// Path is where the node path p is on this machine.
func (tr *Tree) Path(p string) string { return filepath.Join(tr.Dir, filepath.FromSlash(p)) }

// File writes a file with a mode (applied after writing, so 0 or 0o444 work too).
func (tr *Tree) File(p, content string, mode os.FileMode) *Tree {
	tr.t.Helper()
	full := tr.mkparent(p)
	if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
		tr.t.Fatal(err)
	}
	tr.Chmod(p, mode)
	return tr
}

// Bytes writes a file of raw bytes with a mode.
func (tr *Tree) Bytes(p string, content []byte, mode os.FileMode) *Tree {
	return tr.File(p, string(content), mode)
}

// Mkdir makes a directory and its parents.
func (tr *Tree) Mkdir(p string) *Tree {
	tr.t.Helper()
	if err := os.MkdirAll(tr.Path(p), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	return tr
}

// Symlink makes p a link to target (a node path when absolute).
func (tr *Tree) Symlink(p, target string) *Tree {
	tr.t.Helper()
	if err := os.Symlink(target, tr.mkparent(p)); err != nil {
		tr.t.Fatal(err)
	}
	return tr
}

// Chmod sets p's mode.
func (tr *Tree) Chmod(p string, mode os.FileMode) *Tree {
	tr.t.Helper()
	if err := os.Chmod(tr.Path(p), mode); err != nil {
		tr.t.Fatal(err)
	}
	return tr
}

// Mtime sets p's modification time, as `touch -d` does; its change time becomes now, which is
// how a reset timestamp gives itself away.
func (tr *Tree) Mtime(p string, mtime time.Time) *Tree {
	tr.t.Helper()
	if err := os.Chtimes(tr.Path(p), mtime, mtime); err != nil {
		tr.t.Fatal(err)
	}
	return tr
}

// Sparse makes p a sparse file of the given apparent size: no block written.
func (tr *Tree) Sparse(p string, size int64) *Tree {
	tr.t.Helper()
	f, err := os.Create(tr.mkparent(p))
	if err != nil {
		tr.t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		tr.t.Skipf("cannot make a sparse file of %d bytes here: %v", size, err)
	}
	return tr
}

func (tr *Tree) mkparent(p string) string {
	tr.t.Helper()
	full := tr.Path(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	return full
}
