// Package inputfile reads the files kockpit is given (a snapshot, a kubeconfig, a theme, a
// certificate a kubeconfig names): regular files only, each within a size cap. A special file
// is refused before it is opened: opening a FIFO waits for a writer, forever, and a device such
// as /dev/zero never ends. The cap is checked on the file's size before reading and enforced
// while reading, so a file that grows, or lies about its size, is still cut off at the cap.
package inputfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Errors a caller can test for with errors.Is; the errors returned are *Error.
var (
	// ErrNotRegular is a special file (FIFO, device, socket), or a directory where a file
	// was wanted.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is a file over the cap.
	ErrTooLarge = errors.New("too large")
)

// Error says why a file was refused. Its text does not repeat the path: callers put the path
// where their messages put it (FILE: MSG).
type Error struct {
	Path string
	Msg  string
	err  error // ErrNotRegular or ErrTooLarge
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.err }

// Describe names what a file mode is, for messages: "a FIFO (named pipe)", "a character
// device", "a directory".
func Describe(mode fs.FileMode) string {
	switch t := mode.Type(); {
	case t == 0:
		return "a regular file"
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeIrregular != 0:
		return "a file of unknown type"
	default:
		return "a special file (" + t.String() + ")"
	}
}

// Check refuses what kockpit does not read: anything but a regular file (and a directory,
// when allowDir), and a regular file over limit bytes (0: no limit). what names the input in
// the message ("a kubeconfig").
func Check(path string, fi fs.FileInfo, allowDir bool, limit int64, what string) error {
	mode := fi.Mode()
	switch {
	case mode.IsDir() && allowDir:
		return nil
	case mode.IsDir():
		return &Error{Path: path, err: ErrNotRegular,
			Msg: fmt.Sprintf("is a directory, not a regular file holding %s", what)}
	case !mode.IsRegular():
		return &Error{Path: path, err: ErrNotRegular,
			Msg: fmt.Sprintf("is %s, not a regular file: kockpit reads %s only from a regular file and never opens a special one", Describe(mode), what)}
	case limit > 0 && fi.Size() > limit:
		return TooLarge(path, limit, what)
	}
	return nil
}

// TooLarge is the error for a file over the cap.
func TooLarge(path string, limit int64, what string) error {
	return &Error{Path: path, err: ErrTooLarge,
		Msg: fmt.Sprintf("is larger than %s, the most kockpit reads from %s file", Size(limit), what)}
}

// Size writes a cap readably: 16 MiB, 64 KiB, 1000 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Stat is os.Stat followed by Check: the path's target (links followed) must be a regular
// file within limit, or a directory when allowDir.
func Stat(path string, allowDir bool, limit int64, what string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return fi, Check(path, fi, allowDir, limit, what)
}

// Open opens a regular file for reading, refusing a special file unopened (Stat first). The
// open itself does not block either: were the path swapped for a FIFO between the Stat and the
// open, O_NONBLOCK makes the open return at once and the check of the opened file refuses it.
func Open(path string, limit int64, what string) (*os.File, fs.FileInfo, error) {
	if _, err := Stat(path, false, limit, what); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = Check(path, fi, false, limit, what)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Read reads a whole regular file of at most limit bytes (see Open). The limit holds while
// reading too: a file that grows past it is refused, not truncated.
func Read(path string, limit int64, what string) ([]byte, error) {
	f, fi, err := Open(path, limit, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path, fi.Size(), limit, what)
}

// ReadAll reads r to its end, refusing it once it passes limit bytes; size is what Stat said
// (a hint for the buffer), path and what are for the message.
func ReadAll(r io.Reader, path string, size, limit int64, what string) ([]byte, error) {
	if size < 0 || size > limit {
		size = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, TooLarge(path, limit, what)
	}
	return buf.Bytes(), nil
}
