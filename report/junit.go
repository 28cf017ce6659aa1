package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/kockpit/kockpit/checks"
)

// JUnit's XML, the subset CI systems read: one testsuite per category, one testcase per check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	// SystemOut holds the Causes suite's text: causes are no tests, so counts stay the checks'.
	SystemOut string      `xml:"system-out,omitempty"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// writeJUnit maps Fail to <failure>, Error to <error>, Skip to <skipped>; a Warn passes, with
// its findings in system-out, so CI shows it without failing the build (use --fail-on warn).
func writeJUnit(w io.Writer, r *Report) error {
	out := junitSuites{Name: "kockpit", Time: seconds(r.DurationMS)}
	if len(r.Causes) > 0 {
		out.Suites = append(out.Suites, junitSuite{Name: "Causes", SystemOut: causesText(r)})
	}
	for _, cat := range checks.Categories {
		group := checksIn(r, cat)
		if len(group) == 0 {
			continue
		}
		suite := junitSuite{Name: string(cat)}
		for _, c := range group {
			tc := junitCase{Name: c.ID + " " + c.Title, Classname: "kockpit." + string(cat), Time: seconds(c.DurationMS)}
			problem := &junitProblem{Message: show(c.Summary), Type: c.Status.String(), Body: findingsText(c)}
			switch c.Status {
			case checks.StatusFail:
				tc.Failure = problem
				suite.Failures++
			case checks.StatusError:
				tc.Error = problem
				suite.Errors++
			case checks.StatusSkip:
				tc.Skipped = &junitProblem{Message: show(c.Summary)}
				suite.Skipped++
			default:
				tc.SystemOut = problem.Body
			}
			suite.Cases = append(suite.Cases, tc)
			suite.Tests++
		}
		out.Suites = append(out.Suites, suite)
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Errors += suite.Errors
		out.Skipped += suite.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func findingsText(c CheckReport) string {
	var b strings.Builder
	for _, fr := range c.Findings {
		f := fr.finding()
		about := ""
		for _, s := range f.LayoutWith(fr.Commands) { // the text report's sections, plain and less indented
			switch s.Kind {
			case checks.SectionAbout:
				about = s.Lines[0] + ": "
			case checks.SectionMessage:
				fmt.Fprintf(&b, "%s %s%s\n", f.Severity, show(about), show(s.Lines[0]))
			case checks.SectionEvidence:
				for _, e := range s.Lines {
					fmt.Fprintf(&b, "    %s\n", show(e))
				}
			case checks.SectionFix:
				fmt.Fprintf(&b, "  %s: %s\n", s.Label, show(s.Lines[0]))
			case checks.SectionCommands:
				for _, cmd := range s.Lines {
					fmt.Fprintf(&b, "  %s %s\n", s.Label, show(cmd))
				}
			}
		}
	}
	return b.String()
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }
