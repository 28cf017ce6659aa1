package triage

import (
	"fmt"
	"testing"

	"github.com/kockpit/kockpit/checks"
)

// FuzzRank builds runs from bytes: each byte pair a finding (check, object, cause or not,
// severity, what it explains by object or by ID, what explains it, written or not), cycles and
// self-references included. Rank
// must end, list each root once, never list a cause's own finding as its symptom, and fold
// every symptom under a cause that lists it.
func FuzzRank(f *testing.F) {
	f.Add([]byte{0x13, 0x21, 0x32, 0x10, 0x03})
	f.Add([]byte{0xff, 0xff, 0x00, 0x00})
	f.Add([]byte{0x91, 0x12, 0x91, 0x21})
	f.Add([]byte{0xc1, 0x13, 0xa1, 0x53, 0x81, 0x12}) // explained by, written
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64 {
			data = data[:64]
		}
		var results []checks.Result
		for i := 0; i+1 < len(data); i += 2 {
			a, b := data[i], data[i+1]
			o := checks.ObjectRef{Kind: "Pod", Name: fmt.Sprint(a % 5)}
			fd := checks.Finding{ID: fmt.Sprintf("f%d", i), Object: &o, Severity: checks.Status(b % 5), Cause: a&0x80 != 0}
			if b&0x40 != 0 {
				fd.Explains = []checks.ObjectRef{{Kind: "Pod", Name: fmt.Sprint(b % 7)}}
			}
			if b&0x20 != 0 {
				fd.ExplainsFindings = []string{fmt.Sprintf("f%d", int(b%16)*2)}
			}
			if a&0x40 != 0 {
				fd.ExplainedBy = []checks.ObjectRef{{Kind: "Pod", Name: fmt.Sprint(a % 7)}}
			}
			fd.Written = a&0x20 != 0
			results = append(results, checks.Result{CheckID: fmt.Sprintf("c%d.x", a%3), Findings: []checks.Finding{fd}})
		}
		tr := Rank(results, map[string]checks.Category{"c0.x": checks.CategoryAPI, "c1.x": checks.CategoryDNS})
		roots := map[string]bool{}
		for i, c := range tr.Causes {
			own := map[string]bool{}
			for _, r := range c.Findings {
				if roots[r.Finding.ID] {
					t.Fatalf("finding %s names two causes", r.Finding.ID)
				}
				roots[r.Finding.ID], own[r.Finding.ID] = true, true
			}
			for _, s := range c.Symptoms {
				if own[s.Finding.ID] {
					t.Fatalf("cause %d lists its own finding %s as a symptom", i, s.Finding.ID)
				}
				if j, ok := tr.FoldedUnder(s.Finding.ID); !ok || j > i {
					t.Fatalf("symptom %s of cause %d folded under %d, %v", s.Finding.ID, i, j, ok)
				}
			}
		}
	})
}
