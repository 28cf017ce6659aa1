package kube

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	discoveryfake "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// restConfigForTest points nowhere: building clients does not contact the server.
var restConfigForTest = rest.Config{Host: "https://127.0.0.1:1"}

// These test the logic around the LISTs; the LISTs themselves run against a real API server in
// the tests that start one.

// pagedFetch serves n objects in pages of the requested limit, counting 100 bytes a page as
// the transport would.
func pagedFetch(n int, calls *[]metav1.ListOptions) pageFetch {
	return func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error) {
		*calls = append(*calls, opts)
		if _, ok := ctx.Deadline(); !ok {
			return nil, "", errors.New("page request without a deadline")
		}
		if c, _ := ctx.Value(byteCounterKey{}).(*atomic.Int64); c != nil {
			c.Add(100)
		}
		start := 0
		if opts.Continue != "" {
			fmt.Sscanf(opts.Continue, "%d", &start)
		}
		end := min(start+int(opts.Limit), n)
		var items []runtime.Object
		for i := start; i < end; i++ {
			items = append(items, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint(i)}})
		}
		cont := ""
		if end < n {
			cont = fmt.Sprint(end)
		}
		return items, cont, nil
	}
}

func TestPaginateFollowsContinue(t *testing.T) {
	var calls []metav1.ListOptions
	var stat ListStat
	items, err := paginate(context.Background(), time.Second, &stat, pagedFetch(1203, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1203 || stat.Pages != 3 || stat.Bytes != 300 {
		t.Errorf("%d items, %d pages, %d bytes; want 1203, 3, 300", len(items), stat.Pages, stat.Bytes)
	}
	for i, o := range calls {
		if o.Limit != 500 || o.ResourceVersion != "" {
			t.Errorf("page %d asked %+v: want limit 500 and a consistent read", i, o)
		}
	}
	if calls[0].Continue != "" || calls[2].Continue != "1000" {
		t.Errorf("continue tokens not followed: %+v", calls)
	}
	if items[1202].(*corev1.Pod).Name != "1202" {
		t.Errorf("items out of order")
	}
}

func TestPaginateRestartsOnExpiredContinue(t *testing.T) {
	var calls []metav1.ListOptions
	inner := pagedFetch(700, &calls)
	expired := 0
	fetch := func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error) {
		if opts.Continue != "" && expired == 0 {
			expired++
			return nil, "", apierrors.NewResourceExpired("continue token too old")
		}
		return inner(ctx, opts)
	}
	var stat ListStat
	items, err := paginate(context.Background(), time.Second, &stat, fetch)
	if err != nil || len(items) != 700 {
		t.Fatalf("%d items, %v; want 700 after one restart", len(items), err)
	}
	if stat.Pages != 4 {
		t.Errorf("%d pages, want 4 (two, then the restart's two)", stat.Pages)
	}
	// A second expiry is an error, not a loop.
	fetch2 := func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error) {
		if opts.Continue != "" {
			return nil, "", apierrors.NewResourceExpired("continue token too old")
		}
		return inner(ctx, opts)
	}
	if _, err := paginate(context.Background(), time.Second, &ListStat{}, fetch2); !apierrors.IsResourceExpired(err) {
		t.Errorf("want the expiry error, got %v", err)
	}
}

func TestPaginatePageTimeout(t *testing.T) {
	fetch := func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error) {
		<-ctx.Done()
		return nil, "", ctx.Err()
	}
	var stat ListStat
	start := time.Now()
	_, err := paginate(context.Background(), 20*time.Millisecond, &stat, fetch)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second || stat.Pages != 1 {
		t.Errorf("got %v after %v, %d pages", err, time.Since(start), stat.Pages)
	}
}

func TestLiveNotFoundIsNotInstalled(t *testing.T) {
	l := &liveSource{c: &Cluster{RequestTimeout: time.Second}}
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "cilium.io", Resource: "ciliumnetworkpolicies"}, "")
	fetch := func(context.Context, metav1.ListOptions) ([]runtime.Object, string, error) { return nil, "", notFound }
	_, err := l.listWith(context.Background(), ciliumPolicies, &ListStat{}, fetch)
	var ni *NotInstalledError
	if !errors.Is(err, ErrNotInstalled) || !errors.As(err, &ni) || ni.Resource != ciliumPolicies || !apierrors.IsNotFound(err) {
		t.Errorf("want NotInstalledError naming the resource, got %v", err)
	}
}

func TestLiveSnapshotWithFakeClientset(t *testing.T) {
	cs := fake.NewClientset()
	cs.Discovery().(*discoveryfake.FakeDiscovery).FakedServerVersion = &version.Info{Major: "1", Minor: "32", GitVersion: "v1.32.1"}
	c := &Cluster{Clientset: cs, RequestTimeout: time.Second}
	s := NewLiveSnapshot(context.Background(), c)
	if !s.Live() || s.Cluster() != c || s.Source() != "live" {
		t.Errorf("Live %v, Cluster %v, Source %q", s.Live(), s.Cluster(), s.Source())
	}
	v, err := s.ServerVersion(context.Background())
	if err != nil || v.GitVersion != "v1.32.1" {
		t.Errorf("ServerVersion = %+v, %v", v, err)
	}
	// The fake clientset has no REST clients: a clear error, not a nil-pointer panic.
	if _, err := s.List(context.Background(), Pods); err == nil {
		t.Error("listing through the fake clientset's nil REST client did not fail")
	}
}

func TestTypedRESTClientCoversKnownResources(t *testing.T) {
	cs, err := NewCluster(&restConfigForTest, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range KnownResources {
		if r.Typed && typedRESTClient(cs.Clientset, r.GVR().GroupVersion()) == nil {
			t.Errorf("no typed client for %s", r)
		}
	}
}
