// A YAML item's nodes written straight as JSON for the typed decoders, for the values whose
// JSON is their text: the cut path's shortcut past go-yaml's decoding into maps and
// encoding/json's encoding of them.

package kube

import (
	"regexp"

	"go.yaml.in/yaml/v3"
)

// plainInt is an integer whose YAML and JSON texts are the same. Others (012, 0x1f, +1, 1_000,
// -0, beyond int64) go through go-yaml's decoding, which knows what they mean.
var plainInt = regexp.MustCompile(`^(?:0|-?[1-9][0-9]{0,17})$`)

// nodeJSON appends the JSON of a node to buf, or says no (ok false) for what needs go-yaml's
// decoding to mean what it means: aliases, merge keys, keys that are not strings, floats,
// timestamps, binary, custom tags, booleans and integers written other than as JSON writes them.
func nodeJSON(buf []byte, n *yaml.Node, depth int) ([]byte, bool) {
	if depth > maxYAMLCheckDepth {
		return buf, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		buf = append(buf, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return buf, false
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, k.Value)
			buf = append(buf, ':')
			var ok bool
			if buf, ok = nodeJSON(buf, n.Content[i+1], depth+1); !ok {
				return buf, false
			}
		}
		return append(buf, '}'), true
	case yaml.SequenceNode:
		buf = append(buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = nodeJSON(buf, c, depth+1); !ok {
				return buf, false
			}
		}
		return append(buf, ']'), true
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return appendJSONString(buf, n.Value), true
		case "!!null":
			return append(buf, "null"...), true
		case "!!bool":
			if n.Value == "true" || n.Value == "false" {
				return append(buf, n.Value...), true
			}
		case "!!int":
			if plainInt.MatchString(n.Value) {
				return append(buf, n.Value...), true
			}
		}
	}
	return buf, false
}

// appendJSONString quotes s for JSON. Bytes that are not UTF-8 stay as they are: the decoder
// reads them as U+FFFD, as it reads encoding/json's escape for them.
func appendJSONString[T string | []byte](buf []byte, s T) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
