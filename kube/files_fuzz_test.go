// The structure-aware snapshot fuzzer: valid objects with one field broken, written as YAML and
// as JSON.

package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.yaml.in/yaml/v3"
)

// fuzzBases are valid objects to break: every document of the snapshot fixtures that load, and
// a few with the values typed decoders parse themselves (times, quantities, int-or-strings).
func fuzzBases(tb testing.TB) []map[string]any {
	tb.Helper()
	var bases []map[string]any
	for _, name := range []string{"multi-doc.yaml", "get-all.yaml"} {
		data, err := os.ReadFile(filepath.Join(snapshots, name))
		if err != nil {
			tb.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var v map[string]any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				tb.Fatal(err)
			}
			if v != nil {
				bases = append(bases, v)
			}
		}
	}
	for _, doc := range []string{
		`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "creationTimestamp": "2026-11-25T10:00:00Z",
		  "labels": {"app": "web"}, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u"}]},
		  "spec": {"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80}],
		    "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
		    "readinessProbe": {"httpGet": {"port": "http", "path": "/"}, "periodSeconds": 5}}]},
		  "status": {"phase": "Running", "startTime": "2026-11-25T10:00:00Z", "podIP": "10.0.0.1"}}`,
		`{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {"app": "web"},
		  "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}], "clusterIP": "10.96.0.1"}}`,
		`{"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}, "spec": {"nodeName": "n"}}]}`,
		`{"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t", "labels": {"a": "b"}}, "spec": {"n": 1, "l": [1, "a"]}}`,
	} {
		var v map[string]any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			tb.Fatal(err)
		}
		bases = append(bases, v)
	}
	return bases
}

// fuzzPaths lists every value's path in an object, in a stable order.
func fuzzPaths(v any, path []step, out *[][]step) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(slices.Clip(path), step{key: k, index: -1})
			*out = append(*out, p)
			fuzzPaths(v[k], p, out)
		}
	case []any:
		for i, e := range v {
			p := append(slices.Clip(path), step{index: i})
			*out = append(*out, p)
			fuzzPaths(e, p, out)
		}
	}
}

// fuzzWrong are the wrong shapes a field becomes; the fuzzer's own string is one more.
var fuzzWrong = []any{
	map[string]any{"a": 1}, []any{1, "a"}, map[string]any{}, []any{}, "abc", "", "yesterday", "lots",
	int64(3), int64(-1), 1.5, 1e300, int64(1 << 62), true, nil, "2026-13-45T99:99:99Z", "80", "-1Gi",
}

// deepCopyJSON copies a JSON-shaped value.
func deepCopyJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopyJSON(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopyJSON(e)
		}
		return l
	}
	return v
}

// setPath replaces the value at path; deleteKey removes it instead, when it is a key.
func setPath(root any, path []step, value any, deleteKey bool) {
	v := root
	for i, s := range path {
		last := i == len(path)-1
		switch c := v.(type) {
		case map[string]any:
			if last {
				if deleteKey {
					delete(c, s.key)
				} else {
					c[s.key] = value
				}
				return
			}
			v = c[s.key]
		case []any:
			if last {
				c[s.index] = value
				return
			}
			v = c[s.index]
		}
	}
}

// firstAtLine is what is particular to one rendering in a message: the line of a key set
// before, which YAML and JSON place on different lines.
var firstAtLine = regexp.MustCompile(`\(first at line \d+\)`)

