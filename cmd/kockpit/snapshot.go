package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// headerFileName is the header's file in a snapshot directory.
const headerFileName = "kockpit-snapshot.yaml"

// snapshotOptions are the flags of `kockpit snapshot`.
type snapshotOptions struct {
	*options
	kubeFlags *genericclioptions.ConfigFlags
}

// newSnapshotCommand writes what the checks read from the current context, for a later
// `kockpit --snapshot` on another machine.
func newSnapshotCommand(o *options) *cobra.Command {
	s := &snapshotOptions{options: o, kubeFlags: genericclioptions.NewConfigFlags(true)}
	cmd := &cobra.Command{
		Use:   "snapshot -o FILE|DIR/",
		Short: "Write the objects kockpit reads from the current context, for kockpit --snapshot",
		Long: `kockpit snapshot lists, from the current context, exactly the kinds kockpit's checks read, and
writes them with a header that records which kinds were listed, which were forbidden to you or
not served, the server's version and the time. kockpit --snapshot reads it back and tells
"none" from "not collected". Secret values are never written (their keys are). It only reads.

-o FILE writes one YAML file (the header, then a kind: List), replaced atomically. -o DIR/ (a
trailing slash, or an existing empty directory) writes the header and one file per kind,
RESOURCE.yaml, into a new directory that appears whole. Without -o, the file goes to stdout.`,
		Example: `  kockpit snapshot -o cluster.yaml
  kockpit snapshot --context prod -o prod-snapshot/
  kockpit --report --snapshot cluster.yaml   # later, anywhere`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return s.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write the snapshot to this file, or to this directory when it ends in / or is an empty directory")
	s.kubeFlags.AddFlags(f)
	return cmd
}

// snapshotKinds are the kinds the checks declare they read, each once, by name. A variable
// so a test can add kinds no check reads yet.
var snapshotKinds = func() []kube.Resource {
	var out []kube.Resource
	for _, c := range catalog.All() {
		for _, r := range c.Reads {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b kube.Resource) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func (s *snapshotOptions) run(ctx context.Context) error {
	s.kube = s.kubeFlags
	write, err := s.target()
	if err != nil {
		return err
	}
	if err := s.requestTimeoutError(); err != nil {
		return err
	}
	if err := s.credentialFlagsError(); err != nil {
		return err
	}
	cluster, kc, err := kube.Connect(s.kube, version)
	if err != nil {
		if badInput := s.kubeconfigUsageError(err, kc); badInput != nil {
			return badInput
		}
		return usagef("no kubeconfig: kockpit snapshot reads the cluster of the current context (fix: point --kubeconfig or KUBECONFIG at one)")
	}
	kinds := snapshotKinds()
	taken, err := kube.TakeSnapshot(ctx, cluster, kinds, "kockpit "+version, clock(), s.snapshotProgress())
	if err != nil {
		return err
	}
	h := taken.Header
	if len(h.Listed) == 0 && len(h.Forbidden) == 0 {
		// Nothing answered: a file that says so would only hide the problem.
		return fmt.Errorf("no kind could be listed from %s, nothing written: %s", safetext.Visible(serverHost(cluster.Server)), firstFailure(h))
	}
	if err := write(ctx, taken); err != nil {
		return err
	}
	s.snapshotSummary(taken)
	if len(h.Failed) > 0 {
		s.exit = exitFailed
	}
	return nil
}

// firstFailure is one failed LIST's error, for a run where all of them failed.
func firstFailure(h kube.SnapshotHeader) string {
	for _, name := range slices.Sorted(maps.Keys(h.Failed)) {
		return name + ": " + safetext.Message(h.Failed[name])
	}
	return "the API server did not answer"
}

// snapshotSummary says on stderr what was written and what was not.
func (s *snapshotOptions) snapshotSummary(t *kube.Taken) {
	h := t.Header
	objects := 0
	for _, items := range t.Kinds {
		objects += len(items)
	}
	where := "stdout"
	if s.output != "" && s.output != "-" {
		where = safetext.Visible(s.output)
	}
	fmt.Fprintf(s.streams.ErrOut, "kockpit: wrote %s of %s to %s\n", phrase.Count(objects, "object", "objects"),
		phrase.Count(len(h.Listed), "kind", "kinds"), where)
	if len(h.Forbidden) > 0 {
		fmt.Fprintf(s.streams.ErrOut, "kockpit: forbidden to you, recorded as such: %s\n", strings.Join(h.Forbidden, ", "))
	}
	if len(h.NotInstalled) > 0 {
		fmt.Fprintf(s.streams.ErrOut, "kockpit: not served by this cluster: %s\n", strings.Join(h.NotInstalled, ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(h.Failed)) {
		fmt.Fprintf(s.streams.ErrOut, "kockpit: listing %s failed, recorded as such: %s\n", name, safetext.Message(h.Failed[name]))
	}
}

// snapshotProgress reports "n of m kinds listed" on stderr, only when stderr is a terminal.
func (s *snapshotOptions) snapshotProgress() func(done, total int, r kube.Resource) {
	f, ok := s.streams.ErrOut.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(done, total int, r kube.Resource) {
		if done == total {
			fmt.Fprint(f, "\r\x1b[K")
			return
		}
		fmt.Fprintf(f, "\r\x1b[Kkockpit: %d of %d kinds listed (%s)", done, total, r)
	}
}

// snapshotWriter writes a taken snapshot where -o says.
type snapshotWriter func(ctx context.Context, t *kube.Taken) error

// target checks -o before anything is listed: a file as report -o takes one, a new or empty
// directory, or stdout. Anything else is bad input, exit 2.
func (s *snapshotOptions) target() (snapshotWriter, error) {
	path := s.output
	if path == "" || path == "-" {
		return func(ctx context.Context, t *kube.Taken) error { return writeSnapshotFile(ctx, s.streams.Out, t) }, nil
	}
	if fi, err := os.Lstat(path); os.IsPathSeparator(path[len(path)-1]) || (err == nil && fi.IsDir()) {
		dir, err := checkSnapshotDir(path)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, t *kube.Taken) error { return s.writeSnapshotDir(ctx, dir, t) }, nil
	}
	out, err := s.outputFile()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, t *kube.Taken) error {
		defer s.writingOutput("")
		return outputError(out.Write(ctx, func(f *os.File) error {
			s.writingOutput(f.Name())
			return writeSnapshotFile(ctx, f, t)
		}))
	}, nil
}

// writeSnapshotFile writes the header and one List of every kind listed.
func writeSnapshotFile(ctx context.Context, w io.Writer, t *kube.Taken) error {
	if err := t.WriteHeader(w); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "---\n"); err != nil {
		return err
	}
	return t.WriteList(ctx, w, t.ListedNames())
}

// checkSnapshotDir accepts a directory that does not exist yet (its parent does) or an empty
// one, and returns it cleaned. A link is refused: the directory is replaced, not written
// through.
func checkSnapshotDir(path string) (string, error) {
	dir := filepath.Clean(path)
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent, perr := os.Stat(filepath.Dir(dir))
		if perr != nil || !parent.IsDir() {
			return "", usagef("-o %s: its parent directory %s does not exist (fix: create it, or name another directory)", path, filepath.Dir(dir))
		}
		return dir, nil
	case err != nil:
		return "", usagef("-o %s: %v", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return "", usagef("-o %s: is a symbolic link; name the directory itself, or a new one", path)
	case !fi.IsDir():
		return "", usagef("-o %s: is not a directory; drop the trailing / to write one file", path)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", usagef("-o %s: %v", path, err)
	}
	if len(entries) > 0 {
		return "", usagef("-o %s: is not empty; kockpit writes a snapshot into a new or empty directory (name another)", path)
	}
	return dir, nil
}

// writeSnapshotDir writes the header and a file per kind into a temporary directory beside
// dir, then renames it to dir: the directory appears whole or not at all.
func (s *snapshotOptions) writeSnapshotDir(ctx context.Context, dir string, t *kube.Taken) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".kockpit-*")
	if err != nil {
		return fmt.Errorf("writing the snapshot: %w", err)
	}
	s.addCleanup(func() { os.RemoveAll(tmp) }) // gone already once renamed
	if err := writeDirFile(filepath.Join(tmp, headerFileName), t.WriteHeader); err != nil {
		return err
	}
	for _, name := range t.ListedNames() {
		err := writeDirFile(filepath.Join(tmp, name+".yaml"), func(w io.Writer) error {
			if _, err := io.WriteString(w, kube.SnapshotFileComment); err != nil {
				return err
			}
			return t.WriteList(ctx, w, []string{name})
		})
		if err != nil {
			return err
		}
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	// rename(2) replaces an empty directory, and fails on one that filled up meanwhile.
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("writing the snapshot to %s: %w", safetext.Visible(dir), err)
	}
	return syncDir(filepath.Dir(dir))
}

func writeDirFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing the snapshot: %w", err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the snapshot: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("writing the snapshot: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("writing the snapshot: %w", err)
	}
	return nil
}
