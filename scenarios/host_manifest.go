package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/kockpit/kockpit/internal/yamlguard"
)

// A host manifest (a scenario's host.yaml, the demo's node.yaml) says what an embedded tree of
// node files cannot keep: embed.FS holds contents only, so modes, owners, times and inode
// attributes are written beside it.
//
//	files:
//	  /usr/bin/kubelet:
//	    mode: "0755"
//	  /var/lib/kubelet/config.yaml:
//	    mode: "0644"
//	    owner: 0
//	    group: 0
//	    mtime: 2026-12-05T23:41:07Z
//	    attributes: [immutable]
//
// A file not listed is 0644 (a directory 0755), root's, modified when it is unpacked, with no
// attributes.

// MaxManifestBytes bounds a host manifest: it lists a few dozen files.
const MaxManifestBytes = 256 << 10

// manifestNesting bounds how deep a manifest may nest: files, a file, attributes.
const manifestNesting = 8

// Attribute names of a manifest, as chattr's long names say them.
const (
	AttrImmutable  = "immutable"
	AttrAppendOnly = "append-only"
)

// manifestKeys are the keys of one file's entry, in the order the README gives them.
var manifestKeys = []string{"mode", "owner", "group", "mtime", "attributes"}

// HostManifest is a parsed host manifest.
type HostManifest struct {
	// Name is the manifest's file, as errors name it.
	Name string
	// Files are keyed by node path ("/usr/bin/kubelet").
	Files map[string]ManifestFile
}

// ManifestFile is what a manifest gives one file.
type ManifestFile struct {
	// Mode is the permission bits; zero when Mode is not given (HasMode false).
	Mode    fs.FileMode
	HasMode bool
	// Uid and Gid are the owner; nil when not given.
	Uid, Gid *uint32
	// Mtime is the modification time; zero when not given.
	Mtime                 time.Time
	Immutable, AppendOnly bool
	// Line and Column are where the file's path is written, for errors about the file.
	Line, Column int
}

// ManifestError is a problem in a host manifest, at its line and column, with the fix.
type ManifestError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *ManifestError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// ParseHostManifest reads a host manifest strictly: unknown keys, duplicate paths, paths that
// are not clean absolute node paths, modes that are not octal permission bits, owners that are
// not ids, times that are not RFC 3339 and attributes kockpit does not know are errors naming
// name:line:column and the fix.
func ParseHostManifest(name string, data []byte) (*HostManifest, error) {
	m := &HostManifest{Name: name, Files: map[string]ManifestFile{}}
	fail := func(tok *token.Token, msg string) error {
		e := &ManifestError{File: name, Line: 1, Column: 1, Msg: msg}
		if tok != nil && tok.Position != nil {
			e.Line, e.Column = tok.Position.Line, tok.Position.Column
		}
		return e
	}
	if len(data) > MaxManifestBytes {
		return nil, &ManifestError{File: name, Msg: fmt.Sprintf("larger than %d KiB, and a node's manifest is a few KiB: kockpit did not parse it", MaxManifestBytes>>10)}
	}
	if tok := yamlguard.TooDeep(data, manifestNesting); tok != nil {
		return nil, fail(tok, fmt.Sprintf("YAML nests more than %d levels deep here, and a manifest nests three: kockpit did not parse it", manifestNesting))
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			return nil, fail(ye.GetToken(), "YAML: "+ye.GetMessage())
		}
		return nil, &ManifestError{File: name, Msg: err.Error()}
	}
	var body ast.Node
	switch {
	case len(f.Docs) > 1:
		tok := f.Docs[1].GetToken()
		if f.Docs[1].Start != nil {
			tok = f.Docs[1].Start
		}
		return nil, fail(tok, "a host manifest is one YAML document (fix: remove the \"---\" and what follows, or merge it into the first)")
	case len(f.Docs) == 1:
		body = f.Docs[0].Body
	}
	if body == nil {
		return m, nil // empty: every file takes the defaults
	}
	top, ok := body.(ast.MapNode)
	if !ok {
		return nil, fail(body.GetToken(), "a host manifest is a mapping with one key, files (fix: see the README's scenario format)")
	}
	for it := top.MapRange(); it.Next(); {
		k := it.Key()
		if keyText(k) != "files" {
			return nil, fail(k.GetToken(), fmt.Sprintf("unknown key %q (fix: a host manifest has one key, files)", keyText(k)))
		}
		if isNull(it.Value()) {
			continue
		}
		files, ok := it.Value().(ast.MapNode)
		if !ok {
			return nil, fail(it.Value().GetToken(), "files: want a mapping of node paths to their mode, owner, group, mtime and attributes (fix: /usr/bin/kubelet: {mode: \"0755\"})")
		}
		for fit := files.MapRange(); fit.Next(); {
			p := keyText(fit.Key())
			tok := fit.Key().GetToken()
			// The parser refuses a key given twice in one mapping.
			if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
				return nil, fail(tok, fmt.Sprintf("%q is not a clean absolute node path (fix: the path as on the node, e.g. /var/lib/kubelet/config.yaml)", p))
			}
			entry, err := parseManifestFile(p, fit.Value(), fail)
			if err != nil {
				return nil, err
			}
			entry.Line, entry.Column = tok.Position.Line, tok.Position.Column
			m.Files[p] = entry
		}
	}
	return m, nil
}

