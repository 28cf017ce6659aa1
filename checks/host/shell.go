package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
	"mvdan.cc/sh/v3/syntax"
)

// shellCheck is the host.shell check.
var shellCheck = checks.Check{
	ID:       "host.shell",
	Title:    "No shell start-up file or cron job changes what the commands you type do",
	Category: checks.CategoryHost,
	Learn:    learn("host.shell"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runHostShell),
}

// Files bash, sh and zsh read when a guest logs in or opens a shell.
var (
	systemShellFiles = []string{
		"/etc/profile", "/etc/bash.bashrc", "/etc/bashrc",
		"/etc/zsh/zshenv", "/etc/zsh/zprofile", "/etc/zsh/zshrc", "/etc/zshenv", "/etc/zprofile", "/etc/zshrc",
	}
	userShellFiles = []string{
		".profile", ".bash_profile", ".bash_login", ".bashrc", ".bash_aliases", ".bash_logout",
		".zshenv", ".zprofile", ".zshrc", ".zlogin", ".zlogout",
	}
	historyFiles = []string{".bash_history", ".zsh_history", ".histfile", ".sh_history"}
)

// maxHomes bounds how many home directories under /home are read.
const maxHomes = 64

// shadowable are commands a guest relies on to see the truth: an alias or function with their
// name changes what they show. "k" is kubectl's usual short name.
var shadowable = map[string]bool{
	"kubectl": true, "k": true, "kubeadm": true, "kubelet": true, "crictl": true, "ctr": true, "nerdctl": true,
	"containerd": true, "runc": true, "etcdctl": true, "helm": true, "cilium": true, "hubble": true, "calicoctl": true,
	"systemctl": true, "journalctl": true, "service": true, "lsattr": true, "chattr": true, "chmod": true, "chown": true,
	"stat": true, "file": true, "ls": true, "cat": true, "less": true, "grep": true, "find": true, "ps": true, "top": true,
	"ss": true, "netstat": true, "ip": true, "iptables": true, "nft": true, "mount": true, "df": true, "du": true,
	"sudo": true, "su": true, "cd": true, "which": true, "type": true, "command": true, "alias": true, "unalias": true,
	"history": true, "crontab": true, "openssl": true, "curl": true, "dig": true, "nslookup": true, "ping": true,
	"lsof": true, "tcpdump": true, "cp": true, "mv": true, "rm": true, "vi": true, "vim": true, "nano": true,
	"tail": true, "head": true, "kockpit": true,
}

// knownEditors are editors a person can drive; anything else in KUBE_EDITOR or EDITOR is a trap
// (ed, cat, true) or something to look at.
var knownEditors = map[string]bool{
	"vi": true, "vim": true, "nvim": true, "vim.basic": true, "vim.tiny": true, "view": true, "nano": true, "pico": true,
	"emacs": true, "emacsclient": true, "mg": true, "micro": true, "hx": true, "helix": true, "kak": true, "joe": true,
	"jed": true, "mcedit": true, "ne": true, "vis": true, "code": true, "codium": true, "subl": true, "gedit": true,
	"editor": true, "sensible-editor": true,
}

// shellScript is one start-up file: the node path, the home whose ~ it expands, and its language.
type shellScript struct {
	path, home string
	zsh        bool
}

// shellScan gathers what one run of the check saw.
type shellScan struct {
	n          *nodefs.FS
	findings   []checks.Finding
	scripts    int // start-up files read
	tabs       int // crontabs read
	timerCount int // systemd timers read
	jobs       int
}

func runHostShell(ctx context.Context, n *nodefs.FS) checks.Result {
	s := &shellScan{n: n}
	scripts := []shellScript{}
	for _, p := range systemShellFiles {
		scripts = append(scripts, shellScript{path: p, zsh: strings.Contains(p, "zsh") || strings.HasPrefix(path.Base(p), "z")})
	}
	for _, e := range s.list(ctx, "/etc/profile.d") {
		if strings.HasSuffix(e.Name(), ".sh") {
			scripts = append(scripts, shellScript{path: e.Path})
		}
	}
	homes := s.homes(ctx)
	for _, home := range homes {
		for _, name := range userShellFiles {
			scripts = append(scripts, shellScript{path: path.Join(home, name), home: home, zsh: strings.HasPrefix(name, ".z")})
		}
	}
	for _, sc := range scripts {
		s.script(ctx, sc)
	}
	s.environment(ctx)
	for _, home := range homes {
		s.history(ctx, home)
	}
	s.crontabs(ctx)
	s.timers(ctx)
	if ctx.Err() != nil {
		return checks.Errored("stopped before every file was read: " + ctx.Err().Error())
	}
	if s.scripts+s.tabs+s.timerCount == 0 && len(s.findings) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no shell start-up file, crontab or systemd timer under "+n.Dir())
	}
	findings := nodefs.CapFindings(s.findings, nodefs.MaxFindings, func(more int) checks.Finding {
		return checks.Finding{Severity: checks.StatusWarn, Message: fmt.Sprintf("%d more findings not shown", more),
			Commands: []string{"grep -n -E 'alias|PROMPT_COMMAND|trap|EDITOR|HIST' /etc/profile /etc/bash.bashrc ~/.bashrc"}}
	})
	read := phrase.Plural(s.scripts, "1 shell start-up file", "shell start-up files") + " and " + phrase.Plural(s.tabs, "1 crontab", "crontabs")
	if s.timerCount > 0 {
		read = strings.Replace(read, " and ", ", ", 1) + " and " + phrase.Plural(s.timerCount, "1 systemd timer", "systemd timers")
	}
	return n.Result(findings, fmt.Sprintf("%s (%s) read: no alias, function, hook or job changes what you type", read, phrase.Plural(s.jobs, "1 job", "jobs")))
}

// homes are /root and the directories under /home, as far as they can be read.
func (s *shellScan) homes(ctx context.Context) []string {
	homes := []string{"/root"}
	for _, e := range s.list(ctx, "/home") {
		if e.IsDir() && len(homes) <= maxHomes {
			homes = append(homes, e.Path)
		}
	}
	return homes
}

// list lists a directory that may not exist; one it cannot read becomes a finding.
func (s *shellScan) list(ctx context.Context, dir string) []host.Entry {
	l, _, err := s.n.ListOptional(ctx, dir)
	if err != nil {
		s.findings = append(s.findings, s.n.Unreadable(dir, err))
	}
	return l.Entries
}

