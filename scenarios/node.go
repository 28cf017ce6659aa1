package scenarios

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The demo's node: the files of a control-plane node broken the ways the Klustered guests met
// on their nodes (a binary without its exec bit, a macOS kubelet, a look-alike letter in the
// API server's manifest, a preloaded library, an expired certificate...). The host checks read
// it where UnpackNode writes it.

//go:embed all:node
var nodeFiles embed.FS

//go:embed node.modes
var nodeModes string

// UnpackNode writes the demo node's files under dir, which must be empty or absent, with the
// modes node.modes gives. The caller removes dir when the run ends.
func UnpackNode(dir string) error {
	return UnpackTree(nodeFiles, "node", "scenarios/node.modes", nodeModes, dir)
}

// UnpackTree writes the files under root in fsys to dir (empty or absent), each with the mode
// modes gives it ("MODE PATH" lines, PATH relative to root; 0644 when not listed): a node's
// tree, as a scenario carries it. modesName names the modes file in errors.
func UnpackTree(fsys fs.FS, root, modesName, modesText, dir string) error {
	modes, err := parseModes(modesName, modesText)
	if err != nil {
		return err
	}
	return fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: only regular files and directories can be unpacked", p)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		mode, ok := modes[rel]
		if !ok {
			mode = 0o644
		}
		if err := os.WriteFile(target, data, mode); err != nil {
			return err
		}
		return os.Chmod(target, mode) // WriteFile's mode passes through the umask
	})
}

// parseModes reads a modes file (node.modes): "MODE PATH" lines, # comments.
func parseModes(name, text string) (map[string]fs.FileMode, error) {
	out := map[string]fs.FileMode{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		mode, path, ok := strings.Cut(s, " ")
		m, err := strconv.ParseUint(mode, 8, 32)
		if !ok || err != nil || m > 0o777 {
			return nil, fmt.Errorf("%s:%d: want \"MODE PATH\" with an octal mode such as 0755, got %q", name, line, s)
		}
		out[strings.TrimSpace(path)] = fs.FileMode(m)
	}
	return out, sc.Err()
}
