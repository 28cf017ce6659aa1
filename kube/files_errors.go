// Errors in snapshot files: InputError (file, line, column, message and fix), and finding the
// place of a problem: a byte offset or YAML node, a decoder's syntax error, a bad field's path.

package kube

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"

	"github.com/kockpit/kockpit/safetext"
)

// InputError is malformed snapshot input, located as precisely as the input allows.
type InputError struct {
	File   string
	Line   int // 1-based; 0 when the error is about the whole file
	Column int // 1-based, in characters; 0 when unknown
	Msg    string
	Fix    string
}

// newInputError makes an InputError whose parts are safe to print as they are: the file name
// and the message quote input (a name from a directory, an apiVersion, a value the decoder
// choked on), so they go through safetext.Message, which redacts credentials and shows
// control, bidi and look-alike characters. Every InputError is made here.
func newInputError(file string, line, column int, msg, fix string) *InputError {
	return &InputError{File: safetext.Message(file), Line: line, Column: column,
		Msg: safetext.Message(msg), Fix: safetext.Message(fix)}
}

// Error formats FILE:LINE:COL: MSG (fix: FIX), leaving out the parts that are not known. The
// parts are made safe again, for an InputError built by hand.
func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(safetext.Message(e.File) + ":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line) + ":")
		if e.Column > 0 {
			b.WriteString(strconv.Itoa(e.Column) + ":")
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(safetext.Message(e.Msg))
	if e.Fix != "" {
		b.WriteString(" (fix: " + safetext.Message(e.Fix) + ")")
	}
	return b.String()
}

// duplicateKeyMsg says a key is set twice in one object, the same in YAML and JSON: go-yaml
// refuses it, JSON decoders keep the last, kubectl's strict validation refuses it.
func duplicateKeyMsg(key string, firstLine int) string {
	return fmt.Sprintf("key %q is set twice in one object (first at line %d): only one of them would count", key, firstLine)
}

const duplicateKeyFix = "remove one of them"

// docError is a problem at a place in the file: a byte offset (JSON) or a node (YAML).
type docError struct {
	off  int
	node *yaml.Node
	msg  string
	fix  string
}

func (e *docError) Error() string { return e.msg }

// fieldError explains a typed decoding failure. The codecs' JSON library does not say where the
// bad field is, so the standard library decodes again, on this rare path, to find its path.
func (l *loader) fieldError(d *doc, raw []byte, gvk schema.GroupVersionKind, err error) error {
	return l.decodeError(d, raw, gvk, func() any {
		obj, _ := scheme.Scheme.New(gvk)
		return obj
	}, err)
}

// decodeError explains why raw did not decode into what newObj makes, at the refused value.
func (l *loader) decodeError(d *doc, raw []byte, gvk schema.GroupVersionKind, newObj func() any, err error) error {
	if se := l.jsonSyntaxError(d.off, err); se != nil {
		return se
	}
	what := gvk.Kind + " " + docName(raw)
	obj := newObj()
	var te *json.UnmarshalTypeError
	if !errors.As(json.Unmarshal(raw, obj), &te) || te.Field == "" {
		// A value its type's own decoder refused (a time, a quantity): the error does not say
		// which, so find it.
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if path, _, ok := refusedValue(raw, newObj); ok {
			return l.errorAtPath(d, path, what+": "+pathText(path)+": "+msg, valueFix(gvk, path))
		}
		return l.errorAt(nil, d, what+": "+msg, "")
	}
	msg := fmt.Sprintf("%s: %s must be %s, not %s", what, te.Field, jsonTypeName(te.Type), te.Value)
	fix := fmt.Sprintf("`kubectl explain %s.%s` shows the field's type", strings.ToLower(gvk.Kind), te.Field)
	// The field's path says no list index, and the decoder's offset is past the value: the
	// refused value's place says where it starts, the same in YAML and JSON.
	if path, _, ok := refusedValue(raw, newObj); ok {
		return l.errorAtPath(d, path, msg, fix)
	}
	at := &docError{off: d.off + int(te.Offset), node: fieldNode(d.node, te.Field)}
	return l.errorAt(at, d, msg, fix)
}

// valueFix says how to write a value its type refused.
func valueFix(gvk schema.GroupVersionKind, path []step) string {
	var keys []string
	for _, s := range path {
		if s.index < 0 {
			keys = append(keys, s.key)
		}
	}
	return fmt.Sprintf("`kubectl explain %s.%s` says what the field holds", strings.ToLower(gvk.Kind), strings.Join(keys, "."))
}

// docName is "namespace/name" from an object's metadata, for messages.
func docName(raw []byte) string {
	var o struct {
		Metadata struct{ Name, Namespace string }
	}
	_ = json.Unmarshal(raw, &o)
	name := cmp.Or(o.Metadata.Name, "(no name)")
	if o.Metadata.Namespace != "" {
		name = o.Metadata.Namespace + "/" + name
	}
	return strconv.Quote(name)
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return "a " + t.String()
}

// errorAt makes an InputError at the problem's place, or at the document's when at is nil.
func (l *loader) errorAt(at *docError, d *doc, msg, fix string) error {
	off, node := d.off, d.node
	if at != nil && (at.node != nil || d.node == nil) {
		off, node = at.off, at.node
	}
	line, col := lineCol(l.data, off)
	if node != nil {
		line, col = node.Line, node.Column
	}
	return newInputError(l.file, line, col, msg, fix)
}

// lineCol turns a byte offset into a 1-based line and column (in characters).
func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return bytes.Count(data[:off], []byte{'\n'}) + 1, utf8.RuneCount(data[start:off]) + 1
}

