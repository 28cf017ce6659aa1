package workshop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kockpit/kockpit/internal/inputfile"
	"github.com/kockpit/kockpit/report"
	"github.com/kockpit/kockpit/safetext"
)

// Solve is one scenario solved on this machine.
type Solve struct {
	At      time.Time `json:"at"`
	Seconds int       `json:"seconds"`
	Hints   int       `json:"hints"`
	Points  int       `json:"points"`
}

// State is what a student has solved, kept in the user's state directory.
type State struct {
	Path   string           `json:"-"`
	Solved map[string]Solve `json:"solved"`
}

// maxStateBytes bounds the state file: a few hundred bytes per scenario.
const maxStateBytes = 1 << 20

// StatePath is where the state lives: $XDG_STATE_HOME/kockpit/workshops.json, by default
// ~/.local/state/kockpit/workshops.json.
func StatePath() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) { // the XDG spec: a relative path is invalid and ignored
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no state directory: %w (fix: set XDG_STATE_HOME or HOME)", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "kockpit", "workshops.json"), nil
}

// LoadState reads the state file; a missing one is an empty state. A damaged one is an error
// naming it, never silently replaced: it holds a student's work.
func LoadState(path string) (*State, error) {
	st := &State{Path: path, Solved: map[string]Solve{}}
	data, err := inputfile.Read(path, maxStateBytes, "the workshop state")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st, nil
	case err != nil:
		return nil, safetext.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, safetext.Errorf("%s: not kockpit's workshop state: %v (fix: move the file away; kockpit writes a new one)", path, err)
	}
	if st.Solved == nil {
		st.Solved = map[string]Solve{}
	}
	return st, nil
}

// Record notes a solve, keeping the best score per scenario, and writes the state file
// atomically (its directory is made when missing).
func (st *State) Record(name string, s Solve) error {
	if old, ok := st.Solved[name]; !ok || s.Points > old.Points || (s.Points == old.Points && s.Seconds < old.Seconds) {
		st.Solved[name] = s
	}
	if err := os.MkdirAll(filepath.Dir(st.Path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return report.WriteFileAtomic(st.Path, func(f *os.File) error {
		_, err := f.Write(append(data, '\n'))
		return err
	})
}
