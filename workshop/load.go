package workshop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/yamlguard"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/safetext"
	"github.com/kockpit/kockpit/scenarios"
)

// Problem is one thing wrong with a scenario: where, what, and how to fix it.
type Problem struct {
	Path         string
	Line, Column int
	Msg          string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", safetext.Message(p.Path), safetext.Message(p.Msg))
	}
	return fmt.Sprintf("%s:%d:%d: %s", safetext.Message(p.Path), p.Line, p.Column, safetext.Message(p.Msg))
}

// Problems is a scenario that cannot be used, with everything wrong with it.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxScenarioBytes bounds scenario.yaml: a lesson is a few KiB, and the YAML parser's time grows
// faster than the file.
const maxScenarioBytes = 64 << 10

// maxNesting bounds how deep scenario.yaml may nest; a scenario nests four deep (decoys, a
// decoy, its object, a field).
const maxNesting = 16

// namePattern is what a scenario's directory may be called: it is typed on command lines and
// written into the state file.
var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

// problemPattern is a finding's kind of problem as its ID ends (checks.FindingID).
var problemPattern = regexp.MustCompile(`^[a-z0-9.]+(-[a-z0-9.]+)*$`)

// reservedNames are the workshop subcommands, which a scenario's name would hide.
var reservedNames = []string{"apply", "verify", "export", "validate", "help"}

// Library is what scenarios are judged against: the checks they may name and the base clusters
// they may start from.
type Library struct {
	// Known are the check IDs.
	Known map[string]bool
	// Bases holds the base clusters, one directory of snapshot files each.
	Bases fs.FS
	// Listed are the kinds the checks read (as kube.Resource.String names them): a scenario's
	// cluster is complete, so a kind it holds no object of has none.
	Listed []string
}

