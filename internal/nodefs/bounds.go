package nodefs

import (
	"fmt"
	"strings"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
)

// This file keeps a host check on a huge or slow directory bounded and honest: a time budget
// for going through its entries, a finding that says how much of it was judged, and findings
// about many files of one kind grouped into one.

// Limits are the limits host checks read a node with; zero fields take host.DefaultLimits.
// Tests lower them to make a small tree stand for a huge one.
var Limits host.Limits

// Budget bounds the time a check spends going through one directory's entries one by one
// (reading each plugin, parsing each manifest): the root's Limits.MaxDirTime from when it is
// taken. Past it, the check stops and says what it did not judge (Coverage).
type Budget struct {
	end time.Time
	d   time.Duration
}

// Budget starts a budget for one directory.
func (n *FS) Budget() Budget {
	d := n.Limits().MaxDirTime
	return Budget{end: time.Now().Add(d), d: d}
}

// Spent reports whether the budget is used up.
func (b Budget) Spent() bool { return time.Now().After(b.end) }

// Coverage is how much of a directory a check judged.
type Coverage struct {
	Dir string
	// What the entries are, in the plural: "files", "manifests", "CNI configs".
	What string
	// Judged is how many entries the check went through.
	Judged int
	// Total is how many entries the directory holds, as far as they were counted; Exact says
	// the count is exact (every name was read).
	Total int
	Exact bool
	// Capped: the listing held only the directory's first entries (more than the root reads).
	Capped bool
	// TimedOut: the listing or the check ran out of time (Limits.MaxDirTime).
	TimedOut bool
}

// CoverageOf starts the coverage of a listing: the check adds what it judged.
func CoverageOf(dir, what string, l host.Listing) Coverage {
	return Coverage{Dir: dir, What: what, Total: max(l.Total, len(l.Entries)), Exact: l.AllNames,
		Capped: l.Truncated && !l.TimedOut, TimedOut: l.TimedOut}
}

// Full reports whether every entry was judged.
func (c Coverage) Full() bool { return !c.Capped && !c.TimedOut && c.Exact }

// Finding says a directory was too large or too slow to judge fully, and how far the check
// got, so that no finding about the rest is not taken for a healthy rest. Nil when it was
// judged fully.
func (c Coverage) Finding(n *FS) *checks.Finding {
	if c.Full() {
		return nil
	}
	total := fmt.Sprintf("%d %s", c.Total, c.What)
	if !c.Exact {
		total = fmt.Sprintf("more than %d %s", c.Total, c.What)
	}
	why := "too many to judge fully"
	if c.TimedOut {
		why = fmt.Sprintf("too many or too slow to judge fully within %s", n.Limits().MaxDirTime)
	}
	judged := fmt.Sprintf("the first %d by name were judged, nothing is concluded about the rest", c.Judged)
	if c.Judged == 0 {
		judged = "none was judged, nothing is concluded about them"
	}
	return &checks.Finding{
		Severity: checks.StatusWarn,
		Message:  fmt.Sprintf("%s holds %s, %s: %s", c.Dir, total, why, judged),
		File:     n.Ref(c.Dir, 0, 0),
		Hint:     "A directory this large is itself worth a look (a runaway script, a copy loop); move what does not belong out of it, then run kockpit again.",
		Commands: []checks.Command{checks.Cmd("ls", "-f", n.Display(c.Dir)).Pipe("wc", "-l")},
	}
}

// Groups gathers findings about files by kind, so that a directory of many broken files of
// one kind gives one finding with a count and the first names, not one finding per file: up
// to GroupAfter findings of a kind stay as they are; past that they become one. Its memory
// is bounded whatever the count.
type Groups struct {
	kinds  []*group
	byKind map[string]*group
}

// GroupAfter is how many findings of one kind are shown one by one; GroupNames how many files
// a grouped finding names.
const (
	GroupAfter = 5
	GroupNames = 5
)

type group struct {
	many  func(count int) checks.Finding
	first []checks.Finding
	count int
	worst checks.Severity
	cause bool
}

// Add adds a finding of a kind. many writes the kind's grouped finding for a count: its
// message, hint and commands, and its File (the directory); the severity is the gravest of
// the group's, the evidence names the first files, and what many leaves empty is the first
// finding's.
func (g *Groups) Add(kind string, f checks.Finding, many func(count int) checks.Finding) {
	if g.byKind == nil {
		g.byKind = map[string]*group{}
	}
	gr := g.byKind[kind]
	if gr == nil {
		gr = &group{many: many}
		g.byKind[kind] = gr
		g.kinds = append(g.kinds, gr)
	}
	gr.count++
	if len(gr.first) <= max(GroupAfter, GroupNames) {
		gr.first = append(gr.first, f)
	}
	gr.worst = max(gr.worst, f.Severity)
	gr.cause = gr.cause || f.Cause
}

