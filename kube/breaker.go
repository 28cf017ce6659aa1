// The breaker: the first request of a run that gets no answer within the request timeout marks
// the API server as not answering, and from then on every request of the run fails at once,
// those in flight included. Without it a server that accepts connections and never answers
// costs one request timeout per request in a row (a check that lists three kinds waits three
// times), and the run takes many timeouts; with it the run ends within one.

package kube

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// NotAnsweringError is the error of a request to an API server that does not answer: the one
// that got no answer within the request timeout (First is nil), or one that was cut short or
// never sent because an earlier request got none (First is that request).
type NotAnsweringError struct {
	// Request is this request: "GET /api/v1/pods".
	Request string
	// Stalled says where the request that got no answer was when the time ran out: "in the
	// TLS handshake", "waiting for the response" ...
	Stalled string
	// RequestTimeout is the run's request timeout.
	RequestTimeout time.Duration
	// First is the request that got no answer, when it is not this one.
	First *NotAnsweringError
	// Sent says a later request was on its way when the server was given up on; otherwise it
	// was never sent.
	Sent bool
}

func (e *NotAnsweringError) Error() string {
	if e.First == nil {
		return fmt.Sprintf("the API server did not answer %s within the request timeout (%s): %s", e.Request, e.RequestTimeout, e.Stalled)
	}
	what := "not sent"
	if e.Sent {
		what = "cut short"
	}
	return fmt.Sprintf("%s: the API server stopped answering (%s got no answer within the request timeout, %s), so kockpit sends it no more requests this run",
		what, e.First.Request, e.RequestTimeout)
}

// Timeout says this is a timeout, for code that asks net.Error.
func (e *NotAnsweringError) Timeout() bool { return true }

// Temporary is part of net.Error.
func (e *NotAnsweringError) Temporary() bool { return false }

// ErrNotAnswering matches every NotAnsweringError with errors.Is.
var ErrNotAnswering = errors.New("the API server does not answer")

func (e *NotAnsweringError) Is(target error) bool { return target == ErrNotAnswering }

// breaker is shared by every client and transport of one Cluster: the typed and dynamic
// clients, discovery, and the DNS probe's port-forward (all built from Cluster.Config).
type breaker struct {
	timeout time.Duration

	mu      sync.Mutex
	tripped *NotAnsweringError // the request that got no answer; nil while the server answers
	dead    context.Context    // done once tripped: cancels the requests in flight
	kill    context.CancelFunc
}

func newBreaker(timeout time.Duration) *breaker {
	b := &breaker{timeout: timeout}
	b.dead, b.kill = context.WithCancel(context.Background())
	return b
}

// state is the request that tripped the breaker (nil if none) and the context that ends when
// it trips.
func (b *breaker) state() (*NotAnsweringError, context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped, b.dead
}

// trip records the first request that got no answer, and cuts the others short.
func (b *breaker) trip(e *NotAnsweringError) {
	b.mu.Lock()
	if b.tripped == nil {
		b.tripped = e
	}
	kill := b.kill
	b.mu.Unlock()
	kill()
}

// reset forgets that the server stopped answering: a new run (the cockpit's r) asks it again.
func (b *breaker) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped == nil {
		return
	}
	b.tripped = nil
	b.dead, b.kill = context.WithCancel(context.Background())
}

// wrap is the breaker as a client-go WrapTransport: innermost, next to the connection, so it
// sees every attempt of every request, the credentials' ones included.
func (b *breaker) wrap(rt http.RoundTripper) http.RoundTripper {
	return &breakerTransport{b: b, rt: rt}
}

type breakerTransport struct {
	b  *breaker
	rt http.RoundTripper
}

// WrappedRoundTripper lets client-go reach the transport below, to cancel a request the old
// way (without it, it logs "unable to cancel request").
func (t *breakerTransport) WrappedRoundTripper() http.RoundTripper { return t.rt }

var _ utilnet.RoundTripperWrapper = &breakerTransport{}

// slack is how much earlier than the request timeout a caller's own deadline (the same
// timeout, started a moment before the request reached the transport) may end a request that
// still counts as unanswered.
func (b *breaker) slack() time.Duration { return b.timeout / 20 }

func (t *breakerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	b := t.b
	name := requestName(req)
	first, dead := b.state()
	if first != nil {
		return nil, &NotAnsweringError{Request: name, RequestTimeout: b.timeout, First: first}
	}
	ex := &exchange{b: b, name: name, start: time.Now()}
	ctx, cancel := context.WithCancel(req.Context())
	ctx = httptrace.WithClientTrace(ctx, ex.trace())
	ex.cancel = cancel
	ex.timer = time.AfterFunc(b.timeout, ex.timeUp)
	ex.stopDead = context.AfterFunc(dead, func() { ex.cutShort(); cancel() })

	resp, err := t.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		err = ex.failed(req.Context(), err)
		ex.end(true)
		return nil, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// A port-forward's stream: the answer came; the connection lives on without a deadline.
		ex.end(false)
		return resp, nil
	}
	ex.gotHeaders()
	resp.Body = &breakerBody{ReadCloser: resp.Body, ex: ex, ctx: req.Context()}
	return resp, nil
}

// exchange is one request through the breaker.
type exchange struct {
	b        *breaker
	name     string
	start    time.Time
	timer    *time.Timer
	cancel   context.CancelFunc
	stopDead func() bool

	mu      sync.Mutex
	stage   string
	timedUp *NotAnsweringError // set when this request's own time ran out
	cut     bool               // cut short because another request tripped the breaker
	ended   bool
	// reading counts the body's Reads in progress; expired says the time ran out between
	// two of them, for the next one to fail.
	reading int
	expired bool
}

