// Package themes holds the cockpit's colour themes: the built-in ones and the YAML theme files
// a user may load. A theme is only colours; the cockpit derives its styles from one in one
// place (ui.NewStyles).
package themes

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
)

// Color is one colour of a theme, for a light and for a dark terminal background. The cockpit
// picks one with lipgloss.LightDark once it knows the background.
type Color struct {
	Light color.Color
	Dark  color.Color
}

// Same is a colour that does not depend on the background.
func Same(c string) Color { return Color{Light: lipgloss.Color(c), Dark: lipgloss.Color(c)} }

// Pair is a colour with one value for light backgrounds and one for dark ones.
func Pair(light, dark string) Color {
	return Color{Light: lipgloss.Color(light), Dark: lipgloss.Color(dark)}
}

// Theme is a named set of colours. Every field is set in the built-in themes; a theme file
// starts from a built-in one and overrides some.
type Theme struct {
	Name        string
	Description string

	Text     Color // ordinary text
	Muted    Color // secondary text: durations, IDs in passing, evidence
	Border   Color // pane borders and rules
	Accent   Color // the focused pane's border, titles, key names
	SelectBg Color // the selected row's background
	SelectFg Color // the selected row's text

	OK    Color
	Warn  Color
	Fail  Color
	Error Color // a check that could not run
	Skip  Color

	Command    Color // kubectl commands
	BannerBg   Color // the "API server unreachable" / "offline" banner
	BannerFg   Color
	Suspicious Color // escape sequences, look-alike and invisible characters
}

// Names of the built-in themes. Auto follows the terminal's background.
const (
	Auto         = "auto"
	Dark         = "dark"
	Light        = "light"
	HighContrast = "high-contrast"
	ColorBlind   = "colorblind"
)

var dark = Theme{
	Name: Dark, Description: "soft colours for a dark terminal",
	Text: Same("#D5DAE5"), Muted: Same("#8A91A5"), Border: Same("#3E4559"), Accent: Same("#8AB4F8"),
	SelectBg: Same("#2D3550"), SelectFg: Same("#F2F5FA"),
	OK: Same("#8FD694"), Warn: Same("#F2C572"), Fail: Same("#F2798C"), Error: Same("#C9A2F5"), Skip: Same("#6F768A"),
	Command: Same("#7FD1C7"), BannerBg: Same("#F2798C"), BannerFg: Same("#1B1E28"), Suspicious: Same("#FFB86C"),
}

var light = Theme{
	Name: Light, Description: "quiet colours for a light terminal",
	Text: Same("#1F2328"), Muted: Same("#656D76"), Border: Same("#C8CFD6"), Accent: Same("#0B61C9"),
	SelectBg: Same("#DCEBFB"), SelectFg: Same("#0A2F5C"),
	OK: Same("#1A7F37"), Warn: Same("#9A6700"), Fail: Same("#CF222E"), Error: Same("#8250DF"), Skip: Same("#818B96"),
	Command: Same("#116B73"), BannerBg: Same("#CF222E"), BannerFg: Same("#FFFFFF"), Suspicious: Same("#BC4C00"),
}

// pairOf combines a theme for light backgrounds with one for dark backgrounds.
func pairOf(name, desc string, l, d Theme) Theme {
	p := func(a, b Color) Color { return Color{Light: a.Light, Dark: b.Dark} }
	return Theme{
		Name: name, Description: desc,
		Text: p(l.Text, d.Text), Muted: p(l.Muted, d.Muted), Border: p(l.Border, d.Border), Accent: p(l.Accent, d.Accent),
		SelectBg: p(l.SelectBg, d.SelectBg), SelectFg: p(l.SelectFg, d.SelectFg),
		OK: p(l.OK, d.OK), Warn: p(l.Warn, d.Warn), Fail: p(l.Fail, d.Fail), Error: p(l.Error, d.Error), Skip: p(l.Skip, d.Skip),
		Command: p(l.Command, d.Command), BannerBg: p(l.BannerBg, d.BannerBg), BannerFg: p(l.BannerFg, d.BannerFg),
		Suspicious: p(l.Suspicious, d.Suspicious),
	}
}

