package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/safetext"
)

// textStyles are every style of the text report, derived in one place.
type textStyles struct {
	status   map[checks.Status]lipgloss.Style
	category lipgloss.Style
	id       lipgloss.Style
	faint    lipgloss.Style
	command  lipgloss.Style
}

func newTextStyles(color bool) textStyles {
	plain := lipgloss.NewStyle()
	if !color {
		return textStyles{
			status: map[checks.Status]lipgloss.Style{
				checks.StatusOK: plain, checks.StatusWarn: plain, checks.StatusFail: plain,
				checks.StatusError: plain, checks.StatusSkip: plain,
			},
			category: plain, id: plain, faint: plain, command: plain,
		}
	}
	return textStyles{
		status: map[checks.Status]lipgloss.Style{
			checks.StatusOK:    plain.Foreground(lipgloss.Color("2")),
			checks.StatusWarn:  plain.Foreground(lipgloss.Color("3")),
			checks.StatusFail:  plain.Foreground(lipgloss.Color("1")).Bold(true),
			checks.StatusError: plain.Foreground(lipgloss.Color("5")).Bold(true),
			checks.StatusSkip:  plain.Faint(true),
		},
		category: plain.Bold(true).Underline(true),
		id:       plain.Bold(true),
		faint:    plain.Faint(true),
		command:  plain.Foreground(lipgloss.Color("6")),
	}
}

// writeText writes the report for a person: checks grouped by category, findings under their
// check, every string from the cluster made terminal-safe.
func writeText(w io.Writer, r *Report, color bool) error {
	st := newTextStyles(color)
	var b strings.Builder
	fmt.Fprintf(&b, "kockpit %s · %s\n", r.Kockpit, sourceLine(r.Source))
	writeTextCauses(&b, st, r)
	for _, cat := range checks.Categories {
		group := checksIn(r, cat)
		if len(group) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", st.category.Render(string(cat)))
		for _, c := range group {
			writeTextCheck(&b, st, c)
		}
	}
	s := r.Summary
	fmt.Fprintf(&b, "\n%d ok · %d warn · %d fail · %d error · %d skipped · %s\n",
		s.OK, s.Warn, s.Fail, s.Error, s.Skip, formatMillis(r.DurationMS))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTextCheck(b *strings.Builder, st textStyles, c CheckReport) {
	mark := st.status[c.Status].Render(c.Status.Mark())
	summary := show(c.Summary)
	if c.Status == checks.StatusSkip && c.SkipReason != "" && !strings.Contains(summary, string(c.SkipReason)) {
		summary = fmt.Sprintf("%s (%s)", summary, c.SkipReason)
	}
	fmt.Fprintf(b, "  %s %s  %s %s\n", mark, st.id.Render(c.ID), summary,
		st.faint.Render(formatMillis(c.DurationMS)))
	for _, f := range c.Findings {
		if f.Severity == checks.StatusOK && c.Status != checks.StatusOK {
			continue // informational evidence adds noise next to real problems
		}
		writeTextFinding(b, st, f)
	}
}

// writeTextFinding draws a finding's sections (checks.Finding.Layout): what it is about before
// the message on the marked line, the evidence faint below, then the fix and the commands.
func writeTextFinding(b *strings.Builder, st textStyles, fr FindingReport) {
	f := fr.finding()
	about := ""
	for _, s := range f.LayoutWith(fr.Commands) {
		switch s.Kind {
		case checks.SectionAbout:
			about = s.Lines[0] + ": "
		case checks.SectionMessage:
			fmt.Fprintf(b, "      %s %s%s\n", st.status[f.Severity].Render(f.Severity.Mark()), show(about), show(s.Lines[0]))
		case checks.SectionEvidence:
			for _, e := range s.Lines {
				fmt.Fprintf(b, "          %s\n", st.faint.Render(show(e)))
			}
		case checks.SectionFix:
			fmt.Fprintf(b, "        %s: %s\n", s.Label, show(s.Lines[0]))
		case checks.SectionCommands:
			for _, cmd := range s.Lines {
				fmt.Fprintf(b, "        %s\n", st.command.Render(s.Label+" "+show(cmd)))
			}
		case checks.SectionExplains:
			// A report lists every finding under its check: what a cause explains is read in
			// the cockpit, which folds symptoms under causes, and in the JSON.
		}
	}
}

// checksIn returns the report's checks of one category, in report order.
func checksIn(r *Report, cat checks.Category) []CheckReport {
	var out []CheckReport
	for _, c := range r.Checks {
		if c.Category == cat {
			out = append(out, c)
		}
	}
	return out
}

// showSource shows a string of the run's source (a kubeconfig's context, a path given on the
// command line): it did not pass through the runner, so it is redacted here.
func showSource(s string) string { return show(safetext.RedactSecrets(s)) }

func sourceLine(s checks.Source) string {
	switch s.Kind {
	case checks.SourceLive:
		parts := []string{"live"}
		if s.Context != "" {
			parts = append(parts, "context "+showSource(s.Context))
		}
		if s.Server != "" {
			parts = append(parts, "server "+showSource(s.Server))
		}
		if s.ServerVersion != "" {
			parts = append(parts, showSource(s.ServerVersion))
		}
		return strings.Join(parts, " · ")
	case checks.SourceFiles:
		line := "offline snapshot " + showSource(s.Path)
		if s.TakenAt != nil {
			line += " · as of " + s.TakenAt.UTC().Format(time.RFC3339) + " (" + s.TakenFrom + ")"
		}
		return line
	case checks.SourceHost:
		return "node files under " + showSource(s.Path)
	}
	return "no cluster"
}

func formatMillis(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%dms", ms)
	}
	return fmt.Sprintf("%.1fs", float64(ms)/1000)
}

// writeTextCauses writes the causes first, ranked, each symptom it explains under it.
func writeTextCauses(b *strings.Builder, st textStyles, r *Report) {
	if len(r.Causes) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", st.category.Render("Causes"))
	mark := func(s checks.Status) string { return st.status[s].Render(s.Mark()) }
	for i, c := range r.Causes {
		for j, l := range causeLines(i, c, mark) {
			indent := "  "
			if j > 0 {
				indent = "        "
			}
			b.WriteString(indent + l + "\n")
		}
	}
}
