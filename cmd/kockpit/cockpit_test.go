package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kockpit/kockpit/themes"
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
