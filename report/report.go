// Package report renders the results of a run without the TUI: text, JSON, Markdown, JUnit.
// The JSON form is kockpit's documented, versioned schema (see README.md, "JSON report").
package report

import (
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// APIVersion names the JSON schema; it changes when a field changes meaning or goes away.
const APIVersion = "kockpit.dev/v1alpha2"

// Report is one run: where the data came from, every check's result, and what the LISTs cost.
// Its JSON form is the schema other programs read.
type Report struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Kockpit    string        `json:"kockpitVersion"`
	Generated  time.Time     `json:"generatedAt"`
	Source     checks.Source `json:"source"`
	Summary    Summary       `json:"summary"`
	DurationMS int64         `json:"durationMs"`
	// Causes are the run's root causes, ranked, each with the findings it explains: read
	// them first (v1alpha2).
	Causes []CauseReport `json:"causes"`
	Checks []CheckReport `json:"checks"`
	Lists  []ListReport  `json:"lists"`
	// results are the run's results as they came, for the triage.
	results []checks.Result
}

// Summary counts checks by status; Worst is the gravest status of the run.
type Summary struct {
	OK    int           `json:"ok"`
	Warn  int           `json:"warn"`
	Fail  int           `json:"fail"`
	Error int           `json:"error"`
	Skip  int           `json:"skip"`
	Worst checks.Status `json:"worst"`
}

// CheckReport is one check's result.
type CheckReport struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Category   checks.Category   `json:"category"`
	Status     checks.Status     `json:"status"`
	Summary    string            `json:"summary"`
	SkipReason checks.SkipReason `json:"skipReason,omitempty"`
	DurationMS int64             `json:"durationMs"`
	Findings   []FindingReport   `json:"findings"`
}

// FindingReport is one finding, with everything a program needs to act on it.
type FindingReport struct {
	// ID names the finding stably (the same input gives the same ID), for ExplainsFindings and
	// for programs that compare runs; checks.FindingID documents its shape.
	ID       string            `json:"id"`
	Severity checks.Severity   `json:"severity"`
	Message  string            `json:"message"`
	Object   *checks.ObjectRef `json:"object,omitempty"`
	File     *checks.FileRef   `json:"file,omitempty"`
	Evidence []string          `json:"evidence,omitempty"`
	// Hint and Commands are always present, empty when a finding has none, so a program
	// can read them without checking first.
	Hint     string   `json:"hint"`
	Commands []string `json:"commands"`
	// Cause is true when this finding explains others; Explains lists the objects whose
	// symptoms it explains, ExplainsFindings the findings it explains, by ID.
	Cause            bool               `json:"cause,omitempty"`
	Explains         []checks.ObjectRef `json:"explains,omitempty"`
	ExplainsFindings []string           `json:"explainsFindings,omitempty"`
}

// ListReport is one LIST the run made (or read from files).
type ListReport struct {
	kube.ListStat
	DurationMS float64 `json:"durationMs"`
}

// New starts a report for the checks about to run; results arrive with Add.
func New(kockpitVersion string, src checks.Source, list []checks.Check, now time.Time) *Report {
	r := &Report{
		APIVersion: APIVersion, Kind: "Report", Kockpit: kockpitVersion,
		Generated: now.UTC(), Source: src, Summary: Summary{Worst: checks.StatusSkip}, Causes: []CauseReport{},
	}
	for _, c := range list {
		r.Checks = append(r.Checks, CheckReport{
			ID: c.ID, Title: c.Title, Category: c.Category,
			Status: checks.StatusError, Summary: "did not report", Findings: []FindingReport{},
		})
	}
	return r
}

// Add records a result in its check's place.
func (r *Report) Add(res checks.Result) {
	r.results = append(r.results, res)
	for i := range r.Checks {
		if r.Checks[i].ID != res.CheckID {
			continue
		}
		c := &r.Checks[i]
		c.Status, c.Summary, c.SkipReason = res.Status, res.Summary, res.SkipReason
		c.DurationMS = res.Duration.Milliseconds()
		c.Findings = make([]FindingReport, 0, len(res.Findings))
		for _, f := range res.Findings {
			c.Findings = append(c.Findings, findingReport(f))
		}
		return
	}
}

// findingReport copies a finding for every format. Its credentials were redacted as the
// runner emitted the result (checks.Run), so no format prints them, JSON included.
func findingReport(f checks.Finding) FindingReport {
	commands := make([]string, len(f.Commands)) // JSON has [] for none
	for i, c := range f.Commands {
		commands[i] = c.String()
	}
	return FindingReport{
		ID: f.ID, Severity: f.Severity, Message: f.Message, Object: f.Object, File: f.File,
		Evidence: f.Evidence, Hint: f.Hint, Commands: commands,
		Cause: f.Cause, Explains: f.Explains, ExplainsFindings: f.ExplainsFindings,
	}
}

// finding is the report's finding as the checks gave it, for checks.Finding.LayoutWith, which
// takes its commands as the lines the report prints.
func (f FindingReport) finding() checks.Finding {
	return checks.Finding{
		ID: f.ID, Severity: f.Severity, Message: f.Message, Object: f.Object, File: f.File,
		Evidence: f.Evidence, Hint: f.Hint,
		Cause: f.Cause, Explains: f.Explains, ExplainsFindings: f.ExplainsFindings,
	}
}

// Finish counts the statuses and records the run's duration and LIST statistics.
func (r *Report) Finish(elapsed time.Duration, stats []kube.ListStat) {
	r.DurationMS = elapsed.Milliseconds()
	r.Summary = Summary{Worst: checks.StatusSkip}
	for _, c := range r.Checks {
		switch c.Status {
		case checks.StatusOK:
			r.Summary.OK++
		case checks.StatusWarn:
			r.Summary.Warn++
		case checks.StatusFail:
			r.Summary.Fail++
		case checks.StatusError:
			r.Summary.Error++
		case checks.StatusSkip:
			r.Summary.Skip++
		}
		if c.Status > r.Summary.Worst {
			r.Summary.Worst = c.Status
		}
	}
	r.rankCauses()
	r.Lists = make([]ListReport, 0, len(stats))
	for _, s := range stats {
		r.Lists = append(r.Lists, ListReport{ListStat: s, DurationMS: float64(s.Duration.Microseconds()) / 1000})
	}
}
