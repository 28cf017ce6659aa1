package safetext

import (
	"strings"
	"testing"
)

func TestHidden(t *testing.T) {
	for in, want := range map[string]string{
		// Nothing hidden: plain ASCII, accented letters, look-alikes and CJK draw what they are.
		"kubectl get pod web": "",
		"café":                "",
		"kube-dnс":            "",
		"日本語":                 "",
		"a\u00a0b":            "",
		"pay\u202etxt.exe":    "U+202E RIGHT-TO-LEFT OVERRIDE (bidi control)",
		"\u2066x\u2069":       "U+2066 LEFT-TO-RIGHT ISOLATE (bidi control); U+2069 POP DIRECTIONAL ISOLATE (bidi control)",
		"a\u200bb":            "U+200B ZERO WIDTH SPACE (invisible (zero-width))",
		"\uFEFFx":             "U+FEFF ZERO WIDTH NO-BREAK SPACE (invisible (zero-width))",
		"a\u2028b":            "U+2028 LINE SEPARATOR (invisible (line or paragraph separator))",
		"a\nb":                "U+000A LINE FEED (control character)",
		"a\tb":                "U+0009 CHARACTER TABULATION (control character)",
		"x\x1b]52;c;eA==\x07": "U+001B ESCAPE (control character); U+0007 BELL (control character)",
		"\x7f":                "U+007F DELETE (control character)",
		"\u0085":              "U+0085 NEXT LINE (control character)",
		"\x01":                "U+0001 control (control character)",
		"a\xffb":              "invalid UTF-8 byte 0xff (invalid UTF-8)",
		"pay\U000E0041load":   "U+E0041 TAG LATIN CAPITAL LETTER A (invisible (zero-width))",
		"\u3164":              "U+3164 HANGUL FILLER (invisible (zero-width))",
		"x\u034f":             "U+034F COMBINING GRAPHEME JOINER (invisible (zero-width))",
	} {
		var got []string
		for _, c := range Hidden(in) {
			got = append(got, c.String())
		}
		if strings.Join(got, "; ") != want {
			t.Errorf("Hidden(%q) = %q, want %q", in, strings.Join(got, "; "), want)
		}
	}
	if c := Hidden("ok\nline\u202e"); len(c) != 2 || c[1].Line != 2 || c[1].Column != 5 || c[1].Offset != 7 {
		t.Errorf("positions: %+v", c)
	}
}
