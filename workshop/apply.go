package workshop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kockpit/kockpit/kube"
)

// FieldManager is who `kockpit workshop apply` writes as, so the objects' managedFields say
// which tool broke the cluster on purpose.
const FieldManager = "kockpit-workshop"

// ApplyUserAgentPrefix starts the user agent of `kockpit workshop apply`'s writes, never
// "kockpit/": the audit log of a test cluster proves kockpit's reads never write.
const ApplyUserAgentPrefix = "kockpit-workshop-apply/"

// Manifests are the objects the scenario's apply/ files hold, namespaces first, each file in
// name order; none when the breakage cannot be applied.
func (s *Scenario) Manifests() ([]*unstructured.Unstructured, error) {
	files, err := s.ApplyFiles()
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, name := range files {
		data, err := s.ReadFile(name)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if len(obj) == 0 {
				continue
			}
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
	// Namespaces first: the namespaced objects need them.
	slices.SortStableFunc(out, func(a, b *unstructured.Unstructured) int {
		return boolRank(a.GetKind() != "Namespace") - boolRank(b.GetKind() != "Namespace")
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Describe names an object for the confirmation prompt and messages: "Deployment shop/shop".
func Describe(o *unstructured.Unstructured) string {
	if o.GetNamespace() != "" {
		return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
	}
	return o.GetKind() + " " + o.GetName()
}

// resolveTimeout bounds looking up the API server's host name for the address check.
const resolveTimeout = 3 * time.Second

// ServerIsPrivate says why kockpit may not write to the server at url, or nil when every
// address it names is on a loopback or private network (a kind cluster, a classroom's VMs).
// A host name is resolved, within a timeout: the name says nothing of where it points.
func ServerIsPrivate(ctx context.Context, server string) error {
	u, err := url.Parse(server)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("the server %q is not a URL kockpit can judge", server)
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("the server's host %s does not resolve (%v), so kockpit cannot tell it is a throwaway cluster", host, err)
		}
		addrs = ips
	}
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsLoopback() && !a.IsPrivate() {
			return fmt.Errorf("the server %s is at %s, which is neither loopback nor a private network: it may be a real cluster", server, a)
		}
	}
	return nil
}

// NotProxied says why the writes to server would not go where its address says, or nil: a
// proxy (the kubeconfig's proxy-url, or HTTPS_PROXY for this host) forwards them anywhere, so
// the address check proves nothing then.
func NotProxied(cfg *rest.Config, server string) error {
	req, err := http.NewRequest(http.MethodGet, server, nil)
	if err != nil {
		return fmt.Errorf("the server %q is not a URL kockpit can judge", server)
	}
	proxy := cfg.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	u, err := proxy(req)
	switch {
	case err != nil:
		return fmt.Errorf("cannot tell whether the writes go through a proxy: %v", err)
	case u != nil:
		return fmt.Errorf("the writes would go through the proxy %s, which may lead to any cluster", u.Redacted())
	}
	return nil
}

// Apply writes the scenario's manifests to the cluster by server-side apply, namespaces
// first, and says each object written on out. It is the one place kockpit writes to a cluster;
// the caller has asked first.
func Apply(ctx context.Context, c *kube.Cluster, objs []*unstructured.Unstructured, out io.Writer) error {
	// Its own user agent: the audit log tells the one command that writes from kockpit's reads.
	cfg := rest.CopyConfig(c.Config)
	cfg.UserAgent = ApplyUserAgentPrefix + strings.TrimPrefix(c.Config.UserAgent, "kockpit/")
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	mapper, err := newMapper(c)
	if err != nil {
		return err
	}
	for _, o := range objs {
		ri, err := resourceFor(dyn, mapper, o)
		if err != nil {
			return fmt.Errorf("%s: %w", Describe(o), err)
		}
		if _, err := ri.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
			return fmt.Errorf("writing %s: %w", Describe(o), err)
		}
		fmt.Fprintf(out, "  wrote %s\n", Describe(o))
	}
	return nil
}

// Exists says whether the object the target names is in the cluster: "solved" means the root
// cause's object is still there (and not being deleted) and its finding is gone, so deleting it
// does not count. A target by problem alone names no object to delete: it exists.
func Exists(ctx context.Context, c *kube.Cluster, t Target) (bool, error) {
	switch {
	case t.File != "":
		return false, errors.New("the root cause is a node's file: only the offline scenario can judge it")
	case t.Object == nil:
		return true, nil
	}
	mapper, err := newMapper(c)
	if err != nil {
		return false, err
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(t.Object.APIVersion)
	u.SetKind(t.Object.Kind)
	u.SetNamespace(t.Object.Namespace)
	u.SetName(t.Object.Name)
	if u.GetAPIVersion() == "" {
		gv, err := groupVersionOf(c, t.Object.Kind)
		if err != nil {
			return false, err
		}
		u.SetAPIVersion(gv)
	}
	ri, err := resourceFor(c.Dynamic, mapper, u)
	if err != nil {
		return false, err
	}
	got, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	// Being deleted is deleted: a finalizer (a claim a pod still mounts) only delays it.
	return got.GetDeletionTimestamp() == nil, nil
}

// groupVersionOf finds the preferred group and version that serve kind, for a target that
// names only the kind ("Deployment").
func groupVersionOf(c *kube.Cluster, kind string) (string, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return "", err
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		return "", err
	}
	for _, g := range groups {
		v := g.Group.PreferredVersion.Version
		for _, r := range g.VersionedResources[v] {
			if r.Kind == kind && !strings.Contains(r.Name, "/") {
				return schema.GroupVersion{Group: g.Group.Name, Version: v}.String(), nil
			}
		}
	}
	return "", fmt.Errorf("the server serves no kind %s", kind)
}

func newMapper(c *kube.Cluster) (meta.RESTMapper, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	return restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), nil
}

func resourceFor(dyn dynamic.Interface, mapper meta.RESTMapper, o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("the server does not serve %s: %w", strings.TrimPrefix(gvk.GroupKind().String(), "."), err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return dyn.Resource(m.Resource).Namespace(o.GetNamespace()), nil
	}
	return dyn.Resource(m.Resource), nil
}
