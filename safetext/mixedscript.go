package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Lookalikes returns the characters of s that Unicode TS #39 would have a reader distrust,
// word by word, rather than every character outside ASCII as Suspicious does:
//
//   - a word that mixes Latin with Cyrillic, Greek or another script outside the ones TS #39
//     lets Latin go with (Han and Kana for Japanese, Han and Hangul, Han and Bopomofo, or one
//     other script that is neither Cyrillic nor Greek), or two non-Latin scripts: every letter
//     outside the word's main script;
//   - a character that passes for an ASCII one in a word of ASCII letters ("ɡ" in "reɡistry");
//   - invisible, bidi and control characters and invalid bytes, except where text needs them
//     (a joiner inside an emoji sequence or an Arabic or Indic word, a variation selector after
//     a symbol or a Han character, a mark of direction in right-to-left text);
//   - when strict (a field a program reads: hosts, images, paths, arguments), a look-alike of a
//     space too, which text uses on purpose (a no-break space, the ideographic space);
//   - in a punycode label ("xn--pple-43d"), what the label decodes to, judged the same way:
//     the Char stands at the label's first byte and Decoded holds the decoded label.
//
// A word wholly in one script, Latin or not, is not a look-alike, nor is an emoji. Pure ASCII
// without "xn--", the common case, returns nil without allocating.
func Lookalikes(s string, strict bool) []Char {
	nonASCII, puny := scanASCII(s)
	if !nonASCII && !puny {
		return nil
	}
	var out []Char
	if nonASCII {
		rtl := hasRightToLeft(s)
		forEachWord(s, func(start, end int) {
			out = judgeWord(out, s, start, end, strict)
		})
		out = appendHidden(out, s, rtl, strict)
	}
	if puny {
		out = appendPunycode(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	sortByOffset(out)
	setLineColumns(s, out)
	return out
}

// scanASCII says whether s has a byte outside ASCII and whether it has "xn--" in any case.
func scanASCII(s string) (nonASCII, puny bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			nonASCII = true
		} else if c|0x20 == 'x' && i+3 < len(s) && s[i+1]|0x20 == 'n' && s[i+2] == '-' && s[i+3] == '-' {
			puny = true
		}
	}
	return nonASCII, puny
}

// wordRune says whether r is part of a word: letters, marks and digits, and the invisible
// characters that can hide inside one ("lo\u200bcal" is one word with a hole in it).
func wordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.M, r) || unicode.IsDigit(r) || invisible(r)
}

// forEachWord calls fn with the byte range of every word of s.
func forEachWord(s string, fn func(start, end int)) {
	start := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		inWord := wordRune(r) && !(r == utf8.RuneError && size == 1)
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			fn(start, i)
			start = -1
		}
		i += size
	}
	if start >= 0 {
		fn(start, len(s))
	}
}

// wordScripts counts a word's letters by script; letters of Common and Inherited count for none.
type wordScripts struct {
	asciiLetters int
	counts       map[string]int
	nonASCII     bool
}

func scriptsOf(word string) wordScripts {
	var w wordScripts
	for _, r := range word {
		if r < utf8.RuneSelf {
			if c := byte(r) | 0x20; c >= 'a' && c <= 'z' {
				w.asciiLetters++
				w.add("Latin")
			}
			continue
		}
		w.nonASCII = true
		if sc := scriptOf(r); sc != "" {
			w.add(sc)
		}
	}
	return w
}

func (w *wordScripts) add(script string) {
	if w.counts == nil {
		w.counts = make(map[string]int, 2)
	}
	w.counts[script]++
}

// cjkSets are the script sets TS #39 treats as one writing system: Japanese, Korean, and
// Chinese with Bopomofo.
var cjkSets = []map[string]bool{
	{"Han": true, "Hiragana": true, "Katakana": true},
	{"Han": true, "Hangul": true},
	{"Han": true, "Bopomofo": true},
}

// latinNeverWith are the scripts whose letters TS #39's moderately restrictive level keeps
// out of a Latin word: they hold the most look-alikes of Latin letters. Cherokee and Coptic are
// not recommended for identifiers at all.
var latinNeverWith = map[string]bool{"Cyrillic": true, "Greek": true, "Cherokee": true, "Coptic": true}

