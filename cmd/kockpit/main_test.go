package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/kube/testcluster"
)

// sharedCluster is the real API server with the healthy fixtures, started by the first test
// that asks for it: tests that need none (the golden reports, flag errors) run without it.
var sharedCluster = testcluster.NewLazy(testcluster.Options{Fixtures: []string{"../../testdata/fixtures/healthy"}})

// testCluster is the package's test cluster; without the Kubernetes binaries the test skips,
// or fails under KOCKPIT_REQUIRE_CLUSTER=1.
func testCluster(t testing.TB) *testcluster.Cluster {
	t.Helper()
	return sharedCluster.Get(t)
}

// TestMain checks, after the tests, that kockpit never wrote to the cluster (if one started),
// and removes the binary the end-to-end tests shared.
func TestMain(m *testing.M) {
	code := sharedCluster.Run(m)
	removeBuiltKockpit()
	os.Exit(code)
}

// kockpit runs the command line in-process and returns its exit code, stdout and stderr.
// Its User-Agent is kockpit/dev, which the read-only check of TestMain watches.
func kockpit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := execute(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// jsonReport is the part of the JSON report the tests read.
type jsonReport struct {
	APIVersion string `json:"apiVersion"`
	Source     struct {
		Kind string `json:"kind"`
	} `json:"source"`
	Checks []struct {
		ID         string `json:"id"`
		Status     string `json:"status"`
		Summary    string `json:"summary"`
		SkipReason string `json:"skipReason"`
		Findings   []struct {
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Object   *struct {
				Kind, Namespace, Name string
			} `json:"object"`
		} `json:"findings"`
	} `json:"checks"`
	Lists []struct {
		Resource string `json:"resource"`
		Objects  int    `json:"objects"`
	} `json:"lists"`
}

func parseReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	return r
}

func statuses(r jsonReport) map[string]string {
	m := map[string]string{}
	for _, c := range r.Checks {
		m[c.ID] = c.Status
	}
	return m
}

