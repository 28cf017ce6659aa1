// Big YAML lists, item by item: `kubectl get -A -o yaml` writes one List in block style, whose
// items the cutter finds by their lines and the workers parse and decode one at a time, so no
// node tree of the whole file is ever built and parsing runs on every CPU.

package kube

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	goruntime "runtime"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// yamlCut is a one-document file whose root mapping has `items:` at column 0 followed by a
// block sequence, cut textually: the skeleton (the file without the items' lines, the items
// key left null) and each item's bytes.
type yamlCut struct {
	skeleton  []byte
	itemsLine int // 1-based line of `items:`
	removed   int // lines of items cut out of the skeleton, after itemsLine
	items     []yamlSpan
}

// yamlSpan is one item: its bytes in the file and the 1-based line it starts on.
type yamlSpan struct {
	start, end, line int
}

// minCutItems is where cutting starts to pay: small files take the whole-document path, which
// every test of the YAML decoder covers.
const minCutItems = 64

// errCutUnsafe says the cut could not be proven to read the file as the whole-document parse
// does: the caller parses the file whole, which reports the file's errors as it always has.
var errCutUnsafe = errors.New("the list cannot be cut into items")

// cutYAMLList finds a big block-style list's items by their lines, or says no (ok false) when
// the file has anything that could make a line mean something else than it seems: several
// documents, directives, tabs where indentation is, items not at one indentation. Whatever it
// cannot see from lines (a quoted scalar or flow collection running over an item's first line,
// an alias to another item's anchor) leaves an item that does not parse alone, and the caller
// then falls back too.
func cutYAMLList(data []byte) (*yamlCut, bool) {
	if !plainLineBreaks(data) {
		return nil, false
	}
	c := &yamlCut{}
	var lc yamlLineCutter
	itemsEnd := -1 // byte offset where the items end, once they have
	var skel []byte
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		switch lc.next(data[pos:next]) {
		case lineUnsafe:
			return nil, false
		case lineItemsKey:
			c.itemsLine = lc.line
			skel = append(skel, data[:next]...)
		case lineItem:
			if len(c.items) > 0 {
				c.items[len(c.items)-1].end = pos
			}
			c.items = append(c.items, yamlSpan{start: pos, line: lc.line})
		case lineItemsEnd:
			c.items[len(c.items)-1].end = pos
			itemsEnd = pos
		}
		pos = next
	}
	if c.itemsLine == 0 || len(c.items) < minCutItems {
		return nil, false
	}
	if itemsEnd < 0 { // the items run to the end of the file
		c.items[len(c.items)-1].end = len(data)
		itemsEnd = len(data)
	}
	// Blank and comment lines between `items:` and the first item stay in the skeleton as
	// blank lines, so that the lines after the items move by the items' lines alone.
	c.removed = lineCount(data[c.items[0].start:itemsEnd])
	skel = append(skel, bytes.Repeat([]byte("\n"), c.items[0].line-c.itemsLine-1)...)
	c.skeleton = append(skel, data[itemsEnd:]...)
	return c, true
}

// yamlLineCutter says, line by line, what each line of a block-style List is: the cutter's
// rules, the same for a file in memory and a stream. Whatever could make a line mean something
// else than it seems (several documents, directives, tabs where indentation is, items not at
// one indentation) is lineUnsafe.
type yamlLineCutter struct {
	line        int // 1-based, of the last line given
	itemsLine   int // of `items:`, once seen
	indent      int // of the items' `- `, once the first is seen, plus one
	itemsEnded  bool
	seenContent bool
}

type lineRole int

const (
	lineRoot     lineRole = iota // a line of the root mapping (or blank) before or after the items
	lineItemsKey                 // `items:`
	lineBlank                    // blank or comment: belongs where it stands
	lineItem                     // the first line of an item
	lineInItem                   // a further line of an item
	lineItemsEnd                 // the first root line after the items
	lineUnsafe
)

func (c *yamlLineCutter) next(text []byte) lineRole {
	c.line++
	if !plainLineBreak(text) {
		return lineUnsafe
	}
	sp, first := lineIndent(text)
	switch {
	case first == 0 || first == '#':
		return lineBlank
	case c.itemsLine == 0 || c.itemsEnded: // the root mapping's own lines
		if (sp == 0 && !rootLineSafe(text, c.seenContent)) || first == '\t' {
			return lineUnsafe
		}
		c.seenContent = true
		if sp == 0 && c.itemsLine == 0 && isItemsKey(text) {
			c.itemsLine = c.line
			return lineItemsKey
		}
		return lineRoot
	case c.indent == 0: // the first line under items: the sequence's indentation
		if !isSeqEntry(text, sp) {
			return lineUnsafe
		}
		c.indent = sp + 1
		return lineItem
	case sp == c.indent-1 && isSeqEntry(text, sp):
		return lineItem
	case sp > c.indent-1 && first != '\t':
		return lineInItem
	case sp == 0 && first != '-': // the items end at the next key of the root mapping
		c.itemsEnded = true
		if !rootLineSafe(text, true) {
			return lineUnsafe
		}
		return lineItemsEnd
	}
	return lineUnsafe // a line between the root's indentation and the items', or a tab there
}

