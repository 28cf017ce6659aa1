package triage

import (
	"slices"

	"github.com/kockpit/kockpit/checks"
)

// graph links a run's findings: groups of cause findings (those about the same object merged)
// and, for each group, the findings it explains directly.
type graph struct {
	all      []Ref
	byID     map[string]int
	byObject map[objectKey][]int
	groups   [][]int        // each group: indices into all of its cause findings
	groupOf  map[int]int    // cause finding index → its group
	explains []map[int]bool // per group: the findings it explains directly (none of its own)
}

func newGraph(results []checks.Result, categories map[string]checks.Category) *graph {
	g := &graph{byID: map[string]int{}, byObject: map[objectKey][]int{}, groupOf: map[int]int{}}
	for _, r := range results {
		for _, f := range r.Findings {
			i := len(g.all)
			g.all = append(g.all, Ref{CheckID: r.CheckID, Category: categories[r.CheckID], Finding: f})
			if f.ID != "" {
				g.byID[f.ID] = i
			}
			if f.Object != nil {
				k := keyOf(*f.Object)
				g.byObject[k] = append(g.byObject[k], i)
			}
		}
	}
	// Causes about the same object that explain others are one cause named by several checks;
	// a standalone cause stays its own (one check's "no etcd pod" and "no scheduler pod" are two
	// causes), and what was written in an object (Written) is not one cause with what the
	// object shows.
	type sameCause struct {
		obj     objectKey
		written bool
	}
	groupOfCause := map[sameCause]int{}
	for i, ref := range g.all {
		f := ref.Finding
		if !f.Cause || f.Severity < checks.StatusWarn {
			continue
		}
		if f.Object != nil && !standaloneCause(f) {
			k := sameCause{keyOf(*f.Object), f.Written}
			if gi, ok := groupOfCause[k]; ok {
				g.groups[gi] = append(g.groups[gi], i)
				g.groupOf[i] = gi
				continue
			}
			groupOfCause[k] = len(g.groups)
		}
		g.groupOf[i] = len(g.groups)
		g.groups = append(g.groups, []int{i})
	}
	for gi := range g.groups {
		g.explains = append(g.explains, g.directlyExplained(gi))
	}
	// A finding that names what explains it (a drop, its policy) is explained by every cause
	// about that object: the cause is above it, whichever check found it.
	for j, ref := range g.all {
		if ref.Finding.Severity < checks.StatusWarn {
			continue
		}
		for _, o := range ref.Finding.ExplainedBy {
			for _, i := range g.byObject[keyOf(o)] {
				if gi, ok := g.groupOf[i]; ok && i != j && !(g.isCause(j) && g.groupOf[j] == gi) {
					g.explains[gi][j] = true
				}
			}
		}
	}
	return g
}

// directlyExplained is what a group's findings explain: the findings they name by ID and the
// findings about the objects they name, of Warn or Fail, none of the group's own.
func (g *graph) directlyExplained(gi int) map[int]bool {
	out := map[int]bool{}
	add := func(j int) {
		if g.all[j].Finding.Severity >= checks.StatusWarn && !(g.isCause(j) && g.groupOf[j] == gi) {
			out[j] = true
		}
	}
	for _, i := range g.groups[gi] {
		f := g.all[i].Finding
		for _, id := range f.ExplainsFindings {
			if j, ok := g.byID[id]; ok {
				add(j)
			}
		}
		// A cause about one object alone explains the symptoms of that object, not the other
		// causes found there: a kubelet too old on a node does not explain a taint on it. No
		// object explains what was written in it (Written).
		alone := standaloneCause(f)
		for _, o := range f.Explains {
			for _, j := range g.byObject[keyOf(o)] {
				if !g.standalone(j) && !(alone && g.isCause(j)) && !g.all[j].Finding.Written {
					add(j)
				}
			}
		}
	}
	return out
}

// standalone says whether a finding is a cause that explains nothing beyond its own object (a
// kubelet too old on a node): a problem in its own right, which a cause naming the same object
// (a CNI agent missing there) does not explain. Only a cause naming it by ID does.
func (g *graph) standalone(i int) bool { return g.isCause(i) && standaloneCause(g.all[i].Finding) }

func standaloneCause(f checks.Finding) bool {
	if !f.Cause || len(f.ExplainsFindings) > 0 || f.Object == nil {
		return false
	}
	for _, o := range f.Explains {
		if keyOf(o) != keyOf(*f.Object) {
			return false
		}
	}
	return true
}

func (g *graph) isCause(i int) bool { _, ok := g.groupOf[i]; return ok }

// reach is every group a group explains, directly or through the causes it explains.
func (g *graph) reach(gi int) map[int]bool {
	seen := map[int]bool{gi: true}
	queue := []int{gi}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for j := range g.explains[cur] {
			if h, ok := g.groupOf[j]; ok && !seen[h] {
				seen[h] = true
				queue = append(queue, h)
			}
		}
	}
	return seen
}

// roots are the groups no other cause explains, each merged with the causes that explain it
// back (a cycle: two checks' causes naming each other's object are one cause). Each root is
// given as its groups, the first its own.
func (g *graph) roots() [][]int {
	reach := make([]map[int]bool, len(g.groups))
	for gi := range g.groups {
		reach[gi] = g.reach(gi)
	}
	var out [][]int
	taken := map[int]bool{}
	for gi := range g.groups {
		if taken[gi] {
			continue
		}
		explained := false
		comp := []int{gi}
		for h := range g.groups {
			if h == gi || !reach[h][gi] {
				continue
			}
			if !reach[gi][h] {
				explained = true // a cause above it: it is a symptom there
				break
			}
			comp = append(comp, h) // they explain each other: one cause
		}
		if explained {
			continue
		}
		for _, h := range comp {
			taken[h] = true
		}
		out = append(out, comp)
	}
	return out
}

// cause builds a root's Cause: the findings of its groups, and every finding its groups reach.
func (g *graph) cause(comp []int) Cause {
	var c Cause
	own := map[int]bool{}
	for _, gi := range comp {
		for _, i := range g.groups[gi] {
			own[i] = true
		}
	}
	ids := sortedKeys(own)
	// The gravest finding lowest in the stack names the cause first.
	slices.SortStableFunc(ids, func(a, b int) int {
		fa, fb := g.all[a], g.all[b]
		if fa.Finding.Severity != fb.Finding.Severity {
			return int(fb.Finding.Severity) - int(fa.Finding.Severity)
		}
		return rankOf(fa.Category) - rankOf(fb.Category)
	})
	for _, i := range ids {
		c.Findings = append(c.Findings, g.all[i])
	}
	c.Severity, c.Category = c.Findings[0].Finding.Severity, c.Findings[0].Category
	symptoms := map[int]bool{}
	for _, gi := range comp {
		for h := range g.reach(gi) {
			for j := range g.explains[h] {
				if !own[j] {
					symptoms[j] = true
				}
			}
			if !slices.Contains(comp, h) {
				for _, j := range g.groups[h] {
					symptoms[j] = true
				}
			}
		}
	}
	objects := map[objectKey]bool{}
	for _, i := range sortedKeys(symptoms) { // in the run's order
		c.Symptoms = append(c.Symptoms, g.all[i])
		if o := g.all[i].Finding.Object; o != nil {
			objects[keyOf(*o)] = true
		}
	}
	for _, i := range ids {
		for _, o := range g.all[i].Finding.Explains {
			objects[keyOf(o)] = true
		}
	}
	c.Objects = len(objects)
	return c
}

func sortedKeys(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}
