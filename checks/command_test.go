package checks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/safetext"
	"mvdan.cc/sh/v3/syntax"
)

func TestCommandString(t *testing.T) {
	for _, tc := range []struct {
		cmd  checks.Command
		want string
	}{
		{checks.Cmd("kubectl", "get", "--raw", "/livez"), "kubectl get --raw /livez"},
		{checks.Cmd("kubectl", "-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-dns", "-o", "wide"),
			"kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide"},
		{checks.Cmd("kubectl", "get", "nodes", "-o", "custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR"),
			"kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR"},
		{checks.Cmd("kubectl", "get", "pod", "x", "-o", "jsonpath={.spec.containers[*].ports}"),
			"kubectl get pod x -o 'jsonpath={.spec.containers[*].ports}'"},
		{checks.Cmd("kubectl", "-n", "team a", "get", "pod", "my pod"), "kubectl -n 'team a' get pod 'my pod'"},
		{checks.Cmd("kubectl", "get", "deployment", "payments$(touch${IFS}pwned)"),
			"kubectl get deployment 'payments$(touch${IFS}pwned)'"},
		{checks.Cmd("echo", "`id`"), "echo '`id`'"},
		{checks.Cmd("echo", "it's"), `echo 'it'\''s'`},
		{checks.Cmd("echo", "'"), `echo ''\'''`},
		{checks.Cmd("echo", ""), "echo ''"},
		{checks.Cmd("echo", "a\nb"), "echo 'a\nb'"},
		{checks.Cmd("echo", "*"), "echo '*'"},
		{checks.Cmd("echo", "/etc/cni/net.d/*.conf"), "echo '/etc/cni/net.d/*.conf'"},
		{checks.Cmd("echo", "~root"), "echo '~root'"},
		{checks.Cmd("echo", "a~b"), "echo 'a~b'"},
		{checks.Cmd("echo", "=ls"), "echo '=ls'"},
		{checks.Cmd("echo", "{a,b}"), "echo '{a,b}'"},
		{checks.Cmd("echo", "#x", "a#x"), "echo '#x' 'a#x'"},
		{checks.Cmd("echo", "!!", "a;b", "a&b", "a|b", "a>b", "a<b", "(a)", `a\b`, `"a"`),
			`echo '!!' 'a;b' 'a&b' 'a|b' 'a>b' 'a<b' '(a)' 'a\b' '"a"'`},
		{checks.Cmd("echo", "$HOME", "${x}", "$((1+1))"), "echo '$HOME' '${x}' '$((1+1))'"},
		{checks.Cmd("echo", "a\tb", "\x1b[31m"), "echo 'a\tb' '\x1b[31m'"},
		{checks.Cmd("kubectl", "get", "deployment", "pay\u202etxt.exe"), "kubectl get deployment 'pay\u202etxt.exe'"},
		{checks.Cmd("kubectl", "get", "deployment", "pay\u200bments"), "kubectl get deployment 'pay\u200bments'"},
		{checks.Cmd("echo", "é"), "echo 'é'"},
		{checks.Cmd("echo", "a=b", "--cluster=NAME", "x@y", "50%", "a+b", "a,b"), "echo a=b --cluster=NAME x@y 50% a+b a,b"},
		// the program is also quoted where a shell would read syntax
		{checks.Cmd("/opt/my tools/kubectl", "version"), "'/opt/my tools/kubectl' version"},
		{checks.Cmd("if", "x"), "'if' x"},
		{checks.Cmd("A=b", "x"), "'A=b' x"},
		// pipelines
		{checks.Cmd("kubectl", "config", "view", "-o", "yaml").Pipe("grep", "-nP", `[^\x00-\x7F]`),
			`kubectl config view -o yaml | grep -nP '[^\x00-\x7F]'`},
		{checks.Cmd("cat", "-A", "/var/lib/kubelet/config.yaml").Pipe("sed", "-n", "1,40p"),
			"cat -A /var/lib/kubelet/config.yaml | sed -n 1,40p"},
		// shell syntax written in kockpit's source goes as written; values around it are quoted
		{checks.Cmd("lsattr", "-R", "/etc/kubernetes").Shell("2>/dev/null").Pipe("grep", "-E", "^[^ ]*[ia]"),
			"lsattr -R /etc/kubernetes 2>/dev/null | grep -E '^[^ ]*[ia]'"},
		{checks.Cmd("kubectl", "get", "node").Shell("$(hostname)").Args("-o", "jsonpath={.status.allocatable}"),
			"kubectl get node $(hostname) -o 'jsonpath={.status.allocatable}'"},
		{checks.Cmd("grep", "-n", "^  name:").Glob("/etc/kubernetes/manifests", "*"),
			"grep -n '^  name:' /etc/kubernetes/manifests/*"},
		{checks.Cmd("grep", "-n", "^  name:").Glob("/etc/my manifests", "*.yaml"),
			"grep -n '^  name:' '/etc/my manifests'/*.yaml"},
		{checks.Cmd("diff").Sub("<(", checks.Cmd("openssl", "x509", "-noout", "-pubkey", "-in", "/etc/pki/a b.crt"), ")").
			Sub("<(", checks.Cmd("openssl", "pkey", "-pubout", "-in", "/etc/pki/a.key"), ")"),
			"diff <(openssl x509 -noout -pubkey -in '/etc/pki/a b.crt') <(openssl pkey -pubout -in /etc/pki/a.key)"},
		{checks.Cmd("echo").Var("KUBECONFIG"), `echo "$KUBECONFIG"`},
		{checks.Cmd("echo").Var("PS1$(touch x)"), `echo '$PS1$(touch x)'`},
		{checks.Cmd("echo").Var("1x"), `echo '$1x'`},
		{checks.Cmd("echo").Var(""), `echo '$'`},
		{checks.Cmd("ls", "/etc/cni/net.d").Note("on a node"), "ls /etc/cni/net.d   # on a node"},
		{checks.Cmd("ls", "/etc/cni/net.d").Note("on", "node-1"), "ls /etc/cni/net.d   # on node-1"},
		{checks.Cmd("ls", "/etc/cni/net.d").Note("on", "node 1$(x)"), "ls /etc/cni/net.d   # on 'node 1$(x)'"},
		{checks.Cmd("ls", "/etc/cni/net.d").Note("on", "n\ntouch pwned"), `ls /etc/cni/net.d   # on "n\ntouch pwned"`},
	} {
		if got := tc.cmd.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// TestCommandNoteStaysAComment: a value in a note never ends the comment.
func TestCommandNoteStaysAComment(t *testing.T) {
	for _, v := range hostile {
		line := checks.Cmd("ls", "/etc/cni/net.d").Note("on", v).String()
		f, err := syntax.NewParser(syntax.KeepComments(true)).Parse(strings.NewReader(line), "")
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if len(f.Stmts) != 1 || len(f.Last) > 0 || len(f.Stmts[0].Comments) != 1 {
			t.Errorf("%q is not one command and its comment", line)
			continue
		}
		if call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr); !ok || len(call.Args) != 2 {
			t.Errorf("%q is not ls and its argument", line)
		}
	}
}

// TestCommandRedact: a credential is redacted in the value that holds it, or after the flag
// that names it; shell syntax from kockpit's source is left alone; the result is quoted after.
func TestCommandRedact(t *testing.T) {
	for _, tc := range []struct {
		cmd  checks.Command
		want string
	}{
		{checks.Cmd("kubectl", "-n", "shop", "get", "pods", "-l", "api-token=PLANTED,app=web"),
			"kubectl -n shop get pods -l 'api-token=<redacted>'"},
		{checks.Cmd("curl", "-H", "Authorization: Bearer PLANTED", "https://10.0.0.1:6443/api"),
			"curl -H 'Authorization: Bearer <redacted>' https://10.0.0.1:6443/api"},
		{checks.Cmd("kubectl", "--token", "PLANTED", "get", "pods"), "kubectl --token '<redacted>' get pods"},
		{checks.Cmd("kubectl", "--token=PLANTED", "get", "pods"), "kubectl '--token=<redacted>' get pods"},
		{checks.Cmd("kubectl", "-n", "token", "get", "pods"), "kubectl -n token get pods"},
		{checks.Cmd("diff").Sub("<(", checks.Cmd("echo", "--password=PLANTED"), ")"), "diff <(echo '--password=<redacted>')"},
		{checks.Cmd("ls").Note("on", "password=PLANTED"), "ls   # on 'password=<redacted>'"},
		{checks.Cmd("grep", "-n", "^  name:").Glob("/etc/token=PLANTED", "*"), "grep -n '^  name:' '/etc/token=<redacted>'/*"},
	} {
		got := tc.cmd.Redact(safetext.RedactSecrets)
		if got.String() != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
		if strings.Contains(tc.cmd.String(), "<redacted>") {
			t.Errorf("Redact changed the command it was called on: %s", tc.cmd)
		}
	}
}

// TestCommandIsAValue: a shared prefix is never changed by what is built on it.
func TestCommandIsAValue(t *testing.T) {
	base := checks.Cmd("kubectl", "-n", "kube-system")
	get := base.Args("get", "pods")
	describe := base.Args("describe", "pod", "x")
	piped := get.Pipe("grep", "x")
	if base.String() != "kubectl -n kube-system" || get.String() != "kubectl -n kube-system get pods" ||
		describe.String() != "kubectl -n kube-system describe pod x" || piped.String() != "kubectl -n kube-system get pods | grep x" {
		t.Errorf("prefix changed: %s / %s / %s / %s", base, get, describe, piped)
	}
	if !(checks.Command{}).IsZero() || base.IsZero() {
		t.Error("IsZero")
	}
}

// TestCommandKeepsRawValues: the argument lists keep each value byte for byte, so a view can
// show what String keeps inert.
func TestCommandKeepsRawValues(t *testing.T) {
	c := checks.Cmd("kubectl", "get", "deployment", "pay\u202etxt").Pipe("grep", "-n", "a'b").Shell("2>/dev/null")
	want := [][]string{{"kubectl", "get", "deployment", "pay\u202etxt"}, {"grep", "-n", "a'b", "2>/dev/null"}}
	if got := c.Stages(); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("Stages() = %q, want %q", got, want)
	}
}

func TestCommandJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		Commands []checks.Command `json:"commands"`
	}{[]checks.Command{checks.Cmd("kubectl", "get", "pod", "a b"), checks.Cmd("kubectl", "get", "--raw", "/livez")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"commands":["kubectl get pod 'a b'","kubectl get --raw /livez"]}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

// hostile are values a cluster or a node can hold.
var hostile = []string{
	"payments$(touch${IFS}pwned)", "`touch pwned`", "it's", "'", "''", `'\''`, "a b", "\t", "a\nb", "a\r\nb",
	"", "*", "?", "[a]", "{a,b}", "~", "~root", "=ls", "#", "!", "!!", "-n", "--", ";", "&", "|", "&&", ">x",
	"<x", "$", "${x}", "$((1))", `\`, `\n`, `"`, "pay\u202etxt.exe", "a\u200bb", "\u2066x\u2069", "\x1b]52;c;eA==\x07",
	"\x7f", "\u0085", "é", "\uFEFF", "if", "then", "time", "A=b", "%1", "a\\\nb",
}

// TestCommandStringReadsBack proves quoting with real shells: each hostile value reaches the
// program as exactly one argument, in every shell installed here.
func TestCommandStringReadsBack(t *testing.T) {
	for _, sh := range []string{"sh", "bash", "dash", "zsh", "mksh", "busybox"} {
		path, err := exec.LookPath(sh)
		if err != nil {
			continue
		}
		t.Run(sh, func(t *testing.T) {
			args := []string{"-c"}
			if sh == "busybox" {
				args = []string{"sh", "-c"}
			}
			for _, v := range hostile {
				c := checks.Cmd("printf", `%s\0`, v, "end")
				out, err := exec.Command(path, append(args, c.String())...).Output()
				if err != nil {
					t.Errorf("%s -c %q: %v", sh, c, err)
					continue
				}
				if got := strings.Split(string(out), "\x00"); !slices.Equal(got, []string{v, "end", ""}) {
					t.Errorf("%s -c %q printed %q, want %q and end", sh, c, got, v)
				}
			}
		})
	}
}

