package checks

import (
	"fmt"
	"strings"
)

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
