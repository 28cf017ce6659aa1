package kube

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// ErrOffline is returned for what only a live API server can answer.
var ErrOffline = errors.New("offline: this needs a live API server")

// ErrNotCollected is returned offline for a kind the snapshot files do not contain.
var ErrNotCollected = errors.New("not in the snapshot files")

// ErrNotInstalled is returned live for a resource the API server does not serve: a CRD that is
// not installed, an API group the cluster's version lacks.
var ErrNotInstalled = errors.New("not installed: the API server does not serve this resource")

// NotCollectedError says which resource the snapshot files lack. It matches ErrNotCollected.
type NotCollectedError struct {
	Resource Resource
	// Source is the files' path, as Snapshot.Source reports it.
	Source string
	// Reason replaces the default "no KIND objects in SOURCE" when set.
	Reason string
	// Forbidden says the user who took the snapshot could not list the kind.
	Forbidden bool
}

func (e *NotCollectedError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = fmt.Sprintf("no %s objects in %s", e.Resource.Kind, e.Source)
	}
	return reason + ": " + ErrNotCollected.Error()
}

// Is makes errors.Is(err, ErrNotCollected) true.
func (e *NotCollectedError) Is(target error) bool { return target == ErrNotCollected }

// NotInstalledError is a LIST answered 404: the server does not serve the resource. It matches
// ErrNotInstalled, and unwraps to the API server's status error.
type NotInstalledError struct {
	Resource Resource
	Err      error
}

func (e *NotInstalledError) Error() string { return ErrNotInstalled.Error() }

// Is makes errors.Is(err, ErrNotInstalled) true.
func (e *NotInstalledError) Is(target error) bool { return target == ErrNotInstalled }

func (e *NotInstalledError) Unwrap() error { return e.Err }

// ListStat records one LIST of one kind: what it cost and how it ended.
type ListStat struct {
	Resource  string        `json:"resource"`
	Duration  time.Duration `json:"-"`
	Objects   int           `json:"objects"`
	Pages     int           `json:"pages"`
	Bytes     int64         `json:"bytes,omitempty"` // response bytes on the wire; 0 when unknown (offline)
	Forbidden bool          `json:"forbidden,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// source fills a snapshot: a live API server or files.
type source interface {
	// list returns every object of the resource; it records pages and bytes in stat.
	list(ctx context.Context, r Resource, stat *ListStat) ([]runtime.Object, error)
	live() bool
}

// Snapshot holds the cluster objects of one run. Each kind is listed at most once, lazily,
// the first time a check asks; checks that ask while a LIST is in flight wait for that one.
type Snapshot struct {
	src source
	// listCtx bounds LISTs by the run, not by the check that happened to ask first: a check
	// timing out must not fail the LIST that others are waiting on.
	listCtx context.Context

	// cluster is the live API server; nil offline.
	cluster *Cluster
	// name is what Source reports: "live" or the files' path.
	name string

	mu      sync.Mutex
	entries map[Resource]*entry
	stats   []ListStat
	version *versionEntry // the server version, fetched on first ask
	// kubelets holds each node's kubelet configuration, asked once per run.
	kubelets map[string]*kubeletEntry
}

type entry struct {
	done  chan struct{}
	items []runtime.Object
	err   error
}

func newSnapshot(ctx context.Context, src source) *Snapshot {
	return &Snapshot{src: src, listCtx: ctx, entries: map[Resource]*entry{}}
}

// Live reports whether the snapshot reads from a live API server.
func (s *Snapshot) Live() bool { return s.src.live() }

// Cluster is the live API server the snapshot reads, or nil offline.
func (s *Snapshot) Cluster() *Cluster { return s.cluster }

// Source says where the objects come from: "live", or the path of the snapshot files.
func (s *Snapshot) Source() string { return s.name }

// List returns every object of the resource, listing it on first use.
func (s *Snapshot) List(ctx context.Context, r Resource) ([]runtime.Object, error) {
	s.mu.Lock()
	e, ok := s.entries[r]
	if !ok {
		e = &entry{done: make(chan struct{})}
		s.entries[r] = e
		go s.fill(r, e)
	}
	s.mu.Unlock()
	select {
	case <-e.done:
		return e.items, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the list of %s: %w", r, ctx.Err())
	}
}

func (s *Snapshot) fill(r Resource, e *entry) {
	defer close(e.done)
	stat := ListStat{Resource: r.String()}
	start := time.Now()
	e.items, e.err = s.src.list(s.listCtx, r, &stat)
	stat.Duration = time.Since(start)
	stat.Objects = len(e.items)
	if e.err != nil {
		stat.Forbidden = apierrors.IsForbidden(e.err)
		stat.Error = e.err.Error()
		e.err = fmt.Errorf("listing %s: %w", r, e.err)
	}
	s.mu.Lock()
	s.stats = append(s.stats, stat)
	s.mu.Unlock()
}

// Stats returns the LISTs made so far, by resource name.
func (s *Snapshot) Stats() []ListStat {
	s.mu.Lock()
	out := append([]ListStat(nil), s.stats...)
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out
}

// ListOf lists a typed resource and returns its objects as T (e.g. *corev1.Node).
func ListOf[T runtime.Object](ctx context.Context, s *Snapshot, r Resource) ([]T, error) {
	objs, err := s.List(ctx, r)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		t, ok := o.(T)
		if !ok {
			return nil, fmt.Errorf("listing %s: got %T, not %T", r, o, *new(T))
		}
		out = append(out, t)
	}
	return out, nil
}

// ListUnstructured lists a resource kept unstructured (CRDs, APIServices).
func ListUnstructured(ctx context.Context, s *Snapshot, r Resource) ([]*unstructured.Unstructured, error) {
	return ListOf[*unstructured.Unstructured](ctx, s, r)
}