// mixed says whether the word's scripts fail TS #39's moderately restrictive level, and which
// script is the word's main one (the others are the odd ones out).
func (w wordScripts) mixed() (bool, string) {
	if len(w.counts) <= 1 {
		return false, ""
	}
	others := make([]string, 0, len(w.counts))
	for sc := range w.counts {
		if sc != "Latin" {
			others = append(others, sc)
		}
	}
	for _, set := range cjkSets {
		all := true
		for _, sc := range others {
			all = all && set[sc]
		}
		if all {
			return false, ""
		}
	}
	if _, latin := w.counts["Latin"]; latin && len(others) == 1 && !latinNeverWith[others[0]] {
		return false, ""
	}
	main := ""
	for sc, n := range w.counts {
		best := w.counts[main]
		if main == "" || n > best || n == best && (sc == "Latin" || main != "Latin" && sc < main) {
			main = sc
		}
	}
	return true, main
}

// judgeWord appends the look-alike letters of one word.
func judgeWord(out []Char, s string, start, end int, strict bool) []Char {
	word := s[start:end]
	w := scriptsOf(word)
	if !w.nonASCII {
		return out
	}
	isMixed, main := w.mixed()
	for i := start; i < end; {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !invisible(r) {
			sc := letterScript(r)
			flag := false
			switch {
			case isMixed:
				flag = sc != "" && sc != main
			case r >= utf8.RuneSelf && w.asciiLetters > 0 && (strict || MachineWord(s, start, end)):
				// One script, or Latin with one that may go with it: only what passes for
				// ASCII beside ASCII letters deceives, and in prose only inside a host, path
				// or setting: "kapalı" is Turkish, "reɡistry.k8s.io" is not.
				flag = passesForLatin[sc] && looksLike(r) != ""
			}
			if flag {
				c := describe(r, main == "Latin")
				if isMixed && main != "Latin" {
					c.Reason = fmt.Sprintf("mixed scripts (%s among %s)", sc, main)
				}
				c.Offset = i
				out = append(out, c)
			}
		}
		i += size
	}
	return out
}

// MachineWord says whether the run of text between spaces around s[start:end] reads as
// something a program parses (a host, URL, path or key=value) rather than a word of prose.
func MachineWord(s string, start, end int) bool {
	for start > 0 && !asciiSpace(s[start-1]) {
		start--
	}
	for end < len(s) && !asciiSpace(s[end]) {
		end++
	}
	chunk := strings.TrimRight(s[start:end], ".,;:!?)\"'")
	return strings.ContainsAny(chunk, "/=@") || strings.Contains(strings.Trim(chunk, "."), ".")
}

func asciiSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// passesForLatin are the scripts whose look-alikes of ASCII letters deceive inside a Latin
// word even where TS #39 lets the script stand beside Latin: Latin's own (ɡ, ı), Armenian's
// (օ), and letters of no script (fullwidth digits).
var passesForLatin = map[string]bool{"Latin": true, "": true, "Armenian": true}

// letterScript is scriptOf, with ASCII letters as Latin.
func letterScript(r rune) string {
	if r < utf8.RuneSelf {
		if c := byte(r) | 0x20; c >= 'a' && c <= 'z' {
			return "Latin"
		}
		return ""
	}
	return scriptOf(r)
}

// appendHidden appends the invisible, bidi and control characters and invalid bytes that
// text does not need where they stand, and space look-alikes when strict.
func appendHidden(out []Char, s string, rtl, strict bool) []Char {
	prev := rune(-1)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, Char{Rune: r, Offset: i, Name: fmt.Sprintf("invalid UTF-8 byte 0x%02x", s[i]), Reason: ReasonInvalid})
		case r < utf8.RuneSelf:
		case hiddenNeeded(s, i, size, r, prev, rtl):
		case unicode.Is(unicode.Bidi_Control, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r),
			unicode.Is(unicode.Cc, r), invisible(r):
			c := describe(r, false)
			c.Offset = i
			out = append(out, c)
		case strict && (unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)):
			c := describe(r, false)
			c.Offset = i
			out = append(out, c)
		}
		prev = r
		i += size
	}
	return out
}

