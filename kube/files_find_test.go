// Tests of finding snapshot files: which files a directory holds, missing paths, the size limit.

package kube

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
)

func TestLoadSnapshotFS(t *testing.T) {
	fsys := fstest.MapFS{
		"demo/b.yml":         {Data: []byte("apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n")},
		"demo/a.json":        {Data: []byte(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`)},
		"demo/notes.txt":     {Data: []byte("not a snapshot")},
		"demo/.git/x.yaml":   {Data: []byte("{{{ not read")},
		"demo/sub/dir/c.YML": {Data: []byte("apiVersion: v1\nkind: Node\nmetadata: {name: n3}\n")},
	}
	s, err := LoadSnapshotFS(context.Background(), fsys, "demo", "embedded demo")
	if err != nil {
		t.Fatal(err)
	}
	if s.Source() != "embedded demo" {
		t.Errorf("Source() = %q", s.Source())
	}
	nodes, err := ListOf[*corev1.Node](context.Background(), s, Nodes)
	wantNames(t, "nodes in lexical file order", nodes, err, "n1", "n2", "n3")
}

func TestLoadPathErrors(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := LoadSnapshot(ctx, missing)
	ie := wantInputError(t, err, missing, 0, "no such file or directory", "kubectl cluster-info dump --output-directory")
	if ie.Fix == "" {
		t.Error("no fix")
	}

	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "logs.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSnapshot(ctx, empty)
	wantInputError(t, err, empty, 0, "no .yaml, .yml or .json files", "kubectl get -A -o yaml")

	_, err = LoadSnapshotFS(ctx, fstest.MapFS{}, "demo", "demo")
	wantInputError(t, err, "demo", 0, "no such file or directory")
}

// hugeFS serves one file that claims to be over the size limit.
type hugeFS struct{ fstest.MapFS }

type hugeInfo struct{ fs.FileInfo }

func (hugeInfo) Size() int64 { return maxFileSize + 1 }

type hugeFile struct{ fs.File }

func (f hugeFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	return hugeInfo{fi}, err
}

func (h hugeFS) Open(name string) (fs.File, error) {
	f, err := h.MapFS.Open(name)
	if err != nil || name != "big.json" {
		return f, err
	}
	return hugeFile{f}, nil
}

func TestLoadRefusesHugeFiles(t *testing.T) {
	fsys := hugeFS{fstest.MapFS{"big.json": {Data: []byte("{}")}}}
	_, err := LoadSnapshotFS(context.Background(), fsys, "big.json", "big")
	wantInputError(t, err, "big.json", 0, "larger than 512 MiB")
}
