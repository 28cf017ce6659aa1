// Package portforwardtest is a stand-in API server for port-forward tests: the test cluster has
// no kubelet behind pods/portforward, so this server does the kubelet's part itself and carries
// each forwarded connection to a real server the test started.
package portforwardtest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"
	streamhttp "k8s.io/streaming/pkg/httpstream"
	streamspdy "k8s.io/streaming/pkg/httpstream/spdy"
)

// Server is a stand-in API server whose pods/portforward carries every data stream to one
// address, over SPDY. Like a server older than 1.31 it does not tunnel over WebSocket, so the
// client falls back, as kubectl does.
type Server struct {
	// Config reaches the server (its certificate is not checked).
	Config *rest.Config
	// Streams counts the data streams carried.
	Streams atomic.Int32

	mu    sync.Mutex
	paths []string
	conns []streamhttp.Connection
}

// CloseAll ends every forward the server carries, as an API server that restarts does.
func (s *Server) CloseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// Paths are the URL paths of the port-forward requests the server took, in order.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// Start starts a stand-in API server that forwards to target (HOST:PORT); it stops when the
// test ends.
func Start(t testing.TB, target string) *Server {
	t.Helper()
	s := &Server{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		if r.Header.Get("Upgrade") == "websocket" {
			http.Error(w, "websocket tunnelling not supported", http.StatusBadRequest)
			return
		}
		if _, err := streamhttp.Handshake(r, w, []string{"portforward.k8s.io"}); err != nil {
			return
		}
		conn := streamspdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st streamhttp.Stream, _ <-chan struct{}) error {
			if st.Headers().Get("streamType") != "data" {
				return nil // the error stream: nothing goes wrong here
			}
			s.Streams.Add(1)
			go carry(st, target)
			return nil
		})
		if conn != nil {
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			<-conn.CloseChan()
		}
	}))
	t.Cleanup(srv.Close)
	s.Config = &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	return s
}

// carry copies one forwarded stream to and from a new connection to target.
func carry(st streamhttp.Stream, target string) {
	defer st.Close()
	c, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer c.Close()
	go func() { _, _ = io.Copy(c, st) }()
	_, _ = io.Copy(st, c)
}
