// Package versions holds the checks of version skew: nodes, control plane, container runtimes and the kubectl on this machine and on the node.
package versions

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the versions checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		kubectlCheck,
		nodeKubectlCheck,
		nodesCheck,
		runtimeCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
