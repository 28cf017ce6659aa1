package testcluster

import (
	"context"
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Replace swaps objects of the cluster for the fixture's versions of them (same kind, namespace
// and name) for the length of the test, so a broken copy of a healthy file can stand in for it:
// the objects there are saved and deleted, the fixture's created with their status. When the
// test ends, the fixture's objects are deleted and the saved ones created again, status
// included. A fixture object with no counterpart is just created, and deleted at the end.
// Namespaces and CRDs cannot be replaced. Tests that Replace must not run in parallel.
func (c *Cluster) Replace(t testing.TB, files ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
	defer cancel()
	objs, err := readObjects(files)
	if err != nil {
		t.Fatalf("replacing with fixtures: %v", err)
	}
	saved, err := c.takeAway(ctx, objs)
	var made []created
	if err == nil {
		made, err = c.applyObjects(ctx, objs)
	}
	t.Cleanup(func() {
		if err := c.remove(made); err != nil {
			t.Errorf("deleting fixtures: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
		defer cancel()
		if _, err := c.applyObjects(ctx, saved); err != nil {
			t.Errorf("restoring what the fixtures replaced: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("replacing with fixtures: %v", err)
	}
}

// takeAway deletes the cluster's objects that the fixture objects name, and returns them as they
// were, ready to be created again.
func (c *Cluster) takeAway(ctx context.Context, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	api, err := c.clients()
	if err != nil {
		return nil, err
	}
	var saved []*unstructured.Unstructured
	var gone []created
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if gvk.GroupKind() == crdGroupKind || (gvk.Group == "" && gvk.Kind == "Namespace") {
			return nil, fmt.Errorf("%s %s: namespaces and CRDs cannot be replaced", gvk.Kind, o.GetName())
		}
		mapping, err := api.mapping(ctx, gvk)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", gvk.Kind, o.GetName(), err)
		}
		ns := ""
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ns = o.GetNamespace()
			if ns == "" {
				ns = metav1.NamespaceDefault
			}
		}
		cur, err := api.dynamic.Resource(mapping.Resource).Namespace(ns).Get(ctx, o.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s %s/%s: %w", gvk.Kind, ns, o.GetName(), err)
		}
		for _, f := range []string{"creationTimestamp", "generation", "deletionTimestamp"} {
			unstructured.RemoveNestedField(cur.Object, "metadata", f)
		}
		saved = append(saved, cur)
		gone = append(gone, created{gvr: mapping.Resource, kind: gvk.Kind, ns: ns, name: o.GetName()})
	}
	if err := c.remove(gone); err != nil {
		return saved, errors.Join(fmt.Errorf("deleting the objects to replace"), err)
	}
	return saved, nil
}
