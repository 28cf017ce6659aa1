package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/triage"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/kube"
)

// The drill-in: enter on a finding opens it whole, and the object it is about (YAML without
// managedFields, recent events, a pod's container states). From there, tab picks a related
// object (an owner, the pod's node) and enter opens it on top; esc goes back one level. The
// breadcrumbs say where you are. Objects are read in a command; a spinner turns meanwhile.

// drillFrame is one level of the drill-in.
type drillFrame struct {
	label   string // the breadcrumb
	checkID string
	finding *checks.Finding // the finding opened, nil for a related object
	key     *kube.ObjectKey
	env     *checks.Env

	req     int                // the fetch this frame waits for
	cancel  context.CancelFunc // stops that fetch when the frame closes first
	loading bool
	detail  *kube.ObjectDetail
	excerpt *fileExcerpt // for a finding about a node's file: the lines around it
	err     error

	// The runtime card, for a Runtime finding of a run on a node: read beside the object or
	// the excerpt, with a request of its own.
	cardReq     int
	cardLoading bool
	card        *cri.Card
	cardErr     error

	// cause is the triage's cause when the frame was opened from the triage screen: its
	// symptoms are listed under the finding.
	cause *triage.Cause

	off  int // first line in view
	link int // selected related object, -1 for none

	// chain is the finding's chain of objects (checks.Finding.Chain), stepped along with tab
	// and shift+tab; chainAt is the link this frame shows, origin the finding it came from.
	chain   []checks.ObjectRef
	chainAt int
	origin  *checks.Finding

	lines     []dline // built for width
	linesW    int
	linkLines []int // line of each related object
}

// dline is one line of the drill-in: our own prefix (styled by kind) and cluster text (drawn
// through safe).
type dline struct {
	kind   dkind
	prefix string
	text   string
	link   int // index of the related object on this line, or -1
	status checks.Status
}

type dkind int

const (
	dText dkind = iota
	dHeading
	dMuted
	dLabel
	dCommand
	dYAMLKey
	dComment
	dStatus
	dError
	dLink
	dSpinner     // "reading <object> …" while the object loads; text is the object
	dNote        // names a suspicious character on purpose: drawn as is, not flagged again
	dExcerptMark // the line of a node's file a finding points at
	dChainLink   // a link of the finding's chain; link is its index, the one in view marked
)

// openFinding drills into the selected finding.
func (m *Model) openFinding() tea.Cmd {
	f := m.selectedFinding()
	if f == nil {
		return nil
	}
	fc := *f
	fr := &drillFrame{label: fmt.Sprintf("finding %d", m.findSel+1), checkID: m.selID, finding: &fc, link: -1}
	if f.Object != nil {
		k := objectKey(f.Object)
		fr.key = &k
		fr.label = k.String()
	} else if f.File != nil {
		fr.label = f.About()
	}
	if len(f.Chain) > 0 {
		fr.chain, fr.origin = f.Chain, &fc
		if f.Object != nil {
			if fr.chainAt = slices.Index(f.Chain, *f.Object); fr.chainAt < 0 {
				fr.chain = append([]checks.ObjectRef{*f.Object}, f.Chain...) // the finding's own object leads
				fr.chainAt = 0
			}
		} else {
			fr.chainAt = -1 // the finding itself, before the chain's first link
		}
	}
	return m.push(fr)
}

// stepChain replaces the top frame with the next (d = 1) or previous (d = -1) link of its
// chain; it stops at either end. The finding shows again on its own object's link.
func (m *Model) stepChain(d int) tea.Cmd {
	fr := m.topFrame()
	i := fr.chainAt + d
	if i < 0 || i >= len(fr.chain) {
		return nil
	}
	o := fr.chain[i]
	k := objectKey(&o)
	next := &drillFrame{label: k.String(), checkID: fr.checkID, key: &k, link: -1, chain: fr.chain, chainAt: i, origin: fr.origin}
	if f := fr.origin; f.Object != nil && *f.Object == o {
		next.finding = f
	}
	m.drill = m.drill[:len(m.drill)-1]
	return tea.Batch(cancelling(fr.cancel), m.push(next))
}

