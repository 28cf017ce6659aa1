package checks

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/kube"
)

// Helpers of the network and admission checks' tests.

// fixture is the path of a fixture file or directory under testdata/fixtures.
func fixture(name string) string { return "../testdata/fixtures/" + name }

// ciliumCRDs and calicoCRDs install the policy kinds of Cilium and Calico in the test cluster.
var (
	ciliumCRDs = []string{"../testdata/crds/cilium-network-policies.yaml", "../testdata/crds/cilium-clusterwide-network-policies.yaml"}
	calicoCRDs = []string{"../testdata/crds/calico-network-policies.yaml", "../testdata/crds/calico-global-network-policies.yaml"}
)

// runLive runs one check against the test cluster as admin.
func runLive(t *testing.T, id string) Result {
	t.Helper()
	return runCheck(t, liveEnv(t, testCluster.AdminKubeconfig), id)
}

// liveWithout runs a check on what the test cluster holds, minus the objects drop matches: for
// breakages that remove what the healthy fixture has (the cluster keeps it; fixtures only add).
func liveWithout(t *testing.T, id string, drop func(kind, namespace, name string) bool) Result {
	t.Helper()
	live := liveEnv(t, testCluster.AdminKubeconfig)
	var keep []runtime.Object
	for _, r := range kube.KnownResources {
		objs, err := live.Snapshot.List(t.Context(), r)
		if errors.Is(err, kube.ErrNotInstalled) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			m, err := meta.Accessor(o)
			if err != nil {
				t.Fatal(err)
			}
			if !drop(r.Kind, m.GetNamespace(), m.GetName()) {
				keep = append(keep, o)
			}
		}
	}
	snap, err := kube.NewObjectSnapshot(t.Context(), keep...)
	if err != nil {
		t.Fatal(err)
	}
	return runCheck(t, &Env{Snapshot: snap, Registry: All()}, id)
}

// requireFinding returns the finding whose message contains msg, failing the test when there is
// none or when its severity or object differ.
func requireObjectFinding(t *testing.T, r Result, severity Status, kind, namespace, name, msg string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if !strings.Contains(f.Message, msg) {
			continue
		}
		if f.Severity != severity {
			t.Errorf("finding %q: severity %v, want %v", f.Message, f.Severity, severity)
		}
		if f.Object == nil || f.Object.Kind != kind || f.Object.Namespace != namespace || f.Object.Name != name {
			t.Errorf("finding %q: object %+v, want %s %s/%s", f.Message, f.Object, kind, namespace, name)
		}
		if len(f.Commands) == 0 {
			t.Errorf("finding %q has no command", f.Message)
		}
		return f
	}
	t.Fatalf("no finding says %q; got:\n%s", msg, describeObjectFindings(r))
	return Finding{}
}

// requireNoProblems fails unless the result is OK (or a Skip) with no Warn or Fail finding.
func requireNoProblems(t *testing.T, r Result) {
	t.Helper()
	if r.Status > StatusOK {
		t.Fatalf("status = %v (%s), want ok:\n%s", r.Status, r.Summary, describeObjectFindings(r))
	}
	for _, f := range r.Findings {
		if f.Severity > StatusOK {
			t.Errorf("unexpected %v finding: %s", f.Severity, f.Message)
		}
	}
}

func describeObjectFindings(r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %v: %s\n", r.Status, r.Summary)
	for _, f := range r.Findings {
		obj := "-"
		if f.Object != nil {
			obj = fmt.Sprintf("%s %s/%s", f.Object.Kind, f.Object.Namespace, f.Object.Name)
		}
		fmt.Fprintf(&b, "  %v [%s] %s\n", f.Severity, obj, f.Message)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "      %s\n", e)
		}
	}
	return b.String()
}

// explainedNames returns the names of the objects a finding explains, sorted.
func explainedNames(f Finding) []string {
	var out []string
	for _, o := range f.Explains {
		out = append(out, o.Name)
	}
	slices.Sort(out)
	return out
}
