package safetext

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestAnnotate(t *testing.T) {
	cases := map[string]string{
		"kube-dns":                "kube-dns",
		"kube-dnс":                "kube-dnс⟨U+0441⟩",
		"café is fine":            "café is fine",
		"admin\u202Etxt.exe":      "admin⟨U+202E⟩txt.exe",
		"zero\u200Bwidth":         "zero⟨U+200B⟩width",
		"red \x1b[31mtext":        "red ␛[31mtext",
		"/etс/resolv.conf\x1b[2J": "/etс⟨U+0441⟩/resolv.conf␛[2J",
		// A message that names the character by code point needs no second marker...
		"е U+0435 CYRILLIC SMALL LETTER IE": "е U+0435 CYRILLIC SMALL LETTER IE",
		// ...unless it draws nothing or reorders the line: a crafted name cannot smuggle one.
		"evil\u202E U+202E": "evil⟨U+202E⟩ U+202E",
		"zero\u200B U+200B": "zero⟨U+200B⟩ U+200B",
		// Two combining marks on a letter are a language's (Vietnamese ệ); more are a stack
		// drawn over the lines around it, replaced by their code points.
		"Vi\u1EC7t e\u0323\u0302":   "Vi\u1EC7t e\u0323\u0302",
		"ok\u0301\u0301\u0301":      "ok⟨U+0301⟩⟨U+0301⟩⟨U+0301⟩",
		"Z\u0351\u0346\u035e\u0353": "Z⟨U+0351⟩⟨U+0346⟩⟨U+035E⟩⟨U+0353⟩",
	}
	for in, want := range cases {
		if got := Annotate(in); got != want {
			t.Errorf("Annotate(%q) = %q, want %q", in, got, want)
		}
		if again := Annotate(want); again != want {
			t.Errorf("Annotate(Annotate(%q)) = %q, want it unchanged", in, again)
		}
	}
}

func FuzzAnnotate(f *testing.F) {
	for _, s := range []string{"kube-dnс", "a\u202Eb", "\x1b[31m", "\xff\xfe", "café", "\u202E U+202E", "e\u0301\u0301\u0301", "с⟨U+0441⟩"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Annotate(s)
		for _, r := range out {
			if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) {
				t.Fatalf("Annotate(%q) left %U in %q", s, r, out)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Annotate(%q) = %q is not UTF-8", s, out)
		}
		if again := Annotate(out); again != out {
			t.Fatalf("Annotate is not idempotent on %q: %q, then %q", s, out, again)
		}
	})
}

// TestMessage: a message that quotes input is redacted, then shows its control, bidi,
// invisible and look-alike characters, on one line; SafeError keeps the error's chain.
func TestMessage(t *testing.T) {
	in := "file \x1b[2J\x1b]0;owned\x07\u009b31m\u202Eevil\nname: --tok\u0435n=abc given"
	got := Message(in)
	for _, raw := range []string{"\x1b", "\x07", "\u009b", "\u202E", "\n", "abc"} {
		if strings.Contains(got, raw) {
			t.Errorf("Message(%q) = %q keeps %q", in, got, raw)
		}
	}
	for _, shown := range []string{"␛[2J", "␛]0;owned␇", "<U+009B>31m", "⟨U+202E⟩evil", "␊name", "е⟨U+0435⟩n=<redacted> given"} {
		if !strings.Contains(got, shown) {
			t.Errorf("Message(%q) = %q, want %q in it", in, got, shown)
		}
	}
	if again := Message(got); again != got {
		t.Errorf("Message is not idempotent: %q, then %q", got, again)
	}
	base := errors.New("base")
	err := Errorf("reading %s: %w", "x\x1by", base)
	if !errors.Is(err, base) || err.Error() != "reading x␛y: base" {
		t.Errorf("Errorf: %q, Is(base) %v", err, errors.Is(err, base))
	}
	if SafeError(nil) != nil || SafeError(err) != err {
		t.Errorf("SafeError wraps nil or itself")
	}
}