// push opens a frame, and starts its fetch when it is about an object, or about a line of a
// node's file.
func (m *Model) push(fr *drillFrame) tea.Cmd {
	m.drill = append(m.drill, fr)
	if fr.env == nil {
		fr.env = m.runs[m.resultOf[fr.checkID]].env
	}
	var fetch func(ctx context.Context, req int) tea.Cmd
	switch {
	case fr.key != nil:
		key := *fr.key
		fetch = func(ctx context.Context, req int) tea.Cmd { return fetchObject(ctx, req, m.fetch, fr.env, key) }
	case fr.finding != nil && fr.finding.File != nil && fr.finding.File.Line > 0:
		if _, ok := nodePath(fr.env, fr.finding.File.Path); ok {
			ref := *fr.finding.File
			fetch = func(ctx context.Context, req int) tea.Cmd { return fetchExcerpt(ctx, req, m.read, fr.env, ref) }
		}
	}
	wantCard := fr.finding != nil && strings.HasPrefix(fr.checkID, "runtime.") && nodeRoot(fr.env) != "" && m.opts.RuntimeCard != nil
	if fetch == nil && !wantCard {
		return nil
	}
	ctx, cancel := context.WithCancel(m.opts.Context)
	fr.cancel = cancel
	var cmds []tea.Cmd
	if fetch != nil {
		m.nextReq++
		fr.req, fr.loading = m.nextReq, true
		cmds = append(cmds, fetch(ctx, fr.req))
	}
	if wantCard {
		m.nextReq++
		fr.cardReq, fr.cardLoading = m.nextReq, true
		cmds = append(cmds, fetchCard(ctx, fr.cardReq, m.opts.RuntimeCard, fr.env))
	}
	if !m.ticking {
		m.ticking = true
		cmds = append(cmds, m.spinner.Tick)
	}
	return tea.Batch(cmds...)
}

// onObject files a fetched object into the frame that asked; a frame closed since drops it.
func (m *Model) onObject(msg objectMsg) {
	for _, fr := range m.drill {
		if fr.req == msg.req && fr.loading {
			fr.loading, fr.detail, fr.err = false, msg.detail, msg.err
			fr.linesW = 0
			if msg.detail != nil && len(msg.detail.Related) > 0 {
				fr.link = 0
			}
		}
	}
}

// onExcerpt files the lines of a node's file into the frame that asked.
func (m *Model) onExcerpt(msg excerptMsg) {
	for _, fr := range m.drill {
		if fr.req == msg.req && fr.loading {
			fr.loading, fr.excerpt, fr.err = false, msg.excerpt, msg.err
			fr.linesW = 0
		}
	}
}

// onCard files a runtime card into the frame that asked.
func (m *Model) onCard(msg cardMsg) {
	for _, fr := range m.drill {
		if fr.cardReq == msg.req && fr.cardLoading {
			fr.cardLoading, fr.card, fr.cardErr = false, msg.card, msg.err
			fr.linesW = 0
		}
	}
}

// nodeRoot is the root of the node files a run's host checks read, "" without any.
func nodeRoot(env *checks.Env) string {
	if env == nil || env.Host == nil {
		return ""
	}
	return env.Host.Root
}

// nodePath is the node path of a file a finding names, when it lies on the run's node.
func nodePath(env *checks.Env, shown string) (string, bool) {
	if env == nil {
		return "", false
	}
	return env.Host.NodePath(shown)
}

func (m Model) topFrame() *drillFrame {
	if len(m.drill) == 0 {
		return nil
	}
	return m.drill[len(m.drill)-1]
}

func (m *Model) onDrillKey(msg tea.KeyPressMsg) tea.Cmd {
	fr := m.topFrame()
	k := m.keys
	page := max(1, m.layout().body.h-4)
	switch {
	case len(fr.chain) > 0 && key.Matches(msg, k.Pane):
		return m.stepChain(1)
	case len(fr.chain) > 0 && key.Matches(msg, k.ChainBack):
		return m.stepChain(-1)
	case key.Matches(msg, k.Back):
		m.drill = m.drill[:len(m.drill)-1]
		return cancelling(fr.cancel) // a fetch still running is for nobody now
	case key.Matches(msg, k.Up):
		fr.off--
	case key.Matches(msg, k.Down):
		fr.off++
	case key.Matches(msg, k.PageUp):
		fr.off -= page
	case key.Matches(msg, k.PageDown):
		fr.off += page
	case key.Matches(msg, k.Top):
		fr.off = 0
	case key.Matches(msg, k.Bottom):
		fr.off = 1 << 30
	case key.Matches(msg, k.Pane, k.ChainBack):
		if fr.detail != nil && len(fr.detail.Related) > 0 {
			fr.link = (fr.link + 1) % len(fr.detail.Related)
			fr.linesW = 0
			if fr.link < len(fr.linkLines) {
				fr.off = fr.linkLines[fr.link] - 2
			}
		}
	case key.Matches(msg, k.Open):
		if fr.detail != nil && fr.link >= 0 && fr.link < len(fr.detail.Related) {
			rk := fr.detail.Related[fr.link]
			return m.push(&drillFrame{label: rk.String(), checkID: fr.checkID, key: &rk, link: -1, env: fr.env})
		}
	case key.Matches(msg, k.Copy):
		if fr.finding != nil && len(fr.finding.Commands) > 0 {
			return m.copyCommand(fr.finding)
		}
	case key.Matches(msg, k.RerunAll):
		return m.rerunAll()
	case key.Matches(msg, k.Rerun):
		// The check the drill-in came from: re-run it and stay on the object.
		if i, ok := m.byID[fr.checkID]; ok {
			return m.startChecks([]checks.Check{m.list[i]})
		}
	}
	return nil
}

