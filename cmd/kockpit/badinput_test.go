package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goodKubeconfig is a complete kubeconfig for a server nothing listens on: context "real" →
// cluster "c" and user "u". Each case below breaks one thing of it.
const goodKubeconfig = `apiVersion: v1
kind: Config
current-context: real
contexts:
- name: real
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: abc}
`

// badInputCase is a command line with one bad input, and the words that name it.
type badInputCase struct {
	name string
	args []string
	want []string
}

// runBadInput runs each case: exit 2, the input named on stderr in one line, nothing on
// stdout, no -o file: no check ran.
func runBadInput(t *testing.T, cases []badInputCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			code, stdout, errOut := kockpit(t, append(c.args, "-o", out)...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
			if lines := strings.Count(strings.TrimSuffix(errOut, "\n"), "\n"); lines > 0 || !strings.HasPrefix(errOut, "kockpit: ") {
				t.Errorf("stderr is not one error line: %q", errOut)
			}
			if stdout != "" {
				t.Errorf("bad input printed a report: %s", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("bad input wrote %s", out)
			}
		})
	}
}

// writeFile writes a file the test crafts, and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadServerAndKubeconfigExitTwo: a flag or kubeconfig that names no cluster to talk to is
// bad input, said with the input to blame, before any check runs.
func TestBadServerAndKubeconfigExitTwo(t *testing.T) {
	good := writeFile(t, "config", goodKubeconfig)
	t.Setenv("KUBECONFIG", good)
	broken := func(name, old, new string) string {
		if !strings.Contains(goodKubeconfig, old) {
			t.Fatalf("%q is not in the kubeconfig", old)
		}
		return writeFile(t, name, strings.Replace(goodKubeconfig, old, new, 1))
	}
	noContext := broken("no-context", "current-context: real", "current-context: ghost")
	lookAlike := broken("look-alike", "current-context: real", "current-context: rеal") // Cyrillic е
	noCluster := broken("no-cluster", "{cluster: c, user: u}", "{cluster: cc, user: u}")
	noServer := broken("no-server", `{server: "https://127.0.0.1:1"}`, "{}")
	badURL := broken("bad-url", "https://127.0.0.1:1", "::::not a url")
	ftp := broken("ftp", "https://127.0.0.1:1", "ftp://127.0.0.1")
	runBadInput(t, []badInputCase{
		{"--server not a URL", []string{"--report", "--server", "::::not a url"}, []string{`--server "::::not a url"`, "not a URL"}},
		{"--server with another scheme", []string{"--report", "--server", "ftp://10.0.0.1"}, []string{`--server "ftp://10.0.0.1"`, `scheme "ftp"`}},
		{"--server with no host", []string{"--report", "--server", "https://"}, []string{`--server "https://"`, "no host"}},
		{"--server with a port out of range", []string{"--report", "--server", "https://10.0.0.1:99999"}, []string{`--server "https://10.0.0.1:99999"`, `port "99999"`}},
		{"--server with an open bracket", []string{"--report", "--server", "https://[::1"}, []string{`--server "https://[::1"`}},
		{"--server with credentials", []string{"--report", "--server", "https://me:pw@10.0.0.1"}, []string{"--server", "user name or password"}},
		{"current-context names no context", []string{"--report", "--kubeconfig", noContext}, []string{noContext, `current-context "ghost" names no context`, `it holds "real"`, "use-context"}},
		{"current-context with a look-alike", []string{"--report", "--kubeconfig", lookAlike}, []string{lookAlike, `names no context`, "looks the same as", "CYRILLIC SMALL LETTER IE"}},
		{"context names no cluster", []string{"--report", "--kubeconfig", noCluster}, []string{noCluster, `cluster "cc"`}},
		{"cluster without a server", []string{"--report", "--kubeconfig", noServer}, []string{noServer, `cluster "c"`, "no server"}},
		{"cluster with a server that is not a URL", []string{"--report", "--kubeconfig", badURL}, []string{badURL, `cluster "c" has the server "::::not a url"`}},
		{"cluster with another scheme", []string{"--report", "--kubeconfig", ftp}, []string{ftp, `scheme "ftp"`}},
		{"--cluster names no cluster", []string{"--report", "--kubeconfig", good, "--cluster", "nope"}, []string{`--cluster "nope"`, good}},
		{"--user names no user", []string{"--report", "--kubeconfig", good, "--user", "nope"}, []string{`--user "nope"`, good}},
		{"a CA file that does not exist", []string{"--report", "--kubeconfig", good, "--certificate-authority", "/nonexistent/ca.crt"}, []string{good, "/nonexistent/ca.crt"}},
		{"without --report", []string{"--kubeconfig", noContext}, []string{noContext, `"ghost"`}},
	})
}

