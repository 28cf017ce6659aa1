package safetext

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.mau.fi/util/confusable"
	"golang.org/x/text/unicode/runenames"
)

// Char is one character of a string that a human should not trust by its glyph: a look-alike
// of an ASCII character, an invisible or bidi control, or simply anything outside ASCII.
type Char struct {
	Rune rune // utf8.RuneError for a byte that is not valid UTF-8
	// Offset is the byte offset of the character in the string.
	Offset int
	// Line is the 1-based line the character is on (1 unless the string holds newlines).
	Line int
	// Column is the 1-based column in runes from the start of its line; an invalid byte counts
	// as one column.
	Column int
	// Name is the Unicode name, e.g. "CYRILLIC SMALL LETTER ES".
	Name string
	// Reason says why it is suspicious: `looks like Latin "c"`, "invisible (zero-width)",
	// "bidi control", "mixed scripts (Cyrillic among Latin)", "non-ASCII", ...
	Reason string
	// LooksLike is the ASCII text the character passes for, when it passes for one ("c", " ").
	LooksLike string
	// Script is the Unicode script of a letter ("Cyrillic"), empty for others.
	Script string
	// Decoded is set when the character is not in the string itself but in what a punycode
	// label there decodes to ("аpple" for "xn--pple-43d"); Offset, Line and Column are then
	// those of the label.
	Decoded string
}

// Reasons a character is suspicious, apart from look-alikes whose reason names the look.
const (
	ReasonInvalid   = "invalid UTF-8"
	ReasonBidi      = "bidi control"
	ReasonInvisible = "invisible (zero-width)"
	ReasonSeparator = "invisible (line or paragraph separator)"
	ReasonControl   = "control character"
	ReasonSpace     = "looks like a space"
	ReasonNonASCII  = "non-ASCII"
	// ReasonStacked is a combining mark of a stack of more than maxMarks on one character:
	// marks piled up draw over the lines around them and hide what is under them.
	ReasonStacked = "stacked combining marks"
)

// maxMarks is how many combining marks one character may carry before they are suspicious:
// Vietnamese puts two on a vowel (ệ), no language needs three.
const maxMarks = 2

// String shows the character by its code point and name, never trusting the glyph alone:
// `с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`. Invisible characters, controls and
// combining marks are shown by code point only.
func (c Char) String() string {
	var b strings.Builder
	if c.Reason == ReasonInvalid {
		return c.Name + " (" + c.Reason + ")"
	}
	if showable(c.Rune) {
		b.WriteRune(c.Rune)
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "U+%04X %s (", c.Rune, c.Name)
	if c.LooksLike != "" && c.Reason != ReasonSpace {
		fmt.Fprintf(&b, "looks like %q)", c.LooksLike)
	} else {
		b.WriteString(c.Reason + ")")
	}
	return b.String()
}

// showable reports whether printing the rune itself helps a reader: it must draw a glyph of
// its own and not reorder or join its neighbours.
func showable(r rune) bool {
	return unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.M, r) &&
		!unicode.Is(unicode.Variation_Selector, r) && !unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// Suspicious returns every non-ASCII character of s (and every byte that is not valid UTF-8),
// each with the reason a reader should look twice. Pure ASCII, the common case, returns nil
// without allocating.
func Suspicious(s string) []Char {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return nil
	}
	latin := hasASCIILetter(s)
	line, col := LineColumn(s, i)
	var out []Char
	// The run of combining marks i is in, when it is a stack: its end and how many it holds.
	stackEnd, stackMarks := 0, 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if i >= stackEnd && r >= utf8.RuneSelf && unicode.Is(unicode.M, r) {
			if end, n := markRun(s, i); n > maxMarks {
				stackEnd, stackMarks = end, n
			} else {
				stackEnd, stackMarks = end, 0
			}
		}
		switch {
		case r == '\n':
			line, col = line+1, 1
		case size == 1 && r == utf8.RuneError:
			out = append(out, Char{Rune: r, Offset: i, Line: line, Column: col,
				Name: fmt.Sprintf("invalid UTF-8 byte 0x%02x", s[i]), Reason: ReasonInvalid})
			col++
		case r >= utf8.RuneSelf:
			c := describe(r, latin)
			if i < stackEnd && stackMarks > 0 && unicode.Is(unicode.M, r) && (c.Reason == ReasonNonASCII || strings.HasPrefix(c.Reason, "mixed scripts")) {
				c.Reason = fmt.Sprintf("%s, %d on one character", ReasonStacked, stackMarks)
			}
			c.Offset, c.Line, c.Column = i, line, col
			out = append(out, c)
			col++
		default:
			col++
		}
		i += size
	}
	return out
}

// markRun returns the end of the run of combining marks that starts at i, and how many it holds.
func markRun(s string, i int) (end, n int) {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.Is(unicode.M, r) {
			break
		}
		i += size
		n++
	}
	return i, n
}

// LineColumn returns the 1-based line and rune column of the byte offset in s, as Suspicious
// counts them: an invalid byte is one column, and an offset past the end is clamped to it.
func LineColumn(s string, offset int) (line, column int) {
	offset = min(max(offset, 0), len(s))
	line, column = 1, 1
	for i := 0; i < offset; {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\n' {
			line, column = line+1, 1
		} else {
			column++
		}
		i += size
	}
	return line, column
}

