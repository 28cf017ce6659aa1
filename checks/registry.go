package checks

import (
	"fmt"
	"sort"
	"strings"
)

// registry holds every check, in the order they were registered; each file registers its own
// check(s) from init, so adding a check is adding a file.
var registry []Check

func register(c Check) {
	for _, existing := range registry {
		if existing.ID == c.ID {
			panic("checks: duplicate check ID " + c.ID)
		}
	}
	registry = append(registry, c)
}

// All returns every registered check, ordered by category then ID.
func All() []Check {
	out := append([]Check(nil), registry...)
	rank := map[Category]int{}
	for i, c := range Categories {
		rank[c] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Category] != rank[out[j].Category] {
			return rank[out[i].Category] < rank[out[j].Category]
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Select filters checks by --only and --skip. Each selector is a check ID ("api.reachable"),
// an ID prefix ending in "." or "*" ("api.", "api.*"), or a category name ("API", any case).
// An unknown selector is an error, so a typo never silently selects nothing.
func Select(all []Check, only, skip []string) ([]Check, error) {
	match := func(sel string, c Check) bool {
		switch {
		case strings.EqualFold(sel, string(c.Category)):
			return true
		case strings.HasSuffix(sel, "*"):
			return strings.HasPrefix(c.ID, strings.TrimSuffix(sel, "*"))
		case strings.HasSuffix(sel, "."):
			return strings.HasPrefix(c.ID, sel)
		default:
			return sel == c.ID
		}
	}
	for _, sel := range append(append([]string(nil), only...), skip...) {
		known := false
		for _, c := range all {
			if match(sel, c) {
				known = true
				break
			}
		}
		if !known {
			return nil, fmt.Errorf("unknown check or category %q (see 'kockpit checks' for the list)", sel)
		}
	}
	var out []Check
	for _, c := range all {
		keep := len(only) == 0
		for _, sel := range only {
			keep = keep || match(sel, c)
		}
		for _, sel := range skip {
			if match(sel, c) {
				keep = false
			}
		}
		if keep {
			out = append(out, c)
		}
	}
	return out, nil
}
