// Package workshop holds kockpit's teaching scenarios: broken clusters carried as files, each
// with a story, hints, the finding that names the root cause, and decoys that look guilty and
// are not. A scenario is a directory:
//
//	scenario.yaml   the lesson (see Scenario)
//	cluster/        the cluster as it looks broken, as snapshot files (YAML or JSON)
//	flows/          optional: Hubble flows as `hubble observe -o jsonpb` writes them
//	apply/          optional: the manifests that cause the breakage on a real cluster
//
// The package reads and judges scenarios; building the checks' environment and running them is
// the command's job.
package workshop

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/kockpit/kockpit/checks"
)

// Levels a scenario may have, from the easiest.
var Levels = []string{"beginner", "intermediate", "expert"}

// Scenario is one lesson, as scenario.yaml writes it.
type Scenario struct {
	// Name is the scenario's directory name: what `kockpit workshop NAME` takes.
	Name     string `yaml:"-"`
	Title    string `yaml:"title"`
	Level    string `yaml:"level"`
	Category string `yaml:"category"`
	Minutes  int    `yaml:"minutes"`
	// Base names the base cluster the scenario's objects lie over ("kubeadm"): a sound cluster,
	// so a scenario's cluster/ holds only what it breaks and its decoys.
	Base string `yaml:"base"`
	// Removes are base objects the breakage deleted (a DaemonSet's pod on a node it no longer
	// runs on): taken out of the base, each must be in it.
	Removes []ObjectRef `yaml:"removes"`
	// Story is what the pager says; Goal what the student must find.
	Story string `yaml:"story"`
	Goal  string `yaml:"goal"`
	// Hints are revealed one at a time; each costs HintCost points.
	Hints    []string `yaml:"hints"`
	HintCost int      `yaml:"hintCost"`
	// Cause is the finding that names the root cause; Explanation says why, in the scenario's
	// words, once the student found it; Fix is the commands that repair it.
	Cause       Target   `yaml:"cause"`
	Explanation string   `yaml:"explanation"`
	Fix         []string `yaml:"fix"`
	// Decoys are findings that look guilty and are not the cause.
	Decoys []Decoy `yaml:"decoys"`

	fsys  fs.FS
	dir   string
	bases fs.FS
	// listed are the kinds a scenario's cluster is complete in (Library.Listed).
	listed []string
	// Origin says where the scenario was read from: "embedded" or the teacher's directory.
	Origin string `yaml:"-"`
}

// Target is a finding a scenario expects: the check that reports it and the object or node
// file it is about (at most one of the two), or its kind of problem, or both. Problem is the
// last part of the finding's ID ("no-default-class"): it names a finding about no object (a
// cluster without a default StorageClass) or about a pseudo-path (a Corefile line), and tells
// apart two findings of one check about one object.
type Target struct {
	Check   string     `yaml:"check"`
	Object  *ObjectRef `yaml:"object"`
	File    string     `yaml:"file"`
	Problem string     `yaml:"problem"`
}

// ObjectRef names a Kubernetes object; APIVersion is optional.
type ObjectRef struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Namespace  string `yaml:"namespace"`
	Name       string `yaml:"name"`
}

// is says whether o is the object r names.
func (r *ObjectRef) is(o checks.ObjectRef) bool {
	return strings.EqualFold(o.Kind, r.Kind) && o.Namespace == r.Namespace && o.Name == r.Name &&
		(r.APIVersion == "" || o.APIVersion == r.APIVersion)
}

// Decoy is a finding a student may blame, and why it is not the cause: what it does and does
// not explain, without naming the answer.
type Decoy struct {
	Target `yaml:",inline"`
	Why    string `yaml:"why"`
}

// DefaultHintCost is what a hint costs when a scenario does not say.
const DefaultHintCost = 10

// MaxPoints is what a scenario is worth solved without hints.
const MaxPoints = 100

// Points is what solving the scenario is worth after hints revealed; never below a tenth.
func (s *Scenario) Points(hints int) int {
	cost := s.HintCost
	if cost == 0 {
		cost = DefaultHintCost
	}
	return max(MaxPoints-hints*cost, MaxPoints/10)
}