// TestBadThemeInReportModeExitsTwo: the report draws no theme, but a --theme that names none
// is said, not passed over.
func TestBadThemeInReportModeExitsTwo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	bad := writeFile(t, "mine.yaml", "colors:\n  acent: \"#ff0000\"\n")
	runBadInput(t, []badInputCase{
		{"missing theme file", []string{"--report", "--demo", "--theme", missing}, []string{`--theme "` + missing + `"`, "no such file"}},
		{"unknown theme name", []string{"--report", "--demo", "--theme", "dracula"}, []string{`--theme "dracula"`, "no built-in theme"}},
		{"bad theme file", []string{"--report", "--demo", "--theme", bad}, []string{bad + ":2:3", `"acent"`}},
		{"missing theme file, node", []string{"node", "--report", "--host-root", healthyHost, "--theme", missing}, []string{`--theme "` + missing + `"`}},
		{"missing theme file, -o alone", []string{"--demo", "--theme", missing}, []string{`--theme "` + missing + `"`}},
	})
}

// TestWrongSnapshotShapesExitTwo: a snapshot of the wrong shape is exit 2 at its
// file:line:column, YAML and JSON alike.
func TestWrongSnapshotShapesExitTwo(t *testing.T) {
	var cases []badInputCase
	for _, f := range []struct{ name, content, at, words string }{
		{"items-object.yaml", "apiVersion: v1\nkind: List\nitems: {a: 1}\n", ":3:8:", "items of a List must be a list of objects, found an object"},
		{"items-object.json", "{\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"items\": {\"a\": 1}}", ":3:10:", "items of a List must be a list of objects, found an object"},
		{"items-string.yaml", "apiVersion: v1\nkind: List\nitems: abc\n", ":3:8:", "found a string"},
		{"items-string.json", "{\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"items\": \"abc\"}", ":3:10:", "found a string"},
		{"duplicate.json", "{\"apiVersion\": \"v1\",\n\"kind\": \"Node\",\n\"metadata\": {\n  \"name\": \"a\",\n  \"name\": \"b\"}}", ":5:3:", `key "name" is set twice in one object (first at line 4)`},
		{"duplicate.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n  name: b\n", ":5:3:", `key "name" is set twice in one object (first at line 4)`},
		{"timestamp.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  creationTimestamp: yesterday\n", ":5:22:", "metadata.creationTimestamp"},
		{"timestamp.json", "{\"apiVersion\": \"v1\",\n\"kind\": \"Pod\",\n\"metadata\": {\n  \"name\": \"p\",\n  \"creationTimestamp\": \"yesterday\"}}", ":5:24:", "metadata.creationTimestamp"},
		{"nan.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: .nan\n", ":5:13:", "spec.replicas: .nan is not a number"},
		{"flow.yaml", "[{apiVersion: v1, kind: Node, metadata: {name: n}}\n", ":2:", "YAML syntax error"},
	} {
		p := writeFile(t, f.name, f.content)
		cases = append(cases, badInputCase{f.name, []string{"--report", "--snapshot", p}, []string{p + f.at, f.words}})
	}
	runBadInput(t, cases)
}
