package themes

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/kockpit/kockpit/internal/inputfile"
	"github.com/kockpit/kockpit/internal/yamlguard"
	"github.com/kockpit/kockpit/safetext"
)

// File is a theme file: a theme, and optionally the cockpit's key bindings.
//
//	name: midnight
//	extends: dark            # a built-in theme to start from (default: auto)
//	colors:
//	  accent: "#7aa2f7"       # quoted: a bare # starts a YAML comment
//	  fail: {light: "#cf222e", dark: "#f7768e"}
//	keys:
//	  rerun-all: [r, f5]
type File struct {
	Theme Theme
	// Keys are the key bindings the file sets, in file order; the cockpit checks the action
	// names (the themes package does not know them) and reports a bad one at its line.
	Keys []KeySpec
}

// KeySpec binds an action to keys, as a theme file's keys section writes it.
type KeySpec struct {
	Action string
	Keys   []string
	Path   string
	Line   int
	Column int
}

// FileError is a bad theme file: where and what.
type FileError struct {
	Path   string
	Line   int
	Column int
	// Key is the offending key, when a key is to blame.
	Key string
	Msg string
}

// Error is PATH:LINE:COLUMN: MSG, safe to print: the path and the message quote input (a
// file name, a key, a value), made safe where the error is made and again here, for a
// FileError built elsewhere (the cockpit's key bindings).
func (e *FileError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", safetext.Message(e.Path), e.Line, e.Column, safetext.Message(e.Msg))
}

// newFileError makes a FileError whose path, key and message are safe to print as they are.
func newFileError(path string, line, column int, key, msg string) *FileError {
	return &FileError{Path: safetext.Message(path), Line: line, Column: column, Key: safetext.Message(key), Msg: safetext.Message(msg)}
}

// colorFields maps the colour keys of a theme file to the theme's fields, in display order.
func colorFields(t *Theme) []struct {
	key string
	c   *Color
} {
	return []struct {
		key string
		c   *Color
	}{
		{"text", &t.Text}, {"muted", &t.Muted}, {"border", &t.Border}, {"accent", &t.Accent},
		{"select-bg", &t.SelectBg}, {"select-fg", &t.SelectFg},
		{"ok", &t.OK}, {"warn", &t.Warn}, {"fail", &t.Fail}, {"error", &t.Error}, {"skip", &t.Skip},
		{"command", &t.Command}, {"banner-bg", &t.BannerBg}, {"banner-fg", &t.BannerFg},
		{"suspicious", &t.Suspicious},
	}
}

// ColorKeys lists the colour keys a theme file may set.
func ColorKeys() []string {
	var t Theme
	var out []string
	for _, f := range colorFields(&t) {
		out = append(out, f.key)
	}
	return out
}

// Load reads a theme file. Any error names the file, line and column, and the bad key when
// there is one; the caller falls back to the default theme.
func Load(path string) (*File, error) {
	// Opening a FIFO waits for a writer: anything but a regular file is refused unopened, and
	// a file over the cap unread.
	data, err := inputfile.Read(path, maxFileBytes, "a theme")
	var refused *inputfile.Error
	switch {
	case errors.Is(err, inputfile.ErrTooLarge):
		return nil, tooLarge(path)
	case errors.As(err, &refused):
		return nil, newFileError(path, 1, 1, "", refused.Msg+": give the path of a theme YAML file")
	case err != nil:
		return nil, safetext.Errorf("reading theme file: %w", err)
	}
	return Parse(path, data)
}

// maxFileBytes bounds a theme file, which is a few hundred bytes: the YAML parser's time grows
// faster than the file (1 MiB of "kN: v" lines took 23 s).
const maxFileBytes = 64 << 10

// maxNesting bounds how deep a theme file may nest to be parsed. A theme nests three deep
// (colors, a colour, light and dark); the YAML parser recurses once per level and needs memory
// that grows with the square of the depth (60 KB of "[" took 5 GB, 1 MiB ran out of memory),
// and neither a Go stack overflow nor running out of memory is a panic: either ends kockpit.
const maxNesting = 32

func tooLarge(path string) error {
	return newFileError(path, 1, 1, "",
		fmt.Sprintf("the file is larger than %d KiB, and a theme file is a few hundred bytes: kockpit did not parse it", maxFileBytes>>10))
}

// Parse reads a theme file's content; path is only for messages.
func Parse(path string, data []byte) (*File, error) {
	if len(data) > maxFileBytes {
		return nil, tooLarge(path)
	}
	if tok := yamlguard.TooDeep(data, maxNesting); tok != nil {
		return nil, errAt(path, tok, "", fmt.Sprintf("YAML nests more than %d levels deep here, and a theme nests three (colors, a colour, light and dark): kockpit did not parse it", maxNesting))
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, syntaxError(path, err)
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, newFileError(path, 1, 1, "", "empty theme file")
	}
	if len(f.Docs) > 1 {
		return nil, errAt(path, documentToken(f.Docs[0], f.Docs[1]), "", "a theme file holds one YAML document")
	}
	root, ok := f.Docs[0].Body.(ast.MapNode)
	if !ok {
		return nil, errAt(path, f.Docs[0].Body.GetToken(), "", "a theme file is a mapping: name, extends, colors, keys")
	}
	var name, description string
	var colors, keys ast.Node
	out := &File{Theme: Default()}
	it := root.MapRange()
	for it.Next() {
		k, v := keyOf(it.Key()), it.Value()
		switch k {
		case "name":
			name = scalar(v)
		case "description":
			description = scalar(v)
		case "extends":
			base, ok := Lookup(scalar(v))
			if !ok {
				return nil, errAt(path, v.GetToken(), k, fmt.Sprintf("extends: no built-in theme %q (one of %s)", scalar(v), strings.Join(Names(), ", ")))
			}
			out.Theme = base
		case "colors", "colours":
			colors = v
		case "keys":
			keys = v
		default:
			return nil, errAt(path, it.Key().GetToken(), k, fmt.Sprintf("unknown key %q (known: name, extends, description, colors, keys)", k))
		}
	}
	out.Theme.Name, out.Theme.Description = name, description
	if colors != nil {
		if err := parseColors(path, colors, &out.Theme); err != nil {
			return nil, err
		}
	}
	if keys != nil {
		specs, err := parseKeys(path, keys)
		if err != nil {
			return nil, err
		}
		out.Keys = specs
	}
	if out.Theme.Name == "" {
		out.Theme.Name = strings.TrimSuffix(baseName(path), ".yaml")
	}
	if out.Theme.Description == "" {
		out.Theme.Description = "from " + path
	}
	return out, nil
}

