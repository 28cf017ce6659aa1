package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
)

// manyFindings is a result of one check with n findings.
func manyFindings(n int) checks.Result {
	r := checks.Result{CheckID: "api.control-plane", Status: checks.StatusFail, Summary: fmt.Sprintf("%d pods crash-loop", n),
		Duration: 40 * time.Millisecond}
	for i := range n {
		name := fmt.Sprintf("web-%05d", i)
		r.Findings = append(r.Findings, checks.Finding{Severity: checks.StatusFail,
			Message:  name + " is crash-looping: back-off 5m0s restarting failed container",
			Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "team-a", Name: name},
			Evidence: []string{"restarts: 12"}, Hint: "Read the previous log.",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", "team-a", "logs", name, "--previous")}})
	}
	return r
}

// BenchmarkKeypressToFrame is one key press (down, or up at the end) and the frame it draws,
// with 10,000 findings in the selected check: Update + View, as the program runs them.
func BenchmarkKeypressToFrame(b *testing.B) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		b.Run(fmt.Sprintf("10000-findings-%dx%d", size[0], size[1]), func(b *testing.B) {
			m, _ := newModel(b, size[0], size[1])
			m = update(b, m, resultMsg{run: 1, res: manyFindings(10000)})
			m = keys(b, m, "j", "tab")
			down, up := keyMsg("j"), keyMsg("k")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				msg := down
				if (i/9000)%2 == 1 {
					msg = up
				}
				next, _ := m.Update(msg)
				m = next.(Model)
				_ = m.View()
			}
		})
	}
	b.Run("10000-findings-filtered-120x40", func(b *testing.B) {
		m, _ := newModel(b, 120, 40)
		m = update(b, m, resultMsg{run: 1, res: manyFindings(10000)})
		m = keys(b, m, "j", "/", "w", "e", "b", "-", "0", "enter", "tab")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			next, _ := m.Update(keyMsg([]string{"j", "k"}[i%2]))
			m = next.(Model)
			_ = m.View()
		}
	})
}

// BenchmarkFirstFrame is the cockpit's first frame: the model built, sized, drawn, before any
// check has reported.
func BenchmarkFirstFrame(b *testing.B) {
	runs := &fakeRuns{}
	for b.Loop() {
		m := New(Options{Checks: catalog.All(), Start: runs.start})
		next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		_ = next.(Model).View()
	}
}