// read reads a file the shell may read; a missing file is no finding, an unreadable one is.
func (s *shellScan) read(ctx context.Context, p string) ([]byte, bool) {
	f, ok, err := s.n.ReadOptional(ctx, p)
	switch {
	case err != nil && errors.Is(err, fs.ErrPermission) && path.Dir(p) != "/etc":
		// Without root the homes of others cannot be read; one finding per home says so.
		if !s.said(path.Dir(p)) {
			s.findings = append(s.findings, s.n.Unreadable(path.Dir(p), err))
		}
		return nil, false
	case err != nil:
		s.findings = append(s.findings, s.n.Unreadable(p, err))
		return nil, false
	}
	return f.Data, ok
}

// said reports whether a finding already names the node path p.
func (s *shellScan) said(p string) bool {
	for _, f := range s.findings {
		if f.File != nil && s.n.NodePath(f.File.Path) == p {
			return true
		}
	}
	return false
}

// script parses one start-up file as its shell does and judges what it defines.
func (s *shellScan) script(ctx context.Context, sc shellScript) {
	data, ok := s.read(ctx, sc.path)
	if !ok {
		return
	}
	s.scripts++
	lang, shell := syntax.LangBash, "bash"
	if sc.zsh {
		lang, shell = syntax.LangZsh, "zsh"
	}
	// The parser recurses once per nesting level, and a Go stack overflow kills the process:
	// a crafted file is not parsed at all.
	if depth := shellNesting(data); depth > maxShellNesting {
		j := &shellJudge{ctx: ctx, scan: s, script: sc}
		j.warn(0, 0, fmt.Sprintf("it nests more than %d levels deep (no start-up file a person wrote does): kockpit did not parse it, so read it by hand", maxShellNesting),
			"Look at what it runs (`less "+s.n.Sh(sc.path)+"`) and restore it from the distribution's copy (/etc/skel for a ~/.bashrc).",
			"wc -c "+s.n.Sh(sc.path), "less "+s.n.Sh(sc.path))
		return
	}
	file, err := syntax.NewParser(syntax.Variant(lang)).Parse(bytes.NewReader(data), sc.path)
	lines := strings.Split(string(data), "\n")
	j := &shellJudge{ctx: ctx, scan: s, script: sc, lines: lines}
	if err != nil {
		j.parseError(err, shell)
	}
	if file != nil {
		syntax.Walk(file, j.visit)
	}
}

// maxShellNesting bounds the nesting a start-up file may have to be parsed.
const maxShellNesting = 256

// shellNesting is how deep a shell text nests, counted from the outside in: brackets,
// substitutions and compound commands. A closer only closes its own kind, and quotes are not
// told apart, so it overestimates rather than under.
func shellNesting(data []byte) int {
	var open []byte // kinds: ( { [ ` and i (if…fi), c (case…esac), l (for/while/until/select…done)
	deepest := 0
	closeKind := func(kind byte) {
		if n := len(open); n > 0 && open[n-1] == kind {
			open = open[:n-1]
		}
	}
	word := make([]byte, 0, 8)
	endWord := func() {
		switch string(word) {
		case "if":
			open = append(open, 'i')
		case "case":
			open = append(open, 'c')
		case "for", "while", "until", "select":
			open = append(open, 'l')
		case "fi":
			closeKind('i')
		case "esac":
			closeKind('c')
		case "done":
			closeKind('l')
		}
		word = word[:0]
	}
	comment, atWordStart := false, true
	for _, c := range data {
		if comment {
			comment = c != '\n'
			atWordStart = true
			continue
		}
		switch {
		case c == '#' && atWordStart:
			comment = true
		case c == '(' || c == '{' || c == '[':
			open = append(open, c)
		case c == ')':
			closeKind('(')
		case c == '}':
			closeKind('{')
		case c == ']':
			closeKind('[')
		case c == '`':
			if n := len(open); n > 0 && open[n-1] == '`' {
				open = open[:n-1]
			} else {
				open = append(open, '`')
			}
		case c >= 'a' && c <= 'z':
			if len(word) < cap(word) {
				word = append(word, c)
			}
			atWordStart = false
			continue
		}
		endWord()
		deepest = max(deepest, len(open))
		atWordStart = c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '(' || c == '{' || c == '&' || c == '|'
	}
	endWord()
	return max(deepest, len(open))
}

// environment reads /etc/environment, which pam_env reads as NAME=value lines for every login.
func (s *shellScan) environment(ctx context.Context) {
	const p = "/etc/environment"
	data, ok := s.read(ctx, p)
	if !ok {
		return
	}
	s.scripts++
	j := &shellJudge{ctx: ctx, scan: s, script: shellScript{path: p}, lines: strings.Split(string(data), "\n")}
	for i, line := range j.lines {
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "export "))
		name, value, ok := strings.Cut(text, "=")
		if !ok || strings.HasPrefix(text, "#") {
			continue
		}
		value = strings.Trim(value, `"'`)
		j.assign(strings.TrimSpace(name), value, i+1, strings.Index(line, name)+1)
	}
}

// shellJudge judges the definitions of one start-up file.
type shellJudge struct {
	ctx    context.Context
	scan   *shellScan
	script shellScript
	lines  []string
	// In code a line of the file hands to eval, findings are at that line: at is its place
	// and depth how deep the evals go.
	at    *[2]int
	depth int
}

// maxStockBody bounds the size of a function kockpit compares with a distribution's.
const maxStockBody = 1024

// maxNested bounds how deep kockpit follows code inside code (eval, sh -c).
const maxNested = 4

// where is the line and byte column of a node, or of the eval that holds it.
func (j *shellJudge) where(p syntax.Pos) (int, int) {
	if j.at != nil {
		return j.at[0], j.at[1]
	}
	return int(p.Line()), int(p.Col())
}

// nested judges code the file runs from a string (eval 'alias k=...') as if it were written there.
func (j *shellJudge) nested(src string, line, col int) {
	if j.depth >= maxNested || strings.TrimSpace(src) == "" {
		return
	}
	lang := syntax.LangBash
	if j.script.zsh {
		lang = syntax.LangZsh
	}
	file, err := syntax.NewParser(syntax.Variant(lang)).Parse(strings.NewReader(src), j.script.path)
	if err != nil || file == nil {
		return // the shell fails there too; the line is shown by what runs it
	}
	in := *j
	in.at, in.depth = &[2]int{line, col}, j.depth+1
	syntax.Walk(file, in.visit)
}

