package dnsprobe

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
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