// withClusterKubectl puts the test cluster's own kubectl (same version as the server) first
// on PATH, so versions.kubectl judges a kubectl that is in policy.
func withClusterKubectl(t *testing.T) {
	t.Setenv("PATH", testCluster(t).BinDir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestHealthyClusterPasses(t *testing.T) {
	withClusterKubectl(t)
	code, out, errOut := kockpit(t, "--report", "--format", "json", "--kubeconfig", testCluster(t).AdminKubeconfig)
	r := parseReport(t, out)
	for _, c := range r.Checks {
		if c.Status == "fail" || c.Status == "warn" || c.Status == "error" {
			t.Errorf("healthy cluster: %s is %s: %s %+v", c.ID, c.Status, c.Summary, c.Findings)
		}
	}
	if code != 0 {
		t.Errorf("exit code %d, want 0; stderr: %s", code, errOut)
	}
	if r.Source.Kind != "live" || r.APIVersion == "" {
		t.Errorf("source %q apiVersion %q", r.Source.Kind, r.APIVersion)
	}
	seen := map[string]int{}
	for _, l := range r.Lists {
		seen[l.Resource]++
	}
	for res, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times in one run", res, n)
		}
	}
	if seen["nodes"] != 1 || seen["pods"] != 1 {
		t.Errorf("nodes and pods should each be listed once: %v", seen)
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "config")
	os.WriteFile(broken, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: {server: [\n"), 0o600)
	badSnapshot := filepath.Join(dir, "dump.yaml")
	os.WriteFile(badSnapshot, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n"), 0o600)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"malformed kubeconfig", []string{"--report", "--kubeconfig", broken}, []string{broken, "line"}},
		{"unknown context", []string{"--report", "--kubeconfig", testCluster(t).AdminKubeconfig, "--context", "nope"}, []string{`"nope"`, "get-contexts"}},
		{"unknown format", []string{"--report", "--format", "yaml"}, []string{`"yaml"`, "json"}},
		{"unknown fail-on", []string{"--report", "--fail-on", "maybe"}, []string{"maybe"}},
		{"unknown check", []string{"--report", "--only", "dns.nope"}, []string{"dns.nope", "kockpit checks"}},
		{"zero check timeout", []string{"--report", "--demo", "--check-timeout", "0s"}, []string{"--check-timeout"}},
		{"unknown flag", []string{"--report", "--frobnicate"}, []string{"frobnicate"}},
		{"malformed request timeout", []string{"--report", "--kubeconfig", testCluster(t).AdminKubeconfig, "--request-timeout", "soon"}, []string{"--request-timeout", `"soon"`}},
		{"negative request timeout", []string{"--report", "--kubeconfig", testCluster(t).AdminKubeconfig, "--request-timeout", "-1s"}, []string{"--request-timeout", "negative"}},
		{"malformed snapshot", []string{"--report", "--snapshot", badSnapshot}, []string{badSnapshot, ":5"}},
		{"missing snapshot", []string{"--report", "--snapshot", filepath.Join(dir, "nope")}, []string{"nope"}},
		{"demo and snapshot", []string{"--report", "--demo", "--snapshot", badSnapshot}, []string{"--demo"}},
		{"bad DNS probe name", []string{"--report", "--demo", "--dns-probe-name", "registry..k8s.io"}, []string{"--dns-probe-name", `"registry..k8s.io"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			code, stdout, errOut := kockpit(t, append(c.args, "-o", out)...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("error lacks %q: %s", w, errOut)
				}
			}
			if stdout != "" {
				t.Errorf("bad input printed a report: %s", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("bad input wrote %s", out)
			}
		})
	}
}

func TestDemoFindsTheBreakages(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the demo unpacks its node's files
	code, out, errOut := kockpit(t, "--demo", "--report", "--format", "json")
	if code != 1 {
		t.Errorf("demo exit %d, want 1 (it is broken); stderr %s", code, errOut)
	}
	st := statuses(parseReport(t, out))
	for id, want := range map[string]string{
		"api.control-plane": "fail",
		"api.apiservices":   "fail",
		"versions.nodes":    "fail",
		"versions.runtime":  "warn",
		"api.reachable":     "skip",
		// The frontend pod's ORDERS_URL ends in "loсal" with a Cyrillic "с".
		"api.lookalikes": "fail",
		// The demo's Corefile forwards to /etс/resolv.conf (a Cyrillic "с"), and shop uses
		// dnsPolicy Default.
		"dns.corefile":           "fail",
		"dns.policy":             "warn",
		"dns.service":            "ok",
		"dns.kubelet-clusterdns": "skip",
		"dns.probe":              "skip",
		// The demo's node (scenarios/node), unpacked for the run.
		"host.binaries":   "fail",
		"host.lookalikes": "fail",
		"host.preload":    "warn",
		"host.timeline":   "skip",
		// The node's inode flags are recorded beside the unpacked tree, so they are judged.
		"host.immutable":     "ok",
		"host.kubelet-files": "ok",
		"host.disk":          "skip",
	} {
		if st[id] != want {
			t.Errorf("demo: %s is %q, want %q", id, st[id], want)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the demo left %s behind", left[0].Name())
	}
}

// TestDemoWithoutAWritableTempDir: the demo's cluster still runs when its node files cannot be
// unpacked; stderr says why and how to fix it, and the host checks skip instead of failing.
func TestDemoWithoutAWritableTempDir(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	code, out, errOut := kockpit(t, "--demo", "--report", "--format", "json")
	if code != 1 || !strings.Contains(errOut, "the demo runs without its node") || !strings.Contains(errOut, "TMPDIR") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	st := statuses(parseReport(t, out))
	if st["api.control-plane"] != "fail" || st["host.binaries"] != "skip" {
		t.Errorf("api.control-plane %q, host.binaries %q", st["api.control-plane"], st["host.binaries"])
	}
}

func TestReportToFileAndFormats(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"text", "json", "markdown", "junit"} {
		path := filepath.Join(dir, "report."+format)
		code, stdout, errOut := kockpit(t, "--demo", "--report", "--format", format, "-o", path, "--fail-on", "never")
		if code != 0 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %s", format, code, stdout, errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v (%d bytes)", format, err, len(b))
		}
		if bytes.ContainsRune(b, 0x1b) {
			t.Errorf("%s report written to a file carries escape sequences", format)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("want exactly the 4 reports in %s, got %d entries", dir, len(entries))
	}
}

func TestFailOnMovesTheBar(t *testing.T) {
	// The demo's worst is Fail and it has Warns: --fail-on never passes, warn and fail fail.
	for bar, want := range map[string]int{"never": 0, "fail": 1, "warn": 1} {
		if code, _, errOut := kockpit(t, "--demo", "--report", "--format", "json", "--fail-on", bar); code != want {
			t.Errorf("--fail-on %s: exit %d, want %d (%s)", bar, code, want, errOut)
		}
	}
	// Only the Warn-level runtime check: passes under fail, fails under warn.
	if code, _, _ := kockpit(t, "--demo", "--report", "--only", "versions.runtime"); code != 0 {
		t.Errorf("a Warn alone exited %d under --fail-on fail", code)
	}
	if code, _, _ := kockpit(t, "--demo", "--report", "--only", "versions.runtime", "--fail-on", "warn"); code != 1 {
		t.Errorf("a Warn exited %d under --fail-on warn", code)
	}
}

// kubectlDump takes a dump of the test cluster the way a guest would, with the real kubectl.
func kubectlDump(t *testing.T, kubeconfig string) string {
	t.Helper()
	kinds := "nodes,pods,services,configmaps,namespaces,endpointslices,deployments,daemonsets,replicasets,statefulsets," +
		"networkpolicies,storageclasses,csidrivers,csinodes,volumeattachments,persistentvolumes,persistentvolumeclaims," +
		"validatingwebhookconfigurations,mutatingwebhookconfigurations,apiservices,events,resourcequotas,limitranges,poddisruptionbudgets"
	cmd := exec.Command(filepath.Join(testCluster(t).BinDir, "kubectl"), "--kubeconfig", kubeconfig, "get", kinds, "-A", "-o", "yaml")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl get -A -o yaml: %v: %s", err, stderr.String())
	}
	path := filepath.Join(t.TempDir(), "dump.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOfflineDumpMatchesLive(t *testing.T) {
	withClusterKubectl(t)
	// Storage objects, so the storage checks have every kind they need in the dump: a kind
	// with no object is not in a dump, and offline that is "not collected", not "none".
	testCluster(t).Apply(t, "../../testdata/fixtures/storage/healthy")
	// The same for the quota kinds workloads.quotas judges.
	testCluster(t).Apply(t, "../../testdata/fixtures/workloads/healthy-policies.yaml")
	dump := kubectlDump(t, testCluster(t).AdminKubeconfig)
	_, liveOut, _ := kockpit(t, "--report", "--format", "json", "--kubeconfig", testCluster(t).AdminKubeconfig)
	_, fileOut, errOut := kockpit(t, "--report", "--format", "json", "--snapshot", dump)
	live, offline := parseReport(t, liveOut), parseReport(t, fileOut)
	if offline.Source.Kind != "files" {
		t.Fatalf("offline source %q; stderr %s", offline.Source.Kind, errOut)
	}
	liveByID := map[string]string{}
	liveFindings := map[string]int{}
	for _, c := range live.Checks {
		liveByID[c.ID] = c.Status
		liveFindings[c.ID] = len(c.Findings)
	}
	compared := 0
	for _, c := range offline.Checks {
		if c.Status == "skip" && c.SkipReason == "offline" {
			continue // needs a live server: said so, nothing to compare
		}
		compared++
		// `kubectl get a,b,c -o yaml` writes no trace of a kind with no objects, so offline a
		// check may add its note naming such kinds ("not in the snapshot, or none"): the one
		// difference a dump without kockpit's header must show. Nothing else may differ.
		findings := len(c.Findings)
		for _, f := range c.Findings {
			if strings.HasPrefix(f.Message, "not judged: ") && strings.Contains(c.Summary, "(not in the snapshot, or none)") {
				findings--
			}
		}
		if c.Status != liveByID[c.ID] || findings != liveFindings[c.ID] {
			t.Errorf("%s: offline %s with %d findings, live %s with %d (offline: %s)", c.ID, c.Status, len(c.Findings), liveByID[c.ID], liveFindings[c.ID], c.Summary)
		}
	}
	if compared < 3 {
		t.Errorf("only %d checks ran offline; the dump should feed the object checks", compared)
	}
}

func TestUnreachableServerFailsFastAndPrecisely(t *testing.T) {
	// A kubeconfig for a port nothing listens on.
	kubeconfig := testCluster(t).KubeconfigWith(t, closedPort(t))
	code, out, _ := kockpit(t, "--report", "--format", "json", "--kubeconfig", kubeconfig, "--request-timeout", "2s")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	r := parseReport(t, out)
	found := false
	for _, c := range r.Checks {
		if c.ID == "api.reachable" {
			found = true
			if c.Status != "fail" || !strings.Contains(strings.ToLower(c.Summary+findingMessages(c.Findings)), "refused") {
				t.Errorf("api.reachable: %s %q %v", c.Status, c.Summary, c.Findings)
			}
		}
	}
	if !found {
		t.Errorf("api.reachable is not in the report:\n%s", out)
	}
}

func findingMessages[F any](fs []F) string {
	b, _ := json.Marshal(fs)
	return string(b)
}

func TestRestrictedUserSkipsWithReasons(t *testing.T) {
	withClusterKubectl(t)
	_, out, errOut := kockpit(t, "--report", "--format", "json", "--kubeconfig", testCluster(t).ViewerKubeconfig)
	r := parseReport(t, out)
	forbidden := 0
	for _, c := range r.Checks {
		if c.Status == "error" {
			t.Errorf("viewer: %s is an Error (%s); a restricted user must get Skips with reasons", c.ID, c.Summary)
		}
		if c.Status == "skip" && c.SkipReason == "forbidden" {
			forbidden++
		}
	}
	if forbidden == 0 {
		t.Errorf("viewer got no forbidden skips; stderr %s; %s", errOut, out)
	}
}

// closedPort returns a kubeconfig mutation pointing every cluster at a loopback port that
// nothing listens on.
func closedPort(t testing.TB) func(*clientcmdapi.Config) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return func(cfg *clientcmdapi.Config) {
		for _, c := range cfg.Clusters {
			c.Server = "https://" + addr
		}
	}
}

func TestKubeconfigListMergesFiles(t *testing.T) {
	withClusterKubectl(t)
	// The first file holds nothing usable; kubectl merges the list and so must kockpit.
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\npreferences: {}\n"), 0o600)
	t.Setenv("KUBECONFIG", empty+string(os.PathListSeparator)+testCluster(t).AdminKubeconfig)
	code, out, errOut := kockpit(t, "--report", "--format", "json", "--only", "api.reachable,versions.nodes")
	r := parseReport(t, out)
	if code != 0 || r.Source.Kind != "live" {
		t.Fatalf("exit %d, source %q; stderr %s", code, r.Source.Kind, errOut)
	}
	if st := statuses(r); st["api.reachable"] != "ok" || st["versions.nodes"] != "ok" {
		t.Errorf("statuses %v", st)
	}
}
