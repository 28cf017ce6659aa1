package workshop

import (
	"context"
	"time"

	"github.com/kockpit/kockpit/checks"
)

// Env is what the checks read for the scenario: its cluster as a snapshot, judged as of the
// snapshot's moment (now only when the files carry no timestamp), and its recorded flows.
func (s *Scenario) Env(ctx context.Context, now func() time.Time) (*checks.Env, checks.Source, error) {
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
	return env, src, nil
}
