package dns

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coredns/caddy/caddyfile"
)

// corefileDirectives are the plugins stock CoreDNS knows: the union of plugin.cfg from v1.8 to
// v1.12. The parser refuses any other directive, as CoreDNS does when it starts.
var corefileDirectives = []string{
	"root", "metadata", "geoip", "cancel", "tls", "quic", "grpc_server", "https", "https3", "timeouts",
	"multisocket", "reload", "nsid", "bufsize", "bind", "debug", "trace", "ready", "health", "pprof",
	"prometheus", "errors", "log", "dnstap", "local", "dns64", "acl", "any", "chaos", "loadbalance",
	"tsig", "cache", "rewrite", "header", "dnssec", "autopath", "minimal", "template", "transfer",
	"hosts", "route53", "azure", "clouddns", "k8s_external", "kubernetes", "file", "auto",
	"secondary", "etcd", "loop", "forward", "grpc", "erratic", "whoami", "on", "sign", "view",
	"nomad", "federation",
}

// corefileName is the file name the parser is given. It lies in a directory that does not
// exist, so that even an import the sanitizer let through could find no file to read.
const corefileName = "/nonexistent/kockpit/Corefile"

// Bounds on what snippet imports may cost: each import copies the parser's whole token list, so
// a small hostile ConfigMap could otherwise take minutes and gigabytes. Real Corefiles expand a
// handful of snippets.
const (
	corefileMaxTokens = 1_000_000 // tokens once expanded
	corefileMaxWork   = 5_000_000 // tokens × expansions
)

// corefile is a CoreDNS configuration read the way CoreDNS reads it, with CoreDNS's own parser,
// except that kockpit never reads the files it imports nor expands environment variables.
type corefile struct {
	text  string
	lines []string
	// blocks are the server blocks, in order; empty when err is set.
	blocks []corefileBlock
	// imports are the file imports left out: kockpit reads no file of its own host.
	imports []corefileToken
	// envRefs are the tokens that take a value from CoreDNS's environment ({$VAR}).
	envRefs []corefileToken
	err     *corefileError
}

// corefileError is a syntax error at a line and (when known) a column.
type corefileError struct {
	line, column int
	msg          string
}

// corefileToken is a word of the Corefile and the line it starts on.
type corefileToken struct {
	text string
	line int
}

// corefileBlock is a server block: the zones and ports it serves and its plugins in source order.
type corefileBlock struct {
	keys    []string
	plugins []corefilePlugin
}

// corefilePlugin is one use of a plugin: "forward . 8.8.8.8 { max_concurrent 1000 }".
type corefilePlugin struct {
	name          string
	line, endLine int
	args          []string
	// body holds the lines of its block, each its words: ["fallthrough", "in-addr.arpa"].
	body []corefileLine
}

// corefileLine is one line of a plugin's block.
type corefileLine struct {
	line  int
	words []string
}

// parseCorefile reads a Corefile. It never fails: a syntax error is in the result's err.
func parseCorefile(text string) *corefile {
	cf := &corefile{text: text, lines: strings.Split(text, "\n")}
	tokens := lexCorefile(text)
	for _, t := range tokens {
		if hasEnvRef(t.text) {
			cf.envRefs = append(cf.envRefs, t)
		}
	}
	kept, dropped := dropFileImports(tokens)
	cf.imports = dropped
	if size, expansions := snippetCost(kept); size > corefileMaxTokens || size*expansions > corefileMaxWork {
		cf.err = &corefileError{line: 1, msg: fmt.Sprintf("its %d snippet imports expand to %d words; kockpit does not check a Corefile that large", expansions, size)}
		return cf
	}
	src, restore := text, func(s string) string { return s }
	if len(dropped) > 0 || len(cf.envRefs) > 0 {
		var err error
		if src, restore, err = rewriteCorefile(text, kept); err != nil {
			cf.err = &corefileError{line: 1, msg: err.Error()}
			return cf
		}
	}
	blocks, err := caddyfile.Parse(corefileName, strings.NewReader(src), corefileDirectives)
	if err != nil {
		cf.err = cf.syntaxError(restore(err.Error()))
		return cf
	}
	for _, b := range blocks {
		block, err := readBlock(b, restore)
		if err != nil {
			cf.err, cf.blocks = &corefileError{line: 1, msg: err.Error()}, nil
			return cf
		}
		cf.blocks = append(cf.blocks, block)
	}
	return cf
}

