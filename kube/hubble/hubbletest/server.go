// Package hubbletest is a Hubble observer server for tests: a real gRPC server on 127.0.0.1 that
// serves recorded flows with ServerStatus and GetFlows (number, since, follow, and the verdict
// and protocol filters the hubble CLI sends).
package hubbletest

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	observerpb "github.com/cilium/cilium/api/v1/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Server serves its responses to every GetFlows, filtered as a relay filters them.
type Server struct {
	observerpb.UnimplementedObserverServer
	Addr      string
	Responses []*observerpb.GetFlowsResponse
	Status    *observerpb.ServerStatusResponse
	// Requests records every GetFlows request, for tests to assert what a client asked.
	Requests chan *observerpb.GetFlowsRequest

	mu        sync.Mutex
	followers []chan *observerpb.GetFlowsResponse // one per stream that follows
	following chan struct{}                       // gets a value each time a stream starts to follow
}

// Load reads a recording (one GetFlowsResponse per line) for a server to serve.
func Load(t testing.TB, path string) []*observerpb.GetFlowsResponse {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*observerpb.GetFlowsResponse
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r observerpb.GetFlowsResponse
		if err := protojson.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, &r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Start serves responses on 127.0.0.1 until the test ends; cfg turns on TLS when not nil.
func Start(t testing.TB, responses []*observerpb.GetFlowsResponse, cfg *tls.Config) *Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if cfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	gs := grpc.NewServer(opts...)
	s := &Server{Addr: lis.Addr().String(), Responses: responses, Requests: make(chan *observerpb.GetFlowsRequest, 64),
		following: make(chan struct{}, 64)}
	s.Status = &observerpb.ServerStatusResponse{
		NumFlows: uint64(len(responses)), MaxFlows: 4095, SeenFlows: uint64(len(responses)),
		NumConnectedNodes: wrapperspb.UInt32(2), NumUnavailableNodes: wrapperspb.UInt32(1),
		UnavailableNodes: []string{"worker-3"}, Version: "1.20.2",
	}
	observerpb.RegisterObserverServer(gs, s)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	return s
}

// ServerStatus answers the status set on the server.
func (s *Server) ServerStatus(context.Context, *observerpb.ServerStatusRequest) (*observerpb.ServerStatusResponse, error) {
	return s.Status, nil
}

// GetFlows sends the responses the request selects: since, the whitelist's verdicts and
// protocols, the last number of them; with follow, it then waits for the client to leave.
func (s *Server) GetFlows(req *observerpb.GetFlowsRequest, stream grpc.ServerStreamingServer[observerpb.GetFlowsResponse]) error {
	select {
	case s.Requests <- req:
	default:
	}
	var out []*observerpb.GetFlowsResponse
	s.mu.Lock()
	held := slices.Clone(s.Responses)
	var live chan *observerpb.GetFlowsResponse
	if req.GetFollow() {
		// Registered with the snapshot of what is held, so a Push is either in it or sent live.
		live = make(chan *observerpb.GetFlowsResponse, 1024)
		s.followers = append(s.followers, live)
		defer s.unfollow(live)
	}
	s.mu.Unlock()
	for _, r := range held {
		if f := r.GetFlow(); f != nil {
			if req.GetSince() != nil && f.GetTime().AsTime().Before(req.GetSince().AsTime()) {
				continue
			}
			if !whitelisted(req.GetWhitelist(), f) {
				continue
			}
		}
		out = append(out, r)
	}
	if n := req.GetNumber(); n > 0 && uint64(len(out)) > n {
		out = out[uint64(len(out))-n:]
	}
	for _, r := range out {
		if err := stream.Send(r); err != nil {
			return err
		}
	}
	if live == nil {
		return nil
	}
	select {
	case s.following <- struct{}{}:
	default:
	}
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case r := <-live:
			if f := r.GetFlow(); f != nil && !whitelisted(req.GetWhitelist(), f) {
				continue
			}
			if err := stream.Send(r); err != nil {
				return err
			}
		}
	}
}

func (s *Server) unfollow(live chan *observerpb.GetFlowsResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.followers = slices.DeleteFunc(s.followers, func(c chan *observerpb.GetFlowsResponse) bool { return c == live })
}

// Push adds a response as a server learns a new flow: every stream that follows gets it, and
// later requests find it among the held ones.
func (s *Server) Push(r *observerpb.GetFlowsResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Responses = append(s.Responses, r)
	for _, c := range s.followers {
		c <- r
	}
}

// WaitFollowing waits until a stream has sent what the server held and follows, so that a Push
// after it is a flow the client sees arrive live.
func (s *Server) WaitFollowing(ctx context.Context) error {
	select {
	case <-s.following:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// whitelisted applies the filters this server knows (verdict, protocol): a flow passes when
// some filter takes it, or there is none.
func whitelisted(filters []*flowpb.FlowFilter, f *flowpb.Flow) bool {
	if len(filters) == 0 {
		return true
	}
	for _, ff := range filters {
		if len(ff.GetVerdict()) > 0 && !slices.Contains(ff.GetVerdict(), f.GetVerdict()) {
			continue
		}
		if slices.Contains(ff.GetProtocol(), "dns") && f.GetL7().GetDns() == nil {
			continue
		}
		return true
	}
	return false
}

// Silent accepts connections on 127.0.0.1 and never answers: a relay that hangs.
func Silent(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		lis.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return lis.Addr().String()
}
