package testcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// applyTimeout bounds one Apply and one cleanup.
const applyTimeout = 60 * time.Second

var crdGroupKind = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// apiClients are the admin's clients for fixtures, built once per cluster.
type apiClients struct {
	dynamic   dynamic.Interface
	discovery discovery.CachedDiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper
}

func (c *Cluster) clients() (*apiClients, error) {
	c.apiMu.Lock()
	defer c.apiMu.Unlock()
	if c.api != nil {
		return c.api, nil
	}
	cfg := c.setupConfig("apply")
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cached := memory.NewMemCacheClient(dc)
	c.api = &apiClients{dynamic: dyn, discovery: cached, mapper: restmapper.NewDeferredDiscoveryRESTMapper(cached)}
	return c.api, nil
}

// created is an object Apply made, to be deleted by its cleanup.
type created struct {
	gvr            schema.GroupVersionResource
	kind, ns, name string
	crd            bool
}

func (o created) String() string {
	if o.ns == "" {
		return o.kind + " " + o.name
	}
	return o.kind + " " + o.ns + "/" + o.name
}

// Apply creates the objects of fixture YAML files (multi-document, or directories of *.yaml
// and *.yml) as admin: namespaces first, then CRDs, waiting until they are established, then
// the rest in file order. An object that carries a status gets it written to its status
// subresource after the create, so a fixture Node keeps its kubeletVersion and conditions and a
// Pod its containerStatuses. Namespaces that exist already are left as they are. The test's
// cleanup deletes what Apply created, in reverse order, except namespaces: no namespace
// controller runs to empty them. Tests that apply the same objects must not run in parallel.
func (c *Cluster) Apply(t testing.TB, files ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
	defer cancel()
	made, err := c.apply(ctx, files)
	t.Cleanup(func() {
		if err := c.remove(made); err != nil {
			t.Errorf("deleting fixtures: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("applying fixtures: %v", err)
	}
}

func (c *Cluster) apply(ctx context.Context, files []string) ([]created, error) {
	objs, err := readObjects(files)
	if err != nil {
		return nil, err
	}
	return c.applyObjects(ctx, objs)
}

func (c *Cluster) applyObjects(ctx context.Context, objs []*unstructured.Unstructured) ([]created, error) {
	api, err := c.clients()
	if err != nil {
		return nil, err
	}
	var made []created
	// Three passes: namespaces, CRDs, the rest; each in file order.
	isNamespace := func(u *unstructured.Unstructured) bool {
		return u.GroupVersionKind().GroupKind() == schema.GroupKind{Kind: "Namespace"}
	}
	isCRD := func(u *unstructured.Unstructured) bool { return u.GroupVersionKind().GroupKind() == crdGroupKind }
	for pass, match := range []func(*unstructured.Unstructured) bool{
		isNamespace,
		isCRD,
		func(u *unstructured.Unstructured) bool { return !isNamespace(u) && !isCRD(u) },
	} {
		var crds []created
		for _, o := range objs {
			if !match(o) {
				continue
			}
			m, err := api.create(ctx, o)
			if err != nil {
				return made, err
			}
			if m != nil {
				made = append(made, *m)
				if m.crd {
					crds = append(crds, *m)
				}
			}
		}
		if pass == 1 && len(crds) > 0 {
			if err := api.waitEstablished(ctx, crds); err != nil {
				return made, err
			}
		}
	}
	return made, api.waitBindingsEffective(ctx, objs)
}

// create creates one object and writes its status. It returns nil for a namespace that
// exists already.
func (api *apiClients) create(ctx context.Context, o *unstructured.Unstructured) (*created, error) {
	gvk := o.GroupVersionKind()
	what := fmt.Sprintf("%s %s", gvk.Kind, o.GetName())
	if ns := o.GetNamespace(); ns != "" {
		what = fmt.Sprintf("%s %s/%s", gvk.Kind, ns, o.GetName())
	}
	mapping, err := api.mapping(ctx, gvk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	res := api.dynamic.Resource(mapping.Resource)
	var ri dynamic.ResourceInterface = res
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.GetNamespace() == "" {
			o.SetNamespace(metav1.NamespaceDefault)
		}
		ri = res.Namespace(o.GetNamespace())
	}
	// A fixture may be a dump of a real cluster: what the server assigns must go.
	for _, f := range []string{"resourceVersion", "uid", "selfLink", "managedFields"} {
		unstructured.RemoveNestedField(o.Object, "metadata", f)
	}
	status, hasStatus := o.Object["status"]
	out, err := ri.Create(ctx, o, metav1.CreateOptions{FieldManager: "kockpit-testcluster"})
	if apierrors.IsAlreadyExists(err) && gvk.Kind == "Namespace" && gvk.Group == "" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", what, err)
	}
	m := &created{gvr: mapping.Resource, kind: gvk.Kind, ns: out.GetNamespace(), name: out.GetName(), crd: gvk.GroupKind() == crdGroupKind}
	if !hasStatus || m.crd {
		return m, nil
	}
	sub, err := api.hasStatusSubresource(mapping.Resource)
	if err != nil || !sub {
		return m, err // without a status subresource, the create stored the status already
	}
	// The fixture's status fields over the server's: some, like a Pod's qosClass, the server
	// sets on create and refuses to see changed.
	merged, _ := out.Object["status"].(map[string]any)
	if merged == nil {
		merged = map[string]any{}
	}
	fields, ok := status.(map[string]any)
	if !ok {
		return m, fmt.Errorf("%s: status is not a map", what)
	}
	for k, v := range fields {
		merged[k] = v
	}
	out.Object["status"] = merged
	if _, err := ri.UpdateStatus(ctx, out, metav1.UpdateOptions{FieldManager: "kockpit-testcluster"}); err != nil {
		return m, fmt.Errorf("writing the status of %s: %w", what, err)
	}
	return m, nil
}

// mapping finds the resource of a kind, rereading discovery once if the kind is new (a CRD's).
func (api *apiClients) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	for {
		m, err := api.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil || !meta.IsNoMatchError(err) {
			return m, err
		}
		api.mapper.Reset()
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (api *apiClients) hasStatusSubresource(gvr schema.GroupVersionResource) (bool, error) {
	list, err := api.discovery.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		return false, fmt.Errorf("discovering %s: %w", gvr.GroupVersion(), err)
	}
	for _, r := range list.APIResources {
		if r.Name == gvr.Resource+"/status" {
			return true, nil
		}
	}
	return false, nil
}

// waitEstablished waits until the CRDs serve their kinds, then forgets the cached discovery.
func (api *apiClients) waitEstablished(ctx context.Context, crds []created) error {
	for _, crd := range crds {
		for {
			u, err := api.dynamic.Resource(crd.gvr).Get(ctx, crd.name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("waiting for %s: %w", crd, err)
			}
			if crdEstablished(u) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s not established: %w", crd, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	api.discovery.Invalidate()
	api.mapper.Reset()
	return nil
}

func crdEstablished(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// remove deletes what apply made, last first, and waits until it is gone. Finalizers that no
// controller of this cluster would ever remove are stripped; a CRD's are the API server's own.
func (c *Cluster) remove(made []created) error {
	if len(made) == 0 {
		return nil
	}
	api, err := c.clients()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
	defer cancel()
	var errs []error
	now, background := int64(0), metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{GracePeriodSeconds: &now, PropagationPolicy: &background}
	var deleted []created
	for i := len(made) - 1; i >= 0; i-- {
		o := made[i]
		if o.kind == "Namespace" && o.gvr.Group == "" {
			continue
		}
		err := api.dynamic.Resource(o.gvr).Namespace(o.ns).Delete(ctx, o.name, opts)
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", o, err))
			continue
		}
		deleted = append(deleted, o)
	}
	for _, o := range deleted {
		if err := api.waitGone(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (api *apiClients) waitGone(ctx context.Context, o created) error {
	ri := api.dynamic.Resource(o.gvr).Namespace(o.ns)
	for {
		u, err := ri.Get(ctx, o.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("waiting for %s to go: %w", o, err)
		}
		if !o.crd && len(u.GetFinalizers()) > 0 {
			patch := []byte(`{"metadata":{"finalizers":null}}`)
			if _, err := ri.Patch(ctx, o.name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("removing the finalizers of %s: %w", o, err)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still there: %w", o, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readObjects reads the objects of YAML files and directories, lists flattened.
func readObjects(paths []string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		files, err := yamlFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			more, err := readFile(f)
			if err != nil {
				return nil, err
			}
			objs = append(objs, more...)
		}
	}
	return objs, nil
}

func yamlFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	return files, nil
}

func readFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
		}
		j, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
		}
		if s := strings.TrimSpace(string(j)); s == "null" || s == "{}" {
			continue // empty document
		}
		obj, err := runtime.Decode(unstructured.UnstructuredJSONScheme, j)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
		}
		switch o := obj.(type) {
		case *unstructured.Unstructured:
			objs = append(objs, o)
		case *unstructured.UnstructuredList:
			for i := range o.Items {
				objs = append(objs, &o.Items[i])
			}
		}
	}
}
