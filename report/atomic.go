package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/kockpit/kockpit/safetext"
)

// The rule for a file a user names for kockpit to write (-o FILE): kockpit writes only a
// regular file or a new path. A symbolic link is followed, and its final target is replaced in
// the target's own directory; the link stays a link. An existing file keeps its mode and its
// owner. Everything else is refused, before any work is done, and nothing is written: a
// directory, a device, a FIFO, a socket, a path in a directory that does not exist, a file with
// other hard links (replacing it would break them), a read-only file, a file whose owner could
// not be kept, and, in a shared sticky directory such as /tmp, a link or a file that belongs
// to someone else (the kernel's protected_symlinks and protected_regular rules, which a
// rename would bypass).

// maxLinks is how many symbolic links a path may go through, as the kernel allows.
const maxLinks = 40

// OutputError is a refusal to write a path: bad input, and nothing was written. Its message
// names the path as given and says why; it never names a temporary file.
type OutputError struct {
	Path   string // as the user gave it
	Reason string
}

func (e *OutputError) Error() string { return safetext.Visible(e.Path) + ": " + e.Reason }

// Output is a path checked for writing one file: where the file will be replaced, and what is
// there now. CheckOutput makes one; Write writes it.
type Output struct {
	given string      // the path as given
	dir   string      // the directory, links resolved, that the file is replaced in
	base  string      // the file's name in dir
	dirFI os.FileInfo // dir itself, to notice it was swapped
	old   os.FileInfo // the regular file there now; nil for a new path
}

// Path is the path as given.
func (o *Output) Path() string { return o.given }

// Target is the file that Write replaces or creates: the path with its links resolved.
func (o *Output) Target() string { return filepath.Join(o.dir, o.base) }

// Replaces says whether writing o would replace the file fi describes (the same inode).
func (o *Output) Replaces(fi os.FileInfo) bool {
	return o.old != nil && fi != nil && os.SameFile(o.old, fi)
}