func parseManifestFile(p string, v ast.Node, fail func(*token.Token, string) error) (ManifestFile, error) {
	var out ManifestFile
	if isNull(v) {
		return out, nil
	}
	fields, ok := v.(ast.MapNode)
	if !ok {
		return out, fail(v.GetToken(), fmt.Sprintf("%s: want a mapping of %s (fix: %s: {mode: \"0755\"})", p, strings.Join(manifestKeys, ", "), p))
	}
	for it := fields.MapRange(); it.Next(); {
		key, val := keyText(it.Key()), it.Value()
		text, scalar := scalarText(val)
		if key != "attributes" && !scalar {
			return out, fail(val.GetToken(), fmt.Sprintf("%s: %s wants a single value", p, key))
		}
		switch key {
		case "mode":
			mode, err := strconv.ParseUint(text, 8, 32)
			if err != nil || mode > 0o777 {
				return out, fail(val.GetToken(), fmt.Sprintf("%s: mode %q is not octal permission bits (fix: a quoted octal mode such as \"0755\")", p, text))
			}
			out.Mode, out.HasMode = fs.FileMode(mode), true
		case "owner", "group":
			id, err := strconv.ParseUint(text, 10, 32)
			if err != nil || id == math.MaxUint32 {
				return out, fail(val.GetToken(), fmt.Sprintf("%s: %s %q is not a numeric id (fix: the %s's number as on the node, e.g. 0 for root)", p, key, text, map[string]string{"owner": "user", "group": "group"}[key]))
			}
			id32 := uint32(id)
			if key == "owner" {
				out.Uid = &id32
			} else {
				out.Gid = &id32
			}
		case "mtime":
			t, err := time.Parse(time.RFC3339, text)
			if err != nil {
				return out, fail(val.GetToken(), fmt.Sprintf("%s: mtime %q is not an RFC 3339 time (fix: e.g. 2026-12-05T23:41:07Z)", p, text))
			}
			out.Mtime = t
		case "attributes":
			if err := parseAttributes(p, val, &out, fail); err != nil {
				return out, err
			}
		default:
			return out, fail(it.Key().GetToken(), fmt.Sprintf("%s: unknown key %q (fix: the keys are %s)", p, key, strings.Join(manifestKeys, ", ")))
		}
	}
	return out, nil
}

func parseAttributes(p string, val ast.Node, out *ManifestFile, fail func(*token.Token, string) error) error {
	seq, ok := val.(*ast.SequenceNode)
	if !ok {
		return fail(val.GetToken(), fmt.Sprintf("%s: attributes wants a list (fix: attributes: [%s] or [%s])", p, AttrImmutable, AttrAppendOnly))
	}
	for _, a := range seq.Values {
		text, _ := scalarText(a)
		switch text {
		case AttrImmutable:
			out.Immutable = true
		case AttrAppendOnly:
			out.AppendOnly = true
		default:
			return fail(a.GetToken(), fmt.Sprintf("%s: attribute %q is not one kockpit knows (fix: %s or %s, as chattr +i and +a set them)", p, text, AttrImmutable, AttrAppendOnly))
		}
	}
	return nil
}

// keyText is a mapping key as written, unquoted.
func keyText(n ast.MapKeyNode) string {
	if s, ok := scalarText(n); ok {
		return s
	}
	return n.String()
}

// scalarText is a scalar's text as written (0755 stays 0755, not 493), unquoted.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.LiteralNode:
		return v.GetToken().Value, true
	}
	return "", false
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return n == nil || ok
}

// ErrOldModes is what a scenario still carrying host.modes, the manifest's predecessor, is told.
func ErrOldModes(file string) error {
	return &ManifestError{File: file, Msg: "host.modes is no longer read: the modes, owners, times and attributes of host/'s files go in host.yaml " +
		"(fix: for each \"MODE PATH\" line write \"  /PATH: {mode: \\\"MODE\\\"}\" under \"files:\" in host.yaml, and remove host.modes)"}
}
