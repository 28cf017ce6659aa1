package kube

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
)

// TestLoadSnapshotLayers: a later layer's object replaces an earlier one's of the same kind,
// namespace and name; Remove takes one out (and refuses one that is not there); the given
// header makes a kind with no object "none" rather than "not collected".
func TestLoadSnapshotLayers(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"base/nodes.yaml": {Data: []byte("apiVersion: v1\nkind: Node\nmetadata: {name: a, labels: {from: base}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: b}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: c}\n")},
		"top/a.yaml":      {Data: []byte("apiVersion: v1\nkind: Node\nmetadata: {name: a, labels: {from: top}}\n")},
	}
	layers := []Layer{{FS: fsys, Root: "base", Display: "base"}, {FS: fsys, Root: "top", Display: "scenario"}}
	header := &SnapshotHeader{APIVersion: HeaderAPIVersion, Kind: HeaderKind, Listed: []string{"nodes", "pods"}}
	snap, err := LoadSnapshotLayers(ctx, "layered", LayerOptions{Header: header, Remove: []ObjectKey{{Kind: "Node", Name: "c"}}}, layers...)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := snap.List(ctx, Nodes)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range nodes {
		n := o.(*corev1.Node)
		got[n.Name] = n.Labels["from"]
	}
	if len(got) != 2 || got["a"] != "top" || got["b"] != "" {
		t.Errorf("nodes %v, want a from the top layer, b, and c removed", got)
	}
	if pods, err := snap.List(ctx, Pods); err != nil || len(pods) != 0 {
		t.Errorf("pods: %v %v, want none (the header lists them)", pods, err)
	}
	_, err = LoadSnapshotLayers(ctx, "layered", LayerOptions{Remove: []ObjectKey{{Kind: "Node", Name: "z"}}}, layers...)
	if err == nil || !strings.Contains(err.Error(), "cannot remove Node z: it is not in layered") {
		t.Errorf("removing what is not there: %v", err)
	}
	_, err = LoadSnapshotLayers(ctx, "layered", LayerOptions{}, Layer{FS: fsys, Root: "top", Display: "scenario"}, Layer{FS: fstest.MapFS{"x/bad.yaml": {Data: []byte("kind: [")}}, Root: "x", Display: "teacher"})
	if err == nil || !strings.HasPrefix(err.Error(), "teacher/bad.yaml:") {
		t.Errorf("an error in a layer names its file as displayed: %v", err)
	}
}
