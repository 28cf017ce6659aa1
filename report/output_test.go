//go:build unix

package report

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// state is what a test compares of a path before and after kockpit was pointed at it.
type state struct {
	exists       bool
	mode         fs.FileMode
	ino, nlink   uint64
	uid, gid     uint32
	rdev         uint64
	link         string // a symbolic link's target
	content      string // a regular file's content
	contentKnown bool
}

func stateOf(t *testing.T, path string) state {
	t.Helper()
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return state{}
	}
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	s := state{exists: true, mode: fi.Mode(), ino: st.Ino, nlink: uint64(st.Nlink), uid: st.Uid, gid: st.Gid, rdev: uint64(st.Rdev)}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		s.link, _ = os.Readlink(path)
	case fi.Mode().IsRegular():
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s.content, s.contentKnown = string(b), true
	}
	return s
}

// names lists a directory.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func writeNew(f *os.File) error { _, err := f.WriteString("new report"); return err }

func mustWrite(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOutputRefusesWhatIsNotAFile: every hostile target is refused by CheckOutput (before any
// work) and by WriteFileAtomic, with a message that says why and names no temporary file; the
// target and its directory are exactly as they were.
func TestOutputRefusesWhatIsNotAFile(t *testing.T) {
	cases := []struct {
		name string
		// make builds the target in dir and returns the path to give -o and the paths whose
		// state must not change.
		make func(t *testing.T, dir string) (path string, watch []string)
		want string
	}{
		{"FIFO", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "fifo")
			must(t, syscall.Mkfifo(p, 0o644))
			return p, []string{p}
		}, "a FIFO (named pipe)"},
		{"socket", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "sock")
			l, err := net.Listen("unix", p)
			must(t, err)
			t.Cleanup(func() { l.Close() })
			return p, []string{p}
		}, "a socket"},
		{"directory", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "reports")
			must(t, os.Mkdir(p, 0o755))
			return p, []string{p}
		}, "is a directory"},
		{"directory with a trailing slash", func(t *testing.T, dir string) (string, []string) {
			return filepath.Join(dir, "new") + "/", []string{filepath.Join(dir, "new")}
		}, "names a directory"},
		{"dot", func(t *testing.T, dir string) (string, []string) {
			return filepath.Join(dir, "."), nil
		}, "is a directory"},
		{"link to a directory", func(t *testing.T, dir string) (string, []string) {
			d, p := filepath.Join(dir, "reports"), filepath.Join(dir, "link")
			must(t, os.Mkdir(d, 0o755))
			must(t, os.Symlink("reports", p))
			return p, []string{p, d}
		}, "is a directory"},
		{"character device /dev/null", func(t *testing.T, dir string) (string, []string) {
			if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
				t.Skip("/dev/null is not a character device here")
			}
			return "/dev/null", []string{"/dev/null"}
		}, "a character device"},
		{"link to /dev/full", func(t *testing.T, dir string) (string, []string) {
			if fi, err := os.Lstat("/dev/full"); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
				t.Skip("/dev/full is not a character device here")
			}
			p := filepath.Join(dir, "full")
			must(t, os.Symlink("/dev/full", p))
			return p, []string{p, "/dev/full"}
		}, "links to /dev/full, which is a character device"},
		{"hard link", func(t *testing.T, dir string) (string, []string) {
			a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
			mustWrite(t, a, "precious", 0o644)
			must(t, os.Link(a, b))
			return b, []string{a, b}
		}, "has 2 hard links; replacing it would break the link"},
		{"link to a hard link", func(t *testing.T, dir string) (string, []string) {
			a, b, l := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "l")
			mustWrite(t, a, "precious", 0o644)
			must(t, os.Link(a, b))
			must(t, os.Symlink(b, l))
			return l, []string{a, b, l}
		}, "would break the link"},
		{"read-only file", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "r.json")
			mustWrite(t, p, "precious", 0o444)
			return p, []string{p}
		}, "is read-only (mode 0444)"},
		{"missing directory", func(t *testing.T, dir string) (string, []string) {
			return filepath.Join(dir, "missing", "report.json"), []string{filepath.Join(dir, "missing")}
		}, "the directory " + "%DIR%/missing does not exist"},
		{"through a regular file", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "file")
			mustWrite(t, p, "precious", 0o644)
			return filepath.Join(p, "report.json"), []string{p}
		}, "is not a directory"},
		{"dangling link into a missing directory", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "l")
			must(t, os.Symlink("gone/report.json", p))
			return p, []string{p, filepath.Join(dir, "gone")}
		}, "does not exist"},
		{"link loop", func(t *testing.T, dir string) (string, []string) {
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			must(t, os.Symlink("b", a))
			must(t, os.Symlink("a", b))
			return a, []string{a, b}
		}, "symbolic links in a row"},
		{"someone else's link in a sticky shared directory", func(t *testing.T, dir string) (string, []string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the link another owner")
			}
			shared, target := filepath.Join(dir, "tmp"), filepath.Join(dir, "precious")
			must(t, os.Mkdir(shared, 0o755))
			must(t, os.Chmod(shared, 0o777|fs.ModeSticky))
			mustWrite(t, target, "precious", 0o644)
			p := filepath.Join(shared, "report.json")
			must(t, os.Symlink(target, p))
			must(t, os.Lchown(p, 4242, 4242))
			return p, []string{p, target}
		}, "is someone else's link in a shared sticky directory"},
		{"someone else's file in a sticky shared directory", func(t *testing.T, dir string) (string, []string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the file another owner")
			}
			shared := filepath.Join(dir, "tmp")
			must(t, os.Mkdir(shared, 0o755))
			must(t, os.Chmod(shared, 0o777|fs.ModeSticky))
			p := filepath.Join(shared, "report.json")
			mustWrite(t, p, "precious", 0o666)
			must(t, os.Chown(p, 4242, 4242))
			return p, []string{p}
		}, "is someone else's file in a shared sticky directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path, watch := c.make(t, dir)
			want := strings.ReplaceAll(c.want, "%DIR%", dir)
			before := map[string]state{}
			for _, w := range watch {
				before[w] = stateOf(t, w)
			}
			listing := map[string][]string{}
			for _, d := range []string{dir, filepath.Join(dir, "tmp")} {
				if _, err := os.Stat(d); err == nil {
					listing[d] = names(t, d)
				}
			}

			_, checkErr := CheckOutput(path)
			called := false
			writeErr := WriteFileAtomic(path, func(f *os.File) error { called = true; return writeNew(f) })
			for _, err := range []error{checkErr, writeErr} {
				var oe *OutputError
				if !errors.As(err, &oe) {
					t.Fatalf("got %v, want a refusal (*OutputError)", err)
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
				if !strings.HasPrefix(err.Error(), path) && !strings.HasPrefix(err.Error(), filepath.Clean(path)) {
					t.Errorf("message %q does not start with the path as given", err)
				}
				if strings.Contains(err.Error(), ".tmp-") {
					t.Errorf("message %q names a temporary file", err)
				}
			}
			if called {
				t.Error("the report was rendered before the refusal")
			}
			for _, w := range watch {
				if after := stateOf(t, w); after != before[w] {
					t.Errorf("%s changed:\nbefore %+v\nafter  %+v", w, before[w], after)
				}
			}
			for d, was := range listing {
				if now := names(t, d); !slices.Equal(now, was) {
					t.Errorf("%s now holds %v, before %v", d, now, was)
				}
			}
		})
	}
}

