// Package scenarios holds the broken clusters kockpit carries with it: the demo that
// `make demo` opens, and the workshop scenarios. They are snapshot files embedded in the
// binary, so they run offline.
package scenarios

import (
	"context"
	"embed"

	"github.com/kockpit/kockpit/kube"
)

//go:embed demo
var files embed.FS

// Demo returns the snapshot of the demo cluster: a small kubeadm-style cluster broken in the
// ways the "Klustered" guests met (see ../shared/klustered.md).
func Demo(ctx context.Context) (*kube.Snapshot, error) {
	return kube.LoadSnapshotFS(ctx, files, "demo", "embedded demo cluster")
}
