//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fileState is what the -o tests compare of a path before and after a run.
type fileState struct {
	exists     bool
	mode       fs.FileMode
	ino, nlink uint64
	uid, gid   uint32
	rdev       uint64
	link       string
	content    string
}

func fileStateOf(t *testing.T, path string) fileState {
	t.Helper()
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileState{}
	}
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	s := fileState{exists: true, mode: fi.Mode(), ino: st.Ino, nlink: uint64(st.Nlink), uid: st.Uid, gid: st.Gid, rdev: uint64(st.Rdev)}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		s.link, _ = os.Readlink(path)
	case fi.Mode().IsRegular():
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s.content = string(b)
	}
	return s
}

func listDir(t *testing.T, dir string) []string {
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

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// needCharDevice skips a test whose target is a real device that is not one here (another
// program may have replaced it): the test must prove a device is left alone.
func needCharDevice(t *testing.T, path string) {
	t.Helper()
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Skipf("%s is not a character device on this machine", path)
	}
}

func writeMode(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	ok(t, os.WriteFile(path, []byte(content), mode))
	ok(t, os.Chmod(path, mode))
}

// TestOutputRefusals: -o on anything but a regular file or a new path is exit 2 before any
// check runs, with a message that names the path and says why (never a temporary file), and
// the target, the link and the directory are exactly as they were. The root command and
// `kockpit node` share the rule.
func TestOutputRefusals(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, dir string) (path string, watch []string)
		want string
	}{
		{"FIFO", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "fifo")
			ok(t, syscall.Mkfifo(p, 0o644))
			return p, []string{p}
		}, "is a FIFO (named pipe)"},
		{"socket", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "sock")
			l, err := net.Listen("unix", p)
			ok(t, err)
			t.Cleanup(func() { l.Close() })
			return p, []string{p}
		}, "is a socket"},
		{"directory", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "reports")
			ok(t, os.Mkdir(p, 0o755))
			return p, []string{p}
		}, "is a directory; kockpit writes one file here"},
		{"/dev/null", func(t *testing.T, dir string) (string, []string) {
			needCharDevice(t, "/dev/null")
			return "/dev/null", []string{"/dev/null"}
		}, "is a character device"},
		{"link to /dev/full", func(t *testing.T, dir string) (string, []string) {
			needCharDevice(t, "/dev/full")
			p := filepath.Join(dir, "full")
			ok(t, os.Symlink("/dev/full", p))
			return p, []string{p, "/dev/full"}
		}, "links to /dev/full, which is a character device"},
		{"hard link", func(t *testing.T, dir string) (string, []string) {
			a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
			writeMode(t, a, "precious", 0o644)
			ok(t, os.Link(a, b))
			return b, []string{a, b}
		}, "has 2 hard links; replacing it would break the link"},
		{"read-only file", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "r.json")
			writeMode(t, p, "precious", 0o444)
			return p, []string{p}
		}, "is read-only"},
		{"missing directory", func(t *testing.T, dir string) (string, []string) {
			return filepath.Join(dir, "missing", "report.json"), []string{filepath.Join(dir, "missing")}
		}, "missing does not exist"},
		{"dangling link into a missing directory", func(t *testing.T, dir string) (string, []string) {
			p := filepath.Join(dir, "latest.json")
			ok(t, os.Symlink("gone/report.json", p))
			return p, []string{p}
		}, "gone does not exist"},
		{"link loop", func(t *testing.T, dir string) (string, []string) {
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			ok(t, os.Symlink("b", a))
			ok(t, os.Symlink("a", b))
			return a, []string{a, b}
		}, "symbolic links in a row"},
	}
	commands := map[string]func(out string) []string{
		// The snapshot is malformed: a refusal that comes before it is read proves that -o is
		// judged before any work.
		"root": func(out string) []string {
			return []string{"--report", "--snapshot", filepath.Join(t.TempDir(), "nope.yaml"), "-o", out}
		},
		"node": func(out string) []string {
			return []string{"node", "--report", "--format", "json", "--host-root", t.TempDir(), "-o", out}
		},
	}
	for _, c := range cases {
		for cmdName, args := range commands {
			t.Run(cmdName+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				path, watch := c.make(t, dir)
				before := map[string]fileState{}
				for _, w := range watch {
					before[w] = fileStateOf(t, w)
				}
				listing := listDir(t, dir)

				code, stdout, errOut := kockpit(t, args(path)...)
				if code != exitUsage {
					t.Errorf("exit %d, want 2; stderr: %s", code, errOut)
				}
				if want := "kockpit: -o " + path + ": "; !strings.HasPrefix(errOut, want) {
					t.Errorf("stderr %q does not start with %q (refused before the snapshot was read?)", errOut, want)
				}
				if !strings.Contains(errOut, c.want) {
					t.Errorf("stderr %q lacks %q", errOut, c.want)
				}
				if strings.Contains(errOut, ".tmp-") {
					t.Errorf("stderr names a temporary file: %s", errOut)
				}
				if stdout != "" {
					t.Errorf("a refusal printed a report: %s", stdout)
				}
				for _, w := range watch {
					if after := fileStateOf(t, w); after != before[w] {
						t.Errorf("%s changed:\nbefore %+v\nafter  %+v", w, before[w], after)
					}
				}
				if now := listDir(t, dir); !slices.Equal(now, listing) {
					t.Errorf("%s holds %v, before %v", dir, now, listing)
				}
			})
		}
	}
}