// Load reads the scenario in dir of fsys and checks all of it: the lesson, that the checks it
// names exist, and that its cluster, flows and manifests load. display names it in messages.
// A scenario with any problem is not returned: the error is Problems, each naming the file,
// line and fix.
func Load(ctx context.Context, lib Library, fsys fs.FS, dir, display string) (*Scenario, error) {
	known := lib.Known
	file := path.Join(display, "scenario.yaml")
	s := &Scenario{Name: path.Base(dir), fsys: fsys, dir: dir, Origin: display, bases: lib.Bases, listed: lib.Listed}
	var ps Problems
	add := func(p Problem) { ps = append(ps, p) }
	if !namePattern.MatchString(s.Name) || slices.Contains(reservedNames, s.Name) {
		add(Problem{Path: display, Msg: fmt.Sprintf("%q cannot name a scenario (fix: rename the directory to lower-case letters, digits and dashes, not one of %s)", s.Name, strings.Join(reservedNames, ", "))})
	}
	data, err := readCapped(fsys, path.Join(dir, "scenario.yaml"))
	if err != nil {
		add(Problem{Path: file, Msg: err.Error()})
		return nil, ps
	}
	lesson := parseLesson(file, data, s, known)
	ps = append(ps, lesson...)
	if !slices.ContainsFunc(lesson, func(p Problem) bool { return strings.HasPrefix(p.Msg, "base:") }) {
		ps = append(ps, s.checkContents(ctx, display)...)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return s, nil
}

func readCapped(fsys fs.FS, name string) ([]byte, error) {
	fi, err := fs.Stat(fsys, name)
	switch {
	case isNotExist(err):
		return nil, errors.New("missing: every scenario has a scenario.yaml (fix: see the README's worked example)")
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, errors.New("not a regular file (fix: make scenario.yaml a plain file)")
	case fi.Size() > maxScenarioBytes:
		return nil, fmt.Errorf("larger than %d KiB, and a lesson is a few KiB: kockpit did not parse it", maxScenarioBytes>>10)
	}
	data, err := fs.ReadFile(fsys, name)
	if err == nil && len(data) > maxScenarioBytes {
		return nil, fmt.Errorf("larger than %d KiB, and a lesson is a few KiB: kockpit did not parse it", maxScenarioBytes>>10)
	}
	return data, err
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// parseLesson decodes scenario.yaml into s and judges every field, each problem at its line.
func parseLesson(file string, data []byte, s *Scenario, known map[string]bool) Problems {
	at := func(tok *token.Token, msg string) Problems {
		p := Problem{Path: file, Line: 1, Column: 1, Msg: msg}
		if tok != nil && tok.Position != nil {
			p.Line, p.Column = tok.Position.Line, tok.Position.Column
		}
		return Problems{p}
	}
	if tok := yamlguard.TooDeep(data, maxNesting); tok != nil {
		return at(tok, fmt.Sprintf("YAML nests more than %d levels deep here, and a scenario nests four: kockpit did not parse it", maxNesting))
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			return at(ye.GetToken(), "YAML: "+ye.GetMessage())
		}
		return Problems{{Path: file, Msg: err.Error()}}
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return Problems{{Path: file, Line: 1, Column: 1, Msg: "a scenario.yaml holds one YAML document, a mapping of title, level, category... (fix: see the README's worked example)"}}
	}
	if _, ok := f.Docs[0].Body.(ast.MapNode); !ok {
		return at(f.Docs[0].Body.GetToken(), "a scenario.yaml is a mapping of title, level, category... (fix: see the README's worked example)")
	}
	if err := yaml.NodeToValue(f.Docs[0].Body, s, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			return at(ye.GetToken(), ye.GetMessage()+" (fix: the keys are title, level, category, minutes, base, removes, story, goal, hints, hintCost, cause, explanation, fix, decoys)")
		}
		return Problems{{Path: file, Msg: err.Error()}}
	}
	// where is the token of the value at a YAML path, or of the nearest parent that exists.
	where := func(p string) *token.Token {
		for ; p != "$" && p != ""; p = parentPath(p) {
			yp, err := yaml.PathString(p)
			if err != nil {
				continue
			}
			if n, err := yp.FilterFile(f); err == nil && n != nil {
				return n.GetToken()
			}
		}
		return f.Docs[0].Body.GetToken()
	}
	var ps Problems
	need := func(p string, ok bool, msg string) {
		if !ok {
			ps = append(ps, at(where(p), msg)...)
		}
	}
	need("$.title", strings.TrimSpace(s.Title) != "", "title: missing (fix: one line the list shows, e.g. title: Pods cannot resolve names)")
	need("$.level", slices.Contains(Levels, s.Level), fmt.Sprintf("level: %q is not a level (fix: one of %s)", s.Level, strings.Join(Levels, ", ")))
	need("$.category", slices.Contains(checks.Categories, checks.Category(s.Category)), fmt.Sprintf("category: %q is not one of kockpit's categories (fix: one of %s)", s.Category, categoryList()))
	need("$.minutes", s.Minutes >= 1 && s.Minutes <= 240, fmt.Sprintf("minutes: %d is not an estimate (fix: how long a student takes, 1 to 240)", s.Minutes))
	if s.Base != "" {
		fi, err := fs.Stat(s.bases, s.Base)
		need("$.base", err == nil && fi.IsDir() && namePattern.MatchString(s.Base), fmt.Sprintf("base: no base cluster %q (fix: one of %s, or leave base out and put the whole cluster in cluster/)", s.Base, strings.Join(baseNames(s.bases), ", ")))
	}
	for i, r := range s.Removes {
		need(fmt.Sprintf("$.removes[%d]", i), r.Kind != "" && r.Name != "", fmt.Sprintf("removes[%d]: needs kind and name (and namespace for a namespaced object)", i))
	}
	need("$.story", strings.TrimSpace(s.Story) != "", "story: missing (fix: what the pager says, e.g. story: checkout times out)")
	need("$.goal", strings.TrimSpace(s.Goal) != "", "goal: missing (fix: what the student must find)")
	need("$.hints", len(s.Hints) > 0, "hints: none (fix: at least one hint, revealed one at a time with h)")
	for i, h := range s.Hints {
		need(fmt.Sprintf("$.hints[%d]", i), strings.TrimSpace(h) != "", fmt.Sprintf("hints[%d]: empty (fix: write the hint or remove the line)", i))
	}
	need("$.hintCost", s.HintCost >= 0 && s.HintCost <= MaxPoints, fmt.Sprintf("hintCost: %d is not a cost in points (fix: 0 to %d; default %d)", s.HintCost, MaxPoints, DefaultHintCost))
	ps = append(ps, judgeTarget(at, where, "$.cause", "cause", s.Cause, known)...)
	need("$.explanation", strings.TrimSpace(s.Explanation) != "", "explanation: missing (fix: why this is the root cause, shown once it is found)")
	need("$.fix", len(s.Fix) > 0, "fix: no commands (fix: the kubectl or shell commands that repair the breakage)")
	need("$.decoys", len(s.Decoys) > 0, "decoys: none (fix: at least one finding that looks guilty and is not the cause, so students reason instead of picking the only red line)")
	for i, d := range s.Decoys {
		p := fmt.Sprintf("$.decoys[%d]", i)
		ps = append(ps, judgeTarget(at, where, p, fmt.Sprintf("decoys[%d]", i), d.Target, known)...)
		need(p+".why", strings.TrimSpace(d.Why) != "", fmt.Sprintf("decoys[%d].why: missing (fix: what this finding does and does not explain, without naming the answer)", i))
		need(p, d.Target.String() != s.Cause.String(), fmt.Sprintf("decoys[%d]: the same finding as the cause (fix: a decoy is another finding)", i))
	}
	return ps
}

