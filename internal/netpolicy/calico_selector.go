package netpolicy

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/sets"
)

// calicoSelectorMaxDepth bounds the nesting of parentheses and negations: real selectors nest
// two or three deep, and a recursive parser must not let a hostile one exhaust the stack.
const calicoSelectorMaxDepth = 64

// calicoSelectorMaxTerms bounds how many comparisons a selector may hold: real ones hold a few,
// and matching costs a pass over them for every pod.
const calicoSelectorMaxTerms = 10000

type (
	calicoAll    struct{}
	calicoGlobal struct{}
	calicoNot    struct{ x labelMatcher }
	// calicoAnd and calicoOr hold a chain of operands side by side, not as a tree: a selector
	// of many thousand "&& has(a)" would otherwise be a tree as deep, and matching it would
	// recurse as deep.
	calicoAnd []labelMatcher
	calicoOr  []labelMatcher
	calicoHas struct{ key string }
	calicoCmp struct {
		key, op string // op: == != contains "starts with" "ends with"
		value   string
	}
	calicoIn struct {
		key    string
		values sets.Set[string]
		not    bool
	}
)

func (calicoAll) Matches(labels.Labels) bool { return true }

// global() selects non-namespaced endpoints (host endpoints, network sets), never a pod.
func (calicoGlobal) Matches(labels.Labels) bool  { return false }
func (e calicoNot) Matches(l labels.Labels) bool { return !e.x.Matches(l) }
func (e calicoAnd) Matches(l labels.Labels) bool {
	for _, x := range e {
		if !x.Matches(l) {
			return false
		}
	}
	return true
}
func (e calicoOr) Matches(l labels.Labels) bool {
	for _, x := range e {
		if x.Matches(l) {
			return true
		}
	}
	return false
}
func (e calicoHas) Matches(l labels.Labels) bool { return l.Has(e.key) }
func (e calicoIn) Matches(l labels.Labels) bool {
	in := l.Has(e.key) && e.values.Has(l.Get(e.key))
	return in != e.not
}
func (e calicoCmp) Matches(l labels.Labels) bool {
	v, ok := l.Get(e.key), l.Has(e.key)
	switch e.op {
	case "==":
		return ok && v == e.value
	case "!=":
		return !ok || v != e.value
	case "contains":
		return ok && strings.Contains(v, e.value)
	case "starts with":
		return ok && strings.HasPrefix(v, e.value)
	default: // "ends with"
		return ok && strings.HasSuffix(v, e.value)
	}
}

// parseCalicoSelector parses a Calico selector ("app == 'web' && !has(canary)"): label
// comparisons (==, !=, in, not in, contains, starts with, ends with), has(), all(), global(),
// !, && and || with parentheses. An empty selector is all(). When the expression is only a conjunction of what Kubernetes label
// selectors can say, it comes back as a labels.Selector, which the pod index can narrow by.
func parseCalicoSelector(src string) (labelMatcher, error) {
	p := &calicoParser{src: src}
	p.next()
	if p.tok.kind == ctEOF {
		return labels.Everything(), nil
	}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != ctEOF {
		return nil, p.errorf("unexpected %s", p.tok)
	}
	if sel, ok := calicoAsLabelSelector(e); ok {
		return sel, nil
	}
	return e, nil
}

// calicoAsLabelSelector converts a conjunction of simple terms into a labels.Selector. The
// requirements are added at once: Add copies and sorts the selector each time it is called.
func calicoAsLabelSelector(e labelMatcher) (labels.Selector, bool) {
	var reqs []labels.Requirement
	var walk func(labelMatcher) bool
	walk = func(e labelMatcher) bool {
		var r *labels.Requirement
		var err error
		switch e := e.(type) {
		case calicoAll:
			return true
		case calicoAnd:
			for _, x := range e {
				if !walk(x) {
					return false
				}
			}
			return true
		case calicoHas:
			r, err = labels.NewRequirement(e.key, selection.Exists, nil)
		case calicoNot:
			h, ok := e.x.(calicoHas)
			if !ok {
				return false
			}
			r, err = labels.NewRequirement(h.key, selection.DoesNotExist, nil)
		case calicoCmp:
			op := map[string]selection.Operator{"==": selection.Equals, "!=": selection.NotEquals}[e.op]
			if op == "" {
				return false
			}
			r, err = labels.NewRequirement(e.key, op, []string{e.value})
		case calicoIn:
			op := selection.In
			if e.not {
				op = selection.NotIn
			}
			r, err = labels.NewRequirement(e.key, op, sets.List(e.values))
		default:
			return false
		}
		if err != nil {
			return false // a key or value Kubernetes would not accept: keep Calico's own matcher
		}
		reqs = append(reqs, *r)
		return true
	}
	if !walk(e) {
		return nil, false
	}
	return labels.NewSelector().Add(reqs...), true
}

