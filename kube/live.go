package kube

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// pageSize is the LIST page size: big enough that most clusters take one page per kind, small
// enough that a 20k-pod cluster does not make the API server build one huge response.
const pageSize = 500

// NewLiveSnapshot returns a snapshot that lists from the cluster's API server. ctx bounds every
// LIST of the run.
func NewLiveSnapshot(ctx context.Context, c *Cluster) *Snapshot {
	s := newSnapshot(ctx, &liveSource{c: c})
	s.cluster = c
	s.name = "live"
	return s
}

type liveSource struct{ c *Cluster }

func (l *liveSource) live() bool { return true }

func (l *liveSource) list(ctx context.Context, r Resource, stat *ListStat) ([]runtime.Object, error) {
	fetch, err := l.pageFetcher(r)
	if err != nil {
		return nil, err
	}
	return l.listWith(ctx, r, stat, fetch)
}

func (l *liveSource) listWith(ctx context.Context, r Resource, stat *ListStat, fetch pageFetch) ([]runtime.Object, error) {
	items, err := paginate(ctx, l.c.requestTimeout(), stat, fetch)
	if apierrors.IsNotFound(err) {
		return nil, &NotInstalledError{Resource: r, Err: err}
	}
	return items, err
}

// pageFetch gets one page of a LIST: its items and the continue token ("" on the last page).
type pageFetch func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error)

// paginate follows continue tokens to the end. Each page gets its own timeout and byte counter.
// A continue token that expired (410) restarts the LIST once: splicing pages from two
// resource versions would show a cluster state that never existed.
func paginate(ctx context.Context, timeout time.Duration, stat *ListStat, fetch pageFetch) ([]runtime.Object, error) {
	var out []runtime.Object
	opts := metav1.ListOptions{Limit: pageSize}
	restarted := false
	for {
		items, cont, err := fetchPage(ctx, timeout, stat, fetch, opts)
		if err != nil && opts.Continue != "" && !restarted && apierrors.IsResourceExpired(err) {
			out, opts.Continue, restarted = nil, "", true
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", stat.Pages, err)
		}
		out = append(out, items...)
		if cont == "" {
			return out, nil
		}
		opts.Continue = cont
	}
}

func fetchPage(ctx context.Context, timeout time.Duration, stat *ListStat, fetch pageFetch, opts metav1.ListOptions) ([]runtime.Object, string, error) {
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(withByteCounter(ctx, &n), timeout)
	defer cancel()
	items, cont, err := fetch(ctx, opts)
	stat.Pages++
	stat.Bytes += n.Load()
	return items, cont, err
}

// pageFetcher picks the client: typed resources come as protobuf through the clientset and
// decode into client-go's types; the others come as JSON through the dynamic client.
func (l *liveSource) pageFetcher(r Resource) (pageFetch, error) {
	if r.MetadataOnly {
		return l.metadataPage(r)
	}
	if !r.Typed {
		return l.dynamicPage(r), nil
	}
	gv := r.GVR().GroupVersion()
	rc := typedRESTClient(l.c.Clientset, gv)
	if rc == nil {
		return nil, fmt.Errorf("no typed client for %s; declare the resource untyped", gv)
	}
	gvk := gv.WithKind(r.Kind)
	if _, err := scheme.Scheme.New(gvk.GroupVersion().WithKind(r.Kind + "List")); err != nil {
		return nil, fmt.Errorf("no Go type for %s: %w", gvk, err)
	}
	return func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error) {
		return typedPage(ctx, rc, r, gvk, opts)
	}, nil
}

func typedPage(ctx context.Context, rc rest.Interface, r Resource, gvk schema.GroupVersionKind, opts metav1.ListOptions) ([]runtime.Object, string, error) {
	list, _ := scheme.Scheme.New(gvk.GroupVersion().WithKind(r.Kind + "List")) // checked in pageFetcher
	err := rc.Get().Resource(r.Resource).VersionedParams(&opts, scheme.ParameterCodec).Do(ctx).Into(list)
	if err != nil {
		return nil, "", err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, "", fmt.Errorf("reading the %s list: %w", r.Kind, err)
	}
	// Protobuf lists leave the items' TypeMeta empty; checks and the report print it.
	for _, o := range items {
		o.GetObjectKind().SetGroupVersionKind(gvk)
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, "", err
	}
	return items, lm.GetContinue(), nil
}

func (l *liveSource) dynamicPage(r Resource) pageFetch {
	ri := l.c.Dynamic.Resource(r.GVR())
	return func(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, error) {
		ul, err := ri.List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		items := make([]runtime.Object, len(ul.Items))
		for i := range ul.Items {
			items[i] = &ul.Items[i]
		}
		return items, ul.GetContinue(), nil
	}
}

// typedRESTClient is the clientset's REST client for a group version, nil when it has none.
func typedRESTClient(cs kubernetes.Interface, gv schema.GroupVersion) rest.Interface {
	rc := groupRESTClient(cs, gv)
	// The fake clientset hands out a nil *rest.RESTClient, which panics on use.
	if p, ok := rc.(*rest.RESTClient); ok && p == nil {
		return nil
	}
	return rc
}

func groupRESTClient(cs kubernetes.Interface, gv schema.GroupVersion) rest.Interface {
	switch gv.String() {
	case "v1":
		return cs.CoreV1().RESTClient()
	case "apps/v1":
		return cs.AppsV1().RESTClient()
	case "batch/v1":
		return cs.BatchV1().RESTClient()
	case "discovery.k8s.io/v1":
		return cs.DiscoveryV1().RESTClient()
	case "networking.k8s.io/v1":
		return cs.NetworkingV1().RESTClient()
	case "storage.k8s.io/v1":
		return cs.StorageV1().RESTClient()
	case "admissionregistration.k8s.io/v1":
		return cs.AdmissionregistrationV1().RESTClient()
	case "policy/v1":
		return cs.PolicyV1().RESTClient()
	case "rbac.authorization.k8s.io/v1":
		return cs.RbacV1().RESTClient()
	case "coordination.k8s.io/v1":
		return cs.CoordinationV1().RESTClient()
	case "scheduling.k8s.io/v1":
		return cs.SchedulingV1().RESTClient()
	case "node.k8s.io/v1":
		return cs.NodeV1().RESTClient()
	case "autoscaling/v2":
		return cs.AutoscalingV2().RESTClient()
	case "certificates.k8s.io/v1":
		return cs.CertificatesV1().RESTClient()
	}
	return nil
}

// requestTimeout bounds one request; a Cluster built without one still must not hang.
func (c *Cluster) requestTimeout() time.Duration {
	if c.RequestTimeout > 0 {
		return c.RequestTimeout
	}
	return DefaultRequestTimeout
}
