package hubble

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/portforward"
	"github.com/kockpit/kockpit/safetext"
)

// relayService is the name Cilium's Helm chart gives the relay's Service, wherever it installs.
const relayService = "hubble-relay"

// relayNamespaces are where the relay is looked for first: Cilium's Helm chart installs in
// kube-system, the cilium CLI may install in "cilium"; any other namespace comes after them.
var relayNamespaces = []string{"kube-system", "cilium"}

// RelayTarget is the relay pod a port-forward reaches, found as `hubble observe -P` finds it:
// the hubble-relay Service, a ready pod behind it, and the pod's port the Service targets.
type RelayTarget struct {
	ServiceNamespace string
	Pod              string // in the Service's namespace
	Port             int
	// TLS says the relay serves TLS (its Service listens on 443): kockpit has no CA for it.
	TLS bool
}

// String says how the relay is tried, for messages: "service kube-system/hubble-relay, pod
// hubble-relay-5d7f-abcde, port 4245".
func (t RelayTarget) String() string {
	return fmt.Sprintf("service %s/%s, pod %s, port %d", safetext.Message(t.ServiceNamespace), relayService, safetext.Message(t.Pod), t.Port)
}

// ForwardFailure is why flows could not be read through a port-forward: a check turns it into
// a Skip with that reason, never a pass.
type ForwardFailure int

const (
	// NoRelay: no hubble-relay Service, or no ready pod behind it: nothing to forward to.
	NoRelay ForwardFailure = iota
	// Forbidden: the API server refused a list or the port-forward.
	Forbidden
	// Unreachable: the port-forward was tried and failed.
	Unreachable
	// NotTried: kockpit would not try (a TLS relay without its CA).
	NotTried
)

// ForwardError says why the relay could not be reached through a port-forward, and how it was
// tried.
type ForwardError struct {
	Failure ForwardFailure
	Msg     string
	Err     error
}

func (e *ForwardError) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + safetext.Message(e.Err.Error())
}

func (e *ForwardError) Unwrap() error { return e.Err }

