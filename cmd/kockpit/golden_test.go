package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Golden reports: `kockpit --report --format json` on the demo and on every snapshot in
// testdata/snapshots, compared byte for byte with testdata/golden, so that a refactoring can
// show it changed nothing a user or a program reading the report would see. A change that is
// meant regenerates them:
//
//	go test ./cmd/kockpit -run TestReportGolden -update
//
// and the diff of testdata/golden is then the change in behaviour, to review like code.

var update = flag.Bool("update", false, "rewrite the golden files of TestReportGolden from this run")

const (
	goldenDir    = "testdata/golden"
	snapshotsDir = "../../testdata/snapshots"
	// goldenVersion stands for kockpitVersion, which a release build stamps.
	goldenVersion = "golden"
	// stubKubectlDir stands for the stub kubectl's temporary directory in the goldens.
	stubKubectlDir = "/stub/bin"
	// demoNodeDir stands for the demo's unpacked node ($TMPDIR/kockpit-demo-node-NNNN).
	demoNodeDir = "/tmp/kockpit-demo-node"
)

// goldenNow is the clock of every golden run: just after the newest timestamp in the demo
// and the snapshots (2026-11-25), so ages and expiries read as on a day near them.
var goldenNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// stubKubectl answers what versions.kubectl asks (`kubectl version --client -o json`) with
// the demo server's release, and fails on anything else: the machine's own kubectl, if any,
// stays out of the report. versions.kubectl reports the stub as a script (a Warn): that, too,
// is the check's behaviour, and stays the same from run to run.
const stubKubectl = `#!/bin/sh
[ "$*" = "version --client -o json" ] || { echo "kubectl stub: unexpected arguments: $*" >&2; exit 1; }
echo '{"clientVersion":{"major":"1","minor":"37","gitVersion":"v1.37.2","platform":"linux/amd64"}}'
`

var (
	// durationMS is every durationMs: the checks' and the LISTs' are timed by the runner and
	// the snapshot with the wall clock, which the test cannot stop.
	durationMS = regexp.MustCompile(`("durationMs": )-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?`)
	// fileStat is the stat line host.binaries quotes: the owner and times of the demo's node
	// files are those of whoever unpacked them, and when (ctime cannot be set back).
	fileStat = regexp.MustCompile(`owner uid [0-9]+, ([^,"]+), changed [^()"]+ \(ctime\), modified [^()"]+ \(mtime\)`)
)

func TestReportGolden(t *testing.T) {
	// The host checks judge the demo node's binaries against this machine's system and
	// architecture, and kubectl download URLs name them: the goldens are of linux/amd64.
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the golden reports are recorded on linux/amd64, this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	defer func(c func() time.Time, v string) { clock, version = c, v }(clock, version)
	clock = func() time.Time { return goldenNow }
	version = goldenVersion

	stubDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(stubDir, "kubectl"), []byte(stubKubectl), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", stubDir) // only the stub: nothing else of this machine's PATH is looked up

	type goldenCase struct{ name, snapshot string }
	cases := []goldenCase{{name: "demo"}}
	entries, err := os.ReadDir(snapshotsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries { // every snapshot, so a new one fails here until it has goldens
		cases = append(cases, goldenCase{name: "snapshot-" + e.Name(), snapshot: filepath.Join(snapshotsDir, e.Name())})
	}
	// A golden whose case is gone (a snapshot removed or renamed) would never fail: no strays.
	known := map[string]bool{}
	for _, c := range cases {
		known[c.name+".json"], known[c.name+".stderr"] = true, true
	}
	goldens, _ := os.ReadDir(goldenDir)
	for _, g := range goldens {
		switch path := filepath.Join(goldenDir, g.Name()); {
		case known[g.Name()]:
		case *update:
			os.Remove(path)
		default:
			t.Errorf("%s belongs to no case: delete it, or run with -update", path)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp) // where the demo unpacks its node
			args := []string{"--report", "--format", "json", "--demo"}
			if c.snapshot != "" {
				args = []string{"--report", "--format", "json", "--snapshot", c.snapshot}
			}
			code, stdout, stderr := kockpit(t, args...)

			// Paths of this run's temporary directories become fixed names; nothing of them
			// may be left after, or the golden would hold this one run's path.
			demoNode := regexp.MustCompile(regexp.QuoteMeta(filepath.Join(tmp, "kockpit-demo-node-")) + `[0-9]+`)
			stdout = demoNode.ReplaceAllLiteralString(stdout, demoNodeDir)
			stdout = strings.ReplaceAll(stdout, stubDir, stubKubectlDir)
			stdout = durationMS.ReplaceAllString(stdout, "${1}0")
			stdout = fileStat.ReplaceAllString(stdout, "owner uid UID, ${1}, changed CTIME (ctime), modified MTIME (mtime)")
			if strings.Contains(stdout, tmp) || strings.Contains(stdout, stubDir) {
				t.Errorf("the report still names a temporary directory of this run (%s or %s): normalise it", tmp, stubDir)
			}

			// Bad input writes no report: its golden is the exit code and the message.
			checkGolden(t, c.name+".json", stdout)
			checkGolden(t, c.name+".stderr", fmt.Sprintf("exit %d\n%s", code, stderr))
		})
	}
}

