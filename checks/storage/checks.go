// Package storage holds the checks of persistent storage: StorageClasses and their provisioners,
// claims and volumes, CSI drivers and their registration on nodes, attachments and mounts. They
// follow each volume along its chain (claim, class, driver, CSINode, attachment, pod) and name
// the first broken link as the cause, the later links' symptoms folded under it.
package storage

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the storage checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		attachmentsCheck,
		claimsCheck,
		classesCheck,
		driversCheck,
		pluginsRegistryCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
