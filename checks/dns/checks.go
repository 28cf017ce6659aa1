// Package dns holds the checks of cluster DNS: the kube-dns Service, CoreDNS and its Corefile, the kubelets' --cluster-dns, the pods' dnsPolicy, and a live question to CoreDNS.
package dns

import (
	"embed"

	"github.com/kockpit/kockpit/checks"
)

// Checks lists the DNS checks, one file each, named after the second part of the ID.
func Checks() []checks.Check {
	return []checks.Check{
		corefileCheck,
		kubeletClusterdnsCheck,
		policyCheck,
		probeCheck,
		serviceCheck,
	}
}

//go:embed learn/*.md
var learnFiles embed.FS

// learn is the Learn text of the check, from learn/<id>.md.
func learn(id string) string { return checks.LearnText(learnFiles, id) }
