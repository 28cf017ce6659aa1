// Package runtime holds the checks of the container runtime: why containers do not start, seen
// from the API (pods, events, RuntimeClasses, nodes) and from the node over CRI (the runtime's
// status, its containers and sandboxes, its configuration).
package runtime

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the runtime checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		classesCheck,
		configCheck,
		containersCheck,
		criCheck,
		nodesCheck,
		podsCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
