//go:build linux

package host

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Inode flags of FS_IOC_GETFLAGS, as lsattr reads them (linux/fs.h).
const (
	fsImmutableFL = 0x10
	fsAppendFL    = 0x20
)

// statFlags ask statx not to wait for a network file system to refresh its attributes: a
// stale answer is better than a hang.
const statFlags = unix.AT_SYMLINK_NOFOLLOW | unix.AT_STATX_DONT_SYNC

// Lstat stats the node path p without following a link at its end.
func (r *Root) Lstat(ctx context.Context, p string) (Entry, error) {
	return guard(ctx, r, p, func() (Entry, error) {
		rel, err := r.resolve(p, false)
		if err != nil {
			return Entry{}, err
		}
		return r.statRel(rel, clean(p))
	})
}

// Readlink returns the target of the symbolic link the node path p names, as written in the
// link: "/dev/null" for a shell history sent nowhere.
func (r *Root) Readlink(ctx context.Context, p string) (string, error) {
	return guard(ctx, r, p, func() (string, error) {
		rel, err := r.resolve(p, false)
		if err != nil {
			return "", err
		}
		target, err := r.root.Readlink(rel)
		if err != nil {
			return "", pathError("readlink", clean(p), err)
		}
		return target, nil
	})
}

// Stat stats what the node path p names, following links (within the root).
func (r *Root) Stat(ctx context.Context, p string) (Entry, error) {
	return guard(ctx, r, p, func() (Entry, error) {
		rel, err := r.resolve(p, true)
		if err != nil {
			return Entry{}, err
		}
		return r.statRel(rel, clean(p))
	})
}

// statRel stats rel (relative to the root, its directories free of links) through a
// descriptor of its parent, so the answer is about a file inside the root.
func (r *Root) statRel(rel, nodePath string) (Entry, error) {
	dir, name := path.Split(rel)
	if rel == "." {
		dir, name = ".", ""
	}
	if dir == "" {
		dir = "."
	}
	d, err := r.root.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return Entry{}, pathError("open", path.Dir(nodePath), err)
	}
	defer d.Close()
	flags := statFlags
	if name == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	e, err := statAt(int(d.Fd()), name, nodePath, flags)
	return r.withRecorded(rel, e), err
}

func statAt(dirfd int, name, nodePath string, flags int) (Entry, error) {
	var st unix.Statx_t
	err := ignoringEINTR(func() error {
		return unix.Statx(dirfd, name, flags, unix.STATX_BASIC_STATS, &st)
	})
	if err != nil {
		return Entry{}, &fs.PathError{Op: "stat", Path: nodePath, Err: err}
	}
	return entryOf(nodePath, &st), nil
}

func entryOf(nodePath string, st *unix.Statx_t) Entry {
	e := Entry{
		Path:   nodePath,
		Mode:   fileMode(uint32(st.Mode)),
		Size:   int64(st.Size),
		Blocks: int64(st.Blocks),
		Mtime:  time.Unix(st.Mtime.Sec, int64(st.Mtime.Nsec)),
		Ctime:  time.Unix(st.Ctime.Sec, int64(st.Ctime.Nsec)),
		Uid:    st.Uid,
		Gid:    st.Gid,
		Dev:    unix.Mkdev(st.Dev_major, st.Dev_minor),
	}
	if st.Attributes_mask&unix.STATX_ATTR_IMMUTABLE != 0 {
		e.Attrs = Attrs{
			Known:      true,
			Immutable:  st.Attributes&unix.STATX_ATTR_IMMUTABLE != 0,
			AppendOnly: st.Attributes&unix.STATX_ATTR_APPEND != 0,
		}
	}
	return e
}

// fileMode converts a Unix mode to Go's, as os.Lstat does.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// ReadFile reads the regular file the node path p names (following links within the root),
// at most Limits.MaxFileBytes of it. Anything but a regular file is refused with
// ErrNotRegular before it is opened, so a FIFO or a device is never read.
func (r *Root) ReadFile(ctx context.Context, p string) (File, error) {
	return r.ReadHead(ctx, p, r.limits.MaxFileBytes)
}

// ReadHead reads at most the first n bytes (and never more than Limits.MaxFileBytes) of the
// regular file p, as ReadFile does: enough to tell what a program is without reading it all.
func (r *Root) ReadHead(ctx context.Context, p string, n int64) (File, error) {
	return guard(ctx, r, p, func() (File, error) {
		rel, err := r.resolve(p, true)
		if err != nil {
			return File{}, err
		}
		return r.readRel(rel, clean(p), min(n, r.limits.MaxFileBytes))
	})
}

