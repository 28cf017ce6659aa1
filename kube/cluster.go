package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/safetext"
)

// DefaultRequestTimeout bounds every request when --request-timeout is not given: kockpit must
// never hang on a server that does not answer.
const DefaultRequestTimeout = 5 * time.Second

// Cluster is live access to one API server.
type Cluster struct {
	// Config is the REST config every client here derives from: user agent and timeout set.
	Config *rest.Config
	// Clientset speaks protobuf for built-in kinds.
	Clientset kubernetes.Interface
	// Dynamic reads CRDs and kinds without typed clients, as JSON.
	Dynamic dynamic.Interface
	// Server is the API server URL from the kubeconfig.
	Server string
	// RequestTimeout bounds each request.
	RequestTimeout time.Duration

	// breaker remembers that the server stopped answering; see breaker.go.
	breaker *breaker
}

// requestTimeoutBackstop is added to the request timeout for client-go's own timeouts, which
// stay as a backstop: the breaker enforces the request timeout itself, first, so that its
// error says what stalled and the first silence stops the run's other requests.
const requestTimeoutBackstop = 500 * time.Millisecond

// AskAgain forgets that the API server stopped answering, for a new run (the cockpit's r):
// its requests are sent again.
func (c *Cluster) AskAgain() {
	if c.breaker != nil {
		c.breaker.reset()
	}
}

// NotAnswering is the error of the request that got no answer within the request timeout,
// after which every request of the run fails at once; nil while the server answers.
func (c *Cluster) NotAnswering() error {
	if c.breaker == nil {
		return nil
	}
	if first, _ := c.breaker.state(); first != nil {
		return first
	}
	return nil
}

// Kubeconfig is the kubeconfig as kubectl would load it for these flags.
type Kubeconfig struct {
	// Files are the files consulted, in precedence order (--kubeconfig, KUBECONFIG's list, or
	// ~/.kube/config). Empty when running in a pod with the in-cluster config.
	Files []string
	// Raw is the merged configuration, before flags override it.
	Raw clientcmdapi.Config
	// Context is the context in use: --context, else current-context.
	Context string
	// InCluster is true when the service account of the pod kockpit runs in is used.
	InCluster bool
}

// UserAgent is what kockpit sends; the read-only proof in the tests filters the audit log by it.
func UserAgent(version string) string { return "kockpit/" + version }

// Connect builds live access from kubectl-style flags. It does not contact the server; the
// api.reachable check does, so that an unreachable server is a finding, not a crash.
func Connect(flags *genericclioptions.ConfigFlags, version string) (*Cluster, *Kubeconfig, error) {
	loader := flags.ToRawKubeConfigLoader()
	kc := &Kubeconfig{Files: loader.ConfigAccess().GetLoadingPrecedence()}
	// client-go reads these files whole, whatever they are: judge them first.
	if err := checkKubeconfigFiles(loader.ConfigAccess()); err != nil {
		return nil, nil, err
	}
	raw, err := loader.RawConfig()
	if err != nil {
		// client-go names the file and quotes what it could not read raw.
		return nil, nil, safetext.SafeError(err)
	}
	kc.Raw = raw
	kc.Context = raw.CurrentContext
	if flags.Context != nil && *flags.Context != "" {
		kc.Context = *flags.Context
	}
	if err := serverNamed(flags, raw, kc.Context); err != nil {
		return nil, kc, err
	}
	if flags.APIServer != nil && *flags.APIServer != "" {
		if err := ValidServer(*flags.APIServer); err != nil {
			return nil, kc, safetext.Errorf("--server %q: %w", *flags.APIServer, err)
		}
	} else if name, c := clusterOf(flags, raw, kc.Context); c != nil {
		if err := ValidServer(c.Server); err != nil {
			return nil, kc, safetext.Errorf("cluster %q has the server %q: %w", name, c.Server, err)
		}
	}
	if err := checkContextFiles(flags, raw, kc.Context); err != nil {
		return nil, kc, err
	}
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, kc, safetext.SafeError(err)
	}
	if err := checkCredentialFiles(cfg); err != nil {
		return nil, kc, err
	}
	if len(raw.Contexts) == 0 && cfg.Host != "" {
		kc.InCluster = true
		kc.Files = nil
	}
	c, err := NewCluster(cfg, version)
	return c, kc, err
}

