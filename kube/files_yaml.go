// YAML snapshot files: documents as nodes, their apiVersion, kind and items (aliases and merge
// keys resolved), and a node turned into the JSON the decoders read.

package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

func (l *loader) loadYAML() error {
	if c, ok := cutYAMLList(l.data); ok && !l.wholeYAML {
		if err := l.loadYAMLCut(c); err != errCutUnsafe {
			return err
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(l.data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return l.yamlSyntaxError(err)
		}
		root := documentContent(&n)
		if root == nil { // an empty document: "---" twice, or only comments
			continue
		}
		if key, first, second := yamlDuplicateKey(root, 0); second != nil {
			return l.errorAt(&docError{node: second}, &doc{node: root}, duplicateKeyMsg(key, first.Line), duplicateKeyFix)
		}
		d, err := yamlDoc(root, 0)
		if err != nil {
			return l.errorAt(err.(*docError), &doc{node: root}, err.Error(), "")
		}
		l.docs++
		if err := l.add(d); err != nil {
			return err
		}
	}
}

func documentContent(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil
	}
	c := resolveAlias(n.Content[0])
	if c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" {
		return nil
	}
	return c
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// yamlDoc reads apiVersion, kind and items from a mapping node; the rest is decoded later.
func yamlDoc(n *yaml.Node, depth int) (*doc, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &docError{node: n, msg: "expected an object with apiVersion and kind, found " + yamlNodeName(n)}
	}
	d := &doc{node: n}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])
		var err error
		switch {
		case key.ShortTag() == "!!merge":
			merges = append(merges, val)
		case key.Value == "kind":
			d.kind, err = yamlString(val, "kind")
		case key.Value == "apiVersion":
			d.apiVersion, err = yamlString(val, "apiVersion")
		case key.Value == "items":
			err = yamlItems(d, val, depth)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, m := range merges {
		mergeKind(d, m)
	}
	return d, nil
}

// mergeKind takes apiVersion and kind from the mappings of a merge key (`<<: *base`) where the
// object does not set them itself: go-yaml's decoding merges them into the object too.
func mergeKind(d *doc, n *yaml.Node) {
	maps := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		maps = n.Content
	}
	for _, m := range maps {
		m = resolveAlias(m)
		if m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			val := resolveAlias(m.Content[i+1])
			dst := map[string]*string{"kind": &d.kind, "apiVersion": &d.apiVersion}[m.Content[i].Value]
			if dst != nil && *dst == "" && val.Kind == yaml.ScalarNode && val.ShortTag() == "!!str" {
				*dst = val.Value
			}
		}
	}
}

func yamlString(n *yaml.Node, name string) (string, error) {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		return n.Value, nil
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return "", nil
	}
	return "", &docError{node: n, msg: name + " must be a string"}
}

func yamlItems(d *doc, n *yaml.Node, depth int) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.hasItems = true
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		// Not a list's items, unless the kind says it is a list: then an error.
		d.badItems = &docError{node: n, msg: "found " + yamlNodeName(n)}
		return nil
	}
	if depth >= maxListDepth {
		return &docError{node: n, msg: fmt.Sprintf("lists nested more than %d deep", maxListDepth)}
	}
	d.hasItems = true
	for _, c := range n.Content {
		c = resolveAlias(c)
		if c.Kind != yaml.MappingNode {
			d.itemsErr = &docError{node: c, msg: "found " + yamlNodeName(c)}
			return nil
		}
		it, err := yamlDoc(c, depth+1)
		if err != nil {
			return err
		}
		d.items = append(d.items, it)
	}
	return nil
}

// yamlNodeName says what a node is. A lone value is quoted only when it reads as words (text
// pasted into the file by mistake), and then redacted like any message: one word may be
// anything, a token among them, so it is named by its type, as jsonValueName does, and the
// error's line and column point at it.
func yamlNodeName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "an object"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "true or false"
		case "!!null":
			return "null"
		}
		if v := strings.TrimSpace(n.Value); strings.ContainsAny(v, " \t") && len(v) <= 80 {
			return fmt.Sprintf("%q", v)
		}
		return "a string"
	}
	return "an empty document"
}