// TestDevFullStaysADevice: the reported example, as root: /dev/full is refused before a byte
// is written, and is still the character device it was.
func TestDevFullStaysADevice(t *testing.T) {
	before, err := os.Lstat("/dev/full")
	if err != nil || before.Mode()&fs.ModeCharDevice == 0 {
		t.Skip("no /dev/full character device here")
	}
	called := false
	err = WriteFileAtomic("/dev/full", func(f *os.File) error { called = true; return writeNew(f) })
	var oe *OutputError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "a character device") {
		t.Errorf("got %v, want a refusal naming a character device", err)
	}
	after, err := os.Lstat("/dev/full")
	if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) ||
		after.Sys().(*syscall.Stat_t).Rdev != before.Sys().(*syscall.Stat_t).Rdev {
		t.Errorf("/dev/full changed: %v, %v", after, err)
	}
	if called {
		t.Error("the report was rendered before the refusal")
	}
}

// TestOutputReplacesRegularFiles: a new path is created; an existing file is replaced by a new
// inode (atomically), keeping its mode and owner; a link stays a link, with its final target
// replaced in the target's own directory; no temporary file is left anywhere.
func TestOutputReplacesRegularFiles(t *testing.T) {
	root := os.Geteuid() == 0
	t.Run("new path", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "r.json")
		must(t, WriteFileAtomic(p, writeNew))
		s := stateOf(t, p)
		if s.content != "new report" || s.mode.Perm() != 0o666&^umask() {
			t.Errorf("got %+v", s)
		}
		if n := names(t, dir); !slices.Equal(n, []string{"r.json"}) {
			t.Errorf("directory holds %v", n)
		}
	})
	t.Run("existing file keeps mode and owner", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "r.json")
		mustWrite(t, p, "old", 0o640)
		if root {
			must(t, os.Chown(p, 4242, 4343))
		}
		before := stateOf(t, p)
		must(t, WriteFileAtomic(p, writeNew))
		after := stateOf(t, p)
		if after.content != "new report" || after.mode != before.mode || after.uid != before.uid || after.gid != before.gid {
			t.Errorf("before %+v\nafter  %+v", before, after)
		}
		if after.ino == before.ino {
			t.Error("written in place, not replaced by a rename")
		}
		if n := names(t, dir); !slices.Equal(n, []string{"r.json"}) {
			t.Errorf("directory holds %v", n)
		}
	})
	t.Run("set-id bits kept past the chown", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "r.json")
		mustWrite(t, p, "old", 0o640)
		must(t, os.Chmod(p, 0o640|fs.ModeSetgid))
		if root {
			must(t, os.Chown(p, 4242, 4343))
		}
		before := stateOf(t, p)
		must(t, WriteFileAtomic(p, writeNew))
		if after := stateOf(t, p); after.mode != before.mode {
			t.Errorf("mode %v, want %v", after.mode, before.mode)
		}
	})
	t.Run("link chain through a linked directory", func(t *testing.T) {
		// dir/l1 -> l2 -> d/l3 where d -> real/sub, and l3 -> ../target: the kernel resolves
		// ../target from real/sub, so the file replaced is real/target, not dir/target.
		dir := t.TempDir()
		real := filepath.Join(dir, "real")
		must(t, os.MkdirAll(filepath.Join(real, "sub"), 0o755))
		target := filepath.Join(real, "target")
		mustWrite(t, target, "old", 0o600)
		if root {
			must(t, os.Chown(target, 4242, 4343))
		}
		must(t, os.Symlink("real/sub", filepath.Join(dir, "d")))
		must(t, os.Symlink("../target", filepath.Join(real, "sub", "l3")))
		must(t, os.Symlink("d/l3", filepath.Join(dir, "l2")))
		must(t, os.Symlink(filepath.Join(dir, "l2"), filepath.Join(dir, "l1")))
		links := map[string]state{}
		for _, l := range []string{"l1", "l2", "d", "real/sub/l3"} {
			links[l] = stateOf(t, filepath.Join(dir, l))
		}
		before := stateOf(t, target)

		o, err := CheckOutput(filepath.Join(dir, "l1"))
		must(t, err)
		if o.Target() != target {
			t.Errorf("target %s, want %s", o.Target(), target)
		}
		must(t, o.Write(context.Background(), writeNew))
		after := stateOf(t, target)
		if after.content != "new report" || after.mode != before.mode || after.uid != before.uid || after.gid != before.gid {
			t.Errorf("before %+v\nafter  %+v", before, after)
		}
		for l, was := range links {
			if now := stateOf(t, filepath.Join(dir, l)); now != was {
				t.Errorf("link %s changed: %+v, was %+v", l, now, was)
			}
		}
		if _, err := os.Lstat(filepath.Join(dir, "target")); err == nil {
			t.Error("the relative link was resolved lexically: dir/target was written")
		}
		for _, d := range []string{dir, real, filepath.Join(real, "sub")} {
			for _, n := range names(t, d) {
				if strings.Contains(n, ".tmp-") {
					t.Errorf("temporary file %s left in %s", n, d)
				}
			}
		}
	})
	t.Run("dangling link into an existing directory", func(t *testing.T) {
		dir := t.TempDir()
		must(t, os.Mkdir(filepath.Join(dir, "out"), 0o755))
		l := filepath.Join(dir, "latest.json")
		must(t, os.Symlink("out/r.json", l))
		must(t, WriteFileAtomic(l, writeNew))
		if s := stateOf(t, l); s.link != "out/r.json" {
			t.Errorf("the link is now %+v", s)
		}
		if s := stateOf(t, filepath.Join(dir, "out", "r.json")); s.content != "new report" {
			t.Errorf("target %+v", s)
		}
		if n := names(t, filepath.Join(dir, "out")); !slices.Equal(n, []string{"r.json"}) {
			t.Errorf("out holds %v", n)
		}
	})
}

