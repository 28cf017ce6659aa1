// The fast YAML item: an item of a List as `kubectl get -o yaml` writes it (block mappings and
// sequences; plain, quoted and literal scalars, long strings wrapped over lines) written
// straight as JSON, without go-yaml's tokens, events and nodes, which are two thirds of a big
// YAML snapshot's load. It takes only text whose meaning it knows exactly: anything else
// (comments, anchors, tags, flow collections but `{}` and `[]`, folded `>` scalars, blank
// lines in a scalar, tabs, non-ASCII bytes, a key set twice, a scalar go-yaml resolves to other
// than a string, null, true, false or a plain integer) is go-yaml's, as before. What it writes
// is byte for byte what nodeJSON writes from go-yaml's nodes (FuzzFastYAMLItem).

package kube

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxFastYAMLDepth: deeper items are go-yaml's (nodeJSON's own bound is larger).
const maxFastYAMLDepth = 100

// maxFastYAMLKey: go-yaml refuses an implicit key whose text (quotes and escapes included)
// runs past 1024 characters.
const maxFastYAMLKey = 1000

// fastYAML reads one item's lines. pos is the start of the current line, end its end (its
// line break, or the end of the text), indent its leading spaces.
type fastYAML struct {
	src        []byte
	out        []byte
	pos, end   int
	indent     int
	apiVersion string
	kind       string
	keys       [][]byte // the keys read so far in each open mapping, innermost last: to refuse one set twice
	scratch    []byte   // a quoted scalar's text as it is read
}

// fastYAMLItem writes the JSON of the mapping that is the one entry of raw (`- key: ...` and
// its lines) into out, and says the entry's apiVersion and kind ("" where it names none); ok is
// false for anything it does not take, which includes an entry that holds items.
func fastYAMLItem(out, raw []byte) (_ []byte, apiVersion, kind string, ok bool) {
	if !plainASCII(raw) {
		return out, "", "", false
	}
	p := &fastYAML{src: raw, out: out}
	p.setLine(0)
	// The entry: `- ` at the line's indent, then a mapping starting on the same line.
	s := p.indent
	col := s + 1
	if p.at(s) != '-' || p.at(col) != ' ' {
		return out, "", "", false
	}
	for p.at(col) == ' ' {
		col++
	}
	if !p.keyAt(col) || !p.mapping(col, 0, true) || p.pos < len(p.src) {
		return p.out, "", "", false // grown: the caller's buffer for the next item
	}
	return p.out, p.apiVersion, p.kind, true
}

// plainASCII: printable ASCII and line breaks, without tabs and carriage returns.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\n') || c >= 0x7F {
			return false
		}
	}
	return true
}

// setLine makes the line starting at pos current.
func (p *fastYAML) setLine(pos int) {
	p.pos = pos
	if i := bytes.IndexByte(p.src[pos:], '\n'); i >= 0 {
		p.end = pos + i
	} else {
		p.end = len(p.src)
	}
	p.indent = 0
	for pos+p.indent < p.end && p.src[pos+p.indent] == ' ' {
		p.indent++
	}
}

// nextLine moves to the next line, or to the end of the text (pos == len(src)).
func (p *fastYAML) nextLine() {
	if p.end >= len(p.src) {
		p.pos, p.end, p.indent = len(p.src), len(p.src), 0
		return
	}
	p.setLine(p.end + 1)
}

func (p *fastYAML) eof() bool { return p.pos >= len(p.src) }

// blank: the current line holds nothing but spaces.
func (p *fastYAML) blank() bool { return p.pos+p.indent == p.end }

// at is the byte at column col of the current line, 0 past its end.
func (p *fastYAML) at(col int) byte {
	if p.pos+col < p.end {
		return p.src[p.pos+col]
	}
	return 0
}

// text is the current line from column col on.
func (p *fastYAML) text(col int) []byte { return p.src[p.pos+col : p.end] }

