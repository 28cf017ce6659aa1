// Package network holds the checks of the pod network: the CNI agents and their configuration, Services and their endpoints, and network policies of every flavour.
package network

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the network checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		cniCheck,
		policiesCheck,
		servicesCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