// TestOutputRechecksAtWriteTime: what the path names can change between the check (before the
// checks run) and the write; the write refuses a path that is no longer what was checked.
func TestOutputRechecksAtWriteTime(t *testing.T) {
	cases := []struct {
		name   string
		before func(t *testing.T, p string) // the path at check time
		swap   func(t *testing.T, p string) // what happens while the checks run
		want   string
	}{
		{"file became a FIFO", func(t *testing.T, p string) { mustWrite(t, p, "old", 0o644) },
			func(t *testing.T, p string) { must(t, os.Remove(p)); must(t, syscall.Mkfifo(p, 0o644)) }, "a FIFO"},
		{"new path appeared", func(*testing.T, string) {},
			func(t *testing.T, p string) { mustWrite(t, p, "someone else's", 0o644) }, "changed while kockpit ran"},
		{"file replaced by another", func(t *testing.T, p string) { mustWrite(t, p, "old", 0o644) },
			func(t *testing.T, p string) {
				// Written beside it, then renamed over it, as an editor saves: a new inode.
				mustWrite(t, p+".new", "another", 0o644)
				must(t, os.Rename(p+".new", p))
			}, "changed while kockpit ran"},
		{"file got a hard link", func(t *testing.T, p string) { mustWrite(t, p, "old", 0o644) },
			func(t *testing.T, p string) { must(t, os.Link(p, p+".bak")) }, "hard links"},
		{"link retargeted", func(t *testing.T, p string) {
			mustWrite(t, p+".a", "a", 0o644)
			mustWrite(t, p+".b", "b", 0o644)
			must(t, os.Symlink(filepath.Base(p)+".a", p))
		}, func(t *testing.T, p string) {
			must(t, os.Remove(p))
			must(t, os.Symlink(filepath.Base(p)+".b", p))
		}, "changed while kockpit ran"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "r.json")
			c.before(t, p)
			o, err := CheckOutput(p)
			must(t, err)
			c.swap(t, p)
			listing := names(t, dir)
			states := map[string]state{}
			for _, n := range listing {
				states[n] = stateOf(t, filepath.Join(dir, n))
			}
			err = o.Write(context.Background(), writeNew)
			var oe *OutputError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a refusal with %q", err, c.want)
			}
			if now := names(t, dir); !slices.Equal(now, listing) {
				t.Errorf("directory holds %v, want %v", now, listing)
			}
			for n, was := range states {
				if now := stateOf(t, filepath.Join(dir, n)); now != was {
					t.Errorf("%s changed: %+v, was %+v", n, now, was)
				}
			}
		})
	}
}

