package report

import (
	"fmt"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/triage"
)

// CauseReport is one root cause of the run, ranked (checks/triage): the finding that names it,
// the other findings that name the same cause, and the findings it explains, by ID.
type CauseReport struct {
	// Finding is the ID of the finding that names the cause; Check its check.
	Finding  string            `json:"finding"`
	Check    string            `json:"check"`
	Category checks.Category   `json:"category"`
	Severity checks.Severity   `json:"severity"`
	Message  string            `json:"message"`
	Object   *checks.ObjectRef `json:"object,omitempty"`
	File     *checks.FileRef   `json:"file,omitempty"`
	// AlsoFindings are other findings naming the same cause (another check about the same
	// object, or a cause that explains this one back).
	AlsoFindings []string `json:"alsoFindings"`
	// Objects counts the objects the cause affects; Explains lists the findings it explains
	// (its symptoms, and the causes below it), in report order.
	Objects  int      `json:"objects"`
	Explains []string `json:"explains"`

	symptoms []triage.Ref
}

// rankCauses triages the results the report holds.
func (r *Report) rankCauses() {
	// In report order, not as the results arrived (checks run concurrently): the same run
	// gives the same causes, their symptoms in the same order.
	categories := map[string]checks.Category{}
	byID := map[string]checks.Result{}
	for _, res := range r.results {
		byID[res.CheckID] = res
	}
	var results []checks.Result
	for _, c := range r.Checks {
		categories[c.ID] = c.Category
		if res, ok := byID[c.ID]; ok {
			results = append(results, res)
		}
	}
	t := triage.Rank(results, categories)
	r.Causes = make([]CauseReport, 0, len(t.Causes))
	for _, c := range t.Causes {
		first := c.Findings[0]
		cr := CauseReport{
			Finding: first.Finding.ID, Check: first.CheckID, Category: first.Category,
			Severity: first.Finding.Severity, Message: first.Finding.Message,
			Object: first.Finding.Object, File: first.Finding.File,
			AlsoFindings: []string{}, Objects: c.Objects, Explains: []string{}, symptoms: c.Symptoms,
		}
		for _, f := range c.Findings[1:] {
			cr.AlsoFindings = append(cr.AlsoFindings, f.Finding.ID)
		}
		for _, s := range c.Symptoms {
			cr.Explains = append(cr.Explains, s.Finding.ID)
		}
		r.Causes = append(r.Causes, cr)
	}
}

// about names what a finding is about, as the checklist does: "DaemonSet kube-system/cilium".
func about(f checks.Finding) string {
	for _, s := range f.Layout() {
		if s.Kind == checks.SectionAbout {
			return s.Lines[0]
		}
	}
	return ""
}

// causeLines are the cause and its symptoms as plain lines for a text format: the cause with
// its rank and counts, each symptom indented under it with its check.
func causeLines(i int, c CauseReport, mark func(checks.Status) string) []string {
	head := fmt.Sprintf("%d. %s %s  %s", i+1, mark(c.Severity), c.Check, show(causeMessage(c)))
	head += explainsNote(c)
	lines := []string{head}
	for _, s := range c.symptoms {
		line := mark(s.Finding.Severity) + " " + s.CheckID + "  "
		if a := about(s.Finding); a != "" {
			line += show(a) + ": "
		}
		lines = append(lines, line+show(s.Finding.Message))
	}
	return lines
}

func causeMessage(c CauseReport) string {
	f := checks.Finding{Message: c.Message, Object: c.Object, File: c.File}
	if a := about(f); a != "" {
		return a + ": " + c.Message
	}
	return c.Message
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// causesText is the Causes section of the plain formats (JUnit's system-out).
func causesText(r *Report) string {
	var b strings.Builder
	for i, c := range r.Causes {
		for j, l := range causeLines(i, c, func(s checks.Status) string { return s.String() }) {
			if j > 0 {
				b.WriteString("    ")
			}
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// explainsNote counts what a cause explains, " (explains 3 symptoms, 2 objects)"; "" for none.
func explainsNote(c CauseReport) string {
	if len(c.Explains) == 0 && c.Objects == 0 {
		return ""
	}
	return fmt.Sprintf(" (explains %s, %s)", plural(len(c.Explains), "symptom"), plural(c.Objects, "object"))
}
