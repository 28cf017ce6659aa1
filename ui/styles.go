package ui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/themes"
)

// Styles are every style the cockpit draws with. They are derived from a theme and the
// terminal's background in one place, NewStyles, and rebuilt when either changes; no style
// lives in a package variable.
type Styles struct {
	Text, Muted, Faint lipgloss.Style
	Bold               lipgloss.Style
	Title              lipgloss.Style // pane titles, the check's title
	Category           lipgloss.Style
	Selected           lipgloss.Style // the selected row, focused pane
	SelectedBlur       lipgloss.Style // the selected row, other pane
	Status             map[checks.Status]lipgloss.Style
	Command            lipgloss.Style
	Label              lipgloss.Style // "evidence", "fix", "$"
	Banner             lipgloss.Style
	Suspicious         lipgloss.Style // escape sequences and look-alikes, shown by code point
	Border             lipgloss.Style // an unfocused pane's border
	BorderFocused      lipgloss.Style
	PaneTitle          lipgloss.Style // an unfocused pane's title; a focused one's is Title
	Key                lipgloss.Style // key names in the hint bar and help
	Notice             lipgloss.Style
	Help               help.Styles
	Spinner            lipgloss.Style
}

// NewStyles derives the styles from a theme for a dark or light terminal background.
func NewStyles(t themes.Theme, isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	c := func(col themes.Color) lipgloss.Style {
		return lipgloss.NewStyle().Foreground(ld(col.Light, col.Dark))
	}
	base := lipgloss.NewStyle()
	s := Styles{
		Text:     c(t.Text),
		Muted:    c(t.Muted),
		Faint:    c(t.Skip),
		Bold:     c(t.Text).Bold(true),
		Title:    c(t.Accent).Bold(true),
		Category: c(t.Muted).Bold(true),
		Selected: base.Foreground(ld(t.SelectFg.Light, t.SelectFg.Dark)).
			Background(ld(t.SelectBg.Light, t.SelectBg.Dark)).Bold(true),
		SelectedBlur: c(t.Text).Bold(true),
		Status: map[checks.Status]lipgloss.Style{
			checks.StatusOK:    c(t.OK),
			checks.StatusWarn:  c(t.Warn).Bold(true),
			checks.StatusFail:  c(t.Fail).Bold(true),
			checks.StatusError: c(t.Error).Bold(true),
			checks.StatusSkip:  c(t.Skip),
		},
		Command: c(t.Command),
		Label:   c(t.Muted).Bold(true),
		Banner: base.Foreground(ld(t.BannerFg.Light, t.BannerFg.Dark)).
			Background(ld(t.BannerBg.Light, t.BannerBg.Dark)).Bold(true),
		Suspicious:    base.Foreground(ld(t.Suspicious.Light, t.Suspicious.Dark)).Bold(true).Underline(true),
		Border:        c(t.Border),
		BorderFocused: c(t.Accent),
		PaneTitle:     c(t.Muted).Bold(true),
		Key:           c(t.Accent).Bold(true),
		Notice:        c(t.Accent),
		Spinner:       c(t.Accent),
	}
	s.Help = help.Styles{
		ShortKey:       s.Key,
		ShortDesc:      s.Muted,
		ShortSeparator: c(t.Border),
		Ellipsis:       c(t.Border),
		FullKey:        s.Key,
		FullDesc:       s.Text,
		FullSeparator:  c(t.Border),
	}
	return s
}

// status returns the style of a status, plain text for an unknown one.
func (s Styles) status(st checks.Status) lipgloss.Style {
	if v, ok := s.Status[st]; ok {
		return v
	}
	return s.Text
}
