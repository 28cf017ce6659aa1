// Package workloads holds the checks of why workloads do not run: references that point nowhere
// (and, from other branches, scheduling, nodes, controllers and quotas).
package workloads

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the workloads checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		referencesCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
