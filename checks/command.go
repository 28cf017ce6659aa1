package checks

import (
	"slices"
	"strconv"
	"strings"
)

// Command is a command that shows what a finding saw without kockpit (kubectl, or a shell
// command on a node). It is kept as argument lists, one per stage of a pipeline (the program and
// its arguments), and rendered to one POSIX shell line by String: quoting is decided there and
// nowhere else, so a value from the cluster or a node (a name, a label, a path, a jsonpath) is
// always one inert word, whatever it holds.
//
// Build it with Cmd, then Args, Pipe, Shell, Glob, Sub and Note. A Command is a value: every
// method returns a new one and never changes the one it is called on, so a prefix can be shared.
type Command struct {
	stages []stage
	// note is a comment after the command: text from kockpit's source, then values.
	note       string
	noteValues []string
}

// A stage is one program and its arguments; its first word is the program.
type stage []word

// A word is one argument as the shell sees it: pieces written next to each other.
type word []piece

// A piece is a literal value (quoted when it needs it), shell syntax from kockpit's source
// (shell), or a command run inside such syntax (inner).
type piece struct {
	text  string
	shell bool
	inner *Command
}

// shellSyntax is shell syntax written in kockpit's own source: a redirection (2>/dev/null), a
// glob (*), a command substitution written by us ($(hostname)), a variable ("$KUBECONFIG"), a
// tilde (~/.bashrc). Outside this package only an untyped string constant converts to it; a
// string variable does not compile, so a value from the cluster or a node cannot be passed where
// shell syntax is expected. Never build one from such a value inside this package either.
type shellSyntax string

// Cmd starts a command: a program and its arguments, each one word whatever it holds.
func Cmd(program string, args ...string) Command {
	return Command{}.Pipe(program, args...)
}

// Pipe adds a stage: the output of the command so far goes to program's input.
func (c Command) Pipe(program string, args ...string) Command {
	out := c.clone()
	s := make(stage, 0, 1+len(args))
	s = append(s, literal(program))
	for _, a := range args {
		s = append(s, literal(a))
	}
	out.stages = append(out.stages, s)
	return out
}

// Args adds arguments to the last stage, each one word whatever it holds.
func (c Command) Args(args ...string) Command {
	out := c.clone()
	for _, a := range args {
		out = out.add(literal(a))
	}
	return out
}

// Shell adds a word of shell syntax written in kockpit's source, as it is written: a
// redirection, a command substitution, a variable. Only constants compile here; see shellSyntax.
func (c Command) Shell(syntax shellSyntax) Command {
	return c.clone().add(word{{text: string(syntax), shell: true}})
}

// Glob adds one word naming the files in dir that match pattern: dir is a value, quoted when it
// needs it; "/" and the pattern are shell syntax from kockpit's source, so the shell expands them.
func (c Command) Glob(dir string, pattern shellSyntax) Command {
	return c.clone().add(word{{text: dir}, {text: "/" + string(pattern), shell: true}})
}

// Var adds one word that expands a shell variable, "$name", for a command that shows a
// variable's value. Only a shell identifier is a variable: any other name is written as the
// literal text $name, quoted, so nothing expands.
func (c Command) Var(name string) Command {
	if !isIdentifier(name) {
		return c.Args("$" + name)
	}
	return c.clone().add(word{{text: `"$`, shell: true}, {text: name}, {text: `"`, shell: true}})
}

// isIdentifier reports whether s is a shell variable name: a letter or _, then letters, digits, _.
func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

// Sub adds one word that runs another command inside shell syntax from kockpit's source, such
// as bash's process substitution: Sub("<(", checks.Cmd("openssl", "pkey", "-pubout", "-in",
// key), ")") is <(openssl pkey -pubout -in KEY). The inner command quotes its own values.
func (c Command) Sub(open shellSyntax, inner Command, close shellSyntax) Command {
	return c.clone().add(word{{text: string(open), shell: true}, {inner: &inner}, {text: string(close), shell: true}})
}

// Note adds a comment after the command, for the person reading it: text from kockpit's source
// ("on a node"), then each value after a space ("on", node.Name), quoted when it needs it. A
// line break would end the comment and start a command, so a value holding one is written
// with Go's escapes ("a\nb") instead.
func (c Command) Note(text shellSyntax, values ...string) Command {
	out := c.clone()
	out.note, out.noteValues = string(text), slices.Clone(values)
	return out
}

// Redact returns the command with redact applied to every value it holds, never to shell
// syntax from kockpit's source: to each argument, then to each argument after the one before
// it, so a flag whose value is the next argument (--token X) loses the value too. Quoting
// happens after, so a redacted value is still one word.
func (c Command) Redact(redact func(string) string) Command {
	out := c.clone()
	for _, s := range out.stages {
		prev := ""
		for j, w := range s {
			if len(w) == 1 && !w[0].shell && w[0].inner == nil {
				v := redact(w[0].text)
				if j > 0 && prev != "" {
					if pair := redact(prev + " " + v); pair != prev+" "+v && strings.HasPrefix(pair, prev+" ") {
						v = pair[len(prev)+1:]
					}
				}
				s[j] = word{{text: v}}
				prev = v
				continue
			}
			nw := make(word, len(w))
			for k, p := range w {
				switch {
				case p.inner != nil:
					inner := p.inner.Redact(redact)
					p.inner = &inner
				case !p.shell:
					p.text = redact(p.text)
				}
				nw[k] = p
			}
			s[j] = nw
			prev = ""
		}
	}
	for i, v := range out.noteValues {
		out.noteValues[i] = redact(v)
	}
	return out
}