// LooksSame reports whether two different strings look the same to a reader (they have the
// same TR39 skeleton): a selector "kube-dns" and a label "kube-dnѕ".
func LooksSame(a, b string) bool {
	return a != b && confusable.Skeleton(a) == confusable.Skeleton(b)
}

// Describe renders suspicious characters as evidence lines: "column 11: с U+0441 CYRILLIC
// SMALL LETTER ES (looks like "c")", with the line too when a character is past the first.
func Describe(chars []Char) []string {
	multi := false
	for _, c := range chars {
		multi = multi || c.Line > 1
	}
	out := make([]string, 0, len(chars))
	for _, c := range chars {
		if multi {
			out = append(out, fmt.Sprintf("line %d, column %d: %s", c.Line, c.Column, c))
		} else {
			out = append(out, fmt.Sprintf("column %d: %s", c.Column, c))
		}
	}
	return out
}

// hasASCIILetter reports whether s has a Latin letter of ASCII, outside Annotate's code point
// markers ("⟨U+0441⟩"): a string annotated once must read as it did before.
func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "⟨U+") {
			if j := strings.Index(s[i:], "⟩"); j > 0 && j <= len("⟨U+10FFFF") {
				i += j
				continue
			}
		}
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// describe names one non-ASCII rune and says why it deserves a look. Order matters: a bidi
// control is also a format character, a no-break space also a look-alike of a space.
func describe(r rune, latin bool) Char {
	c := Char{Rune: r, Name: runeName(r), Script: scriptOf(r)}
	switch {
	case unicode.Is(unicode.Bidi_Control, r):
		c.Reason = ReasonBidi
	case unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r):
		c.Reason = ReasonSeparator
	case unicode.Is(unicode.Cc, r):
		c.Reason = ReasonControl
	case invisible(r):
		c.Reason = ReasonInvisible
	case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
		c.Reason, c.LooksLike = ReasonSpace, " "
	default:
		if look := looksLike(r); look != "" {
			c.LooksLike = look
			if isASCIILetters(look) {
				c.Reason = fmt.Sprintf("looks like Latin %q", look)
			} else {
				c.Reason = fmt.Sprintf("looks like %q", look)
			}
		} else if latin && c.Script != "" && c.Script != "Latin" {
			c.Reason = "mixed scripts (" + c.Script + " among Latin)"
		} else {
			c.Reason = ReasonNonASCII
		}
	}
	return c
}

func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Join_Control, r) ||
		unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

func runeName(r rune) string {
	if n := runenames.Name(r); n != "" {
		return n
	}
	return "<unassigned>"
}

// commonScripts are tried first: nearly every letter kockpit meets is in one of them.
var commonScripts = []string{"Latin", "Cyrillic", "Greek", "Armenian", "Cherokee", "Han", "Arabic", "Hebrew"}

// scriptOf returns the script of a letter, or "" for anything else (digits and punctuation
// are "Common" and say nothing about mixing).
func scriptOf(r rune) string {
	if !unicode.IsLetter(r) {
		return ""
	}
	for _, name := range commonScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// asciiBySkeleton maps a TR39 skeleton to the printable ASCII characters that have it, in
// code point order: "l" to "1", "I", "l", "|". Built once, on the first non-ASCII string.
var asciiBySkeleton = sync.OnceValue(func() map[string][]byte {
	m := map[string][]byte{}
	for c := byte(0x21); c < 0x7f; c++ {
		k := confusable.Skeleton(string(rune(c)))
		m[k] = append(m[k], c)
	}
	return m
})

// looksLike returns the ASCII text a rune passes for, or "". The skeleton itself is never
// shown (it spells "m" as "rn"); it is mapped back to the ASCII characters that share it.
func looksLike(r rune) string {
	skel := confusable.Skeleton(string(r))
	if skel == "" || skel == string(r) {
		return ""
	}
	for i := 0; i < len(skel); i++ {
		if skel[i] >= utf8.RuneSelf {
			return ""
		}
	}
	table := asciiBySkeleton()
	var b strings.Builder
	for rest := skel; rest != ""; {
		n := min(len(rest), 3)
		for ; n > 0; n-- {
			if cands, ok := table[rest[:n]]; ok {
				b.WriteByte(pick(cands, r))
				break
			}
		}
		if n == 0 {
			return ""
		}
		rest = rest[n:]
	}
	return b.String()
}

// pick chooses among ASCII characters with the same skeleton the one most like r: a capital
// for a capital ("І" passes for "I", not "l"), a digit for a digit, a letter for a letter.
func pick(cands []byte, r rune) byte {
	best, bestScore := cands[0], -1
	for _, c := range cands {
		score := 0
		isLetter := (c|0x20) >= 'a' && (c|0x20) <= 'z'
		isUpper := c >= 'A' && c <= 'Z'
		isDigit := c >= '0' && c <= '9'
		switch {
		case unicode.IsUpper(r) && isUpper, unicode.IsLower(r) && isLetter && !isUpper:
			score = 3
		case unicode.IsDigit(r) && isDigit, unicode.IsLetter(r) && isLetter:
			score = 2
		case !unicode.IsLetter(r) && !unicode.IsDigit(r) && !isLetter && !isDigit:
			score = 1
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	return best
}
