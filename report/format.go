package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/safetext"
)

// Format names an output format of --format.
type Format string

// The formats.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
	FormatJUnit    Format = "junit"
)

// Formats lists every format, for help and errors.
var Formats = []Format{FormatText, FormatJSON, FormatMarkdown, FormatJUnit}

// ParseFormat reads a --format value; "md" is accepted for markdown.
func ParseFormat(s string) (Format, error) {
	if strings.EqualFold(s, "md") {
		return FormatMarkdown, nil
	}
	for _, f := range Formats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: use one of text, json, markdown, junit", s)
}

// Write renders the report in the format. color is for text only: true on a terminal that
// allows it; the caller decides (NO_COLOR, piping, -o FILE).
func Write(w io.Writer, r *Report, f Format, color bool) error {
	switch f {
	case FormatJSON:
		return writeJSON(w, r)
	case FormatMarkdown:
		return writeMarkdown(w, r)
	case FormatJUnit:
		return writeJUnit(w, r)
	default:
		return writeText(w, r, color)
	}
}

// FailOn is the --fail-on bar: the least grave status that makes the exit code 1.
type FailOn string

// The bars.
const (
	FailOnWarn  FailOn = "warn"
	FailOnFail  FailOn = "fail"
	FailOnNever FailOn = "never"
)

// ParseFailOn reads a --fail-on value.
func ParseFailOn(s string) (FailOn, error) {
	switch f := FailOn(strings.ToLower(s)); f {
	case FailOnWarn, FailOnFail, FailOnNever:
		return f, nil
	}
	return "", fmt.Errorf("unknown --fail-on %q: use warn, fail or never", s)
}

// ExitCode is 1 when a check reached the bar, else 0. A check that could not run (Error)
// counts as failed: CI must not pass a cluster kockpit could not look at.
func (r *Report) ExitCode(bar FailOn) int {
	var threshold checks.Status
	switch bar {
	case FailOnNever:
		return 0
	case FailOnWarn:
		threshold = checks.StatusWarn
	default:
		threshold = checks.StatusFail
	}
	if r.Summary.Worst >= threshold {
		return 1
	}
	return 0
}

// show is how every cluster or host string reaches a human-readable report: escape sequences
// visible, look-alikes flagged by code point. Credentials in results were redacted by the
// runner already (checks.Run).
func show(s string) string { return safetext.Annotate(s) }