// The stages of a request, as NotAnsweringError words where it stalled.
const (
	stageStart   = "no connection to it was made"
	stageDNS     = "looking up its host name did not finish"
	stageConnect = "the TCP connection never completed"
	stageTLS     = "the port accepts connections but the TLS handshake never completed"
	stageConn    = "no answer came on an open connection"
	stageSent    = "the request was sent and no answer came"
	stageHeaders = "the answer started and then stopped"
)

func (ex *exchange) set(stage string) {
	ex.mu.Lock()
	ex.stage = stage
	ex.mu.Unlock()
}

func (ex *exchange) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { ex.set(stageDNS) },
		ConnectStart:      func(string, string) { ex.set(stageConnect) },
		TLSHandshakeStart: func() { ex.set(stageTLS) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { ex.set(stageConn) },
		GotConn:           func(httptrace.GotConnInfo) { ex.set(stageConn) },
		WroteRequest:      func(httptrace.WroteRequestInfo) { ex.set(stageSent) },
	}
}

func (ex *exchange) gotHeaders() { ex.set(stageHeaders) }

// noAnswer is this request as the one that got no answer.
func (ex *exchange) noAnswer() *NotAnsweringError {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.timedUp == nil {
		stage := ex.stage
		if stage == "" {
			stage = stageStart
		}
		ex.timedUp = &NotAnsweringError{Request: ex.name, Stalled: stage, RequestTimeout: ex.b.timeout}
	}
	return ex.timedUp
}

// timeUp runs when the request timeout passes without the whole answer. Once the headers
// came, the server is only to blame if the caller waits for the body: a body nobody reads at
// that moment fails its next Read instead (a caller that keeps a body and never reads it
// again does not make the server silent).
func (ex *exchange) timeUp() {
	ex.mu.Lock()
	if ex.ended {
		ex.mu.Unlock()
		return
	}
	if ex.stage == stageHeaders && ex.reading == 0 {
		ex.expired = true
		ex.mu.Unlock()
		return
	}
	ex.mu.Unlock()
	ex.b.trip(ex.noAnswer())
	ex.cancel()
}

func (ex *exchange) cutShort() {
	ex.mu.Lock()
	ex.cut = true
	ex.mu.Unlock()
}

// failed turns the transport's error into what the caller should see; parent is the caller's
// context.
func (ex *exchange) failed(parent context.Context, err error) error {
	ex.mu.Lock()
	timedUp, cut := ex.timedUp, ex.cut
	ex.mu.Unlock()
	switch {
	case timedUp != nil:
		return timedUp
	case cut && time.Since(ex.start) >= ex.b.timeout-ex.b.slack():
		// Given up on with the others, but it had waited its whole timeout too.
		return ex.noAnswer()
	case cut:
		first, _ := ex.b.state()
		if first == nil {
			return err // reset meanwhile: nothing to say
		}
		return &NotAnsweringError{Request: ex.name, RequestTimeout: ex.b.timeout, First: first, Sent: true}
	case parent.Err() != nil:
		// The caller gave up. Its own deadline equal to the request timeout counts as no
		// answer; a cancellation, or a shorter deadline, says nothing about the server.
		if errors.Is(parent.Err(), context.DeadlineExceeded) && time.Since(ex.start) >= ex.b.timeout-ex.b.slack() {
			e := ex.noAnswer()
			ex.b.trip(e)
			return e
		}
		return err
	case isTimeout(err):
		// The transport's own timeouts (the TLS handshake's, the dial's) when they are
		// shorter than the request timeout.
		e := ex.noAnswer()
		ex.b.trip(e)
		return e
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// end stops the exchange's timer and its link to the breaker; release also releases its
// context (not for an upgraded connection, which outlives the request).
func (ex *exchange) end(release bool) {
	ex.mu.Lock()
	already := ex.ended
	ex.ended = true
	ex.mu.Unlock()
	if already {
		return
	}
	ex.timer.Stop()
	ex.stopDead()
	if release {
		ex.cancel()
	}
}

// breakerBody keeps the request timeout running while the body is read, and turns a read cut
// short by the breaker into its error.
type breakerBody struct {
	io.ReadCloser
	ex  *exchange
	ctx context.Context // the caller's
}

func (b *breakerBody) Read(p []byte) (int, error) {
	ex := b.ex
	ex.mu.Lock()
	expired := ex.expired && !ex.ended
	if !expired {
		ex.reading++
	}
	ex.mu.Unlock()
	if expired {
		e := ex.noAnswer()
		ex.b.trip(e)
		ex.end(true)
		return 0, e
	}
	n, err := b.ReadCloser.Read(p)
	ex.mu.Lock()
	ex.reading--
	ex.mu.Unlock()
	switch {
	case err == io.EOF:
		b.ex.end(true)
	case err != nil:
		err = b.ex.failed(b.ctx, err)
		b.ex.end(true)
	}
	return n, err
}

func (b *breakerBody) Close() error {
	err := b.ReadCloser.Close()
	b.ex.end(true)
	return err
}

// requestName is a request as messages name it: method and path, no query (it may carry a
// continue token) and no host (the report names the server).
func requestName(req *http.Request) string {
	if req.URL == nil {
		return req.Method
	}
	return req.Method + " " + req.URL.Path
}
