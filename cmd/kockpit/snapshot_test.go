package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// clusterViewer is a kubeconfig for a user bound to ClusterRole view cluster-wide
// (dns-probe-forbidden/): namespaced kinds everywhere, no cluster-scoped kinds, no Secrets.
func clusterViewer(t *testing.T) string {
	t.Helper()
	c := testCluster(t)
	c.Apply(t, "../../testdata/fixtures/dns-probe-forbidden")
	return c.KubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		cfg.AuthInfos[testcluster.AdminUser].Impersonate = "dns-viewer"
	})
}

// readHeader reads the header document of a snapshot file or directory.
func readHeader(t *testing.T, path string) kube.SnapshotHeader {
	t.Helper()
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, headerFileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n---\n")
	var h kube.SnapshotHeader
	if err := yaml.UnmarshalStrict([]byte(first), &h); err != nil {
		t.Fatalf("header: %v\n%s", err, first)
	}
	return h
}

// sameFindingsOffline runs the report live and on the snapshot, and compares every check that
// ran offline (not skipped for needing a live server): same status, skip reason, number of
// findings and summary. A skip for a forbidden kind quotes the API server's refusal live and
// the snapshot's header offline; looseSummary names checks whose summary may differ.
func sameFindingsOffline(t *testing.T, kubeconfig, snapshot string, looseSummary ...string) {
	t.Helper()
	// --no-active: the comparison is of what was read; the live run would otherwise look for
	// hubble-relay to port-forward to, which a snapshot cannot. The flows checks skip either
	// way, each saying how flows could be given: their summaries differ.
	_, liveOut, _ := kockpit(t, "--report", "--format", "json", "--no-active", "--kubeconfig", kubeconfig)
	looseSummary = append(looseSummary, "hubble.drops", "hubble.dns")
	_, fileOut, errOut := kockpit(t, "--report", "--format", "json", "--snapshot", snapshot)
	live, offline := parseReport(t, liveOut), parseReport(t, fileOut)
	if offline.Source.Kind != "files" {
		t.Fatalf("offline source %q; stderr %s", offline.Source.Kind, errOut)
	}
	type outcome struct {
		status, skipReason, summary string
		findings                    int
	}
	// A loose check's note of the kinds it could not read is no finding to compare: the
	// README's loop leaves Secrets out, and kubectl writes nothing for a CRD not installed.
	count := func(id string, findings []struct {
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Object   *struct {
			Kind, Namespace, Name string
		} `json:"object"`
	}) int {
		n := 0
		for _, f := range findings {
			if !slices.Contains(looseSummary, id) || f.Severity != "ok" || !strings.HasPrefix(f.Message, "not judged:") {
				n++
			}
		}
		return n
	}
	liveByID := map[string]outcome{}
	for _, c := range live.Checks {
		liveByID[c.ID] = outcome{c.Status, c.SkipReason, c.Summary, count(c.ID, c.Findings)}
	}
	compared := 0
	for _, c := range offline.Checks {
		if c.Status == "skip" && c.SkipReason == "offline" {
			continue // needs a live server: it says so, nothing to compare
		}
		compared++
		l := liveByID[c.ID]
		got := outcome{c.Status, c.SkipReason, c.Summary, count(c.ID, c.Findings)}
		if c.SkipReason == "forbidden" || slices.Contains(looseSummary, c.ID) {
			got.summary, l.summary = "", ""
		}
		if got != l {
			t.Errorf("%s:\n  offline %+v\n  live    %+v", c.ID, got, l)
		}
	}
	if compared < 8 {
		t.Errorf("only %d checks ran offline; the snapshot should feed every object check", compared)
	}
}