func (j *shellJudge) visit(node syntax.Node) bool {
	switch x := node.(type) {
	case *syntax.CallExpr:
		if len(x.Args) == 0 {
			for _, a := range x.Assigns {
				j.assignNode(a)
			}
			return true
		}
		j.call(x.Args)
	case *syntax.DeclClause:
		for _, a := range x.Args {
			j.assignNode(a)
		}
	case *syntax.FuncDecl:
		// The body is printed only for the one name that needs it, and only when it is short
		// like RHEL's which: printing and parsing every body of nested functions would take
		// time cubed in their depth.
		body := func() string {
			if x.Body == nil || x.Body.End().Offset()-x.Body.Pos().Offset() > maxStockBody {
				return ""
			}
			return nodeSource(x.Body)
		}
		if x.Name != nil {
			l, c := j.where(x.Pos())
			j.function(x.Name.Value, l, c, body)
		}
		for _, name := range x.Names {
			l, c := j.where(name.Pos())
			j.function(name.Value, l, c, body)
		}
	}
	return true
}

func (j *shellJudge) assignNode(a *syntax.Assign) {
	if a.Name == nil || a.Naked {
		return
	}
	if a.Array != nil {
		// PROMPT_COMMAND=(a b) and PROMPT_COMMAND+=(c): bash runs each element.
		for _, e := range a.Array.Elems {
			if e.Value != nil {
				l, c := j.where(e.Value.Pos())
				j.assign(a.Name.Value, wordText(e.Value), l, c)
			}
		}
		return
	}
	value := ""
	if a.Value != nil {
		value = wordText(a.Value)
	}
	l, c := j.where(a.Pos())
	j.assign(a.Name.Value, value, l, c)
}

// call judges a simple command: alias, trap, unset, set and history change what the shell does.
func (j *shellJudge) call(args []*syntax.Word) {
	words := make([]string, len(args))
	for i, w := range args {
		words[i] = wordText(w)
	}
	for len(words) > 1 && (words[0] == "builtin" || words[0] == "command") {
		words, args = words[1:], args[1:]
	}
	line, col := j.where(args[0].Pos())
	switch words[0] {
	case "alias":
		for i, w := range words[1:] {
			if name, value, ok := strings.Cut(w, "="); ok && !strings.HasPrefix(w, "-") {
				l, c := j.where(args[i+1].Pos())
				j.alias(name, value, l, c)
			}
		}
	case "export", "declare", "typeset", "readonly", "local":
		for i, w := range words[1:] {
			if name, value, ok := strings.Cut(w, "="); ok && !strings.HasPrefix(w, "-") {
				l, c := j.where(args[i+1].Pos())
				j.assign(name, value, l, c)
			}
		}
	case "eval":
		j.nested(strings.Join(words[1:], " "), line, col)
	case "add-zsh-hook":
		if len(words) >= 3 && (words[1] == "precmd" || words[1] == "preexec") {
			j.zshHook(words[1], words[2], line, col)
		}
	case "hash":
		// hash -p FILE NAME: typing NAME runs FILE, whatever PATH says.
		for i := 1; i+2 < len(words); i++ {
			if words[i] == "-p" {
				for _, name := range words[i+2:] {
					j.warn(line, col, fmt.Sprintf("`hash -p %s %s` makes %s run %s in every shell that reads this file, whatever PATH says", words[i+1], name, name, words[i+1]),
						fmt.Sprintf("`hash -d %s` forgets it in this shell and `type -a %s` shows what runs; delete the line from the file.", name, name),
						"type -a "+name, "hash -l", "grep -n 'hash' "+j.scan.n.Sh(j.script.path))
				}
				break
			}
		}
	case "enable":
		// enable -f FILE NAME: a builtin loaded from FILE runs before any command named NAME.
		for i := 1; i+2 < len(words); i++ {
			if words[i] == "-f" {
				for _, name := range words[i+2:] {
					j.warn(line, col, fmt.Sprintf("`enable -f %s %s` loads a builtin named %s from %s: it runs instead of the %s command in every shell that reads this file", words[i+1], name, name, words[i+1], name),
						fmt.Sprintf("`enable -d %s` unloads it from this shell; delete the line and look at %s.", name, words[i+1]),
						"type -a "+name, "enable -a", "grep -n 'enable' "+j.scan.n.Sh(j.script.path))
				}
				break
			}
		}
	case "trap":
		if len(words) > 1 && words[1] == "--" {
			words = words[1:]
		}
		if len(words) >= 3 && words[1] != "-" && words[1] != "" {
			for _, sig := range words[2:] {
				// bash takes signal names in any case, with or without SIG.
				if sig = strings.TrimPrefix(strings.ToUpper(sig), "SIG"); sig == "DEBUG" || sig == "RETURN" || sig == "ERR" {
					when := map[string]string{"DEBUG": "before every command typed", "ERR": "after every command that fails",
						"RETURN": "each time a function or sourced file returns"}[sig]
					j.warn(line, col, fmt.Sprintf("trap runs `%s` %s in these shells (%s trap)%s", words[1], when, sig, hookEffect(words[1])),
						"`trap -p` shows it and `trap - "+sig+"` removes it from this shell; delete the line from the file.",
						"trap -p "+sig)
				}
			}
		}
	case "unset":
		for _, w := range words[1:] {
			if w == "HISTFILE" {
				j.historyOff(line, col, "unset HISTFILE")
			}
		}
	case "set":
		for i := 1; i+1 < len(words); i++ {
			if words[i] == "+o" && words[i+1] == "history" {
				j.historyOff(line, col, "set +o history")
			}
		}
	case "history":
		if len(words) > 1 && words[1] == "-c" {
			j.warn(line, col, "`history -c` clears the shell's history: what was typed before is gone",
				"Delete the line; history already cleared cannot come back, but the timeline of changed files (host.timeline) still shows what was touched.",
				"grep -n 'history' "+j.scan.n.Sh(j.script.path))
		}
	}
}

// alias judges `alias name=value`: an alias of a command a guest relies on must run that command.
func (j *shellJudge) alias(name, value string, line, col int) {
	if !shadowable[name] {
		return
	}
	want := name
	if name == "k" {
		want = "kubectl"
	}
	words := strings.Fields(value)
	for len(words) > 0 && (words[0] == "command" || words[0] == "builtin") {
		words = words[1:]
	}
	if stockAlias(name, value) {
		return
	}
	n := j.scan.n
	cmds := []string{fmt.Sprintf("grep -n 'alias %s=' %s", name, n.Sh(j.script.path)), "type -a " + name}
	hint := fmt.Sprintf("Delete the alias from %s; until then `\\%s` or `command %s` runs the real %s, and `unalias %s` removes it from this shell.",
		n.Display(j.script.path), want, want, want, name)
	if len(words) == 0 || strings.TrimPrefix(path.Base(words[0]), `\`) != want || strings.ContainsAny(value, ";|&`<>") {
		j.warn(line, col, fmt.Sprintf("alias %s runs `%s`, not %s: what you type as %s is not what runs", name, value, want, name), hint, cmds...)
		return
	}
	var odd []string
	for _, a := range words[1:] {
		if !harmlessOption(want, a) {
			odd = append(odd, a)
		}
	}
	if len(odd) == 0 {
		return
	}
	added := strings.Join(odd, " ")
	msg := fmt.Sprintf("alias %s adds `%s` to every %s you type: it shows something other than what you asked for", name, added, name)
	switch {
	case want == "ls" && hidesFiles(odd):
		msg = fmt.Sprintf("alias ls adds `%s`: ls hides the files that match, and so does everything you check with it", added)
	case want == "kubectl":
		msg = fmt.Sprintf("alias %s adds `%s` to every kubectl you type: it may look at another namespace, context, server or user than the one you think", name, added)
	}
	j.warn(line, col, msg, hint, cmds...)
}

