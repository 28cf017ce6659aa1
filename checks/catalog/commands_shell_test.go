package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/scenarios"
)

// The proof that suggested commands are shell-safe: every command of every finding, of the demo
// and of crafted fixtures whose names, namespaces, labels and paths hold $(...), backticks, ;,
// quotes, spaces, a line break and U+202E, is run by a real shell (bash -c LINE) whose PATH holds
// only stubs, one per program the commands name. Each stub writes its arguments to a file, and
// each stage must have received exactly the values the command was built from (Parts); nothing
// else may run (no touch, no id), and no file may appear where the shell runs.
// (bash -n proves nothing: `$(touch x)` is valid syntax.)

// shellNow is the clock of these runs, just after the demo's newest timestamp.
var shellNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// kubectlVersionScript answers versions.kubectl's `kubectl version --client -o json` while the
// checks run; the harness later replaces it with a stub like every other program.
const kubectlVersionScript = `#!/bin/sh
echo '{"clientVersion":{"major":"1","minor":"37","gitVersion":"v1.37.2","platform":"linux/amd64"}}'
`

// hostile holds what a crafted name may: each one a command substitution, backticks, a ;, both
// quotes, spaces, a line break and a bidi control, each of which runs something or splits a
// word if it is pasted unquoted. Each is distinct, so a finding's commands can be traced back.
func hostile(tag string) string {
	return tag + "$(touch pwned-" + tag + ")`touch bt-" + tag + "`;touch semi-" + tag + " 'q\"\n\u202e|id>" + tag
}

func TestEveryCommandRunsAsBuiltInARealShell(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
			t.Fatal("bash is not installed")
		}
		t.Skip("bash is not installed")
	}
	t.Run("demo", func(t *testing.T) {
		env := demoEnv(t)
		h := newShellHarness(t, bash)
		cmds, _ := commandsOf(t, env)
		h.runAll(t, cmds, env.Host.Root, env.Path)
	})
	t.Run("crafted", func(t *testing.T) {
		env, hintCmds := craftedEnv(t)
		h := newShellHarness(t, bash)
		cmds, hints := commandsOf(t, env)
		// The crafted names must reach commands of every area, or this proves little.
		byArea := map[string]int{}
		for _, c := range cmds {
			if strings.Contains(strings.Join(slices.Concat(c.cmd.Stages()...), "\x00"), "$(touch pwned-") {
				byArea[strings.Split(c.check, ".")[0]]++
			}
		}
		for _, a := range Areas() {
			if byArea[a.Name] == 0 {
				t.Errorf("no command of area %s holds a crafted value: the fixtures miss it", a.Name)
			}
		}
		t.Logf("commands holding a crafted value, by area: %v", byArea)
		if !slices.ContainsFunc(cmds, func(c foundCommand) bool {
			line := strings.Join(slices.Concat(c.cmd.Stages()...), "\x00")
			return c.check == "hubble.drops" && strings.HasPrefix(line, "kubectl") && strings.Contains(line, "networkpolicy") && strings.Contains(line, "$(touch pwned-")
		}) {
			t.Error("hubble.drops suggests no kubectl line for a crafted policy it evaluated")
		}
		// A fix that names a command in prose quotes the crafted values in it as the commands
		// do: each such command must be in its check's hint, and runs with the others.
		for _, want := range hintCmds {
			if !slices.ContainsFunc(hints[want.check], func(h string) bool { return strings.Contains(h, want.cmd.String()) }) {
				t.Errorf("no hint of %s holds %q; its hints:\n%s", want.check, want.cmd.String(), strings.Join(hints[want.check], "\n"))
			}
			cmds = append(cmds, foundCommand{check: want.check + " (hint)", cmd: want.cmd})
		}
		h.runAll(t, cmds, append([]string{env.Host.Root}, filepath.SplitList(env.Path)...)...)
	})
}

// foundCommand is a command and the check whose finding suggested it.
type foundCommand struct {
	check string
	cmd   checks.Command
}

