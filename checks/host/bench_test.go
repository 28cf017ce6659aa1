//go:build linux

package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host/hosttest"
)

// BenchmarkHostChecks runs every host check on the healthy node tree grown to 100,000 files:
// 50,000 under /etc, 30,000 in pod volumes under /var/lib/kubelet, 20,000 programs in
// /usr/bin. It reports the peak heap besides time and allocations: walks must stay bounded.
func BenchmarkHostChecks(b *testing.B) {
	tr := hosttest.CopyOf(b, "../../testdata/hosts/healthy")
	files := 0
	spread := func(dir string, dirs, each int) {
		for d := range dirs {
			sub := tr.Path(fmt.Sprintf(dir, d))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
			for f := range each {
				if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d", f)), []byte("x"), 0o644); err != nil {
					b.Fatal(err)
				}
				files++
			}
		}
	}
	spread("/etc/bulk/d%03d", 400, 125)
	spread("/var/lib/kubelet/pods/p%03d/volumes", 200, 150)
	for i := range 20000 {
		if err := os.WriteFile(tr.Path(fmt.Sprintf("/usr/bin/tool%05d", i)), []byte("x"), 0o755); err != nil {
			b.Fatal(err)
		}
		files++
	}
	peak := runHostChecksBenchmark(b, tr, func(results []checks.Result) {
		for _, r := range results {
			if r.Status == checks.StatusError || r.Status == checks.StatusFail {
				b.Fatalf("%s: %v %s", r.CheckID, r.Status, r.Summary)
			}
		}
	})
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkHostChecksHugeDirectories runs every host check on the healthy node tree with
// 200,000 entries in /opt/cni/bin and as many in /etc/kubernetes/manifests, the CNI config's
// plugin sorted after all of them: the time of a run and the size of what it reports must stay
// bounded (MaxDirTime per directory; findings grouped), and host.cni must find its plugin.
func BenchmarkHostChecksHugeDirectories(b *testing.B) {
	tr := hosttest.CopyOf(b, "../../testdata/hosts/healthy")
	if err := os.Remove(tr.Path("/etc/cni/net.d/10-bridge.conflist")); err != nil {
		b.Fatal(err)
	}
	bridge, err := os.ReadFile(tr.Path("/opt/cni/bin/bridge"))
	if err != nil {
		b.Fatal(err)
	}
	tr.File("/etc/cni/net.d/05-cilium.conflist", ciliumConflist, 0o644).
		Bytes("/opt/cni/bin/cilium-cni", bridge, 0o755).
		Many("/opt/cni/bin", 200000, func(i int) string { return fmt.Sprintf("aa-plugin-%06d", i) }, 0o644).
		Many("/etc/kubernetes/manifests", 200000, func(i int) string { return fmt.Sprintf("aa-%06d.yaml", i) }, 0o600)
	var reported int
	peak := runHostChecksBenchmark(b, tr, func(results []checks.Result) {
		// Empty manifests fail host.kubelet, and plugins without an exec bit host.cni: the
		// tree is broken; only a check that could not look is wrong here.
		for _, r := range results {
			if r.Status == checks.StatusError {
				b.Fatalf("%s: %v %s", r.CheckID, r.Status, r.Summary)
			}
		}
		out, err := json.Marshal(results)
		if err != nil {
			b.Fatal(err)
		}
		reported = len(out)
		if bytes.Contains(out, []byte("which /opt/cni/bin lacks")) {
			b.Fatalf("host.cni says a plugin is missing: %s", out)
		}
	})
	b.ReportMetric(float64(reported), "report-bytes")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// runHostChecksBenchmark runs the host checks on tr once per iteration, giving each run's
// results to check, and returns the peak heap seen.
func runHostChecksBenchmark(b *testing.B, tr *hosttest.Tree, check func([]checks.Result)) uint64 {
	list, err := checks.Select(Checks(), []string{"Host"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	env := hostEnv(tr)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var results []checks.Result
		for r := range checks.Run(context.Background(), list, env, checks.RunOptions{}) {
			results = append(results, r)
		}
		check(results)
	}
	close(stop)
	return peak.Load()
}
