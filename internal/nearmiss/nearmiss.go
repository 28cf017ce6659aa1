// Package nearmiss measures how near a value comes to the one wanted: one edit away, a case or
// look-alike difference.
package nearmiss

import (
	"strings"

	"github.com/kockpit/kockpit/safetext"
)

// Nearness says how two different strings are close: "a look-alike character", "case", "one
// character", or otherwise fallback.
func Nearness(want, have, fallback string) string {
	switch {
	case safetext.LooksSame(want, have) || len(safetext.Suspicious(want)) > 0 && OneEdit(want, have):
		return "a look-alike character"
	case strings.EqualFold(want, have):
		return "case"
	case OneEdit(want, have):
		return "one character"
	}
	return fallback
}

// OneEdit reports whether a and b differ by exactly one inserted, deleted or replaced character.
func OneEdit(a, b string) bool {
	if a == b {
		return false
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	if len(ra)-len(rb) > 1 {
		return false
	}
	i := 0
	for i < len(rb) && ra[i] == rb[i] {
		i++
	}
	if len(ra) == len(rb) {
		return string(ra[i+1:]) == string(rb[i+1:])
	}
	return string(ra[i+1:]) == string(rb[i:])
}
