// JSON snapshot files: the walker that finds each object, its apiVersion, kind and items
// without decoding it.

package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	goruntime "runtime"
)

// jsonWalker steps through a JSON file's structure without decoding it: it reads apiVersion,
// kind and the items of lists, and keeps each object as a slice of the file, so a bad object's
// line is known. It skips values by matching brackets and leaves validation to the decoders,
// which check every object they decode: the file is scanned once before the typed decode.
type jsonWalker struct {
	data []byte
	pos  int
	// item, when set, is given each item of a top-level document as soon as it is walked.
	item func(*doc)
}

func (l *loader) loadJSON() error {
	w := &jsonWalker{data: l.data}
	for {
		early := l.decodeEarly()
		w.item = early.add
		d, err := w.object(0)
		early.wait()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return l.jsonError(err)
		}
		l.docs++
		if err := l.add(d); err != nil {
			return err
		}
	}
}

// earlyDecoder decodes a document's items while the walker is still reading the ones after
// them: kubectl writes a List's kind after its items, so only an item that names its own
// apiVersion and kind is decoded early, which is what planning it in any list gives. What it
// decodes is kept (or its error reported) in file order by addList, as every item is.
type earlyDecoder struct {
	l     *loader
	items chan *item
	wg    sync.WaitGroup
}

func (l *loader) decodeEarly() *earlyDecoder {
	return &earlyDecoder{l: l}
}

// anyList is the list an item that names its apiVersion and kind is planned in early.
var anyList = &doc{kind: "List"}

func (e *earlyDecoder) add(d *doc) {
	if d.apiVersion == "" || d.kind == "" {
		return
	}
	if e.items == nil { // the first item: the workers start
		e.items = make(chan *item, 256)
		for range goruntime.GOMAXPROCS(0) {
			e.wg.Go(func() {
				for it := range e.items {
					e.l.decodeItem(it)
				}
			})
		}
	}
	d.early = e.l.plan(d, anyList)
	e.items <- d.early
}

// wait returns once every item handed over is decoded.
func (e *earlyDecoder) wait() {
	if e.items != nil {
		close(e.items)
		e.wg.Wait()
	}
}

func (w *jsonWalker) skipSpace() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\r', '\n':
			w.pos++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (w *jsonWalker) peek() byte {
	w.skipSpace()
	if w.pos < len(w.data) {
		return w.data[w.pos]
	}
	return 0
}

func (w *jsonWalker) fail(msg string) error {
	if w.pos >= len(w.data) {
		return io.ErrUnexpectedEOF
	}
	return &docError{off: w.pos, msg: "JSON syntax error: " + msg}
}

// expect consumes one of the bytes, after white space, and says which.
func (w *jsonWalker) expect(what string, bs ...byte) (byte, error) {
	c := w.peek()
	if slices.Contains(bs, c) && c != 0 {
		w.pos++
		return c, nil
	}
	return 0, w.fail("expected " + what + ", found " + jsonValueName(c))
}

// object reads one object; io.EOF when the input has no more values at the top level.
func (w *jsonWalker) object(depth int) (*doc, error) {
	c := w.peek()
	if c == 0 && depth == 0 {
		return nil, io.EOF
	}
	if c != '{' {
		return nil, w.failObject(c)
	}
	d := &doc{off: w.pos}
	w.pos++
	if w.peek() == '}' {
		w.pos++
		d.raw = w.data[d.off:w.pos]
		return d, nil
	}
	var keys []string
	var offs []int
	for {
		w.skipSpace()
		at := w.pos
		key, err := w.member(d, depth)
		if err != nil {
			return nil, err
		}
		// The decoders find a key set twice inside what they decode; a list's own keys they
		// never see.
		if i := slices.Index(keys, key); i >= 0 {
			line, _ := lineCol(w.data, offs[i])
			return nil, &docError{off: at, msg: duplicateKeyMsg(key, line), fix: duplicateKeyFix}
		}
		keys, offs = append(keys, key), append(offs, at)
		c, err := w.expect("',' or '}'", ',', '}')
		if err != nil {
			return nil, err
		}
		if c == '}' {
			d.raw = w.data[d.off:w.pos]
			return d, nil
		}
	}
}

func (w *jsonWalker) failObject(c byte) error {
	if c == 0 {
		return io.ErrUnexpectedEOF
	}
	return &docError{off: w.pos, msg: "expected an object with apiVersion and kind, found " + w.valueDesc()}
}

func jsonValueName(c byte) string {
	switch c {
	case '[':
		return "a list"
	case '{':
		return "an object"
	case '"':
		return "a string"
	case 0:
		return "the end"
	}
	return strconv.QuoteRune(rune(c))
}

