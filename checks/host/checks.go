// Package host holds the checks of one node's files, read under a root: binaries, certificates, CNI configuration, the kubelet's configuration, the resolver, shell start-up files, and what changed lately.
package host

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the host checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		binariesCheck,
		certificatesCheck,
		cniCheck,
		diskCheck,
		immutableCheck,
		kernelCheck,
		kubeletCheck,
		kubeletFilesCheck,
		lookalikesCheck,
		preloadCheck,
		resolverCheck,
		shellCheck,
		timelineCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
