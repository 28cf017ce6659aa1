package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
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

func TestSkipOrErrorNamesAnUnansweredRequestPlainly(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: syscall.ECONNREFUSED}
	err := fmt.Errorf("listing pods: page 1: %w", &url.Error{Op: "Get", URL: "https://127.0.0.1:1/api/v1/pods?limit=500", Err: dial})
	r := SkipOrError(err)
	if r.Status != StatusError {
		t.Fatalf("status %s, want error: a check that could not look must not pass or skip quietly", r.Status)
	}
	if !strings.HasPrefix(r.Summary, "listing pods: ") || !strings.Contains(r.Summary, "refused") ||
		!strings.Contains(r.Summary, "see api.reachable") || strings.Contains(r.Summary, "limit=500") {
		t.Errorf("summary %q: want the step, the classified cause and no raw URL", r.Summary)
	}
}
