//go:build linux

package host

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// Reader is a regular file of the node opened for reading at offsets: for what reads a large
// file in pieces (a program's embedded version) rather than whole. Every ReadAt is bounded by
// the stall limit and the context given to OpenReader.
type Reader struct {
	Entry
	root *Root
	ctx  context.Context
	f    *os.File
}

// OpenReader opens the regular file the node path p names (following links within the root),
// refusing anything else before it is opened, as ReadFile does. The caller closes it. (A file
// opened after the stall limit gave up on it is closed by its finalizer.)
func (r *Root) OpenReader(ctx context.Context, p string) (*Reader, error) {
	return guard(ctx, r, p, func() (*Reader, error) {
		rel, err := r.resolve(p, true)
		if err != nil {
			return nil, err
		}
		dir, name := path.Split(rel)
		if dir == "" {
			dir = "."
		}
		nodePath := clean(p)
		if name == "" || rel == "." {
			return nil, &fs.PathError{Op: "read", Path: nodePath, Err: ErrNotRegular}
		}
		d, err := r.root.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			return nil, pathError("open", path.Dir(nodePath), err)
		}
		defer d.Close()
		before, err := statAt(int(d.Fd()), name, nodePath, statFlags)
		if err != nil {
			return nil, err
		}
		if !before.IsRegular() {
			return nil, &fs.PathError{Op: "read", Path: nodePath, Err: ErrNotRegular}
		}
		var fd int
		err = ignoringEINTR(func() (err error) {
			fd, err = unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
			return err
		})
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: nodePath, Err: err}
		}
		f := os.NewFile(uintptr(fd), nodePath)
		e, err := statAt(fd, "", nodePath, statFlags|unix.AT_EMPTY_PATH)
		if err == nil && !e.IsRegular() {
			err = &fs.PathError{Op: "read", Path: nodePath, Err: ErrNotRegular}
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		r.reads.Add(1)
		return &Reader{Entry: r.withRecorded(rel, e), root: r, ctx: ctx, f: f}, nil
	})
}

// ReadAt reads len(b) bytes at off, as io.ReaderAt does, giving up after the stall limit: an
// abandoned read goes on in the background into a buffer of its own, never into b.
func (rd *Reader) ReadAt(b []byte, off int64) (int, error) {
	type chunk struct {
		data []byte
		err  error
	}
	c, err := guard(rd.ctx, rd.root, rd.Path, func() (chunk, error) {
		buf := make([]byte, len(b))
		n, err := rd.f.ReadAt(buf, off)
		return chunk{buf[:n], err}, nil
	})
	if err != nil {
		return 0, err
	}
	n := copy(b, c.data)
	if c.err != nil && c.err != io.EOF {
		return n, &fs.PathError{Op: "read", Path: rd.Path, Err: c.err}
	}
	return n, c.err
}

// Close closes the file.
func (rd *Reader) Close() error { return rd.f.Close() }