func TestSnapshotAsViewerRoundTrips(t *testing.T) {
	withClusterKubectl(t)
	viewer := clusterViewer(t)
	testCluster(t).Apply(t, "../../testdata/fixtures/snapshot-secrets")
	out := filepath.Join(t.TempDir(), "cluster.yaml")
	code, stdout, stderr := kockpit(t, "snapshot", "--kubeconfig", viewer, "-o", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "snapshot-leak-canary") {
		t.Errorf("a credential is in the snapshot")
	}
	h := readHeader(t, out)
	for _, want := range []string{"nodes", "validatingwebhookconfigurations.admissionregistration.k8s.io"} {
		if !slices.Contains(h.Forbidden, want) {
			t.Errorf("%s should be recorded as forbidden to a view user: %+v", want, h)
		}
	}
	if !slices.Contains(h.Listed, "pods") || !slices.Contains(h.Listed, "deployments.apps") || h.ServerVersion == "" || h.TakenAt.IsZero() {
		t.Errorf("header = %+v", h)
	}
	if !strings.Contains(stderr, "forbidden to you, recorded as such: ") {
		t.Errorf("stderr does not say what was forbidden: %s", stderr)
	}
	want := map[string]bool{}
	for _, r := range snapshotKinds() {
		want[r.String()] = true
	}
	for _, list := range [][]string{h.Listed, h.Forbidden, h.NotInstalled} {
		for _, name := range list {
			if !want[name] {
				t.Errorf("%s is in the header, but no check reads it", name)
			}
			delete(want, name)
		}
	}
	if len(want) > 0 || len(h.Failed) > 0 {
		t.Errorf("kinds the checks read that the header does not account for: %v; failed: %v", want, h.Failed)
	}
	sameFindingsOffline(t, viewer, out)
	if writes, err := testCluster(t).WritesBy("kockpit/"); err != nil || len(writes) > 0 {
		t.Errorf("kockpit snapshot wrote to the cluster: %v %v", writes, err)
	}
}

func TestSnapshotDirectoryRoundTrips(t *testing.T) {
	withClusterKubectl(t)
	admin := testCluster(t).AdminKubeconfig
	dir := filepath.Join(t.TempDir(), "snap") + "/"
	code, _, stderr := kockpit(t, "snapshot", "--kubeconfig", admin, "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	h := readHeader(t, dir)
	if len(h.Forbidden) > 0 || len(h.Failed) > 0 {
		t.Errorf("admin: forbidden %v, failed %v", h.Forbidden, h.Failed)
	}
	for _, name := range h.Listed {
		if _, err := os.Stat(filepath.Join(dir, name+".yaml")); err != nil {
			t.Errorf("listed %s, but: %v", name, err)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Clean(dir)), ".snap.kockpit-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary directories left: %v", leftovers)
	}
	sameFindingsOffline(t, admin, dir)
}

// Secrets, when a check reads them, are written as their metadata alone: names, no value.
func TestSnapshotWritesSecretNamesOnly(t *testing.T) {
	testCluster(t).Apply(t, "../../testdata/fixtures/snapshot-secrets")
	withKinds := snapshotKinds
	snapshotKinds = func() []kube.Resource {
		kinds := withKinds()
		if !slices.Contains(kinds, kube.SecretMetadata) {
			kinds = append(kinds, kube.SecretMetadata)
		}
		return kinds
	}
	t.Cleanup(func() { snapshotKinds = withKinds })
	out := filepath.Join(t.TempDir(), "cluster.yaml")
	if code, _, stderr := kockpit(t, "snapshot", "--kubeconfig", testCluster(t).AdminKubeconfig, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(string(data), "snapshot-leak-canary"); i >= 0 {
		t.Errorf("a credential is in the snapshot: %s", data[max(0, i-200):min(len(data), i+100)])
	}
	s := string(data)
	for _, want := range []string{"name: db-credentials", "name: DB_PASSWORD"} {
		if !strings.Contains(s, want) {
			t.Errorf("the snapshot lacks %q", want)
		}
	}
	if strings.Contains(s, "password: ") {
		t.Errorf("the snapshot holds a Secret's keys or values, not its metadata alone")
	}
	if !slices.Contains(readHeader(t, out).Listed, "secrets") {
		t.Errorf("secrets not listed")
	}
	snap, err := kube.LoadSnapshot(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := snap.List(context.Background(), kube.SecretMetadata)
	if err != nil || !slices.ContainsFunc(objs, func(o runtime.Object) bool {
		m, ok := o.(*metav1.PartialObjectMetadata)
		return ok && m.Namespace == "team-a" && m.Name == "db-credentials"
	}) {
		t.Errorf("the snapshot does not read back the Secret's name: %v", err)
	}
}

func TestSnapshotBadOutputExitsTwoBeforeListing(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ out, want string }{
		{full + "/", "is not empty"},
		{filepath.Join(t.TempDir(), "no", "such") + "/", "does not exist"},
		{filepath.Join(t.TempDir(), "no", "such.yaml"), "does not exist"},
	} {
		// The kubeconfig names a closed port: exit 2 proves -o was refused before any request.
		code, _, stderr := kockpit(t, "snapshot", "--kubeconfig", "/nonexistent/kubeconfig", "-o", tc.out)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("-o %s: exit %d, stderr %q; want 2 and %q", tc.out, code, stderr, tc.want)
		}
	}
}