// serverNamed returns an error when a kubeconfig is in use but names no API server for this
// run: the context or its cluster is missing, or the cluster has no server. client-go would
// then fall back to kubectl's old default, http://localhost:8080, and kockpit would examine, and
// send the user's credentials to, whatever listens there instead of the cluster meant. A
// kubeconfig without contexts (in a pod, the in-cluster config) and --server are left alone.
func serverNamed(flags *genericclioptions.ConfigFlags, raw clientcmdapi.Config, context string) error {
	if len(raw.Contexts) == 0 || (flags.APIServer != nil && *flags.APIServer != "") {
		return nil
	}
	if context == "" {
		return fmt.Errorf("the kubeconfig sets no current context, and no --context was given")
	}
	ctx, ok := raw.Contexts[context]
	if !ok {
		return safetext.Errorf("context %q is not in the kubeconfig", context)
	}
	cluster := ctx.Cluster
	if flags.ClusterName != nil && *flags.ClusterName != "" {
		cluster = *flags.ClusterName
	}
	c, ok := raw.Clusters[cluster]
	switch {
	case !ok:
		return safetext.Errorf("context %q names cluster %q, which is not in the kubeconfig", context, cluster)
	case c.Server == "":
		return safetext.Errorf("cluster %q in the kubeconfig has no server", cluster)
	}
	return nil
}

// clusterOf is the cluster entry this run uses: --cluster, else the context's; nil when the
// kubeconfig has none (serverNamed says why, or the in-cluster config is used).
func clusterOf(flags *genericclioptions.ConfigFlags, raw clientcmdapi.Config, context string) (string, *clientcmdapi.Cluster) {
	ctx, ok := raw.Contexts[context]
	if !ok {
		return "", nil
	}
	name := ctx.Cluster
	if flags.ClusterName != nil && *flags.ClusterName != "" {
		name = *flags.ClusterName
	}
	return name, raw.Clusters[name]
}

// ValidServer reports why an API server address cannot be used: what client-go accepts and
// can talk to, an http or https URL (or host:port, which client-go makes a URL) with a host
// and, if any, a port from 1 to 65535. A path after the host is a prefix, and allowed.
func ValidServer(server string) error {
	if strings.TrimSpace(server) != server || server == "" {
		return fmt.Errorf("not a URL: empty, or spaces around it")
	}
	raw := server
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("not a URL: %v", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("the scheme %q is not one an API server speaks (https, or http)", u.Scheme)
	case u.Hostname() == "":
		return fmt.Errorf("no host in the URL")
	case u.Opaque != "":
		return fmt.Errorf("not a URL of the form https://HOST:PORT")
	case u.User != nil:
		return fmt.Errorf("the URL carries a user name or password: credentials go in the kubeconfig's user")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("the port %q is not a port (1 to 65535)", p)
		}
	}
	return nil
}

// NewCluster prepares clients for a REST config: kockpit's user agent, a request timeout
// enforced by the breaker (the first request that gets no answer stops the others), and
// protobuf for the typed clientset.
func NewCluster(cfg *rest.Config, version string) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = UserAgent(version)
	timeout := cfg.Timeout
	if timeout <= 0 { // client-go takes a negative timeout as none
		timeout = DefaultRequestTimeout
	}
	cfg.Timeout = timeout + requestTimeoutBackstop
	// Many checks share one client; client-go's default of 5 QPS would make the run crawl.
	cfg.QPS, cfg.Burst = 50, 100
	b := newBreaker(timeout)
	// The breaker goes innermost, next to the connection; every client below is built from
	// cfg, so every request of the run passes through this one breaker.
	cfg.WrapTransport = chainWrap(chainWrap(b.wrap, cfg.WrapTransport), countBytes)

	proto := rest.CopyConfig(cfg)
	proto.ContentType = "application/vnd.kubernetes.protobuf"
	proto.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cs, err := kubernetes.NewForConfig(proto)
	if err != nil {
		return nil, safetext.Errorf("building the Kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, safetext.Errorf("building the dynamic client: %w", err)
	}
	return &Cluster{Config: cfg, Clientset: cs, Dynamic: dyn, Server: cfg.Host, RequestTimeout: timeout, breaker: b}, nil
}

func chainWrap(prev func(http.RoundTripper) http.RoundTripper, next func(http.RoundTripper) http.RoundTripper) func(http.RoundTripper) http.RoundTripper {
	switch {
	case prev == nil:
		return next
	case next == nil:
		return prev
	}
	return func(rt http.RoundTripper) http.RoundTripper { return next(prev(rt)) }
}

// byteCounterKey carries a counter in a request's context; the transport adds the response
// body's size to it, so a LIST knows its bytes on the wire.
type byteCounterKey struct{}

func withByteCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, byteCounterKey{}, n)
}

func countBytes(rt http.RoundTripper) http.RoundTripper { return byteCounter{rt} }

type byteCounter struct{ rt http.RoundTripper }

func (c byteCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(req)
	n, _ := req.Context().Value(byteCounterKey{}).(*atomic.Int64)
	if err != nil || n == nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: n}
	return resp, nil
}

// WrappedRoundTripper lets client-go reach the transport below to cancel a request; without
// it, it logs "unable to cancel request" to the terminal.
func (c byteCounter) WrappedRoundTripper() http.RoundTripper { return c.rt }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}