// seqEntry: the current line is `- ` at column col.
func (p *fastYAML) seqEntry(col int) bool {
	return p.indent == col && p.at(col) == '-' && p.at(col+1) == ' '
}

// keyAt: a key (plain or quoted, then `:` and a space or the line's end) starts at col.
func (p *fastYAML) keyAt(col int) bool {
	_, n, ok := p.key(p.text(col))
	return ok && n > 0
}

// key reads a key at the start of t; n is its length up to and with its colon. A plain key
// is t's own bytes.
func (p *fastYAML) key(t []byte) (key []byte, n int, ok bool) {
	if len(t) == 0 {
		return nil, 0, false
	}
	switch t[0] {
	case '\'', '"':
		k, m, ok := p.quoted(t)
		if !ok || m >= len(t) || t[m] != ':' || (m+1 < len(t) && t[m+1] != ' ') || m > maxFastYAMLKey {
			return nil, 0, false
		}
		return []byte(k), m + 1, true
	}
	i := colonSpace(t)
	if i <= 0 || i > maxFastYAMLKey {
		return nil, 0, false
	}
	k := t[:i]
	if !plainStart(k) || plainTag(k) != "!!str" {
		return nil, 0, false
	}
	return k, i + 1, true
}

// colonSpace is the index of the first `:` followed by a space or the end of t; -1 for none.
func colonSpace(t []byte) int {
	for i := 0; i < len(t); i++ {
		if t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ') {
			return i
		}
	}
	return -1
}

// plainStart: t can be a plain scalar in a block (YAML 1.2 with libyaml's reading): it does not
// start with an indicator, does not hold `: ` or ` #`, and ends in neither a space nor a colon.
func plainStart(t []byte) bool {
	if len(t) == 0 {
		return false
	}
	switch t[0] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		return false
	case '-':
		if len(t) == 1 || t[1] == ' ' {
			return false
		}
	}
	if t[len(t)-1] == ' ' || t[len(t)-1] == ':' {
		return false
	}
	return !bytes.Contains(t, []byte(": ")) && !bytes.Contains(t, []byte(" #"))
}

// plainTag is the tag go-yaml resolves a plain scalar to. What cannot be anything but a string
// is said here; the rest is go-yaml's own resolution (FuzzPlainTag checks the two agree).
func plainTag(t []byte) string {
	switch c := t[0]; {
	case c >= 'a' && c <= 'z' && c != 'y' && c != 'n' && c != 't' && c != 'f' && c != 'o',
		c >= 'A' && c <= 'Z' && c != 'Y' && c != 'N' && c != 'T' && c != 'F' && c != 'O',
		c == '/' || c == '_':
		return "!!str" // no other resolution starts so
	case c >= '0' && c <= '9' || (c == '-' || c == '+') && !(len(t) > 1 && t[1] == '.'): // not ±.inf
		if plainIntBytes(t) {
			return "!!int"
		}
		if notNumberOrTime(t) {
			return "!!str"
		}
	}
	n := yaml.Node{Kind: yaml.ScalarNode, Value: string(t)}
	return n.ShortTag()
}

