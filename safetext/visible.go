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

// Hidden returns the characters of s that a terminal does not show as what they are: every
// control character (tab, line break and escape included, DEL, C1), bidi control, invisible
// (zero-width) character and line or paragraph separator, and every byte that is not valid
// UTF-8, each named by code point. Look-alike letters and other non-ASCII text are not hidden:
// they draw a glyph of their own, and a command holding one still names the object it names.
// Text that holds a hidden character is shown made visible but never copied raw: pasted into
// a shell, it would run something other than what the screen showed.
func Hidden(s string) []Char {
	var out []Char
	line, col := 1, 1
	latin := hasASCIILetter(s)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var c Char
		switch {
		case r == utf8.RuneError && size == 1:
			c = Char{Rune: r, Name: fmt.Sprintf("invalid UTF-8 byte 0x%02x", s[i]), Reason: ReasonInvalid}
		case unicode.Is(unicode.Cc, r):
			c = Char{Rune: r, Name: controlName(r), Reason: ReasonControl}
		case r >= utf8.RuneSelf:
			c = describe(r, latin)
		}
		switch c.Reason {
		case ReasonInvalid, ReasonControl, ReasonBidi, ReasonInvisible, ReasonSeparator:
			c.Offset, c.Line, c.Column = i, line, col
			out = append(out, c)
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
		i += size
	}
	return out
}

// controlNames are the names of the control characters a crafted value is most likely to hold
// (Unicode names them all "<control>").
var controlNames = map[rune]string{
	0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x09: "CHARACTER TABULATION", 0x0A: "LINE FEED",
	0x0B: "LINE TABULATION", 0x0C: "FORM FEED", 0x0D: "CARRIAGE RETURN", 0x1B: "ESCAPE", 0x7F: "DELETE",
	0x85: "NEXT LINE", 0x9B: "CONTROL SEQUENCE INTRODUCER", 0x9D: "OPERATING SYSTEM COMMAND",
}

func controlName(r rune) string {
	if n, ok := controlNames[r]; ok {
		return n
	}
	return "control"
}
