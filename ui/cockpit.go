// Package ui is the cockpit: a Bubble Tea program over the stream of check results. One root
// model (Model) owns all state and is the only one to return a tea.View; its parts (header,
// checklist, detail, drill-in, help, filter) are plain functions and small structs that render
// strings. Update does no I/O: fetches and runs happen in commands, which return messages.
package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/themes"
)

// Options configure the cockpit.
type Options struct {
	// Checks are the checks of the run, in any order; the checklist groups them by category.
	Checks []checks.Check
	// Start runs checks; Fetch reads an object for the drill-in (DefaultFetcher if nil) and
	// ReadFile a node's file (DefaultFileReader if nil).
	Start    Starter
	Fetch    Fetcher
	ReadFile FileReader
	// RuntimeCard reads the node's container runtime card, shown in the drill-in of every
	// Runtime finding of a run on a node; nil shows none.
	RuntimeCard RuntimeCardReader
	// Context bounds every run and fetch; cancelled when the program ends.
	Context context.Context
	// Source is what the run looks at, for the header and the banner: the report's type.
	Source checks.Source
	// Theme is the theme to start with; ThemeFile's theme, when set, joins the `t` cycle.
	Theme     themes.Theme
	ThemeFile *themes.Theme
	Keys      KeyMap
	// Presenter gives more room and drops elapsed-time noise, for a live audience.
	Presenter bool
	RedactIPs bool
	// Notice is shown once at start, e.g. why a theme file was not used.
	Notice string
	// Now is the clock (tests fix it); time.Now when nil.
	Now func() time.Time
	// RequestTimeout bounds the header's server-version request.
	RequestTimeout time.Duration
	// Flows are Hubble's flows for the Flows pane, the source the checks read (a relay or a
	// recording); nil when the run has none.
	Flows hubble.Source
	// Lesson, when set, is the workshop scenario on screen: its pane sits above the checklist.
	Lesson *Lesson
}

// pane is the focused pane of the main screen.
type pane int

const (
	paneChecks pane = iota
	paneFindings
)

// overlay is what covers the main screen, if anything.
type overlay int

const (
	overlayNone overlay = iota
	overlayHelp
	overlayLearn
)

// run is one started run of some checks.
type run struct {
	env    *checks.Env
	cancel context.CancelFunc
	// results is the run's stream while it is listened to; nil once it closed or was superseded.
	results <-chan checks.Result
}

// Model is the cockpit's root model.
type Model struct {
	opts  Options
	text  textOpts
	now   func() time.Time
	fetch Fetcher
	read  FileReader

	// The checks, grouped by category, and what is known of them.
	list     []checks.Check
	byID     map[string]int
	results  map[string]*checks.Result // the accepted result of each check
	resultOf map[string]int            // the run each accepted result came from
	order    map[string][]int          // each result's findings, causes first
	pending  map[string]int            // check ID → the run whose result the screen waits for
	runs     map[int]run
	lastRun  int
	started  time.Time
	finished time.Time

	// Header facts learned during the run.
	serverVersion string
	versionRun    int // the run serverVersion came from
	user          string
	unreachable   string // api.reachable's failure, for the banner

	// Screen.
	width, height int
	isDark        bool
	themeList     []themes.Theme
	themeIdx      int
	styles        Styles
	keys          KeyMap
	help          help.Model
	spinner       spinner.Model
	ticking       bool

	focus pane
	selID string // the selected check, kept across filtering, re-runs and resizes
	// chose is set once the guest moves the selection; until then it follows the gravest
	// result, so the first thing on screen is the first thing to fix.
	chose    bool
	listOff  int
	findSel  int // index into the visible findings of the selected check
	findOff  int
	visIDs   []string // visible checks, display order
	visFind  []int    // visible findings of the selected check (indexes into its Findings)
	visKey   visKey
	overlay  overlay
	learnOff int

	filter    textinput.Model
	filtering bool
	query     string

	drill   []*drillFrame
	nextReq int

	flows flowsPane
	tri   triageScreen // the causes-first screen (triage.go)

	notice   string
	noticeID int

	initCmd tea.Cmd // the first run, started by Init

	lessonState *lessonState // nil unless Options.Lesson is set
	lessonStart time.Time
}

