// Package triage puts causes first: after a run it merges the causes every check named, links
// each to the symptoms it explains across checks, and ranks them by what they explain. It is
// pure: results in, ranked causes out.
package triage

import (
	"cmp"
	"slices"

	"github.com/kockpit/kockpit/checks"
)

// Ref is one finding of a run, with the check that gave it.
type Ref struct {
	CheckID  string
	Category checks.Category
	Finding  checks.Finding
}

// Cause is one root cause of a run: the findings that name it (several when checks name a
// cause about the same object, or causes that explain each other), and the findings it
// explains, directly or through the causes it explains.
type Cause struct {
	Findings []Ref
	Symptoms []Ref
	// Objects counts the distinct objects it affects: those its findings explain and those its
	// symptoms are about.
	Objects  int
	Severity checks.Severity
	Category checks.Category
}

// Triage is a run's causes, ranked, and which cause each symptom is folded under.
type Triage struct {
	Causes []Cause
	// foldedUnder maps a symptom's finding ID to the index of the first (highest-ranked) cause
	// that explains it.
	foldedUnder map[string]int
}

// FoldedUnder returns the index in Causes of the first cause explaining the finding, or false
// when no cause explains it (or it is itself a root cause).
func (t *Triage) FoldedUnder(findingID string) (int, bool) {
	if t == nil {
		return 0, false
	}
	i, ok := t.foldedUnder[findingID]
	return i, ok
}

// categoryRank puts the control plane and DNS before the network, nodes and workloads: when
// two causes explain as much, the one lower in the stack is the likelier root.
var categoryRank = map[checks.Category]int{
	checks.CategoryAPI: 0, checks.CategoryDNS: 1, checks.CategoryNetwork: 2, checks.CategoryHost: 3,
	checks.CategoryRuntime: 4, checks.CategoryStorage: 5, checks.CategoryHubble: 6,
	checks.CategoryWorkloads: 7, checks.CategoryVersions: 8,
}

func rankOf(c checks.Category) int {
	if r, ok := categoryRank[c]; ok {
		return r
	}
	return len(categoryRank)
}

// objectKey is an object as Explains names it: some checks leave out the API version.
type objectKey struct{ kind, namespace, name string }

func keyOf(o checks.ObjectRef) objectKey { return objectKey{o.Kind, o.Namespace, o.Name} }

// Rank triages the results of a run. categories gives each check's category (a check missing
// from it ranks last among equals). Only causes of Warn or Fail are ranked; a finding of OK
// severity is never a symptom.
func Rank(results []checks.Result, categories map[string]checks.Category) *Triage {
	g := newGraph(results, categories)
	roots := g.roots()
	t := &Triage{foldedUnder: map[string]int{}}
	for _, comp := range roots {
		t.Causes = append(t.Causes, g.cause(comp))
	}
	slices.SortStableFunc(t.Causes, compareCauses)
	for i, c := range t.Causes {
		for _, s := range c.Symptoms {
			if _, ok := t.foldedUnder[s.Finding.ID]; !ok {
				t.foldedUnder[s.Finding.ID] = i
			}
		}
	}
	return t
}

// compareCauses orders causes: the most objects affected first, then the gravest, then the
// lowest in the stack, then the most symptoms, then by finding ID for a stable order.
func compareCauses(a, b Cause) int {
	return cmp.Or(
		cmp.Compare(b.Objects, a.Objects),
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(rankOf(a.Category), rankOf(b.Category)),
		cmp.Compare(len(b.Symptoms), len(a.Symptoms)),
		cmp.Compare(a.Findings[0].Finding.ID, b.Findings[0].Finding.ID),
	)
}