func parseColors(path string, n ast.Node, t *Theme) error {
	m, ok := n.(ast.MapNode)
	if !ok {
		return errAt(path, n.GetToken(), "colors", "colors: want a mapping of colour keys to colours")
	}
	fields := colorFields(t)
	it := m.MapRange()
	for it.Next() {
		k := keyOf(it.Key())
		i := slices.IndexFunc(fields, func(f struct {
			key string
			c   *Color
		}) bool {
			return f.key == k
		})
		if i < 0 {
			return errAt(path, it.Key().GetToken(), k, fmt.Sprintf("unknown colour %q (known: %s)", k, strings.Join(ColorKeys(), ", ")))
		}
		c, err := parseColorNode(path, k, it.Value())
		if err != nil {
			return err
		}
		*fields[i].c = c
	}
	return nil
}

// parseColorNode reads `"#rrggbb"`, an ANSI number, or `{light: ..., dark: ...}`.
func parseColorNode(path, key string, n ast.Node) (Color, error) {
	if _, null := n.(*ast.NullNode); null || n == nil {
		tok := n.GetToken()
		return Color{}, errAt(path, tok, key, fmt.Sprintf("%s: no colour; quote hex colours (%s: \"#ff8800\"), a bare # starts a YAML comment", key, key))
	}
	if m, ok := n.(ast.MapNode); ok {
		var c Color
		it := m.MapRange()
		for it.Next() {
			side := keyOf(it.Key())
			v, err := parseColor(scalar(it.Value()))
			if err != nil {
				return Color{}, errAt(path, it.Value().GetToken(), key, key+"."+side+": "+err.Error())
			}
			switch side {
			case "light":
				c.Light = v
			case "dark":
				c.Dark = v
			default:
				return Color{}, errAt(path, it.Key().GetToken(), key, fmt.Sprintf("%s: unknown key %q (known: light, dark)", key, side))
			}
		}
		if c.Light == nil || c.Dark == nil {
			return Color{}, errAt(path, n.GetToken(), key, key+": give both light and dark, or one colour for both")
		}
		return c, nil
	}
	v, err := parseColor(scalar(n))
	if err != nil {
		return Color{}, errAt(path, n.GetToken(), key, key+": "+err.Error())
	}
	return Color{Light: v, Dark: v}, nil
}

func parseKeys(path string, n ast.Node) ([]KeySpec, error) {
	m, ok := n.(ast.MapNode)
	if !ok {
		return nil, errAt(path, n.GetToken(), "keys", "keys: want a mapping of actions to keys")
	}
	var out []KeySpec
	it := m.MapRange()
	for it.Next() {
		k := keyOf(it.Key())
		tok := it.Key().GetToken()
		spec := KeySpec{Action: k, Path: path, Line: tok.Position.Line, Column: tok.Position.Column}
		switch v := it.Value().(type) {
		case *ast.SequenceNode:
			for _, e := range v.Values {
				spec.Keys = append(spec.Keys, scalar(e))
			}
		default:
			if s := scalar(v); s != "" {
				spec.Keys = []string{s}
			}
		}
		if len(spec.Keys) == 0 || slices.Contains(spec.Keys, "") {
			return nil, errAt(path, tok, k, fmt.Sprintf("keys.%s: want a key or a list of keys, e.g. [r, f5]", k))
		}
		out = append(out, spec)
	}
	return out, nil
}

func keyOf(k ast.MapKeyNode) string {
	if k == nil {
		return ""
	}
	return k.GetToken().Value
}

func scalar(n ast.Node) string {
	if n == nil {
		return ""
	}
	if _, null := n.(*ast.NullNode); null {
		return ""
	}
	return n.GetToken().Value
}

func errAt(path string, tok *token.Token, key, msg string) *FileError {
	line, col := 1, 1
	if tok != nil && tok.Position != nil {
		line, col = tok.Position.Line, tok.Position.Column
	}
	return newFileError(path, line, col, key, msg)
}

// documentToken is where the second document starts. goccy/go-yaml leaves Start nil when a
// document has no "---" of its own, and DocumentNode.GetToken then panics, so look inside.
func documentToken(first, second *ast.DocumentNode) *token.Token {
	switch {
	case second.Start != nil:
		return second.Start
	case second.Body != nil:
		return second.Body.GetToken()
	case first.End != nil:
		return first.End
	}
	return nil
}

// syntaxError turns a YAML parse error into a FileError at its line.
func syntaxError(path string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		return errAt(path, ye.GetToken(), "", "YAML: "+ye.GetMessage())
	}
	return safetext.Errorf("%s: %w", path, err)
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
