package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
)

// SilentServer is a listener on 127.0.0.1 that accepts connections and never answers; tls
// makes it look like a TLS server that starts the handshake and never finishes it (it reads
// the ClientHello and sends the header of a handshake record whose body never comes). It
// returns the address.
func silentServer(t testing.TB, tls bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if tls {
				go func() {
					buf := make([]byte, 512)
					if _, err := c.Read(buf); err == nil {
						c.Write([]byte{0x16, 0x03, 0x03, 0x00, 0x64}) // a ServerHello of 100 bytes, never sent
					}
					io.Copy(io.Discard, c)
				}()
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func clusterFor(t testing.TB, server string, timeout time.Duration) *Cluster {
	t.Helper()
	c, err := NewCluster(&rest.Config{Host: server, Timeout: timeout, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func getVersion(ctx context.Context, c *Cluster) error {
	_, err := c.Clientset.Discovery().RESTClient().Get().AbsPath("/version").DoRaw(ctx)
	return err
}

// TestBreakerStopsTheRunAtTheFirstSilence: against a server that accepts and never answers,
// plain or TLS, requests in flight end together when the first one's timeout passes, and later
// ones fail at once, each saying why.
func TestBreakerStopsTheRunAtTheFirstSilence(t *testing.T) {
	const timeout = 400 * time.Millisecond
	for _, c := range []struct {
		name, scheme, stalled string
		tls                   bool
	}{
		{"plain", "http://", stageSent, false},
		{"TLS handshake", "https://", stageTLS, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cluster := clusterFor(t, c.scheme+silentServer(t, c.tls), timeout)
			s := NewLiveSnapshot(context.Background(), cluster)
			start := time.Now()
			errs := make([]error, 6)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(time.Duration(i) * timeout / 10) // staggered: the last starts well after the first
					if i%2 == 0 {
						errs[i] = getVersion(context.Background(), cluster)
					} else {
						_, errs[i] = s.List(context.Background(), []Resource{Pods, Nodes, Services}[i/2])
					}
				}()
			}
			wg.Wait()
			took := time.Since(start)
			if took > timeout+200*time.Millisecond {
				t.Errorf("the requests took %s together; the first timeout is %s", took, timeout)
			}
			for i, err := range errs {
				var na *NotAnsweringError
				if !errors.As(err, &na) || !errors.Is(err, ErrNotAnswering) {
					t.Fatalf("request %d: %T %v, want a NotAnsweringError", i, err, err)
				}
			}
			first := cluster.NotAnswering()
			var na *NotAnsweringError
			if !errors.As(first, &na) || na.Stalled != c.stalled || na.First != nil {
				t.Fatalf("the breaker holds %v, want a request that stalled with %q", first, c.stalled)
			}
			msg, hint := ClassifyConnError(errs[0])
			if !strings.Contains(msg, "within the request timeout (400ms)") || !strings.Contains(hint, "--request-timeout") {
				t.Errorf("the first request's error reads %q / %q", msg, hint)
			}

			// Later requests fail at once, saying the server stopped answering.
			start = time.Now()
			err := getVersion(context.Background(), cluster)
			if !errors.As(err, &na) || na.First == nil || na.Sent || time.Since(start) > 50*time.Millisecond {
				t.Fatalf("a later request: %v after %s", err, time.Since(start))
			}
			msg, _ = ClassifyConnError(fmt.Errorf("listing pods: %w", err))
			if !strings.HasPrefix(msg, "the API server stopped answering: ") || !strings.Contains(msg, c.stalled) || !strings.Contains(msg, "kockpit did not send this request") {
				t.Errorf("a later request's error reads %q", msg)
			}

			// A new run asks again (and waits again).
			cluster.AskAgain()
			if cluster.NotAnswering() != nil {
				t.Fatal("AskAgain did not reset the breaker")
			}
			start = time.Now()
			if err := getVersion(context.Background(), cluster); !errors.Is(err, ErrNotAnswering) || time.Since(start) < timeout-timeout/10 {
				t.Errorf("after AskAgain: %v after %s", err, time.Since(start))
			}
		})
	}
}

// TestBreakerIgnoresCallersThatGiveUp: a caller's cancellation, or a deadline shorter than the
// request timeout, says nothing about the server.
func TestBreakerIgnoresCallersThatGiveUp(t *testing.T) {
	cluster := clusterFor(t, "http://"+silentServer(t, false), time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := getVersion(ctx, cluster); err == nil || errors.Is(err, ErrNotAnswering) {
		t.Errorf("a short deadline: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := getVersion(ctx, cluster); err == nil || errors.Is(err, ErrNotAnswering) {
		t.Errorf("a cancellation: %v", err)
	}
	if err := cluster.NotAnswering(); err != nil {
		t.Errorf("the breaker tripped on callers that gave up: %v", err)
	}
}

// TestBreakerLetsAnswersThrough: a server that answers, even slowly within the timeout, and a
// port-forward's upgraded connection that lives past the timeout, do not trip it; an answer
// that starts and then stops does.
func TestBreakerLetsAnswersThrough(t *testing.T) {
	const timeout = 300 * time.Millisecond
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/version":
			time.Sleep(timeout / 2)
			fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
		case "/upgrade":
			conn, rw, _ := w.(http.Hijacker).Hijack()
			rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
			rw.Flush()
			<-release
			conn.Close()
		case "/stall":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"major":`)
			w.(http.Flusher).Flush()
			<-release
		}
	}))
	defer srv.Close()
	defer close(release)
	cluster := clusterFor(t, srv.URL, timeout)

	for range 3 {
		if err := getVersion(context.Background(), cluster); err != nil {
			t.Fatalf("a server that answers: %v", err)
		}
	}
	rt, err := rest.TransportFor(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/upgrade", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "test")
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	time.Sleep(timeout + timeout/2)
	if err := cluster.NotAnswering(); err != nil {
		t.Fatalf("an upgraded connection tripped the breaker: %v", err)
	}
	resp.Body.Close()

	_, err = cluster.Clientset.Discovery().RESTClient().Get().AbsPath("/stall").DoRaw(context.Background())
	var na *NotAnsweringError
	if !errors.As(err, &na) || na.Stalled != stageHeaders {
		t.Fatalf("an answer that stops: %v", err)
	}
}

// TestTransportWrappersReachTheConnection: client-go cancels a request through the wrappers'
// WrappedRoundTripper; a wrapper without one makes it log "unable to cancel request".
func TestTransportWrappersReachTheConnection(t *testing.T) {
	cluster := clusterFor(t, "http://127.0.0.1:1", time.Second)
	base := &http.Transport{}
	rt := cluster.Config.WrapTransport(base)
	for depth := 0; rt != base; depth++ {
		w, ok := rt.(utilnet.RoundTripperWrapper)
		if !ok || depth > 5 {
			t.Fatalf("%T does not unwrap to the transport", rt)
		}
		rt = w.WrappedRoundTripper()
	}
}

// TestNotAnsweringErrorWords: what each kind of request says.
func TestNotAnsweringErrorWords(t *testing.T) {
	first := &NotAnsweringError{Request: "GET /version", Stalled: stageTLS, RequestTimeout: 2 * time.Second}
	later := &NotAnsweringError{Request: "GET /api/v1/pods", RequestTimeout: 2 * time.Second, First: first}
	cut := &NotAnsweringError{Request: "GET /api/v1/pods", RequestTimeout: 2 * time.Second, First: first, Sent: true}
	for err, want := range map[error]string{
		first: "the API server did not answer GET /version within the request timeout (2s): the port accepts connections but the TLS handshake never completed",
		later: "not sent: the API server stopped answering (GET /version got no answer within the request timeout, 2s), so kockpit sends it no more requests this run",
		cut:   "cut short: the API server stopped answering (GET /version got no answer within the request timeout, 2s), so kockpit sends it no more requests this run",
	} {
		if err.Error() != want {
			t.Errorf("got  %q\nwant %q", err.Error(), want)
		}
	}
	if _, hint := ClassifyConnError(later); !strings.Contains(hint, "never completes TLS") {
		t.Errorf("a later request's hint is the first one's: %q", hint)
	}
}
