package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/report"
	"github.com/kockpit/kockpit/themes"
	"github.com/kockpit/kockpit/ui"
)

func TestThemeList(t *testing.T) {
	code, out, _ := kockpit(t, "--theme", "list")
	if code != 0 || !strings.Contains(out, "high-contrast") || !strings.Contains(out, "colorblind") {
		t.Errorf("--theme list: exit %d\n%s", code, out)
	}
}

func TestNotATerminalPrintsTheReport(t *testing.T) {
	code, out, _ := kockpit(t, "--demo", "--theme", "dark", "--presenter")
	if code != 1 || !strings.Contains(out, "api.control-plane") || strings.Contains(out, "\x1b[?1049h") {
		t.Errorf("piped kockpit should print the text report: exit %d\n%s", code, out)
	}
}

func TestBadThemeFileFallsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.yaml")
	os.WriteFile(path, []byte("colors:\n  acent: \"#ff0000\"\n"), 0o600)
	var errOut bytes.Buffer
	o := &options{streams: genericiooptions.IOStreams{ErrOut: &errOut}}
	o.cockpit.theme = path
	theme, file, _, notice := o.cockpitTheme()
	if theme.Name != themes.Default().Name || file != nil {
		t.Errorf("a bad theme file must fall back to the default, got %q", theme.Name)
	}
	for _, s := range []string{errOut.String(), notice} {
		if !strings.Contains(s, path+":2:3") || !strings.Contains(s, `"acent"`) || !strings.Contains(s, "default theme") {
			t.Errorf("the error must name the line and the key: %q", s)
		}
	}
	os.WriteFile(path, []byte("extends: light\nkeys:\n  quit: [x]\n"), 0o600)
	theme, file, keys, notice := o.cockpitTheme()
	if file == nil || theme.Name != "mine" || notice != "" || keys.Quit.Keys()[0] != "x" {
		t.Errorf("a good theme file: %q %v %q", theme.Name, keys.Quit.Keys(), notice)
	}
	o.cockpit.theme = "nope"
	if _, _, _, notice := o.cockpitTheme(); !strings.Contains(notice, "no built-in theme") {
		t.Errorf("an unknown name: %q", notice)
	}
}

// TestSourceReadsTheSameInReportAndCockpit: the report and the cockpit take the run's source as
// one type from the command line, and say each kind in the same words.
func TestSourceReadsTheSameInReportAndCockpit(t *testing.T) {
	o := &options{streams: genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard}, snapshot: "../../testdata/snapshots/get-all.yaml"}
	env, src, err := o.environment(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := o.cockpitOptions(t.Context(), env, src, nil, themes.Default(), nil, ui.DefaultKeyMap(), "").Source; got != src {
		t.Errorf("the cockpit looks at %+v, the report at %+v", got, src)
	}
	for _, c := range []struct {
		src  checks.Source
		want []string
	}{
		{checks.Source{Kind: checks.SourceLive, Context: "admin@prod", Server: "10.0.0.1:6443"}, []string{"admin@prod", "10.0.0.1:6443"}},
		{checks.Source{Kind: checks.SourceFiles, Path: "dump/"}, []string{"snapshot dump/"}},
		{checks.Source{Kind: checks.SourceHost, Path: "/host"}, []string{"node files under /host"}},
		{checks.Source{Kind: checks.SourceNone}, []string{"no cluster"}},
	} {
		var text bytes.Buffer
		r := report.New("v0", c.src, nil, time.Unix(0, 0))
		r.Finish(0, nil)
		if err := report.Write(&text, r, report.FormatText, false); err != nil {
			t.Fatal(err)
		}
		cockpit := ansi.Strip(ui.New(ui.Options{Source: c.src}).View().Content)
		for _, want := range c.want {
			if !strings.Contains(text.String(), want) || !strings.Contains(cockpit, want) {
				t.Errorf("%s: the report or the cockpit does not say %q:\n%s\n%s", c.src.Kind, want, text.String(), cockpit)
			}
		}
	}
	if len(checks.SourceKinds) != 4 {
		t.Errorf("a new kind of source: add it here, to the report's source line and the cockpit's header")
	}
}
