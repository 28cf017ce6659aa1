package storage

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

// The same fixtures read as snapshot files (kockpit --snapshot): the offline run names the
// same causes and folds the same symptoms as the live one.
func TestStorageOfflineSnapshotFiles(t *testing.T) {
	env := snapshotOf(t, "healthy", "storage/healthy", "storage/orphan-provisioner", "storage/multi-attach")

	classes := checktest.RunCheck(t, env, "storage.classes")
	cause := checktest.RequireObjectFinding(t, classes, checks.StatusFail, "StorageClass", "", "ceph-rbd", "runs nowhere")
	claims := checktest.RunCheck(t, env, "storage.claims")
	requireFolded(t, cause, checktest.RequireObjectFinding(t, claims, checks.StatusFail, "PersistentVolumeClaim", "team-a", "pg-data", "which runs nowhere"))

	attachments := checktest.RunCheck(t, env, "storage.attachments")
	gone := checktest.RequireObjectFinding(t, attachments, checks.StatusFail, "VolumeAttachment", "", "csi-6b7c8d9e0f", "which is gone")
	requireFolded(t, gone, checktest.RequireObjectFinding(t, attachments, checks.StatusFail, "PersistentVolumeClaim", "team-a", "queue", "Multi-Attach error"))
	checktest.RequireNoProblems(t, checktest.RunCheck(t, env, "storage.drivers"))
}

func TestStorageOfflineHealthy(t *testing.T) {
	env := snapshotOf(t, "healthy", "storage/healthy")
	for _, id := range []string{"storage.attachments", "storage.claims", "storage.classes", "storage.drivers"} {
		r := checktest.RunCheck(t, env, id)
		checktest.RequireNoProblems(t, r)
		if r.Status != checks.StatusOK {
			t.Errorf("%s: %v %s", id, r.Status, r.Summary)
		}
	}
}

// snapshotOf writes the fixtures' files into one snapshot directory and reads it as
// --snapshot does, at testNow.
func snapshotOf(t *testing.T, fixtures ...string) *checks.Env {
	t.Helper()
	dir := t.TempDir()
	for _, fixture := range fixtures {
		files, err := filepath.Glob(filepath.Join(checktest.Fixture(fixture), "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("fixture %s: %v", fixture, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, filepath.Base(filepath.Dir(f))+"-"+filepath.Base(f))
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	snap, err := kube.LoadSnapshot(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return &checks.Env{Snapshot: snap, Now: func() time.Time { return testNow }}
}