// CheckOutput says whether path may be written as one file, following the rule above, without
// writing anything. A refusal is an *OutputError.
func CheckOutput(path string) (*Output, error) {
	refuse := func(format string, args ...any) error {
		return &OutputError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if path == "" {
		return nil, refuse("an empty file name")
	}
	if os.IsPathSeparator(path[len(path)-1]) {
		return nil, refuse("names a directory (it ends in %c); give a file name, such as %s", path[len(path)-1], safetext.Visible(filepath.Join(path, "report.json")))
	}
	// Once a link is followed, messages say where it led: "links to X, which is a FIFO".
	p, followed := path, false
	which := func(p string) string {
		if !followed {
			return ""
		}
		return "links to " + safetext.Visible(p) + ", which "
	}
	and := func(p string) string {
		if !followed {
			return ""
		}
		return "links to " + safetext.Visible(p) + ", and "
	}
	for hops := 0; ; hops++ {
		p = filepath.Clean(p)
		base := filepath.Base(p)
		if base == "." || base == ".." || base == string(filepath.Separator) {
			return nil, refuse("%sis a directory; kockpit writes one file here: give a file name, such as %s", which(p), safetext.Visible(filepath.Join(p, "report.json")))
		}
		dir, err := filepath.EvalSymlinks(filepath.Dir(p))
		if err == nil {
			dir, err = filepath.Abs(dir)
		}
		if err != nil {
			return nil, refuse("%s%s", and(p), dirProblem(filepath.Dir(p), err))
		}
		dirFI, err := os.Stat(dir)
		if err != nil {
			return nil, refuse("%s%s", and(p), dirProblem(filepath.Dir(p), err))
		}
		if !dirFI.IsDir() {
			return nil, refuse("%s%s is not a directory", and(p), safetext.Visible(filepath.Dir(p)))
		}
		full := filepath.Join(dir, base)
		fi, err := os.Lstat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := dirWritable(dir); err != nil {
				return nil, refuse("%scannot create a file in %s: %v", and(p), safetext.Visible(filepath.Dir(p)), errno(err))
			}
			return &Output{given: path, dir: dir, base: base, dirFI: dirFI}, nil
		case err != nil:
			return nil, refuse("%scannot be looked at: %v", which(p), errno(err))
		case fi.Mode()&fs.ModeSymlink != 0:
			if hops >= maxLinks {
				return nil, refuse("more than %d symbolic links in a row (a loop?)", maxLinks)
			}
			if sharedSticky(dirFI) && !ownedByUsOr(fi, dirFI) {
				return nil, refuse("%sis someone else's link in a shared sticky directory such as /tmp; kockpit does not follow it (remove it, or name another file)", which(p))
			}
			target, err := os.Readlink(full)
			if err != nil {
				return nil, refuse("%sis a link that cannot be read: %v", which(p), errno(err))
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(dir, target)
			}
			p, followed = target, true
			continue
		case fi.IsDir():
			return nil, refuse("%sis a directory; kockpit writes one file here: give a file name, such as %s", which(p), safetext.Visible(filepath.Join(p, "report.json")))
		case !fi.Mode().IsRegular():
			return nil, refuse("%sis %s; kockpit writes only a regular file or a new path", which(p), kind(fi.Mode()))
		}
		// A regular file: replace it only if nothing about it is lost.
		if n := links(fi); n > 1 {
			return nil, refuse("%shas %d hard links; replacing it would break the link between them (remove the other links, or name another file)", which(p), n)
		}
		if fi.Mode().Perm()&0o200 == 0 {
			return nil, refuse("%sis read-only (mode %04o); kockpit does not replace it (make it writable, or name another file)", which(p), fi.Mode().Perm())
		}
		if sharedSticky(dirFI) && !ownedByUsOr(fi, dirFI) {
			return nil, refuse("%sis someone else's file in a shared sticky directory such as /tmp; kockpit does not replace it (name another file)", which(p))
		}
		if err := canKeepOwner(fi); err != nil {
			return nil, refuse("%s%v", which(p), err)
		}
		if err := dirWritable(dir); err != nil {
			return nil, refuse("%scannot replace a file in %s: %v", and(p), safetext.Visible(filepath.Dir(p)), errno(err))
		}
		return &Output{given: path, dir: dir, base: base, dirFI: dirFI, old: fi}, nil
	}
}

// dirProblem says why a file cannot go into dir.
func dirProblem(dir string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("the directory %s does not exist (create it first, or name a file in a directory that exists)", safetext.Visible(dir))
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Sprintf("%s is not a directory", safetext.Visible(dir))
	}
	return fmt.Sprintf("cannot reach the directory %s: %v", safetext.Visible(dir), errno(err))
}

