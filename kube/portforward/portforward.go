// Package portforward opens port-forwards to pods through the API server, as kubectl
// port-forward does, within a timeout whatever the server does: the DNS probe asks CoreDNS
// through one, the Hubble checks reach hubble-relay through one.
package portforward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	kubepf "k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	streamhttp "k8s.io/streaming/pkg/httpstream"
)

// Tunnel is a local TCP port on 127.0.0.1 forwarded to a pod's port through the API server.
type Tunnel struct {
	// Addr is the local end, 127.0.0.1:PORT.
	Addr string

	stop   context.CancelFunc
	done   chan error
	ended  chan struct{} // closed when the forwarder stops, for whatever reason
	errOut *syncBuffer
}

// Done is closed once the tunnel carries nothing more: closed, or its connection to the API
// server lost. A caller that keeps a tunnel opens a new one then.
func (t *Tunnel) Done() <-chan struct{} { return t.ended }

// closeWait bounds how long Close waits for the forwarder to wind down.
const closeWait = time.Second

// Close stops forwarding. It never blocks longer than a second.
func (t *Tunnel) Close() {
	t.stop()
	select {
	case <-t.done:
	case <-time.After(closeWait):
	}
}

// Errors returns what the forwarder reported while carrying connections ("error forwarding
// port 53 to pod ..."), for a failed query's evidence; empty when all went well.
func (t *Tunnel) Errors() string { return strings.TrimSpace(t.errOut.String()) }

// Forward opens a port-forward to the pod's port, as kubectl port-forward does (WebSocket, with
// a fallback to SPDY for older servers), and returns once the local end listens. It gives up
// after timeout or when ctx ends; whatever the server does, it does not block longer.
//
// The request is a "create" of pods/portforward: the one write-like verb kockpit sends, and
// only when active probes are allowed.
func Forward(ctx context.Context, cfg *rest.Config, namespace, pod string, port int, timeout time.Duration) (*Tunnel, error) {
	what := fmt.Sprintf("port-forward to %s/%s:%d", namespace, pod, port)
	target, err := portForwardURL(cfg, namespace, pod)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	dialer, err := fallbackDialer(cfg, target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	fwCtx, stop := context.WithCancel(context.Background())
	ready := make(chan struct{})
	errOut := &syncBuffer{}
	bounded := &boundedDialer{ctx: ctx, inner: dialer}
	fw, err := kubepf.NewOnAddressesForStreamingWithContext(fwCtx, bounded,
		[]string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, ready, io.Discard, errOut)
	if err != nil {
		stop()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	done := make(chan error, 1)
	ended := make(chan struct{})
	go func() {
		err := fw.ForwardPorts()
		close(ended)
		done <- err
	}()
	t := &Tunnel{stop: stop, done: done, ended: ended, errOut: errOut}

	select {
	case <-ready:
		ports, err := fw.GetPorts()
		if err != nil || len(ports) == 0 {
			t.Close()
			return nil, fmt.Errorf("%s: no local port: %v", what, err)
		}
		t.Addr = "127.0.0.1:" + strconv.Itoa(int(ports[0].Local))
		return t, nil
	case err := <-done:
		stop()
		if dialErr := bounded.lastErr(); dialErr != nil {
			err = dialErr // ForwardPorts flattens it to text: keep the API status for callers
		} else if err == nil {
			err = fmt.Errorf("stopped before it was ready")
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	case <-ctx.Done():
		t.Close()
		return nil, fmt.Errorf("%s: not ready after %s: %w", what, timeout, ctx.Err())
	}
}

// portForwardURL is the pod's portforward subresource on the API server.
func portForwardURL(cfg *rest.Config, namespace, pod string) (*url.URL, error) {
	base, err := url.Parse(cfg.Host)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("API server URL %q: cannot parse it", cfg.Host)
	}
	if base.Scheme == "" {
		base.Scheme = "https"
	}
	return base.JoinPath("api", "v1", "namespaces", namespace, "pods", pod, "portforward"), nil
}

// fallbackDialer tries WebSocket first and falls back to SPDY when the server does not upgrade,
// the way kubectl port-forward does since Kubernetes 1.31.
func fallbackDialer(cfg *rest.Config, target *url.URL) (streamhttp.Dialer, error) {
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("preparing SPDY: %w", err)
	}
	spdyDialer := spdy.NewDialerForStreaming(upgrader, &http.Client{Transport: transport}, http.MethodPost, target)
	wsDialer, err := kubepf.NewSPDYOverWebsocketDialerForStreaming(target, cfg)
	if err != nil {
		return nil, fmt.Errorf("preparing WebSocket: %w", err)
	}
	return kubepf.NewFallbackDialerForStreaming(wsDialer, spdyDialer, shouldFallback), nil
}

// shouldFallback says whether a WebSocket failure may succeed over SPDY: an old server that
// does not tunnel, or a proxy the WebSocket client cannot use. A refusal (401, 403) would only
// be repeated, so it is not retried.
func shouldFallback(err error) bool {
	if streamhttp.IsHTTPSProxyError(err) {
		return true
	}
	cause, upgrade := upgradeCause(err)
	return upgrade && !apierrors.IsForbidden(cause) && !apierrors.IsUnauthorized(cause)
}

// upgradeCause unwraps the upgrade failure client-go returns (it does not unwrap), so callers
// can tell a forbidden port-forward from an unreachable kubelet.
func upgradeCause(err error) (error, bool) {
	var cur *streamhttp.UpgradeFailureError
	if errors.As(err, &cur) {
		return cur.Cause, true
	}
	return err, false
}

// boundedDialer gives client-go's dialers, which take no context, a deadline: Dial returns when
// ctx ends, and a connection that completes after that is closed as soon as it arrives.
type boundedDialer struct {
	ctx   context.Context
	inner streamhttp.Dialer

	mu  sync.Mutex
	err error // the last Dial's error
}

func (d *boundedDialer) lastErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

func (d *boundedDialer) Dial(protocols ...string) (streamhttp.Connection, string, error) {
	c, p, err := d.dial(protocols...)
	if cause, ok := upgradeCause(err); ok && cause != nil {
		err = fmt.Errorf("the API server refused the upgrade: %w", cause)
	}
	d.mu.Lock()
	d.err = err
	d.mu.Unlock()
	return c, p, err
}

type dialResult struct {
	conn     streamhttp.Connection
	protocol string
	err      error
}

func (d *boundedDialer) dial(protocols ...string) (streamhttp.Connection, string, error) {
	res := make(chan dialResult, 1)
	go func() {
		c, p, err := d.inner.Dial(protocols...)
		res <- dialResult{c, p, err}
	}()
	select {
	case r := <-res:
		return r.conn, r.protocol, r.err
	case <-d.ctx.Done():
		go func() {
			if r := <-res; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, "", fmt.Errorf("the API server did not upgrade the connection in time: %w", d.ctx.Err())
	}
}

// syncBuffer collects the forwarder's error output, written from its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 4096 {
		return len(p), nil // enough to say why; a flood of errors need not be kept
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