// FuzzLoadSnapshotBrokenField breaks one field of a valid object (a wrong shape, a value its
// type refuses, or no value at all), writes it as YAML and as JSON, and loads both. Neither may
// panic or fail but with an *InputError; the two must agree (both load, or both fail with the
// same message); and a failure must say where: a line and a column, on the broken field or on
// the way to it, never the document's 1:1 for a problem that is not about the whole object.
func FuzzLoadSnapshotBrokenField(f *testing.F) {
	bases := fuzzBases(f)
	for i := range bases {
		for _, w := range []uint8{0, 4, 6, 7, 12, 14} {
			f.Add(uint8(i), uint16(7*i+3), w, "")
		}
	}
	f.Add(uint8(0), uint16(2), uint8(255), "x: y")
	f.Fuzz(func(t *testing.T, which uint8, field uint16, wrong uint8, text string) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic("hung") })
		defer watchdog.Stop()
		base := bases[int(which)%len(bases)]
		var paths [][]step
		fuzzPaths(base, nil, &paths)
		if len(paths) == 0 {
			return
		}
		path := paths[int(field)%len(paths)]
		obj := deepCopyJSON(base).(map[string]any)
		var value any = strings.ToValidUTF8(text, "?")
		deleteKey := false
		switch n := int(wrong); {
		case n < len(fuzzWrong):
			value = fuzzWrong[n]
		case n == 200 && path[len(path)-1].index < 0:
			deleteKey = true
		}
		setPath(obj, path, value, deleteKey)

		jsonData, err := json.MarshalIndent(obj, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var yamlBuf bytes.Buffer
		enc := yaml.NewEncoder(&yamlBuf)
		enc.SetIndent(2)
		if err := enc.Encode(obj); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var msgs [2]string
		var loaded [2]bool
		for i, file := range []struct {
			name string
			data []byte
		}{{"f.yaml", yamlBuf.Bytes()}, {"f.json", jsonData}} {
			s, err := LoadSnapshotFS(ctx, fstest.MapFS{file.name: {Data: file.data}}, file.name, file.name)
			if err == nil {
				loaded[i] = true
				for _, r := range append(KnownResources, ciliumPolicies) {
					if objs, err := s.List(ctx, r); err == nil {
						for _, o := range objs {
							_ = o.DeepCopyObject()
						}
					}
				}
				continue
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("%s: not an *InputError: %T %v\n%s", file.name, err, err, file.data)
			}
			msgs[i] = firstAtLine.ReplaceAllString(ie.Msg, "")
			if ie.Line <= 0 || ie.Column <= 0 {
				t.Fatalf("%s: no line and column: %v\n%s", file.name, err, file.data)
			}
			if ie.Line == 1 && ie.Column == 1 && !strings.Contains(ie.Msg, "has no") && !strings.Contains(ie.Msg, "no kind") {
				t.Fatalf("%s: at the document's 1:1: %v\n%s", file.name, err, file.data)
			}
			if file.name == "f.yaml" {
				checkOnPath(t, file.data, path, ie)
			}
		}
		if loaded[0] != loaded[1] || msgs[0] != msgs[1] {
			t.Fatalf("YAML and JSON disagree on %s = %#v:\n  YAML: loaded %v %s\n  JSON: loaded %v %s\n%s\n%s",
				pathText(path), value, loaded[0], msgs[0], loaded[1], msgs[1], yamlBuf.Bytes(), jsonData)
		}
	})
}

// checkOnPath fails unless a YAML file's error is on a line of the broken path: the value's,
// or a key's on the way to it (a list of wrong items is reported at the list). A problem about
// the whole object (no kind) is at its start.
func checkOnPath(t *testing.T, data []byte, path []step, ie *InputError) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	lines := map[int]bool{root.Line: true}
	for i := range path {
		n := yamlNodeAt(root, path[:i+1])
		lines[n.Line] = true
		if parent := yamlNodeAt(root, path[:i]); parent.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(parent.Content); j += 2 {
				if parent.Content[j].Value == path[i].key {
					lines[parent.Content[j].Line] = true
				}
			}
		}
		// A value written over several lines (a list, an object) holds the problem anywhere
		// in it: an element a decoder refused.
		last := lastLine(n)
		for l := n.Line; l <= last; l++ {
			if i == len(path)-1 {
				lines[l] = true
			}
		}
	}
	if !lines[ie.Line] {
		t.Fatalf("error at line %d, not on the path %s: %v\n%s", ie.Line, pathText(path), ie, data)
	}
}

func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}

// TestFuzzBasesLoad: the fuzzer's bases are valid, so that every failure it finds is the
// broken field's.
func TestFuzzBasesLoad(t *testing.T) {
	for i, b := range fuzzBases(t) {
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loadBytes(t, "b.json", string(data)); err != nil {
			t.Errorf("base %d: %v", i, err)
		}
	}
}
