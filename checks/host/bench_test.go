//go:build linux

package host

import (
	"context"
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
		for r := range checks.Run(context.Background(), list, env, checks.RunOptions{}) {
			if r.Status == checks.StatusError || r.Status == checks.StatusFail {
				b.Fatalf("%s: %v %s", r.CheckID, r.Status, r.Summary)
			}
		}
	}
	close(stop)
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