// TestOutputFailuresLeaveNothing: a render that fails, or a run interrupted (SIGINT, SIGTERM
// cancel the context) while the report is written, leaves the old file, or no file, and no
// temporary file; the error never names the temporary file.
func TestOutputFailuresLeaveNothing(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		p := filepath.Join(dir, "r.json")
		if existing {
			mustWrite(t, p, "old", 0o644)
		}
		before := stateOf(t, p)
		check := func(what string, err error) {
			t.Helper()
			if err == nil {
				t.Fatalf("%s: no error", what)
			}
			if strings.Contains(err.Error(), ".tmp-") {
				t.Errorf("%s: message %q names the temporary file", what, err)
			}
			if after := stateOf(t, p); after != before {
				t.Errorf("%s: %s changed: %+v, was %+v", what, p, after, before)
			}
			want := []string{}
			if existing {
				want = []string{"r.json"}
			}
			if n := names(t, dir); !slices.Equal(n, want) {
				t.Errorf("%s: directory holds %v, want %v", what, n, want)
			}
		}
		o, err := CheckOutput(p)
		must(t, err)

		err = o.Write(context.Background(), func(f *os.File) error {
			f.WriteString("half a rep")
			return &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
		})
		check("failed render", err)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("the cause is lost: %v", err)
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("message %q does not name %s", err, p)
		}

		ctx, cancel := context.WithCancel(context.Background())
		err = o.Write(ctx, func(f *os.File) error {
			f.WriteString("half a rep")
			cancel() // the signal arrives while the report is being written
			_, err := f.WriteString("ort")
			return err
		})
		check("interrupted", err)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("interrupted: got %v, want context.Canceled", err)
		}

		err = o.Write(ctx, func(*os.File) error { t.Error("rendered after the interrupt"); return nil })
		check("interrupted before", err)
	}
}

