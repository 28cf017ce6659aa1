package workloads

import (
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func TestReferencesHealthy(t *testing.T) {
	r := checktest.RunLive(t, "workloads.references")
	checktest.RequireNoProblems(t, r)
	if r.Status != checks.StatusOK {
		t.Errorf("status = %v (%s)", r.Status, r.Summary)
	}
	t.Log(checktest.DescribeObjectFindings(r))
}
