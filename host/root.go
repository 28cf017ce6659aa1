// Package host reads a node's file system, bounded and read-only, for kockpit's host checks.
//
// A Root is a directory that stands for the node's "/": "/" on the node itself, "/host" in a pod
// that mounts the node, a fixture tree in tests. Paths given to a Root are the node's paths
// ("/etc/kubernetes/admin.conf"); symbolic links are resolved as a chroot would, so an absolute
// link target stays under the root and ".." never climbs above it. Every read is capped (bytes
// per file, entries per directory and per walk), special files (FIFOs, devices, sockets) are
// never opened for reading, and an operation that makes no progress for Limits.Stall (a hung
// NFS mount) is abandoned with a *StallError instead of hanging the caller.
package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Limits bound what one Root reads.
type Limits struct {
	// MaxFileBytes is the most ReadFile returns of one file; the rest is left unread and the
	// File says Truncated.
	MaxFileBytes int64
	// MaxDirEntries is the most entries ReadDir returns, and a walk reads, of one directory.
	MaxDirEntries int
	// MaxDirNames is the most names ReadDir reads of one directory before it sorts them and
	// stats the first MaxDirEntries: names are cheap, so a listing of a huge directory is its
	// lexically first entries (the ones a runtime reading it in order considers first), and
	// Listing.Total counts them all, up to this cap.
	MaxDirNames int
	// MaxWalkEntries is the most entries one walk visits.
	MaxWalkEntries int
	// Stall is how long an operation may make no progress before it is abandoned: a stat or a
	// read on a hung network mount never returns, and kockpit must.
	Stall time.Duration
	// MaxDirTime bounds the time one walk, or one ReadDir's stats, go on: past it they stop and
	// say so (WalkResult.TimedOut, Listing.TimedOut), so a directory too large or too slow to
	// read within it is reported as not judged fully instead of holding the run. Checks going
	// through a directory's entries one by one take the same budget (see nodefs.Budget).
	MaxDirTime time.Duration
}

// DefaultLimits are the limits of Open when the caller gives none.
var DefaultLimits = Limits{
	MaxFileBytes:   4 << 20,
	MaxDirEntries:  20000,
	MaxDirNames:    500000,
	MaxWalkEntries: 250000,
	Stall:          5 * time.Second,
	MaxDirTime:     2 * time.Second,
}

// Root is a node's file system seen through a directory.
type Root struct {
	dir string // as given, cleaned: what paths shown to people start with
	// asNode shows paths as on the node ("/usr/bin/kubeadm"), not as reached from here: for a
	// scenario's copy of a node, whose temporary directory means nothing to a viewer.
	asNode bool
	root   *os.Root
	limits Limits
	// recorded are the facts an unpacked tree's sidecar gives (see UseRecorded), or nil.
	recorded *Recorded
	// reads counts the files ReadFile opened, for tests and the benchmark.
	reads atomic.Int64
}

// ErrNotRegular is returned when reading a file that is not a regular file (a FIFO, a device,
// a socket, a directory): reading it could block or never end.
var ErrNotRegular = errors.New("not a regular file")

// ErrUnsupported is returned on systems where kockpit cannot read a node (host checks are for
// Linux nodes).
var ErrUnsupported = errors.New("reading a node's files is supported on Linux only")

// StallError is an operation abandoned because it made no progress for the stall limit.
type StallError struct {
	Path  string // the node path being read when it stalled
	After time.Duration
}

func (e *StallError) Error() string {
	return fmt.Sprintf("%s did not answer within %s (a slow or hung mount?)", e.Path, e.After)
}

// Open opens the directory that stands for the node's "/". Zero fields of limits take their
// DefaultLimits value.
func Open(dir string, limits Limits) (*Root, error) {
	if dir == "" {
		dir = "/"
	}
	dir = filepath.Clean(dir)
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the host root: %w", err)
	}
	return &Root{dir: dir, root: r, limits: limits.withDefaults()}, nil
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxFileBytes > 0 {
		d.MaxFileBytes = l.MaxFileBytes
	}
	if l.MaxDirEntries > 0 {
		d.MaxDirEntries = l.MaxDirEntries
	}
	if l.MaxDirNames > 0 {
		d.MaxDirNames = l.MaxDirNames
	}
	if l.MaxDirTime > 0 {
		d.MaxDirTime = l.MaxDirTime
	}
	if l.MaxWalkEntries > 0 {
		d.MaxWalkEntries = l.MaxWalkEntries
	}
	if l.Stall > 0 {
		d.Stall = l.Stall
	}
	return d
}

// Close releases the root directory.
func (r *Root) Close() error { return r.root.Close() }

// Dir is the directory standing for the node's "/", as given to Open (cleaned).
func (r *Root) Dir() string { return r.dir }

// ShowNodePaths makes Display give node paths ("/etc/hosts") though the files are read under
// another directory: for an unpacked copy of a node, where the copy's place is an accident.
func (r *Root) ShowNodePaths() { r.asNode = true }

// Limits are the limits this root reads with.
func (r *Root) Limits() Limits { return r.limits }

// IsSystemRoot reports whether the root is this machine's own "/", so measurements of the
// running system (free disk, CPU count) describe the node.
func (r *Root) IsSystemRoot() bool { return r.dir == "/" }

// Display is the path a person on this machine types to reach the node path p: p itself on a
// node, "/host/etc/hosts" in a pod mounting the node at /host.
func (r *Root) Display(p string) string {
	p = clean(p)
	if r.dir == "/" || r.asNode {
		return p
	}
	return filepath.Join(r.dir, filepath.FromSlash(p))
}

// FilesRead is how many files ReadFile opened since Open.
func (r *Root) FilesRead() int64 { return r.reads.Load() }

// clean makes p an absolute, clean node path.
func clean(p string) string {
	return path.Clean("/" + filepath.ToSlash(p))
}

// guard runs f, giving up when it makes no answer within the stall limit or ctx ends. An
// abandoned f keeps running in its goroutine until the system call returns; its result is
// dropped.
func guard[T any](ctx context.Context, r *Root, p string, f func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		if testHookOp != nil {
			testHookOp(p)
		}
		v, err := f()
		done <- result{v, err}
	}()
	t := time.NewTimer(r.limits.Stall)
	defer t.Stop()
	select {
	case res := <-done:
		return res.v, res.err
	case <-t.C:
		return zero, &StallError{Path: r.Display(p), After: r.limits.Stall}
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// testHookOp, when set by a test, runs before every guarded operation, every directory a walk
// reads and every entry ReadDir stats, with the node path: a test makes it sleep to play a
// hung or slow mount.
var testHookOp func(p string)