// TestOutputReplacesFilesKeepingWhatTheyAre: -o on a regular file replaces it (a new inode)
// with its mode and owner kept; on a link, the link stays and its target is replaced in its
// own directory; a new path is created; nothing else appears in either directory.
func TestOutputReplacesFilesKeepingWhatTheyAre(t *testing.T) {
	host := t.TempDir()
	run := func(t *testing.T, out string) {
		t.Helper()
		code, stdout, errOut := kockpit(t, "node", "--report", "--format", "json", "--host-root", host, "-o", out)
		if code != exitOK && code != exitFailed || stdout != "" {
			t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, errOut)
		}
	}
	isReport := func(t *testing.T, path string) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), `"apiVersion"`) {
			t.Errorf("%s is not a JSON report: %v %.80q", path, err, b)
		}
	}
	t.Run("existing file", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "r.json")
		writeMode(t, p, "old", 0o640)
		if os.Geteuid() == 0 {
			ok(t, os.Chown(p, 4242, 4343))
		}
		before := fileStateOf(t, p)
		run(t, p)
		after := fileStateOf(t, p)
		isReport(t, p)
		if after.mode != before.mode || after.uid != before.uid || after.gid != before.gid {
			t.Errorf("mode or owner not kept:\nbefore %+v\nafter  %+v", before, after)
		}
		if after.ino == before.ino {
			t.Error("written in place, not replaced atomically")
		}
		if n := listDir(t, dir); !slices.Equal(n, []string{"r.json"}) {
			t.Errorf("%s holds %v", dir, n)
		}
	})
	t.Run("link to a file in another directory", func(t *testing.T) {
		dir, other := t.TempDir(), t.TempDir()
		target := filepath.Join(other, "r.json")
		writeMode(t, target, "old", 0o600)
		l := filepath.Join(dir, "latest.json")
		ok(t, os.Symlink(target, l))
		link, before := fileStateOf(t, l), fileStateOf(t, target)
		run(t, l)
		if now := fileStateOf(t, l); now != link {
			t.Errorf("the link changed: %+v, was %+v", now, link)
		}
		isReport(t, target)
		if after := fileStateOf(t, target); after.mode != before.mode || after.uid != before.uid {
			t.Errorf("target mode or owner not kept: %+v, was %+v", after, before)
		}
		if n := listDir(t, dir); !slices.Equal(n, []string{"latest.json"}) {
			t.Errorf("%s holds %v", dir, n)
		}
		if n := listDir(t, other); !slices.Equal(n, []string{"r.json"}) {
			t.Errorf("%s holds %v", other, n)
		}
	})
	t.Run("new path", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "r.json")
		run(t, p)
		isReport(t, p)
		if n := listDir(t, dir); !slices.Equal(n, []string{"r.json"}) {
			t.Errorf("%s holds %v", dir, n)
		}
	})
}

