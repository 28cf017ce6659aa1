package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// stallingProxy serves the test cluster on plain HTTP at 127.0.0.1, except the LIST of Pods,
// which it holds until the client goes away: a server that answers some requests and then
// goes slow. held counts the held requests, answered the other LISTs answered.
func stallingProxy(t *testing.T) (kubeconfig string, held, answered *atomic.Int32) {
	t.Helper()
	c := testCluster(t)
	upstream, err := url.Parse(c.Server)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(c.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = transport
	// A held or cancelled request is the test's doing: nothing to log.
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	held, answered = &atomic.Int32{}, &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/pods" {
			held.Add(1)
			<-r.Context().Done()
			return
		}
		proxy.ServeHTTP(w, r)
		if r.URL.Query().Has("limit") { // a LIST, not discovery
			answered.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	kubeconfig = c.KubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		for _, cl := range cfg.Clusters {
			cl.Server = srv.URL
			cl.CertificateAuthorityData = nil
		}
	})
	return kubeconfig, held, answered
}

// TestSignalsEndSnapshotWithNothingWritten: SIGINT or SIGTERM while `kockpit snapshot -o DIR`
// waits on a server (one that never finishes the TLS handshake, or the test cluster behind a
// proxy that holds the LIST of Pods while it answers the other kinds) ends it within a second,
// with 130 or 143, and writes no snapshot. A new DIR is not created; an empty DIR that was
// given stays, empty: it was there before, and kockpit removes only what it made. Nothing is
// left beside it either (the temporary directory a snapshot is written into).
func TestSignalsEndSnapshotWithNothingWritten(t *testing.T) {
	bin := buildKockpit(t)
	addr, accepted := silentServer(t, true)
	silent := kubeconfigFor(t, "https://"+addr, "{token: kockpit-test-token}")
	stalled, held, answered := stallingProxy(t)
	// blocked says the run is waiting on the server: connected to the silent one, or (through
	// the proxy) the Pods held while other kinds were answered.
	silentBlocked := func(before int32) func() bool { return func() bool { return accepted.Load() > before } }
	proxyBlocked := func(before int32) func() bool {
		return func() bool { return held.Load() > before && answered.Load() > 0 }
	}

	for _, c := range []struct {
		name       string
		kubeconfig string
		blocked    func(before int32) func() bool
		count      *atomic.Int32
		emptyDir   bool
		sig        syscall.Signal
		want       int
	}{
		{"SIGTERM, silent server, new directory", silent, silentBlocked, accepted, false, syscall.SIGTERM, 143},
		{"SIGINT, silent server, empty directory", silent, silentBlocked, accepted, true, syscall.SIGINT, 130},
		{"SIGINT, Pods held, new directory", stalled, proxyBlocked, held, false, syscall.SIGINT, 130},
		{"SIGTERM, Pods held, empty directory", stalled, proxyBlocked, held, true, syscall.SIGTERM, 143},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "snap")
			var modeBefore os.FileMode
			if c.emptyDir {
				fi, err := os.Stat(parent)
				if err == nil {
					err = os.Mkdir(out, 0o750)
				}
				if err == nil {
					fi, err = os.Stat(out)
				}
				if err != nil {
					t.Fatal(err)
				}
				modeBefore = fi.Mode()
			}
			cmd := exec.Command(bin, "snapshot", "--kubeconfig", c.kubeconfig, "--request-timeout", "60s", "-o", out+"/")
			// A file, not a pipe, as in TestSignalsEndKockpitWithinASecond.
			stderr := stderrToFile(t, cmd)
			blocked := c.blocked(c.count.Load())
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(20 * time.Second); !blocked(); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("kockpit snapshot never got blocked on the server; stderr %s", stderr.String())
				}
			}
			// The request timeout is 60 s: ended within signalAndWait's 5 s guard, kockpit did not
			// wait for the server. How fast it ends is logged, not timed (under load it varies).
			signalAndWait(t, c.name, cmd, c.sig, c.want, stderr)
			if !strings.Contains(stderr.String(), "nothing written") {
				t.Errorf("stderr does not say nothing was written: %s", stderr.String())
			}
			if klogLine.MatchString(stderr.String()) {
				t.Errorf("klog wrote to stderr:\n%s", stderr.String())
			}
			var want []string
			if c.emptyDir {
				want = []string{"snap"}
			}
			if got := listDir(t, parent); !slices.Equal(got, want) {
				t.Errorf("the directory -o is in holds %v, want %v", got, want)
			}
			if c.emptyDir {
				if got := listDir(t, out); len(got) != 0 {
					t.Errorf("the empty directory given to -o now holds %v", got)
				}
				if fi, err := os.Stat(out); err != nil {
					t.Errorf("the directory given to -o: %v", err)
				} else if fi.Mode() != modeBefore {
					t.Errorf("the directory given to -o is now %v, was %v", fi.Mode(), modeBefore)
				}
			}
		})
	}
}
