// Package yamlguard keeps kockpit's own YAML files (themes, workshop scenarios) from making the
// YAML parser recurse without bound: goccy/go-yaml recurses once per nesting level and needs
// memory that grows with the square of the depth, and neither a Go stack overflow nor running
// out of memory is a panic that could be recovered.
package yamlguard

import (
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// TooDeep is the token where the YAML first nests deeper than limit, or nil. The lexer does
// not recurse. Depth is counted as the open flow collections ("[", "{") plus, outside them, the
// block indicators ("- ", "? ", ": ") on the token's line: "- - - x" nests three deep on one
// line. Nesting by indentation is not counted: the parser copes with it, and the callers' size
// bounds keep it to a few thousand levels.
func TooDeep(data []byte, limit int) *token.Token {
	flow, block, line := 0, 0, -1
	for _, tk := range lexer.Tokenize(string(data)) {
		if tk.Position != nil && tk.Position.Line != line {
			block, line = 0, tk.Position.Line
		}
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0)
		case token.SequenceEntryType, token.MappingKeyType, token.MappingValueType:
			if flow == 0 {
				block++
			}
		}
		if flow+block > limit {
			return tk
		}
	}
	return nil
}