// stockAlias reports the aliases distributions ship for a shadowable name: RHEL's which, which
// pipes the aliases and functions to the real which so that it can name them, and vi=vim.
func stockAlias(name, value string) bool {
	switch name {
	case "which":
		return stockWhich(value)
	case "vi", "vim":
		words := strings.Fields(value)
		return len(words) == 1 && (knownEditors[path.Base(words[0])] || words[0] == "__vi_internal_vim_alias")
	}
	return false
}

// stockWhich reports whether shell code is RHEL's which wrapper: `(alias; declare -f) |
// /usr/bin/which --read-alias --read-functions ...`, as alias or function. It lists what the shell
// defines and lets the real which read it; anything else in it (a grep, a redirection) is not stock.
func stockWhich(src string) bool {
	file, err := syntax.NewParser().Parse(strings.NewReader(src), "")
	if err != nil {
		return false
	}
	ok, which := true, false
	syntax.Walk(file, func(node syntax.Node) bool {
		switch x := node.(type) {
		case *syntax.Redirect:
			ok = false
		case *syntax.CallExpr:
			if len(x.Assigns) > 0 || len(x.Args) == 0 {
				ok = false
				return false
			}
			words := make([]string, len(x.Args))
			for i, a := range x.Args {
				words[i] = wordText(a)
			}
			switch words[0] {
			case "alias":
				ok = ok && len(words) == 1
			case "declare", "typeset":
				ok = ok && len(words) == 2 && (words[1] == "-f" || words[1] == "-F")
			case "eval": // eval ${which_declare}: "declare -f" or "typeset -f"
				ok = ok && len(words) == 2 && (words[1] == "${which_declare}" || words[1] == "$which_declare")
			case "/usr/bin/which", "/bin/which":
				which = true
				for _, w := range words[1:] {
					ok = ok && (strings.HasPrefix(w, "--") && !strings.ContainsAny(w, "$`") || w == "$@")
				}
			default:
				ok = false
			}
			return false
		}
		return ok
	})
	return ok && which
}

// harmlessOption is an option an alias may add without changing what a command shows.
func harmlessOption(cmd, opt string) bool {
	switch {
	case strings.HasPrefix(opt, "--color") || strings.HasPrefix(opt, "--colour"):
		return true
	case cmd == "ls":
		return opt == "$LS_OPTIONS" || !strings.Contains(opt, "$") && !hidesFiles([]string{opt}) // Debian's root .bashrc
	case cmd == "rm" || cmd == "cp" || cmd == "mv":
		return opt == "-i" || opt == "-I" || opt == "-v"
	case cmd == "grep":
		return opt == "-n" || opt == "-i" || opt == "-E"
	case cmd == "sudo":
		return opt == "" // `alias sudo='sudo '` lets aliases follow sudo
	}
	return false
}

// hidesFiles reports whether ls options hide names (-I, --ignore, --hide).
func hidesFiles(opts []string) bool {
	for _, o := range opts {
		if o == "-I" || strings.HasPrefix(o, "--ignore") || strings.HasPrefix(o, "--hide") ||
			(strings.HasPrefix(o, "-") && !strings.HasPrefix(o, "--") && strings.Contains(o, "I")) {
			return true
		}
	}
	return false
}

// function judges a shell function: one named like a command runs instead of it.
func (j *shellJudge) function(name string, line, col int, body func() string) {
	n := j.scan.n
	switch {
	case name == "which" && stockWhich(body()):
		// RHEL's which2.sh: the real which, told the shell's aliases and functions.
	case stockPromptFunctions[name] && !strings.HasPrefix(path.Base(j.script.path), "vte"):
		j.warn(line, col, fmt.Sprintf("a function named %s, which VTE terminals' stock PROMPT_COMMAND runs before every prompt, is defined here and not in vte.sh: whatever it does happens each time you press enter", name),
			fmt.Sprintf("Read it (`declare -f %s`), then delete it from %s.", name, n.Display(j.script.path)),
			"declare -f "+name, fmt.Sprintf("grep -n '%s' %s", name, n.Sh(j.script.path)))
	case shadowable[name]:
		j.warn(line, col, fmt.Sprintf("a shell function named %s runs instead of the %s command in every shell that reads this file", name, name),
			fmt.Sprintf("`unset -f %s` removes it from this shell and `command %s` runs the real one; delete the function from %s.", name, name, n.Display(j.script.path)),
			"type "+name, fmt.Sprintf("grep -n '%s' %s", name, n.Sh(j.script.path)))
	case name == "precmd" || name == "preexec" || name == "TRAPDEBUG" || name == "TRAPZERR":
		j.warn(line, col, fmt.Sprintf("zsh runs the function %s before every prompt or command: whatever it does happens each time you press enter", name),
			fmt.Sprintf("Read it (`functions %s`), then delete it from %s.", name, n.Display(j.script.path)),
			"functions "+name)
	}
}

// zshHook judges a function zsh runs before every prompt (precmd) or command (preexec), added with
// precmd_functions+=(fn) or add-zsh-hook; vte.sh adds __vte_osc7, which only reports the directory.
func (j *shellJudge) zshHook(hook, fn string, line, col int) {
	if fn = strings.TrimSpace(fn); fn == "" || stockPromptFunctions[fn] {
		return
	}
	j.warn(line, col, fmt.Sprintf("zsh runs the function %s before every %s (%s hook): whatever it does happens each time you press enter", fn,
		map[string]string{"precmd": "prompt", "preexec": "command"}[hook], hook),
		fmt.Sprintf("Read it (`functions %s`), then take it out of %s (`add-zsh-hook -d %s %s`) and delete the line from %s.", fn, hook, hook, fn, j.scan.n.Display(j.script.path)),
		"functions "+fn, "echo $"+hook+"_functions")
}

