//go:build linux

// Special files given as, or found inside, a snapshot or a kubeconfig are refused unopened;
// files over the cap are refused unread.

package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// fast fails the test when f takes more than a second (a FIFO opened for reading waits for a
// writer forever; /dev/zero read to the cap takes many seconds).
func fast[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(time.Second):
		t.Fatal("blocked")
		panic("unreachable")
	}
}

func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	return path
}

func TestLoadSnapshotRefusesSpecialFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fifo := mkfifo(t, filepath.Join(dir, "dump.yaml"))
	zeroLink := filepath.Join(t.TempDir(), "pods.json")
	if err := os.Symlink("/dev/zero", zeroLink); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, file, what string }{
		{fifo, fifo, "is a FIFO (named pipe), not a regular file"},
		{"/dev/zero", "/dev/zero", "is a character device, not a regular file"},
		{dir, fifo, "is a FIFO (named pipe)"},                                      // inside a directory
		{filepath.Dir(zeroLink), zeroLink, "is a character device, not a regular"}, // a link to a device inside a directory
	} {
		err := fast(t, func() error { _, err := LoadSnapshot(ctx, c.path); return err })
		wantInputError(t, err, c.file, 0, c.what)
	}
}

func TestLoadSnapshotRefusesAFileOverTheCapUnread(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(maxFileSize + 1) // sparse: reading it would take seconds
	f.Close()
	err = fast(t, func() error { _, err := LoadSnapshot(context.Background(), big); return err })
	wantInputError(t, err, big, 0, "is larger than 512 MiB")
	err = fast(t, func() error { _, err := LoadSnapshot(context.Background(), filepath.Dir(big)); return err })
	wantInputError(t, err, big, 0, "is larger than 512 MiB")
}

func TestConnectRefusesSpecialKubeconfigs(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t, filepath.Join(dir, "config"))
	big := filepath.Join(dir, "big")
	f, _ := os.Create(big)
	f.Truncate(MaxKubeconfigBytes + 1)
	f.Close()
	kubeconfig := func(name, cluster, user string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:6443\""+cluster+"}\n"+
			"contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user: {"+user+"}\n"), 0o600)
		return path
	}
	good := kubeconfig("good", "", "token: abc")
	fifoCA := kubeconfig("fifo-ca", ", certificate-authority: "+fifo, "token: abc")
	zeroToken := kubeconfig("zero-token", "", "tokenFile: /dev/zero")
	zeroKey := kubeconfig("zero-key", "", "client-certificate: "+fifo+", client-key: /dev/zero")

	for _, c := range []struct {
		explicit, env, want string
		kcNil               bool
	}{
		{explicit: fifo, want: "kubeconfig " + fifo + " is a FIFO (named pipe), not a regular file", kcNil: true},
		{explicit: "/dev/zero", want: "kubeconfig /dev/zero is a character device", kcNil: true},
		{explicit: dir, want: "kubeconfig " + dir + " is a directory", kcNil: true},
		{explicit: big, want: "kubeconfig " + big + " is larger than 16 MiB", kcNil: true},
		{env: good + string(os.PathListSeparator) + "/dev/zero", want: "kubeconfig /dev/zero is a character device", kcNil: true},
		// The files a kubeconfig names: the kubeconfig loads, the client is not built.
		{explicit: fifoCA, want: "certificate-authority " + fifo + " is a FIFO (named pipe)"},
		{explicit: zeroToken, want: "tokenFile /dev/zero is a character device"},
		{explicit: zeroKey, want: "client-certificate " + fifo + " is a FIFO"},
	} {
		t.Setenv("KUBECONFIG", c.env)
		flags := genericclioptions.NewConfigFlags(false)
		if c.explicit != "" {
			flags.KubeConfig = &c.explicit
		}
		type result struct {
			kc  *Kubeconfig
			err error
		}
		r := fast(t, func() result { _, kc, err := Connect(flags, "test"); return result{kc, err} })
		if r.err == nil || !strings.Contains(r.err.Error(), c.want) || (r.kc == nil) != c.kcNil {
			t.Errorf("%s%s: kubeconfig %v, err %v; want %q", c.explicit, c.env, r.kc != nil, r.err, c.want)
		}
	}
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &good
	if _, _, err := Connect(flags, "test"); err != nil {
		t.Errorf("a kubeconfig with nothing special: %v", err)
	}
}
