package kube

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// countingSource counts the LISTs made and holds each until released, so that callers pile up
// on the one in flight.
type countingSource struct {
	calls   atomic.Int32
	release chan struct{}
	objs    []runtime.Object
}

func (c *countingSource) live() bool { return false }

func (c *countingSource) list(ctx context.Context, r Resource, stat *ListStat) ([]runtime.Object, error) {
	c.calls.Add(1)
	select {
	case <-c.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r != Pods {
		return nil, &NotCollectedError{Resource: r, Source: "test"}
	}
	stat.Pages = 1
	return c.objs, nil
}

func TestConcurrentListsFillOnce(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "kube-system",
		Labels: map[string]string{"component": "kube-apiserver"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.30.4"}}}}
	src := &countingSource{release: make(chan struct{}), objs: []runtime.Object{pod}}
	s := newSnapshot(context.Background(), src)

	const callers = 20
	var wg sync.WaitGroup
	got := make([][]*corev1.Pod, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { got[i], errs[i] = ListOf[*corev1.Pod](context.Background(), s, Pods) })
	}
	// Give every caller time to arrive while the one LIST is held.
	deadline := time.Now().Add(5 * time.Second)
	for src.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(src.release)
	wg.Wait()

	if n := src.calls.Load(); n != 1 {
		t.Errorf("%d LISTs for %d concurrent callers, want 1", n, callers)
	}
	for i := range callers {
		if errs[i] != nil || len(got[i]) != 1 || got[i][0] != pod {
			t.Fatalf("caller %d: %v %v", i, got[i], errs[i])
		}
	}
	// Later callers reuse the result, and the version comes from the same list.
	if _, err := s.List(context.Background(), Pods); err != nil || src.calls.Load() != 1 {
		t.Errorf("a later List listed again (%d) or failed: %v", src.calls.Load(), err)
	}
	v, err := s.ServerVersion(context.Background())
	if err != nil || v.GitVersion != "v1.30.4" || v.Minor != "30" {
		t.Errorf("ServerVersion = %+v, %v", v, err)
	}
	if st := s.Stats(); len(st) != 1 || st[0].Resource != "pods" || st[0].Objects != 1 || st[0].Pages != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestConcurrentServerVersionFetchesOnce(t *testing.T) {
	src := &countingSource{release: make(chan struct{})}
	s := newSnapshot(context.Background(), src)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() { _, errs[i] = s.ServerVersion(context.Background()) })
	}
	time.Sleep(20 * time.Millisecond)
	close(src.release)
	wg.Wait()
	for _, err := range errs {
		if !errors.Is(err, ErrNotCollected) {
			t.Errorf("want ErrNotCollected (no apiserver pod), got %v", err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("%d LISTs of pods for the version, want 1", n)
	}
}

// A caller that gives up does not fail the LIST the others wait on.
func TestListCallerTimeoutLeavesFillRunning(t *testing.T) {
	src := &countingSource{release: make(chan struct{}), objs: []runtime.Object{&corev1.Pod{}}}
	s := newSnapshot(context.Background(), src)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := s.List(ctx, Pods); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	close(src.release)
	if objs, err := s.List(context.Background(), Pods); err != nil || len(objs) != 1 {
		t.Errorf("after the impatient caller: %v %v", objs, err)
	}
}

func TestSnapshotErrors(t *testing.T) {
	nc := &NotCollectedError{Resource: Pods, Source: "dump/"}
	if !errors.Is(nc, ErrNotCollected) || nc.Error() != "no Pod objects in dump/: not in the snapshot files" {
		t.Errorf("NotCollectedError: %v", nc)
	}
	cause := errors.New("the server could not find the requested resource")
	ni := &NotInstalledError{Resource: APIServices, Err: cause}
	if !errors.Is(ni, ErrNotInstalled) || !errors.Is(ni, cause) || errors.Is(ni, ErrNotCollected) {
		t.Errorf("NotInstalledError does not match: %v", ni)
	}
}
