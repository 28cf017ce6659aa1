package dnsprobe

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	streamhttp "k8s.io/streaming/pkg/httpstream"
	streamspdy "k8s.io/streaming/pkg/httpstream/spdy"
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

// portForwardServer is an API server that does what the kubelet does behind pods/portforward,
// over SPDY: each data stream is carried to target. Like a server older than 1.31 it does not
// tunnel over WebSocket, so the client falls back.
func portForwardServer(t *testing.T, target string) (*rest.Config, *atomic.Int32) {
	t.Helper()
	var streams atomic.Int32
	cfg := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "websocket" {
			http.Error(w, "websocket tunnelling not supported", http.StatusBadRequest)
			return
		}
		if _, err := streamhttp.Handshake(r, w, []string{"portforward.k8s.io"}); err != nil {
			return
		}
		conn := streamspdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s streamhttp.Stream, _ <-chan struct{}) error {
			if s.Headers().Get("streamType") != "data" {
				return nil // the error stream: nothing goes wrong here
			}
			streams.Add(1)
			go func() {
				defer s.Close()
				c, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer c.Close()
				go func() { _, _ = io.Copy(c, s) }()
				_, _ = io.Copy(s, c)
			}()
			return nil
		})
		if conn != nil {
			<-conn.CloseChan()
		}
	})
	return cfg, &streams
}

// TestForwardAndLookup is the probe's whole path: a port-forward (falling back to SPDY) to a
// "pod" whose port 53 is a real DNS server, and a question asked through it.
func TestForwardAndLookup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.ParseIP("10.96.0.1")})
		_ = w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{Listener: ln, Net: "tcp", Handler: mux, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	defer func() { _ = srv.Shutdown() }()

	cfg, streams := portForwardServer(t, ln.Addr().String())
	tun, err := Forward(t.Context(), cfg, "kube-system", "coredns-abc", 53, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	if !strings.HasPrefix(tun.Addr, "127.0.0.1:") {
		t.Errorf("local end %q", tun.Addr)
	}
	ans, err := Lookup(t.Context(), tun.Addr, "kubernetes.default.svc.cluster.local", dns.TypeA, 5*time.Second)
	if err != nil {
		t.Fatalf("lookup through the port-forward: %v (forwarder: %s)", err, tun.Errors())
	}
	if ans.Rcode != "NOERROR" || len(ans.Addresses) != 1 || ans.Addresses[0] != "10.96.0.1" || streams.Load() != 1 {
		t.Errorf("answer %+v over %d streams", ans, streams.Load())
	}
	if tun.Errors() != "" {
		t.Errorf("forwarder errors: %s", tun.Errors())
	}
	tun.Close()
	if c, err := net.DialTimeout("tcp", tun.Addr, time.Second); err == nil {
		c.Close()
		t.Error("the local port still listens after Close")
	}
}
