package ui

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kockpit/kockpit/safetext"
)

// Every string from a cluster or a host reaches the screen through safe (or safeLines): it is
// never written raw, so an escape sequence in a pod name or an event message is drawn as "␛[31m"
// and cannot move the cursor or change colours, and a look-alike or invisible character is
// drawn highlighted with its code point.

// textOpts are the on-camera options every cluster string goes through.
type textOpts struct {
	redactIPs bool
}

// clean applies redaction to a raw string. It runs before safetext so that the suspicious
// characters' offsets match what is drawn.
func (o textOpts) clean(s string) string {
	if o.redactIPs {
		s = redactIPs(s)
	}
	return s
}

// prepare redacts (IPs when asked, credentials always) and makes a raw string visible: no control
// character survives it. Text is
// wrapped after prepare, so that widths are those drawn.
func (o textOpts) prepare(s string) string {
	return safetext.Visible(safetext.RedactSecrets(o.clean(s)))
}

// safe renders one line of cluster text in base: control characters are drawn as their
// visible stand-ins ("␛[31m") and, with look-alike and invisible characters, highlighted in
// mark; those two also get their code point: "kube-dnс⟨U+0441⟩". It is idempotent, so text
// already prepared may pass through it again.
func safe(s string, o textOpts, base, mark lipgloss.Style) string {
	s = o.prepare(s)
	flagged := flaggedOffsets(s)
	if len(flagged) == 0 && !strings.ContainsFunc(s, isStandIn) {
		return base.Render(s)
	}
	var b, plain strings.Builder
	flush := func() {
		if plain.Len() > 0 {
			b.WriteString(base.Render(plain.String()))
			plain.Reset()
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isStandIn(r):
			flush()
			b.WriteString(mark.Render(string(r)))
		case flagged[i]:
			flush()
			if safetext.Drawable(r) && safetext.Described(s[i+size:], r) {
				b.WriteString(mark.Render(string(r))) // the text names it by code point already
			} else if safetext.Drawable(r) {
				b.WriteString(mark.Render(fmt.Sprintf("%c⟨U+%04X⟩", r, r)))
			} else {
				b.WriteString(mark.Render(fmt.Sprintf("⟨U+%04X⟩", r)))
			}
		default:
			plain.WriteString(s[i : i+size])
		}
		i += size
	}
	flush()
	return b.String()
}

// isStandIn reports the Control Pictures safetext.Visible draws for control characters.
func isStandIn(r rune) bool { return r >= 0x2400 && r <= 0x2426 }

// flaggedOffsets returns the byte offsets of the characters a reader should not trust by their
// glyph. Plain non-ASCII (accented names, CJK) is not flagged: it is not deceptive by itself.
func flaggedOffsets(s string) map[int]bool {
	chars := safetext.Flagged(s)
	if len(chars) == 0 {
		return nil
	}
	out := map[int]bool{}
	for _, c := range chars {
		if isStandIn(c.Rune) {
			continue
		}
		out[c.Offset] = true
	}
	return out
}

// suspiciousNotes lists the flagged characters of s, each by code point and name, for the
// detail pane: `с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`.
func suspiciousNotes(s string, o textOpts) []string {
	var out []string
	for _, c := range safetext.Flagged(o.prepare(s)) {
		if isStandIn(c.Rune) {
			continue
		}
		out = append(out, safetext.Visible(c.String()))
	}
	return out
}

var (
	ipv4 = regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`)
	ipv6 = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}`)
)

// redactIPs masks IPv4 and IPv6 addresses, for --redact-ips on camera; ports and prefix
// lengths stay, so "10.0.0.1:6443" reads "•.•.•.•:6443".
func redactIPs(s string) string {
	s = ipv4.ReplaceAllStringFunc(s, func(m string) string {
		if net.ParseIP(m) == nil {
			return m
		}
		return "•.•.•.•"
	})
	return ipv6.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Count(m, ":") < 2 || net.ParseIP(m) == nil {
			return m
		}
		return "•:•::•"
	})
}

// fit cuts a styled string to width cells with an ellipsis, and pads it with pad's style to
// exactly width.
func fit(s string, width int, pad lipgloss.Style) string {
	if width <= 0 {
		return ""
	}
	w := lipgloss.Width(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	if w < width {
		return s + pad.Render(strings.Repeat(" ", width-w))
	}
	return s
}

// wrap breaks plain text into lines of at most width cells at spaces only, so flags such as
// --enable-admission-plugins stay whole; a word longer than a line is cut hard.
func wrap(s string, width int) []string {
	if width < 8 {
		width = 8
	}
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var cur strings.Builder
		curW := 0
		for _, word := range strings.Fields(para) {
			ww := ansi.StringWidth(word)
			for ww > width {
				if curW > 0 {
					lines = append(lines, cur.String())
					cur.Reset()
					curW = 0
				}
				head := ansi.Truncate(word, width, "")
				lines = append(lines, head)
				word = word[len(head):]
				ww = ansi.StringWidth(word)
			}
			switch {
			case curW == 0:
			case curW+1+ww <= width:
				cur.WriteByte(' ')
				curW++
			default:
				lines = append(lines, cur.String())
				cur.Reset()
				curW = 0
			}
			cur.WriteString(word)
			curW += ww
		}
		lines = append(lines, cur.String())
	}
	return lines
}
