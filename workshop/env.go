package workshop

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/scenarios"
)

// Env is what the checks read for the scenario: its cluster as a snapshot, judged as of the
// snapshot's moment (now only when the files carry no timestamp), its recorded flows, and its
// node's files, unpacked into hostDir (empty or absent; the caller removes it) when it has any.
func (s *Scenario) Env(ctx context.Context, now func() time.Time, hostDir string) (*checks.Env, checks.Source, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return nil, checks.Source{}, err
	}
	env := &checks.Env{Now: now, Snapshot: snap}
	src := checks.Source{Kind: checks.SourceFiles, Path: "scenario " + s.Name}
	if at, from := snap.TakenAt(); !at.IsZero() {
		env.Now = func() time.Time { return at }
		src.TakenAt, src.TakenFrom = &at, from
	}
	flows, err := s.Flows(ctx)
	if err != nil {
		return nil, checks.Source{}, err
	}
	if flows != nil {
		env.Flows = flows
	}
	if s.HasHost() {
		if err := s.UnpackHost(hostDir); err != nil {
			return nil, checks.Source{}, err
		}
		env.Host = &checks.Host{Root: hostDir, Since: nodefs.DefaultHostSince, Unpacked: true}
	}
	return env, src, nil
}

// HasHost says whether the scenario carries a node's files (host/).
func (s *Scenario) HasHost() bool {
	fi, err := fs.Stat(s.fsys, path.Join(s.dir, "host"))
	return err == nil && fi.IsDir()
}

// UnpackHost writes the scenario's node files to dir with the modes host.modes gives them.
func (s *Scenario) UnpackHost(dir string) error {
	if dir == "" {
		return errors.New("the scenario has a node's files and no directory to unpack them to")
	}
	modes, err := s.hostModes()
	if err != nil {
		return err
	}
	return scenarios.UnpackTree(s.fsys, path.Join(s.dir, "host"), path.Join(s.Origin, "host.modes"), modes, dir)
}

// hostModes is host.modes: "MODE PATH" lines for the node files not 0644.
func (s *Scenario) hostModes() (string, error) {
	data, err := s.ReadFile("host.modes")
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return string(data), err
}
