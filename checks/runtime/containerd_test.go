//go:build linux

package runtime

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// startContainerd runs the real containerd (the Debian package) with its own root, state,
// socket and CNI directories in a temp dir, and returns its socket. It has no CNI config, so
// its NetworkReady is false with containerd's own reason. Under KOCKPIT_REQUIRE_CLUSTER=1 a
// containerd that cannot start fails the test.
func startContainerd(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("containerd")
	if err != nil {
		unavailable(t, "containerd is not installed (make test-deps installs it): %v", err)
	}
	// A short directory: a unix socket's path holds at most 107 bytes.
	dir, err := os.MkdirTemp("", "kockpit-ctd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
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
		unavailable(t, "starting containerd: %v", err)
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
			break
		}
		select {
		case err := <-exited:
			unavailable(t, "containerd exited: %v\n%s", err, log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			unavailable(t, "containerd did not listen on %s within 30s:\n%s", sock, log.String())
		}
	}
	return sock
}

// unavailable ends a test whose real dependency is missing: a failure where the suite must
// run it all (make test), a skip saying why elsewhere.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (KOCKPIT_REQUIRE_CLUSTER=1 makes this a failure)", args...)
}

// nodeEnv is a node whose runtime is at socket (a path on this machine).
func nodeEnv(tr *hosttest.Tree, socket string) *checks.Env {
	env := &checks.Env{Host: &checks.Host{Root: tr.Dir, Since: nodefs.DefaultHostSince}, Now: time.Now}
	if socket != "" {
		env.Runtime = &checks.Runtime{Endpoint: "unix://" + socket}
	}
	return env
}

// serveCRI serves a CRI runtime and image service written for a test on a unix socket.
func serveCRI(t *testing.T, rt runtimeapi.RuntimeServiceServer, img runtimeapi.ImageServiceServer) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kockpit-cri-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "cri.sock")
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

func describeFindings(r checks.Result) string {
	var b strings.Builder
	b.WriteString(r.Status.String() + ": " + r.Summary + "\n")
	for _, f := range r.Findings {
		where := ""
		if f.File != nil {
			where = f.File.Path
		}
		if f.Object != nil {
			where = f.Object.Kind + "/" + f.Object.Name
		}
		b.WriteString("  " + f.Severity.String() + " " + where + ": " + f.Message + "\n")
	}
	return b.String()
}

// requireFinding fails the test unless a finding says msg with the severity.
func requireFinding(t *testing.T, r checks.Result, msg string, sev checks.Severity) *checks.Finding {
	t.Helper()
	for i, f := range r.Findings {
		if strings.Contains(f.Message, msg) {
			if f.Severity != sev {
				t.Errorf("finding %q is %v, want %v", f.Message, f.Severity, sev)
			}
			return &r.Findings[i]
		}
	}
	t.Fatalf("no finding saying %q; got:\n%s", msg, describeFindings(r))
	return nil
}

var _ = context.Background
