//go:build !linux

package host

import (
	"context"
)

// Lstat is supported on Linux only.
func (r *Root) Lstat(context.Context, string) (Entry, error) { return Entry{}, ErrUnsupported }

// Readlink is supported on Linux only.
func (r *Root) Readlink(context.Context, string) (string, error) { return "", ErrUnsupported }

// Stat is supported on Linux only.
func (r *Root) Stat(context.Context, string) (Entry, error) { return Entry{}, ErrUnsupported }

// ReadFile is supported on Linux only.
func (r *Root) ReadFile(context.Context, string) (File, error) { return File{}, ErrUnsupported }

// ReadHead is supported on Linux only.
func (r *Root) ReadHead(context.Context, string, int64) (File, error) { return File{}, ErrUnsupported }

// ReadDir is supported on Linux only.
func (r *Root) ReadDir(context.Context, string) (Listing, error) { return Listing{}, ErrUnsupported }

// ReadDirMatch is supported on Linux only.
func (r *Root) ReadDirMatch(context.Context, string, func(string) bool) (Listing, error) {
	return Listing{}, ErrUnsupported
}

// Attributes is supported on Linux only.
func (r *Root) Attributes(context.Context, string) (Entry, error) { return Entry{}, ErrUnsupported }

// Usage is supported on Linux only.
func (r *Root) Usage(context.Context, string) (Usage, error) { return Usage{}, ErrUnsupported }

func (w *walker) walkRoot(string) error { return ErrUnsupported }

// Reader is supported on Linux only.
type Reader struct{ Entry }

// OpenReader is supported on Linux only.
func (r *Root) OpenReader(context.Context, string) (*Reader, error) { return nil, ErrUnsupported }

// ReadAt is supported on Linux only.
func (rd *Reader) ReadAt([]byte, int64) (int, error) { return 0, ErrUnsupported }

// Close is supported on Linux only.
func (rd *Reader) Close() error { return nil }
