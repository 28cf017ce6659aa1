package workshop_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kockpit/kockpit/kube"
)

// TestEmbeddedApplyMatchesCluster: what `workshop apply` writes is a manifest, not a snapshot
// (no status, nothing the API server sets), and every object it writes is in the scenario's
// cluster under the same kind, namespace and name, so the broken cluster a class builds is the
// one the lesson describes.
func TestEmbeddedApplyMatchesCluster(t *testing.T) {
	ctx := context.Background()
	for _, s := range embedded(t) {
		files, err := s.ApplyFiles()
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			snap, err := s.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range files {
				data, err := s.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				for i, doc := range manifestDocs(t, name, data) {
					where := fmt.Sprintf("%s document %d", name, i+1)
					if _, ok := doc["status"]; ok {
						t.Errorf("%s: has a status: apply writes manifests, the status is the cluster's", where)
					}
					md, _ := doc["metadata"].(map[string]any)
					for _, server := range []string{"creationTimestamp", "uid", "resourceVersion", "ownerReferences", "generation", "managedFields"} {
						if _, ok := md[server]; ok {
							t.Errorf("%s: metadata.%s is set by the API server, not by a manifest", where, server)
						}
					}
					inCluster(ctx, t, snap, where, doc)
				}
			}
		})
	}
}

func manifestDocs(t *testing.T, name string, data []byte) []map[string]any {
	t.Helper()
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if err == io.EOF {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// inCluster fails unless the scenario's cluster holds an object of doc's kind, namespace and name.
func inCluster(ctx context.Context, t *testing.T, snap *kube.Snapshot, where string, doc map[string]any) {
	t.Helper()
	apiVersion, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	md, _ := doc["metadata"].(map[string]any)
	ns, _ := md["namespace"].(string)
	name, _ := md["name"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || kind == "" || name == "" {
		t.Errorf("%s: not an object (apiVersion %q, kind %q, name %q)", where, apiVersion, kind, name)
		return
	}
	r, ok := kube.ResourceForGroupKind(schema.GroupKind{Group: gv.Group, Kind: kind})
	if !ok {
		t.Errorf("%s: kockpit reads no %s, so no check could see it", where, kind)
		return
	}
	objs, err := snap.List(ctx, r)
	if err != nil {
		t.Fatalf("%s: listing %s: %v", where, r, err)
	}
	for _, o := range objs {
		m, err := meta.Accessor(o)
		if err != nil {
			t.Fatalf("%s: %T has no metadata: %v", where, o, err)
		}
		if m.GetNamespace() == ns && m.GetName() == name {
			return
		}
	}
	t.Errorf("%s: %s %s is not in the scenario's cluster: the cluster a class builds would differ from the lesson",
		where, kind, strings.TrimPrefix(ns+"/"+name, "/"))
}