func judgeTarget(at func(*token.Token, string) Problems, where func(string) *token.Token, p, name string, t Target, known map[string]bool) Problems {
	var ps Problems
	switch {
	case t.Check == "":
		ps = append(ps, at(where(p+".check"), name+".check: missing (fix: the ID of the check that reports it, see kockpit checks)")...)
	case !known[t.Check]:
		ps = append(ps, at(where(p+".check"), fmt.Sprintf("%s.check: no check %q (fix: an ID from kockpit checks)", name, t.Check))...)
	}
	switch {
	case t.Object != nil && t.File != "":
		ps = append(ps, at(where(p+".file"), name+": give object (kind, namespace, name) or file (a node path), not both")...)
	case t.Object == nil && t.File == "" && t.Problem == "":
		ps = append(ps, at(where(p), name+": give object (kind, namespace, name), file (a node path) or problem (the last part of the finding's ID, e.g. no-default-class), or problem with one of the others")...)
	case t.Problem != "" && !problemPattern.MatchString(t.Problem):
		ps = append(ps, at(where(p+".problem"), fmt.Sprintf("%s.problem: %q is not a kind of problem (fix: the last part of the finding's ID, as `kockpit --report --format json` prints it: lower-case words joined by \"-\", e.g. no-default-class)", name, t.Problem))...)
	case t.Object != nil && (t.Object.Kind == "" || t.Object.Name == ""):
		ps = append(ps, at(where(p+".object"), name+".object: needs kind and name (and namespace for a namespaced object)")...)
	case t.File != "" && !strings.HasPrefix(t.File, "/"):
		ps = append(ps, at(where(p+".file"), fmt.Sprintf("%s.file: %q is not an absolute node path (fix: e.g. /etc/kubernetes/manifests/kube-apiserver.yaml)", name, t.File))...)
	}
	return ps
}

// parentPath is the YAML path one level up: "$.decoys[0].why" → "$.decoys[0]" → "$.decoys".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		return p[:strings.LastIndex(p, "[")]
	}
	if i := strings.LastIndex(p, "."); i > 0 {
		return p[:i]
	}
	return "$"
}