// FlowFiles are the scenario's recorded flows, in name order.
func (s *Scenario) FlowFiles() ([]string, error) { return s.filesIn("flows", ".jsonpb") }

// ApplyFiles are the manifests that cause the breakage on a real cluster, in name order; none
// when the breakage cannot be applied (a node's files, the control plane, Hubble).
func (s *Scenario) ApplyFiles() ([]string, error) { return s.filesIn("apply", ".yaml", ".yml") }

// maxFileBytes bounds any one file of a scenario (its cluster files, a recording, a node file).
const maxFileBytes = 32 << 20

// ReadFile reads one of the scenario's files by its path inside the scenario: a regular file,
// within maxFileBytes.
func (s *Scenario) ReadFile(name string) ([]byte, error) {
	p := path.Join(s.dir, name)
	fi, err := fs.Stat(s.fsys, p)
	switch {
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file", name)
	case fi.Size() > maxFileBytes:
		return nil, fmt.Errorf("%s: larger than %d MiB, more than a lesson needs: kockpit did not read it", name, maxFileBytes>>20)
	}
	data, err := fs.ReadFile(s.fsys, p)
	if err == nil && len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB, more than a lesson needs: kockpit did not read it", name, maxFileBytes>>20)
	}
	return data, err
}

// scenarioParts are what a scenario is made of; export copies these and nothing else.
var scenarioParts = []string{"scenario.yaml", "host.yaml", "cluster/", "flows/", "apply/", "host/"}

// Files lists every file of the scenario, by its path inside it, for export.
func (s *Scenario) Files() ([]string, error) {
	var out []string
	err := fs.WalkDir(s.fsys, s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, s.dir), "/")
		if d.Type().IsRegular() && slices.ContainsFunc(scenarioParts, func(part string) bool {
			return rel == part || strings.HasSuffix(part, "/") && strings.HasPrefix(rel, part)
		}) {
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}

func (s *Scenario) filesIn(sub string, exts ...string) ([]string, error) {
	entries, err := fs.ReadDir(s.fsys, path.Join(s.dir, sub))
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && slices.ContainsFunc(exts, func(x string) bool { return strings.HasSuffix(e.Name(), x) }) {
			out = append(out, path.Join(sub, e.Name()))
		}
	}
	return out, nil
}

// Matches says whether a finding of check is the one the target names.
func (t Target) Matches(check string, f checks.Finding) bool {
	if check != t.Check || t.Problem != "" && !hasProblem(f.ID, t.Problem) {
		return false
	}
	switch {
	case t.Object != nil:
		if f.Object != nil && t.Object.is(*f.Object) {
			return true
		}
		// A problem about no one object (no default StorageClass) is named with an object it
		// keeps broken, which its finding explains: that object must survive for a solve.
		return t.Problem != "" && slices.ContainsFunc(f.Explains, t.Object.is)
	case t.File != "":
		return f.File != nil && path.Clean(f.File.Path) == path.Clean(t.File)
	}
	return t.Problem != ""
}

// hasProblem says whether a finding's ID ends in the kind of problem: "…/no-default-class", or
// "…/no-default-class-2" for the second of one result with the same ID (checks.FindingID).
func hasProblem(id, problem string) bool {
	i := strings.LastIndex(id, "/")
	if i < 0 {
		return false // not an ID the runner gave
	}
	last := id[i+1:]
	if last == problem {
		return true
	}
	n, found := strings.CutPrefix(last, problem+"-")
	return found && n != "" && strings.Trim(n, "0123456789") == ""
}

// String names the target for messages: "dns.policy on Deployment shop/storefront",
// "storage.classes: no-default-class".
func (t Target) String() string {
	out := t.Check
	switch {
	case t.Object != nil && t.Object.Namespace != "":
		out = fmt.Sprintf("%s on %s %s/%s", t.Check, t.Object.Kind, t.Object.Namespace, t.Object.Name)
	case t.Object != nil:
		out = fmt.Sprintf("%s on %s %s", t.Check, t.Object.Kind, t.Object.Name)
	case t.File != "":
		out = fmt.Sprintf("%s on %s", t.Check, t.File)
	}
	if t.Problem != "" {
		out += ": " + t.Problem
	}
	return out
}