// The README's kubectl loop collects the same kinds as kockpit snapshot, and runs in bash.
func TestREADMEKubectlLineListsTheSnapshotKinds(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, loop, ok := strings.Cut(string(data), "mkdir snap && for r in \\\n")
	if !ok {
		t.Fatal("the README has no kubectl loop")
	}
	loop, _, _ = strings.Cut(loop, "; do")
	got := strings.Fields(strings.ReplaceAll(loop, "\\\n", " "))
	var want []string
	for _, r := range snapshotKinds() {
		if r.MetadataOnly {
			// Metadata-only kinds get a line of their own that writes names, never values.
			if !strings.Contains(string(data), "kubectl get "+r.String()+" -A -o go-template=") {
				t.Errorf("the README does not write %s' names alone", r)
			}
			continue
		}
		want = append(want, r.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("README lists\n  %v\nkockpit snapshot writes\n  %v", got, want)
	}
}

// The README's kubectl loop, run with the real kubectl, gives the same findings as the live
// run: a kind kubectl wrote as an empty List is "none", told by its file's name.
func TestREADMEKubectlLoopRoundTrips(t *testing.T) {
	withClusterKubectl(t)
	testCluster(t).Apply(t, "../../testdata/fixtures/snapshot-secrets")
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(data), "```sh\nmkdir snap && for r in")
	block, _, _ = strings.Cut(block, "kockpit --report --snapshot snap/")
	dir := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", "mkdir snap && for r in"+block)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+testCluster(t).AdminKubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's loop: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "snap", "statefulsets.apps.yaml")); err != nil {
		t.Fatalf("no file for a kind with no objects: %v", err)
	}
	secrets, err := os.ReadFile(filepath.Join(dir, "snap", "secrets.yaml"))
	if err != nil || !strings.Contains(string(secrets), "kind: SecretList\nitems:\n- metadata: {namespace: team-a, name: db-credentials}") ||
		strings.Contains(string(secrets), "snapshot-leak-canary") {
		t.Fatalf("the Secrets' file holds more or less than names (%v):\n%s", err, secrets)
	}
	// kubectl writes nothing for a CRD that is not installed: network.policies says "not in
	// the snapshot" where live it says "not installed"; api.lookalikes reads the same CRD kinds.
	sameFindingsOffline(t, testCluster(t).AdminKubeconfig, filepath.Join(dir, "snap"), "network.policies", "api.lookalikes", "workloads.references")
}

// The namespace-bound viewer of the test cluster may list nothing cluster-wide: every kind is
// recorded as forbidden, and the snapshot reads back to the same skips as the live run.
func TestSnapshotAsNamespaceViewer(t *testing.T) {
	withClusterKubectl(t)
	viewer := testCluster(t).ViewerKubeconfig
	out := filepath.Join(t.TempDir(), "cluster.yaml")
	if code, _, stderr := kockpit(t, "snapshot", "--kubeconfig", viewer, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	h := readHeader(t, out)
	if len(h.Listed) != 0 || len(h.Forbidden) != len(snapshotKinds()) {
		t.Errorf("listed %v, forbidden %v", h.Listed, h.Forbidden)
	}
	sameFindingsOffline(t, viewer, out)
}

// An API server that does not answer gives no snapshot at all, not a file of failures.
func TestSnapshotOfAServerDownWritesNothing(t *testing.T) {
	kubeconfig := testCluster(t).KubeconfigWith(t, closedPort(t))
	out := filepath.Join(t.TempDir(), "cluster.yaml")
	code, _, stderr := kockpit(t, "snapshot", "--kubeconfig", kubeconfig, "--request-timeout", "2s", "-o", out)
	if code != 1 || !strings.Contains(stderr, "nothing written") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a snapshot was written")
	}
}
