//go:build linux

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func TestHostLookalikes(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig).
		// A Cyrillic "с" (U+0441) in the image name: line 10, column 45.
		File("/etc/kubernetes/manifests/etcd.yaml", strings.Replace(apiserverManifest, "registry.k8s.io/kube-apiserver", "registry.k8s.io/kube-apiserver-etсd", 1), 0o600).
		File("/etc/hosts", "127.0.0.1 localhost\n10.0.0.5 cp1\u200b\n", 0o644).
		File("/etc/resolv.conf", "# résumé of the resolver\nnameserver 10.0.0.2\n", 0o644).
		File("/etc/cni/net.d/10-bridge.conflist", `{"name": "bridgе"}`+"\n", 0o644).
		File("/etc/cni/net.d/.hidden", "ѕ\n", 0o644).
		File("/etc/kubernetes/admin.conf", "apiVersion: v1\nkind: Config\ncurrent-context: kubernetes-admin@kubernetes\n", 0o600).
		File("/home/ada/.kube/config", "current-context: kubernetes\u2011admin\n", 0o600).
		File("/etc/systemd/system/kubelet.service.d/20-tricky.conf", "[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--node-ip=10.0.0.\u202e5\"\n", 0o644).
		Bytes("/etc/kubernetes/manifests/.etcd.yaml.swp", []byte("b0VIM\x00\x00ѕ"), 0o600)
	r := checktest.RunCheck(t, hostEnv(tr), "host.lookalikes")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/etc/kubernetes/manifests/etcd.yaml", `с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`, checks.StatusFail)
	if f.File.Line != 10 || f.File.Column != 45 {
		t.Errorf("at %d:%d", f.File.Line, f.File.Column)
	}
	if f.Commands[0].String() != `grep -nP '[^\x00-\x7F]' `+tr.Path("/etc/kubernetes/manifests/etcd.yaml") {
		t.Errorf("command %q", f.Commands)
	}
	if !strings.HasPrefix(f.Evidence[0], "line 10:     image: registry.k8s.io/kube-apiserver-etсd") || f.Evidence[1] != `column 45: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")` {
		t.Errorf("evidence %q", f.Evidence)
	}
	f = requireFinding(t, r, tr, "/etc/hosts", "U+200B ZERO WIDTH SPACE (invisible (zero-width))", checks.StatusFail)
	if f.File.Line != 2 || f.File.Column != 13 {
		t.Errorf("hosts at %d:%d", f.File.Line, f.File.Column)
	}
	requireFinding(t, r, tr, "/etc/resolv.conf", "a character outside ASCII: é U+00E9 LATIN SMALL LETTER E WITH ACUTE (non-ASCII) (2 such characters on this line)", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/cni/net.d/10-bridge.conflist", "U+0435 CYRILLIC SMALL LETTER IE", checks.StatusFail)
	requireFinding(t, r, tr, "/home/ada/.kube/config", "U+2011 NON-BREAKING HYPHEN", checks.StatusFail)
	requireFinding(t, r, tr, "/etc/systemd/system/kubelet.service.d/20-tricky.conf", "U+202E RIGHT-TO-LEFT OVERRIDE", checks.StatusFail)
	for _, p := range []string{"/etc/cni/net.d/.hidden", "/etc/kubernetes/manifests/.etcd.yaml.swp", "/etc/kubernetes/admin.conf", "/etc/kubernetes/manifests/kube-apiserver.yaml"} {
		if f := findingOn(r, tr, p, ""); f != nil {
			t.Errorf("%s: %s", p, f.Message)
		}
	}
}

// A look-alike on a credential's line must not put the credential on screen.
func TestHostLookalikesRedactsCredentials(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig).
		File("/root/.kube/config", "users:\n- name: admin\n  user:\n    token: s3cr3t-t0ken-\u200bvalue\n", 0o600)
	r := checktest.RunCheck(t, hostEnv(tr), "host.lookalikes")
	f := requireFinding(t, r, tr, "/root/.kube/config", "U+200B ZERO WIDTH SPACE", checks.StatusFail)
	if f.File.Line != 4 {
		t.Errorf("at line %d", f.File.Line)
	}
	for _, e := range f.Evidence {
		if strings.Contains(e, "s3cr3t") || strings.Contains(e, "value") {
			t.Errorf("evidence quotes the token: %q", e)
		}
	}
	if !strings.Contains(f.Evidence[0], "token: <redacted>") {
		t.Errorf("evidence %q", f.Evidence)
	}
}

func TestHostLookalikesClean(t *testing.T) {
	tr := kubeadmNode(t, healthyKubeletConfig).File("/etc/hosts", "127.0.0.1 localhost\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.lookalikes")
	noProblems(t, r)
	if !strings.Contains(r.Summary, "in 6 config files") {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestHostLookalikesCapsLines(t *testing.T) {
	tr := hosttest.New(t).File("/etc/hosts", strings.Repeat("10.0.0.1 nоde\n", 30), 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.lookalikes")
	if len(r.Findings) != maxLookalikeLines+1 {
		t.Fatalf("%d findings", len(r.Findings))
	}
	requireFinding(t, r, tr, "/etc/hosts", "10 more lines of", checks.StatusWarn)
}