// TestOutputIntoUnwritableDirectory: a directory kockpit may not write in is refused before
// any work, naming the directory, not a temporary file.
func TestOutputIntoUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write in any directory on a writable file system")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	must(t, os.Mkdir(ro, 0o555))
	_, err := CheckOutput(filepath.Join(ro, "r.json"))
	var oe *OutputError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "cannot create a file in") || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("got %v", err)
	}
}

// TestOwnerKeptOrRefused: root keeps any owner; another user replaces only a file that is
// theirs, in one of their groups, since the new file could have no other owner.
func TestOwnerKeptOrRefused(t *testing.T) {
	for _, c := range []struct {
		uid, gid, euid, egid int
		groups               []int
		want                 string
	}{
		{uid: 4242, gid: 4343, euid: 0, egid: 0},
		{uid: 1000, gid: 1000, euid: 1000, egid: 1000},
		{uid: 1000, gid: 27, euid: 1000, egid: 1000, groups: []int{27}},
		{uid: 0, gid: 1000, euid: 1000, egid: 1000, want: "belongs to uid 0; replacing it would make it yours"},
		{uid: 1000, gid: 0, euid: 1000, egid: 1000, groups: []int{27}, want: "is in group 0, which is not one of yours"},
	} {
		err := ownerProblem(c.uid, c.gid, c.euid, c.egid, c.groups)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("file %d:%d, process %d:%d %v: got %v, want %q", c.uid, c.gid, c.euid, c.egid, c.groups, err, c.want)
		}
	}
}