// settleDrill rebuilds the top frame's lines for the pane's width and keeps its scroll in range.
func (m *Model) settleDrill(width, rows int) {
	fr := m.topFrame()
	if fr == nil {
		return
	}
	if fr.linesW != width {
		fr.lines, fr.linkLines = m.drillLines(fr, width)
		fr.linesW = width
	}
	fr.off = clamp(fr.off, 0, max(0, len(fr.lines)-rows))
}

// drillLines lays a frame out: the finding, then the object.
func (m Model) drillLines(fr *drillFrame, width int) ([]dline, []int) {
	var out []dline
	add := func(kind dkind, prefix, text string) {
		pw := cellWidth(prefix)
		for i, l := range wrap(m.text.prepare(text), max(8, width-pw)) {
			p := strings.Repeat(" ", pw)
			if i == 0 {
				p = prefix
			}
			out = append(out, dline{kind: kind, prefix: p, text: l, link: -1})
		}
	}
	blank := func() { out = append(out, dline{link: -1}) }
	if f := fr.finding; f != nil {
		// The finding's sections as the detail pane draws them; its subject is the breadcrumb.
		for _, s := range f.Layout() {
			kind := dText
			switch s.Kind {
			case checks.SectionAbout:
				continue
			case checks.SectionMessage:
				for i, l := range wrap(m.text.prepare(s.Lines[0]), max(8, width-2)) {
					if i == 0 {
						out = append(out, dline{kind: dStatus, status: f.Severity, text: l, link: -1})
					} else {
						out = append(out, dline{kind: dText, prefix: "  ", text: l, link: -1})
					}
				}
				continue
			case checks.SectionEvidence, checks.SectionExplains:
				kind = dMuted
			case checks.SectionCommands:
				kind = dCommand
			}
			for i, l := range sectionLines(s) {
				add(kind, sectionPrefix(s, i), l)
			}
		}
		for _, n := range m.findingNotes(f) {
			for i, l := range wrap(n, max(8, width-2)) {
				p := "  "
				if i == 0 {
					p = "⚠ "
				}
				out = append(out, dline{kind: dNote, prefix: p, text: l, link: -1})
			}
		}
		out = append(out, m.symptomLines(fr, width)...)
		out = append(out, m.cardLines(fr, width)...)
		if fr.key != nil {
			blank()
		}
	}
	out = append(out, m.chainLines(fr, width)...)
	if fr.key == nil {
		return append(out, m.excerptLines(fr, width)...), nil
	}
	switch {
	case fr.loading:
		out = append(out, dline{kind: dSpinner, text: fr.key.String(), link: -1})
		return out, nil
	case fr.err != nil:
		add(dError, "✖ ", "could not read "+fr.key.String()+": "+fr.err.Error())
		return out, nil
	case fr.detail == nil:
		return out, nil
	}
	d := fr.detail
	where := "from the snapshot files"
	if d.Live {
		where = "read live just now"
	}
	out = append(out, dline{kind: dHeading, text: d.Key.String(), prefix: "", link: -1})
	add(dMuted, "", where)
	var links []int
	if len(d.Related) > 0 {
		blank()
		out = append(out, dline{kind: dLabel, text: "RELATED  tab picks, enter opens", link: -1})
		for i, r := range d.Related {
			links = append(links, len(out))
			out = append(out, dline{kind: dLink, prefix: "→ ", text: r.String(), link: i})
		}
	}
	if len(d.Containers) > 0 {
		blank()
		out = append(out, dline{kind: dLabel, text: "CONTAINERS", link: -1})
		for _, c := range d.Containers {
			out = append(out, containerLine(c))
			if c.Message != "" {
				add(dMuted, "    ", c.Message)
			}
			if c.LastTermination != "" {
				add(dMuted, "    last ended: ", c.LastTermination)
			}
		}
	}
	blank()
	out = append(out, dline{kind: dLabel, text: "EVENTS", link: -1})
	switch {
	case d.EventsErr != "":
		add(dMuted, "", "events unavailable: "+d.EventsErr)
	case len(d.Events) == 0:
		add(dMuted, "", "no events (they expire after an hour by default)")
	}
	for _, e := range d.Events {
		st := checks.StatusOK
		if e.Type == "Warning" {
			st = checks.StatusWarn
		}
		head := fmt.Sprintf("%-7s %s", e.Type, e.Reason)
		if e.Count > 1 {
			head += fmt.Sprintf(" · %d times", e.Count)
		}
		if !e.Last.IsZero() {
			head += " · " + age(m.now(), e.Last)
		}
		out = append(out, dline{kind: dStatus, status: st, text: head, link: -1})
		add(dText, "    ", e.Message)
	}
	blank()
	out = append(out, dline{kind: dLabel, text: "YAML", link: -1})
	for _, l := range strings.Split(strings.TrimRight(d.YAML, "\n"), "\n") {
		kind := dYAMLKey
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			kind = dComment
		}
		out = append(out, dline{kind: kind, text: m.text.prepare(l), link: -1})
	}
	return out, links
}