// plainLineBreak: a line has no line break but its last \n (or \r\n); see plainLineBreaks.
func plainLineBreak(text []byte) bool {
	if i := bytes.IndexByte(text, '\r'); i >= 0 && (i != len(text)-2 || text[i+1] != '\n') {
		return false
	}
	for _, b := range []string{"\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(text, []byte(b)) {
			return false
		}
	}
	return true
}

// plainLineBreaks: every line ends in \n (or \r\n). YAML also breaks lines at a lone \r,
// NEL, LS and PS, which would make its line numbers, and maybe its structure, differ from the
// cutter's.
func plainLineBreaks(data []byte) bool {
	for _, b := range []string{"\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(data, []byte(b)) {
			return false
		}
	}
	if bytes.IndexByte(data, '\r') < 0 {
		return true
	}
	return bytes.Count(data, []byte{'\r'}) == bytes.Count(data, []byte("\r\n"))
}

// lineCount is the number of lines the bytes start, a last line without newline included.
func lineCount(b []byte) int {
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// lineIndent is the number of leading spaces and the first other byte, 0 for a blank line.
func lineIndent(text []byte) (int, byte) {
	for i, c := range text {
		switch c {
		case ' ':
			continue
		case '\n', '\r':
			return i, 0
		}
		return i, c
	}
	return len(text), 0
}

// rootLineSafe: a line at column 0 outside the items is a plain key of the root mapping, or the
// one `---` that may open the file. A second document, a directive, a sequence, a flow
// collection, an explicit key, an anchor or a tag at the root: the whole-document path.
func rootLineSafe(text []byte, seenContent bool) bool {
	switch text[0] {
	case '-':
		if !seenContent && bytes.Equal(bytes.TrimRight(text, " \r\n"), []byte("---")) {
			return true
		}
		return false
	case '.', '%', '{', '[', '?', '&', '*', '!', '|', '>', '\t', '"', '\'', '@', '`':
		return false
	}
	return true
}

// isItemsKey: `items:` with nothing after it but a comment.
func isItemsKey(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("items:"))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '#'
}

// isSeqEntry: `- ` (or a lone `-`) at the indentation.
func isSeqEntry(text []byte, sp int) bool {
	if sp >= len(text) || text[sp] != '-' {
		return false
	}
	if sp+1 == len(text) {
		return true
	}
	switch text[sp+1] {
	case ' ', '\n', '\r':
		return true
	}
	return false
}

// loadYAMLCut loads a cut list. It returns errCutUnsafe, having kept nothing, when a part does
// not parse alone or holds a problem the whole-document path reports before decoding (a key
// set twice, an item that is not an object): that path then says what it always has, where.
func (l *loader) loadYAMLCut(c *yamlCut) error {
	d, it, err := l.cutSkeleton(c)
	if err != nil {
		return err
	}
	list := l.listDoc(d, it.apiVersion, it.kind)
	items, err := l.cutItems(c, list)
	if err != nil {
		return err
	}
	l.docs++
	for _, it := range items {
		if err := l.keep(it); err != nil {
			return err
		}
	}
	return nil
}

// cutSkeleton reads the skeleton of a cut list: its document and its plan, a list; anything
// else, or what the whole-document path would report, is errCutUnsafe.
func (l *loader) cutSkeleton(c *yamlCut) (*doc, *item, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(c.skeleton, &root); err != nil {
		return nil, nil, errCutUnsafe
	}
	shiftLines(&root, c.itemsLine, c.removed)
	top := documentContent(&root)
	if top == nil || top.Kind != yaml.MappingNode || !nullItemsAt(top, c.itemsLine) {
		return nil, nil, errCutUnsafe
	}
	if _, _, second := yamlDuplicateKey(top, 0); second != nil {
		return nil, nil, errCutUnsafe
	}
	d, err := yamlDoc(top, 0)
	if err != nil {
		return nil, nil, errCutUnsafe
	}
	it := l.plan(d, nil)
	if it.err != nil || !it.list {
		return nil, nil, errCutUnsafe
	}
	return d, it, nil
}