// TestInterruptLeavesOutputAlone: SIGINT or SIGTERM while kockpit waits on an API server that
// accepts and never answers ends the run with nothing written: the old -o file as it was, no
// temporary file beside it.
func TestInterruptLeavesOutputAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ok(t, err)
	t.Cleanup(func() { l.Close() })
	var accepted atomic.Int32
	go func() {
		var held []net.Conn // accepted and never answered
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
			accepted.Add(1)
		}
	}()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	ok(t, os.WriteFile(kubeconfig, fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://%s", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, l.Addr()), 0o600))
	bin := buildKockpit(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			writeMode(t, out, "old", 0o644)
			before := fileStateOf(t, out)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--report", "--format", "json", "--kubeconfig", kubeconfig, "--request-timeout", "30s", "-o", out)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			connections := accepted.Load()
			ok(t, cmd.Start())
			// Well into the run: flags checked, a request waiting on the server.
			for deadline := time.Now().Add(20 * time.Second); accepted.Load() == connections; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("kockpit never connected; stderr: %s", stderr.String())
				}
			}
			ok(t, cmd.Process.Signal(sig))
			cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code != 130 && code != 128+int(sig) {
				t.Errorf("exit %d (%v), want 130 or %d; stderr: %s", code, cmd.ProcessState, 128+int(sig), stderr.String())
			}
			if after := fileStateOf(t, out); after != before {
				t.Errorf("the -o file changed: %+v, was %+v", after, before)
			}
			if n := listDir(t, filepath.Dir(out)); !slices.Equal(n, []string{"r.json"}) {
				t.Errorf("left behind: %v", n)
			}
		})
	}
}

// TestOutputNeverReplacesTheInput: -o naming the file the run reads (the snapshot, directly or
// through a link; the kubeconfig) is exit 2 before the run, and the input is untouched.
func TestOutputNeverReplacesTheInput(t *testing.T) {
	dir := t.TempDir()
	snapshot := filepath.Join(dir, "dump.yaml")
	writeMode(t, snapshot, "apiVersion: v1\nkind: List\nitems: []\n", 0o644)
	link := filepath.Join(dir, "latest.yaml")
	ok(t, os.Symlink("dump.yaml", link))
	kubeconfig := filepath.Join(dir, "config")
	writeMode(t, kubeconfig, "apiVersion: v1\nkind: Config\n", 0o600)
	for _, c := range []struct {
		name, input string
		args        []string
		want        string
	}{
		{"snapshot", snapshot, []string{"--report", "--snapshot", snapshot, "-o", snapshot}, "the --snapshot file"},
		{"snapshot through a link", snapshot, []string{"--report", "--snapshot", snapshot, "-o", link}, "the --snapshot file"},
		{"kubeconfig", kubeconfig, []string{"--report", "--kubeconfig", kubeconfig, "-o", kubeconfig}, "the kubeconfig " + kubeconfig},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := fileStateOf(t, c.input)
			code, stdout, errOut := kockpit(t, c.args...)
			if code != exitUsage || stdout != "" || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "does not replace its input") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
			}
			if after := fileStateOf(t, c.input); after != before {
				t.Errorf("the input changed: %+v, was %+v", after, before)
			}
		})
	}
	// kockpit node reads no kubeconfig: -o may name a file that happens to be one.
	t.Setenv("KUBECONFIG", kubeconfig)
	code, _, errOut := kockpit(t, "node", "--report", "--host-root", t.TempDir(), "-o", kubeconfig)
	if code == exitUsage {
		t.Errorf("kockpit node refused a file it does not read: %s", errOut)
	}
}
