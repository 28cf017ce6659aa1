//go:build linux

package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host/hosttest"
)

// FuzzHostFileParsers feeds arbitrary content to every parser of node files: the kubelet's
// config and its judgments, resolv.conf, /etc/hosts, ld.so.preload, CNI configs, PEM files,
// the look-alike scan, shell start-up files, crontabs and systemd timers. None may panic, and every finding must name its file. Seeds are the
// files of the fixture trees.
func FuzzHostFileParsers(f *testing.F) {
	for _, tree := range []string{"../scenarios/node", "../../testdata/hosts/healthy"} {
		filepath.WalkDir(tree, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if data, err := os.ReadFile(p); err == nil && len(data) < 4096 {
					f.Add(data)
				}
			}
			return nil
		})
	}
	f.Add([]byte("maxPods: [\nevictionHard: {memory.available: 200%}\n"))
	f.Add([]byte("{\"plugins\": [{\"type\": 1}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := hosttest.New(t).
			File("/var/lib/kubelet/config.yaml", string(data), 0o644).
			File("/etc/resolv.conf", string(data), 0o644).
			File("/etc/hosts", string(data), 0o644).
			File("/etc/ld.so.preload", string(data), 0o644).
			File("/etc/cni/net.d/10-x.conflist", string(data), 0o644).
			File("/etc/kubernetes/pki/x.crt", string(data), 0o644).
			File("/etc/kubernetes/pki/x.key", string(data), 0o600).
			File("/etc/kubernetes/admin.conf", string(data), 0o600).
			File("/etc/kubernetes/manifests/x.yaml", string(data), 0o600).
			File("/proc/meminfo", string(data), 0o444).
			File("/root/.bashrc", string(data), 0o644).
			File("/home/u/.zshrc", string(data), 0o644).
			File("/etc/environment", string(data), 0o644).
			File("/etc/crontab", string(data), 0o644).
			File("/var/spool/cron/crontabs/u", string(data), 0o600).
			File("/etc/systemd/system/x.timer", string(data), 0o644).
			File("/etc/systemd/system/x.service", string(data), 0o644)
		env := hostEnv(tr)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for _, id := range []string{"host.kubelet", "host.resolver", "host.preload", "host.cni", "host.certificates", "host.lookalikes", "host.shell"} {
			list, _ := checks.Select(Checks(), []string{id}, nil)
			for r := range checks.Run(ctx, list, env, checks.RunOptions{Timeout: 5 * time.Second}) {
				if r.Status == checks.StatusError {
					t.Fatalf("%s: %s", id, r.Summary)
				}
				for _, f := range r.Findings {
					if f.Message == "" || (f.File != nil && !strings.HasPrefix(f.File.Path, tr.Dir)) {
						t.Fatalf("%s: finding %+v", id, f)
					}
				}
			}
		}
	})
}
