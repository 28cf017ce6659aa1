package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
	"github.com/kockpit/kockpit/workshop"
)

// liveWorkshopOptions are the flags of `workshop apply` and `workshop verify`: the cluster to
// break or judge, and apply's consent.
type liveWorkshopOptions struct {
	*workshopOptions
	kubeFlags *genericclioptions.ConfigFlags
	yes       bool
	force     bool
}

func (w *workshopOptions) applyCommand() *cobra.Command {
	l := &liveWorkshopOptions{workshopOptions: w, kubeFlags: genericclioptions.NewConfigFlags(true)}
	cmd := &cobra.Command{
		Use:   "apply NAME",
		Short: "Break a throwaway cluster the way scenario NAME is broken (writes to the current context; asks first)",
		Long: `kockpit workshop apply writes the scenario's manifests (its apply/ directory) to the current
context by server-side apply, as field manager kockpit-workshop, so a class can break, fix and
verify on their own kind clusters. It names the context, server and objects and asks before
writing (--yes for scripts). It refuses a server that is not on a loopback or private address
(--force to override: never point it at a cluster you care about). Scenarios whose breakage is
on a node, in the control plane or in Hubble cannot be applied.`,
		Example: `  kind create cluster --name class
  kockpit workshop apply dns-policy-default --context kind-class
  kockpit workshop verify dns-policy-default --context kind-class`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return l.apply(cmd.Context(), args[0]) },
	}
	f := cmd.Flags()
	f.BoolVarP(&l.yes, "yes", "y", false, "write without asking")
	f.BoolVar(&l.force, "force", false, "write even to a server that is not on a loopback or private address")
	l.kubeFlags.AddFlags(f)
	return cmd
}

func (w *workshopOptions) verifyCommand() *cobra.Command {
	l := &liveWorkshopOptions{workshopOptions: w, kubeFlags: genericclioptions.NewConfigFlags(true)}
	cmd := &cobra.Command{
		Use:   "verify NAME",
		Short: "Say whether scenario NAME is solved on the current context: its root cause's object is there and its finding gone",
		Args:  exactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return l.verify(cmd.Context(), args[0]) },
	}
	l.kubeFlags.AddFlags(cmd.Flags())
	return cmd
}

// connect is the current context's cluster; any failure to build a client is bad input.
func (l *liveWorkshopOptions) connect() (*kube.Cluster, *kube.Kubeconfig, error) {
	cluster, kc, err := kube.Connect(l.kubeFlags, version)
	if err != nil {
		return nil, nil, usagef("%v (fix: point --kubeconfig or --context at the class's cluster)", err)
	}
	return cluster, kc, nil
}

func (l *liveWorkshopOptions) apply(ctx context.Context, name string) error {
	s, err := l.find(ctx, name)
	if err != nil {
		return err
	}
	objs, err := s.Manifests()
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		return usagef("scenario %s cannot be applied: its breakage is on a node, in the control plane or in Hubble flows (fix: open it offline with kockpit workshop %s)", name, name)
	}
	cluster, kc, err := l.connect()
	if err != nil {
		return err
	}
	if err := workshop.ServerIsPrivate(ctx, cluster.Server); err != nil && !l.force {
		return usagef("refusing to write: %v (fix: use a kind or other throwaway cluster; --force if you are sure)", err)
	}
	if err := workshop.NotProxied(cluster.Config, cluster.Server); err != nil && !l.force {
		return usagef("refusing to write: %v (fix: use the cluster without a proxy; --force if you are sure)", err)
	}
	fmt.Fprintf(l.streams.Out, "kockpit workshop apply %s will write %d objects to context %s (server %s):\n",
		name, len(objs), safetext.Visible(kc.Context), safetext.Visible(cluster.Server))
	for _, o := range objs {
		fmt.Fprintf(l.streams.Out, "  %s\n", safetext.Visible(workshop.Describe(o)))
	}
	if !l.yes {
		fmt.Fprint(l.streams.Out, "Write them? Type yes to continue: ")
		answer, err := readAnswer(ctx, l.streams.In)
		if err != nil {
			return err
		}
		if answer != "yes" && answer != "y" {
			return usagef("not written: the answer was %q, not yes", answer)
		}
	}
	if err := workshop.Apply(ctx, cluster, objs, l.streams.Out); err != nil {
		return err
	}
	fmt.Fprintf(l.streams.Out, "scenario %s applied: %s\n", name, safetext.Visible(strings.TrimSpace(s.Goal)))
	return nil
}

