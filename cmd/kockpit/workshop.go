package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/safetext"
	"github.com/kockpit/kockpit/scenarios"
	"github.com/kockpit/kockpit/ui"
	"github.com/kockpit/kockpit/workshop"
)

// workshopOptions are the flags of `kockpit workshop`: the report flags of the root command,
// and where a teacher's own scenarios are.
type workshopOptions struct {
	*options
	scenarioDirs []string
}

func newWorkshopCommand(o *options) *cobra.Command {
	w := &workshopOptions{options: o}
	cmd := &cobra.Command{
		Use:   "workshop [NAME]",
		Short: "Broken clusters to learn on, offline: list the scenarios, or open one",
		Long: `kockpit workshop lists the broken-cluster scenarios kockpit carries (and a teacher's own,
with --scenarios DIR): name, level, category, estimated minutes, and whether you solved it on
this machine. kockpit workshop NAME opens the cockpit on that scenario, or prints its findings
with --report. Everything runs offline: the clusters are files inside kockpit.`,
		Example: `  kockpit workshop                          # the scenarios, and what you solved
  kockpit workshop dns-policy-default       # open one
  kockpit workshop dns-policy-default --report --format markdown
  kockpit workshop --scenarios ./class      # add a teacher's scenarios
  kockpit workshop validate ./class         # check a teacher's scenarios
  kockpit workshop export dns-policy-default ./out`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return w.list(cmd.Context())
			}
			return w.open(cmd.Context(), args[0])
		},
	}
	f := cmd.PersistentFlags()
	f.StringSliceVar(&w.scenarioDirs, "scenarios", nil, "also read the scenarios in `DIR` (one subdirectory per scenario)")
	addReportFlags(cmd.Flags(), o, "run only these checks: IDs (dns.policy), prefixes (dns.) or categories (DNS)")
	o.cockpit.addFlags(cmd.Flags())
	cmd.AddCommand(w.validateCommand(), w.exportCommand(), w.applyCommand(), w.verifyCommand())
	return cmd
}

// addReportFlags adds the flags of a command that runs checks and reports them.
func addReportFlags(f *pflag.FlagSet, o *options, onlyHelp string) {
	f.BoolVar(&o.report, "report", false, "print a report instead of opening the cockpit")
	f.StringVar(&o.format, "format", "text", "report format: text, json, markdown or junit")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file (atomically) instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "fail", "exit 1 when a check reaches this status: warn, fail or never")
	f.StringSliceVar(&o.only, "only", nil, onlyHelp)
	f.StringSliceVar(&o.skip, "skip", nil, "skip these checks: IDs, prefixes or categories")
	f.DurationVar(&o.checkTimeout, "check-timeout", checks.DefaultCheckTimeout, "give up on a check after this long")
	f.IntVar(&o.parallel, "parallel", checks.DefaultParallelism, "how many checks run at once")
}

// scenarioLibrary is what scenarios are judged against: every check's ID, the base clusters.
func scenarioLibrary() workshop.Library {
	known := map[string]bool{}
	for _, c := range catalog.All() {
		known[c.ID] = true
	}
	var listed []string
	for _, r := range snapshotKinds() {
		listed = append(listed, r.String())
	}
	return workshop.Library{Known: known, Bases: scenarios.Bases(), Listed: listed}
}

// catalog loads the embedded scenarios and the teacher's; any problem is bad input (exit 2),
// every problem at once.
func (w *workshopOptions) catalog(ctx context.Context) ([]*workshop.Scenario, error) {
	sources := []workshop.Source{{FS: scenarios.Workshops(), Root: ".", Display: "embedded scenarios"}}
	for _, dir := range w.scenarioDirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, usagef("--scenarios %s: not a directory (fix: name a directory with one subdirectory per scenario)", dir)
		}
		sources = append(sources, workshop.DirSource(dir))
	}
	list, err := workshop.Catalog(ctx, scenarioLibrary(), sources)
	if err != nil {
		return nil, usageError{err}
	}
	return list, nil
}

