package workshop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStatePath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/xdg")
	if p, _ := StatePath(); p != "/xdg/kockpit/workshops.json" {
		t.Errorf("with XDG_STATE_HOME: %s", p)
	}
	t.Setenv("XDG_STATE_HOME", "relative") // invalid by the spec: ignored
	t.Setenv("HOME", "/home/s")
	if p, _ := StatePath(); p != "/home/s/.local/state/kockpit/workshops.json" {
		t.Errorf("default: %s", p)
	}
}

// TestStateRecord: a solve is written where the state lives (its directory made), read back,
// and a worse solve of the same scenario keeps the best.
func TestStateRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "kockpit", "workshops.json")
	st, err := LoadState(path)
	if err != nil || len(st.Solved) != 0 {
		t.Fatalf("missing file: %v %+v", err, st)
	}
	at := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	if err := st.Record("dns", Solve{At: at, Seconds: 300, Hints: 1, Points: 90}); err != nil {
		t.Fatal(err)
	}
	if err := st.Record("dns", Solve{At: at.Add(time.Hour), Seconds: 100, Hints: 3, Points: 70}); err != nil {
		t.Fatal(err)
	}
	again, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Solved["dns"]; got.Points != 90 || got.Seconds != 300 || !got.At.Equal(at) {
		t.Errorf("kept %+v, want the 90-point solve", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the state file (no temporary left)", len(entries))
	}
}

// TestStateDamaged: a state file kockpit cannot read is named and never replaced.
func TestStateDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workshops.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadState(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move the file away") {
		t.Fatalf("got %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "{not json" {
		t.Errorf("the damaged file changed: %q", data)
	}
}
