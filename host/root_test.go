//go:build linux

package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kockpit/kockpit/host/hosttest"
)

// tree writes files (path → content) under a new directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func open(t *testing.T, dir string, l Limits) *Root {
	t.Helper()
	r, err := Open(dir, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestLinksStayInsideTheRoot(t *testing.T) {
	outside := tree(t, map[string]string{"secret": "outside the root"})
	dir := tree(t, map[string]string{
		"etc/passwd":                 "inside the root",
		"run/systemd/resolve/stub":   "nameserver 127.0.0.53\n",
		"usr/sbin/xtables-nft-multi": "binary",
	})
	links := map[string]string{
		"etc/resolv.conf":    "/run/systemd/resolve/stub",          // absolute: starts again at the root
		"etc/up":             "../../../../../../../../etc/passwd", // climbs, stops at the root
		"etc/abs-passwd":     "/etc/passwd",
		"etc/escape":         filepath.Join(outside, "secret"), // an absolute path of this machine
		"usr/bin/iptables":   "../sbin/xtables-nft-multi",
		"etc/loop1":          "loop2",
		"etc/loop2":          "loop1",
		"etc/dangling":       "/nowhere",
		"etc/dir-link":       "/usr/sbin",
		"etc/through-a-file": "/etc/passwd/x",
	}
	for name, target := range links {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	r := open(t, dir, Limits{})
	ctx := context.Background()

	for p, want := range map[string]string{
		"/etc/resolv.conf":                "nameserver 127.0.0.53\n",
		"/etc/up":                         "inside the root",
		"/etc/abs-passwd":                 "inside the root",
		"/usr/bin/iptables":               "binary",
		"/etc/dir-link/xtables-nft-multi": "binary",
		"etc/../../etc/passwd":            "inside the root",
	} {
		f, err := r.ReadFile(ctx, p)
		if err != nil || string(f.Data) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", p, f.Data, err, want)
		}
	}
	if got, err := r.Resolve(ctx, "/usr/bin/iptables"); err != nil || got != "/usr/sbin/xtables-nft-multi" {
		t.Errorf("Resolve = %q, %v", got, err)
	}
	if _, err := r.ReadFile(ctx, "/etc/escape"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a link to %s was followed out of the root: %v", outside, err)
	}
	if _, err := r.ReadFile(ctx, "/etc/loop1"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("loop: %v, want ELOOP", err)
	}
	if _, err := r.ReadFile(ctx, "/etc/dangling"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dangling: %v", err)
	}
	if _, err := r.ReadFile(ctx, "/etc/through-a-file"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("a file used as a directory: %v", err)
	}
	e, err := r.Lstat(ctx, "/etc/resolv.conf")
	if err != nil || e.Mode&fs.ModeSymlink == 0 || e.Path != "/etc/resolv.conf" {
		t.Errorf("Lstat followed the link: %+v %v", e, err)
	}
	if e, err := r.Stat(ctx, "/etc/resolv.conf"); err != nil || !e.IsRegular() {
		t.Errorf("Stat did not follow the link: %+v %v", e, err)
	}
	// Readlink reads the link itself, wherever it points, and only a link.
	if got, err := r.Readlink(ctx, "/etc/dangling"); err != nil || got != "/nowhere" {
		t.Errorf("Readlink(dangling) = %q, %v", got, err)
	}
	if got, err := r.Readlink(ctx, "/etc/resolv.conf"); err != nil || got != "/run/systemd/resolve/stub" {
		t.Errorf("Readlink(resolv.conf) = %q, %v", got, err)
	}
	if _, err := r.Readlink(ctx, "/etc/passwd"); err == nil || !strings.Contains(err.Error(), "/etc/passwd") {
		t.Errorf("Readlink of a file: %v", err)
	}
}

func TestSpecialFilesAreNeverRead(t *testing.T) {
	dir := tree(t, map[string]string{"etc/hosts": "127.0.0.1 localhost\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "etc/fifo"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	os.Symlink("/etc/fifo", filepath.Join(dir, "etc/to-fifo"))
	r := open(t, dir, Limits{Stall: 2 * time.Second})
	for _, p := range []string{"/etc/fifo", "/etc/to-fifo", "/etc"} {
		start := time.Now()
		_, err := r.ReadFile(context.Background(), p)
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadFile(%s) = %v, want ErrNotRegular", p, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("ReadFile(%s) took %s", p, d)
		}
	}
	e, err := r.Lstat(context.Background(), "/etc/fifo")
	if err != nil || e.Mode&fs.ModeNamedPipe == 0 {
		t.Errorf("Lstat(fifo) = %v %v", e.Mode, err)
	}
}

func TestReadFileCapsBytes(t *testing.T) {
	dir := tree(t, map[string]string{"big": strings.Repeat("x", 100), "small": "abc"})
	r := open(t, dir, Limits{MaxFileBytes: 10})
	f, err := r.ReadFile(context.Background(), "/big")
	if err != nil || len(f.Data) != 10 || !f.Truncated || f.Size != 100 {
		t.Errorf("big: %d bytes, truncated %v, size %d, %v", len(f.Data), f.Truncated, f.Size, err)
	}
	f, err = r.ReadFile(context.Background(), "/small")
	if err != nil || string(f.Data) != "abc" || f.Truncated {
		t.Errorf("small: %q %v %v", f.Data, f.Truncated, err)
	}
	if r.FilesRead() != 2 {
		t.Errorf("FilesRead = %d", r.FilesRead())
	}
	if r.Display("/small") != filepath.Join(dir, "small") {
		t.Errorf("Display = %q", r.Display("/small"))
	}
}

func TestReadDirCapsEntries(t *testing.T) {
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("d/f%02d", i)] = "x"
	}
	r := open(t, tree(t, files), Limits{MaxDirEntries: 10})
	l, err := r.ReadDir(context.Background(), "/d")
	if err != nil || len(l.Entries) != 10 || !l.Truncated {
		t.Fatalf("%d entries, truncated %v, %v", len(l.Entries), l.Truncated, err)
	}
	for i := 1; i < len(l.Entries); i++ {
		if l.Entries[i-1].Path >= l.Entries[i].Path {
			t.Errorf("not sorted: %s, %s", l.Entries[i-1].Path, l.Entries[i].Path)
		}
	}
	if !strings.HasPrefix(l.Entries[0].Path, "/d/f") {
		t.Errorf("path %q", l.Entries[0].Path)
	}
}

