package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// Starter starts a run of the given checks and returns the environment they read and the
// stream of their results (checks.Run's stream, the same the headless report reads). The
// command line builds a fresh snapshot for each run, so a re-run sees the cluster as it is now.
type Starter func(ctx context.Context, list []checks.Check) (*checks.Env, <-chan checks.Result)

// Fetcher reads one object for the drill-in: YAML, events, container states.
type Fetcher func(ctx context.Context, env *checks.Env, key kube.ObjectKey) (*kube.ObjectDetail, error)

// FileReader reads one of the node's files for the drill-in: path is the file's path on the
// node ("/etc/kubernetes/kubelet.conf"), under the run's host root (env.Host.Root).
type FileReader func(ctx context.Context, env *checks.Env, path string) ([]byte, error)

// RuntimeCardReader reads the container runtime card of the run's node (env.Host) for the
// drill-in of a Runtime finding.
type RuntimeCardReader func(ctx context.Context, env *checks.Env) (*cri.Card, error)

// cardTimeout bounds reading the card: its CRI calls are bounded each, this bounds them all.
const cardTimeout = 15 * time.Second

// fetchCard reads the runtime card in a command.
func fetchCard(parent context.Context, req int, read RuntimeCardReader, env *checks.Env) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, cardTimeout)
		defer cancel()
		c, err := read(ctx, env)
		return cardMsg{req: req, card: c, err: err}
	}
}

// Messages. Every asynchronous result carries the run or request it belongs to, and Update
// drops it when that is no longer what the screen waits for (STYLE.md #4).
type (
	runStartedMsg struct {
		run     int
		env     *checks.Env
		results <-chan checks.Result
		cancel  context.CancelFunc
	}
	resultMsg struct {
		run int
		res checks.Result
	}
	runDoneMsg    struct{ run int }
	serverInfoMsg struct {
		run     int
		version string
	}
	objectMsg struct {
		req    int
		detail *kube.ObjectDetail
		err    error
	}
	excerptMsg struct {
		req     int
		excerpt *fileExcerpt
		err     error
	}
	cardMsg struct {
		req  int
		card *cri.Card
		err  error
	}
	noticeExpiredMsg struct{ id int }
)

// startRun starts the checks outside Update; the run's context is made here too, so that
// Update never does more than keep what the command returns.
func startRun(parent context.Context, run int, list []checks.Check, start Starter) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(parent)
		env, results := start(ctx, list)
		return runStartedMsg{run: run, env: env, results: results, cancel: cancel}
	}
}

// waitResult brings the next result of a run into Update; Update re-arms it after each one
// while the run is current (bubbletea examples/realtime).
func waitResult(run int, results <-chan checks.Result) tea.Cmd {
	return func() tea.Msg {
		res, ok := <-results
		if !ok {
			return runDoneMsg{run: run}
		}
		return resultMsg{run: run, res: res}
	}
}

// cancelling stops a run or a fetch nobody waits for any more.
func cancelling(cancel context.CancelFunc) tea.Cmd {
	if cancel == nil {
		return nil
	}
	return func() tea.Msg {
		cancel()
		return nil
	}
}

// fetchServerVersion asks the snapshot for the server's version once api.reachable said the
// server answers (or offline, where it reads the kube-apiserver pod): never before, so a down
// server costs the header nothing.
func fetchServerVersion(parent context.Context, run int, env *checks.Env, timeout time.Duration) tea.Cmd {
	if env == nil || env.Snapshot == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		v, err := env.Snapshot.ServerVersion(ctx)
		if err != nil || v == nil {
			return serverInfoMsg{run: run}
		}
		return serverInfoMsg{run: run, version: v.GitVersion}
	}
}

// fetchObject reads the drill-in's object in a command; the spinner turns until it answers.
func fetchObject(parent context.Context, req int, fetch Fetcher, env *checks.Env, key kube.ObjectKey) tea.Cmd {
	return func() tea.Msg {
		d, err := fetch(parent, env, key)
		return objectMsg{req: req, detail: d, err: err}
	}
}

// DefaultFetcher reads objects from the run's snapshot (and, live, with a GET).
func DefaultFetcher(ctx context.Context, env *checks.Env, key kube.ObjectKey) (*kube.ObjectDetail, error) {
	if env == nil || env.Snapshot == nil {
		return nil, errNoCluster
	}
	return kube.FetchObject(ctx, env.Snapshot, key)
}

// fileExcerpt is the part of a node's file around the line a finding points at.
type fileExcerpt struct {
	first int      // number of lines[0]
	lines []string // credentials already redacted
	mark  int      // the finding's line
}

// excerptContext is how many lines the drill-in shows on each side of a finding's line.
const excerptContext = 6

// excerptTimeout bounds reading a node's file: a hung mount must not leave a spinner forever.
const excerptTimeout = 5 * time.Second

// fetchExcerpt reads the lines around a finding's line from the node's file, in a command.
func fetchExcerpt(parent context.Context, req int, read FileReader, env *checks.Env, ref checks.FileRef) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, excerptTimeout)
		defer cancel()
		ex, err := readExcerpt(ctx, read, env, ref)
		return excerptMsg{req: req, excerpt: ex, err: err}
	}
}

// DefaultFileReader reads a node's file as the checks read it: under the run's host root,
// never through a link out of it, never a FIFO, within host's caps.
func DefaultFileReader(ctx context.Context, env *checks.Env, path string) ([]byte, error) {
	root := nodeRoot(env)
	if root == "" {
		return nil, errNotOnNode
	}
	r, err := host.Open(root, host.Limits{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.ReadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return f.Data, nil
}

// readExcerpt reads the finding's file through read and keeps the lines around its line,
// credentials redacted.
func readExcerpt(ctx context.Context, read FileReader, env *checks.Env, ref checks.FileRef) (*fileExcerpt, error) {
	p, ok := nodePath(env, ref.Path)
	if !ok {
		return nil, errNotOnNode
	}
	data, err := read(ctx, env, p)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if ref.Line > len(lines) {
		return nil, fmt.Errorf("it has %d lines now, not %d: it changed since the check read it", len(lines), ref.Line)
	}
	first := max(1, ref.Line-excerptContext)
	last := min(len(lines), ref.Line+excerptContext)
	// The whole file is read for what spans lines: a private key's body with its BEGIN line.
	return &fileExcerpt{first: first, lines: safetext.RedactSecretLines(lines, first-1, last), mark: ref.Line}, nil
}

const errNotOnNode = constError("the file is not under the node's root")

type constError string

func (e constError) Error() string { return string(e) }

const errNoCluster = constError("no cluster to read objects from: no kubeconfig and no --snapshot")

func expireNotice(id int, after time.Duration) tea.Cmd {
	return tea.Tick(after, func(time.Time) tea.Msg { return noticeExpiredMsg{id: id} })
}