func (w *workshopOptions) list(ctx context.Context) error {
	list, err := w.catalog(ctx)
	if err != nil {
		return err
	}
	solved := map[string]workshop.Solve{}
	note := ""
	if path, err := workshop.StatePath(); err == nil {
		if st, err := workshop.LoadState(path); err == nil {
			solved = st.Solved
		} else {
			note = "kockpit: " + safetext.Message(err.Error())
		}
	}
	tw := tabwriter.NewWriter(w.streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLEVEL\tCATEGORY\tMIN\tSOLVED\tTITLE")
	for _, s := range list {
		mark := "-"
		if sv, ok := solved[s.Name]; ok {
			mark = fmt.Sprintf("yes (%d pts)", sv.Points)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", s.Name, s.Level, s.Category, s.Minutes, mark, safetext.Visible(s.Title))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(w.streams.ErrOut, note)
	}
	return nil
}

func (w *workshopOptions) find(ctx context.Context, name string) (*workshop.Scenario, error) {
	list, err := w.catalog(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, usagef("no scenario %q (fix: kockpit workshop lists them)", name)
}

// open runs the checks on the scenario's cluster (and its flows), in the cockpit or as a report.
func (w *workshopOptions) open(parent context.Context, name string) error {
	if w.listThemes() {
		return nil
	}
	s, err := w.find(parent, name)
	if err != nil {
		return err
	}
	w.lesson = lessonOf(s)
	return w.runReport(parent, catalog.All(), func(ctx context.Context) (*checks.Env, checks.Source, error) {
		return w.scenarioEnv(ctx, s)
	})
}

// scenarioEnv is what the checks read for a scenario (see Scenario.Env); a scenario that does
// not load is bad input.
func (o *options) scenarioEnv(ctx context.Context, s *workshop.Scenario) (*checks.Env, checks.Source, error) {
	hostDir := ""
	if s.HasHost() {
		dir, err := os.MkdirTemp("", "kockpit-workshop-node-")
		if err != nil {
			return nil, checks.Source{}, fmt.Errorf("unpacking the scenario's node files: %w (fix: point TMPDIR at a writable directory)", err)
		}
		o.addCleanup(func() { os.RemoveAll(dir) })
		hostDir = dir
	}
	env, src, err := s.Env(ctx, clock, hostDir)
	if err != nil {
		return nil, checks.Source{}, usageError{err}
	}
	env.Path = os.Getenv("PATH")
	return env, src, nil
}

// lessonOf is the scenario as the cockpit teaches it; a solve is recorded in the state file.
func lessonOf(s *workshop.Scenario) *ui.Lesson {
	return &ui.Lesson{
		Title: s.Title, Level: s.Level, Minutes: s.Minutes, Story: s.Story, Goal: s.Goal,
		Hints: s.Hints, Points: s.Points, Fix: s.Fix,
		Judge: func(check string, f checks.Finding) ui.Verdict {
			v := s.Judge(check, f)
			return ui.Verdict{Right: v.Right, Decoy: v.Decoy, Text: v.Text}
		},
		Record: func(hints int, took time.Duration, points int) error {
			return recordSolve(s.Name, workshop.Solve{At: time.Now().UTC(), Seconds: int(took.Seconds()), Hints: hints, Points: points})
		},
	}
}

func (w *workshopOptions) validateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR",
		Short: "Check a teacher's scenarios: each problem with file, line and fix; exit 2 if any",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return usagef("%s: not a directory (fix: name a directory with one subdirectory per scenario)", dir)
			}
			list, err := workshop.Catalog(cmd.Context(), scenarioLibrary(), []workshop.Source{workshop.DirSource(dir)})
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintf(w.streams.Out, "%d scenarios in %s are valid\n", len(list), safetext.Visible(dir))
			return nil
		},
	}
}

func (w *workshopOptions) exportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "export NAME DIR",
		Short: "Write a scenario's files (its lesson, cluster, flows and manifests) to a new or empty DIR",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := w.find(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := emptyDir(args[1]); err != nil {
				return err
			}
			n, err := exportScenario(s, args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(w.streams.Out, "wrote %d files of %s to %s\n", n, s.Name, safetext.Visible(args[1]))
			return nil
		},
	}
}

// exactArgs is cobra.ExactArgs as bad usage (exit 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// emptyDir accepts a directory to write into only when it is new or empty: export never
// replaces a teacher's files.
func emptyDir(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return usagef("%s: %v", dir, err)
	case !fi.IsDir():
		return usagef("%s is not a directory (fix: name a new or empty directory)", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return usagef("%s: %v", dir, err)
	}
	if len(entries) > 0 {
		return usagef("%s is not empty (fix: name a new or empty directory; export never replaces files)", dir)
	}
	return nil
}

func exportScenario(s *workshop.Scenario, dir string) (int, error) {
	files, err := s.Files()
	if err != nil {
		return 0, err
	}
	for _, name := range files {
		data, err := s.ReadFile(name)
		if err != nil {
			return 0, err
		}
		target := filepath.Join(dir, s.Name, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return 0, err
		}
		// O_EXCL: a file that appeared meanwhile is never replaced.
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return 0, err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, err
		}
	}
	return len(files), nil
}
