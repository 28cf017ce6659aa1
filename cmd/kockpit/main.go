// Command kockpit is a cockpit for debugging broken Kubernetes clusters live: it runs a
// checklist of health probes and shows what it found, with the kubectl command that shows the
// same thing. See README.md.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// version is stamped at build time (-ldflags "-X main.version=v0.1.0"); it is also in the
// User-Agent, which the read-only proof of the tests filters by.
var version = "dev"

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(execute(os.Args[1:], streams))
}
