package checktest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"

	"mvdan.cc/sh/v3/syntax"
)

// shellVariants are the shells a person may paste a command into.
var shellVariants = []struct {
	name string
	lang syntax.LangVariant
}{
	{"sh", syntax.LangPOSIX}, {"bash", syntax.LangBash}, {"mksh", syntax.LangMirBSDKorn}, {"zsh", syntax.LangZsh},
}

// ShellWords parses a shell line back as sh, bash, mksh and zsh read it and returns its words,
// one list per stage of a pipeline. It fails when the shells disagree, or when the line is
// anything but one pipeline of plain words: a command, arithmetic or process substitution, a
// parameter expansion, a glob, a tilde, brace or =cmd expansion, a redirection, an assignment, a
// comment, a reserved word, or a second command all fail. It is the proof that a rendered
// Command gives the program exactly the words it holds.
func ShellWords(line string) ([][]string, error) {
	// mvdan.cc/sh reads "\r\n" as "\n" where sh, bash and zsh keep the "\r": a carriage return
	// stands in as a character the line does not hold, and is put back in the words. (Outside
	// quotes the stand-in is an unquoted character that fails the line, as it should.)
	cr := rune(0xF0000)
	for strings.ContainsRune(line, cr) {
		cr++
	}
	line = strings.ReplaceAll(line, "\r", string(cr))
	var first [][]string
	for i, v := range shellVariants {
		words, err := shellWords(line, v.lang)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		for _, stage := range words {
			for j := range stage {
				stage[j] = strings.ReplaceAll(stage[j], string(cr), "\r")
			}
		}
		if i == 0 {
			first = words
		} else if fmt.Sprint(words) != fmt.Sprint(first) {
			return nil, fmt.Errorf("%s reads %q, %s reads %q", shellVariants[0].name, first, v.name, words)
		}
	}
	return first, nil
}

func shellWords(line string, lang syntax.LangVariant) ([][]string, error) {
	f, err := syntax.NewParser(syntax.Variant(lang), syntax.KeepComments(true)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, err
	}
	if len(f.Stmts) != 1 || len(f.Last) > 0 {
		return nil, fmt.Errorf("%d commands and %d trailing comments, want one command", len(f.Stmts), len(f.Last))
	}
	var stages [][]string
	var walk func(s *syntax.Stmt) error
	walk = func(s *syntax.Stmt) error {
		if len(s.Comments) > 0 || s.Negated || s.Background || s.Coprocess || s.Disown || len(s.Redirs) > 0 {
			return fmt.Errorf("a statement with comments, !, &, |& or redirections")
		}
		switch c := s.Cmd.(type) {
		case *syntax.BinaryCmd:
			if c.Op != syntax.Pipe {
				return fmt.Errorf("operator %s, want only |", c.Op)
			}
			if err := walk(c.X); err != nil {
				return err
			}
			return walk(c.Y)
		case *syntax.CallExpr:
			if len(c.Assigns) > 0 {
				return fmt.Errorf("an assignment")
			}
			var words []string
			for _, w := range c.Args {
				lit, err := literalWord(w)
				if err != nil {
					return err
				}
				words = append(words, lit)
			}
			stages = append(stages, words)
			return nil
		default:
			return fmt.Errorf("a %T, want a plain command", s.Cmd)
		}
	}
	if err := walk(f.Stmts[0]); err != nil {
		return nil, err
	}
	return stages, nil
}

// literalWord is the value of a word made of plain characters, backslash escapes and single
// quotes only, with nothing a shell expands.
func literalWord(w *syntax.Word) (string, error) {
	var b strings.Builder
	for i, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", fmt.Errorf("a $'' string")
			}
			b.WriteString(p.Value)
		case *syntax.Lit:
			v := p.Value
			if i == 0 && (strings.HasPrefix(v, "=") || strings.HasPrefix(v, "~")) {
				return "", fmt.Errorf("a word starting %q, which zsh or sh expand", v[:1])
			}
			for j := 0; j < len(v); j++ {
				c := v[j]
				switch {
				case c == '\\' && j+1 < len(v) && v[j+1] != '\n':
					j++
					b.WriteByte(v[j])
				case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("/.-_+:,@%=", c) >= 0:
					b.WriteByte(c)
				default:
					return "", fmt.Errorf("an unquoted %q, which a shell may expand", c)
				}
			}
		default:
			return "", fmt.Errorf("a %T in a word", part)
		}
	}
	return b.String(), nil
}

// RequireLiteralCommands fails the test unless every command of every finding parses back, in
// every shell, to exactly the words it was built from.
func RequireLiteralCommands(t testing.TB, r checks.Result) {
	t.Helper()
	for _, f := range r.Findings {
		for _, c := range f.Commands {
			words, err := ShellWords(c.String())
			if err != nil {
				t.Errorf("finding %q: command %q does not read back as plain words: %v", f.Message, c.String(), err)
				continue
			}
			if fmt.Sprintf("%q", words) != fmt.Sprintf("%q", c.Stages()) {
				t.Errorf("finding %q: command %q reads back as %q, built from %q", f.Message, c.String(), words, c.Stages())
			}
		}
	}
}

// Lines renders commands as the shell lines a report shows.
func Lines(cmds []checks.Command) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.String()
	}
	return out
}
