package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// TestConnectNeverFallsBackToLocalhost: client-go fills a missing cluster with kubectl's old
// default, http://localhost:8080; kockpit must say the kubeconfig is broken instead of looking
// at (and sending the token to) whatever listens there.
func TestConnectNeverFallsBackToLocalhost(t *testing.T) {
	const clusters = `
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
- name: empty
  cluster: {}
users:
- name: u
  user: {token: kockpit-secret-token}
`
	cases := []struct {
		name, contexts, server, want string
	}{
		{"missing cluster", "contexts:\n- name: x\n  context: {cluster: missing, user: u}\ncurrent-context: x\n", "", `cluster "missing"`},
		{"cluster without server", "contexts:\n- name: x\n  context: {cluster: empty, user: u}\ncurrent-context: x\n", "", `cluster "empty"`},
		{"missing current context", "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: gone\n", "", `context "gone"`},
		{"no current context", "contexts:\n- name: x\n  context: {cluster: c, user: u}\n", "", "no current context"},
		{"healthy", "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n", "", ""},
		{"--server given", "contexts:\n- name: x\n  context: {cluster: missing, user: u}\ncurrent-context: x\n", "https://10.0.0.1:6443", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\n"+clusters+c.contexts), 0o600); err != nil {
				t.Fatal(err)
			}
			flags := genericclioptions.NewConfigFlags(false)
			flags.KubeConfig = &path
			flags.APIServer = &c.server
			cluster, kc, err := Connect(flags, "test")
			if kc == nil {
				t.Fatalf("no kubeconfig returned (err %v)", err)
			}
			if c.want == "" {
				if err != nil || cluster == nil {
					t.Fatalf("Connect: %v", err)
				}
				if strings.Contains(cluster.Server, "localhost:8080") {
					t.Errorf("server %s", cluster.Server)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				server := ""
				if cluster != nil {
					server = cluster.Server
				}
				t.Fatalf("Connect: err %v, want one naming %s (server %q)", err, c.want, server)
			}
			if strings.Contains(err.Error(), "kockpit-secret-token") {
				t.Errorf("the token leaked into the error: %v", err)
			}
		})
	}
}
