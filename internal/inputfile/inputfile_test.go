//go:build linux

package inputfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test when f takes more than a second: a FIFO opened for reading would
// block forever.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("blocked")
	}
}

func TestReadRefusesSpecialFilesUnopened(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	link := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:        "is a FIFO (named pipe), not a regular file",
		"/dev/zero": "is a character device, not a regular file",
		"/dev/null": "is a character device",
		link:        "is a character device",
		dir:         "is a directory, not a regular file holding a thing",
	} {
		within(t, func() {
			_, err := Read(path, 1<<20, "a thing")
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", path, err, want)
			}
		})
	}
}

func TestReadCapsTheSize(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	// Sparse: Stat says 1 GiB, nothing is written; it must be refused before any read.
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(1 << 30)
	f.Close()
	within(t, func() {
		_, err := Read(big, 16<<20, "a kubeconfig")
		if !errors.Is(err, ErrTooLarge) || err.Error() != "is larger than 16 MiB, the most kockpit reads from a kubeconfig file" {
			t.Errorf("big: %v", err)
		}
	})
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("hello"), 0o600)
	if b, err := Read(small, 5, "a thing"); err != nil || string(b) != "hello" {
		t.Errorf("at the cap: %q %v", b, err)
	}
	if _, err := Read(small, 4, "a thing"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the cap: %v", err)
	}
}

// A reader that says nothing of its size (a file growing as it is read) is cut off at the cap.
func TestReadAllEnforcesTheCapWhileReading(t *testing.T) {
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Skip(err)
	}
	defer zero.Close()
	start := time.Now()
	_, err = ReadAll(zero, "/dev/zero", 0, 1<<20, "a snapshot")
	if !errors.Is(err, ErrTooLarge) || time.Since(start) > time.Second {
		t.Errorf("%v after %s", err, time.Since(start))
	}
}

func TestOpenDoesNotBlockOnAFIFOSwappedInAfterStat(t *testing.T) {
	// The open itself is non-blocking: even without the Stat, a FIFO would not hang it.
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	within(t, func() {
		f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, _ := f.Stat()
		if err := Check(fifo, fi, false, 0, "a thing"); !errors.Is(err, ErrNotRegular) {
			t.Errorf("the opened FIFO passed the check: %v", err)
		}
	})
}
