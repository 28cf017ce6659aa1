package scenarios

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestNodeManifestMatchesTheTree: node.yaml says what git says of every file's mode, so the
// unpacked demo node is the tree the host tests read.
func TestNodeManifestMatchesTheTree(t *testing.T) {
	m, err := ParseHostManifest("node.yaml", nodeManifest)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = filepath.WalkDir("node", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("node", p)
		f, listed := m.Files["/"+filepath.ToSlash(rel)]
		want := fs.FileMode(0o644)
		if listed {
			want = f.Mode
			seen++
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s is %o in the tree, %o by node.yaml", rel, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(m.Files) {
		t.Errorf("node.yaml lists %d files, %d of them exist", len(m.Files), seen)
	}
}

// TestUnpackNode: the unpacked node holds every file with its mode and content.
func TestUnpackNode(t *testing.T) {
	u, err := UnpackNode(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir("node", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		rel, _ := filepath.Rel("node", p)
		want, _ := os.ReadFile(p)
		wantInfo, _ := d.Info()
		got, err := os.ReadFile(filepath.Join(u.Root, rel))
		if err != nil {
			t.Errorf("%s was not unpacked: %v", rel, err)
			return nil
		}
		gotInfo, _ := os.Stat(filepath.Join(u.Root, rel))
		if string(got) != string(want) || gotInfo.Mode() != wantInfo.Mode() {
			t.Errorf("%s unpacked as %v, %d bytes; want %v, %d bytes", rel, gotInfo.Mode(), len(got), wantInfo.Mode(), len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 40 {
		t.Errorf("only %d files in the demo node", files)
	}
	if _, err := os.Stat(u.Recorded); err != nil {
		t.Errorf("no sidecar: %v", err)
	}
}