func TestCommandStringParsesBack(t *testing.T) {
	for _, v := range hostile {
		for _, c := range []checks.Command{checks.Cmd(v), checks.Cmd("kubectl", "get", v), checks.Cmd("a", v).Pipe(v, v)} {
			requireReadsBack(t, c)
		}
	}
}

func requireReadsBack(t *testing.T, c checks.Command) {
	t.Helper()
	line := c.String()
	words, err := checktest.ShellWords(line)
	if err != nil {
		t.Fatalf("%q does not read back as plain words: %v", line, err)
	}
	if fmt.Sprintf("%q", words) != fmt.Sprintf("%q", c.Stages()) {
		t.Fatalf("%q reads back as %q, built from %q", line, words, c.Stages())
	}
}

// FuzzCommandString: whatever the values, the line reads back, in sh, bash, mksh and zsh, as
// exactly the words it was built from, with no substitution, expansion or extra word.
func FuzzCommandString(f *testing.F) {
	for _, v := range hostile {
		f.Add("kubectl", v, "x", v, uint8(0))
		f.Add(v, "get", v, "y", uint8(1))
	}
	f.Fuzz(func(t *testing.T, program, a, b, c string, shape uint8) {
		for _, v := range []string{program, a, b, c} {
			// A shell word is a C string: no shell can pass a NUL byte. mvdan.cc/sh reads
			// runes, so it cannot give back invalid UTF-8 byte for byte (real shells can).
			if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
				t.Skip()
			}
		}
		cmd := checks.Cmd(program, a)
		switch shape % 3 {
		case 0:
			cmd = cmd.Args(b, c)
		case 1:
			cmd = cmd.Pipe(b, c)
		case 2:
			cmd = cmd.Pipe(b).Pipe(c)
		}
		requireReadsBack(t, cmd)
		// Redaction happens before quoting: a redacted command is still plain words.
		requireReadsBack(t, cmd.Redact(safetext.RedactSecrets))
		// A name that is no shell identifier is no variable: its text is one literal word.
		if v := checks.Cmd("echo").Var(b); !strings.HasPrefix(v.String(), `echo "$`) {
			requireReadsBack(t, v)
		}
		if !bytes.Contains([]byte(cmd.String()), []byte(strings.ReplaceAll(a, "'", `'\''`))) {
			t.Fatalf("%q does not hold %q as written", cmd.String(), a)
		}
	})
}