// nullItemsAt: the root's items key is the line the cutter saw, with no value of its own, so
// the cut lines were its items.
func nullItemsAt(top *yaml.Node, line int) bool {
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Value == "items" && k.Line == line && k.Column == 1 {
			return v.Kind == yaml.ScalarNode && v.Tag == "!!null" && v.Value == "" && v.Anchor == "" && v.Style == 0
		}
	}
	return false
}

// shiftLines moves the lines of nodes after line down by n: the skeleton's lines after the
// items, and an item's, parsed alone from its first line, to the file's.
func shiftLines(n *yaml.Node, after, by int) {
	if n.Line > after {
		n.Line += by
	}
	for _, c := range n.Content {
		shiftLines(c, after, by)
	}
}

// cutItems parses and decodes the items on every CPU. Each worker drops an item's nodes once
// its object is built; only a list item (a List in the List) keeps them, for keep to add its
// items.
func (l *loader) cutItems(c *yamlCut, list *doc) ([]*item, error) {
	items := make([]*item, len(c.items))
	var unsafe atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(goruntime.GOMAXPROCS(0), len(c.items)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(items) && !unsafe.Load(); i = int(next.Add(1)) - 1 {
				if i%1024 == 0 && l.ctx.Err() != nil {
					return
				}
				s := c.items[i]
				it, ok := l.cutItem(l.data[s.start:s.end], s.line, list)
				if !ok {
					unsafe.Store(true)
					return
				}
				items[i] = it
			}
		})
	}
	wg.Wait()
	if err := l.ctx.Err(); err != nil {
		return nil, fmt.Errorf("loading %s: %w", l.file, err)
	}
	if unsafe.Load() {
		return nil, errCutUnsafe
	}
	return items, nil
}

// jsonBuffers hold the JSON of one item at a time: the decoders copy what they keep.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// cutItem parses one item (its bytes, from the file's line) alone and decodes it; ok is false
// for whatever the whole-document path reports before decoding anything. Without its list
// (nil: a stream, before the List's kind is read), an item that does not name its apiVersion
// and kind is left undecoded, its item nil.
func (l *loader) cutItem(raw []byte, line int, list *doc) (*item, bool) {
	if it, ok := l.fastCutItem(raw, list); ok {
		return it, true
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, false
	}
	seq := documentContent(&root)
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) != 1 {
		return nil, false
	}
	shiftLines(seq, 0, line-1)
	n := resolveAlias(seq.Content[0])
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	if _, _, second := yamlDuplicateKey(n, 2); second != nil {
		return nil, false
	}
	d, err := yamlDoc(n, 1)
	if err != nil {
		return nil, false
	}
	if list == nil {
		if d.apiVersion == "" || d.kind == "" {
			return nil, true
		}
		list = anyList
	}
	it := l.plan(d, list)
	decodes := it.err == nil && !it.list && !it.gvk.Empty()
	buf := jsonBuffers.Get().(*[]byte)
	defer jsonBuffers.Put(buf)
	if raw, ok := nodeJSON((*buf)[:0], n, 0); ok && decodes {
		*buf = raw // grown, for the next item
		d.raw = raw
		l.decodeItem(it)
		d.raw = nil
		if it.err != nil { // decoded again the usual way, which says what it always has
			it.obj, it.err, it.decoded = nil, nil, false
		}
	}
	if it.obj == nil {
		l.decodeItem(it)
	}
	if !it.list && it.err == nil {
		d.node = nil // the object is built: its nodes can go
	}
	return it, true
}

// fastCutItem decodes an item through its JSON as fastYAMLItem writes it. It says what cutItem
// says (an item, or none for one that waits for its list's kind) where it can (ok); an item it
// does not take, or that does not decode (a list, a header, an error), is for cutItem to read
// through go-yaml and word as it always has.
func (l *loader) fastCutItem(raw []byte, list *doc) (it *item, ok bool) {
	if l.referenceDecode {
		return nil, false
	}
	buf := jsonBuffers.Get().(*[]byte)
	defer jsonBuffers.Put(buf)
	js, apiVersion, kind, ok := fastYAMLItem((*buf)[:0], raw)
	*buf = js // grown, for the next item
	switch {
	case !ok:
		return nil, false
	case list == nil && (apiVersion == "" || kind == ""):
		return nil, true
	}
	d := &doc{apiVersion: apiVersion, kind: kind, raw: js}
	it = l.plan(d, cmp.Or(list, anyList))
	if it.err != nil || it.list || it.gvk.Empty() || isHeader(it.gvk.GroupKind()) {
		return nil, false
	}
	l.decodeItem(it)
	d.raw = nil // the buffer is the next item's
	if it.err != nil || it.obj == nil {
		return nil, false
	}
	return it, true
}
