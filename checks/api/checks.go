// Package api holds the checks of the API server: can kockpit reach it, who am I, is it healthy, and what in front of it (admission webhooks, aggregated APIs, the control plane's flags) breaks requests.
package api

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the API server checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		accessCheck,
		admissionCheck,
		apiservicesCheck,
		controlPlaneCheck,
		healthCheck,
		kubeconfigCheck,
		lookalikesCheck,
		reachableCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
