// host.shell, judging a start-up file's syntax tree: aliases and functions over commands a guest
// relies on, PROMPT_COMMAND, prompts, zsh hooks, traps, hash and enable, and variables such as
// KUBE_EDITOR, PATH, LD_PRELOAD and KUBECONFIG; the findings at a line of the file.

package host

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/nodefs"
	"mvdan.cc/sh/v3/syntax"
)

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
						fmt.Sprintf("`%s` forgets it in this shell and `%s` shows what runs; delete the line from the file.",
							checks.Cmd("hash", "-d", name), checks.Cmd("type", "-a", name)),
						checks.Cmd("type", "-a", name), checks.Cmd("hash", "-l"), checks.Cmd("grep", "-n", "hash", j.scan.n.Display(j.script.path)))
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
						fmt.Sprintf("`%s` unloads it from this shell; delete the line and look at %s.", checks.Cmd("enable", "-d", name), words[i+1]),
						checks.Cmd("type", "-a", name), checks.Cmd("enable", "-a"), checks.Cmd("grep", "-n", "enable", j.scan.n.Display(j.script.path)))
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
						"`trap -p` shows it and `"+checks.Cmd("trap", "-", sig).String()+"` removes it from this shell; delete the line from the file.",
						checks.Cmd("trap", "-p", sig))
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
				checks.Cmd("grep", "-n", "history", j.scan.n.Display(j.script.path)))
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
	cmds := []checks.Command{checks.Cmd("grep", "-n", "alias "+name+"=", n.Display(j.script.path)), checks.Cmd("type", "-a", name)}
	// want is a command of kockpit's list (shadowable), so \want is written as it is.
	hint := fmt.Sprintf("Delete the alias from %s; until then `\\%s` or `%s` runs the real %s, and `%s` removes it from this shell.",
		n.Display(j.script.path), want, checks.Cmd("command", want), want, checks.Cmd("unalias", name))
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
			fmt.Sprintf("Read it (`%s`), then delete it from %s.", checks.Cmd("declare", "-f", name), n.Display(j.script.path)),
			checks.Cmd("declare", "-f", name), checks.Cmd("grep", "-n", name, n.Display(j.script.path)))
	case shadowable[name]:
		j.warn(line, col, fmt.Sprintf("a shell function named %s runs instead of the %s command in every shell that reads this file", name, name),
			fmt.Sprintf("`%s` removes it from this shell and `%s` runs the real one; delete the function from %s.",
				checks.Cmd("unset", "-f", name), checks.Cmd("command", name), n.Display(j.script.path)),
			checks.Cmd("type", name), checks.Cmd("grep", "-n", name, n.Display(j.script.path)))
	case name == "precmd" || name == "preexec" || name == "TRAPDEBUG" || name == "TRAPZERR":
		j.warn(line, col, fmt.Sprintf("zsh runs the function %s before every prompt or command: whatever it does happens each time you press enter", name),
			fmt.Sprintf("Read it (`%s`), then delete it from %s.", checks.Cmd("functions", name), n.Display(j.script.path)),
			checks.Cmd("functions", name))
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
		fmt.Sprintf("Read it (`%s`), then take it out of %s (`%s`) and delete the line from %s.",
			checks.Cmd("functions", fn), hook, checks.Cmd("add-zsh-hook", "-d", hook, fn), j.scan.n.Display(j.script.path)),
		checks.Cmd("functions", fn), zshHookShow[hook])
}

// zshHookShow shows a zsh hook's array of functions; the variable is shell syntax, so one
// command is written for each hook there is.
var zshHookShow = map[string]checks.Command{
	"precmd":  checks.Cmd("echo").Shell("$precmd_functions"),
	"preexec": checks.Cmd("echo").Shell("$preexec_functions"),
}

// assign judges a variable the shell (or pam_env) sets for every session.
func (j *shellJudge) assign(name, value string, line, col int) {
	n := j.scan.n
	grep := checks.Cmd("grep", "-n", name, n.Display(j.script.path))
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
			checks.Cmd("echo").Var("PROMPT_COMMAND"), grep)
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
			fmt.Sprintf("`%s` (or nano) in this shell; delete the line from the file.", checks.Cmd("export", name+"=vi")),
			checks.Cmd("echo").Var(name), grep)
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
			fmt.Sprintf("Look at what it names (`file`, `dpkg -S`); `%s` in this shell; delete the line from the file.", checks.Cmd("unset", name)),
			checks.Cmd("echo").Var(name), grep)
	case "BASH_ENV", "ENV":
		if strings.TrimSpace(value) == "" {
			return
		}
		j.warn(line, col, fmt.Sprintf("%s=%s: every non-interactive shell (every script) runs that file first", name, value),
			fmt.Sprintf("Read the file it names; `%s`; delete the line.", checks.Cmd("unset", name)), checks.Cmd("echo").Var(name), grep)
	case "PATH":
		j.path(value, line, col, grep)
	case "KUBECONFIG":
		j.kubeconfig(value, line, col, grep)
	}
}

// prompt judges a prompt string: bash expands $(...) in it each time it draws it (PS0 before every
// command). A prompt that shows git's branch is common; one that changes the node is a trick.
func (j *shellJudge) prompt(name, value string, line, col int, grep checks.Command) {
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
			fmt.Sprintf("`%s` shows it; set it without $(...) in this shell and delete the line from the file.", checks.Cmd("echo").Var(name)),
			checks.Cmd("echo").Var(name), grep)
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
func (j *shellJudge) path(value string, line, col int, grep checks.Command) {
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
		j.warn(line, col, why, "Take it out of PATH (and look at what is in it: `"+checks.Cmd("ls", "-la", dir).String()+"`); delete it from the line.",
			checks.Cmd("echo").Var("PATH"), checks.Cmd("type", "-a", "kubectl"), grep)
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
func (j *shellJudge) kubeconfig(value string, line, col int, grep checks.Command) {
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
				checks.Cmd("echo").Var("KUBECONFIG"), checks.Cmd("ls", "-l", n.Display(p)), grep)
			continue
		}
		j.finding(checks.StatusOK, line, col, fmt.Sprintf("every shell that reads this file uses the kubeconfig %s (api.kubeconfig judges the one kockpit runs with)", p), "",
			checks.Cmd("echo").Var("KUBECONFIG"), checks.Cmd("kubectl", "config", "view", "--minify"))
	}
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
		j.finding(checks.StatusOK, line, col, fmt.Sprintf("kockpit could not read this file as zsh past line %d (%v): the rest was not checked", line, err), "", checks.Cmd("zsh", "-n", j.scan.n.Display(j.script.path)))
		return
	}
	j.warn(line, col, fmt.Sprintf("bash cannot parse line %d (%v): every shell that reads this file prints an error there, and kockpit did not check the rest", line, err),
		"Fix the line (`bash -n FILE` shows the same error).", checks.Cmd("bash", "-n", j.scan.n.Display(j.script.path)))
}

func (j *shellJudge) warn(line, col int, msg, hint string, cmds ...checks.Command) {
	j.finding(checks.StatusWarn, line, col, msg, hint, cmds...)
}

// finding adds a finding at a line of the script, quoting the line; col is a byte column.
func (j *shellJudge) finding(sev checks.Severity, line, col int, msg, hint string, cmds ...checks.Command) {
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