// commandsOf runs every check on env, as a run does (redaction included), and returns every
// command of every finding, once each, and the hints by check.
func commandsOf(t *testing.T, env *checks.Env) ([]foundCommand, map[string][]string) {
	t.Helper()
	all := All()
	env.Selected = all
	seen := map[string]bool{}
	var out []foundCommand
	hints := map[string][]string{}
	for r := range checks.Run(context.Background(), all, env, checks.RunOptions{Parallelism: 2}) {
		for _, f := range r.Findings {
			hints[r.CheckID] = append(hints[r.CheckID], f.Hint)
			for _, c := range f.Commands {
				if line := c.String(); !seen[line] {
					seen[line] = true
					out = append(out, foundCommand{check: r.CheckID, cmd: c})
				}
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d commands: the fixtures give too few findings to prove anything", len(out))
	}
	return out, hints
}

// demoEnv is `kockpit --demo`: the embedded cluster and its node, unpacked.
func demoEnv(t *testing.T) *checks.Env {
	t.Helper()
	snap, err := scenarios.Demo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	unpacked, err := scenarios.UnpackNode(filepath.Join(t.TempDir(), "kockpit-demo-node"))
	if err != nil {
		t.Fatal(err)
	}
	flows, err := scenarios.DemoFlows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &checks.Env{Snapshot: snap, Host: &checks.Host{Root: unpacked.Root, Recorded: unpacked.Recorded, Since: nodefs.DefaultHostSince, Unpacked: true}, Flows: flows,
		Path: kubectlDir(t, filepath.Join(t.TempDir(), "bin")), Now: func() time.Time { return shellNow }}
}

// kubectlDir makes dir and puts a kubectl there that answers versions.kubectl.
func kubectlDir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubectl"), []byte(kubectlVersionScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// craftedEnv is the demo with crafted names: its objects renamed (names, namespaces, label
// values, node names, Service and webhook references), its node unpacked under a crafted
// directory with crafted file names added, a kubeconfig with crafted names, and kubectl found
// in crafted directories on PATH. It also returns commands its findings' hints must name.
func craftedEnv(t *testing.T) (*checks.Env, []foundCommand) {
	t.Helper()
	rename := map[string]string{}
	for i, name := range []string{
		"storefront", "frontend", "frontend-7b9c6d5f4-2xq8p", "allow-frontend", "frontend-q8z4d",
		"default", "shop", "shop-7d9f-abcde",
		"cp1", "worker-1", "worker-2", "worker-3",
		"kube-apiserver-cp1", "kube-controller-manager-cp1", "kube-scheduler-cp1", "etcd-cp1",
		"coredns", "coredns-5d78c9869d-4tq2x", "coredns-5d78c9869d-9kd7w", "cilium-h8x2v",
		"v1beta1.metrics.k8s.io", "metrics-server", "policy-guard", "policy-system", "pods.policy-guard.example.com",
		"checkout", "checkout-6f8d7c9b5-k2m4p", "checkout-6f8d7c9b5-w7r9t", "gvisor", "reports", "reports-5b6c7d8e9-q4w5e",
		"recommender", "recommender-7d4b9c8f6-p2x8k", "recommender-7d4b9c8f6-v6n3q", "dedicated",
	} {
		rename[name] = hostile(fmt.Sprintf("o%d", i))
	}
	// The near-miss selector value keeps its shape, so network.services still names it; the
	// look-alike env value keeps its Cyrillic letter and gains a crafted tail, so api.lookalikes
	// names it with a crafted value in the pod's and namespace's names and in the value itself.
	rename["front-end"] = "front-end" + hostile("sel")
	rename["http://orders.storefront.svc.cluster.loсal:8080"] = "http://orders.storefront.svc.cluster.loсal:8080" + hostile("env")

	dir := filepath.Join(t.TempDir(), "snapshot")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	demo := os.DirFS("../../scenarios/demo")
	err := fs.WalkDir(demo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := fs.ReadFile(demo, p)
		if err != nil {
			return err
		}
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			var obj any
			if err := yaml.Unmarshal(doc, &obj); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if obj == nil {
				continue
			}
			out, err := json.Marshal(renameValues(obj, rename))
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s-%d.json", strings.TrimSuffix(path.Base(p), ".yaml"), i)
			if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	writeCraftedStorage(t, dir, rename["shop"])
	writeCraftedWorkloads(t, dir, rename["shop"])
	snap, err := kube.LoadSnapshot(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}

	// The node, under a directory with a crafted name: every node path of every host command
	// holds it. Files with crafted names join them.
	unpacked, err := scenarios.UnpackNode(filepath.Join(t.TempDir(), hostile("root")))
	if err != nil {
		t.Fatal(err)
	}
	root := unpacked.Root
	unit := hostile("unit")
	files := map[string]string{
		"etc/cron.d/" + hostile("cron"):                  "* * * * * root sed -i '/^nameserver/d' /etc/resolv.conf\n",
		"etc/kubernetes/manifests/" + hostile("pod"):     "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n",
		"etc/systemd/system/" + unit + ".timer":          "[Timer]\nOnCalendar=minutely\n",
		"var/lib/kubelet/pki/" + hostile("key") + ".key": "a key anyone may read\n",
		"etc/systemd/system/" + unit + ".service":        "[Service]\nExecStart=/bin/sh -c 'iptables -I INPUT -p tcp --dport 6443 -j DROP'\n",
	}
	maps.Copy(files, craftedRuntimeFiles())
	for p, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/admin.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/kubernetes", hostile("kubeconfig")+".conf"), admin, 0o600); err != nil {
		t.Fatal(err)
	}

	// PATH is two crafted directories: a kubectl without its exec bit, then one that fails, so
	// versions.kubectl names both, the second also as the program of its command.
	tmp := t.TempDir()
	noExec, bin := filepath.Join(tmp, hostile("noexec")), filepath.Join(tmp, hostile("bin"))
	for dir, file := range map[string]struct {
		script string
		mode   os.FileMode
	}{noExec: {kubectlVersionScript, 0o644}, bin: {"#!/bin/sh\necho 'kubectl: broken' >&2\nexit 3\n", 0o755}} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "kubectl"), []byte(file.script), file.mode); err != nil {
			t.Fatal(err)
		}
	}
	// A kubeconfig whose current context names a cluster that does not exist, and no user.
	ctx, file := hostile("ctx"), filepath.Join(tmp, hostile("kubeconfig"))
	kc := &kube.Kubeconfig{Files: []string{file}, Context: ctx, Raw: clientcmdapi.Config{CurrentContext: ctx,
		Contexts: map[string]*clientcmdapi.Context{ctx: {LocationOfOrigin: file, Cluster: hostile("cluster")}}}}

	hints := []foundCommand{
		{"api.admission", checks.Cmd("kubectl", "delete", "validatingwebhookconfiguration", rename["policy-guard"])},
		{"api.kubeconfig", checks.Cmd("kubectl", "config", "set-context", ctx, "--cluster=NAME")},
		{"api.kubeconfig", checks.Cmd("kubectl", "config", "set-context", ctx, "--user=NAME")},
		{"network.services", checks.Cmd("kubectl", "-n", rename["storefront"], "edit", "service", rename["frontend"])},
		{"host.binaries", checks.Cmd("chmod", "+x", root+"/usr/bin/kubeadm")},
		{"host.certificates", checks.Cmd("kubeadm", "certs", "renew", hostile("kubeconfig")+".conf")},
		{"host.preload", checks.Cmd("truncate", "-s", "0", root+"/etc/ld.so.preload")},
		{"host.kubelet-files", checks.Cmd("chmod", "0600", root+"/var/lib/kubelet/pki/"+hostile("key")+".key")},
		{"host.shell", checks.Cmd("systemctl", "disable", "--now", unit+".timer")},
		{"workloads.scheduling", checks.Cmd("kubectl", "taint", "nodes", rename["worker-2"], rename["dedicated"]+":NoSchedule-")},
	}
	// Hubble flows from a recording under a crafted directory, its namespaces and pods
	// renamed as the cluster's are: hubble observe gets both.
	flows := craftedRecording(t, rename)

	// Not Unpacked: an unpacked scenario shows node paths, and here the hostile root itself
	// must reach the commands, as `kockpit node --host-root` puts it there.
	return &checks.Env{Snapshot: snap, Host: &checks.Host{Root: root, Since: nodefs.DefaultHostSince}, Flows: flows,
		Runtime: craftedRuntimeSocket(t), Kubeconfig: kc, Path: noExec + string(os.PathListSeparator) + bin, Now: func() time.Time { return shellNow }}, hints
}