// assign judges a variable the shell (or pam_env) sets for every session.
func (j *shellJudge) assign(name, value string, line, col int) {
	n := j.scan.n
	grep := fmt.Sprintf("grep -n '%s' %s", name, n.Sh(j.script.path))
	if fn, ok := strings.CutPrefix(name, "BASH_FUNC_"); ok {
		// bash turns BASH_FUNC_name%%=() { ... } in its environment into a function.
		j.function(strings.TrimSuffix(strings.TrimSuffix(fn, "%%"), "()"), line, col, func() string { return value })
		return
	}
	switch name {
	case "precmd_functions", "preexec_functions":
		// zsh runs each function named in these arrays before every prompt or command.
		j.zshHook(strings.TrimSuffix(name, "_functions"), value, line, col)
	case "PS0", "PS1", "PS2", "PS4", "PROMPT", "RPROMPT":
		j.prompt(name, value, line, col, grep)
	case "PROMPT_COMMAND":
		if strings.TrimSpace(value) == "" || j.stockPrompt(value) {
			return
		}
		j.warn(line, col, fmt.Sprintf("PROMPT_COMMAND runs `%s` before every prompt%s", value, hookEffect(value)),
			"`echo \"$PROMPT_COMMAND\"` shows it and `unset PROMPT_COMMAND` stops it in this shell; delete the line from the file.",
			`echo "$PROMPT_COMMAND"`, grep)
	case "KUBE_EDITOR", "EDITOR", "VISUAL":
		editor := strings.Fields(value)
		if len(editor) == 0 || strings.ContainsAny(value, "$`") || knownEditors[path.Base(editor[0])] {
			return
		}
		what := "`kubectl edit` opens"
		if name != "KUBE_EDITOR" {
			what = "`kubectl edit` (when KUBE_EDITOR is unset), `crontab -e` and `systemctl edit` open"
		}
		j.warn(line, col, fmt.Sprintf("%s=%s: %s `%s`, not an editor you can drive on camera", name, value, what, value),
			fmt.Sprintf("`export %s=vi` (or nano) in this shell; delete the line from the file.", name),
			"echo \"$"+name+"\"", grep)
	case "HISTFILE":
		if v := strings.TrimSpace(value); v == "" || v == "/dev/null" {
			j.historyOff(line, col, name+"="+v)
		}
	case "HISTSIZE", "HISTFILESIZE", "SAVEHIST":
		if strings.TrimSpace(value) == "0" {
			j.historyOff(line, col, name+"=0")
		}
	case "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT":
		if strings.TrimSpace(value) == "" {
			return
		}
		j.warn(line, col, fmt.Sprintf("%s=%s: every program started from these shells loads it, kubectl and ls included", name, value),
			fmt.Sprintf("Look at what it names (`file`, `dpkg -S`); `unset %s` in this shell; delete the line from the file.", name),
			"echo \"$"+name+"\"", grep)
	case "BASH_ENV", "ENV":
		if strings.TrimSpace(value) == "" {
			return
		}
		j.warn(line, col, fmt.Sprintf("%s=%s: every non-interactive shell (every script) runs that file first", name, value),
			fmt.Sprintf("Read the file it names; `unset %s`; delete the line.", name), "echo \"$"+name+"\"", grep)
	case "PATH":
		j.path(value, line, col, grep)
	case "KUBECONFIG":
		j.kubeconfig(value, line, col, grep)
	}
}

// prompt judges a prompt string: bash expands $(...) in it each time it draws it (PS0 before every
// command). A prompt that shows git's branch is common; one that changes the node is a trick.
func (j *shellJudge) prompt(name, value string, line, col int, grep string) {
	if !strings.Contains(value, "$(") && !strings.Contains(value, "`") {
		return
	}
	word, err := syntax.NewParser().Document(strings.NewReader(value))
	if err != nil || word == nil {
		return
	}
	syntax.Walk(word, func(node syntax.Node) bool {
		cs, ok := node.(*syntax.CmdSubst)
		if !ok {
			return true
		}
		var b strings.Builder
		for i, st := range cs.Stmts {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(nodeSource(st))
		}
		code := b.String()
		if name != "PS0" && len(cronReasons(code)) == 0 {
			return false
		}
		j.warn(line, col, fmt.Sprintf("%s runs `%s` each time the shell draws it%s", name, code, hookEffect(code)),
			fmt.Sprintf("`echo \"$%s\"` shows it; set it without $(...) in this shell and delete the line from the file.", name),
			"echo \"$"+name+"\"", grep)
		return false
	})
}

// stockPromptFunctions are the functions vte.sh (vte-2.91.sh) defines and puts in PROMPT_COMMAND
// (or zsh's precmd_functions) to set the terminal's title and directory.
var stockPromptFunctions = map[string]bool{"__vte_prompt_command": true, "__vte_osc7": true}

// stockPrompt reports the PROMPT_COMMANDs distributions set: RHEL's /etc/bashrc prints the
// terminal's title with printf or runs /etc/sysconfig/bash-prompt-xterm when that file exists (no
// package ships one: when it exists it is judged like any command), vte.sh runs its functions.
func (j *shellJudge) stockPrompt(value string) bool {
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "/etc/sysconfig/bash-prompt-") && !strings.ContainsAny(v, " \t;|&$`<>") {
		_, err := j.scan.n.Stat(j.ctx, v)
		return err != nil
	}
	file, err := syntax.NewParser().Parse(strings.NewReader(v), "")
	if err != nil {
		return false
	}
	ok := true
	syntax.Walk(file, func(node syntax.Node) bool {
		switch x := node.(type) {
		case *syntax.Redirect, *syntax.CmdSubst, *syntax.ProcSubst, *syntax.FuncDecl:
			ok = false
		case *syntax.CallExpr:
			if len(x.Assigns) > 0 || len(x.Args) == 0 {
				ok = false
				break
			}
			name := wordText(x.Args[0])
			ok = ok && (name == "printf" || name == "echo" || stockPromptFunctions[name] && len(x.Args) == 1)
		}
		return ok
	})
	return ok
}

// hookEffect ends the message about code the shell runs on every prompt or command.
func hookEffect(cmd string) string {
	if reasons := cronReasons(cmd); len(reasons) > 0 {
		return ", and it " + strings.Join(reasons, ", ") + ": each time you press enter it happens again"
	}
	return ": whatever it does happens each time you press enter"
}

// path judges a PATH: the current directory or a world-writable temp dir in it lets anyone drop
// a `kubectl` that runs instead of the real one.
func (j *shellJudge) path(value string, line, col int, grep string) {
	for _, dir := range strings.Split(value, ":") {
		var why string
		switch {
		case strings.Contains(dir, "$"):
			continue
		case dir == "" || dir == "." || !strings.HasPrefix(dir, "/") && !strings.HasPrefix(dir, "~"):
			why = fmt.Sprintf("the current directory (%q) is on PATH: a file named kubectl or ls wherever you cd runs instead of the real one", dir)
		case underAny(dir, "/tmp", "/var/tmp", "/dev/shm"):
			why = fmt.Sprintf("%s is on PATH: anyone can drop a kubectl or ls there that runs instead of the real one", dir)
		default:
			continue
		}
		j.warn(line, col, why, "Take it out of PATH (and look at what is in it: `ls -la "+checks.ShellQuote(dir)+"`); delete it from the line.",
			"echo \"$PATH\"", "type -a kubectl", grep)
	}
}