// A huge directory is listed as its lexically first entries, whatever order the file system
// returns them in, and the listing says how many there are: a name past the cap is not absent.
func TestReadDirOfAHugeDirectory(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "opt/cni/bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Created last, sorted last: on ext4 it comes anywhere in readdir's hash order.
	names := []string{"zz-plugin"}
	for i := range 500 {
		names = append([]string{fmt.Sprintf("p%03d", i)}, names...)
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(bin, ".hidden"), 0o755)
	ctx := context.Background()

	r := open(t, dir, Limits{MaxDirEntries: 100})
	l, err := r.ReadDir(ctx, "/opt/cni/bin")
	if err != nil || len(l.Entries) != 100 || !l.Truncated || !l.AllNames || l.Total != 502 || l.More() != 402 {
		t.Fatalf("%d entries, truncated %v, all names %v, total %d, more %d, %v", len(l.Entries), l.Truncated, l.AllNames, l.Total, l.More(), err)
	}
	if l.Entries[0].Name() != ".hidden" || l.Entries[1].Name() != "p000" || l.Entries[99].Name() != "p098" {
		t.Errorf("not the first names: %s, %s ... %s", l.Entries[0].Name(), l.Entries[1].Name(), l.Entries[99].Name())
	}
	if _, err := r.Lstat(ctx, "/opt/cni/bin/zz-plugin"); err != nil {
		t.Errorf("a name past the cap: %v", err)
	}

	l, err = r.ReadDirMatch(ctx, "/opt/cni/bin", func(name string) bool { return strings.HasPrefix(name, "zz") })
	if err != nil || len(l.Entries) != 1 || l.Truncated || l.Total != 1 || l.More() != 0 {
		t.Errorf("matching zz: %+v %v", l, err)
	}

	r = open(t, dir, Limits{MaxDirEntries: 100, MaxDirNames: 200})
	l, err = r.ReadDir(ctx, "/opt/cni/bin")
	if err != nil || len(l.Entries) != 100 || !l.Truncated || l.AllNames || l.Total != 200 {
		t.Errorf("names capped: %d entries, truncated %v, all names %v, total %d, %v", len(l.Entries), l.Truncated, l.AllNames, l.Total, err)
	}

	// A slow file system: the stats stop at MaxDirTime, and the listing says so.
	testHookOp = func(p string) {
		if strings.HasPrefix(p, "/opt/cni/bin/") {
			time.Sleep(time.Millisecond)
		}
	}
	t.Cleanup(func() { testHookOp = nil })
	r = open(t, dir, Limits{MaxDirTime: 50 * time.Millisecond})
	start := time.Now()
	l, err = r.ReadDir(ctx, "/opt/cni/bin")
	if err != nil || !l.TimedOut || !l.Truncated || len(l.Entries) == 0 || len(l.Entries) >= 400 || l.Total != 502 {
		t.Errorf("slow: %d entries, timed out %v, truncated %v, total %d, %v", len(l.Entries), l.TimedOut, l.Truncated, l.Total, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a listing of 50ms took %s", d)
	}
}

// A walk stops at its time and says so, with what it visited: a slow tree is reported as
// not judged fully rather than holding the run.
func TestWalkStopsAtItsTime(t *testing.T) {
	files := map[string]string{}
	for d := range 40 {
		files[fmt.Sprintf("var/slow/d%02d/f", d)] = "x"
	}
	r := open(t, tree(t, files), Limits{MaxDirTime: 100 * time.Millisecond})
	testHookOp = func(p string) {
		if strings.HasPrefix(p, "/var/slow/d") {
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Cleanup(func() { testHookOp = nil })
	start := time.Now()
	n := 0
	res, err := r.Walk(context.Background(), "/var/slow", WalkOptions{}, func(Entry) error { n++; return nil })
	if err != nil || !res.TimedOut || !res.Truncated || n >= 80 {
		t.Errorf("walk: %d entries, %+v, %v", n, res, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a walk of 100ms took %s", d)
	}
	res, err = r.Walk(context.Background(), "/var/slow", WalkOptions{MaxTime: 5 * time.Second}, func(Entry) error { return nil })
	if err != nil || res.TimedOut || res.Truncated || res.Entries != 80 {
		t.Errorf("walk with time enough: %+v, %v", res, err)
	}
}

func TestWalk(t *testing.T) {
	outside := tree(t, map[string]string{"a/b/c": "x"})
	files := map[string]string{"etc/kubernetes/manifests/etcd.yaml": "x", "etc/hosts": "x"}
	for i := range 600 {
		files[fmt.Sprintf("etc/many/f%03d", i)] = "x"
	}
	dir := tree(t, files)
	os.Symlink(outside, filepath.Join(dir, "etc/link-out"))
	r := open(t, dir, Limits{})
	ctx := context.Background()

	seen := map[string]Entry{}
	res, err := r.Walk(ctx, "/etc", WalkOptions{}, func(e Entry) error { seen[e.Path] = e; return nil })
	if err != nil || res.Truncated || res.Entries != len(seen) {
		t.Fatalf("walk: %+v %v", res, err)
	}
	for _, p := range []string{"/etc/kubernetes", "/etc/kubernetes/manifests/etcd.yaml", "/etc/many/f599", "/etc/link-out"} {
		if _, ok := seen[p]; !ok {
			t.Errorf("%s not visited", p)
		}
	}
	if len(seen) != 606 {
		t.Errorf("visited %d entries, want 606", len(seen))
	}
	if seen["/etc/link-out"].Mode&fs.ModeSymlink == 0 {
		t.Errorf("the link was followed")
	}

	n := 0
	res, err = r.Walk(ctx, "/etc", WalkOptions{MaxEntries: 100}, func(Entry) error { n++; return nil })
	if err != nil || !res.Truncated || n != 100 {
		t.Errorf("capped walk: %d entries, %+v %v", n, res, err)
	}

	n = 0
	_, err = r.Walk(ctx, "/etc", WalkOptions{MaxDepth: 1, Descend: func(e Entry) bool { return e.Name() != "many" }},
		func(e Entry) error {
			if strings.Count(e.Path, "/") > 2 {
				t.Errorf("walked too deep: %s", e.Path)
			}
			n++
			return nil
		})
	if err != nil || n != 4 {
		t.Errorf("depth 1: %d entries, %v", n, err)
	}

	stop := errors.New("enough")
	_, err = r.Walk(ctx, "/etc", WalkOptions{}, func(Entry) error { return stop })
	if err != stop {
		t.Errorf("fn's error: %v", err)
	}
}

func TestStalledFileSystemIsAbandoned(t *testing.T) {
	dir := tree(t, map[string]string{"mnt/nfs/a": "x", "etc/hosts": "x"})
	r := open(t, dir, Limits{Stall: 100 * time.Millisecond})
	release := make(chan struct{})
	testHookOp = func(p string) {
		if strings.HasPrefix(p, "/mnt/nfs") {
			<-release
		}
	}
	t.Cleanup(func() { close(release); testHookOp = nil })
	ctx := context.Background()

	start := time.Now()
	_, err := r.Walk(ctx, "/mnt", WalkOptions{}, func(Entry) error { return nil })
	var se *StallError
	if !errors.As(err, &se) || se.Path != filepath.Join(dir, "mnt/nfs") {
		t.Errorf("walk: %v, want a stall at mnt/nfs", err)
	}
	_, err = r.ReadFile(ctx, "/mnt/nfs/a")
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "did not answer within 100ms") {
		t.Errorf("read: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
	if _, err := r.ReadFile(ctx, "/etc/hosts"); err != nil {
		t.Errorf("a healthy path after a stall: %v", err)
	}
}

func TestAttributesOfAnImmutableFile(t *testing.T) {
	dir := tree(t, map[string]string{"etc/hosts": "x", "etc/resolv.conf": "y"})
	if err := hosttest.SetAttrs(t, filepath.Join(dir, "etc/hosts"), true, false); err != nil {
		t.Skipf("cannot set the immutable flag here: %v", err)
	}
	r := open(t, dir, Limits{})
	e, err := r.Attributes(context.Background(), "/etc/hosts")
	if err != nil || !e.Attrs.Known || !e.Attrs.Immutable || e.Attrs.AppendOnly {
		t.Errorf("immutable file: %+v %v", e.Attrs, err)
	}
	e, err = r.Attributes(context.Background(), "/etc/resolv.conf")
	if err != nil || !e.Attrs.Known || e.Attrs.Immutable {
		t.Errorf("plain file: %+v %v", e.Attrs, err)
	}
}

func TestUsageOfTheSystemRoot(t *testing.T) {
	r := open(t, "/", Limits{})
	if !r.IsSystemRoot() || r.Display("/etc/hosts") != "/etc/hosts" {
		t.Errorf("system root: %v %q", r.IsSystemRoot(), r.Display("/etc/hosts"))
	}
	u, err := r.Usage(context.Background(), "/")
	if err != nil || u.Used+u.Avail == 0 || u.BytesPercent() <= 0 || u.BytesPercent() > 100 {
		t.Errorf("usage of /: %+v %v", u, err)
	}
}
