package hubble

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	observerpb "github.com/cilium/cilium/api/v1/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kockpit/kockpit/internal/inputfile"
	"github.com/kockpit/kockpit/safetext"
)

// DefaultTimeout bounds each call to a relay, and each silence of a flow stream: a relay that
// accepts and never answers is an error within it.
const DefaultTimeout = 10 * time.Second

// MaxFlows caps the flows one read takes from a relay; the coverage says when it was reached.
const MaxFlows = 2_000_000

// maxMessage caps one message from the relay: a flow is a few KiB.
const maxMessage = 4 << 20

// maxPEM caps a TLS file: a certificate chain or a key is a few KiB.
const maxPEM = 1 << 20

// RelayOptions are how to reach a Hubble relay (or an agent's Hubble server), as the hubble
// CLI's flags say it.
type RelayOptions struct {
	Server string // HOST:PORT
	// TLS turns on TLS; CAFile, CertFile and KeyFile are PEM files (a client certificate
	// for mutual TLS), ServerName the name the certificate must carry.
	TLS                       bool
	CAFile, CertFile, KeyFile string
	ServerName                string
	// Timeout bounds each call and each silence of a stream (DefaultTimeout when zero).
	Timeout time.Duration
	// How says how the address was found, for messages: "--hubble-server", "a port-forward
	// to kube-system/hubble-relay".
	How string
}

// Relay is a Hubble observer server reached over gRPC.
type Relay struct {
	opts   RelayOptions
	conn   *grpc.ClientConn
	client observerpb.ObserverClient
}

// DialRelay prepares a client for the relay; it reads the TLS files (bad input is an error
// here, before anything runs) and connects lazily, on the first call.
func DialRelay(opts RelayOptions) (*Relay, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if _, _, err := net.SplitHostPort(opts.Server); err != nil {
		return nil, fmt.Errorf("--hubble-server %s: %v (fix: give HOST:PORT, e.g. 127.0.0.1:4245)", safetext.Message(strconv.Quote(opts.Server)), err)
	}
	creds := insecure.NewCredentials()
	if opts.TLS {
		cfg, err := tlsConfig(opts)
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient("passthrough:///"+opts.Server,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage)))
	if err != nil {
		return nil, fmt.Errorf("hubble relay %s: %w", safetext.Message(strconv.Quote(opts.Server)), err)
	}
	return &Relay{opts: opts, conn: conn, client: observerpb.NewObserverClient(conn)}, nil
}

