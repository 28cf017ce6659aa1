package testcluster

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Lazy is a package's shared test cluster, started by the first test that asks for it: tests
// that need no cluster run without one (and without the Kubernetes binaries), and a package
// whose tests all need one starts it once.
//
//	var cluster = testcluster.NewLazy(testcluster.Options{...})
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Run(m)) }
//	func TestX(t *testing.T) { c := cluster.Get(t); ... }
type Lazy struct {
	opts Options

	once    sync.Once
	cluster *Cluster
	err     error
}

// NewLazy returns a cluster that starts with opts on first use.
func NewLazy(opts Options) *Lazy { return &Lazy{opts: opts} }

// Get returns the running cluster, starting it on the first call. When the binaries are
// missing the test is skipped with how to get them, unless KOCKPIT_REQUIRE_CLUSTER=1 (as
// `make test` sets): then it fails, so CI never passes a test that did not run.
func (l *Lazy) Get(t testing.TB) *Cluster {
	t.Helper()
	l.once.Do(func() {
		begin := time.Now()
		l.cluster, l.err = Start(l.opts)
		if l.err == nil && testing.Verbose() {
			fmt.Fprintf(os.Stderr, "testcluster: cluster up at %s in %s (dir %s)\n",
				l.cluster.Server, time.Since(begin).Round(time.Millisecond), l.cluster.Dir)
		}
	})
	switch {
	case errors.Is(l.err, ErrBinariesMissing) && os.Getenv("KOCKPIT_REQUIRE_CLUSTER") != "1":
		t.Skipf("needs the test cluster: %v (set KOCKPIT_REQUIRE_CLUSTER=1 to make this a failure)", l.err)
	case l.err != nil:
		t.Fatalf("testcluster: starting the cluster: %v", l.err)
	}
	return l.cluster
}

// Run runs the package's tests, then, if a test started the cluster, checks its audit log (a
// write by a user agent starting with "kockpit/" fails the package: kockpit must never change
// a cluster) and stops it. It returns the exit code for os.Exit.
func (l *Lazy) Run(m *testing.M) int {
	flag.Parse()
	code := m.Run()
	if l.cluster == nil {
		return code
	}
	defer l.cluster.Stop()
	if err := readOnly(l.cluster); err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
		return 1
	}
	return code
}

// readOnly fails when the audit log shows a write by kockpit.
func readOnly(c *Cluster) error {
	writes, err := c.WritesBy("kockpit/")
	if err != nil {
		return fmt.Errorf("read-only check: %w", err)
	}
	if len(writes) > 0 {
		msg := fmt.Sprintf("FAIL: kockpit wrote to the cluster %d time(s); it must only read:", len(writes))
		for _, w := range writes {
			msg += "\n  " + w.String()
		}
		return errors.New(msg)
	}
	return nil
}