func underAny(dir string, roots ...string) bool {
	for _, r := range roots {
		if dir == r || strings.HasPrefix(dir, r+"/") {
			return true
		}
	}
	return false
}

// kubeconfig judges a KUBECONFIG set for every shell: files that do not exist leave kubectl with
// no cluster ("connection to the server localhost:8080 was refused").
func (j *shellJudge) kubeconfig(value string, line, col int, grep string) {
	n := j.scan.n
	for _, p := range strings.Split(value, ":") {
		if j.script.home != "" {
			for _, h := range []string{"~", "$HOME", "${HOME}"} {
				if p == h || strings.HasPrefix(p, h+"/") {
					p = j.script.home + strings.TrimPrefix(p, h)
				}
			}
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "$") {
			continue
		}
		if _, err := n.Stat(j.ctx, p); err != nil {
			j.finding(checks.StatusWarn, line, col, fmt.Sprintf("KUBECONFIG names %s, which cannot be read here (%s): kubectl in these shells finds no cluster, or only the other files", p, nodefs.ErrorText(err)),
				"Point KUBECONFIG at the admin kubeconfig (/etc/kubernetes/admin.conf on a control-plane node) or unset it to use ~/.kube/config.",
				"echo \"$KUBECONFIG\"", "ls -l "+n.Sh(p), grep)
			continue
		}
		j.finding(checks.StatusOK, line, col, fmt.Sprintf("every shell that reads this file uses the kubeconfig %s (api.kubeconfig judges the one kockpit runs with)", p), "",
			"echo \"$KUBECONFIG\"", "kubectl config view --minify")
	}
}

func (j *shellJudge) historyOff(line, col int, what string) {
	j.warn(line, col, fmt.Sprintf("`%s`: shells that read this file keep no history, so what was typed on this node cannot be read back", what),
		"Delete the line; the timeline of changed files (host.timeline) still shows what was touched.",
		`echo "$HISTFILE $HISTSIZE"`, fmt.Sprintf("grep -n 'HIST' %s", j.scan.n.Sh(j.script.path)))
}

func (j *shellJudge) parseError(err error, shell string) {
	line, col := 0, 0
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		line, col = int(pe.Pos.Line()), int(pe.Pos.Col())
		err = errors.New(pe.Text)
	}
	if shell == "zsh" {
		// The parser's zsh is not all of zsh: say what was not read rather than warn.
		j.finding(checks.StatusOK, line, col, fmt.Sprintf("kockpit could not read this file as zsh past line %d (%v): the rest was not checked", line, err), "", "zsh -n "+j.scan.n.Sh(j.script.path))
		return
	}
	j.warn(line, col, fmt.Sprintf("bash cannot parse line %d (%v): every shell that reads this file prints an error there, and kockpit did not check the rest", line, err),
		"Fix the line (`bash -n FILE` shows the same error).", "bash -n "+j.scan.n.Sh(j.script.path))
}

func (j *shellJudge) warn(line, col int, msg, hint string, cmds ...string) {
	j.finding(checks.StatusWarn, line, col, msg, hint, cmds...)
}

// finding adds a finding at a line of the script, quoting the line; col is a byte column.
func (j *shellJudge) finding(sev checks.Severity, line, col int, msg, hint string, cmds ...string) {
	var ev []string
	if line >= 1 && line <= len(j.lines) {
		text := j.lines[line-1]
		ev = []string{fmt.Sprintf("line %d: %s", line, strings.TrimSpace(text))}
		if col >= 1 && col-1 <= len(text) {
			col = utf8.RuneCountInString(text[:col-1]) + 1
		}
	}
	j.scan.findings = append(j.scan.findings, checks.Finding{Severity: sev, File: j.scan.n.Ref(j.script.path, line, col),
		Message: msg, Evidence: ev, Hint: hint, Commands: cmds})
}

// history judges a home's shell history files: one sent to /dev/null keeps nothing, one emptied
// within the timeline's window was wiped.
func (s *shellScan) history(ctx context.Context, home string) {
	n := s.n
	for _, name := range historyFiles {
		p := path.Join(home, name)
		e, err := n.Lstat(ctx, p)
		if err != nil {
			continue
		}
		cmds := []string{"ls -la " + n.Sh(p)}
		hint := "Remove the link or device and let the shell write the file again (`rm " + n.Sh(p) + "`, then log out and in); what was typed before is gone, but host.timeline shows what changed."
		if e.Mode&fs.ModeSymlink != 0 {
			if target, err := n.Readlink(ctx, p); err == nil && (target == "/dev/null" || strings.HasPrefix(target, "/dev/")) {
				s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0), Commands: cmds, Hint: hint,
					Evidence: []string{name + " -> " + target},
					Message:  fmt.Sprintf("%s is a link to %s: nothing typed in these shells is kept", p, target)})
			}
			continue
		}
		if e.Mode&fs.ModeDevice != 0 {
			s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0), Commands: cmds, Hint: hint,
				Message: fmt.Sprintf("%s is a device, not a file: nothing typed in these shells is kept", p)})
			continue
		}
		// An unpacked scenario's times are this machine's: "emptied just now" would be a lie.
		if e.IsRegular() && e.Size == 0 && !n.Env.Host.Unpacked && n.Now.Sub(e.Mtime) < n.Since && n.Now.Sub(e.Mtime) >= 0 {
			s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, 0, 0), Commands: append(cmds, "stat "+n.Sh(p)),
				Evidence: []string{"size 0, modified " + phrase.Stamp(e.Mtime) + ", changed " + phrase.Stamp(e.Ctime)},
				Hint:     "Ask who was logged in (`last`, `journalctl _COMM=sshd`); host.timeline shows what else changed then.",
				Message:  fmt.Sprintf("%s is empty and was written %s: the history was wiped, or nothing was typed", p, phrase.Ago(n.Now, e.Mtime))})
		}
	}
}

// Crontabs: the system's take a user field, the spool's are named after their user.
var (
	systemCrontabs    = []string{"/etc/crontab"}
	systemCrontabDirs = []string{"/etc/cron.d"}
	userCrontabDirs   = []string{"/var/spool/cron/crontabs", "/var/spool/cron"}
)