// renameValues replaces every string value (never a key) that rename names, wherever it is.
func renameValues(v any, rename map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = renameValues(x, rename)
		}
	case []any:
		for i, x := range v {
			v[i] = renameValues(x, rename)
		}
	case string:
		if r, ok := rename[v]; ok {
			return r
		}
	}
	return v
}

// shellHarness runs command lines in bash with stubs for every program.
type shellHarness struct {
	bash  string
	stubs string // the only directory on PATH
	logs  string // where each stub writes its arguments
	work  string // the shell's working directory: nothing may appear in it
	home  string
	env   []string
	// vars caches what a variable expands to in the harness's shell.
	vars map[string]string
	// shapes counts the arguments of each shape met, for the log.
	shapes map[string]int
}

// stubScript writes $0 and its arguments, NUL-separated, to a file of its own; hostname also
// answers, as $(hostname) needs a word.
func stubScript(bash string) string {
	return "#!" + bash + `
printf '%s\0' "$0" "$@" > "$KOCKPIT_STUB_LOG/$$.$RANDOM"
[ "${0##*/}" = hostname ] && echo stub-host
exit 0
`
}

func newShellHarness(t *testing.T, bash string) *shellHarness {
	dir := t.TempDir()
	h := &shellHarness{bash: bash, stubs: filepath.Join(dir, "stubs"), logs: filepath.Join(dir, "logs"),
		work: filepath.Join(dir, "work"), home: filepath.Join(dir, "home"), vars: map[string]string{}, shapes: map[string]int{}}
	for _, d := range []string{h.stubs, h.logs, h.work, h.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.env = []string{"PATH=" + h.stubs, "HOME=" + h.home, "LC_ALL=C", "KOCKPIT_STUB_LOG=" + h.logs,
		"BASH_ENV=" + filepath.Join(dir, "bash_env")}
	return h
}

// invocation is a program run with its arguments: what a stub records, or what a command means.
type invocation struct {
	program string
	args    []arg
}

// arg is an argument as expected: a value, or a pattern (a process substitution's /dev/fd/N).
type arg struct {
	value string
	like  *regexp.Regexp
}

func (a arg) matches(s string) bool {
	if a.like != nil {
		return a.like.MatchString(s)
	}
	return a.value == s
}

func (a arg) String() string {
	if a.like != nil {
		return "/" + a.like.String() + "/"
	}
	return fmt.Sprintf("%q", a.value)
}

func (i invocation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q", i.program)
	for _, a := range i.args {
		b.WriteString(" " + a.String())
	}
	return b.String()
}

var devFD = regexp.MustCompile(`^/dev/fd/[0-9]+$|^/proc/self/fd/[0-9]+$`)

// syntaxWords are the words of shell syntax alone that kockpit's commands write, and what they
// give in the harness's shell: the arguments, and what runs to give them. A new one fails the
// test until it is described here.
func (h *shellHarness) syntaxWord(text string) (args []arg, runs []invocation, ok bool) {
	switch text {
	case "$(hostname)":
		return []arg{{value: "stub-host"}}, []invocation{{program: filepath.Join(h.stubs, "hostname")}}, true
	case "2>/dev/null", "$precmd_functions", "$preexec_functions":
		return nil, nil, true
	case `"$HISTFILE $HISTSIZE"`:
		return []arg{{value: " "}}, nil, true
	case "~/.bashrc":
		return []arg{{value: h.home + "/.bashrc"}}, nil, true
	}
	return nil, nil, false
}

// expect is what running c must do: each stage's program with exactly the values it was built
// from, and the commands its syntax runs (a process substitution's, $(hostname)).
func (h *shellHarness) expect(t *testing.T, c checks.Command) ([]invocation, error) {
	var out []invocation
	for _, stage := range c.Parts() {
		var inv invocation
		for j, word := range stage {
			args, runs, err := h.word(t, word)
			if err != nil {
				return nil, err
			}
			out = append(out, runs...)
			if j == 0 {
				if len(args) != 1 || args[0].like != nil {
					return nil, fmt.Errorf("the program is not one word: %v", args)
				}
				inv.program = args[0].value
				if !strings.Contains(inv.program, "/") {
					inv.program = filepath.Join(h.stubs, inv.program)
				}
				continue
			}
			inv.args = append(inv.args, args...)
		}
		out = append(out, inv)
	}
	return out, nil
}

// word is what one argument gives: its values exactly, or what the syntax around them does.
func (h *shellHarness) word(t *testing.T, w []checks.Part) ([]arg, []invocation, error) {
	literal := true
	var b strings.Builder
	for _, p := range w {
		literal = literal && !p.Syntax && p.Inner == nil
		b.WriteString(p.Text)
	}
	switch {
	case literal:
		h.shapes["value"]++
		return []arg{{value: b.String()}}, nil, nil
	case len(w) == 1 && w[0].Syntax:
		h.shapes[w[0].Text]++
		if args, runs, ok := h.syntaxWord(w[0].Text); ok {
			return args, runs, nil
		}
		return nil, nil, fmt.Errorf("shell syntax %q: describe what it gives in syntaxWord", w[0].Text)
	case len(w) == 2 && !w[0].Syntax && w[0].Inner == nil && w[1].Syntax && strings.HasPrefix(w[1].Text, "/"):
		// Glob: the files of the directory (a value) that match the pattern, sorted as in the C
		// locale; the word itself when none does.
		h.shapes["glob"]++
		return globArgs(w[0].Text, w[1].Text[1:]), nil, nil
	case len(w) == 3 && w[0].Syntax && w[0].Text == `"$` && !w[1].Syntax && w[2].Syntax && w[2].Text == `"`:
		h.shapes["variable"]++
		return []arg{{value: h.variable(t, w[1].Text)}}, nil, nil
	case len(w) == 3 && w[0].Syntax && w[0].Text == "<(" && w[1].Inner != nil && w[2].Syntax && w[2].Text == ")":
		h.shapes["process substitution"]++
		runs, err := h.expect(t, *w[1].Inner)
		return []arg{{like: devFD}}, runs, err
	}
	return nil, nil, fmt.Errorf("an argument of a shape the harness does not know: %+v", w)
}

func globArgs(dir, pattern string) []arg {
	entries, _ := os.ReadDir(dir)
	var out []arg
	for _, e := range entries {
		name := e.Name()
		if ok, _ := path.Match(pattern, name); ok && (!strings.HasPrefix(name, ".") || strings.HasPrefix(pattern, ".")) {
			out = append(out, arg{value: dir + "/" + name})
		}
	}
	slices.SortFunc(out, func(a, b arg) int { return strings.Compare(a.value, b.value) })
	if len(out) == 0 {
		return []arg{{value: dir + "/" + pattern}}
	}
	return out
}

// variable is what "$name" gives in the harness's shell.
func (h *shellHarness) variable(t *testing.T, name string) string {
	if v, ok := h.vars[name]; ok {
		return v
	}
	cmd := exec.Command(h.bash, "-c", `printf %s "$`+name+`"`)
	cmd.Env, cmd.Dir = h.env, h.work
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("expanding $%s: %v", name, err)
	}
	h.vars[name] = string(out)
	return string(out)
}

