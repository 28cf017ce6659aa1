package storage

import (
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

// withStorage applies the healthy storage fixture and the named breakages (dirs under
// testdata/fixtures/storage) to the test cluster for the test.
func withStorage(t *testing.T, dirs ...string) {
	t.Helper()
	files := []string{checktest.Fixture("storage/healthy")}
	for _, d := range dirs {
		files = append(files, checktest.Fixture("storage/"+d))
	}
	checktest.Cluster(t).Apply(t, files...)
}

// offlineCopy is what the test cluster holds, as an offline snapshot taken at now, minus the
// objects drop matches: events expire, and a later moment makes waits long.
func offlineCopy(t *testing.T, now time.Time, drop func(kind string) bool) *checks.Env {
	t.Helper()
	live := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	var keep []runtime.Object
	for _, r := range kube.KnownResources {
		objs, err := live.Snapshot.List(t.Context(), r)
		if err != nil {
			continue // kinds this cluster does not serve (the CRDs)
		}
		for _, o := range objs {
			if _, err := meta.Accessor(o); err != nil {
				t.Fatal(err)
			}
			if drop == nil || !drop(r.Kind) {
				keep = append(keep, o)
			}
		}
	}
	snap, err := kube.NewObjectSnapshot(t.Context(), keep...)
	if err != nil {
		t.Fatal(err)
	}
	return &checks.Env{Snapshot: snap, Now: func() time.Time { return now }}
}

// requireFolded fails unless the cause finding names the symptom finding by ID.
func requireFolded(t *testing.T, cause, symptom checks.Finding) {
	t.Helper()
	if !cause.Cause {
		t.Errorf("%q is not marked a cause", cause.Message)
	}
	if symptom.Cause {
		t.Errorf("symptom %q is marked a cause", symptom.Message)
	}
	if !slices.Contains(cause.ExplainsFindings, symptom.ID) {
		t.Errorf("cause %q explains %q, not the symptom %s", cause.Message, cause.ExplainsFindings, symptom.ID)
	}
}

func toObjects(in []any) []runtime.Object {
	out := make([]runtime.Object, 0, len(in))
	for _, o := range in {
		out = append(out, o.(runtime.Object))
	}
	return out
}
