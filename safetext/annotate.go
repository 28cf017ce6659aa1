package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Flagged returns the characters of s a reader must not trust by their glyph: look-alikes,
// invisibles, bidi controls, mixed scripts. Plain non-ASCII (an é in a message) is not flagged.
func Flagged(s string) []Char {
	var out []Char
	for _, c := range Suspicious(s) {
		if c.Reason != ReasonNonASCII {
			out = append(out, c)
		}
	}
	return out
}

// Drawable reports whether drawing the rune itself helps a reader: it draws a glyph of its own
// and neither reorders nor joins its neighbours. Others are shown by code point alone.
func Drawable(r rune) bool {
	return showable(r) && !unicode.Is(unicode.Bidi_Control, r) && !unicode.Is(unicode.Cf, r)
}

// Annotate is Visible for plain text (reports, logs): every flagged character is followed by
// its code point, "kube-dnс⟨U+0441⟩", or replaced by it when it draws nothing or would reorder
// the line (zero-width, bidi controls, a stack of combining marks), so nothing on screen hides
// what the bytes say. Annotating its output again changes nothing.
func Annotate(s string) string {
	s = Visible(s)
	flagged := Flagged(s)
	if len(flagged) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, c := range flagged {
		if c.Rune >= 0x2400 && c.Rune <= 0x2426 {
			continue // Visible's own stand-ins for control characters
		}
		size := utf8.RuneLen(c.Rune)
		if size < 0 || c.Offset+size > len(s) {
			size = 1
		}
		if Drawable(c.Rune) && (Described(s[c.Offset+size:], c.Rune) || strings.HasPrefix(s[c.Offset+size:], fmt.Sprintf("⟨U+%04X⟩", c.Rune))) {
			// Named already, by a message or by Annotate itself: Annotate's output annotated
			// again is the same. One that draws nothing or reorders the line is always replaced.
			continue
		}
		b.WriteString(s[last:c.Offset])
		if Drawable(c.Rune) {
			b.WriteString(s[c.Offset : c.Offset+size])
		}
		fmt.Fprintf(&b, "⟨U+%04X⟩", c.Rune)
		last = c.Offset + size
	}
	b.WriteString(s[last:])
	return b.String()
}

// Described reports whether the text after a flagged character names it by code point, as
// Char.String writes it ("е U+0435 CYRILLIC SMALL LETTER IE"): a message that points at the
// character on purpose needs no second marker.
func Described(after string, r rune) bool {
	return strings.HasPrefix(after, fmt.Sprintf(" U+%04X", r))
}
