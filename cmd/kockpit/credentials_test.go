package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/report"
)

// TestReportsShowNoCredential reads a cluster and a node that keep credentials by mistake
// (testdata/credentials: a bearer token, a URL's password, a --token= flag, a private key,
// DB_PASSWORD's value) and writes every report format of each: no PLANTED value may show, while
// the findings that quote them do, redacted. ui's TestCockpitShowsNoCredential looks at the
// cockpit, its drill-in and the clipboard on the same files.
func TestReportsShowNoCredential(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "credentials")
	t.Setenv("PATH", t.TempDir()) // no kubectl: the cluster and the node are all there is
	for _, run := range []struct {
		name  string
		args  []string
		about []string // the findings that quote a planted credential
	}{
		{"snapshot", []string{"--snapshot", filepath.Join(dir, "cluster.yaml")}, []string{"shop/web", "api-token="}},
		{"node", []string{"node", "--host-root", filepath.Join(dir, "node")}, []string{"cron.d/backup", "--token=", "Bearer", "DB_PASSWORD="}},
	} {
		for _, format := range report.Formats {
			t.Run(run.name+"/"+string(format), func(t *testing.T) {
				code, out, errOut := kockpit(t, append(run.args, "--report", "--format", string(format), "--fail-on", "never")...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				if strings.Contains(out, "PLANTED") {
					t.Errorf("the report shows a credential:\n%s", out)
				}
				for _, want := range append(run.about, "redacted") {
					if !strings.Contains(out, want) {
						t.Errorf("the report lacks %q:\n%s", want, out)
					}
				}
			})
		}
	}
}
