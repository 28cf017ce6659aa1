package safetext

import (
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