// crontabs reads every crontab and judges each job.
func (s *shellScan) crontabs(ctx context.Context) {
	for _, p := range systemCrontabs {
		s.crontab(ctx, p, "")
	}
	for _, dir := range append(systemCrontabDirs, userCrontabDirs...) {
		for _, e := range s.list(ctx, dir) {
			if !e.IsRegular() || strings.HasPrefix(e.Name(), ".") || packageLeftover(e.Name()) {
				continue
			}
			user := ""
			if containsString(userCrontabDirs, dir) {
				user = e.Name()
			}
			s.crontab(ctx, e.Path, user)
		}
	}
}

// crontab judges the jobs of one crontab; user is its owner for a user crontab, "" when each
// line names its user.
func (s *shellScan) crontab(ctx context.Context, p, user string) {
	data, ok := s.read(ctx, p)
	if !ok {
		return
	}
	s.tabs++
	n := s.n
	for i, line := range strings.Split(string(data), "\n") {
		job, ok := parseCronLine(line, user == "")
		if !ok {
			continue
		}
		s.jobs++
		if user != "" {
			job.user = user
		}
		show := []string{"cat " + n.Sh(p)}
		if user != "" {
			show = append(show, "crontab -l -u "+user)
		}
		ev := []string{fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line))}
		col := 0
		if at := strings.Index(line, job.command); at >= 0 {
			col = utf8.RuneCountInString(line[:at]) + 1
		}
		reasons := cronReasons(cronShellText(job.command))
		if len(reasons) == 0 {
			s.findings = append(s.findings, checks.Finding{Severity: checks.StatusOK, File: n.Ref(p, i+1, col), Evidence: ev, Commands: show,
				Message: fmt.Sprintf("cron runs `%s` %s as %s", job.command, job.when(), job.user)})
			continue
		}
		s.findings = append(s.findings, checks.Finding{Severity: checks.StatusWarn, File: n.Ref(p, i+1, col), Evidence: ev, Commands: show,
			Message: fmt.Sprintf("cron runs `%s` %s as %s, and it %s: a job like this puts a breakage back after you fix it", job.command, job.when(), job.user, strings.Join(reasons, ", ")),
			Hint:    fmt.Sprintf("Comment out line %d of %s (cron rereads it by itself), then undo what the job did.", i+1, n.Display(p))})
	}
}

// packageLeftover is a file a package manager left beside a crontab it updated: cron does not
// read it (Debian's reads no name with a dot at all, cronie skips these).
func packageLeftover(name string) bool {
	for _, suffix := range []string{"~", ".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-tmp", ".dpkg-bak", ".ucf-old", ".ucf-dist", ".rpmsave", ".rpmnew", ".rpmorig", ".swp"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// cronJob is one line of a crontab.
type cronJob struct {
	schedule []string // five fields, or one @keyword
	user     string
	command  string
}

// when says how often a job runs, as a person would.
func (c cronJob) when() string {
	s := strings.Join(c.schedule, " ")
	everyMinute := len(c.schedule) == 5
	for i, f := range c.schedule {
		everyMinute = everyMinute && (f == "*" || f == "*/1" || i == 0 && (f == "0-59" || f == "0-59/1"))
	}
	switch {
	case everyMinute || s == "@minutely":
		return "every minute"
	case s == "@reboot":
		return "at every boot"
	}
	return "on schedule `" + s + "`"
}

// parseCronLine reads a job line; comments, blank lines and VAR=value lines are not jobs.
func parseCronLine(line string, withUser bool) (cronJob, bool) {
	text := strings.TrimSpace(line)
	if text == "" || strings.HasPrefix(text, "#") {
		return cronJob{}, false
	}
	fields := strings.Fields(text)
	nSchedule := 5
	if strings.HasPrefix(fields[0], "@") {
		nSchedule = 1
	} else if eq := strings.Index(text, "="); eq > 0 && !strings.ContainsAny(strings.TrimRight(text[:eq], " \t"), " \t*/,") {
		return cronJob{}, false // an environment line: SHELL=/bin/sh, or NAME = value
	}
	need := nSchedule + 1
	if withUser {
		need++
	}
	if len(fields) < need {
		return cronJob{}, false
	}
	job := cronJob{schedule: fields[:nSchedule]}
	rest := fields[nSchedule:]
	if withUser {
		job.user, rest = rest[0], rest[1:]
	}
	// The command is the rest of the line as written, spacing and all.
	for _, f := range fields[:len(fields)-len(rest)] {
		text = strings.TrimLeftFunc(text, unicode.IsSpace)[len(f):]
	}
	job.command = strings.TrimSpace(text)
	return job, job.command != ""
}

// cronShellText is what cron hands the shell: an unescaped % ends the command and the rest goes to
// its standard input, one line per %, and \% is a %. A shell reading that input (sh%kubectl ...)
// runs it, so the lines are judged as commands too.
func cronShellText(cmd string) string {
	var b strings.Builder
	for i := 0; i < len(cmd); i++ {
		switch {
		case cmd[i] == '\\' && i+1 < len(cmd) && cmd[i+1] == '%':
			b.WriteByte('%')
			i++
		case cmd[i] == '%':
			b.WriteByte('\n')
		default:
			b.WriteByte(cmd[i])
		}
	}
	return b.String()
}

// cronReasons says what in a job's command is what people who break nodes do.
func cronReasons(cmd string) []string {
	var out []string
	add := func(ok bool, why string) {
		if ok {
			out = append(out, why)
		}
	}
	commands, words := commandWords(cmd)
	has := func(names ...string) bool {
		for _, c := range commands {
			if containsString(names, c) {
				return true
			}
		}
		return false
	}
	touches := func(dirs ...string) bool {
		for _, w := range words {
			if underAny(w, dirs...) {
				return true
			}
		}
		return false
	}
	add(touches("/tmp", "/var/tmp", "/dev/shm"), "runs from a world-writable directory")
	add(has("curl", "wget") && has("sh", "bash", "zsh", "dash", "python", "python3", "perl"), "downloads code and runs it")
	add(has("base64") && (strings.Contains(cmd, " -d") || strings.Contains(cmd, "--decode")), "decodes hidden base64")
	add(has("chattr", "chmod", "chown", "setfacl"), "changes file attributes or modes")
	add(has("kubectl", "kubeadm", "crictl", "ctr", "nerdctl", "etcdctl", "helm"), "drives the cluster or the runtime")
	add(has("iptables", "ip6tables", "nft", "tc", "ip", "sysctl", "swapon", "modprobe", "rmmod"), "changes the network or the kernel")
	add(has("systemctl") && (containsString(words, "stop") || containsString(words, "disable") || containsString(words, "mask") || containsString(words, "kill")),
		"stops services")
	add(touches("/etc/kubernetes", "/var/lib/kubelet", "/etc/cni", "/opt/cni", "/etc/containerd", "/var/lib/etcd",
		"/etc/hosts", "/etc/resolv.conf", "/etc/ld.so.preload", "/usr/bin/kubectl", "/usr/bin/kubelet"), "touches files Kubernetes needs")
	return out
}

// wordText is a shell word with its quotes removed, as the shell passes it on; expansions are
// kept as written ("$HOME"), since kockpit does not run the shell.
func wordText(w *syntax.Word) string {
	var b strings.Builder
	for _, part := range w.Parts {
		switch x := part.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(x.Value, false))
		case *syntax.SglQuoted:
			b.WriteString(x.Value)
		case *syntax.DblQuoted:
			for _, in := range x.Parts {
				if lit, ok := in.(*syntax.Lit); ok {
					b.WriteString(unescape(lit.Value, true))
				} else {
					b.WriteString(nodeSource(in))
				}
			}
		default:
			b.WriteString(nodeSource(part))
		}
	}
	return b.String()
}

