package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestFindingReadsTheSameInDetailAndDrillIn: the detail pane and the drill-in draw one layout
// of a finding (checks.Finding.Layout): the same sections in the same order with the same
// labels, from the evidence to what a cause explains.
func TestFindingReadsTheSameInDetailAndDrillIn(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = withResults(t, m)
	m = keys(t, m, "j", "tab") // api.control-plane's cause: evidence, fix, a command, explains
	f := m.selectedFinding()
	var detail []string
	for _, l := range m.findingLines(f, 100) {
		detail = append(detail, strings.TrimRight(ansi.Strip(l), " "))
	}
	from := slices.IndexFunc(detail, func(l string) bool { return strings.HasPrefix(l, "evidence ") })
	to := slices.IndexFunc(detail, func(l string) bool { return strings.HasPrefix(l, "explains ") })
	if from < 0 || to < from {
		t.Fatalf("the detail pane lacks evidence or explains:\n%s", strings.Join(detail, "\n"))
	}
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, findMsg[objectMsg](t, cmd))
	fr := m.topFrame()
	fr.lines, fr.linkLines = m.drillLines(fr, 100)
	var drill []string
	for _, l := range m.renderDrill(fr, 100, len(fr.lines)) {
		drill = append(drill, strings.TrimRight(ansi.Strip(l), " "))
	}
	sections := detail[from : to+1]
	at := slices.Index(drill, sections[0])
	if at < 0 || len(drill) < at+len(sections) || !slices.Equal(drill[at:at+len(sections)], sections) {
		t.Errorf("the drill-in does not draw the detail pane's sections:\n%s\n\nwant, in order:\n%s",
			strings.Join(drill, "\n"), strings.Join(sections, "\n"))
	}
}