// checkGolden compares got with testdata/golden/name, or writes it there under -update. An
// empty got means no such golden file: bad input prints no report.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		var err error
		if got == "" {
			err = os.Remove(path)
			if os.IsNotExist(err) {
				err = nil
			}
		} else if err = os.MkdirAll(goldenDir, 0o755); err == nil {
			err = os.WriteFile(path, []byte(got), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err) && got == "":
		return
	case os.IsNotExist(err):
		t.Errorf("%s is missing: go test ./cmd/kockpit -run TestReportGolden -update writes it", path)
		return
	case err != nil:
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from this run at %s\n(if the change is meant: go test ./cmd/kockpit -run TestReportGolden -update, and review git diff cmd/kockpit/%s)",
			path, firstDifference(string(want), got), goldenDir)
	}
}

// firstDifference shows the first line where want and got part, with its number.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d:\n  golden: %q\n  now:    %q", i+1, wl, gl)
		}
	}
	return "the end" // unreachable: the two differ
}

// The triage proof on the demo: the first cause of the report is the Cilium DaemonSet that
// skips three nodes, and the node it leaves NotReady is listed under it, not the versions
// installed there; the policy is above its drops; in every format the Causes section comes
// first.
func TestDemoReportCausesFirst(t *testing.T) {
	_, out, _ := kockpit(t, "--demo", "--report", "--format", "json")
	var r struct {
		Causes []struct {
			Finding  string   `json:"finding"`
			Explains []string `json:"explains"`
		} `json:"causes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Causes) == 0 || !strings.HasPrefix(r.Causes[0].Finding, "network.cni/DaemonSet.apps/kube-system/cilium/") {
		t.Fatalf("first cause: %+v", r.Causes)
	}
	if !slices.ContainsFunc(r.Causes[0].Explains, func(id string) bool { return strings.HasPrefix(id, "network.cni/Node/worker-3/node-notready") }) {
		t.Errorf("worker-3's NotReady is not under the CNI: %q", r.Causes[0].Explains)
	}
	// What was installed on the nodes it leaves out is not the CNI's doing: worker-3's CRI-O
	// and worker-2's kubelet are no symptoms of it.
	for _, id := range r.Causes[0].Explains {
		if strings.HasPrefix(id, "runtime.nodes/") || strings.HasPrefix(id, "versions.nodes/") {
			t.Errorf("the CNI explains a version installed on a node: %s", id)
		}
		// Nor is the taint someone put on worker-2, and the workload it keeps Pending.
		if strings.Contains(id, "untolerated-taint") || strings.Contains(id, "/recommender/") {
			t.Errorf("the CNI explains worker-2's taint or what it keeps Pending: %s", id)
		}
	}
	if !slices.ContainsFunc(r.Causes, func(c struct {
		Finding  string   `json:"finding"`
		Explains []string `json:"explains"`
	}) bool {
		return strings.HasPrefix(c.Finding, "workloads.scheduling/Node/worker-2/untolerated-taint") &&
			slices.Contains(c.Explains, "workloads.scheduling/Deployment.apps/storefront/recommender/unschedulable")
	}) {
		t.Errorf("the taint on worker-2 is not a cause of the recommender's Pending pods: %+v", r.Causes)
	}
	// A policy drop is the witness of the policy that denied it: it is listed under
	// network.policies's cause about that policy, and is no cause above it.
	policyCause := false
	for i, c := range r.Causes {
		if strings.HasPrefix(c.Finding, "hubble.drops/") {
			t.Errorf("cause %d is a drop group: %s", i, c.Finding)
		}
		if strings.HasPrefix(c.Finding, "network.policies/NetworkPolicy.networking.k8s.io/storefront/allow-frontend/") {
			policyCause = true
			if !slices.Contains(c.Explains, "hubble.drops/dropped-policy-denied") {
				t.Errorf("the policy does not list the drops it explains: %q", c.Explains)
			}
		}
	}
	if !policyCause {
		t.Errorf("NetworkPolicy storefront/allow-frontend is no cause: %+v", r.Causes)
	}
	for format, head := range map[string]string{"text": "\nCauses\n", "markdown": "## Causes\n", "junit": `<testsuite name="Causes"`} {
		_, out, _ := kockpit(t, "--demo", "--report", "--format", format)
		i, j := strings.Index(out, head), strings.Index(out, "api.control-plane")
		if i < 0 || (j >= 0 && j < i) {
			t.Errorf("%s: the Causes section is not first:\n%s", format, out[:min(len(out), 600)])
		}
	}
}