// excerptLines show the lines of the node's file around the finding's, numbered as an editor
// does, the finding's line marked.
func (m Model) excerptLines(fr *drillFrame, width int) []dline {
	f := fr.finding
	if f == nil || f.File == nil || !(fr.loading || fr.err != nil || fr.excerpt != nil) {
		return nil
	}
	out := []dline{{link: -1}}
	switch {
	case fr.loading:
		return append(out, dline{kind: dSpinner, text: f.File.Path, link: -1})
	case fr.err != nil:
		return append(out, dline{kind: dError, prefix: "✖ ", text: "could not read " + f.File.Path + ": " + fr.err.Error(), link: -1})
	}
	ex := fr.excerpt
	out = append(out, dline{kind: dLabel, text: fmt.Sprintf("FILE  lines %d–%d", ex.first, ex.first+len(ex.lines)-1), link: -1})
	numW := len(fmt.Sprint(ex.first + len(ex.lines) - 1))
	for i, l := range ex.lines {
		n := ex.first + i
		mark := " "
		if n == ex.mark {
			mark = "▶"
		}
		prefix := fmt.Sprintf("%s %*d │ ", mark, numW, n)
		pw := cellWidth(prefix)
		// Indentation is meaning in YAML: kept on every wrapped part, which wrap would trim.
		body := strings.TrimLeft(l, " ")
		indent := strings.Repeat(" ", min(len(l)-len(body), max(0, width-pw-8)))
		for j, part := range wrap(m.text.prepare(body), max(8, width-pw-len(indent))) {
			p := strings.Repeat(" ", pw-2) + "│ " + indent
			if j == 0 {
				p = prefix + indent
			}
			kind := dText
			if n == ex.mark {
				kind = dExcerptMark
			}
			out = append(out, dline{kind: kind, prefix: p, text: part, link: -1})
		}
	}
	return out
}

func containerLine(c kube.ContainerState) dline {
	st := checks.StatusOK
	switch {
	case strings.HasPrefix(c.State, "waiting"), strings.HasPrefix(c.State, "terminated") && !c.Init:
		st = checks.StatusFail
	case !c.Ready && !c.Init:
		st = checks.StatusWarn
	}
	kind := ""
	if c.Init {
		kind = "init "
	}
	ready := "not ready"
	if c.Ready {
		ready = "ready"
	}
	text := fmt.Sprintf("%s%s  %s · %s · restarts %d", kind, c.Name, c.State, ready, c.Restarts)
	return dline{kind: dStatus, status: st, text: text, link: -1}
}