// IsZero reports whether the command is empty.
func (c Command) IsZero() bool { return len(c.stages) == 0 && c.note == "" }

// Stages returns the argument lists, one per stage, with each argument's raw value (shell
// syntax from kockpit's source included as written): what a view inspects to show control,
// bidi or invisible characters that String keeps inert but does not escape.
func (c Command) Stages() [][]string {
	out := make([][]string, len(c.stages))
	for i, s := range c.stages {
		out[i] = make([]string, len(s))
		for j, w := range s {
			var b strings.Builder
			for _, p := range w {
				if p.inner != nil {
					b.WriteString(p.inner.String())
				} else {
					b.WriteString(p.text)
				}
			}
			out[i][j] = b.String()
		}
	}
	return out
}

// A Part is one piece of an argument, as Parts gives it: a value, shell syntax from kockpit's
// source (Syntax), or a command run inside that syntax (Inner).
type Part struct {
	// Text is the value, or the shell syntax as written; empty for an inner command.
	Text string
	// Syntax says Text is shell syntax from kockpit's source, which the shell expands.
	Syntax bool
	// Inner is a command the syntax around it runs, as in <(openssl ...).
	Inner *Command
}

// Parts returns each argument of each stage piece by piece, for whoever must tell values from
// the shell syntax around them (Stages joins the pieces): a test that runs the line in a real
// shell and checks that every value reached its program as it is.
func (c Command) Parts() [][][]Part {
	out := make([][][]Part, len(c.stages))
	for i, s := range c.stages {
		out[i] = make([][]Part, len(s))
		for j, w := range s {
			for _, p := range w {
				part := Part{Text: p.text, Syntax: p.shell}
				if p.inner != nil {
					inner := *p.inner
					part = Part{Inner: &inner}
				}
				out[i][j] = append(out[i][j], part)
			}
		}
	}
	return out
}

// String renders the command as one POSIX shell line: arguments joined by spaces, stages by
// " | ", each value quoted only when it needs it. A value is kept byte for byte: a control, bidi
// or invisible character stays inside single quotes, where the shell gives it no meaning; making
// it visible is the job of whatever shows the line.
func (c Command) String() string {
	var b strings.Builder
	for i, s := range c.stages {
		if i > 0 {
			b.WriteString(" | ")
		}
		for j, w := range s {
			if j > 0 {
				b.WriteByte(' ')
			}
			for _, p := range w {
				switch {
				case p.inner != nil:
					b.WriteString(p.inner.String())
				case p.shell:
					b.WriteString(p.text)
				case j == 0 && len(w) == 1:
					b.WriteString(quoteProgram(p.text))
				default:
					b.WriteString(ShellQuote(p.text))
				}
			}
		}
	}
	if c.note != "" {
		if len(c.stages) > 0 {
			b.WriteString("   ")
		}
		b.WriteString("# " + c.note)
		for _, v := range c.noteValues {
			// A line break would end the comment and start a command: Go's escapes instead.
			if strings.ContainsAny(v, "\n\r") {
				b.WriteString(" " + strconv.Quote(v))
			} else {
				b.WriteString(" " + ShellQuote(v))
			}
		}
	}
	return b.String()
}

// MarshalText writes the command as its shell line, so JSON has it as a string.
func (c Command) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func literal(s string) word { return word{{text: s}} }

func (c Command) add(w word) Command {
	if len(c.stages) == 0 {
		c.stages = append(c.stages, stage{})
	}
	last := len(c.stages) - 1
	c.stages[last] = append(c.stages[last], w)
	return c
}

// clone copies the stages, so appending to the copy never writes into the original's arrays.
func (c Command) clone() Command {
	out := Command{note: c.note, noteValues: slices.Clone(c.noteValues), stages: make([]stage, len(c.stages), len(c.stages)+1)}
	for i, s := range c.stages {
		out.stages[i] = slices.Clip(slices.Clone(s))
	}
	return out
}

// ShellQuote writes s as one word for a POSIX shell (sh, bash, zsh), quoting it only when it
// needs it: between single quotes, with each ' written '\”. Inside single quotes no character
// has a meaning: $, `, \, !, a newline and a control or bidi character are all literal. Commands
// quote through it, and so do hints that show a command in prose.
func ShellQuote(s string) string {
	if !needsQuotes(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// needsQuotes is false only for a non-empty word of characters no shell treats specially
// anywhere in a word, and of "=" past its first character (zsh expands a leading =cmd).
func needsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case strings.ContainsRune("/.-_+:,@%", r):
		case r == '=' && i > 0:
		default:
			return true
		}
	}
	return false
}

// reservedWords are the words sh, bash and zsh read as syntax where a command starts.
var reservedWords = map[string]bool{
	"case": true, "coproc": true, "do": true, "done": true, "elif": true, "else": true, "end": true,
	"esac": true, "fi": true, "for": true, "foreach": true, "function": true, "if": true, "in": true,
	"nocorrect": true, "noglob": true, "repeat": true, "select": true, "then": true, "time": true,
	"until": true, "while": true,
}

// quoteProgram quotes a stage's first word: as an argument, and also when the shell would read
// it as a reserved word, an assignment (NAME=value) or a job (%1 is fg %1 in bash and zsh).
func quoteProgram(s string) string {
	if reservedWords[s] || strings.ContainsRune(s, '=') || strings.HasPrefix(s, "%") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return ShellQuote(s)
}
