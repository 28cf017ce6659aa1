package portforward

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"github.com/kockpit/kockpit/kube/portforward/portforwardtest"
)

// apiServer is a stand-in API server for the port-forward handshake; the real test cluster has no
// kubelet, so the checks' tests cover that path and these cover what a server may do.
func apiServer(t *testing.T, handler http.HandlerFunc) *rest.Config {
	t.Helper()
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

// TestForwardNeverHangs: a server that takes the upgrade request and never answers must not
// hold Forward past its timeout.
func TestForwardNeverHangs(t *testing.T) {
	release := make(chan struct{})
	var asked atomic.Int32
	cfg := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	start := time.Now()
	_, err := Forward(t.Context(), cfg, "kube-system", "coredns-abc", 53, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "not ready after 300ms") && !strings.Contains(err.Error(), "in time") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if asked.Load() == 0 {
		t.Error("the server was never asked: the test proves nothing")
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Forward took %s with a 300ms timeout", waited)
	}
}

func TestForwardForbidden(t *testing.T) {
	var paths []string
	cfg := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"coredns-abc\" is forbidden: User \"viewer\" cannot create resource \"pods/portforward\"","reason":"Forbidden","code":403}`))
	})
	_, err := Forward(t.Context(), cfg, "kube-system", "coredns-abc", 53, 5*time.Second)
	if !apierrors.IsForbidden(err) {
		t.Fatalf("err = %v, want forbidden", err)
	}
	// Asked once, over WebSocket (GET): a refusal is not retried over SPDY.
	if len(paths) != 1 || paths[0] != "GET /api/v1/namespaces/kube-system/pods/coredns-abc/portforward" {
		t.Errorf("requests = %q", paths)
	}
}

func TestPortForwardURLKeepsPathPrefix(t *testing.T) {
	u, err := portForwardURL(&rest.Config{Host: "https://rancher.example/k8s/clusters/c-1"}, "kube-system", "p")
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != "https://rancher.example/k8s/clusters/c-1/api/v1/namespaces/kube-system/pods/p/portforward" {
		t.Errorf("url = %s", u)
	}
	if _, err := portForwardURL(&rest.Config{Host: "::"}, "a", "b"); err == nil {
		t.Error("a host that does not parse must be an error")
	}
}

// TestForwardCarriesAConnection: bytes written to the local end reach the pod's port and its
// answer comes back; when the forwarder ends, Done says so and the port no longer listens.
func TestForwardCarriesAConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				_, _ = c.Write([]byte("echo " + line))
			}()
		}
	}()
	srv := portforwardtest.Start(t, ln.Addr().String())
	tun, err := Forward(t.Context(), srv.Config, "kube-system", "hubble-relay-abc", 4245, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", tun.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || got != "echo hello\n" {
		t.Fatalf("through the tunnel: %q, %v (forwarder: %s)", got, err, tun.Errors())
	}
	if paths := srv.Paths(); len(paths) == 0 || paths[0] != "/api/v1/namespaces/kube-system/pods/hubble-relay-abc/portforward" {
		t.Errorf("requests = %q", paths)
	}
	select {
	case <-tun.Done():
		t.Fatal("Done before Close")
	default:
	}
	tun.Close()
	select {
	case <-tun.Done():
	case <-time.After(5 * time.Second):
		t.Error("Done not closed after Close")
	}
}