// New builds the cockpit. Nothing runs until the program calls Init.
func New(opts Options) Model {
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Fetch == nil {
		opts.Fetch = DefaultFetcher
	}
	if opts.ReadFile == nil {
		opts.ReadFile = DefaultFileReader
	}
	if opts.Theme.Name == "" {
		opts.Theme = themes.Default()
	}
	if len(opts.Keys.Quit.Keys()) == 0 {
		opts.Keys = DefaultKeyMap()
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 5 * time.Second
	}
	m := Model{
		opts: opts, text: textOpts{redactIPs: opts.RedactIPs}, now: opts.Now, fetch: opts.Fetch, read: opts.ReadFile,
		results: map[string]*checks.Result{}, resultOf: map[string]int{}, order: map[string][]int{},
		pending: map[string]int{}, runs: map[int]run{},
		isDark: true, keys: opts.Keys, user: opts.Source.User, notice: opts.Notice,
	}
	if opts.Lesson != nil {
		m.lessonState, m.lessonStart = &lessonState{}, opts.Now()
	}
	m.list = sortByCategory(opts.Checks)
	m.byID = map[string]int{}
	for i, c := range m.list {
		m.byID[c.ID] = i
	}
	if len(m.list) > 0 {
		m.selID = m.list[0].ID
	}
	m.themeList = themes.Builtin()
	m.themeIdx = -1
	for i, t := range m.themeList {
		if t.Name == opts.Theme.Name {
			m.themeIdx = i
		}
	}
	if opts.ThemeFile != nil {
		m.themeList = append(m.themeList, *opts.ThemeFile)
		if opts.Theme.Name == opts.ThemeFile.Name {
			m.themeIdx = len(m.themeList) - 1
		}
	}
	if m.themeIdx < 0 {
		m.themeList = append(m.themeList, opts.Theme)
		m.themeIdx = len(m.themeList) - 1
	}
	m.help = help.New()
	m.help.ShortSeparator = "  "
	m.help.FullSeparator = "    "
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.filter = textinput.New()
	m.filter.Prompt = "/ "
	m.filter.Placeholder = "filter checks and findings"
	m.flows = newFlowsPane()
	m.restyle()
	m.width, m.height = 80, 24
	// The first run is set up here rather than in Init, whose changes to the model would be
	// lost (Init returns only a command): the first frame already shows every check running.
	m.initCmd = m.startChecks(m.list)
	m.settle()
	return m
}

// Init starts the first run of every check and asks the terminal for its background colour.
// The first frame is drawn before any check completes: every check shows its spinner.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.initCmd, tea.RequestBackgroundColor)
}

// startChecks marks the checks as waited for by a new run and returns the command that starts
// it. Results of earlier runs for these checks are dropped from now on.
func (m *Model) startChecks(list []checks.Check) tea.Cmd {
	if len(list) == 0 {
		return nil
	}
	wasIdle := !m.running()
	m.lastRun++
	id := m.lastRun
	for _, c := range list {
		m.pending[c.ID] = id
	}
	if wasIdle || len(list) == len(m.list) {
		m.started, m.finished = m.now(), time.Time{}
	}
	cmds := []tea.Cmd{startRun(m.opts.Context, id, list, m.opts.Start)}
	if !m.ticking {
		m.ticking = true
		cmds = append(cmds, m.spinner.Tick)
	}
	return tea.Batch(cmds...)
}

// running reports whether any check's result is still awaited.
func (m Model) running() bool { return len(m.pending) > 0 }

// busy reports whether the spinner should turn: checks running or an object loading.
func (m Model) busy() bool {
	if m.running() {
		return true
	}
	if f := m.topFrame(); f != nil && (f.loading || f.cardLoading) {
		return true
	}
	if m.flows.open && m.flows.waiting() {
		return true
	}
	return false
}

// restyle rebuilds the styles from the theme and the background: the one place they change.
func (m *Model) restyle() {
	m.styles = NewStyles(m.themeList[m.themeIdx], m.isDark)
	m.help.Styles = m.styles.Help
	m.spinner.Style = m.styles.Spinner
	ts := textinput.DefaultStyles(m.isDark)
	ts.Focused.Prompt = m.styles.Key
	ts.Blurred.Prompt = m.styles.Muted
	ts.Focused.Text = m.styles.Text
	ts.Focused.Placeholder = m.styles.Muted
	ts.Cursor.Blink = false
	m.filter.SetStyles(ts)
	m.flows.input.SetStyles(ts)
}

// Theme is the name of the theme in use.
func (m Model) Theme() string { return m.themeList[m.themeIdx].Name }

// sortByCategory orders checks by category (display order), keeping their order within one.
func sortByCategory(in []checks.Check) []checks.Check {
	var out []checks.Check
	seen := map[checks.Category]bool{}
	for _, cat := range checks.Categories {
		seen[cat] = true
		for _, c := range in {
			if c.Category == cat {
				out = append(out, c)
			}
		}
	}
	for _, c := range in {
		if !seen[c.Category] {
			out = append(out, c)
		}
	}
	return out
}