// FindRelay picks the relay to forward to from the cluster's Services and Pods: a Service named
// hubble-relay in kube-system, then in cilium, then in any namespace (by name), and the first
// running, ready pod its selector takes (by name). A Service with no ready pod is passed over for
// the next; when none has one, the error names them.
func FindRelay(svcs []*corev1.Service, pods []*corev1.Pod) (RelayTarget, error) {
	var found []*corev1.Service
	for _, s := range svcs {
		if s.Name == relayService {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return RelayTarget{}, &ForwardError{Failure: NoRelay, Msg: "no hubble-relay Service in any namespace (Hubble's relay is off)"}
	}
	slices.SortFunc(found, func(a, b *corev1.Service) int {
		if ra, rb := namespaceRank(a.Namespace), namespaceRank(b.Namespace); ra != rb {
			return ra - rb
		}
		return compareStrings(a.Namespace, b.Namespace)
	})
	var passed []string
	for _, s := range found {
		t, why := relayPod(s, pods)
		if why == "" {
			return t, nil
		}
		passed = append(passed, safetext.Message(s.Namespace)+"/"+relayService+": "+why)
	}
	return RelayTarget{}, &ForwardError{Failure: NoRelay, Msg: "no hubble-relay pod to forward to (" + joinClipped(passed) + ")"}
}

func namespaceRank(ns string) int {
	if i := slices.Index(relayNamespaces, ns); i >= 0 {
		return i
	}
	return len(relayNamespaces)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func joinClipped(items []string) string {
	const shown = 3
	s := ""
	for i, it := range items {
		if i == shown {
			return s + fmt.Sprintf("; and %d more", len(items)-shown)
		}
		if i > 0 {
			s += "; "
		}
		s += it
	}
	return s
}

// relayPod is the Service's first ready pod and the port it targets; why says why there is none.
func relayPod(s *corev1.Service, pods []*corev1.Pod) (RelayTarget, string) {
	if len(s.Spec.Selector) == 0 {
		return RelayTarget{}, "the Service selects no pods (no selector)"
	}
	if len(s.Spec.Ports) == 0 {
		return RelayTarget{}, "the Service has no port"
	}
	sp := s.Spec.Ports[0]
	for _, p := range s.Spec.Ports {
		if p.Name == "grpc" {
			sp = p
		}
	}
	sel := labels.SelectorFromSet(s.Spec.Selector)
	var ready []*corev1.Pod
	for _, p := range pods {
		if p.Namespace == s.Namespace && sel.Matches(labels.Set(p.Labels)) && podReady(p) {
			ready = append(ready, p)
		}
	}
	if len(ready) == 0 {
		return RelayTarget{}, "no running, ready pod matches its selector"
	}
	slices.SortFunc(ready, func(a, b *corev1.Pod) int { return compareStrings(a.Name, b.Name) })
	for _, p := range ready {
		if port, ok := targetPort(sp, p); ok {
			return RelayTarget{ServiceNamespace: s.Namespace, Pod: p.Name, Port: port, TLS: sp.Port == 443}, ""
		}
	}
	return RelayTarget{}, fmt.Sprintf("no ready pod has the port the Service targets (%s)", safetext.Message(sp.TargetPort.String()))
}

// targetPort is the pod's port a Service port sends to: a number, a named container port, or
// the Service's own port when it names none.
func targetPort(sp corev1.ServicePort, p *corev1.Pod) (int, bool) {
	tp := sp.TargetPort
	switch {
	case tp.Type == intstr.String && tp.StrVal != "":
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == tp.StrVal && (cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP) {
					return int(cp.ContainerPort), true
				}
			}
		}
		return 0, false
	case tp.Type == intstr.Int && tp.IntVal > 0:
		return int(tp.IntVal), true
	}
	return int(sp.Port), sp.Port > 0
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Forwarder opens a port-forward to a pod's port: portforward.Forward with the cluster's
// config and timeout, or a test's stand-in API server.
type Forwarder func(ctx context.Context, namespace, pod string, port int) (*portforward.Tunnel, error)

// ForwardedRelay is a relay reached through a port-forward to the hubble-relay pod, made on the
// first read and kept for the run; a forward that ended is made again on the next read. Reads
// made while a forward is being set up wait for it and share its outcome.
type ForwardedRelay struct {
	snap    *kube.Snapshot
	forward Forwarder
	opts    RelayOptions // Timeout; Server and How are set per forward

	mu      sync.Mutex
	cur     *forwarded
	pending *attempt
	last    string // how the last forward was tried, for Describe
	closed  bool   // Close was called: a forward that completes after it is closed at once
}

type forwarded struct {
	target RelayTarget
	tunnel *portforward.Tunnel
	relay  *Relay
}

type attempt struct {
	done chan struct{}
	conn *forwarded
	err  error
}

// NewForwardedRelay reads flows through a port-forward to the relay the snapshot shows; opts
// gives the timeout of each call (TLS is not supported: a TLS relay is NotTried).
func NewForwardedRelay(snap *kube.Snapshot, forward Forwarder, opts RelayOptions) *ForwardedRelay {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &ForwardedRelay{snap: snap, forward: forward, opts: opts}
}

// Describe says where the flows come from and how the relay was reached.
func (f *ForwardedRelay) Describe() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		return f.cur.relay.Describe()
	}
	if f.last != "" {
		return "the Hubble relay through a port-forward (" + f.last + ")"
	}
	return "the Hubble relay through a port-forward"
}

// Live reports true.
func (f *ForwardedRelay) Live() bool { return true }

// Target is the relay pod the current forward reaches; ok is false before the first forward
// (or after one that ended).
func (f *ForwardedRelay) Target() (t RelayTarget, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur == nil {
		return RelayTarget{}, false
	}
	select {
	case <-f.cur.tunnel.Done():
		return RelayTarget{}, false
	default:
		return f.cur.target, true
	}
}

// Status asks the relay about itself.
func (f *ForwardedRelay) Status(ctx context.Context) (*Status, error) {
	r, err := f.relay(ctx)
	if err != nil {
		return nil, err
	}
	return r.Status(ctx)
}

// Flows reads flows from the relay.
func (f *ForwardedRelay) Flows(ctx context.Context, q Query, each func(*flowpb.Flow) error) (Coverage, error) {
	r, err := f.relay(ctx)
	if err != nil {
		return Coverage{}, err
	}
	return r.Flows(ctx, q, each)
}

// Follow follows the relay's flows through the forward, as Relay.Follow does: the Flows pane
// follows the port-forwarded relay as it follows one given by --hubble-server.
func (f *ForwardedRelay) Follow(ctx context.Context, last uint64, each func(*flowpb.Flow) error) (Coverage, error) {
	r, err := f.relay(ctx)
	if err != nil {
		return Coverage{}, err
	}
	return r.Follow(ctx, last, each)
}