// age says how long ago, in the largest unit: "3m ago".
func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func objectKey(o *checks.ObjectRef) kube.ObjectKey {
	return kube.ObjectKey{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// renderDrill draws the top frame's lines in view.
func (m Model) renderDrill(fr *drillFrame, width, rows int) []string {
	st := m.styles
	out := make([]string, 0, rows)
	for i := fr.off; i < len(fr.lines) && len(out) < rows; i++ {
		l := fr.lines[i]
		var s string
		switch l.kind {
		case dHeading:
			s = safe(l.text, m.text, st.Title, st.Suspicious)
		case dMuted:
			s = st.Label.Render(l.prefix) + safe(l.text, m.text, st.Muted, st.Suspicious)
		case dLabel:
			s = st.Label.Render(l.text)
		case dCommand:
			s = st.Command.Render(l.prefix) + safe(l.text, m.text, st.Command, st.Suspicious)
		case dComment:
			s = safe(l.text, m.text, st.Faint, st.Suspicious) // a block scalar's line can start with #
		case dYAMLKey:
			s = yamlLine(l.text, st, m.text)
		case dStatus:
			s = st.status(l.status).Render(l.status.Mark()+" ") + safe(l.text, m.text, st.Text, st.Suspicious)
		case dError:
			s = st.status(checks.StatusFail).Render(l.prefix) + safe(l.text, m.text, st.Text, st.Suspicious)
		case dLink:
			base := st.Text
			if l.link == fr.link {
				base = st.Selected
			}
			s = st.Key.Inherit(base).Render(l.prefix) + safe(l.text, m.text, base, st.Suspicious.Inherit(base))
		case dNote:
			s = st.Suspicious.Render(l.prefix + l.text)
		case dChainLink:
			base := st.Muted
			if l.link == fr.chainAt {
				base = st.Selected
			}
			s = st.Key.Inherit(base).Render(l.prefix) + safe(l.text, m.text, base, st.Suspicious.Inherit(base))
		case dExcerptMark:
			s = st.Key.Render(l.prefix) + safe(l.text, m.text, st.Title, st.Suspicious)
		case dSpinner:
			// The object's name is cluster text; the words around it are ours ("…" would be
			// flagged as a look-alike).
			s = st.Spinner.Render(spinnerFrame(m)+" ") + st.Muted.Render("reading ") +
				safe(l.text, m.text, st.Muted, st.Suspicious) + st.Muted.Render(" …")
		default:
			s = st.Label.Render(l.prefix) + safe(l.text, m.text, st.Text, st.Suspicious)
		}
		out = append(out, fit(s, width, st.Text))
	}
	return padLines(out, rows, width)
}

// yamlLine colours a YAML line's key; its value is cluster text and goes through safe.
func yamlLine(l string, st Styles, o textOpts) string {
	trim := strings.TrimLeft(l, " -")
	indent := l[:len(l)-len(trim)]
	k, v, ok := strings.Cut(trim, ":")
	if !ok || strings.ContainsAny(k, " \"'") {
		return st.Text.Render(indent) + safe(trim, o, st.Text, st.Suspicious)
	}
	return st.Text.Render(indent) + safe(k, o, st.Muted, st.Suspicious) + st.Muted.Render(":") +
		safe(v, o, st.Text, st.Suspicious)
}

// breadcrumbs is the drill-in's path: checks › check › object › related object.
func (m Model) breadcrumbs() []string {
	out := []string{"checks"}
	switch {
	case len(m.drill) > 0 && m.drill[0].checkID == "":
		out = []string{"flows"} // a flow's drill-in, opened from the Flows pane
	case len(m.drill) > 0:
		out = append(out, m.drill[0].checkID)
	}
	for _, fr := range m.drill {
		out = append(out, fr.label)
	}
	return out
}

// chainLines show the finding's chain, the link in view marked, and the kubectl command that
// shows the same object.
func (m Model) chainLines(fr *drillFrame, width int) []dline {
	if len(fr.chain) == 0 {
		return nil
	}
	out := []dline{{kind: dLabel, text: fmt.Sprintf("CHAIN  %d of %d · tab next, shift+tab back", fr.chainAt+1, len(fr.chain)), link: -1}}
	for i, o := range fr.chain {
		prefix := "  "
		if i == fr.chainAt {
			prefix = "▶ "
		}
		out = append(out, dline{kind: dChainLink, prefix: prefix, text: objectKey(&o).String(), link: i})
	}
	if fr.chainAt >= 0 && fr.chainAt < len(fr.chain) {
		for i, l := range wrap(m.text.prepare(objectCommand(fr.chain[fr.chainAt]).String()), max(8, width-2)) {
			p := "  "
			if i == 0 {
				p = "$ "
			}
			out = append(out, dline{kind: dCommand, prefix: p, text: l, link: -1})
		}
	}
	return append(out, dline{link: -1})
}

// objectCommand is the kubectl command that shows an object as the drill-in does.
func objectCommand(o checks.ObjectRef) checks.Command {
	kind := strings.ToLower(o.Kind)
	if g, _, ok := strings.Cut(o.APIVersion, "/"); ok {
		kind += "." + g
	}
	args := []string{"get", kind, o.Name}
	if o.Namespace != "" {
		args = append(args, "-n", o.Namespace)
	}
	return checks.Cmd("kubectl", append(args, "-o", "yaml")...)
}
