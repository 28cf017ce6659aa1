// Package workloads holds the checks of why workloads do not run: pods the scheduler cannot
// place (and why, node by node), nodes that strand pods, controllers short of ready, quotas,
// limits and disruption budgets that refuse or block pods, and references that point nowhere.
package workloads

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the workloads checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		controllersCheck,
		nodesCheck,
		quotasCheck,
		referencesCheck,
		schedulingCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
