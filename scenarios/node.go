package scenarios

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kockpit/kockpit/host"
)

// The demo's node: the files of a control-plane node broken the ways the Klustered guests met
// on their nodes (a binary without its exec bit, a macOS kubelet, a look-alike letter in the
// API server's manifest, a preloaded library, an expired certificate...). The host checks read
// it where UnpackNode writes it.

//go:embed all:node
var nodeFiles embed.FS

//go:embed node.yaml
var nodeManifest []byte

// nodeManifestName names the demo node's manifest in errors.
const nodeManifestName = "scenarios/node.yaml"

// UnpackNode writes the demo node's files under dir, which must be empty or absent, as
// node.yaml describes them. The caller removes dir when the run ends.
func UnpackNode(dir string) (Unpacked, error) {
	m, err := ParseHostManifest(nodeManifestName, nodeManifest)
	if err != nil {
		return Unpacked{}, err
	}
	return UnpackTree(nodeFiles, "node", m, dir)
}

// Unpacked is a node's tree written out: Root stands for the node's "/", Recorded is the
// sidecar holding what the unpacking could not apply (see host.Recorded).
type Unpacked struct {
	Root, Recorded string
}

// chownAllowed says whether unpacking may give files their owners: only root may. A test sets
// it false to unpack as an unprivileged user would.
var chownAllowed = func() bool { return os.Geteuid() == 0 }

// UnpackTree writes the files under root in fsys into dir (empty or absent): the tree under
// dir/root, the sidecar at dir/recorded.json. Each file takes what the manifest gives it
// (m may be nil: every file 0644, every directory 0755, all root's). Modes and times are
// applied; owners when running as root, else recorded; inode attributes are always recorded,
// never applied: a file system here may not have them, and an immutable copy could never be
// removed. Every path the manifest lists must be in the tree.
func UnpackTree(fsys fs.FS, root string, m *HostManifest, dir string) (Unpacked, error) {
	if m == nil {
		m = &HostManifest{Name: "host manifest"}
	}
	out := Unpacked{Root: filepath.Join(dir, "root"), Recorded: filepath.Join(dir, "recorded.json")}
	if err := os.MkdirAll(out.Root, 0o755); err != nil {
		return Unpacked{}, err
	}
	var unpacked []string // node paths, parents before children
	dirs := map[string]bool{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		nodePath := "/" + rel
		target := filepath.Join(out.Root, filepath.FromSlash(rel))
		switch {
		case d.IsDir():
			// Written 0755 so its files can be added; its own mode comes with the times below.
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			dirs[nodePath] = true
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: only regular files and directories can be unpacked", p)
		default:
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			mode := fs.FileMode(0o644)
			if entry := m.Files[nodePath]; entry.HasMode {
				mode = entry.Mode
			}
			if err := os.WriteFile(target, data, mode); err != nil {
				return err
			}
			if err := os.Chmod(target, mode); err != nil { // WriteFile's mode passes through the umask
				return err
			}
		}
		unpacked = append(unpacked, nodePath)
		return nil
	})
	if err != nil {
		return Unpacked{}, err
	}
	if err := notInTree(m, unpacked); err != nil {
		return Unpacked{}, err
	}
	rec := &host.Recorded{AttrsComplete: true, Files: map[string]host.RecordedFile{}}
	// Children first: a directory's mode may forbid writing in it, and adding to a directory
	// changes its mtime.
	for _, nodePath := range slices.Backward(unpacked) {
		f := m.Files[nodePath]
		if dirs[nodePath] && !f.HasMode {
			f.Mode, f.HasMode = 0o755, true // whatever the umask made of it
		}
		if err := applyFacts(out.Root, nodePath, f, rec); err != nil {
			return Unpacked{}, err
		}
	}
	if err := host.WriteRecorded(out.Recorded, rec); err != nil {
		return Unpacked{}, fmt.Errorf("writing the unpacked node's recorded facts: %w", err)
	}
	return out, nil
}

// notInTree refuses a manifest that lists a path the tree does not hold: a typo there would
// otherwise silently leave the file with the defaults.
func notInTree(m *HostManifest, unpacked []string) error {
	var missing []string
	for p := range m.Files {
		if p != "/" && !slices.Contains(unpacked, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.SortFunc(missing, func(a, b string) int { return m.Files[a].Line - m.Files[b].Line })
	f := m.Files[missing[0]]
	return &ManifestError{File: m.Name, Line: f.Line, Column: f.Column,
		Msg: fmt.Sprintf("%s is not in the tree beside the manifest (fix: add the file, or correct or remove this entry)", missing[0])}
}

// applyFacts gives one unpacked file its mode (directories), owner and mtime, and records what
// it cannot apply.
func applyFacts(rootDir, nodePath string, f ManifestFile, rec *host.Recorded) error {
	target := filepath.Join(rootDir, filepath.FromSlash(strings.TrimPrefix(nodePath, "/")))
	r := host.RecordedFile{Immutable: f.Immutable, AppendOnly: f.AppendOnly}
	// A node's files are root's unless the manifest says otherwise, whoever unpacks them.
	var root uint32
	uid, gid := cmp.Or(f.Uid, &root), cmp.Or(f.Gid, &root)
	if !chownAllowed() || os.Lchown(target, int(*uid), int(*gid)) != nil {
		r.Uid, r.Gid = uid, gid
	}
	if f.HasMode {
		if err := os.Chmod(target, f.Mode); err != nil {
			return err
		}
	}
	if !f.Mtime.IsZero() {
		if err := os.Chtimes(target, f.Mtime, f.Mtime); err != nil {
			return fmt.Errorf("%s: setting its mtime: %w", nodePath, err)
		}
	}
	if r != (host.RecordedFile{}) {
		rec.Files[nodePath] = r
	}
	return nil
}
