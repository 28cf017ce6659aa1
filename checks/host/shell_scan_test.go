//go:build linux

// Tests of host.shell's parsing guard: how deep a start-up file may nest.

package host

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
	"mvdan.cc/sh/v3/syntax"
)

// TestShellNestingBoundsTheParser feeds the parser what a crafted start-up file could hold: a Go
// stack overflow is fatal, so anything nested deeper than maxShellNesting must never reach it.
// The stack is held to 64 MiB here; the parser needs about 2 KiB per level.
func TestShellNestingBoundsTheParser(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	units := []string{"(", "$(", "{ ", "if true; then ", "`", "a=$(( (", "${a:-", "[[ (", "case x in x) ",
		"a && ", "a | ", "! ", "a=(", "[[ ! ", "$((", "${x:-$", "while a; do ", "f() { ", "<(", "\"$(", "$[", "for i in 1; do "}
	for _, unit := range units {
		text := strings.Repeat(unit, (4<<20)/len(unit))
		if shellNesting([]byte(text)) > maxShellNesting {
			continue
		}
		syntax.NewParser().Parse(strings.NewReader(text), "")
		syntax.NewParser(syntax.Variant(syntax.LangZsh)).Parse(strings.NewReader(text), "")
	}
	for name, text := range map[string]string{"root .bashrc": debianRootBashrc, "bash.bashrc": debianBashBashrc, "crontab": debianCrontab} {
		if d := shellNesting([]byte(text)); d > 4 {
			t.Errorf("%s nests %d deep", name, d)
		}
	}
	if d := shellNesting([]byte("# if for while until case select (((\nif a; then\n  case $x in\n    a) f() { b; } ;;\n  esac\nfi\n")); d != 3 {
		t.Errorf("nesting %d, want 3 (if, case, function body)", d)
	}

	tr := hosttest.New(t).File("/root/.bashrc", strings.Repeat("$(", 1<<20), 0o644)
	requireFinding(t, checktest.RunCheck(t, hostEnv(tr), "host.shell"), tr, "/root/.bashrc", "nests more than 256 levels deep", checks.StatusWarn)
}
