//go:build linux

package host

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenReader: a node file read at offsets, through links inside the root; anything but a
// regular file refused before it is opened; a stalled read abandoned.
func TestOpenReader(t *testing.T) {
	dir := tree(t, map[string]string{"usr/bin/kubectl": "0123456789", "mnt/nfs/kubectl": "x"})
	os.Symlink("/usr/bin/kubectl", filepath.Join(dir, "usr/local-kubectl"))
	if err := syscall.Mkfifo(filepath.Join(dir, "usr/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := open(t, dir, Limits{Stall: 100 * time.Millisecond})
	ctx := context.Background()
	rd, err := r.OpenReader(ctx, "/usr/local-kubectl")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	b := make([]byte, 4)
	if n, err := rd.ReadAt(b, 3); n != 4 || err != nil || string(b) != "3456" || rd.Size != 10 || rd.Path != "/usr/local-kubectl" {
		t.Errorf("ReadAt = %d %v %q (%+v)", n, err, b, rd.Entry)
	}
	if n, err := rd.ReadAt(b, 8); n != 2 || err != io.EOF || string(b[:2]) != "89" {
		t.Errorf("ReadAt at the end = %d %v", n, err)
	}
	for _, p := range []string{"/usr/fifo", "/usr", "/"} {
		if _, err := r.OpenReader(ctx, p); !errors.Is(err, ErrNotRegular) {
			t.Errorf("OpenReader(%s) = %v, want ErrNotRegular", p, err)
		}
	}
	if _, err := r.OpenReader(ctx, "/usr/bin/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}

	nfs, err := r.OpenReader(ctx, "/mnt/nfs/kubectl")
	if err != nil {
		t.Fatal(err)
	}
	defer nfs.Close()
	release := make(chan struct{})
	testHookOp = func(p string) {
		if strings.HasPrefix(p, "/mnt/nfs") {
			<-release
		}
	}
	t.Cleanup(func() { close(release); testHookOp = nil })
	var se *StallError
	if _, err := nfs.ReadAt(b, 0); !errors.As(err, &se) {
		t.Errorf("a stalled read: %v", err)
	}
}

func TestParseRecorded(t *testing.T) {
	good := `{"version":1,"attrsComplete":true,"files":{"/var/lib/kubelet/config.yaml":{"immutable":true,"uid":0,"gid":0}}}`
	rec, err := ParseRecorded("recorded.json", []byte(good))
	if err != nil || !rec.AttrsComplete || !rec.Files["/var/lib/kubelet/config.yaml"].Immutable || *rec.Files["/var/lib/kubelet/config.yaml"].Uid != 0 {
		t.Fatalf("%+v %v", rec, err)
	}
	for _, bad := range []string{
		`{"version":2}`,
		`{"version":1,"files":{"var/lib/x":{}}}`,
		`{"version":1,"files":{"/var/../x":{}}}`,
		`{"version":1,"files":{"/x":{"owner":0}}}`,
		`{"version":1} {}`,
		`[]`,
	} {
		if _, err := ParseRecorded("recorded.json", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "recorded.json: ") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	big := filepath.Join(t.TempDir(), "big.json")
	os.WriteFile(big, []byte(`{"version":1,"files":{`+strings.Repeat(" ", MaxRecordedBytes)+`}}`), 0o644)
	if _, err := ReadRecorded(big); err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Errorf("past the cap: %v", err)
	}
}

func FuzzParseRecorded(f *testing.F) {
	f.Add([]byte(`{"version":1,"attrsComplete":true,"files":{"/a":{"immutable":true,"appendOnly":true,"uid":1,"gid":2}}}`))
	f.Add([]byte(`{"version":1,"files":{"/":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecorded("recorded.json", data)
		if err != nil {
			return
		}
		for p := range rec.Files {
			if p != clean(p) || rec.Version != RecordedVersion {
				t.Fatalf("accepted %q in %+v", p, rec)
			}
		}
	})
}
