package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/kockpit/kockpit/themes"
)

// KeyMap is every key the cockpit answers, as data: the hint bar and the help screen are
// generated from it, so they are always true, and a theme file's keys section rebinds it.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Pane                                    key.Binding // tab: checklist ⇄ findings
	// ChainBack steps back along a finding's chain in the drill-in (Pane steps forward);
	// elsewhere it does what Pane does.
	ChainBack          key.Binding
	Open, Back         key.Binding
	Filter             key.Binding
	RerunAll, Rerun    key.Binding
	Learn, Copy, Theme key.Binding
	Flows, Pause       key.Binding // the Flows pane, and pausing it
	Triage             key.Binding // c: causes ⇄ checklist
	Help, Quit         key.Binding
	// The lesson's keys, answered only while a workshop's lesson is open: there they come
	// before the keys above (space marks instead of paging down).
	Hint, Mark, HideLesson key.Binding
}

// DefaultKeyMap is the cockpit's keys out of the box.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
		Top:       key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "first")),
		Bottom:    key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "last")),
		Pane:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "pane")),
		ChainBack: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back in chain")),
		Open:      key.NewBinding(key.WithKeys("enter", "right"), key.WithHelp("enter", "open")),
		Back:      key.NewBinding(key.WithKeys("esc", "left", "backspace"), key.WithHelp("esc", "back")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		RerunAll:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-run all")),
		Rerun:     key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "re-run check")),
		Learn:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "learn")),
		Copy:      key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy kubectl")),
		Theme:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "theme")),
		Flows:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "flows")),
		// Space pauses too, in the Flows pane only: elsewhere it pages down.
		Pause:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p/space", "pause flows")),
		Triage: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "causes")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Hint:       key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hint")),
		Mark:       key.NewBinding(key.WithKeys("space", "m"), key.WithHelp("space", "mark the selected finding as the root cause")),
		HideLesson: key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "hide")),
	}
}

// actions names every binding as a theme file's keys section spells it.
func (k *KeyMap) actions() []struct {
	name string
	b    *key.Binding
} {
	return []struct {
		name string
		b    *key.Binding
	}{
		{"up", &k.Up}, {"down", &k.Down}, {"page-up", &k.PageUp}, {"page-down", &k.PageDown},
		{"top", &k.Top}, {"bottom", &k.Bottom}, {"pane", &k.Pane}, {"chain-back", &k.ChainBack}, {"open", &k.Open}, {"back", &k.Back},
		{"filter", &k.Filter}, {"rerun-all", &k.RerunAll}, {"rerun", &k.Rerun}, {"learn", &k.Learn},
		{"copy", &k.Copy}, {"theme", &k.Theme}, {"flows", &k.Flows}, {"pause", &k.Pause}, {"triage", &k.Triage}, {"help", &k.Help}, {"quit", &k.Quit},
		{"hint", &k.Hint}, {"mark", &k.Mark}, {"hide-lesson", &k.HideLesson},
	}
}

// lessonActions are the actions a lesson answers before the main screen's.
var lessonActions = map[string]bool{"hint": true, "mark": true, "hide-lesson": true}

// shadowedByLesson are the main actions a lesson key may share: while a lesson is open the
// lesson's key wins, which costs a student nothing (paging has other keys). Any other main
// action (quit, tab, ↑/↓, enter, c, l...) is what a student needs to find and mark a finding.
var shadowedByLesson = map[string]bool{"page-down": true, "page-up": true, "top": true, "bottom": true}

// mayShare says whether two actions may be bound to one key.
func mayShare(a, b string) bool {
	if lessonActions[a] == lessonActions[b] {
		return false
	}
	return shadowedByLesson[a] || shadowedByLesson[b]
}

// ActionNames lists the actions a theme file may rebind.
func ActionNames() []string {
	var k KeyMap
	var out []string
	for _, a := range k.actions() {
		out = append(out, a.name)
	}
	return out
}

// Rebind applies a theme file's keys section. An unknown action, or a key that two actions
// would share, is an error at the line that says it; nothing is applied then.
func (k KeyMap) Rebind(specs []themes.KeySpec) (KeyMap, error) {
	out := k
	acts := out.actions()
	for _, s := range specs {
		i := slices.IndexFunc(acts, func(a struct {
			name string
			b    *key.Binding
		}) bool {
			return a.name == s.Action
		})
		if i < 0 {
			return k, &themes.FileError{Path: s.Path, Line: s.Line, Column: s.Column, Key: s.Action,
				Msg: fmt.Sprintf("keys: unknown action %q (known: %s)", s.Action, strings.Join(ActionNames(), ", "))}
		}
		b := acts[i].b
		b.SetKeys(s.Keys...)
		b.SetHelp(keyLabel(s.Keys), b.Help().Desc)
	}
	// A key two actions share is the file's fault: say so at the line that rebinds one of them.
	where := map[string]themes.KeySpec{}
	for _, s := range specs {
		where[s.Action] = s
	}
	owners := map[string][]string{}
	for _, a := range acts {
		for _, kk := range a.b.Keys() {
			for _, prev := range owners[kk] {
				if mayShare(prev, a.name) {
					continue
				}
				msg := fmt.Sprintf("keys: %q is bound to both %s and %s", kk, prev, a.name)
				s, ok := where[a.name]
				if !ok {
					s, ok = where[prev]
				}
				if !ok {
					return k, fmt.Errorf("%s", msg)
				}
				return k, &themes.FileError{Path: s.Path, Line: s.Line, Column: s.Column, Key: s.Action, Msg: msg}
			}
			owners[kk] = append(owners[kk], a.name)
		}
	}
	return out, nil
}

// keyLabel is how the help shows a binding's keys: "r/f5", arrows as arrows.
func keyLabel(keys []string) string {
	arrows := strings.NewReplacer("up", "↑", "down", "↓", "left", "←", "right", "→")
	var out []string
	for _, k := range keys {
		if len(k) > 1 && !strings.Contains(k, "+") {
			k = arrows.Replace(k)
		}
		out = append(out, k)
	}
	return strings.Join(out, "/")
}

// ShortHelp is the hint bar, most useful first; the bar drops from the end what does not fit,
// keeping help and quit.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Pane, k.ChainBack, k.Open, k.Back, k.Triage, k.Filter, k.Pause, k.RerunAll, k.Learn, k.Copy, k.Flows, k.Theme, k.Help, k.Quit}
}

// FullHelp is the help screen, one column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Pane, k.ChainBack, k.Open, k.Back, k.Triage, k.Filter, k.Flows, k.Pause},
		{k.RerunAll, k.Rerun, k.Learn, k.Copy, k.Theme, k.Help, k.Quit},
	}
}
