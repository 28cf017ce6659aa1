package workshop

import (
	"strings"

	"github.com/kockpit/kockpit/checks"
)

// Verdict is what kockpit tells a student who marked a finding as the root cause.
type Verdict struct {
	Right bool
	// Text is said in the scenario's own words: its explanation when right; when wrong, what the
	// marked finding does and does not explain, never the answer.
	Text string
	// Decoy says the marked finding is one of the scenario's decoys.
	Decoy bool
}

// Judge says whether the finding f of check is the scenario's root cause.
func (s *Scenario) Judge(check string, f checks.Finding) Verdict {
	if s.Cause.Matches(check, f) {
		return Verdict{Right: true, Text: strings.TrimSpace(s.Explanation)}
	}
	for _, d := range s.Decoys {
		if d.Matches(check, f) {
			return Verdict{Decoy: true, Text: strings.TrimSpace(d.Why)}
		}
	}
	return Verdict{Text: "That finding is real, but it does not explain what the story is about: " +
		strings.TrimSpace(s.Goal) + " Look for the finding that explains the others."}
}

// Found reports whether results hold the scenario's root-cause finding and each decoy's, and
// names what is missing: a scenario whose expected finding no check reports any more cannot be
// solved, and its test fails by name.
func (s *Scenario) Found(results []checks.Result) (missing []string) {
	has := func(t Target) bool {
		for _, r := range results {
			for _, f := range r.Findings {
				if t.Matches(r.CheckID, f) {
					return true
				}
			}
		}
		return false
	}
	if !has(s.Cause) {
		missing = append(missing, "cause "+s.Cause.String())
	}
	for _, d := range s.Decoys {
		if !has(d.Target) {
			missing = append(missing, "decoy "+d.Target.String())
		}
	}
	return missing
}
