// Package checktest is what the areas' tests share: the test cluster, environments live and
// offline, running one check as a real run does, and assertions on findings.
package checktest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// shared is the package's real API server with the healthy fixtures loaded, started by the
// first test that needs it; tests that add broken objects use Cluster(t).Apply, which removes
// them when the test ends.
var shared = testcluster.NewLazy(testcluster.Options{Fixtures: []string{Fixture("healthy")}})

// area is the checks of the package under test, which RunCheck selects from.
var area []checks.Check

// Main runs an area's tests: call it from TestMain with the area's checks.
//
//	func TestMain(m *testing.M) { checktest.Main(m, Checks()) }
//
// If a test started the cluster, Main checks its audit log after the tests (kockpit must never
// write) and stops it.
func Main(m *testing.M, list []checks.Check) {
	area = list
	os.Exit(shared.Run(m))
}

// Cluster is the package's test cluster, started on first use; without the Kubernetes
// binaries the test is skipped, or fails under KOCKPIT_REQUIRE_CLUSTER=1.
func Cluster(t testing.TB) *testcluster.Cluster {
	t.Helper()
	return shared.Get(t)
}

// Version is the kockpit version the tests claim; the audit check looks for writes by its
// User-Agent, "kockpit/test".
const Version = "test"

// Fixture is the path of a fixture file or directory under testdata/fixtures.
func Fixture(name string) string { return filepath.Join(Testdata(), "fixtures", name) }

// Testdata is the repository's testdata directory, wherever the test runs from.
func Testdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}