// install writes a stub for every program the commands run (and for touch and id, so that an
// injected one would be recorded too), and makes the builtins among them run their stubs.
func (h *shellHarness) install(t *testing.T, programs map[string]bool, roots []string) {
	for _, p := range []string{"touch", "id", "rm", "sh", "bash"} {
		programs[filepath.Join(h.stubs, p)] = true
	}
	out, err := exec.Command(h.bash, "-c", "compgen -b").Output()
	if err != nil {
		t.Fatal(err)
	}
	builtins := map[string]bool{}
	for _, b := range strings.Fields(string(out)) {
		builtins[b] = true
	}
	var disable []string
	for p := range programs {
		if filepath.Dir(p) != h.stubs && !slices.ContainsFunc(roots, func(r string) bool { return strings.HasPrefix(p, r+"/") }) {
			t.Errorf("a command runs %q, outside the fixtures: the harness cannot stub it", p)
			continue
		}
		os.Remove(p)
		if err := os.WriteFile(p, []byte(stubScript(h.bash)), 0o755); err != nil {
			t.Fatal(err)
		}
		if name := filepath.Base(p); filepath.Dir(p) == h.stubs && builtins[name] && name != "enable" {
			disable = append(disable, name)
		}
	}
	slices.Sort(disable)
	if programs[filepath.Join(h.stubs, "enable")] {
		disable = append(disable, "enable") // last: it does the disabling
	}
	// BASH_ENV runs before the line: builtins named like a program go, so PATH's stub runs (echo
	// "$PATH" records its argument), and BASH_ENV goes so the stubs' own bash does not read it.
	bashEnv := "unset BASH_ENV\n"
	if len(disable) > 0 {
		bashEnv = "enable -n " + strings.Join(disable, " ") + "\n" + bashEnv
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(h.stubs), "bash_env"), []byte(bashEnv), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runAll runs every command and checks what ran. roots are the fixtures' own directories, where
// a program a command names by its path (a node's binary, the kubectl found on PATH) is
// replaced by a stub.
func (h *shellHarness) runAll(t *testing.T, cmds []foundCommand, roots ...string) {
	type planned struct {
		foundCommand
		want []invocation
	}
	var plan []planned
	programs := map[string]bool{}
	for _, c := range cmds {
		want, err := h.expect(t, c.cmd)
		if err != nil {
			t.Errorf("%s: %q: %v", c.check, c.cmd.String(), err)
			continue
		}
		for _, inv := range want {
			programs[inv.program] = true
		}
		plan = append(plan, planned{c, want})
	}
	h.install(t, programs, roots)
	var names []string
	for p := range programs {
		names = append(names, strings.TrimPrefix(p, h.stubs+"/"))
	}
	slices.Sort(names)
	t.Logf("programs: %q", names)
	for _, p := range plan {
		h.run(t, p.check, p.cmd, p.want)
	}
	t.Logf("%d commands run in bash, %d programs stubbed; arguments by shape: %v", len(plan), len(programs), h.shapes)
}

func (h *shellHarness) run(t *testing.T, check string, c checks.Command, want []invocation) {
	line := c.String()
	entries, _ := os.ReadDir(h.logs)
	for _, e := range entries {
		os.Remove(filepath.Join(h.logs, e.Name()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bash, "-c", line)
	cmd.Env, cmd.Dir = h.env, h.work
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("%s: bash -c %q: %v: %s", check, line, err, stderr.String())
	}
	var got []invocation
	entries, _ = os.ReadDir(h.logs)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(h.logs, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fields := strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
		inv := invocation{program: fields[0]}
		for _, f := range fields[1:] {
			inv.args = append(inv.args, arg{value: f})
		}
		got = append(got, inv)
	}
	var missing []invocation
	for _, w := range want {
		i := slices.IndexFunc(got, func(g invocation) bool {
			if g.program != w.program || len(g.args) != len(w.args) {
				return false
			}
			for k, a := range w.args {
				if !a.matches(g.args[k].value) {
					return false
				}
			}
			return true
		})
		if i < 0 {
			missing = append(missing, w)
			continue
		}
		got = slices.Delete(got, i, i+1)
	}
	if len(missing) > 0 || len(got) > 0 {
		t.Errorf("%s: bash -c %q\n  did not run as built: %v\n  ran besides: %v", check, line, missing, got)
	}
	if left, _ := os.ReadDir(h.work); len(left) > 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
			os.RemoveAll(filepath.Join(h.work, e.Name()))
		}
		t.Errorf("%s: bash -c %q created %q", check, line, names)
	}
}

