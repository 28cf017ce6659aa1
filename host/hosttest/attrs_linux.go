package hosttest

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Inode flags, as in linux/fs.h.
const (
	fsImmutableFL = 0x10
	fsAppendFL    = 0x20
)

// Fifo makes p a named pipe.
func (tr *Tree) Fifo(p string) *Tree {
	tr.t.Helper()
	if err := syscall.Mkfifo(tr.mkparent(p), 0o644); err != nil {
		tr.t.Skipf("mkfifo: %v", err)
	}
	return tr
}

// SetAttrs sets or clears the immutable and append-only flags of p, as chattr does. Setting a
// flag registers a cleanup that clears it, so the temporary directory can be removed. An error
// means the flags cannot be set here (not root, or a file system without them): the caller
// skips with it.
func (tr *Tree) SetAttrs(p string, immutable, appendOnly bool) error {
	tr.t.Helper()
	return SetAttrs(tr.t, tr.Path(p), immutable, appendOnly)
}

// SetAttrs sets the flags of a file on this machine; see Tree.SetAttrs.
func SetAttrs(t interface{ Cleanup(func()) }, path string, immutable, appendOnly bool) error {
	if err := setFlags(path, immutable, appendOnly); err != nil {
		return err
	}
	if immutable || appendOnly {
		t.Cleanup(func() {
			if err := setFlags(path, false, false); err != nil {
				fmt.Fprintf(os.Stderr, "hosttest: could not clear the flags of %s: %v (run chattr -i -a on it)\n", path, err)
			}
		})
	}
	return nil
}

func setFlags(path string, immutable, appendOnly bool) error {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return fmt.Errorf("reading the inode flags (FS_IOC_GETFLAGS): %w", err)
	}
	flags &^= fsImmutableFL | fsAppendFL
	if immutable {
		flags |= fsImmutableFL
	}
	if appendOnly {
		flags |= fsAppendFL
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
		return fmt.Errorf("setting the inode flags (FS_IOC_SETFLAGS, as chattr): %w", err)
	}
	return nil
}

// Many fills the directory dir with count empty regular files of the given mode, named by
// name(i): a directory of 200,000 entries, as a runaway script leaves one. The names are hard
// links to a few files (a new one whenever the file system's link limit is reached), since
// making 200,000 inodes takes minutes on a busy disk and a link a fraction of that; each is a
// regular file to whoever lists or reads the directory.
func (tr *Tree) Many(dir string, count int, name func(i int) string, mode os.FileMode) *Tree {
	tr.t.Helper()
	tr.Mkdir(dir)
	full := tr.Path(dir)
	d, err := os.Open(full)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer d.Close()
	dirfd := int(d.Fd())
	first := ""
	for i := range count {
		n := name(i)
		if first != "" {
			err = unix.Linkat(dirfd, first, dirfd, n, 0)
			if err == nil {
				continue
			}
			if !errors.Is(err, unix.EMLINK) {
				tr.t.Fatalf("creating %s/%s: %v", full, n, err)
			}
		}
		if err := createEmpty(dirfd, n, mode); err != nil {
			tr.t.Fatalf("creating %s/%s: %v", full, n, err)
		}
		first = n
	}
	return tr
}

// createEmpty creates an empty file with exactly the mode, whatever the umask.
func createEmpty(dirfd int, name string, mode os.FileMode) error {
	fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	err = unix.Fchmod(fd, uint32(mode.Perm()))
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}
