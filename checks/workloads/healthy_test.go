package workloads

import (
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// TestHealthy: the healthy cluster, with policies that leave room, gives no Warn or Fail in
// Workloads, and every check looked.
func TestHealthy(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("healthy-policies.yaml"))
	for _, c := range Checks() {
		t.Run(c.ID, func(t *testing.T) {
			r := checktest.RunLive(t, c.ID)
			checktest.RequireNoProblems(t, r)
			if r.Status != checks.StatusOK {
				t.Errorf("status = %v (%s), want ok", r.Status, r.Summary)
			}
		})
	}
}