// plainIntBytes is plainInt's test without the regexp: 0, or an optional minus and up to 18
// digits not led by 0.
func plainIntBytes(t []byte) bool {
	d := t
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && (len(d) > 1 || len(t) > 1)) {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// notNumberOrTime: a scalar led by a digit or a sign that go-yaml cannot read as a number or a
// timestamp: it holds a byte that no integer, float (base 2, 8, 10 or 16, underscores) or
// time.Parse's reading of a timestamp (`,` before fractional seconds too) has, as in `100m` or
// `128Mi`, or it is digits and two dots or more (an IP address).
func notNumberOrTime(t []byte) bool {
	dots, other := 0, false
	for _, c := range t {
		switch {
		case c >= '0' && c <= '9':
		case c == '.':
			dots++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == 'x', c == 'X', c == 'o', c == 'O',
			c == 't', c == 'T', c == 'z', c == 'Z', c == '+', c == '-', c == '_', c == ':', c == ' ', c == ',':
			other = true
		default:
			return true
		}
	}
	return !other && dots >= 2
}

// quoted reads a single- or double-quoted scalar that ends on its line; n is its length with
// its quotes.
func (p *fastYAML) quoted(t []byte) (s string, n int, ok bool) {
	p.scratch = p.scratch[:0]
	n, closed, _, ok := quotedSegment(t[0], t[1:], &p.scratch)
	if !ok || !closed {
		return "", 0, false
	}
	return string(p.scratch), n + 1, true
}

// escape reads the escape after a backslash, as libyaml does: the character it stands for and
// how many bytes it took; ok is false for the escapes left to go-yaml (a line break, `\N`, `\_`,
// `\L`, `\P`, tab) and for what go-yaml refuses.
func escape(t []byte) (r rune, width int, ok bool) {
	if len(t) == 0 {
		return 0, 0, false
	}
	switch c := t[0]; c {
	case '0':
		return 0, 1, true
	case 'a':
		return '\a', 1, true
	case 'b':
		return '\b', 1, true
	case 't':
		return '\t', 1, true
	case 'n':
		return '\n', 1, true
	case 'v':
		return '\v', 1, true
	case 'f':
		return '\f', 1, true
	case 'r':
		return '\r', 1, true
	case 'e':
		return 0x1B, 1, true
	case '"', '\\', '\'', ' ':
		return rune(c), 1, true
	case 'x', 'u', 'U':
		digits := 8
		switch c {
		case 'x':
			digits = 2
		case 'u':
			digits = 4
		}
		if len(t) < 1+digits {
			return 0, 0, false
		}
		v, err := strconv.ParseUint(string(t[1:1+digits]), 16, 32)
		if err != nil || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF {
			return 0, 0, false
		}
		return rune(v), 1 + digits, true
	}
	return 0, 0, false
}

// quotedLines reads a quoted scalar (t, from its opening quote) that goes on over the lines
// below, each indented past column parent, as kubectl writes a long string: libyaml folds each
// line break into a space, and an escaped one (a backslash ending a double-quoted line) into
// nothing, dropping the next line's indentation. Blank lines, spaces before a break and an
// empty first line are left to go-yaml. It moves to the line after the scalar.
func (p *fastYAML) quotedLines(t []byte, parent int) (string, bool) {
	q, seg := t[0], t[1:]
	if len(seg) == 0 {
		return "", false
	}
	var b []byte
	for {
		n, closed, escapedBreak, ok := quotedSegment(q, seg, &b)
		if !ok {
			return "", false
		}
		if closed {
			if len(bytes.TrimLeft(seg[n:], " ")) != 0 {
				return "", false
			}
			p.nextLine()
			return string(b), true
		}
		if !escapedBreak && seg[len(seg)-1] == ' ' {
			return "", false
		}
		p.nextLine()
		if p.eof() || p.blank() || p.indent <= parent {
			return "", false
		}
		if !escapedBreak {
			b = append(b, ' ')
		}
		seg = p.text(p.indent)
	}
}

// quotedSegment appends the text of one line of a quoted scalar to b, up to its closing quote
// (closed, n just past it) or the line's end (escapedBreak: a double-quoted line ending in a
// backslash).
func quotedSegment(q byte, seg []byte, b *[]byte) (n int, closed, escapedBreak, ok bool) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case q == '\'' && c == '\'':
			if i+1 < len(seg) && seg[i+1] == '\'' {
				*b = append(*b, '\'')
				i++
				continue
			}
			return i + 1, true, false, true
		case q == '"' && c == '"':
			return i + 1, true, false, true
		case q == '"' && c == '\\':
			if i+1 == len(seg) {
				return 0, false, true, true
			}
			r, width, ok := escape(seg[i+1:])
			if !ok {
				return 0, false, false, false
			}
			*b = utf8.AppendRune(*b, r)
			i += width
			continue
		}
		*b = append(*b, c)
	}
	return 0, false, false, true
}

