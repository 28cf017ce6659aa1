// host.shell, finding and reading the files: the homes, listing and reading files (a missing one
// is no finding, an unreadable one is), parsing each start-up file behind a nesting guard, and
// /etc/environment.

package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
	"mvdan.cc/sh/v3/syntax"
)

// maxHomes bounds how many home directories under /home are read.
const maxHomes = 64

// homes are /root and the directories under /home, as far as they can be read.
func (s *shellScan) homes(ctx context.Context) []string {
	homes := []string{"/root"}
	s.each(ctx, "/home", func(e host.Entry) {
		if e.IsDir() && len(homes) <= maxHomes {
			homes = append(homes, e.Path)
		}
	})
	return homes
}

// each calls fn with each entry of a directory that may not exist, within the directory's
// time budget. One it cannot read becomes a finding; one too large to list or go through
// fully is said, so that "nothing changes what you type" is only about what was read.
func (s *shellScan) each(ctx context.Context, dir string, fn func(e host.Entry)) {
	budget := s.n.Budget()
	l, _, err := s.n.ListOptional(ctx, dir)
	if err != nil {
		s.findings = append(s.findings, s.n.Unreadable(dir, err))
		return
	}
	cov := nodefs.CoverageOf(dir, "entries", l)
	for _, e := range l.Entries {
		if budget.Spent() {
			cov.TimedOut = true
			break
		}
		cov.Judged++
		fn(e)
	}
	if f := cov.Finding(s.n); f != nil {
		s.findings = append(s.findings, *f)
	}
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
			"Look at what it runs (`"+checks.Cmd("less", s.n.Display(sc.path)).String()+"`) and restore it from the distribution's copy (/etc/skel for a ~/.bashrc).",
			checks.Cmd("wc", "-c", s.n.Display(sc.path)), checks.Cmd("less", s.n.Display(sc.path)))
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
