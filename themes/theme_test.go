package themes

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuiltinsAreComplete(t *testing.T) {
	names := map[string]bool{}
	for _, th := range Builtin() {
		names[th.Name] = true
		for _, f := range colorFields(&th) {
			if f.c.Light == nil || f.c.Dark == nil {
				t.Errorf("%s: colour %s unset", th.Name, f.key)
			}
		}
	}
	for _, want := range []string{Auto, Dark, Light, HighContrast, ColorBlind} {
		if !names[want] {
			t.Errorf("no built-in theme %q", want)
		}
	}
	if Default().Name != Auto {
		t.Errorf("default theme %q", Default().Name)
	}
	if l := List(); !strings.Contains(l, "colorblind") || !strings.Contains(l, "--theme PATH") {
		t.Errorf("List:\n%s", l)
	}
}

func TestParseThemeFile(t *testing.T) {
	f, err := Parse("mine.yaml", []byte(`name: midnight
extends: light
colors:
  accent: "#7aa2f7"
  fail: {light: "#cf222e", dark: "#f7768e"}
  ok: 2
keys:
  rerun-all: [r, f5]
  quit: x
`))
	if err != nil {
		t.Fatal(err)
	}
	light, _ := Lookup(Light)
	if f.Theme.Name != "midnight" || f.Theme.Text != light.Text {
		t.Errorf("name %q; text should come from extends: light", f.Theme.Name)
	}
	if f.Theme.Accent.Dark == nil || f.Theme.Fail.Light == f.Theme.Fail.Dark {
		t.Errorf("colours not read: %+v %+v", f.Theme.Accent, f.Theme.Fail)
	}
	if len(f.Keys) != 2 || f.Keys[0].Action != "rerun-all" || strings.Join(f.Keys[0].Keys, ",") != "r,f5" ||
		f.Keys[1].Keys[0] != "x" || f.Keys[1].Line != 9 {
		t.Errorf("keys %+v", f.Keys)
	}
}

func TestBadThemeFilesSayWhere(t *testing.T) {
	cases := []struct {
		name, yaml, where, key, says string
	}{
		{"unknown colour", "colors:\n  text: \"#ffffff\"\n  acent: \"#ff0000\"\n", "t.yaml:3:3", "acent", `unknown colour "acent"`},
		{"unknown top key", "name: x\ncolour: {}\n", "t.yaml:2:1", "colour", `unknown key "colour"`},
		{"bare hash", "colors:\n  text: #ffffff\n", "t.yaml:2:", "text", "quote hex colours"},
		{"bad hex", "colors:\n  ok: \"#12345\"\n", "t.yaml:2:7", "ok", "#rgb or #rrggbb"},
		{"bad number", "colors:\n  ok: 300\n", "t.yaml:2:7", "ok", "0-255"},
		{"half pair", "colors:\n  ok: {light: \"#000\"}\n", "t.yaml:2:", "ok", "both light and dark"},
		{"unknown side", "colors:\n  ok: {light: \"#000\", dim: \"#111\"}\n", "t.yaml:2:", "ok", `unknown key "dim"`},
		{"unknown base", "extends: solarized\n", "t.yaml:1:10", "extends", `no built-in theme "solarized"`},
		{"syntax", "colors:\n  ok: [\n", "t.yaml:", "", "YAML"},
		{"not a mapping", "- a\n- b\n", "t.yaml:1:1", "", "a mapping"},
		{"empty keys", "keys:\n  quit: []\n", "t.yaml:2:3", "quit", "a key or a list"},
		{"two documents", "name: a\n---\nname: b\n", "t.yaml:2:1", "", "one YAML document"},
		{"empty second document", "0\n---", "t.yaml:", "", "one YAML document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), c.where) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q, want at %s saying %q", err, c.where, c.says)
			}
			var fe *FileError
			if errors.As(err, &fe) && fe.Key != c.key {
				t.Errorf("key %q, want %q", fe.Key, c.key)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ocean.yaml")
	os.WriteFile(path, []byte("colors:\n  accent: \"#00aaff\"\n"), 0o600)
	f, err := Load(path)
	if err != nil || f.Theme.Name != "ocean" {
		t.Errorf("Load: %v, name %q (named after the file when it has no name)", err, f.Theme.Name)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); err == nil {
		t.Error("a missing file must be an error")
	}
}

// TestDeepOrHugeThemeFiles: a theme file nested deeper than a theme nests, or larger than one
// is, is refused before the YAML parser sees it. The parser recursed once per level and took
// memory growing with the square of the depth: 60 KB of "[" took 5 GB, a 1 MiB file ran
// kockpit out of memory, and a Go stack overflow or out-of-memory is not a panic: it ends kockpit.
func TestDeepOrHugeThemeFiles(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	for _, c := range []struct {
		name, yaml, where string
	}{
		{"flow sequences", strings.Repeat("[", 20_000), "t.yaml:1:33:"},
		{"flow mappings", strings.Repeat("{a: ", 10_000), "t.yaml:1:129:"},
		{"under a key", "colors:\n  ok: " + strings.Repeat("{light: ", 5_000), "t.yaml:2:"},
		{"block sequences on one line", strings.Repeat("- ", 20_000), "t.yaml:1:65:"},
		{"complex keys", strings.Repeat("? ", 20_000), "t.yaml:1:65:"},
		{"anchored entries", strings.Repeat("- &a ", 10_000), "t.yaml:1:161:"},
		{"a line each", strings.Repeat("[\n", 20_000), "t.yaml:33:1:"},
	} {
		_, err := Parse("t.yaml", []byte(c.yaml))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.where) || !strings.Contains(err.Error(), "nests more than 32 levels deep") {
			t.Errorf("%s: error %.300v, want at %s saying it nests too deep", c.name, err, c.where)
		}
	}
	// A theme's own nesting, and a flat theme of many keys, still parse.
	if _, err := Parse("t.yaml", []byte("colors:\n  fail: {light: \"#cf222e\", dark: [1, 2]}\n- - - x\n")); err == nil ||
		strings.Contains(err.Error(), "nests") {
		t.Errorf("shallow nesting: %v", err)
	}
	path := filepath.Join(t.TempDir(), "huge.yaml")
	os.WriteFile(path, []byte(strings.Repeat("[", 4<<20)), 0o600)
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+":1:1:") || !strings.Contains(err.Error(), "larger than 64 KiB") {
		t.Errorf("a 4 MiB theme file: %.300v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"name: x\n", "colors:\n  ok: \"#fff\"\n", "keys:\n  quit: [q]\n", "extends: dark\n", "- a\n", ":"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err == nil && file == nil {
			t.Fatal("no file and no error")
		}
		var fe *FileError
		if errors.As(err, &fe) && (fe.Line < 1 || fe.Column < 1) {
			t.Errorf("error without a position: %v", err)
		}
	})
}

