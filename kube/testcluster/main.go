package testcluster

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// Main runs a package's tests against a cluster; call it from TestMain:
//
//	var cluster *testcluster.Cluster
//
//	func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}, &cluster) }
//
// It starts the cluster into *got, runs the tests, then checks the audit log: a write by a user
// agent starting with "kockpit/" fails the package, as kockpit must never change a cluster.
// Then it stops the cluster and exits.
//
// When the binaries are missing, every test of the package is skipped with a message saying
// how to get them; with KOCKPIT_REQUIRE_CLUSTER=1 (CI) that is a failure instead.
func Main(m *testing.M, opts Options, got **Cluster) {
	os.Exit(runMain(m, opts, got))
}

func runMain(m *testing.M, opts Options, got **Cluster) int {
	flag.Parse()
	// A fuzz worker runs only the fuzz target, which tests a parser: it needs no cluster, and
	// starting one in every worker (they are restarted often) would stall the fuzzing.
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		return m.Run()
	}
	begin := time.Now()
	c, err := Start(opts)
	if errors.Is(err, ErrBinariesMissing) && os.Getenv("KOCKPIT_REQUIRE_CLUSTER") != "1" {
		fmt.Fprintf(os.Stderr, "testcluster: SKIPPING every test of this package: %v\n"+
			"testcluster: (set KOCKPIT_REQUIRE_CLUSTER=1 to make this a failure)\n", err)
		// -test.skip matches every test, benchmark, example and fuzz test.
		if err := flag.Set("test.skip", "."); err != nil {
			fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
			return 1
		}
		return m.Run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: starting the cluster: %v\n", err)
		return 1
	}
	defer c.Stop()
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "testcluster: cluster up at %s in %s (dir %s)\n", c.Server, time.Since(begin).Round(time.Millisecond), c.Dir)
	}
	*got = c
	code := m.Run()

	if err := readOnly(c); err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
		return 1
	}
	return code
}
