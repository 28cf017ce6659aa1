package safetext

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The redactor matches names in folded text: each character that passes for ASCII is that
// ASCII (its compatibility form, "ｔ" is "t", or its confusable skeleton, Cyrillic "е" is "e"),
// and characters that draw nothing (zero-width, bidi, soft hyphen, control characters) are
// gone. A name spelled to look like "--token" on screen is then "--token" to the patterns.

// fold returns s folded.
func fold(s string) string {
	f, _ := foldWithOffsets(s)
	return f
}

// foldWithOffsets returns s folded, and for each byte of the result the offset in s of the
// character it comes from, plus len(s) at the end; offsets is nil when the result is s.
func foldWithOffsets(s string) (folded string, offsets []int) {
	if plainText(s) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	offsets = make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r < utf8.RuneSelf && (r >= 0x20 && r != 0x7f || isSpace(byte(r))):
			b.WriteByte(byte(r))
			offsets = append(offsets, i)
		case r == utf8.RuneError && size == 1:
			b.WriteByte(s[i]) // stays what it is: no name goes on through it
			offsets = append(offsets, i)
		default:
			f := foldRune(r)
			b.WriteString(f)
			for range len(f) {
				offsets = append(offsets, i)
			}
		}
		i += size
	}
	offsets = append(offsets, len(s))
	return b.String(), offsets
}

// plainText reports printable ASCII (and white space), which folds to itself.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c >= 0x7f) && !isSpace(c) {
			return false
		}
	}
	return true
}

// foldCache holds foldRune's answers: a skeleton costs microseconds, and text that is not
// ASCII repeats its few characters.
var foldCache sync.Map // rune -> string

// foldRune is what a character that is not printable ASCII is to the redactor's patterns: the
// ASCII it passes for, nothing for what draws nothing, or itself.
func foldRune(r rune) string {
	if f, ok := foldCache.Load(r); ok {
		return f.(string)
	}
	f := string(r)
	switch {
	case r < 0x20 || r == 0x7f || unicode.Is(unicode.Cc, r) || invisible(r) ||
		unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Mn, r) && !unicode.IsGraphic(r):
		f = ""
	default:
		if n := norm.NFKC.String(f); n != f && isPrintableASCII(n) {
			f = n
		} else if look := looksLike(r); look != "" {
			f = look
		}
	}
	foldCache.Store(r, f)
	return f
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}