// Close ends the forward and the connection.
func (f *ForwardedRelay) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.cur != nil {
		f.cur.close()
		f.cur = nil
	}
}

func (c *forwarded) close() {
	_ = c.relay.Close()
	c.tunnel.Close()
}

// relay is the relay over a live forward, set up if needed.
func (f *ForwardedRelay) relay(ctx context.Context) (*Relay, error) {
	f.mu.Lock()
	if f.cur != nil {
		select {
		case <-f.cur.tunnel.Done():
			f.cur.close() // the pod went away, or the API server dropped the stream
			f.cur = nil
		default:
			r := f.cur.relay
			f.mu.Unlock()
			return r, nil
		}
	}
	a := f.pending
	if a == nil {
		a = &attempt{done: make(chan struct{})}
		f.pending = a
		// The forward outlives the read that asked first; its own timeouts bound it.
		go f.connect(context.WithoutCancel(ctx), a)
	}
	f.mu.Unlock()
	select {
	case <-a.done:
		if a.err != nil {
			return nil, a.err
		}
		return a.conn.relay, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *ForwardedRelay) connect(ctx context.Context, a *attempt) {
	conn, how, err := f.open(ctx)
	f.mu.Lock()
	a.conn, a.err = conn, err
	f.pending = nil // a failed forward is tried again by the next read, not by those waiting
	switch {
	case err == nil && f.closed:
		conn.close() // the run ended while the forward was being made
		a.conn, a.err = nil, errors.New("the run ended before the port-forward to hubble-relay was ready")
	case err == nil:
		f.cur = conn
	}
	if how != "" {
		f.last = how
	}
	f.mu.Unlock()
	close(a.done)
}

// open finds the relay's pod and forwards to it; how says what was tried.
func (f *ForwardedRelay) open(ctx context.Context) (*forwarded, string, error) {
	svcs, err := kube.ListOf[*corev1.Service](ctx, f.snap, kube.Services)
	if err != nil {
		return nil, "", listError("services", err)
	}
	pods, err := kube.ListOf[*corev1.Pod](ctx, f.snap, kube.Pods)
	if err != nil {
		return nil, "", listError("pods", err)
	}
	t, err := FindRelay(svcs, pods)
	if err != nil {
		return nil, "", err
	}
	how := t.String()
	if t.TLS {
		return nil, how, &ForwardError{Failure: NotTried, Msg: "hubble-relay serves TLS (" + how + ") and kockpit has no CA for it: run `cilium hubble port-forward` and pass --hubble-server 127.0.0.1:4245 with the --hubble-tls options"}
	}
	tun, err := f.forward(ctx, t.ServiceNamespace, t.Pod, t.Port)
	if err != nil {
		fe := &ForwardError{Failure: Unreachable, Msg: "hubble-relay not reached through a port-forward (" + how + ")", Err: err}
		if apierrors.IsForbidden(err) {
			fe.Failure = Forbidden
			fe.Msg = "the port-forward to hubble-relay needs \"create pods/portforward\" in " + safetext.Message(t.ServiceNamespace) + " (" + how + "; or pass --hubble-server)"
		}
		return nil, how, fe
	}
	opts := f.opts
	opts.Server, opts.How = tun.Addr, "a port-forward to "+how
	r, err := DialRelay(opts)
	if err != nil {
		tun.Close()
		return nil, how, &ForwardError{Failure: Unreachable, Msg: "hubble-relay through a port-forward (" + how + ")", Err: err}
	}
	return &forwarded{target: t, tunnel: tun, relay: r}, how, nil
}

// listError says which list the relay could not be found in.
func listError(what string, err error) error {
	failure := Unreachable
	if apierrors.IsForbidden(err) {
		failure = Forbidden
	}
	return &ForwardError{Failure: failure, Msg: "hubble-relay not looked for: listing " + what, Err: err}
}

// NewForwarder is the Forwarder of a live cluster: a port-forward through its API server,
// within its request timeout.
func NewForwarder(c *kube.Cluster) Forwarder {
	timeout := c.RequestTimeout
	if timeout <= 0 {
		timeout = kube.DefaultRequestTimeout
	}
	return func(ctx context.Context, namespace, pod string, port int) (*portforward.Tunnel, error) {
		return portforward.Forward(ctx, c.Config, namespace, pod, port, timeout)
	}
}