func (r *Root) readRel(rel, nodePath string, limit int64) (File, error) {
	dir, name := path.Split(rel)
	if dir == "" {
		dir = "."
	}
	if name == "" || rel == "." {
		return File{}, &fs.PathError{Op: "read", Path: nodePath, Err: ErrNotRegular}
	}
	d, err := r.root.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return File{}, pathError("open", path.Dir(nodePath), err)
	}
	defer d.Close()
	before, err := statAt(int(d.Fd()), name, nodePath, statFlags)
	if err != nil {
		return File{}, err
	}
	if !before.IsRegular() {
		return File{Entry: before}, &fs.PathError{Op: "read", Path: nodePath, Err: ErrNotRegular}
	}
	var fd int
	err = ignoringEINTR(func() (err error) {
		fd, err = unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return File{Entry: before}, &fs.PathError{Op: "open", Path: nodePath, Err: err}
	}
	f := os.NewFile(uintptr(fd), nodePath)
	defer f.Close()
	r.reads.Add(1)
	// The file may have been swapped between the stat and the open: trust only what is open.
	e, err := statAt(fd, "", nodePath, statFlags|unix.AT_EMPTY_PATH)
	if err != nil {
		return File{Entry: before}, err
	}
	if !e.IsRegular() {
		return File{Entry: e}, &fs.PathError{Op: "read", Path: nodePath, Err: ErrNotRegular}
	}
	e = r.withRecorded(rel, e)
	buf := bytes.NewBuffer(make([]byte, 0, min(e.Size, limit)+1))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return File{Entry: e}, &fs.PathError{Op: "read", Path: nodePath, Err: err}
	}
	out := File{Entry: e, Data: buf.Bytes()}
	if int64(len(out.Data)) > limit {
		out.Data, out.Truncated = out.Data[:limit], true
	}
	return out, nil
}

// ReadDir lists the directory the node path p names (following links within the root), with
// each entry's stat. Entries that vanish while being listed are left out. See ReadDirMatch
// for how a huge directory is listed.
func (r *Root) ReadDir(ctx context.Context, p string) (Listing, error) {
	return r.ReadDirMatch(ctx, p, nil)
}

// ReadDirMatch lists the entries of the directory p whose names match (nil matches all). It
// reads the names first, up to Limits.MaxDirNames, sorts them, and stats the first
// Limits.MaxDirEntries of them within Limits.MaxDirTime: a huge directory gives its lexically
// first entries and says it holds more (Truncated, Total). A name missing from a truncated
// listing may still be there: look it up (Lstat), never conclude it is absent.
func (r *Root) ReadDirMatch(ctx context.Context, p string, match func(name string) bool) (Listing, error) {
	return guard(ctx, r, p, func() (Listing, error) {
		rel, err := r.resolve(p, true)
		if err != nil {
			return Listing{}, err
		}
		d, err := r.root.OpenFile(rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK, 0)
		if err != nil {
			return Listing{}, pathError("open", clean(p), err)
		}
		defer d.Close()
		return r.listDir(d, rel, clean(p), match)
	})
}

// listDir reads the names of the open directory d (rel from the root), sorts them, and stats
// the first ones.
func (r *Root) listDir(d *os.File, rel, nodePath string, match func(string) bool) (Listing, error) {
	var names []string
	l := Listing{AllNames: true}
	for {
		batch, err := d.Readdirnames(1024)
		for _, name := range batch {
			if match != nil && !match(name) {
				continue
			}
			if len(names) == r.limits.MaxDirNames {
				l.AllNames = false
				break
			}
			names = append(names, name)
		}
		if !l.AllNames || errors.Is(err, io.EOF) || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			return Listing{}, &fs.PathError{Op: "readdir", Path: nodePath, Err: err}
		}
	}
	sort.Strings(names)
	l.Total = len(names)
	l.Truncated = !l.AllNames
	deadline := time.Now().Add(r.limits.MaxDirTime)
	dirfd := int(d.Fd())
	for i, name := range names {
		if i == r.limits.MaxDirEntries {
			l.Truncated = true
			break
		}
		if i%64 == 63 && time.Now().After(deadline) {
			l.Truncated, l.TimedOut = true, true
			break
		}
		if testHookOp != nil {
			testHookOp(join(nodePath, name))
		}
		e, err := statAt(dirfd, name, join(nodePath, name), statFlags)
		if err != nil {
			continue // gone since it was listed, or unreadable: nothing to show
		}
		l.Entries = append(l.Entries, r.withRecorded(path.Join(rel, name), e))
	}
	return l, nil
}

