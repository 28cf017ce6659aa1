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
- name: bad
  cluster: {server: "https://[::1"}
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
		{"--server not a URL", "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n", "::::not a url", `--server "::::not a url": not a URL`},
		{"--server of another scheme", "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n", "ftp://10.0.0.1", `scheme "ftp"`},
		{"a server that is not a URL", "contexts:\n- name: x\n  context: {cluster: bad, user: u}\ncurrent-context: x\n", "", `cluster "bad" has the server "https://[::1"`},
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

// TestKubeconfigErrorsShowInputSafely: client-go quotes the kubeconfig's file name and what it
// could not read raw; Connect's errors show their control and bidi characters and no token.
func TestKubeconfigErrorsShowInputSafely(t *testing.T) {
	const evil = "\x1b[2J\x1b]0;owned\x07\u009b31m\u202Egnp.\n"
	cases := []struct{ name, file, content string }{
		{"unparsable", "config" + evil, "apiVersion: v1\nkind: Config\nusers: [\n"},
		{"a token where a list goes", "config" + evil, "apiVersion: v1\nkind: Config\nusers: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl\n"},
		{"missing context", "config", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:6443\"}\n" +
			"contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: \"gone\\e[2J\\u202E\"\n"},
		{"a server URL that does not parse", "config", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://admin:hunter2@::1\\e[2J:6443\"}\n" +
			"contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.file)
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			flags := genericclioptions.NewConfigFlags(false)
			flags.KubeConfig = &path
			_, _, err := Connect(flags, "test")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, raw := range []string{"\x1b", "\x07", "\u009b", "\u202E", "\n", "c2lnbmF0dXJl", "hunter2"} {
				if strings.Contains(msg, raw) {
					t.Errorf("the error holds %q: %q", raw, msg)
				}
			}
			if strings.Contains(c.file, evil) && !strings.Contains(msg, "config␛[2J␛]0;owned␇<U+009B>31m⟨U+202E⟩gnp.␊") {
				t.Errorf("the file name is not shown: %q", msg)
			}
		})
	}
}

func TestValidServer(t *testing.T) {
	for server, want := range map[string]string{
		"https://10.0.0.1:6443":   "",
		"10.0.0.1:6443":           "",
		"https://[::1]:6443":      "",
		"https://api.example/k8s": "",
		"localhost":               "",
		"::::not a url":           "not a URL",
		"ftp://x":                 `scheme "ftp"`,
		"http://":                 "no host",
		"https://:6443":           "no host",
		"https://[::1":            "not a URL",
		"https://x:0":             `port "0"`,
		"https://x:99999":         `port "99999"`,
		"https://me:pw@x":         "user name or password",
		" https://x":              "spaces",
		"":                        "empty",
	} {
		err := ValidServer(server)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", server, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", server, err, want)
		}
	}
}
