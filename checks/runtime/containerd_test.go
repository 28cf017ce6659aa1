//go:build linux

package runtime

import (
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri/critest"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
)

func startContainerd(t *testing.T) string { return critest.StartContainerd(t) }

// nodeEnv is a node whose runtime is at socket (a path on this machine).
func nodeEnv(tr *hosttest.Tree, socket string) *checks.Env {
	env := &checks.Env{Host: &checks.Host{Root: tr.Dir, Since: nodefs.DefaultHostSince}, Now: time.Now}
	if socket != "" {
		env.Runtime = &checks.Runtime{Endpoint: "unix://" + socket}
	}
	return env
}

func serveCRI(t *testing.T, rt runtimeapi.RuntimeServiceServer, img runtimeapi.ImageServiceServer) string {
	return critest.Serve(t, rt, img)
}

func describeFindings(r checks.Result) string {
	var b strings.Builder
	b.WriteString(r.Status.String() + ": " + r.Summary + "\n")
	for _, f := range r.Findings {
		where := ""
		if f.File != nil {
			where = f.File.Path
		}
		if f.Object != nil {
			where = f.Object.Kind + "/" + f.Object.Name
		}
		b.WriteString("  " + f.Severity.String() + " " + where + ": " + f.Message + "\n")
	}
	return b.String()
}

// requireFinding fails the test unless a finding says msg with the severity.
func requireFinding(t *testing.T, r checks.Result, msg string, sev checks.Severity) *checks.Finding {
	t.Helper()
	for i, f := range r.Findings {
		if strings.Contains(f.Message, msg) {
			if f.Severity != sev {
				t.Errorf("finding %q is %v, want %v", f.Message, f.Severity, sev)
			}
			return &r.Findings[i]
		}
	}
	t.Fatalf("no finding saying %q; got:\n%s", msg, describeFindings(r))
	return nil
}
