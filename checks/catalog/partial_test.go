package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/scenarios"
)

// demoObjects are the demo cluster's objects, by kind.
func demoObjects(t *testing.T) map[kube.Resource][]runtime.Object {
	t.Helper()
	demo, err := scenarios.Demo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[kube.Resource][]runtime.Object{}
	for _, r := range kube.KnownResources {
		objs, err := demo.List(context.Background(), r)
		switch {
		case errors.Is(err, kube.ErrNotCollected):
			continue
		case err != nil:
			t.Fatalf("demo: %v", err)
		}
		out[r] = objs
	}
	return out
}

// namesKind says whether text names the resource, as Partial does (endpointslices.discovery.k8s.io)
// or as a check words it (EndpointSlices, EndpointSlice).
func namesKind(text string, r kube.Resource) bool {
	lower := strings.ToLower(text)
	return strings.Contains(lower, r.String()) || strings.Contains(lower, r.Resource) || strings.Contains(lower, strings.ToLower(r.Kind))
}

// Partial data, partial answer: with any one kind a check reads left out of the demo's
// snapshot, the check either runs on what is there and names the kind left out, or skips with
// a reason naming it. It never errors, and never passes silently.
func TestEveryCheckNamesTheKindsLeftOut(t *testing.T) {
	objects := demoObjects(t)
	for _, c := range All() {
		if c.Needs&checks.NeedsObjects == 0 || c.Needs&(checks.NeedsLiveAPI|checks.NeedsHost) != 0 {
			continue
		}
		for _, left := range c.Reads {
			if len(objects[left]) == 0 {
				continue // the demo has none: leaving it out changes nothing
			}
			var keep []runtime.Object
			for r, objs := range objects {
				if r != left {
					keep = append(keep, objs...)
				}
			}
			snap, err := kube.NewObjectSnapshot(context.Background(), keep...)
			if err != nil {
				t.Fatal(err)
			}
			env := &checks.Env{Snapshot: snap, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }, Selected: All()}
			var got checks.Result
			for r := range checks.Run(context.Background(), []checks.Check{c}, env, checks.RunOptions{Timeout: 20 * time.Second}) {
				got = r
			}
			switch {
			case got.Status == checks.StatusError:
				t.Errorf("%s without %s: an Error: %s", c.ID, left, got.Summary)
			case got.Status == checks.StatusSkip && !namesKind(got.Summary, left):
				t.Errorf("%s without %s: skipped without naming it: %q", c.ID, left, got.Summary)
			case got.Status != checks.StatusSkip && !namesKind(got.Summary, left):
				t.Errorf("%s without %s: %s, and its summary does not name the kind left out: %q", c.ID, left, got.Status, got.Summary)
			}
		}
	}
}