// Token kinds of the selector language.
const (
	ctEOF = iota
	ctIdent
	ctString
	ctOp // == != ! && || ( ) { } ,
)

type calicoToken struct {
	kind int
	text string
	pos  int
}

func (t calicoToken) String() string {
	switch t.kind {
	case ctEOF:
		return "end of selector"
	case ctString:
		return fmt.Sprintf("string %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

type calicoParser struct {
	src   string
	pos   int
	tok   calicoToken
	err   error
	terms int
}

func (p *calicoParser) errorf(format string, args ...any) error {
	return fmt.Errorf("calico selector %s, column %d: %s", calicoQuote(p.src), p.tok.pos+1, fmt.Sprintf(format, args...))
}

// calicoQuoteMax bounds how much of a selector an error quotes: the error ends up in a
// finding, and a hostile policy's selector can be megabytes long.
const calicoQuoteMax = 200

// calicoQuote quotes a selector for an error, its start only when it is long.
func calicoQuote(src string) string {
	if len(src) <= calicoQuoteMax {
		return strconv.Quote(src)
	}
	n := calicoQuoteMax
	for n > 0 && !utf8.RuneStart(src[n]) {
		n--
	}
	return fmt.Sprintf("%q… (%d bytes)", src[:n], len(src))
}

// next reads the next token into p.tok; a lexing error is kept in p.err and ends the input.
func (p *calicoParser) next() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = calicoToken{kind: ctEOF, pos: start}
		return
	}
	c := p.src[p.pos]
	switch {
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.src[p.pos+1:], c)
		if end < 0 {
			p.tok = calicoToken{kind: ctEOF, pos: start}
			p.err = fmt.Errorf("calico selector %s, column %d: unterminated string", calicoQuote(p.src), start+1)
			p.pos = len(p.src)
			return
		}
		p.tok = calicoToken{kind: ctString, text: p.src[p.pos+1 : p.pos+1+end], pos: start}
		p.pos += end + 2
	case strings.HasPrefix(p.src[p.pos:], "==") || strings.HasPrefix(p.src[p.pos:], "!=") ||
		strings.HasPrefix(p.src[p.pos:], "&&") || strings.HasPrefix(p.src[p.pos:], "||"):
		p.tok = calicoToken{kind: ctOp, text: p.src[p.pos : p.pos+2], pos: start}
		p.pos += 2
	case strings.IndexByte("!(){},", c) >= 0:
		p.tok = calicoToken{kind: ctOp, text: string(c), pos: start}
		p.pos++
	case isCalicoIdentByte(c):
		for p.pos < len(p.src) && isCalicoIdentByte(p.src[p.pos]) {
			p.pos++
		}
		p.tok = calicoToken{kind: ctIdent, text: p.src[start:p.pos], pos: start}
	default:
		p.tok = calicoToken{kind: ctEOF, pos: start}
		p.err = fmt.Errorf("calico selector %s, column %d: unexpected character %q", calicoQuote(p.src), start+1, rune(c))
		p.pos = len(p.src)
	}
}

func isCalicoIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_./-", c) >= 0
}

func (p *calicoParser) expectOp(op string) error {
	if p.err != nil {
		return p.err
	}
	if p.tok.kind != ctOp || p.tok.text != op {
		return p.errorf("expected %q, found %s", op, p.tok)
	}
	p.next()
	return nil
}