// maxAnswer bounds the confirmation line.
const maxAnswer = 256

// readAnswer reads one line of consent; SIGINT (ctx) ends the wait.
func readAnswer(ctx context.Context, in io.Reader) (string, error) {
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReaderSize(io.LimitReader(in, maxAnswer), maxAnswer).ReadString('\n')
		got <- strings.ToLower(strings.TrimSpace(line))
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-got:
		return a, nil
	}
}

func (l *liveWorkshopOptions) verify(ctx context.Context, name string) error {
	s, err := l.find(ctx, name)
	if err != nil {
		return err
	}
	var check *checks.Check
	for _, c := range catalog.All() {
		if c.ID == s.Cause.Check {
			check = &c
		}
	}
	cluster, kc, err := l.connect()
	if err != nil {
		return err
	}
	exists, err := workshop.Exists(ctx, cluster, s.Cause)
	if err != nil {
		return fmt.Errorf("cannot tell whether %s is solved: %w", name, err)
	}
	if !exists {
		fmt.Fprintf(l.streams.Out, "not solved: %s is gone. Deleting the broken object does not fix it; restore it and repair it.\n", safetext.Visible(s.Cause.String()))
		l.exit = exitFailed
		return nil
	}
	env := &checks.Env{Now: time.Now, Cluster: cluster, Snapshot: kube.NewLiveSnapshot(ctx, cluster), Kubeconfig: kc}
	env.Selected = []checks.Check{*check}
	var result checks.Result
	for r := range checks.Run(ctx, env.Selected, env, checks.RunOptions{}) {
		result = r
	}
	switch {
	case result.Status == checks.StatusError || result.Status == checks.StatusSkip:
		return fmt.Errorf("cannot tell whether %s is solved: %s did not run: %s", name, check.ID, safetext.Visible(result.Summary))
	case !hasCause(s, result) && readPartly(result):
		// A kind the check could not read may hold the cause still: never "solved" from that.
		return fmt.Errorf("cannot tell whether %s is solved: %s could not read everything it judges: %s", name, check.ID, safetext.Visible(result.Summary))
	case hasCause(s, result):
		fmt.Fprintf(l.streams.Out, "not solved: %s still reports it.\n", safetext.Visible(s.Cause.String()))
		l.exit = exitFailed
		return nil
	}
	fmt.Fprintf(l.streams.Out, "solved: %s no longer reports %s.\n%s\n", check.ID, safetext.Visible(s.Cause.String()), safetext.Visible(strings.TrimSpace(s.Explanation)))
	if err := recordSolve(name, workshop.Solve{At: time.Now().UTC(), Points: s.Points(0)}); err != nil {
		fmt.Fprintf(l.streams.ErrOut, "kockpit: solved, but not recorded: %s\n", safetext.Message(err.Error()))
	}
	return nil
}

// readPartly says whether the check judged only some of the kinds it reads (checks.ListPartial).
func readPartly(r checks.Result) bool {
	for _, f := range r.Findings {
		if f.Problem == checks.ProblemKindsNotRead {
			return true
		}
	}
	return false
}

// hasCause says whether the result holds the scenario's root-cause finding.
func hasCause(s *workshop.Scenario, r checks.Result) bool {
	for _, f := range r.Findings {
		if s.Cause.Matches(r.CheckID, f) {
			return true
		}
	}
	return false
}

// recordSolve notes a solve in the student's state file.
func recordSolve(name string, sv workshop.Solve) error {
	path, err := workshop.StatePath()
	if err != nil {
		return err
	}
	st, err := workshop.LoadState(path)
	if err != nil {
		return err
	}
	return st.Record(name, sv)
}