// docJSON is the document as JSON, which the typed decoders read. A YAML node goes through
// go-yaml's own decoding, which resolves anchors, merge keys and tags and refuses alias bombs.
func (l *loader) docJSON(d *doc) ([]byte, error) {
	if d.raw != nil { // JSON's bytes, or a cut YAML item's nodes written as JSON
		return d.raw, nil
	}
	if d.node == nil {
		return d.raw, nil
	}
	var v any
	if err := d.node.Decode(&v); err != nil {
		return nil, l.yamlError(err, d.node.Line, "")
	}
	v, err := jsonCompatible(v)
	if err == nil {
		var raw []byte
		if raw, err = json.Marshal(v); err == nil {
			return raw, nil
		}
	}
	if path, n := yamlNotJSON(d.node, nil, 0); n != nil {
		return nil, l.errorAt(&docError{node: n}, d,
			fmt.Sprintf("%s: %s is not a number an object can hold (JSON, and so the API server, has no NaN or infinity)", pathText(path), n.Value),
			"write a number, or quote it to make it a string")
	}
	return nil, l.errorAt(nil, d, "cannot be written as JSON: "+strings.TrimPrefix(err.Error(), "json: "), "")
}

// jsonCompatible turns go-yaml's maps with non-string keys (`1: a`) into JSON objects.
func jsonCompatible(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[k] = c
		}
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []any:
		for i, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
	}
	return v, nil
}

// yamlDuplicateKey finds the first key set twice in one mapping under n, as JSON's check
// does (jsonDuplicateKey), so that both say the same at the second key's line and column.
// Keys are compared as written ("1" and 1 are one key once the object is JSON); merge keys
// (<<) may be overridden and are left out; aliases are not followed (their anchor is checked
// where it stands), so an alias bomb costs nothing here.
func yamlDuplicateKey(n *yaml.Node, depth int) (key string, first, second *yaml.Node) {
	if depth > maxYAMLCheckDepth {
		return "", nil, nil
	}
	if n.Kind == yaml.MappingNode {
		if key, first, second := duplicateInMapping(n); second != nil {
			return key, first, second
		}
	}
	if n.Kind == yaml.AliasNode {
		return "", nil, nil
	}
	for _, c := range n.Content {
		if key, first, second := yamlDuplicateKey(c, depth+1); second != nil {
			return key, first, second
		}
	}
	return "", nil, nil
}

// duplicateInMapping finds a key set twice in one mapping's own keys. Most mappings are small:
// they are searched in place, and only a large one gets a map.
func duplicateInMapping(n *yaml.Node) (key string, first, second *yaml.Node) {
	const small = 32
	var seen map[string]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			continue
		}
		if seen != nil {
			if prev, dup := seen[k.Value]; dup {
				return k.Value, prev, k
			}
			seen[k.Value] = k
			continue
		}
		for j := 0; j < i; j += 2 {
			prev := n.Content[j]
			if prev.Kind == yaml.ScalarNode && prev.Value == k.Value && prev.ShortTag() != "!!merge" {
				return k.Value, prev, k
			}
		}
		if i/2 >= small {
			seen = make(map[string]*yaml.Node, len(n.Content)/2)
			for j := 0; j <= i; j += 2 {
				if prev := n.Content[j]; prev.Kind == yaml.ScalarNode && prev.ShortTag() != "!!merge" {
					if _, dup := seen[prev.Value]; !dup {
						seen[prev.Value] = prev
					}
				}
			}
		}
	}
	return "", nil, nil
}

// maxYAMLCheckDepth bounds the recursion of the checks that walk a YAML node tree; go-yaml's
// own decoding refuses deeper documents.
const maxYAMLCheckDepth = 10000