// mapping reads a block mapping whose keys stand at column col, the first on the current line
// (at col, which may follow a sequence entry's `- `). It ends on the first line less indented.
func (p *fastYAML) mapping(col, depth int, top bool) bool {
	if depth > maxFastYAMLDepth {
		return false
	}
	p.out = append(p.out, '{')
	mark := len(p.keys)
	defer func() { p.keys = p.keys[:mark] }()
	for first := true; ; first = false {
		key, n, ok := p.key(p.text(col))
		if !ok {
			return false
		}
		for _, k := range p.keys[mark:] {
			if bytes.Equal(k, key) {
				return false // set twice: go-yaml's check says where
			}
		}
		p.keys = append(p.keys, key)
		if !first {
			p.out = append(p.out, ',')
		}
		p.out = appendJSONString(p.out, key)
		p.out = append(p.out, ':')
		vcol := col + n
		for p.at(vcol) == ' ' {
			vcol++
		}
		var str string
		var isStr bool
		if p.pos+vcol >= p.end {
			if !p.nested(col, depth) {
				return false
			}
		} else if str, isStr, ok = p.inline(vcol, col, top && (string(key) == "apiVersion" || string(key) == "kind")); !ok {
			return false
		}
		if top {
			switch string(key) {
			case "apiVersion", "kind":
				if !isStr {
					return false
				}
				if string(key) == "kind" {
					p.kind = str
				} else {
					p.apiVersion = str
				}
			case "items":
				return false // a list in a list: the planner's
			}
		}
		switch {
		case p.eof() || (!p.blank() && p.indent < col):
			p.out = append(p.out, '}')
			return true
		case p.indent > col || p.blank():
			return false
		}
	}
}

// nested reads the value of a key whose line ends after its colon: a mapping or sequence on
// the lines below, or null. The key stands at column col.
func (p *fastYAML) nested(col, depth int) bool {
	p.nextLine()
	switch {
	case p.eof():
		p.out = append(p.out, "null"...)
		return true
	case p.blank():
		return false
	case p.seqEntry(col) || (p.indent > col && p.seqEntry(p.indent)):
		return p.sequence(p.indent, depth+1)
	case p.indent > col:
		return p.keyAt(p.indent) && p.mapping(p.indent, depth+1, false)
	}
	p.out = append(p.out, "null"...)
	return true
}

// sequence reads a block sequence whose entries' dashes stand at column col.
func (p *fastYAML) sequence(col, depth int) bool {
	if depth > maxFastYAMLDepth {
		return false
	}
	p.out = append(p.out, '[')
	for first := true; ; first = false {
		if !first {
			p.out = append(p.out, ',')
		}
		vcol := col + 1
		for p.at(vcol) == ' ' {
			vcol++
		}
		if p.pos+vcol >= p.end || p.at(vcol) == '-' && p.at(vcol+1) == ' ' {
			return false // an empty entry, a sequence in a sequence: go-yaml's
		}
		if p.keyAt(vcol) {
			if !p.mapping(vcol, depth+1, false) {
				return false
			}
		} else if _, _, ok := p.inline(vcol, col, false); !ok {
			return false
		}
		switch {
		case p.eof() || (!p.blank() && (p.indent < col || (p.indent == col && !p.seqEntry(col)))):
			p.out = append(p.out, ']')
			return true
		case p.indent > col || p.blank():
			return false
		}
	}
}

