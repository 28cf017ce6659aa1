package checks

import (
	"context"
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kockpit/kockpit/kube"
)

func TestSkipOrErrorMapsSnapshotErrors(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("RBAC"))
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "cilium.io", Resource: "ciliumnetworkpolicies"}, "")
	cases := []struct {
		name   string
		err    error
		status Status
		reason SkipReason
	}{
		{"forbidden", fmt.Errorf("listing pods: %w", forbidden), StatusSkip, SkipForbidden},
		{"offline", fmt.Errorf("reading: %w", kube.ErrOffline), StatusSkip, SkipOffline},
		{"not collected", &kube.NotCollectedError{Resource: kube.Pods, Source: "dump/"}, StatusSkip, SkipNotCollected},
		{"not installed", fmt.Errorf("listing: %w", &kube.NotInstalledError{Resource: kube.Pods, Err: notFound}), StatusSkip, SkipNotInstalled},
		{"timeout", fmt.Errorf("waiting for the list of pods: %w", context.DeadlineExceeded), StatusError, ""},
		{"unauthorized", apierrors.NewUnauthorized("token expired"), StatusError, ""},
	}
	for _, c := range cases {
		r := SkipOrError(c.err)
		if r.Status != c.status || r.SkipReason != c.reason || r.Summary == "" {
			t.Errorf("%s: got %s (%q) %q, want %s (%q)", c.name, r.Status, r.SkipReason, r.Summary, c.status, c.reason)
		}
	}
}