// kind names a file type that is neither regular, a directory, nor a link.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// errno is err without the path it names: messages name the path the user gave, never a
// resolved or temporary one.
func errno(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// sharedSticky says whether a directory is shared like /tmp: world-writable and sticky.
func sharedSticky(dir os.FileInfo) bool {
	return dir.Mode()&fs.ModeSticky != 0 && dir.Mode().Perm()&0o002 != 0
}

// changed is the refusal when the path is not what it was when it was checked.
func (o *Output) changed() error {
	return &OutputError{Path: o.given, Reason: "changed while kockpit ran; nothing written (run again)"}
}

// same says whether now names the same file in the same directory as o.
func (o *Output) same(now *Output) bool {
	if now.base != o.base || !os.SameFile(now.dirFI, o.dirFI) || (now.old == nil) != (o.old == nil) {
		return false
	}
	return o.old == nil || os.SameFile(now.old, o.old)
}

// Write writes the file so that readers see the old content or the whole new one, never a
// half: a temporary file in the target's directory, synced, then renamed over the target (or
// linked to a new path, which fails rather than replace a file that appeared meanwhile). It
// checks the path again first, and again just before the rename: a path that changed since
// CheckOutput is refused. A cancelled ctx, or any failure, leaves the old file as it was and no
// temporary file behind; errors name the path as given, never the temporary file.
func (o *Output) Write(ctx context.Context, write func(f *os.File) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	now, err := CheckOutput(o.given)
	if err != nil {
		return err
	}
	if !o.same(now) {
		return o.changed()
	}
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return o.failed(errno(err))
	}
	defer root.Close()
	if fi, err := root.Stat("."); err != nil || !os.SameFile(fi, o.dirFI) {
		return o.changed()
	}
	tmp, f, err := createTemp(root, o.base)
	if err != nil {
		return o.failed(errno(err))
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			root.Remove(tmp)
			err = hideName(err, filepath.Join(o.dir, tmp), tmp, o.given)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("writing %s: %w", safetext.Visible(o.given), err)
	}
	mode := fs.FileMode(0o666) &^ umask()
	if now.old != nil {
		mode = now.old.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		// The owner first: a chown clears the set-id bits that the chmod then restores.
		if err = keepOwner(f, now.old); err != nil {
			return o.failed(fmt.Errorf("cannot keep its owner: %w", errno(err)))
		}
	}
	if err = f.Chmod(mode); err != nil {
		return o.failed(errno(err))
	}
	if err = f.Sync(); err != nil {
		return o.failed(errno(err))
	}
	closed = true
	if err = f.Close(); err != nil {
		return o.failed(errno(err))
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	// The last look: the same file, or still no file, then the swap.
	cur, lerr := root.Lstat(o.base)
	switch {
	case now.old == nil && lerr == nil:
		return o.changed()
	case now.old == nil && !errors.Is(lerr, fs.ErrNotExist):
		return o.failed(errno(lerr))
	case now.old == nil:
		if err = root.Link(tmp, o.base); errors.Is(err, fs.ErrExist) {
			return o.changed()
		} else if err != nil {
			// A file system without hard links: rename, which the look above made safe enough.
			if err = root.Rename(tmp, o.base); err != nil {
				return o.failed(errno(err))
			}
		} else {
			root.Remove(tmp)
		}
	case lerr != nil || !os.SameFile(cur, now.old) || !cur.Mode().IsRegular() || links(cur) > 1:
		return o.changed()
	default:
		if err = root.Rename(tmp, o.base); err != nil {
			return o.failed(errno(err))
		}
	}
	if d, derr := root.Open("."); derr == nil {
		d.Sync() // the rename itself on disk; not every file system can, and the file is there
		d.Close()
	}
	return nil
}

// failed is a write that went wrong for a reason outside the rule (a full disk, an I/O error).
func (o *Output) failed(err error) error {
	return fmt.Errorf("writing %s: %w", safetext.Visible(o.given), err)
}

// createTemp creates a new file for base's content in root: hidden, named after base, and
// readable by its owner alone until Write gives it its final mode.
func createTemp(root *os.Root, base string) (string, *os.File, error) {
	for range 100 {
		name := "." + base + ".tmp-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("cannot find a free temporary name")
}

// hideName rewrites an error whose message names the temporary file (by its full path, then
// by its name) so that it names the path as given, the last of names, instead; errors.Is and
// errors.As still see the original.
func hideName(err error, names ...string) error {
	given := names[len(names)-1]
	msg := err.Error()
	hidden := msg
	for _, n := range names[:len(names)-1] {
		if n != "" {
			hidden = strings.ReplaceAll(hidden, n, safetext.Visible(given))
		}
	}
	if hidden == msg {
		return err
	}
	return &hiddenError{msg: hidden, err: err}
}

type hiddenError struct {
	msg string
	err error
}

func (e *hiddenError) Error() string { return e.msg }
func (e *hiddenError) Unwrap() error { return e.err }

// WriteFileAtomic checks path as CheckOutput does and writes it as Output.Write does.
func WriteFileAtomic(path string, write func(f *os.File) error) error {
	o, err := CheckOutput(path)
	if err != nil {
		return err
	}
	return o.Write(context.Background(), write)
}