// readDirEntries stats each entry of the open directory d, at most max of them, in batches so
// a huge directory is never held in memory twice. visit returning false stops early.
func readDirEntries(d *os.File, nodePath string, max int, visit func(Entry) bool, truncated *bool) error {
	dirfd := int(d.Fd())
	seen := 0
	for {
		names, err := d.Readdirnames(256)
		for _, name := range names {
			if seen == max {
				*truncated = true
				return nil
			}
			seen++
			e, serr := statAt(dirfd, name, join(nodePath, name), statFlags)
			if serr != nil {
				continue // gone since it was listed, or unreadable: nothing to show
			}
			if !visit(e) {
				return nil
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
			return nil
		}
		if err != nil {
			return &fs.PathError{Op: "readdir", Path: nodePath, Err: err}
		}
	}
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// Attributes reads the inode flags of the node path p (not following a link at its end), as
// `lsattr -d` does: from statx when the file system reports them there, else with the
// FS_IOC_GETFLAGS ioctl on regular files and directories.
func (r *Root) Attributes(ctx context.Context, p string) (Entry, error) {
	return guard(ctx, r, p, func() (Entry, error) {
		rel, err := r.resolve(p, false)
		if err != nil {
			return Entry{}, err
		}
		e, err := r.statRel(rel, clean(p))
		if err != nil || e.Attrs.Known || !(e.IsRegular() || e.IsDir()) {
			return e, err
		}
		f, err := r.root.OpenFile(rel, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY, 0)
		if err != nil {
			return e, nil // unreadable: the flags stay unknown
		}
		defer f.Close()
		flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
		if err == nil {
			e.Attrs = Attrs{Known: true, Immutable: flags&fsImmutableFL != 0, AppendOnly: flags&fsAppendFL != 0}
		}
		return e, nil
	})
}

// Usage reports the use of the file system holding the node path p, as `df` does. It
// describes this machine's mounts: callers measure only when the root is the system's own.
func (r *Root) Usage(ctx context.Context, p string) (Usage, error) {
	return guard(ctx, r, p, func() (Usage, error) {
		rel, err := r.resolve(p, true)
		if err != nil {
			return Usage{}, err
		}
		f, err := r.root.OpenFile(rel, unix.O_PATH, 0)
		if err != nil {
			return Usage{}, pathError("open", clean(p), err)
		}
		defer f.Close()
		var st unix.Statfs_t
		if err := ignoringEINTR(func() error { return unix.Fstatfs(int(f.Fd()), &st) }); err != nil {
			return Usage{}, &fs.PathError{Op: "statfs", Path: clean(p), Err: err}
		}
		e, err := statAt(int(f.Fd()), "", clean(p), statFlags|unix.AT_EMPTY_PATH)
		if err != nil {
			return Usage{}, err
		}
		bsize := uint64(st.Frsize)
		if bsize == 0 {
			bsize = uint64(st.Bsize)
		}
		return Usage{
			Used:       (st.Blocks - st.Bfree) * bsize,
			Avail:      st.Bavail * bsize,
			InodesUsed: st.Files - st.Ffree,
			InodesFree: st.Ffree,
			Dev:        e.Dev,
		}, nil
	})
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// walkRoot opens the start directory safely and walks it.
func (w *walker) walkRoot(start string) error {
	rel, err := w.root.resolve(start, true)
	if err != nil {
		return err
	}
	d, err := w.root.root.OpenFile(rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK, 0)
	if err != nil {
		return pathError("open", start, err)
	}
	defer d.Close()
	top, err := statAt(int(d.Fd()), "", start, statFlags|unix.AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	w.startRel = rel
	w.walkDir(d, start, top.Dev, 1)
	return nil
}

// walkDir emits the entries of the open directory d, then walks its subdirectories, each
// opened relative to d without following links. False means the walk is over.
func (w *walker) walkDir(d *os.File, nodePath string, dev uint64, depth int) bool {
	w.current.Store(nodePath)
	if testHookOp != nil {
		testHookOp(nodePath)
	}
	var subdirs []Entry
	more := true
	err := readDirEntries(d, nodePath, w.root.limits.MaxDirEntries, func(e Entry) bool {
		if more = w.emit(e); !more {
			return false
		}
		if e.IsDir() && depth < w.opts.MaxDepth && (!w.opts.SameDevice || e.Dev == dev) &&
			(w.opts.Descend == nil || w.opts.Descend(e)) {
			subdirs = append(subdirs, e)
		}
		return true
	}, &w.result.Truncated)
	if err != nil {
		w.unreadable(err)
	}
	for _, sub := range subdirs {
		if !more || w.ctx.Err() != nil {
			return false
		}
		var fd int
		err := ignoringEINTR(func() (err error) {
			fd, err = unix.Openat(int(d.Fd()), sub.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
			return err
		})
		if err != nil {
			w.unreadable(&fs.PathError{Op: "open", Path: sub.Path, Err: err})
			continue
		}
		f := os.NewFile(uintptr(fd), sub.Path)
		more = w.walkDir(f, sub.Path, dev, depth+1)
		f.Close()
	}
	return more
}
