// Package hubble holds the checks of Cilium Hubble: whether the network's flight recorder is on,
// what the network dropped and why (which policy), and DNS answers that failed, from a relay or
// a recording of flows.
package hubble

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the Hubble checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		dnsCheck,
		dropsCheck,
		statusCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