// errForeignTokens would mean the parser read a file after all; the fuzzer looks for it.
const errForeignTokens = "kockpit refused words that came from a file it did not mean to read"

// lexCorefile splits the text into words with the parser's own lexer.
func lexCorefile(text string) []corefileToken {
	d := caddyfile.NewDispenser(corefileName, strings.NewReader(text))
	var out []corefileToken
	for d.Next() {
		out = append(out, corefileToken{text: d.Val(), line: d.Line()})
	}
	return out
}

func hasEnvRef(s string) bool { return strings.Contains(s, "{$") || strings.Contains(s, "{%") }

// newLineAt mirrors the parser's test of whether token i starts a line.
func newLineAt(tokens []corefileToken, i int) bool {
	return i == 0 || tokens[i-1].line+strings.Count(tokens[i-1].text, "\n") < tokens[i].line
}

// dropFileImports removes "import ARG" wherever ARG is not a snippet defined earlier in the
// file: the parser would read ARG as a file pattern on kockpit's own host.
func dropFileImports(tokens []corefileToken) (kept, dropped []corefileToken) {
	snippets := map[string]bool{}
	depth := 0
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		switch {
		case t.text == "{":
			depth++
		case t.text == "}":
			depth = max(depth-1, 0)
		case depth == 0 && newLineAt(tokens, i) && isSnippetName(t.text) &&
			i+2 < len(tokens) && tokens[i+1].text == "{" && tokens[i+2].text != "}":
			snippets[t.text[1:len(t.text)-1]] = true
		case t.text == "import" && i+1 < len(tokens) && !newLineAt(tokens, i+1):
			arg := tokens[i+1].text
			if !snippets[arg] || !safeSnippetRef(arg) {
				dropped = append(dropped, corefileToken{text: arg, line: t.line})
				i++ // and the argument
				continue
			}
		}
		kept = append(kept, t)
	}
	return kept, dropped
}

func isSnippetName(s string) bool {
	return len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')'
}

// safeSnippetRef keeps out of snippet imports anything a file pattern could use, in case the
// parser disagrees with dropFileImports about what is a snippet.
func safeSnippetRef(s string) bool {
	return s != "" && !hasEnvRef(s) && !strings.ContainsAny(s, `/\*?[`) && !strings.Contains(s, "..")
}

// snippetCost estimates what expanding the snippet imports costs the parser: how many tokens
// it ends with, and how many imports it expands (each copies the whole token list).
func snippetCost(tokens []corefileToken) (size, expansions int) {
	// Where each brace closes, in one pass: scanning ahead from every snippet for its brace
	// would take time quadratic in a file of nested snippet definitions.
	closing := make(map[int]int) // index of a "{" → index of its "}"
	var open []int
	for i, t := range tokens {
		switch t.text {
		case "{":
			open = append(open, i)
		case "}":
			if n := len(open); n > 0 {
				closing[open[n-1]], open = i, open[:n-1]
			}
		}
	}
	bodies := map[string][]corefileToken{}
	for i := 0; i+1 < len(tokens); i++ {
		if isSnippetName(tokens[i].text) && tokens[i+1].text == "{" && newLineAt(tokens, i) {
			end, ok := closing[i+1]
			if !ok { // not closed: the rest of the file but its last word, as the parser reads it
				end = max(len(tokens)-1, i+2)
			}
			name := tokens[i].text[1 : len(tokens[i].text)-1]
			if _, dup := bodies[name]; !dup {
				bodies[name] = tokens[i+2 : end]
			}
		}
	}
	type cost struct{ size, expansions int }
	memo := map[string]cost{}
	var walk func(ts []corefileToken, depth int) cost
	walk = func(ts []corefileToken, depth int) cost {
		if depth > 32 {
			return cost{corefileMaxTokens + 1, 1} // a cycle, or nesting no real Corefile has
		}
		c := cost{size: len(ts)}
		for i := 0; i+1 < len(ts) && c.size <= corefileMaxTokens && c.expansions <= corefileMaxTokens; i++ {
			name := ts[i+1].text
			body, ok := bodies[name]
			if ts[i].text != "import" || !ok {
				continue
			}
			sub, done := memo[name]
			if !done {
				sub = walk(body, depth+1)
				memo[name] = sub
			}
			c.size += sub.size - 2
			c.expansions += 1 + sub.expansions
		}
		return c
	}
	c := walk(tokens, 0)
	return c.size, c.expansions
}