// member reads one member of an object and returns its key.
func (w *jsonWalker) member(d *doc, depth int) (string, error) {
	if w.peek() != '"' {
		return "", w.fail("expected a string key, found " + jsonValueName(w.peek()))
	}
	key, err := w.str()
	if err != nil {
		return "", err
	}
	if _, err := w.expect("':'", ':'); err != nil {
		return "", err
	}
	switch key {
	case "kind":
		return key, w.stringValue(&d.kind, "kind")
	case "apiVersion":
		return key, w.stringValue(&d.apiVersion, "apiVersion")
	case "items":
		switch w.peek() {
		case '[':
			d.hasItems = true
			return key, w.items(d, depth)
		case 'n': // "items": null, as kubectl writes an empty list
			d.hasItems = true
		default: // not a list's items, unless the kind says it is a list: then an error
			d.badItems = &docError{off: w.pos, msg: "found " + w.valueDesc()}
		}
	}
	start := w.pos
	if err := w.skipValue(); err != nil {
		return "", err
	}
	// A list's own members are never decoded, so never validated; keep them to check.
	d.unchecked = append(d.unchecked, [2]int{start, w.pos})
	return key, nil
}

// str reads a string; only strings with escapes need the JSON decoder.
func (w *jsonWalker) str() (string, error) {
	start := w.pos
	if err := w.skipString(); err != nil {
		return "", err
	}
	raw := w.data[start:w.pos]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		w.pos = start
		return "", w.fail("bad string: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	return s, nil
}

func (w *jsonWalker) stringValue(dst *string, name string) error {
	switch w.peek() {
	case '"':
		s, err := w.str()
		*dst = s
		return err
	case 'n': // "kind": null says no kind
		if bytes.HasPrefix(w.data[w.pos:], []byte("null")) {
			w.pos += len("null")
			return nil
		}
	}
	return &docError{off: w.pos, msg: name + " must be a string"}
}

// items reads a list's elements. An element that is not an object is an error only if the
// document turns out to be a list: kind comes after items in kubectl's sorted output.
func (w *jsonWalker) items(d *doc, depth int) error {
	if depth >= maxListDepth {
		return &docError{off: w.pos, msg: fmt.Sprintf("lists nested more than %d deep", maxListDepth)}
	}
	start := w.pos
	w.pos++ // '['
	if w.peek() == ']' {
		w.pos++
		return nil
	}
	for {
		if c := w.peek(); c != '{' {
			if c == 0 {
				return io.ErrUnexpectedEOF
			}
			d.itemsErr = &docError{off: w.pos, msg: "found " + w.valueDesc()}
			d.items = nil
			w.pos = start
			return w.skipValue()
		}
		it, err := w.object(depth + 1)
		if err != nil {
			return err
		}
		if depth == 0 && w.item != nil {
			w.item(it)
		}
		d.items = append(d.items, it)
		if c, err := w.expect("',' or ']'", ',', ']'); err != nil || c == ']' {
			return err
		}
	}
}

// valueDesc names the value at the current position for a message as YAML's yamlNodeName
// does, so that a wrong shape reads the same in both: "an object", "a list", "a number",
// "true or false", "null", "a string"; a string that reads as words is quoted, one word
// (which may be a token) is not. It does not move.
func (w *jsonWalker) valueDesc() string {
	start := w.pos
	defer func() { w.pos = start }()
	switch c := w.peek(); c {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		if s, err := w.str(); err == nil {
			if v := strings.TrimSpace(s); strings.ContainsAny(v, " \t") && len(v) <= 80 {
				return strconv.Quote(v)
			}
		}
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	case 0:
		return "the end"
	default:
		return jsonValueName(c)
	}
}

// skipValue steps over one value by its brackets and quotes, without validating it.
func (w *jsonWalker) skipValue() error {
	switch w.peek() {
	case 0:
		return io.ErrUnexpectedEOF
	case '"':
		return w.skipString()
	case '{', '[':
		return w.skipNested()
	}
	start := w.pos
	for w.pos < len(w.data) && !endsLiteral(w.data[w.pos]) {
		w.pos++
	}
	if w.pos == start {
		return w.fail("expected a value, found " + jsonValueName(w.data[w.pos]))
	}
	return nil
}

// endsLiteral: a number, true, false or null runs until one of these.
func endsLiteral(c byte) bool {
	switch c {
	case ',', ':', '}', ']', ' ', '\t', '\r', '\n', '{', '[', '"':
		return true
	}
	return false
}

// skipNested steps over an object or a list, matching each bracket with its kind: a list
// closed by '}' is an error where the '}' stands, not at the end of the file.
func (w *jsonWalker) skipNested() error {
	var stack [64]byte
	closers := stack[:0] // on the stack, unless the nesting is deeper
	for w.pos < len(w.data) {
		i := w.pos
		for i < len(w.data) && !jsonNesting[w.data[i]] {
			i++
		}
		if i == len(w.data) {
			break
		}
		w.pos = i
		switch c := w.data[w.pos]; c {
		case '"':
			if err := w.skipString(); err != nil {
				return err
			}
			continue
		case '{':
			closers = append(closers, '}')
		case '[':
			closers = append(closers, ']')
		default:
			if want := closers[len(closers)-1]; c != want {
				return w.fail(fmt.Sprintf("expected %q, found %q", want, c))
			}
			closers = closers[:len(closers)-1]
		}
		w.pos++
		if len(closers) == 0 {
			return nil
		}
	}
	w.pos = len(w.data)
	return io.ErrUnexpectedEOF
}

// jsonNesting are the bytes skipNested stops at: a table, as bytes.IndexAny builds one on
// every call, which cost more than the search on short runs.
var jsonNesting = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// skipString steps over a string, pos at its opening quote.
func (w *jsonWalker) skipString() error {
	i := w.pos + 1
	for {
		for i < len(w.data) && w.data[i] != '"' && w.data[i] != '\\' {
			i++
		}
		if i == len(w.data) {
			w.pos = len(w.data)
			return io.ErrUnexpectedEOF
		}
		if w.data[i] == '"' {
			w.pos = i + 1
			return nil
		}
		i += 2 // a backslash and the byte it escapes
		if i >= len(w.data) {
			w.pos = len(w.data)
			return io.ErrUnexpectedEOF
		}
	}
}

// checkUnchecked validates the members of a list that were stepped over, not decoded.
func (l *loader) checkUnchecked(d *doc) error {
	for _, span := range d.unchecked {
		v := l.data[span[0]:span[1]]
		if !json.Valid(v) {
			return l.jsonSyntaxError(span[0], json.Unmarshal(v, new(any)))
		}
		if err := l.jsonDuplicate(span[0], v); err != nil {
			return err
		}
	}
	return nil
}

// jsonDuplicate is the error for a key set twice in the JSON value v, at off in the file;
// nil when there is none.
func (l *loader) jsonDuplicate(off int, v []byte) error {
	key, first, second, dup := jsonDuplicateKey(v)
	if !dup {
		return nil
	}
	firstLine, _ := lineCol(l.data, off+first)
	line, col := lineCol(l.data, off+second)
	return newInputError(l.file, line, col, duplicateKeyMsg(key, firstLine), duplicateKeyFix)
}

// jsonDuplicateKey finds the first key of a JSON value that repeats a key of the same object,
// as go-yaml refuses in YAML: JSON decoders keep the last silently, so the file would not say
// what kockpit reads. It returns the key, the offsets of its first and second occurrence in
// data, and ok. data is valid JSON, or the decoders say where it is not.
func jsonDuplicateKey(data []byte) (key string, first, second int, ok bool) {
	type frame struct {
		object bool
		keys   [][]byte // the keys so far, as written (escapes resolved when they have any)
		offs   []int
		seen   map[string]int // past a few keys, a map
	}
	var stack []frame
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{':
			stack = append(stack, frame{object: true})
			expectKey = true
		case '[':
			stack = append(stack, frame{})
			expectKey = false
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
		case ':':
			expectKey = false
		case '"':
			start := i
			i++
			escaped := false
			for i < len(data) && data[i] != '"' {
				if data[i] == '\\' {
					escaped = true
					i++
				}
				i++
			}
			if !expectKey || len(stack) == 0 {
				continue
			}
			k := data[start+1 : min(i, len(data))]
			if escaped {
				var s string
				if json.Unmarshal(data[start:min(i+1, len(data))], &s) == nil {
					k = []byte(s)
				}
			}
			f := &stack[len(stack)-1]
			if f.seen != nil {
				if at, dup := f.seen[string(k)]; dup {
					return string(k), at, start, true
				}
				f.seen[string(k)] = start
				continue
			}
			for j, prev := range f.keys {
				if bytes.Equal(prev, k) {
					return string(k), f.offs[j], start, true
				}
			}
			f.keys, f.offs = append(f.keys, k), append(f.offs, start)
			if len(f.keys) > 16 {
				f.seen = make(map[string]int, 2*len(f.keys))
				for j, prev := range f.keys {
					f.seen[string(prev)] = f.offs[j]
				}
				f.keys, f.offs = nil, nil
			}
		}
	}
	return "", 0, 0, false
}
