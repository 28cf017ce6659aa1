package checks

import (
	"context"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// testCluster is the real API server this package's tests run against, with the healthy
// fixtures loaded; tests that add broken objects use testCluster.Apply, which removes them
// when the test ends.
var testCluster *testcluster.Cluster

func TestMain(m *testing.M) {
	testcluster.Main(m, testcluster.Options{Fixtures: []string{"../testdata/fixtures/healthy"}}, &testCluster)
}

// testVersion is the kockpit version the tests claim; the audit check in TestMain looks for
// writes by its User-Agent, "kockpit/test".
const testVersion = "test"

// liveEnv connects to the test cluster with a kubeconfig, as kockpit's command line does, and
// returns the Env a run would give the checks.
func liveEnv(t testing.TB, kubeconfig string) *Env {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig = &kubeconfig
	cluster, kc, err := kube.Connect(flags, testVersion)
	if err != nil {
		t.Fatalf("connecting with %s: %v", kubeconfig, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return &Env{
		Snapshot:   kube.NewLiveSnapshot(ctx, cluster),
		Cluster:    cluster,
		Kubeconfig: kc,
		Now:        time.Now,
		Registry:   All(),
	}
}

// runCheck runs one registered check through the runner, as a real run does.
func runCheck(t testing.TB, env *Env, id string) Result {
	t.Helper()
	list, err := Select(All(), []string{id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []Result
	for r := range Run(context.Background(), list, env, RunOptions{Timeout: 20 * time.Second}) {
		got = append(got, r)
	}
	if len(got) != 1 {
		t.Fatalf("check %s gave %d results", id, len(got))
	}
	return got[0]
}
