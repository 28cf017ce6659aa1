package main

import (
	"context"
	"io"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/ui"
)

// BenchmarkStartToFirstFrame is what `kockpit` does before the cockpit's first frame, with the
// API server unreachable: parse the flags, load the kubeconfig, build the environment and the
// model, draw. No request is made before the first frame; api.reachable runs after it.
func BenchmarkStartToFirstFrame(b *testing.B) {
	kubeconfig := testCluster(b).KubeconfigWith(b, closedPort(b))
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	for b.Loop() {
		o := &options{streams: streams}
		cmd := newRootCommand(o)
		if err := cmd.ParseFlags([]string{"--kubeconfig", kubeconfig}); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		env, src, err := o.environment(ctx)
		if err != nil {
			b.Fatal(err)
		}
		selected := catalog.All()
		env.Selected = selected
		theme, file, keys, notice := o.cockpitTheme()
		m := ui.New(o.cockpitOptions(ctx, env, src, selected, theme, file, keys, notice))
		next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		if v := next.View(); !strings.Contains(v.Content, "checks") {
			b.Fatal("no checklist in the first frame")
		}
		cancel()
	}
}