// TestCommandParts: the pieces of each argument say which are values and which shell syntax.
func TestCommandParts(t *testing.T) {
	inner := checks.Cmd("openssl", "pkey", "-in", "a b")
	c := checks.Cmd("diff", "x y").Sub("<(", inner, ")").Glob("/etc/my dir", "*").Var("PATH").Shell("2>/dev/null")
	got := c.Parts()
	if len(got) != 1 || len(got[0]) != 6 {
		t.Fatalf("Parts() = %+v", got)
	}
	want := [][]checks.Part{
		{{Text: "diff"}},
		{{Text: "x y"}},
		{{Text: "<(", Syntax: true}, {Inner: &inner}, {Text: ")", Syntax: true}},
		{{Text: "/etc/my dir"}, {Text: "/*", Syntax: true}},
		{{Text: `"$`, Syntax: true}, {Text: "PATH"}, {Text: `"`, Syntax: true}},
		{{Text: "2>/dev/null", Syntax: true}},
	}
	for j, w := range want {
		if len(got[0][j]) != len(w) {
			t.Fatalf("argument %d: %+v, want %+v", j, got[0][j], w)
		}
		for k, p := range w {
			g := got[0][j][k]
			if g.Text != p.Text || g.Syntax != p.Syntax || (g.Inner == nil) != (p.Inner == nil) ||
				g.Inner != nil && g.Inner.String() != p.Inner.String() {
				t.Errorf("argument %d piece %d: %+v, want %+v", j, k, g, p)
			}
		}
	}
}