// rewriteCorefile writes the kept tokens back as text the parser reads into exactly those tokens,
// on their original lines, with environment references masked so the parser cannot expand them.
// restore undoes the masking in what the parser returns.
func rewriteCorefile(original string, tokens []corefileToken) (string, func(string) string, error) {
	dollar, percent := unusedRunes(original)
	mask := strings.NewReplacer("{$", "{"+string(dollar), "{%", "{"+string(percent))
	unmask := strings.NewReplacer("{"+string(dollar), "{$", "{"+string(percent), "{%")
	var b strings.Builder
	line := 1
	want := make([]corefileToken, len(tokens))
	for i, t := range tokens {
		if t.line > line {
			b.WriteString(strings.Repeat("\n", t.line-line))
			line = t.line
		} else if i > 0 {
			b.WriteByte(' ')
		}
		text := mask.Replace(t.text)
		want[i] = corefileToken{text: text, line: t.line}
		b.WriteString(quoteCorefileWord(text))
		line += strings.Count(text, "\n")
	}
	src := b.String()
	got := lexCorefile(src)
	if len(got) != len(want) {
		return "", nil, fmt.Errorf("kockpit could not re-read the Corefile without its file imports (%d words, %d expected)", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return "", nil, fmt.Errorf("kockpit could not re-read the Corefile without its file imports (line %d)", want[i].line)
		}
	}
	return src, unmask.Replace, nil
}

