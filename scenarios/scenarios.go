// Package scenarios holds the broken clusters kockpit carries with it: the demo that
// `make demo` opens, and the workshop scenarios. They are snapshot files embedded in the
// binary, so they run offline.
package scenarios

import (
	"context"
	"embed"
	"io/fs"

	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/hubble"
)

//go:embed demo
var files embed.FS

//go:embed all:workshops
var workshops embed.FS

//go:embed bases
var bases embed.FS

// Bases holds the sound clusters workshop scenarios break, one directory each: kubeadm is a
// kubeadm-style cluster, v1.37.2, three nodes, Flannel, CoreDNS (the tests' healthy fixture).
func Bases() fs.FS { return sub(bases, "bases") }

// Workshops holds the workshop scenarios, one directory each (see package workshop).
func Workshops() fs.FS { return sub(workshops, "workshops") }

func sub(fsys embed.FS, dir string) fs.FS {
	out, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the directory is embedded: it exists
	}
	return out
}

//go:embed flows/demo.jsonpb
var demoFlows []byte

// Demo returns the snapshot of the demo cluster: a small kubeadm-style cluster broken in the
// ways the "Klustered" guests met (see ../shared/klustered.md).
func Demo(ctx context.Context) (*kube.Snapshot, error) {
	return kube.LoadSnapshotFS(ctx, files, "demo", "embedded demo cluster")
}

// DemoFlows is the demo cluster's Hubble recording, as `hubble observe -o jsonpb` wrote it:
// what the network dropped while the demo's storefront was broken.
func DemoFlows(ctx context.Context) (*hubble.Recording, error) {
	return hubble.RecordingFromData(ctx, "the demo's Hubble recording", demoFlows)
}