// inline reads a scalar (or `{}`, `[]`) that starts at column vcol and is the rest of the line,
// or a literal block scalar's header and its lines; parent is the column of the node it belongs
// to, which a literal's lines must be indented past. It moves to the line after the value, and
// says whether it was a string, and which if keep.
func (p *fastYAML) inline(vcol, parent int, keep bool) (str string, isStr, ok bool) {
	t := p.text(vcol)
	switch t[0] {
	case '\'', '"':
		s, n, ok := p.quoted(t)
		switch {
		case ok && len(bytes.TrimLeft(t[n:], " ")) != 0:
			return "", false, false
		case ok:
			p.nextLine()
		default:
			if s, ok = p.quotedLines(t, parent); !ok {
				return "", false, false
			}
		}
		p.out = appendJSONString(p.out, s)
		return s, true, true
	case '|':
		s, ok := p.literal(t, parent)
		if !ok {
			return "", false, false
		}
		p.out = appendJSONString(p.out, s)
		return s, true, true
	case '{', '[':
		if len(t) != 2 || (t[0] == '{') != (t[1] == '}') || (t[0] == '[') != (t[1] == ']') {
			return "", false, false
		}
		p.out = append(p.out, t...)
		p.nextLine()
		return "", false, true
	}
	if !plainStart(t) {
		return "", false, false
	}
	p.nextLine()
	if !p.eof() && !p.blank() && p.indent > parent {
		s, ok := p.plainLines(t, parent)
		if !ok {
			return "", false, false
		}
		p.out = appendJSONString(p.out, s)
		return s, true, true
	}
	switch plainTag(t) {
	case "!!str":
		p.out = appendJSONString(p.out, t)
		if keep {
			return string(t), true, true
		}
		return "", true, true
	case "!!null":
		p.out = append(p.out, "null"...)
	case "!!bool":
		if s := string(t); s != "true" && s != "false" {
			return "", false, false
		}
		p.out = append(p.out, t...)
	case "!!int":
		if !plainIntBytes(t) {
			return "", false, false
		}
		p.out = append(p.out, t...)
	default:
		return "", false, false
	}
	return "", false, true
}

// literal reads a literal block scalar (`|` or `|-`, with the indentation of its first line)
// whose header is t; its lines must be indented past column parent.
func (p *fastYAML) literal(t []byte, parent int) (string, bool) {
	strip := false
	switch string(t) {
	case "|":
	case "|-":
		strip = true
	default:
		return "", false // keep (`|+`), an indentation indicator, a comment: go-yaml's
	}
	p.nextLine()
	if p.eof() || p.blank() || p.indent <= parent {
		return "", false // empty, or led by blank lines: go-yaml's
	}
	ci := p.indent
	var b []byte
	breaks := 0 // line breaks not yet written: they are kept only if more text follows
	broken := false
	for !p.eof() {
		if p.blank() {
			if p.end-p.pos > ci {
				return "", false // spaces past the indentation are text: go-yaml's
			}
			breaks++
			p.nextLine()
			continue
		}
		if p.indent < ci {
			break
		}
		for ; breaks > 0; breaks-- {
			b = append(b, '\n')
		}
		b = append(b, p.text(ci)...)
		broken = p.end < len(p.src) // the text's last line may end the file without a break
		breaks = 1
		p.nextLine()
	}
	if !strip && broken {
		b = append(b, '\n')
	}
	return string(b), true
}

// plainLines reads a plain scalar whose first line is first and that goes on over the lines
// from the current one, each indented past column parent, as kubectl writes a long string of
// words: libyaml folds each line break into a space. Only a string is taken (what the folded
// text resolves to); a line that could end the scalar or mean something else (a comment, `: `,
// an indicator) and blank lines are left to go-yaml. It moves to the line after the scalar.
func (p *fastYAML) plainLines(first []byte, parent int) (string, bool) {
	b := append([]byte(nil), first...)
	for !p.eof() && !p.blank() && p.indent > parent {
		t := p.text(p.indent)
		if !plainStart(t) {
			return "", false
		}
		b = append(append(b, ' '), t...)
		p.nextLine()
	}
	if !p.eof() && p.blank() {
		return "", false
	}
	if plainTag(b) != "!!str" {
		return "", false
	}
	return string(b), true
}
