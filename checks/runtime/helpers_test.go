package runtime

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// testNow is the clock of offline tests: a little after the fixtures' newest event.
var testNow = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)

// offlineEnv loads fixture directories as one snapshot, as --snapshot does.
func offlineEnv(t *testing.T, dirs ...string) *checks.Env {
	t.Helper()
	all := t.TempDir()
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(all, filepath.Base(dir)+"-"+e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	snap, err := kube.LoadSnapshot(t.Context(), all)
	if err != nil {
		t.Fatal(err)
	}
	return &checks.Env{Snapshot: snap, Now: func() time.Time { return testNow }}
}
