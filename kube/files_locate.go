// Locating a problem inside a document when the decoder does not say where: a path of keys
// and list indices, its place in a YAML node tree or a JSON file, and the search for the value
// a typed decoder refused (a time, a quantity) by decoding the document's values one by one.

package kube

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"
)

// step is one step of a path into a document: a key, or an index into a list.
type step struct {
	key   string
	index int // -1 for a key
}

// pathText writes a path as kubectl explain and JSONPath do: spec.containers[0].image.
func pathText(path []step) string {
	var b strings.Builder
	for _, s := range path {
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

func keyPath(keys ...string) []step {
	out := make([]step, len(keys))
	for i, k := range keys {
		out[i] = step{key: k, index: -1}
	}
	return out
}

// errorAtPath makes an InputError at the value a path names in the document, or at the
// deepest part of the path that exists.
func (l *loader) errorAtPath(d *doc, path []step, msg, fix string) error {
	if d.node != nil {
		return l.errorAt(&docError{node: yamlNodeAt(d.node, path)}, d, msg, fix)
	}
	return l.errorAt(&docError{off: d.off + jsonOffsetAt(d.raw, path)}, d, msg, fix)
}

// yamlNodeAt follows a path through mappings and sequences, aliases resolved.
func yamlNodeAt(n *yaml.Node, path []step) *yaml.Node {
	for _, s := range path {
		var next *yaml.Node
		switch {
		case n.Kind == yaml.MappingNode && s.index < 0:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == s.key {
					next = resolveAlias(n.Content[i+1])
				}
			}
		case n.Kind == yaml.SequenceNode && s.index >= 0 && s.index < len(n.Content):
			next = resolveAlias(n.Content[s.index])
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// jsonOffsetAt is the offset in data (one JSON value) of the value a path names, or of the
// deepest part of it that exists.
func jsonOffsetAt(data []byte, path []step) int {
	w := &jsonWalker{data: data}
	for _, s := range path {
		w.skipSpace()
		at := w.pos
		found := false
		switch w.peek() {
		case '{':
			w.pos++
			for w.peek() == '"' && !found {
				k, err := w.str()
				if err != nil {
					return at
				}
				if _, err := w.expect("':'", ':'); err != nil {
					return at
				}
				w.skipSpace()
				if s.index < 0 && k == s.key {
					found = true
					break
				}
				if w.skipValue() != nil {
					return at
				}
				if c, err := w.expect("',' or '}'", ',', '}'); err != nil || c == '}' {
					return at
				}
			}
		case '[':
			w.pos++
			for i := 0; w.peek() != ']' && w.peek() != 0; i++ {
				w.skipSpace()
				if i == s.index {
					found = true
					break
				}
				if w.skipValue() != nil {
					return at
				}
				if c, err := w.expect("',' or ']'", ',', ']'); err != nil || c == ']' {
					return at
				}
			}
		}
		if !found {
			return at
		}
	}
	w.skipSpace()
	return w.pos
}

// jsonTree is a JSON value with the places of its parts, in document order: what the search
// for a refused value walks.
type jsonTree struct {
	start, end int
	keys       []string // an object's keys; nil for a list
	kids       []*jsonTree
	container  bool
}

func parseJSONTree(w *jsonWalker, depth int) (*jsonTree, error) {
	w.skipSpace()
	t := &jsonTree{start: w.pos}
	if depth > 10000 {
		return nil, w.fail("nested too deep")
	}
	switch w.peek() {
	case '{':
		t.container, t.keys = true, []string{}
		w.pos++
		for w.peek() != '}' {
			k, err := w.str()
			if err != nil {
				return nil, err
			}
			if _, err := w.expect("':'", ':'); err != nil {
				return nil, err
			}
			kid, err := parseJSONTree(w, depth+1)
			if err != nil {
				return nil, err
			}
			t.keys, t.kids = append(t.keys, k), append(t.kids, kid)
			if c, err := w.expect("',' or '}'", ',', '}'); err != nil {
				return nil, err
			} else if c == '}' {
				w.pos--
			}
		}
		w.pos++
	case '[':
		t.container = true
		w.pos++
		for w.peek() != ']' {
			kid, err := parseJSONTree(w, depth+1)
			if err != nil {
				return nil, err
			}
			t.kids = append(t.kids, kid)
			if c, err := w.expect("',' or ']'", ',', ']'); err != nil {
				return nil, err
			} else if c == ']' {
				w.pos--
			}
		}
		w.pos++
	default:
		if err := w.skipValue(); err != nil {
			return nil, err
		}
	}
	t.end = w.pos
	return t, nil
}

// refusedValue finds, in a document a typed decoder refused without saying where (a time or a
// quantity that does not parse), the value it refused: for each part in document order, it
// decodes a document holding only that part and the path to it, and goes down into the first
// part refused until no smaller part is. Rare error path: a few decodes per level.
func refusedValue(raw []byte, newObj func() any) ([]step, *jsonTree, bool) {
	root, err := parseJSONTree(&jsonWalker{data: raw}, 0)
	if err != nil || !root.container {
		return nil, nil, false
	}
	refused := func(path []step, value []byte) bool {
		obj := newObj()
		if obj == nil {
			return false
		}
		return sigsjson.UnmarshalCaseSensitivePreserveInts(skeleton(path, value), obj) != nil
	}
	var path []step
	t := root
	for {
		var next *jsonTree
		for i, kid := range t.kids {
			s := step{index: i}
			if t.keys != nil {
				s = step{key: t.keys[i], index: -1}
			}
			if refused(append(path, s), raw[kid.start:kid.end]) {
				path, next = append(path, s), kid
				break
			}
		}
		if next == nil {
			return path, t, len(path) > 0
		}
		// A list or object refused even empty is itself the wrong shape (labels that are a
		// list): its parts fail only for being in it.
		if next.container && refused(path, emptyLike(raw[next.start])) {
			return path, next, true
		}
		t = next
	}
}

// emptyLike is an empty list or object, as the container starting with open.
func emptyLike(open byte) []byte {
	if open == '[' {
		return []byte("[]")
	}
	return []byte("{}")
}

// skeleton writes a document holding only value, at path.
func skeleton(path []step, value []byte) []byte {
	var b []byte
	for _, s := range path {
		if s.index >= 0 {
			b = append(b, '[')
			continue
		}
		b = append(b, '{')
		b = strconv.AppendQuote(b, s.key)
		b = append(b, ':')
	}
	b = append(b, value...)
	for i := len(path) - 1; i >= 0; i-- {
		if path[i].index >= 0 {
			b = append(b, ']')
		} else {
			b = append(b, '}')
		}
	}
	return b
}

// yamlNotJSON finds a value of a YAML document that JSON cannot carry: a float that is not a
// number or is infinite (.nan, .inf). Aliases are not followed: their anchor is found where it
// stands.
func yamlNotJSON(n *yaml.Node, path []step, depth int) ([]step, *yaml.Node) {
	if depth > maxYAMLCheckDepth {
		return nil, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!float" {
			var f float64
			if n.Decode(&f) == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
				return path, n
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if p, bad := yamlNotJSON(n.Content[i+1], append(path, step{key: n.Content[i].Value, index: -1}), depth+1); bad != nil {
				return p, bad
			}
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for i, c := range n.Content {
			if p, bad := yamlNotJSON(c, append(path, step{index: i}), depth+1); bad != nil {
				return p, bad
			}
		}
	}
	return nil, nil
}
