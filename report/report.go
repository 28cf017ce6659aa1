// Package report renders the results of a run without the TUI: text, JSON, Markdown, JUnit.
// The JSON form is kockpit's documented, versioned schema (see README.md, "JSON report").
package report

import (
	"slices"
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
	// ExplainedBy names the objects whose causes explain this finding (a drop names the policy
	// that denied it); Written marks a finding about what someone wrote or installed, which no
	// object's state explains (v1alpha2, both optional).
	ExplainedBy []checks.ObjectRef `json:"explainedBy,omitempty"`
	Written     bool               `json:"written,omitempty"`
	// Flows is the group of Hubble flows a finding stands for (hubble.drops), as data.
	Flows *checks.FlowGroup `json:"flows,omitempty"`
	// Chain is the path of objects the finding sits on (a volume's claim, class, CSI driver,
	// CSINode, attachment, pod), in the order the cluster meets them.
	Chain []checks.ObjectRef `json:"chain,omitempty"`
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
		Cause: f.Cause, Explains: f.Explains, ExplainsFindings: f.ExplainsFindings, ExplainedBy: f.ExplainedBy, Written: f.Written,
		Flows: f.Flows, Chain: f.Chain,
	}
}

// finding is the report's finding as the checks gave it, for checks.Finding.LayoutWith, which
// takes its commands as the lines the report prints.
func (f FindingReport) finding() checks.Finding {
	return checks.Finding{
		ID: f.ID, Severity: f.Severity, Message: f.Message, Object: f.Object, File: f.File,
		Evidence: f.Evidence, Hint: f.Hint,
		Cause: f.Cause, Explains: f.Explains, ExplainsFindings: f.ExplainsFindings, ExplainedBy: f.ExplainedBy, Written: f.Written,
		Chain: f.Chain,
	}
}

// Finish counts the statuses, links findings across checks, and records the run's duration
// and LIST statistics.
func (r *Report) Finish(elapsed time.Duration, stats []kube.ListStat) {
	r.DurationMS = elapsed.Milliseconds()
	r.linkAcrossChecks()
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

// linkAcrossChecks links findings across checks by the objects they name, as the runner links
// those of one result (checks.FindingID) and the triage ranks them: a cause lists in
// ExplainsFindings the causes another check found about an object of its Explains, unless that
// finding is Written (a node's kubelet version is not its CNI's doing); and a finding that
// names what explains it (ExplainedBy: a drop of hubble.drops, the policy that denied it) is
// listed by the causes another check found about that object (network.policies's finding about
// the policy): the cause above its witness.
func (r *Report) linkAcrossChecks() {
	type name struct{ kind, namespace, name string }
	type at struct{ check, finding int }
	about := map[name][]at{}
	for ci, c := range r.Checks {
		for fi, f := range c.Findings {
			if f.Object != nil && f.ID != "" && f.Cause {
				k := name{f.Object.Kind, f.Object.Namespace, f.Object.Name}
				about[k] = append(about[k], at{ci, fi})
			}
		}
	}
	link := func(cause *FindingReport, id string) {
		if id != cause.ID && !slices.Contains(cause.ExplainsFindings, id) {
			cause.ExplainsFindings = append(cause.ExplainsFindings, id)
		}
	}
	for ci := range r.Checks {
		for fi := range r.Checks[ci].Findings {
			f := &r.Checks[ci].Findings[fi]
			if f.Cause {
				for _, o := range f.Explains {
					for _, a := range about[name{o.Kind, o.Namespace, o.Name}] {
						if other := r.Checks[a.check].Findings[a.finding]; a.check != ci && !other.Written {
							link(f, other.ID)
						}
					}
				}
			}
			for _, o := range f.ExplainedBy {
				for _, a := range about[name{o.Kind, o.Namespace, o.Name}] {
					if a.check != ci && f.ID != "" {
						link(&r.Checks[a.check].Findings[a.finding], f.ID)
					}
				}
			}
		}
	}
}
