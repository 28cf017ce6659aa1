package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/kockpit/kockpit/checks"
	runtimechecks "github.com/kockpit/kockpit/checks/runtime"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
	"github.com/kockpit/kockpit/themes"
	"github.com/kockpit/kockpit/ui"
)

// cockpitFlags are the cockpit's own flags; the report ignores them.
type cockpitFlags struct {
	theme     string
	presenter bool
	redactIPs bool
}

func (c *cockpitFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&c.theme, "theme", "", "cockpit theme: a name (--theme list shows them) or a theme file (YAML); default follows the terminal's background")
	f.BoolVar(&c.presenter, "presenter", false, "cockpit for a live audience: more room, no elapsed-time noise")
	f.BoolVar(&c.redactIPs, "redact-ips", false, "mask IP addresses in the cockpit (on camera)")
}

// wantsCockpit says whether this run opens the cockpit: no --report, and stdout a terminal.
// Piped or redirected, kockpit prints the text report instead (STYLE.md #8).
func (o *options) wantsCockpit() bool {
	if o.report || o.output != "" {
		return false
	}
	f, ok := o.streams.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// listThemes answers `--theme list`.
func (o *options) listThemes() bool {
	if o.cockpit.theme != "list" {
		return false
	}
	fmt.Fprint(o.streams.Out, themes.List())
	return true
}

// cockpitTheme resolves --theme. A theme file that does not load is reported, on stderr and in
// the cockpit, and the default theme is used: a typo in a colour must not stop a demo.
func (o *options) cockpitTheme() (theme themes.Theme, file *themes.Theme, keys ui.KeyMap, notice string) {
	theme, file, keys, err := o.resolveTheme()
	if err != nil {
		notice = safetext.Message(fmt.Sprintf("theme: %v; using the default theme", err))
		fmt.Fprintf(o.streams.ErrOut, "kockpit: %s\n", notice)
		return themes.Default(), nil, ui.DefaultKeyMap(), notice
	}
	return theme, file, keys, ""
}

// resolveTheme loads --theme: a built-in name, or a theme file with its key bindings.
func (o *options) resolveTheme() (themes.Theme, *themes.Theme, ui.KeyMap, error) {
	keys := ui.DefaultKeyMap()
	name := o.cockpit.theme
	if name == "" {
		return themes.Default(), nil, keys, nil
	}
	if t, ok := themes.Lookup(name); ok {
		return t, nil, keys, nil
	}
	f, err := themes.Load(name)
	if err == nil {
		keys, err = keys.Rebind(f.Keys)
	}
	if err != nil {
		var fe *themes.FileError
		if !errors.As(err, &fe) && errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("--theme %q: no built-in theme (%v) and no such file", name, themes.Names())
		}
		return themes.Default(), nil, keys, err
	}
	return f.Theme, &f.Theme, keys, nil
}

// themeUsageError is bad --theme input in a report run: the report draws no theme, but a flag
// that names no theme is a mistake to say, not to pass over (the cockpit says it and goes on
// with the default, so that a typo does not stop a demo).
func (o *options) themeUsageError() error {
	if _, _, _, err := o.resolveTheme(); err != nil {
		if !strings.HasPrefix(err.Error(), "--theme") {
			err = fmt.Errorf("--theme %q: %w", o.cockpit.theme, err)
		}
		return usagef("%v (fix: --theme list shows the built-in themes; a theme file is YAML, see README.md)", err)
	}
	return nil
}

// runCockpit opens the cockpit on the checks' result stream.
func (o *options) runCockpit(ctx context.Context, env *checks.Env, src checks.Source, selected []checks.Check) error {
	theme, file, keys, notice := o.cockpitTheme()
	m := ui.New(o.cockpitOptions(ctx, env, src, selected, theme, file, keys, notice))
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(o.streams.In), tea.WithOutput(o.streams.Out))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("cockpit: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	o.exit = exitOK
	return nil
}

// cockpitOptions wires the cockpit to the checks: each run gets a fresh snapshot of a live
// cluster (so `r` shows the cluster as it is now); snapshot files are read once.
func (o *options) cockpitOptions(ctx context.Context, env *checks.Env, src checks.Source, selected []checks.Check,
	theme themes.Theme, file *themes.Theme, keys ui.KeyMap, notice string) ui.Options {
	runOpts := checks.RunOptions{Parallelism: o.parallel, Timeout: o.checkTimeout}
	start := func(ctx context.Context, list []checks.Check) (*checks.Env, <-chan checks.Result) {
		e := *env
		if env.Cluster != nil {
			// A new run asks the server again, even one that stopped answering in the last.
			env.Cluster.AskAgain()
			e.Snapshot = kube.NewLiveSnapshot(ctx, env.Cluster)
		}
		return &e, checks.Run(ctx, list, &e, runOpts)
	}
	timeout := kube.DefaultRequestTimeout
	if env.Cluster != nil {
		timeout = env.Cluster.RequestTimeout
	}
	return ui.Options{
		Checks: selected, Start: start, Context: ctx,
		Source: src,
		Theme:  theme, ThemeFile: file, Keys: keys,
		Presenter: o.cockpit.presenter, RedactIPs: o.cockpit.redactIPs,
		Notice: notice, Now: time.Now, RequestTimeout: timeout,
		RuntimeCard: runtimechecks.Card,
		Flows:       env.Flows,
		Lesson:      o.lesson,
	}
}

// kubeUser is the kubeconfig's user entry of the context in use.
func kubeUser(kc *kube.Kubeconfig) string {
	if kc == nil {
		return ""
	}
	if c, ok := kc.Raw.Contexts[kc.Context]; ok && c != nil {
		return c.AuthInfo
	}
	return ""
}
