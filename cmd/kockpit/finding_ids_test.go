package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestFindingIDsOfTheDemo: two runs of the demo (its node unpacked into a new directory each
// time) give every finding the same ID, unique within the run, starting with its check's ID;
// each ID a cause names as explained is a finding of the run.
func TestFindingIDsOfTheDemo(t *testing.T) {
	ids := func() []string {
		t.Setenv("TMPDIR", t.TempDir())
		_, out, errOut := kockpit(t, "--demo", "--report", "--format", "json")
		var r struct {
			Checks []struct {
				ID       string
				Findings []struct {
					ID               string
					ExplainsFindings []string
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not a JSON report: %v\n%s", err, errOut)
		}
		var all, explained []string
		for _, c := range r.Checks {
			for _, f := range c.Findings {
				if !strings.HasPrefix(f.ID, c.ID+"/") || strings.Contains(f.ID, "kockpit-demo-node") {
					t.Errorf("finding %q of %s: not shaped as documented", f.ID, c.ID)
				}
				if slices.Contains(all, f.ID) {
					t.Errorf("finding ID %q twice", f.ID)
				}
				all = append(all, f.ID)
				explained = append(explained, f.ExplainsFindings...)
			}
		}
		for _, id := range explained {
			if !slices.Contains(all, id) {
				t.Errorf("a cause explains %q, which is no finding of the run", id)
			}
		}
		if len(all) < 50 || len(explained) == 0 {
			t.Fatalf("the demo gave %d findings, %d explained ones: too few to judge", len(all), len(explained))
		}
		return all
	}
	first, second := ids(), ids()
	if !slices.Equal(first, second) {
		t.Errorf("the IDs changed between two runs on the same input:\n%q\n%q", first, second)
	}
}
