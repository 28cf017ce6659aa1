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
	}
	for in, want := range cases {
		if got := Annotate(in); got != want {
			t.Errorf("Annotate(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzAnnotate(f *testing.F) {
	for _, s := range []string{"kube-dnс", "a\u202Eb", "\x1b[31m", "\xff\xfe", "café", "\u202E U+202E"} {
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
	})
}