// craftedRecording is testdata's Hubble recording with the demo's names crafted, and namespaces
// and pods of its own crafted too, written under a crafted directory.
func craftedRecording(t *testing.T, rename map[string]string) *hubble.Recording {
	t.Helper()
	data, err := os.ReadFile("../../testdata/hubble/flows.jsonpb")
	if err != nil {
		t.Fatal(err)
	}
	// The demo's own drops name no policy: hubble.drops evaluates the crafted policy that
	// selects the crafted pod, and suggests the kubectl line that shows it.
	demoFlows, err := os.ReadFile("../../scenarios/flows/demo.jsonpb")
	if err != nil {
		t.Fatal(err)
	}
	data = append(append(bytes.TrimSpace(data), '\n'), demoFlows...)
	names := map[string]string{"shop": hostile("ns"), "frontend-7d9f8-abcde": hostile("pod")}
	for k, v := range rename {
		names[k] = v
	}
	var out bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var obj any
		if err := json.Unmarshal(line, &obj); err != nil {
			t.Fatal(err)
		}
		renamed, err := json.Marshal(renameValues(obj, names))
		if err != nil {
			t.Fatal(err)
		}
		out.Write(renamed)
		out.WriteByte('\n')
	}
	dir := filepath.Join(t.TempDir(), hostile("flows"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "flows.jsonpb")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := hubble.OpenRecording(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// writeCraftedStorage adds storage objects with crafted names to the snapshot: a class whose
// provisioner runs nowhere and its Pending claim, a Released volume kept by Retain, and an
// attachment held by a node that is gone, a class naming a Secret that does not exist, so every
// storage check suggests commands on them.
func writeCraftedStorage(t *testing.T, dir, namespace string) {
	t.Helper()
	class, claim, pv, kept, va, node := hostile("sc"), hostile("pvc"), hostile("pv"), hostile("kept"), hostile("va"), hostile("node")
	objs := []map[string]any{
		{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": map[string]any{"name": class}, "provisioner": hostile("prov")},
		{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": map[string]any{"name": claim, "namespace": namespace, "creationTimestamp": "2026-12-01T10:00:00Z"},
			"spec":   map[string]any{"storageClassName": class, "accessModes": []string{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}},
			"status": map[string]any{"phase": "Pending"}},
		{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": map[string]any{"name": kept},
			"spec":   map[string]any{"persistentVolumeReclaimPolicy": "Retain", "claimRef": map[string]any{"namespace": namespace, "name": hostile("old")}},
			"status": map[string]any{"phase": "Released"}},
		{"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": map[string]any{"name": va},
			"spec":   map[string]any{"attacher": hostile("drv"), "nodeName": node, "source": map[string]any{"persistentVolumeName": pv}},
			"status": map[string]any{"attached": true}},
		// A class whose parameters name a Secret that does not exist (any Secret makes the kind read).
		{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": map[string]any{"name": hostile("sec-sc")}, "provisioner": "kubernetes.io/no-provisioner",
			"parameters": map[string]any{"csi.storage.k8s.io/provisioner-secret-name": hostile("secret"), "csi.storage.k8s.io/provisioner-secret-namespace": namespace}},
		{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "present", "namespace": namespace}},
	}
	for i, o := range objs {
		out, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("storage-%d.json", i)), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeCraftedWorkloads adds references that point nowhere, with crafted names: a Deployment
// naming a ConfigMap that does not exist, and a NetworkPolicy whose selector's value matches no
// pod, so workloads.references suggests commands on them.
func writeCraftedWorkloads(t *testing.T, dir, namespace string) {
	t.Helper()
	deploy, cm, label := hostile("deploy"), hostile("cm"), hostile("lbl")
	objs := []map[string]any{
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": deploy, "namespace": namespace},
			"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": "x"}}, "template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "x"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "busybox",
					"envFrom": []any{map[string]any{"configMapRef": map[string]any{"name": cm}}}}}}}}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": map[string]any{"name": hostile("np"), "namespace": namespace},
			"spec": map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"app": label}}}},
	}
	for i, o := range objs {
		out, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("workloads-%d.json", i)), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