func tlsConfig(opts RelayOptions) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: opts.ServerName}
	if opts.CAFile != "" {
		pem, err := inputfile.Read(opts.CAFile, maxPEM, "Hubble CA certificate")
		if err != nil {
			return nil, fmt.Errorf("--hubble-tls-ca-cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--hubble-tls-ca-cert %s: no PEM certificate in it (fix: pass the CA that signed the relay's certificate)", safetext.Message(strconv.Quote(opts.CAFile)))
		}
		cfg.RootCAs = pool
	}
	if opts.CertFile != "" || opts.KeyFile != "" {
		if opts.CertFile == "" || opts.KeyFile == "" {
			return nil, errors.New("--hubble-tls-client-cert and --hubble-tls-client-key go together (fix: give both, or neither)")
		}
		certPEM, err := inputfile.Read(opts.CertFile, maxPEM, "Hubble client certificate")
		if err != nil {
			return nil, fmt.Errorf("--hubble-tls-client-cert: %w", err)
		}
		keyPEM, err := inputfile.Read(opts.KeyFile, maxPEM, "Hubble client key")
		if err != nil {
			return nil, fmt.Errorf("--hubble-tls-client-key: %w", err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("--hubble-tls-client-cert/key: %v (fix: pass the PEM certificate and its private key)", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// Close ends the connection.
func (r *Relay) Close() error { return r.conn.Close() }

// Describe says where the flows come from.
func (r *Relay) Describe() string {
	s := "the Hubble relay at " + safetext.Message(r.opts.Server)
	if r.opts.How != "" {
		s += " (" + r.opts.How + ")"
	}
	return s
}

// Live reports true.
func (r *Relay) Live() bool { return true }

// Status asks the server about itself, within the timeout.
func (r *Relay) Status(ctx context.Context) (*Status, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	resp, err := r.client.ServerStatus(ctx, &observerpb.ServerStatusRequest{})
	if err != nil {
		return nil, r.callError("ServerStatus", err)
	}
	st := &Status{
		Version: resp.GetVersion(), NumFlows: resp.GetNumFlows(), MaxFlows: resp.GetMaxFlows(),
		SeenFlows: resp.GetSeenFlows(), Uptime: time.Duration(resp.GetUptimeNs()),
		UnavailableNodes: resp.GetUnavailableNodes(), FlowsPerSecond: resp.GetFlowsRate(),
	}
	if v := resp.GetNumConnectedNodes(); v != nil {
		n := v.GetValue()
		st.ConnectedNodes = &n
	}
	if v := resp.GetNumUnavailableNodes(); v != nil {
		n := v.GetValue()
		st.UnavailableNodeCount = &n
	}
	return st, nil
}

// Flows reads the flows the query selects, ending when the server has sent what it holds; a
// stream silent for the timeout is an error, and MaxFlows ends the read (the coverage says so).
func (r *Relay) Flows(ctx context.Context, q Query, each func(*flowpb.Flow) error) (Coverage, error) {
	var cov Coverage
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	silent := fmt.Errorf("%s sent nothing for %s", r.Describe(), r.opts.Timeout)
	watchdog := time.AfterFunc(r.opts.Timeout, func() { cancel(silent) })
	defer watchdog.Stop()

	req := &observerpb.GetFlowsRequest{}
	if !q.Since.IsZero() {
		req.Since = timestamppb.New(q.Since)
	}
	filter := &flowpb.FlowFilter{Verdict: q.Verdicts}
	if q.DNS {
		filter.Protocol = []string{"dns"}
	}
	if len(filter.Verdict) > 0 || len(filter.Protocol) > 0 {
		req.Whitelist = []*flowpb.FlowFilter{filter}
	}
	stream, err := r.client.GetFlows(ctx, req)
	if err != nil {
		return cov, r.streamError(ctx, err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return cov, nil
		}
		if err != nil {
			return cov, r.streamError(ctx, err)
		}
		watchdog.Reset(r.opts.Timeout)
		f := cov.take(q, resp)
		if f == nil {
			continue
		}
		if err := each(f); err != nil {
			return cov, err
		}
		if cov.Flows >= MaxFlows {
			cov.Capped = true
			return cov, nil
		}
	}
}

func (r *Relay) streamError(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return r.callError("GetFlows", err)
}

// callError says what a failed call means, in words: a relay that does not answer, one that
// cannot be reached (and how it was tried), one that refuses.
func (r *Relay) callError(call string, err error) error {
	how := ""
	if r.opts.How != "" {
		how = " (tried " + r.opts.How + ")"
	}
	switch status.Code(err) {
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s does not answer: %s got nothing within %s", r.Describe(), call, r.opts.Timeout)
	case codes.Unavailable:
		return fmt.Errorf("%s cannot be reached%s: %s", r.Describe(), how, safetext.Message(status.Convert(err).Message()))
	case codes.Canceled:
		return fmt.Errorf("%s: %s cancelled", r.Describe(), call)
	}
	return fmt.Errorf("%s: %s: %s", r.Describe(), call, safetext.Message(status.Convert(err).Message()))
}

// Follower is a source whose flows can be followed as they happen: a relay. A recording is
// what a server said once; it has nothing to follow.
type Follower interface {
	// Follow sends the last flows the server holds (at most last), then each new one as it
	// comes, until ctx ends or the server ends the stream.
	Follow(ctx context.Context, last uint64, each func(*flowpb.Flow) error) (Coverage, error)
}

// Follow reads flows as `hubble observe --follow --last N` does. Unlike Flows, a silent stream
// is no error: a quiet cluster sends nothing for minutes. The caller shows the wait; each call
// still gets no message larger than the cap, and the stream ends with ctx.
func (r *Relay) Follow(ctx context.Context, last uint64, each func(*flowpb.Flow) error) (Coverage, error) {
	var cov Coverage
	stream, err := r.client.GetFlows(ctx, &observerpb.GetFlowsRequest{Follow: true, Number: last})
	if err != nil {
		return cov, r.callError("GetFlows", err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return cov, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return cov, ctx.Err()
			}
			return cov, r.callError("GetFlows", err)
		}
		if f := cov.take(Query{}, resp); f != nil {
			if err := each(f); err != nil {
				return cov, err
			}
		}
	}
}