// unescape removes the backslashes the shell removes: before any character outside quotes
// (\alias is alias), before $ ` " \ and a newline inside double quotes.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (!quoted || strings.IndexByte("$`\"\\\n", s[i+1]) >= 0) {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// nodeSource prints a piece of shell syntax back as source.
func nodeSource(node syntax.Node) string {
	var b bytes.Buffer
	if err := syntax.NewPrinter().Print(&b, node); err != nil {
		return "…"
	}
	return b.String()
}

// commandWords parses a command line as the shell would: the names of the programs it runs
// (through sudo, env, timeout and the like, and inside sh -c '...' and eval) and every word and
// redirection target it passes.
func commandWords(cmd string) (commands, words []string) {
	c := &cmdScan{}
	c.scan(cmd, 0)
	return c.commands, c.words
}

// cmdScan gathers the commands and words of a command line and of the code it hands on.
type cmdScan struct{ commands, words []string }

func (c *cmdScan) scan(cmd string, depth int) {
	file, err := syntax.NewParser().Parse(strings.NewReader(cmd), "")
	if err != nil {
		// Not shell we can read: judge the words as they stand.
		for _, w := range strings.FieldsFunc(cmd, func(r rune) bool { return strings.ContainsRune(" \t\n;|&()'\"<>`", r) }) {
			c.words = append(c.words, w)
			c.commands = append(c.commands, path.Base(w))
		}
		return
	}
	syntax.Walk(file, func(node syntax.Node) bool {
		switch x := node.(type) {
		case *syntax.CallExpr:
			ws := make([]string, len(x.Args))
			for i, a := range x.Args {
				ws[i] = wordText(a)
			}
			c.words = append(c.words, ws...)
			c.call(ws, depth)
		case *syntax.Redirect:
			if x.Word != nil {
				c.words = append(c.words, wordText(x.Word))
			}
		}
		return true
	})
}

// commandWrapper is a program that runs the command its arguments name: the options that take
// a value, the options whose value is a command line, and how many operands come before the command.
type commandWrapper struct {
	valued, code string
	operands     int
}

var commandWrappers = map[string]commandWrapper{
	"sudo": {valued: "-u -g -C -D -h -p -r -t -U -T -R --user --group --chdir --host --prompt --role --type --other-user --command-timeout"},
	"doas": {valued: "-u -C"}, "env": {valued: "-u -C --unset --chdir", code: "-S --split-string"},
	"nohup": {}, "exec": {valued: "-a"}, "command": {}, "builtin": {}, "setsid": {}, "unshare": {}, "chronic": {}, "busybox": {},
	"timeout": {valued: "-s -k --signal --kill-after", operands: 1}, "nice": {valued: "-n --adjustment"},
	"ionice": {valued: "-c -n -p -P -u --class --classdata"}, "chrt": {valued: "-p", operands: 1}, "taskset": {operands: 1},
	"xargs":  {valued: "-a -d -E -e -I -i -L -l -n -P -s --arg-file --delimiter --max-args --max-procs --max-lines --replace"},
	"stdbuf": {valued: "-i -o -e"}, "chroot": {valued: "--userspec --groups", operands: 1},
	"nsenter": {valued: "-t -S -G --target --setuid --setgid"}, "flock": {valued: "-w -E --timeout --conflict-exit-code", code: "-c --command", operands: 1},
	"runuser": {valued: "-u -g -G -s --user --group --supp-group --shell", code: "-c --command"},
	"su":      {valued: "-g -G -s --group --supp-group --shell", code: "-c --command"},
	"watch":   {valued: "-n -d --interval", code: "-x --exec"}, "time": {valued: "-f -o --format --output"},
	"systemd-run": {valued: "-p -u -E --unit --property --setenv --description --on-calendar --on-active --uid --gid --working-directory"},
}

// shells run the code after -c.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "ash": true}

// call notes the programs one simple command runs.
func (c *cmdScan) call(ws []string, depth int) {
	nested := func(s string) {
		if depth < maxNested {
			c.scan(s, depth+1)
		}
	}
	for i := 0; i < len(ws); {
		base := path.Base(ws[i])
		c.commands = append(c.commands, base)
		i++
		switch {
		case shells[base]:
			// sh -c 'code', bash -ec 'code': the first operand after the option is the code.
			for k := i; k < len(ws); k++ {
				if a := ws[k]; len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'c') {
					for k++; k < len(ws) && strings.HasPrefix(ws[k], "-"); k++ {
					}
					if k < len(ws) {
						nested(ws[k])
					}
					break
				}
			}
			return
		case base == "eval":
			nested(strings.Join(ws[i:], " "))
			return
		}
		w, ok := commandWrappers[base]
		if !ok {
			return
		}
		operands := w.operands
	args:
		for i < len(ws) {
			a := ws[i]
			name, value, attached := strings.Cut(a, "=")
			switch {
			case a == "--":
				i++
				break args
			case strings.HasPrefix(a, "-") && len(a) > 1 && containsString(strings.Fields(w.code), name):
				if attached {
					nested(value)
					i++
				} else if i+1 < len(ws) {
					nested(ws[i+1])
					i += 2
				} else {
					i++
				}
				if base == "watch" {
					break args // watch -x runs the rest as a command
				}
			case strings.HasPrefix(a, "-") && len(a) > 1:
				i++
				if !attached && containsString(strings.Fields(w.valued), a) {
					i++
				}
			case attached && !strings.ContainsAny(name, "/$ "):
				i++ // env NAME=value
			case operands > 0:
				operands--
				i++
			default:
				break args
			}
		}
	}
}