// TestThemeFileErrorsShowInputSafely: a theme file's name, keys and values are quoted in its
// errors with their control, bidi and newline characters shown, not raw, and no token.
func TestThemeFileErrorsShowInputSafely(t *testing.T) {
	const evil = "\x1b[2J\x1b]0;owned\x07\u009b31m\u202Egnp.\n"
	const yamlEvil = `"x\e[2J\e]0;owned\a\x9b31m\u202Egnp.\n"`
	raw := []string{"\x1b", "\x07", "\u009b", "\u202E", "\n"}
	cases := []struct{ name, file, yaml string }{
		{"unknown key", "t" + evil + ".yaml", yamlEvil + ": 1\n"},
		{"unknown colour", "t.yaml", "colors:\n  " + yamlEvil + ": \"#fff\"\n"},
		{"bad colour", "t.yaml", "colors:\n  ok: " + yamlEvil + "\n"},
		{"bad colour side", "t.yaml", "colors:\n  ok: {light: " + yamlEvil + ", dark: \"#000\"}\n"},
		{"unknown base", "t.yaml", "extends: " + yamlEvil + "\n"},
		{"empty keys", "t.yaml", "keys:\n  " + yamlEvil + ": []\n"},
		{"syntax", "t" + evil + ".yaml", "colors:\n  ok: [\n"},
		{"empty", "t" + evil + ".yaml", ""},
		{"a token as a colour", "t.yaml", "colors:\n  ok: ghp_0123456789abcdefghijABCDEFGHIJ012345\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.file)
			if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, r := range append(raw, "0123456789abcdefghij") {
				if strings.Contains(msg, r) {
					t.Errorf("the error holds %q: %q", r, msg)
				}
			}
			var fe *FileError
			if errors.As(err, &fe) {
				for _, r := range raw {
					if strings.Contains(fe.Path+fe.Msg+fe.Key, r) {
						t.Errorf("the FileError's fields hold %q: %#v", r, fe)
					}
				}
			}
			if strings.Contains(c.file, evil) && !strings.Contains(msg, "t␛[2J␛]0;owned␇<U+009B>31m⟨U+202E⟩gnp.␊.yaml") {
				t.Errorf("the file name is not shown: %q", msg)
			}
		})
	}
	_, err := Load(filepath.Join(t.TempDir(), "missing"+evil))
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07\n") || !strings.Contains(err.Error(), "missing␛[2J") {
		t.Errorf("a missing file: %q", err)
	}
	if e := (&FileError{Path: "p" + evil, Msg: "m" + evil}).Error(); strings.ContainsAny(e, "\x1b\x07\n") {
		t.Errorf("a FileError built by hand: %q", e)
	}
}