// quoteCorefileWord writes a word so the lexer reads it back unchanged.
func quoteCorefileWord(s string) string {
	if s != "" && !strings.HasPrefix(s, `"`) && !strings.ContainsFunc(s, func(r rune) bool { return r == '#' || unicode.IsSpace(r) }) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// unusedRunes picks two private-use characters the text does not contain, to mask "$" and "%".
func unusedRunes(text string) (rune, rune) {
	var picked []rune
	for r := rune(0xE000); len(picked) < 2; r++ {
		if !strings.ContainsRune(text, r) {
			picked = append(picked, r)
		}
	}
	return picked[0], picked[1]
}

// caddyErr matches the parser's errors: "FILE:LINE - Error during parsing: MESSAGE" and
// "FILE:LINE - Syntax error: MESSAGE".
var caddyErr = regexp.MustCompile(`(?s)^.*?:(\d+) - (?:Error during parsing|Syntax error): (.*)$`)

// quotedWord is the word a parser message quotes: Unknown directive 'forwrd'.
var quotedWord = regexp.MustCompile(`'([^']*)'`)

func (cf *corefile) syntaxError(msg string) *corefileError {
	m := caddyErr.FindStringSubmatch(msg)
	if m == nil {
		return &corefileError{msg: strings.TrimPrefix(msg, corefileName+": ")}
	}
	line, _ := strconv.Atoi(m[1])
	e := &corefileError{line: line, msg: m[2]}
	if q := quotedWord.FindStringSubmatch(m[2]); q != nil && q[1] != "" {
		e.column = cf.column(line, q[1])
	}
	return e
}

// column is the 1-based rune column of the first whole word w on the line, 0 when not found.
func (cf *corefile) column(line int, w string) int {
	if line < 1 || line > len(cf.lines) || w == "" {
		return 0
	}
	l := cf.lines[line-1]
	for from := 0; from < len(l); {
		i := strings.Index(l[from:], w)
		if i < 0 {
			return 0
		}
		start, end := from+i, from+i+len(w)
		before, _ := utf8.DecodeLastRuneInString(l[:start])
		after, _ := utf8.DecodeRuneInString(l[end:])
		if (start == 0 || unicode.IsSpace(before) || before == '"' || before == '{') &&
			(end == len(l) || unicode.IsSpace(after) || after == '"' || after == '{' || after == '}') {
			return utf8.RuneCountInString(l[:start]) + 1
		}
		from = end
	}
	return 0
}

// lineText is a line of the Corefile without its indentation, "" past the end.
func (cf *corefile) lineText(line int) string {
	if line < 1 || line > len(cf.lines) {
		return ""
	}
	return strings.TrimSpace(cf.lines[line-1])
}

// quote renders lines from..to as evidence, "line 9: forward . /etc/resolv.conf", at most max.
func (cf *corefile) quote(from, to, max int) []string {
	var out []string
	for l := from; l <= to && l <= len(cf.lines); l++ {
		if len(out) == max {
			out = append(out, fmt.Sprintf("… (%d more lines)", to-l+1))
			break
		}
		if t := cf.lineText(l); t != "" {
			out = append(out, fmt.Sprintf("line %d: %s", l, t))
		}
	}
	return out
}

// readBlock turns the parser's tokens, grouped by directive, into plugins in source order.
func readBlock(b caddyfile.ServerBlock, restore func(string) string) (corefileBlock, error) {
	out := corefileBlock{}
	for _, k := range b.Keys {
		out.keys = append(out.keys, restore(k))
	}
	for _, toks := range b.Tokens {
		for i := range toks {
			if toks[i].File != "" && toks[i].File != corefileName {
				return out, errors.New(errForeignTokens)
			}
			toks[i].Text = restore(toks[i].Text)
		}
		d := caddyfile.NewDispenserTokens(corefileName, toks)
		for d.Next() {
			p := corefilePlugin{name: d.Val(), line: d.Line(), endLine: d.Line()}
			p.args = d.RemainingArgs()
			for d.NextBlock() {
				l := corefileLine{line: d.Line(), words: append([]string{d.Val()}, d.RemainingArgs()...)}
				p.body = append(p.body, l)
				p.endLine = max(p.endLine, l.line)
			}
			if len(p.body) > 0 || d.Val() == "}" {
				p.endLine = max(p.endLine, d.Line()) // the closing brace
			}
			out.plugins = append(out.plugins, p)
		}
	}
	sort.SliceStable(out.plugins, func(i, j int) bool { return out.plugins[i].line < out.plugins[j].line })
	return out, nil
}

// zones are the block's zones, normalized: "dns://.:53" is ".", "Cluster.Local:53" is "cluster.local.".
func (b corefileBlock) zones() []string {
	var out []string
	for _, k := range b.keys {
		out = append(out, normalizeZone(k))
	}
	return out
}

// normalizeZone strips a server key's scheme and port, lower-cases it and ends it with a dot.
func normalizeZone(k string) string {
	if i := strings.Index(k, "://"); i >= 0 {
		k = k[i+3:]
	}
	if i := strings.LastIndexByte(k, ':'); i >= 0 && !strings.Contains(k[:i], ":") {
		if _, err := strconv.Atoi(k[i+1:]); err == nil || i == len(k)-1 {
			k = k[:i]
		}
	}
	k = strings.ToLower(k)
	if k == "" {
		return "."
	}
	if !strings.HasSuffix(k, ".") {
		k += "."
	}
	return k
}

// has reports whether the block uses the plugin.
func (b corefileBlock) has(name string) bool {
	for _, p := range b.plugins {
		if p.name == name {
			return true
		}
	}
	return false
}
