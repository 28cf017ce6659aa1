//go:build linux

// Tests of host.shell's history files.

package host

import (
	"testing"

	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func TestHostShellUnpackedHistoryIsNotJudged(t *testing.T) {
	tr := hosttest.New(t).File("/root/.bash_history", "", 0o600)
	env := hostEnv(tr)
	env.Host.Unpacked = true
	r := checktest.RunCheck(t, env, "host.shell")
	if f := findingOn(r, tr, "/root/.bash_history", "is empty"); f != nil {
		t.Errorf("an unpacked scenario's fresh history was judged: %s", f.Message)
	}
}