// Joiners, selectors and marks of direction that text needs in their place.
const (
	zwnj      = '\u200c'
	zwj       = '\u200d'
	lrm       = '\u200e'
	rlm       = '\u200f'
	alm       = '\u061c'
	blackFlag = '\U0001F3F4'
)

// hiddenNeeded says whether an invisible character at i is one that its neighbours need: a
// joiner between two emoji or two letters of a script that joins (Arabic, Indic), a variation
// selector after a symbol or a Han character, a tag character of a flag's sequence, or a mark
// of direction in a string with right-to-left letters.
func hiddenNeeded(s string, i, size int, r, prev rune, rtl bool) bool {
	next, _ := utf8.DecodeRuneInString(s[i+size:])
	switch {
	case r == zwj && pictograph(prev) && pictograph(next):
		return true
	case (r == zwj || r == zwnj) && joiningLetter(prev) && joiningLetter(next):
		return true
	case r >= 0xFE00 && r <= 0xFE0F:
		return prev > 0 && (pictograph(prev) || unicode.Is(unicode.So, prev) || unicode.Is(unicode.Han, prev) ||
			prev >= '0' && prev <= '9' || prev == '#' || prev == '*')
	case r >= 0xE0100 && r <= 0xE01EF:
		return prev > 0 && unicode.Is(unicode.Han, prev) || prev >= 0xE0100 && prev <= 0xE01EF
	case r >= 0xE0020 && r <= 0xE007F:
		return prev == blackFlag || prev >= 0xE0020 && prev <= 0xE007F
	case r == lrm || r == rlm || r == alm:
		return rtl
	}
	return false
}

// pictograph approximates Extended_Pictographic, which the unicode package does not carry:
// symbols drawn as emoji, and the skin-tone modifiers that follow them.
func pictograph(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2190 && r <= 0x21FF ||
		r >= 0x2B00 && r <= 0x2BFF || r == 0x2640 || r == 0x2642 || r == 0x2695 || r == 0x2708
}

// joiningLetter is a letter or mark of a script whose words need ZWJ and ZWNJ: anything but
// Latin, Greek and Cyrillic, where a joiner only hides a break.
func joiningLetter(r rune) bool {
	if r < utf8.RuneSelf || !(unicode.IsLetter(r) || unicode.Is(unicode.M, r)) {
		return false
	}
	return !unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}

// hasRightToLeft reports whether s has a letter of a right-to-left script.
func hasRightToLeft(s string) bool {
	for _, r := range s {
		if r >= 0x0590 && unicode.In(r, unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana, unicode.Nko) {
			return true
		}
	}
	return false
}

// appendPunycode appends, for each "xn--" label of s whose decoded form holds look-alikes,
// those characters, placed at the label's start. A label that does not decode is no
// look-alike: the name simply resolves nowhere.
func appendPunycode(out []Char, s string) []Char {
	for i := 0; i+4 <= len(s); i++ {
		if s[i]|0x20 != 'x' || s[i+1]|0x20 != 'n' || s[i+2] != '-' || s[i+3] != '-' || i > 0 && labelByte(s[i-1]) {
			continue
		}
		end := i + 4
		for end < len(s) && labelByte(s[end]) {
			end++
		}
		label := s[i:end]
		decoded, err := idna.Punycode.ToUnicode(strings.ToLower(label))
		if err == nil && decoded != label {
			for _, c := range Lookalikes(decoded, true) {
				c.Offset, c.Decoded, c.Line, c.Column = i, decoded, 0, 0
				out = append(out, c)
			}
		}
		i = end - 1
	}
	return out
}

func labelByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// sortByOffset orders the characters by where they stand (insertion sort: there are few, and
// each source appends them in order already).
func sortByOffset(chars []Char) {
	for i := 1; i < len(chars); i++ {
		for j := i; j > 0 && chars[j].Offset < chars[j-1].Offset; j-- {
			chars[j], chars[j-1] = chars[j-1], chars[j]
		}
	}
}

// setLineColumns fills Line and Column from Offset, in one pass over s.
func setLineColumns(s string, chars []Char) {
	line, col, pos := 1, 1, 0
	for k := range chars {
		for pos < chars[k].Offset && pos < len(s) {
			r, size := utf8.DecodeRuneInString(s[pos:])
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			pos += size
		}
		chars[k].Line, chars[k].Column = line, col
	}
}
