package scenarios

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestNodeModesMatchTheTree: node.modes says what git says of every file's mode, so the
// unpacked demo node is the tree the host tests read.
func TestNodeModesMatchTheTree(t *testing.T) {
	modes, err := parseModes("node.modes", nodeModes)
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
		want, listed := modes[filepath.ToSlash(rel)]
		if !listed {
			want = 0o644
		} else {
			seen++
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s is %o in the tree, %o by node.modes", rel, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(modes) {
		t.Errorf("node.modes lists %d files, %d of them exist", len(modes), seen)
	}
}

// TestUnpackNode: the unpacked node holds every file with its mode and content.
func TestUnpackNode(t *testing.T) {
	dir := t.TempDir()
	if err := UnpackNode(dir); err != nil {
		t.Fatal(err)
	}
	files := 0
	err := filepath.WalkDir("node", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		rel, _ := filepath.Rel("node", p)
		want, _ := os.ReadFile(p)
		wantInfo, _ := d.Info()
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Errorf("%s was not unpacked: %v", rel, err)
			return nil
		}
		gotInfo, _ := os.Stat(filepath.Join(dir, rel))
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
}

func TestBadModesLineSaysWhere(t *testing.T) {
	_, err := parseModes("scenarios/node.modes", "# ok\n0755 usr/bin/x\nrwx usr/bin/y\n")
	if err == nil || err.Error() != `scenarios/node.modes:3: want "MODE PATH" with an octal mode such as 0755, got "rwx usr/bin/y"` {
		t.Errorf("error %v", err)
	}
}
