// Package critest runs container runtimes for tests: the real containerd (the Debian package)
// on a socket of its own, and CRI services written for a test.
package critest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// StartContainerd runs the real containerd with its own root, state, socket and CNI
// directories in a temp dir, and returns its socket. It has no CNI config, so its
// NetworkReady is false with containerd's own reason. Under KOCKPIT_REQUIRE_CLUSTER=1 a
// containerd that cannot start fails the test; elsewhere the test is skipped, saying why.
func StartContainerd(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("containerd")
	if err != nil {
		Unavailable(t, "containerd is not installed (make test-deps installs it): %v", err)
	}
	dir := shortTempDir(t, "kockpit-ctd-")
	sock := filepath.Join(dir, "containerd.sock")
	config := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    conf_dir = %[5]q
    bin_dir = %[6]q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, filepath.Join(dir, "opt"), filepath.Join(dir, "net.d"), filepath.Join(dir, "cni-bin"))
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		Unavailable(t, "starting containerd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	// Waiting for it to listen is set-up, not a measurement: a generous bound.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		select {
		case err := <-exited:
			Unavailable(t, "containerd exited: %v\n%s", err, log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			Unavailable(t, "containerd did not listen on %s within 30s:\n%s", sock, log.String())
		}
	}
}

// Unavailable ends a test whose real dependency is missing: a failure where the suite must
// run it all (make test sets KOCKPIT_REQUIRE_CLUSTER=1), a skip saying why elsewhere.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (KOCKPIT_REQUIRE_CLUSTER=1 makes this a failure)", args...)
}

// Serve serves a CRI runtime service (and an image service, when not nil) written for a test
// on a unix socket, and returns the socket.
func Serve(t testing.TB, rt runtimeapi.RuntimeServiceServer, img runtimeapi.ImageServiceServer) string {
	t.Helper()
	sock := filepath.Join(shortTempDir(t, "kockpit-cri-"), "cri.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, rt)
	if img != nil {
		runtimeapi.RegisterImageServiceServer(srv, img)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return sock
}

// Silent listens on a unix socket, accepts every connection and never writes a byte: a hung
// runtime. It returns the socket.
func Silent(t testing.TB) string {
	t.Helper()
	sock := filepath.Join(shortTempDir(t, "kockpit-hung-"), "hung.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case conns <- c: // held open, never answered
			default:
				c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		close(conns)
		for c := range conns {
			c.Close()
		}
	})
	return sock
}

// shortTempDir is a temp dir with a short path: a unix socket's path holds at most 107 bytes,
// and t.TempDir's carry the test's name.
func shortTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