// Findings are the findings added, each kind as it is or grouped.
func (g *Groups) Findings() []checks.Finding {
	var out []checks.Finding
	for _, gr := range g.kinds {
		if gr.count <= GroupAfter {
			out = append(out, gr.first...)
			continue
		}
		first := gr.first[0]
		f := gr.many(gr.count)
		f.Severity, f.Cause = gr.worst, f.Cause || gr.cause
		if f.File == nil {
			f.File = first.File
		}
		if f.Hint == "" {
			f.Hint = first.Hint
		}
		if len(f.Commands) == 0 {
			f.Commands = first.Commands
		}
		for _, e := range gr.first[:min(len(gr.first), GroupNames)] {
			line := ""
			if e.File != nil {
				line = e.File.Path
			}
			if len(e.Evidence) > 0 {
				line += ": " + e.Evidence[0]
			}
			f.Evidence = append(f.Evidence, line)
		}
		if more := gr.count - min(len(gr.first), GroupNames); more > 0 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("and %d more", more))
		}
		out = append(out, f)
	}
	return out
}

// CapEvidence keeps the first max lines of evidence and counts the rest.
func CapEvidence(evidence []string, max int) []string {
	if len(evidence) <= max {
		return evidence
	}
	return append(evidence[:max:max], fmt.Sprintf("and %d more", len(evidence)-max))
}

// Bounds of what one host check reports, whatever the node holds: MaxReported findings (the
// gravest; the rest counted in one), MaxEvidence lines of evidence per finding, and no more
// than AlikeAfter findings that say the same of different files.
const (
	MaxReported = 200
	MaxEvidence = 40
	AlikeAfter  = 20
)

// bounded keeps a host check's report bounded: findings alike about many files (the same
// severity and message but for the file's own path) become one with a count and the first
// names, past MaxReported the rest are counted in one, and no finding quotes more than
// MaxEvidence lines. Checks group what they know to be of one kind themselves (Groups), in
// better words; this is the net under every check.
func (n *FS) bounded(findings []checks.Finding) []checks.Finding {
	findings = n.groupAlike(findings)
	if len(findings) > MaxReported {
		findings = CapFindings(findings, MaxReported, func(more int) checks.Finding {
			rest := checks.StatusOK
			for _, f := range findings[MaxReported:] {
				rest = max(rest, f.Severity)
			}
			return checks.Finding{Severity: rest, Message: fmt.Sprintf("%d more findings, not shown: the %d above are the gravest", more, MaxReported)}
		})
	}
	for i := range findings {
		findings[i].Evidence = CapEvidence(findings[i].Evidence, MaxEvidence)
	}
	return findings
}

// groupAlike folds the findings that say the same of different files, when more than
// AlikeAfter do, into the first of them with the count and the first names.
func (n *FS) groupAlike(findings []checks.Finding) []checks.Finding {
	type alike struct {
		count int
		names []string
	}
	shapes := make([]string, len(findings))
	byShape := map[string]*alike{}
	for i, f := range findings {
		if f.File == nil {
			continue
		}
		p := n.NodePath(f.File.Path)
		if p == "/" || !strings.Contains(f.Message, p) {
			continue
		}
		shapes[i] = fmt.Sprintf("%d\x00%s", f.Severity, strings.ReplaceAll(f.Message, p, "\x00"))
		a := byShape[shapes[i]]
		if a == nil {
			a = &alike{}
			byShape[shapes[i]] = a
		}
		a.count++
		if len(a.names) < GroupNames {
			a.names = append(a.names, f.File.Path)
		}
	}
	out := findings[:0:0]
	done := map[string]bool{}
	for i, f := range findings {
		a := byShape[shapes[i]]
		if shapes[i] == "" || a.count <= AlikeAfter {
			out = append(out, f)
			continue
		}
		if done[shapes[i]] {
			continue
		}
		done[shapes[i]] = true
		f.Message += fmt.Sprintf(" (the same for %d more files)", a.count-1)
		ev := append([]string(nil), a.names...)
		if more := a.count - len(a.names); more > 0 {
			ev = append(ev, fmt.Sprintf("and %d more", more))
		}
		f.Evidence = append(ev, f.Evidence...)
		out = append(out, f)
	}
	return out
}
