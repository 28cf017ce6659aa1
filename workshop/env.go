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
		unpacked, err := s.UnpackHost(hostDir)
		if err != nil {
			return nil, checks.Source{}, err
		}
		env.Host = &checks.Host{Root: unpacked.Root, Recorded: unpacked.Recorded, Since: nodefs.DefaultHostSince, Unpacked: true}
	}
	return env, src, nil
}

// HasHost says whether the scenario carries a node's files (host/).
func (s *Scenario) HasHost() bool {
	fi, err := fs.Stat(s.fsys, path.Join(s.dir, "host"))
	return err == nil && fi.IsDir()
}

// UnpackHost writes the scenario's node files into dir (see scenarios.UnpackTree), as host.yaml
// describes them.
func (s *Scenario) UnpackHost(dir string) (scenarios.Unpacked, error) {
	if dir == "" {
		return scenarios.Unpacked{}, errors.New("the scenario has a node's files and no directory to unpack them to")
	}
	m, err := s.HostManifest()
	if err != nil {
		return scenarios.Unpacked{}, err
	}
	return scenarios.UnpackTree(s.fsys, path.Join(s.dir, "host"), m, dir)
}

// HostManifest is host.yaml, parsed (nil when the scenario has none). A scenario still carrying
// the old host.modes is told how to move to host.yaml.
func (s *Scenario) HostManifest() (*scenarios.HostManifest, error) {
	if _, err := fs.Stat(s.fsys, path.Join(s.dir, "host.modes")); err == nil {
		return nil, scenarios.ErrOldModes(path.Join(s.Origin, "host.modes"))
	}
	data, err := s.ReadFile("host.yaml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return scenarios.ParseHostManifest(path.Join(s.Origin, "host.yaml"), data)
}