func categoryList() string {
	names := make([]string, len(checks.Categories))
	for i, c := range checks.Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// checkContents loads what the lesson comes with: the cluster (required), the flows and the
// manifests to apply; their errors name their own file and line.
func (s *Scenario) checkContents(ctx context.Context, display string) Problems {
	var ps Problems
	if fi, err := fs.Stat(s.fsys, path.Join(s.dir, "cluster")); err != nil || !fi.IsDir() {
		ps = append(ps, Problem{Path: path.Join(display, "cluster"), Msg: "missing: a scenario's cluster is a directory of snapshot files (fix: kockpit snapshot -o DIR/ on a broken cluster, or write the objects' YAML)"})
	} else if _, err := s.Snapshot(ctx); err != nil {
		ps = append(ps, Problem{Path: path.Join(display, "cluster"), Msg: err.Error()})
	}
	flows, err := s.FlowFiles()
	if err != nil {
		ps = append(ps, Problem{Path: path.Join(display, "flows"), Msg: err.Error()})
	}
	if len(flows) > 1 {
		ps = append(ps, Problem{Path: path.Join(display, "flows"), Msg: fmt.Sprintf("%d recordings: a scenario has one (fix: concatenate them; each line is one flow)", len(flows))})
	}
	for _, name := range flows {
		if _, err := s.Recording(ctx, name); err != nil {
			ps = append(ps, Problem{Path: path.Join(display, name), Msg: err.Error()})
		}
	}
	if s.HasHost() {
		// Unpacked once into a directory removed at once: host.yaml parses, names files the
		// tree holds, and every file is a regular file or a directory.
		if dir, err := os.MkdirTemp("", "kockpit-validate-"); err != nil {
			ps = append(ps, Problem{Path: path.Join(display, "host"), Msg: err.Error()})
		} else {
			if _, err := s.UnpackHost(dir); err != nil {
				ps = append(ps, hostProblem(display, err))
			}
			os.RemoveAll(dir)
		}
	}
	apply, err := s.ApplyFiles()
	if err != nil {
		ps = append(ps, Problem{Path: path.Join(display, "apply"), Msg: err.Error()})
	}
	if len(apply) > 0 {
		if _, err := kube.LoadSnapshotFS(ctx, s.fsys, path.Join(s.dir, "apply"), path.Join(display, "apply")); err != nil {
			ps = append(ps, Problem{Path: path.Join(display, "apply"), Msg: err.Error()})
		}
	}
	return ps
}

// hostProblem places an error unpacking the node's files: at its line in host.yaml when the
// manifest is to blame.
func hostProblem(display string, err error) Problem {
	var me *scenarios.ManifestError
	if errors.As(err, &me) {
		return Problem{Path: me.File, Line: me.Line, Column: me.Column, Msg: me.Msg}
	}
	return Problem{Path: path.Join(display, "host"), Msg: err.Error()}
}

// maxRecordingBytes bounds one recorded flows file of a scenario.
const maxRecordingBytes = 32 << 20

// Flows is the scenario's recording, or nil when it has none.
func (s *Scenario) Flows(ctx context.Context) (*hubble.Recording, error) {
	flows, err := s.FlowFiles()
	if err != nil || len(flows) == 0 {
		return nil, err
	}
	return s.Recording(ctx, flows[0])
}

// Recording reads one of the scenario's flow files.
func (s *Scenario) Recording(ctx context.Context, name string) (*hubble.Recording, error) {
	fi, err := fs.Stat(s.fsys, path.Join(s.dir, name))
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxRecordingBytes {
		return nil, fmt.Errorf("larger than %d MiB: a lesson's recording is a few minutes of flows", maxRecordingBytes>>20)
	}
	data, err := s.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return hubble.RecordingFromData(ctx, path.Join(s.Origin, name), data)
}

func baseNames(bases fs.FS) []string {
	var out []string
	entries, _ := fs.ReadDir(bases, ".")
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// Snapshot is the scenario's cluster: its base cluster, if it names one, with the scenario's
// objects over it (an object of the same kind, namespace and name replaces the base's).
func (s *Scenario) Snapshot(ctx context.Context) (*kube.Snapshot, error) {
	var layers []kube.Layer
	if s.Base != "" {
		layers = append(layers, kube.Layer{FS: s.bases, Root: s.Base, Display: "base " + s.Base})
	}
	layers = append(layers, kube.Layer{FS: s.fsys, Root: path.Join(s.dir, "cluster"), Display: path.Join(s.Origin, "cluster")})
	opts := kube.LayerOptions{Header: &kube.SnapshotHeader{APIVersion: kube.HeaderAPIVersion, Kind: kube.HeaderKind, Listed: s.listed, WrittenBy: "scenario " + s.Name}}
	for _, r := range s.Removes {
		opts.Remove = append(opts.Remove, kube.ObjectKey{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name})
	}
	return kube.LoadSnapshotLayers(ctx, "scenario "+s.Name, opts, layers...)
}
