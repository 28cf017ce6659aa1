// Package safetext makes strings from a cluster or a host safe to show on a terminal: escape
// sequences and control characters become visible, and look-alike or invisible Unicode is
// named by its code point.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visible returns s with every control character replaced by a visible stand-in, so a string
// crafted with escape sequences cannot move the cursor or change colours: ESC becomes "␛",
// other C0 controls their Unicode Control Pictures (␀..␟), DEL "␡", C1 controls and invalid
// UTF-8 bytes "<U+0085>" / "<0xff>". Tab stays a tab and newline a newline only when keepLines.
func Visible(s string) string { return visible(s, false) }

// VisibleLines is Visible but keeps newlines and tabs, for multi-line text such as YAML.
func VisibleLines(s string) string { return visible(s, true) }

func visible(s string, keepLines bool) string {
	if isPlain(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "<0x%02x>", s[i])
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == 0x1b:
			b.WriteRune('␛')
		case r < 0x20:
			b.WriteRune(0x2400 + r) // Control Pictures block: ␀ is U+2400
		case r == 0x7f:
			b.WriteRune('␡')
		case unicode.Is(unicode.Cc, r): // C1 controls, e.g. U+009B CSI
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s needs no change, the common case, so it costs no allocation.
func isPlain(s string, keepLines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return !strings.ContainsFunc(s[i:], func(r rune) bool {
				return r == utf8.RuneError || unicode.Is(unicode.Cc, r)
			}) && utf8.ValidString(s[i:]) && asciiPlain(s[:i], keepLines)
		}
		if c < 0x20 || c == 0x7f {
			if !(keepLines && (c == '\n' || c == '\t')) {
				return false
			}
		}
	}
	return true
}

func asciiPlain(s string, keepLines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 || c == 0x7f) && !(keepLines && (c == '\n' || c == '\t')) {
			return false
		}
	}
	return true
}
