package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kockpit/kockpit/checks"
)

// writeMarkdown writes post-episode notes: a summary table, then every check with findings.
func writeMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# kockpit report\n\n%s, kockpit %s, %s.\n\n", mdText(sourceLine(r.Source)),
		mdText(r.Kockpit), r.Generated.Format("2006-01-02 15:04 MST"))
	s := r.Summary
	fmt.Fprintf(&b, "**%d ok · %d warn · %d fail · %d error · %d skipped**\n\n", s.OK, s.Warn, s.Fail, s.Error, s.Skip)
	writeMarkdownCauses(&b, r)
	b.WriteString("| | Check | Category | Summary |\n|---|---|---|---|\n")
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "| %s %s | `%s` | %s | %s |\n", c.Status.Mark(), c.Status, c.ID, c.Category, mdCell(c.Summary))
	}
	for _, c := range r.Checks {
		if len(c.Findings) == 0 || c.Status == checks.StatusOK {
			continue
		}
		fmt.Fprintf(&b, "\n## %s %s — %s\n\n%s\n", c.Status.Mark(), mdText(c.Title), c.ID, mdText(c.Summary))
		for _, fr := range c.Findings {
			writeMarkdownFinding(&b, fr)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMarkdownFinding draws a finding's sections (checks.Finding.Layout) as a list item: the
// subject in code before the message, the evidence as code items, the fix, the commands in
// a fenced block.
func writeMarkdownFinding(b *strings.Builder, fr FindingReport) {
	f := fr.finding()
	about := ""
	for _, s := range f.LayoutWith(fr.Commands) {
		switch s.Kind {
		case checks.SectionAbout:
			about = "`" + mdCode(s.Lines[0]) + "`: "
		case checks.SectionMessage:
			fmt.Fprintf(b, "\n- **%s** %s%s\n", f.Severity, about, mdText(s.Lines[0]))
		case checks.SectionEvidence:
			for _, e := range s.Lines {
				fmt.Fprintf(b, "  - `%s`\n", mdCode(e))
			}
		case checks.SectionFix:
			fmt.Fprintf(b, "  - Fix: %s\n", mdText(s.Lines[0]))
		case checks.SectionCommands:
			fence := codeFence(s.Lines)
			fmt.Fprintf(b, "\n  %ssh\n", fence)
			for _, cmd := range s.Lines {
				fmt.Fprintf(b, "  %s\n", show(cmd))
			}
			fmt.Fprintf(b, "  %s\n", fence)
		}
	}
}

// mdText makes a cluster string safe as Markdown prose: terminal-safe, and no character that
// would turn into markup or HTML.
func mdText(s string) string {
	s = show(s)
	r := strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
		"<", "&lt;", ">", "&gt;", "|", "\\|", "#", "\\#")
	return r.Replace(s)
}

func mdCell(s string) string { return mdText(s) }

// mdCode makes a string safe inside a single-backtick code span.
func mdCode(s string) string {
	return strings.ReplaceAll(show(s), "`", "'")
}

// codeFence is a backtick fence longer than any run of backticks in the lines, so a command
// cannot close its code block early.
func codeFence(lines []string) string {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// writeMarkdownCauses lists the causes first, ranked, each symptom a nested item.
func writeMarkdownCauses(b *strings.Builder, r *Report) {
	if len(r.Causes) == 0 {
		return
	}
	b.WriteString("## Causes\n\n")
	for i, c := range r.Causes {
		fmt.Fprintf(b, "%d. **%s** `%s` %s%s\n", i+1, c.Severity, c.Check, mdText(causeMessage(c)), explainsNote(c))
		for _, s := range c.symptoms {
			line := ""
			if a := about(s.Finding); a != "" {
				line = "`" + mdCode(a) + "`: "
			}
			fmt.Fprintf(b, "   - %s `%s` %s%s\n", s.Finding.Severity, s.CheckID, line, mdText(s.Finding.Message))
		}
	}
	b.WriteString("\n")
}