func (l *loader) jsonError(err error) error {
	var de *docError
	switch {
	case errors.As(err, &de):
		line, col := lineCol(l.data, de.off)
		return newInputError(l.file, line, col, de.msg, de.fix)
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(l.data, len(l.data))
		return newInputError(l.file, line, col, "JSON ends in the middle of a value", "the file is truncated: export it again")
	}
	return newInputError(l.file, 0, 0, "JSON: "+err.Error(), "")
}

// jsonSyntaxError locates a decoder's syntax error in an object that starts at off.
func (l *loader) jsonSyntaxError(off int, err error) error {
	ok, at := sigsjson.SyntaxErrorOffset(err)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		ok, at = true, se.Offset
	}
	if !ok {
		return nil
	}
	line, col := lineCol(l.data, off+int(at)-1)
	return newInputError(l.file, line, col, "JSON syntax error: "+strings.TrimPrefix(err.Error(), "json: "), "")
}

// yamlLine finds the line in a go-yaml error: "yaml: line 3: did not find expected key".
var yamlLine = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:\s*)?line (\d+): (.*)$`)

// yamlError makes an InputError of a go-yaml error, at its line when it has one.
func (l *loader) yamlError(err error, line int, prefix string) error {
	line, msg := yamlProblem(err, line)
	return newInputError(l.file, line, 0, prefix+msg, "")
}

// yamlProblem is a go-yaml error's problem, as go-yaml words it (with what it quotes of the
// input raw), and its line when it says one.
func yamlProblem(err error, line int) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	return line, msg
}

// yamlSyntaxError locates a syntax error. go-yaml v3 reports parser errors ("did not find
// expected key", the usual bad indentation) at a 0-based line, of the enclosing block when it
// knows one; go-yaml v2 reports the 0-based line of the offending token, so on this rare path v2
// parses again to say where. Scanner errors v3 already reports 1-based.
func (l *loader) yamlSyntaxError(err error) error {
	line, problem := yamlProblem(err, 0)
	col := 0
	if m := unknownAnchor.FindStringSubmatch(problem); m != nil {
		// go-yaml does not say where; the first use of the alias is where to look.
		if i := bytes.Index(l.data, []byte("*"+m[1])); i >= 0 {
			line, col = lineCol(l.data, i)
		}
	} else if yamlParserErrors[problem] {
		line = l.yamlV2Line(problem, line+1)
	}
	return newInputError(l.file, line, col, "YAML syntax error: "+problem, "")
}

// yamlV2Line is the line go-yaml v2 gives the problem at, or line when it gives none.
func (l *loader) yamlV2Line(problem string, line int) int {
	dec := yamlv2.NewDecoder(bytes.NewReader(l.data))
	for {
		var v any
		err := dec.Decode(&v)
		if err == nil {
			continue
		}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil && m[2] == problem {
			n, _ := strconv.Atoi(m[1])
			line = n + 1
		}
		return line
	}
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlParserErrors are the problems libyaml's parser (not its scanner) reports.
var yamlParserErrors = map[string]bool{
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected <document start>": true,
	"found incompatible YAML document":       true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found undefined tag handle":             true,
}

// fieldNode finds the node of a field path ("spec.containers") in a YAML object, for the line
// of a bad field; at a list it stops, as the path does not say which element.
func fieldNode(n *yaml.Node, path string) *yaml.Node {
	if n == nil {
		return nil
	}
	for _, name := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			return n
		}
		next := (*yaml.Node)(nil)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				next = resolveAlias(n.Content[i+1])
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}
