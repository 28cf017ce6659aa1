package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// hostile is what a crafted file name or value carries to take over the terminal a guest
// watches: a screen clear, an OSC 0 window title, a C1 CSI (U+009B), a bidi override and a
// newline. hostileValue is the same in YAML's escapes.
const (
	hostile      = "\x1b[2J\x1b]0;pwned\x07\u009b31m\u202Egnp.\n"
	hostileValue = `"v1\e[2J\e]0;pwned\a\x9b31m\u202Egnp.\n"`
)

// shownHostile is how stderr shows hostile.
var shownHostile = []string{"␛[2J", "␛]0;pwned␇", "<U+009B>31m", "⟨U+202E⟩gnp.", "␊"}

// wantSafeStderr fails when stderr holds a control or bidi character, a byte that is not UTF-8
// (a raw C1 0x9b) or a second line, or lacks a shown form.
func wantSafeStderr(t *testing.T, stderr string, shown ...string) {
	t.Helper()
	if !utf8.ValidString(stderr) {
		t.Errorf("stderr is not UTF-8 (a raw C1 byte?): %q", stderr)
	}
	for _, r := range stderr {
		if r != '\n' && (unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Cf, r)) {
			t.Errorf("stderr holds a raw %U: %q", r, stderr)
		}
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	for _, s := range shown {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr does not show %q: %q", s, stderr)
		}
	}
}

// TestSnapshotErrorsOnStderrAreSafe: a snapshot directory whose file name, and an apiVersion
// inside it, carry escape sequences, a C1 control, a bidi override and a newline: kockpit
// refuses it (exit 2) and names both on stderr with those characters shown, never raw.
func TestSnapshotErrorsOnStderrAreSafe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("such file names are Unix's")
	}
	for name, data := range map[string]string{
		"apiVersion":          "apiVersion: " + hostileValue + "\nkind: Pod\nmetadata: {name: p}\n",
		"apiVersion in JSON":  `{"apiVersion":"v1\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202egnp.\n","kind":"Pod","metadata":{"name":"p"}}`,
		"not GROUP/VERSION":   "apiVersion: " + strings.Replace(hostileValue, "v1", "a/b/c", 1) + "\nkind: Pod\n",
		"kind without apiVer": "kind: " + hostileValue + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "pods"+hostile+".yaml"), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := kockpit(t, "--report", "--snapshot", dir)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			// The file name, then the value: both shown.
			wantSafeStderr(t, stderr, "pods␛[2J␛]0;pwned␇<U+009B>31m⟨U+202E⟩gnp.␊.yaml:1:")
			// The value, shown, or quoted with Go's escapes (%q).
			if !strings.Contains(stderr, "v1␛[2J␛]0;pwned␇<U+009B>31m⟨U+202E⟩gnp.␊") && !strings.Contains(stderr, `[2J\x1b]0;pwned\a\u009b31m\u202egnp.\n`) {
				t.Errorf("stderr does not show the value: %q", stderr)
			}
		})
	}
	t.Run("the snapshot is the file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "dump"+hostile+".yaml")
		if err := os.WriteFile(file, []byte("apiVersion: "+hostileValue+"\nkind: Pod\nmetadata: {name: p}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := kockpit(t, "--report", "--snapshot", file)
		if code != exitUsage {
			t.Errorf("exit %d, want 2", code)
		}
		wantSafeStderr(t, stderr, shownHostile...)
	})
	t.Run("a raw C1 byte in a file name", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "pods\x9b.yaml"), []byte("kind: Pod\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := kockpit(t, "--report", "--snapshot", dir)
		if code != exitUsage {
			t.Errorf("exit %d, want 2", code)
		}
		wantSafeStderr(t, stderr, "pods<0x9b>.yaml")
	})
	t.Run("the snapshot does not exist", func(t *testing.T) {
		code, _, stderr := kockpit(t, "--report", "--snapshot", filepath.Join(t.TempDir(), "gone"+hostile))
		if code != exitUsage {
			t.Errorf("exit %d, want 2", code)
		}
		wantSafeStderr(t, stderr, shownHostile...)
	})
}

// TestFlagAndKubeconfigErrorsOnStderrAreSafe: every other error that quotes what it was given
// (a flag, its argument, a kubeconfig's name and content, a node's root) reaches stderr with
// its control, bidi and newline characters shown, and without a token the input held.
func TestFlagAndKubeconfigErrorsOnStderrAreSafe(t *testing.T) {
	dir := t.TempDir()
	brokenKubeconfig := filepath.Join(dir, "config"+hostile)
	os.WriteFile(brokenKubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: [\n"), 0o600)
	kubeconfig := filepath.Join(dir, "ok"+hostile)
	os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\n"+
		"contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n"), 0o600)
	cases := []struct {
		name  string
		args  []string
		shown []string
	}{
		{"unknown flag", []string{"--report", "--x" + hostile}, shownHostile},
		{"a token as a flag's argument", []string{"--report", "--format", "ghp_0123456789abcdefghijABCDEFGHIJ012345" + hostile}, nil},
		{"unknown format", []string{"--report", "--format", hostile}, nil},
		{"unknown fail-on", []string{"--report", "--fail-on", hostile}, nil},
		{"unknown check", []string{"--report", "--only", "dns." + hostile}, nil},
		{"bad DNS probe name", []string{"--report", "--demo", "--dns-probe-name", "a.." + hostile}, nil},
		{"bad request timeout", []string{"--report", "--kubeconfig", kubeconfig, "--request-timeout", hostile}, nil},
		{"malformed kubeconfig", []string{"--report", "--kubeconfig", brokenKubeconfig}, shownHostile},
		{"unknown context", []string{"--report", "--kubeconfig", kubeconfig, "--context", "nope" + hostile}, shownHostile},
		{"missing host root", []string{"node", "--report", "--host-root", filepath.Join(dir, "gone"+hostile)}, shownHostile},
		{"unknown check to learn", []string{"checks", "--learn", hostile}, []string{"␛[2J"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := kockpit(t, c.args...)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			wantSafeStderr(t, stderr, c.shown...)
			if strings.Contains(stderr, "0123456789abcdefghij") {
				t.Errorf("stderr shows the token: %q", stderr)
			}
		})
	}
}

// TestThemeNoticeOnStderrIsSafe: a theme file the cockpit cannot read is a notice on stderr,
// and in the cockpit, with its path and what it quotes shown safely.
func TestThemeNoticeOnStderrIsSafe(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "theme"+hostile+".yaml")
	os.WriteFile(bad, []byte("colors:\n  "+hostileValue+": \"#fff\"\n"), 0o600)
	for theme, shown := range map[string][]string{
		bad:                                shownHostile,
		filepath.Join(dir, "gone"+hostile): {`gone\x1b[2J\x1b]0;pwned\a\u009b31m\u202egnp.\n"`}, // quoted with Go's escapes
	} {
		var errOut bytes.Buffer
		o := &options{streams: genericiooptions.IOStreams{ErrOut: &errOut}}
		o.cockpit.theme = theme
		_, _, _, notice := o.cockpitTheme()
		wantSafeStderr(t, errOut.String(), shown...)
		if want := strings.TrimSuffix(strings.TrimPrefix(errOut.String(), "kockpit: "), "\n"); notice != want {
			t.Errorf("the cockpit's notice %q is not stderr's %q", notice, want)
		}
	}
}