var highContrast = Theme{
	Name: HighContrast, Description: "maximum contrast, for projectors and bright rooms",
	Text: Pair("#000000", "#FFFFFF"), Muted: Pair("#262626", "#E0E0E0"), Border: Pair("#000000", "#FFFFFF"),
	Accent: Pair("#0000C8", "#00E5FF"), SelectBg: Pair("#000000", "#FFFF00"), SelectFg: Pair("#FFFFFF", "#000000"),
	OK: Pair("#005C00", "#00FF5F"), Warn: Pair("#6B3E00", "#FFD700"), Fail: Pair("#A00000", "#FF5F5F"),
	Error: Pair("#5A0096", "#FF87FF"), Skip: Pair("#3A3A3A", "#C6C6C6"),
	Command: Pair("#00008B", "#87FFFF"), BannerBg: Pair("#A00000", "#FFFF00"), BannerFg: Pair("#FFFFFF", "#000000"),
	Suspicious: Pair("#8B3A00", "#FFAF00"),
}

// colorBlind uses the Okabe-Ito palette, told apart with every common colour-vision deficiency;
// the status marks differ by shape as well.
var colorBlind = Theme{
	Name: ColorBlind, Description: "Okabe-Ito colours, safe for colour-blind viewers",
	Text: Pair("#1F2328", "#E6E6E6"), Muted: Pair("#5F6368", "#A0A0A0"), Border: Pair("#BDBDBD", "#4A4A4A"),
	Accent: Pair("#0072B2", "#56B4E9"), SelectBg: Pair("#D6EAF8", "#1D3B53"), SelectFg: Pair("#08263A", "#FFFFFF"),
	OK: Pair("#007A5A", "#009E73"), Warn: Pair("#A86B00", "#E69F00"), Fail: Pair("#B34700", "#D55E00"),
	Error: Pair("#A3487A", "#CC79A7"), Skip: Pair("#7A7A7A", "#8C8C8C"),
	Command: Pair("#0072B2", "#56B4E9"), BannerBg: Pair("#B34700", "#D55E00"), BannerFg: Pair("#FFFFFF", "#000000"),
	Suspicious: Pair("#8A6F00", "#F0E442"),
}

var builtins = []Theme{
	pairOf(Auto, "dark or light, following the terminal's background (the default)", light, dark),
	dark, light, highContrast, colorBlind,
}

// Builtin returns the built-in themes, the default (auto) first.
func Builtin() []Theme { return append([]Theme(nil), builtins...) }

// Default is the theme used when none is named: auto.
func Default() Theme { return builtins[0] }

// Lookup finds a built-in theme by name.
func Lookup(name string) (Theme, bool) {
	for _, t := range builtins {
		if t.Name == name {
			return t, true
		}
	}
	return Theme{}, false
}

// Names lists the built-in themes' names, for messages.
func Names() []string {
	out := make([]string, len(builtins))
	for i, t := range builtins {
		out[i] = t.Name
	}
	return out
}

// List writes the built-in themes, one a line, for `--theme list`.
func List() string {
	var b strings.Builder
	for _, t := range builtins {
		fmt.Fprintf(&b, "%-14s %s\n", t.Name, t.Description)
	}
	b.WriteString("\nor a theme file: --theme PATH (YAML: extends, colors, keys; see README)\n")
	return b.String()
}

// parseColor reads "#rgb", "#rrggbb" or an ANSI colour number 0..255.
func parseColor(s string) (color.Color, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		hex := s[1:]
		if len(hex) != 3 && len(hex) != 6 {
			return nil, fmt.Errorf("colour %q: want #rgb or #rrggbb", s)
		}
		if _, err := strconv.ParseUint(hex, 16, 32); err != nil {
			return nil, fmt.Errorf("colour %q: not hexadecimal", s)
		}
		return lipgloss.Color(s), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return nil, fmt.Errorf("colour %q: want #rrggbb, #rgb or an ANSI colour number 0-255", s)
	}
	return lipgloss.Color(s), nil
}
