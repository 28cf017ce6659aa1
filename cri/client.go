// Package cri talks to a node's container runtime over CRI v1 (the kubelet's own API), on its
// unix socket: every call bounded in time and in the size of its answer. It finds the socket
// the way crictl does (endpoint.go).
package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DefaultTimeout bounds each call: a runtime that takes longer is as good as hung to the
// kubelet too (its own default is 2 minutes for most calls, but a healthy runtime answers
// Version and Status in milliseconds).
const DefaultTimeout = 5 * time.Second

// DefaultMaxResponseBytes caps one answer, as crictl and the kubelet do (16 MiB): a node
// with more containers than fit is told apart from one with none (ErrTooLarge).
const DefaultMaxResponseBytes = 16 << 20

// ErrNoAnswer is a runtime that accepted the connection (or the call) and did not answer in
// time: a hung runtime, the cause of "PLEG is not healthy".
var ErrNoAnswer = errors.New("the runtime does not answer")

// ErrTooLarge is an answer larger than the cap: what it held is unknown, not empty.
var ErrTooLarge = errors.New("the runtime's answer is larger than kockpit reads")

// ErrUnimplemented is a call the runtime does not implement (RuntimeConfig before
// containerd 2.0, for instance).
var ErrUnimplemented = errors.New("the runtime does not implement this call")

func init() {
	// grpc writes its errors to stderr, under the cockpit's screen; kockpit reports what
	// matters itself.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))
}

// Client is a connection to one runtime socket.
type Client struct {
	// Socket is the socket's path on this machine.
	Socket  string
	Timeout time.Duration
	conn    *grpc.ClientConn
	runtime runtimeapi.RuntimeServiceClient
	images  runtimeapi.ImageServiceClient
}

// Options bound a Client; zero values take the defaults.
type Options struct {
	Timeout          time.Duration
	MaxResponseBytes int
}

// Dial prepares a client of the socket; the connection is made by the first call, within
// its timeout.
func Dial(socket string, o Options) (*Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	dialer := func(ctx context.Context, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}
	conn, err := grpc.NewClient("passthrough:///cri",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(dialer),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(o.MaxResponseBytes)))
	if err != nil {
		return nil, fmt.Errorf("runtime socket %s: %w", socket, err)
	}
	return &Client{Socket: socket, Timeout: o.Timeout, conn: conn,
		runtime: runtimeapi.NewRuntimeServiceClient(conn), images: runtimeapi.NewImageServiceClient(conn)}, nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// call runs one request within the client's timeout and names what went wrong in words a
// reader can act on.
func call[T any](ctx context.Context, c *Client, what string, f func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.Timeout, ErrNoAnswer)
	defer cancel()
	resp, err := f(ctx)
	if err != nil {
		return resp, fmt.Errorf("%s: %w", what, c.explain(ctx, err))
	}
	return resp, nil
}

func (c *Client) explain(ctx context.Context, err error) error {
	st, _ := status.FromError(err)
	switch {
	case errors.Is(context.Cause(ctx), ErrNoAnswer):
		return fmt.Errorf("%w within %s", ErrNoAnswer, c.Timeout)
	case st.Code() == codes.ResourceExhausted && strings.Contains(st.Message(), "larger than max"):
		return fmt.Errorf("%w: %s", ErrTooLarge, st.Message())
	case st.Code() == codes.Unimplemented:
		return fmt.Errorf("%w: %s", ErrUnimplemented, st.Message())
	case st.Code() == codes.Unavailable:
		return fmt.Errorf("cannot connect to %s: %s", c.Socket, st.Message())
	}
	return err
}

// Version is the runtime's name and version.
func (c *Client) Version(ctx context.Context) (*runtimeapi.VersionResponse, error) {
	return call(ctx, c, "Version", func(ctx context.Context) (*runtimeapi.VersionResponse, error) {
		return c.runtime.Version(ctx, &runtimeapi.VersionRequest{})
	})
}

// Status is the runtime's conditions and, verbose, its own details (containerd: its config
// and the last CNI load status).
func (c *Client) Status(ctx context.Context) (*runtimeapi.StatusResponse, error) {
	return call(ctx, c, "Status", func(ctx context.Context) (*runtimeapi.StatusResponse, error) {
		return c.runtime.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
	})
}

// RuntimeConfig is the cgroup driver the runtime uses (ErrUnimplemented before containerd
// 2.0 and CRI-O 1.30).
func (c *Client) RuntimeConfig(ctx context.Context) (*runtimeapi.RuntimeConfigResponse, error) {
	return call(ctx, c, "RuntimeConfig", func(ctx context.Context) (*runtimeapi.RuntimeConfigResponse, error) {
		return c.runtime.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{})
	})
}

// Sandboxes lists every pod sandbox, ready or not.
func (c *Client) Sandboxes(ctx context.Context) ([]*runtimeapi.PodSandbox, error) {
	resp, err := call(ctx, c, "ListPodSandbox", func(ctx context.Context) (*runtimeapi.ListPodSandboxResponse, error) {
		return c.runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	})
	return resp.GetItems(), err
}

// Containers lists every container, exited ones included.
func (c *Client) Containers(ctx context.Context) ([]*runtimeapi.Container, error) {
	resp, err := call(ctx, c, "ListContainers", func(ctx context.Context) (*runtimeapi.ListContainersResponse, error) {
		return c.runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	})
	return resp.GetContainers(), err
}

// ContainerStatus is one container's state with its exit code and reason.
func (c *Client) ContainerStatus(ctx context.Context, id string) (*runtimeapi.ContainerStatus, error) {
	resp, err := call(ctx, c, "ContainerStatus", func(ctx context.Context) (*runtimeapi.ContainerStatusResponse, error) {
		return c.runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	})
	return resp.GetStatus(), err
}

// HasImage reports whether the runtime holds the image (by name, as the kubelet asks).
func (c *Client) HasImage(ctx context.Context, ref string) (bool, error) {
	resp, err := call(ctx, c, "ImageStatus", func(ctx context.Context) (*runtimeapi.ImageStatusResponse, error) {
		return c.images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
	})
	return resp.GetImage() != nil, err
}