func (p *calicoParser) or(depth int) (labelMatcher, error) {
	x, err := p.and(depth)
	if err != nil || p.tok.kind != ctOp || p.tok.text != "||" {
		return x, err
	}
	xs := calicoOr{x}
	for p.tok.kind == ctOp && p.tok.text == "||" {
		p.next()
		if x, err = p.and(depth); err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	return xs, nil
}

func (p *calicoParser) and(depth int) (labelMatcher, error) {
	x, err := p.unary(depth)
	if err != nil || p.tok.kind != ctOp || p.tok.text != "&&" {
		return x, err
	}
	xs := calicoAnd{x}
	for p.tok.kind == ctOp && p.tok.text == "&&" {
		p.next()
		if x, err = p.unary(depth); err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	return xs, nil
}

func (p *calicoParser) unary(depth int) (labelMatcher, error) {
	if p.err != nil {
		return nil, p.err
	}
	if depth > calicoSelectorMaxDepth {
		return nil, p.errorf("nested more than %d deep", calicoSelectorMaxDepth)
	}
	if p.tok.kind == ctOp && p.tok.text == "!" {
		p.next()
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return calicoNot{x}, nil
	}
	if p.tok.kind == ctOp && p.tok.text == "(" {
		p.next()
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		return x, p.expectOp(")")
	}
	if p.tok.kind != ctIdent {
		return nil, p.errorf("expected a label, has(), all() or global(), found %s", p.tok)
	}
	return p.term()
}

// term parses what starts with an identifier: a function call or a label comparison.
func (p *calicoParser) term() (labelMatcher, error) {
	if p.terms++; p.terms > calicoSelectorMaxTerms {
		return nil, p.errorf("more than %d terms: kockpit does not match a selector this long against every pod", calicoSelectorMaxTerms)
	}
	word := p.tok.text
	p.next()
	if p.tok.kind == ctOp && p.tok.text == "(" {
		p.next()
		switch word {
		case "all", "global":
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			if word == "all" {
				return calicoAll{}, nil
			}
			return calicoGlobal{}, nil
		case "has":
			if p.tok.kind != ctIdent {
				return nil, p.errorf("has() needs a label key, found %s", p.tok)
			}
			key := p.tok.text
			p.next()
			return calicoHas{key}, p.expectOp(")")
		}
		return nil, p.errorf("unknown function %s()", word)
	}
	if p.err != nil {
		return nil, p.err
	}
	switch {
	case p.tok.kind == ctOp && (p.tok.text == "==" || p.tok.text == "!="):
		op := p.tok.text
		p.next()
		v, err := p.str()
		return calicoCmp{key: word, op: op, value: v}, err
	case p.tok.kind == ctIdent && p.tok.text == "in":
		p.next()
		return p.set(word, false)
	case p.tok.kind == ctIdent && p.tok.text == "not":
		p.next()
		if p.tok.kind != ctIdent || p.tok.text != "in" {
			return nil, p.errorf("expected \"in\" after \"not\", found %s", p.tok)
		}
		p.next()
		return p.set(word, true)
	case p.tok.kind == ctIdent && p.tok.text == "contains":
		p.next()
		v, err := p.str()
		return calicoCmp{key: word, op: "contains", value: v}, err
	case p.tok.kind == ctIdent && (p.tok.text == "starts" || p.tok.text == "ends"):
		op := p.tok.text + " with"
		p.next()
		if p.tok.kind != ctIdent || p.tok.text != "with" {
			return nil, p.errorf("expected \"with\", found %s", p.tok)
		}
		p.next()
		v, err := p.str()
		return calicoCmp{key: word, op: op, value: v}, err
	}
	return nil, p.errorf("expected an operator after %q, found %s", word, p.tok)
}

func (p *calicoParser) str() (string, error) {
	if p.err != nil {
		return "", p.err
	}
	if p.tok.kind != ctString {
		return "", p.errorf("expected a quoted value, found %s", p.tok)
	}
	v := p.tok.text
	p.next()
	return v, p.err
}

func (p *calicoParser) set(key string, not bool) (labelMatcher, error) {
	if err := p.expectOp("{"); err != nil {
		return nil, err
	}
	values := sets.New[string]()
	for p.err == nil && !(p.tok.kind == ctOp && p.tok.text == "}") {
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		values.Insert(v)
		if p.tok.kind == ctOp && p.tok.text == "," {
			p.next()
		}
	}
	return calicoIn{key: key, values: values, not: not}, p.expectOp("}")
}
