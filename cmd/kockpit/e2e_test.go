package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kockpit/kockpit/kube/testcluster"
)

// The cockpit end to end: the real binary in a real terminal (tmux, 120×40) against the real
// test API server. Keys go in with send-keys, the screen comes back with capture-pane.
//
// A test whose cockpit reads only what the test made for it (the demo, its own snapshot, node
// tree, state directory or closed port) calls t.Parallel: each waits mostly on its terminal.
// One that changes the shared test cluster (Apply) or bounds a time stays sequential; Go runs
// the parallel ones after every sequential test of the package.

// tmuxTerm is one tmux server of a test, on its own socket.
type tmuxTerm struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T, command string, width, height int) *tmuxTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
			t.Fatal("tmux is not installed (make test-deps installs it)")
		}
		t.Skip("tmux is not installed")
	}
	tm := &tmuxTerm{t: t, socket: fmt.Sprintf("kockpit-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())}
	tm.run("new-session", "-d", "-s", "main", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), command)
	t.Cleanup(func() { exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmuxTerm) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// screen is the pane as text; escapes keeps the colours (capture-pane -e).
func (tm *tmuxTerm) screen(escapes bool) string {
	args := []string{"capture-pane", "-p", "-t", "main"}
	if escapes {
		args = append(args, "-e")
	}
	return tm.run(args...)
}

func (tm *tmuxTerm) keys(keys ...string) {
	tm.run(append([]string{"send-keys", "-t", "main"}, keys...)...)
}

// waitFor polls the screen until ok says yes, and fails with the screen after timeout.
func (tm *tmuxTerm) waitFor(what string, timeout time.Duration, ok func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := tm.screen(false)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waiting for %s: not on screen after %s:\n%s", what, timeout, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitSettled is waitFor on a settled screen: ok holds and the capture before was the same.
// tmux can show a frame half drawn (the new view's top over the old one's bottom); a test
// that reads the screen after a key waits for the whole frame.
func (tm *tmuxTerm) waitSettled(what string, timeout time.Duration, ok func(string) bool) string {
	tm.t.Helper()
	previous := ""
	return tm.waitFor(what, timeout, func(s string) bool {
		settled := s == previous && ok(s)
		previous = s
		return settled
	})
}

func (tm *tmuxTerm) waitText(text string) string {
	tm.t.Helper()
	return tm.waitSettled(fmt.Sprintf("%q", text), 20*time.Second, func(s string) bool { return strings.Contains(s, text) })
}

var allDone = regexp.MustCompile(`(\d+) of (\d+) checks`)

func (tm *tmuxTerm) waitDone() string {
	tm.t.Helper()
	return tm.waitFor("every check to finish", 60*time.Second, func(s string) bool {
		m := allDone.FindStringSubmatch(s)
		return m != nil && m[1] == m[2]
	})
}

// toChecklist leaves the triage screen, the first view once the run ends, for the checklist.
func (tm *tmuxTerm) toChecklist() string {
	tm.t.Helper()
	tm.waitText("╭─ causes")
	tm.keys("c")
	return tm.waitText("╭─ checks")
}

// builtKockpit is the binary the end-to-end tests run: one build for the whole test process
// (a link of kockpit costs seconds), made by the first test that asks, removed by TestMain.
var builtKockpit struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildKockpit returns the built binary, building it on the first call.
func buildKockpit(t *testing.T) string {
	t.Helper()
	builtKockpit.once.Do(func() {
		dir, err := os.MkdirTemp("", "kockpit-e2e-bin-")
		if err != nil {
			builtKockpit.err = err
			return
		}
		builtKockpit.dir = dir
		bin := filepath.Join(dir, "kockpit")
		// Without DWARF tables (-w): a third less to link, and kockpit never reads them.
		if out, err := exec.Command("go", "build", "-ldflags=-w", "-o", bin, ".").CombinedOutput(); err != nil {
			builtKockpit.err = fmt.Errorf("go build: %v: %s", err, out)
			return
		}
		builtKockpit.path = bin
	})
	if builtKockpit.err != nil {
		t.Fatal(builtKockpit.err)
	}
	return builtKockpit.path
}

// removeBuiltKockpit removes the binary once every test has run.
func removeBuiltKockpit() {
	if builtKockpit.dir != "" {
		os.RemoveAll(builtKockpit.dir)
	}
}

// shellLine runs kockpit in the pane, then says how it exited and keeps the pane open.
func shellLine(bin string, args ...string) string {
	q := []string{"env", "TERM=xterm-256color", "PATH=" + testcluster.BinDir() + ":" + os.Getenv("PATH"), bin}
	for _, a := range args {
		q = append(q, "'"+a+"'")
	}
	return strings.Join(q, " ") + `; echo "kockpit exited $?"; sleep 600`
}

func TestCockpitEndToEnd(t *testing.T) {
	testCluster(t).Apply(t, "../../testdata/fixtures/api-control-plane-broken", "../../testdata/fixtures/cockpit-escapes")
	bin := buildKockpit(t)
	tm := newTmux(t, shellLine(bin, "--kubeconfig", testCluster(t).AdminKubeconfig), 120, 80) // tall enough to show every category, Versions last but one

	tm.waitDone()
	s := tm.toChecklist()
	for _, want := range []string{"✔ api.reachable", "✖ api.control-plane", "API", "VERSIONS", "? help", "q quit"} {
		if !strings.Contains(s, want) {
			t.Errorf("checklist lacks %q:\n%s", want, s)
		}
	}

	// Filter to the crash-looping scheduler, open its finding: the drill-in reads the pod live.
	tm.keys("/")
	tm.keys("-l", "kube-scheduler-cp2")
	tm.keys("Enter", "Tab", "Enter")
	tm.waitText("checks › api.control-plane › Pod kube-system/kube-scheduler-cp2")
	s = tm.waitText("EVENTS")
	for _, want := range []string{"read live just now", "CONTAINERS", "waiting: CrashLoopBackOff", "→ Node cp2"} {
		if !strings.Contains(s, want) {
			t.Errorf("drill-in lacks %q:\n%s", want, s)
		}
	}
	// The crafted event: drawn visibly, never interpreted.
	s = tm.waitText("␛[2J␛[H␛[31mPWNED␛[0m")
	if !strings.Contains(s, "⎈ kockpit") {
		t.Errorf("the screen was cleared by an event message:\n%s", s)
	}
	if raw := tm.screen(true); strings.Contains(raw, "\x1b[31mPWNED") {
		t.Error("PWNED is drawn red: the event's escape sequence reached the terminal")
	}
	tm.keys("G")
	tm.waitText("restartCount: 12")

	// Back out, and the help screen.
	// One key at a time: an escape followed at once by another key reads as alt+key.
	for _, k := range []string{"Escape", "Escape", "?"} {
		tm.keys(k)
		time.Sleep(150 * time.Millisecond)
	}
	s = tm.waitText("Marks")
	for _, want := range []string{"re-run all", "copy kubectl", "skipped: did not apply"} {
		if !strings.Contains(s, want) {
			t.Errorf("help lacks %q:\n%s", want, s)
		}
	}

	// Quit: exit 0, the terminal back to the shell with its cursor.
	tm.keys("q")
	tm.waitText("kockpit exited 0")
	if got := strings.TrimSpace(tm.run("display-message", "-p", "-t", "main", "#{alternate_on} #{cursor_flag} #{mouse_any_flag}")); got != "0 1 0" {
		t.Errorf("terminal state after quit (alternate screen, cursor, mouse): %q, want \"0 1 0\"", got)
	}
	if s := tm.screen(false); strings.Contains(s, "PWNED") {
		t.Errorf("the alternate screen was not left:\n%s", s)
	}
}

func TestCockpitAPIServerDown(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	bin := buildKockpit(t)
	kubeconfig := testCluster(t).KubeconfigWith(t, closedPort(t))
	start := time.Now()
	tm := newTmux(t, shellLine(bin, "--kubeconfig", kubeconfig, "--request-timeout", "2s"), 120, 80) // tall enough to show every category, Versions last but one
	tm.waitFor("the first frame", 20*time.Second, func(s string) bool { return strings.Contains(s, "╭─ checks") })
	t.Logf("start to first frame, API server down, process start included: %s", time.Since(start).Round(time.Millisecond))

	s := tm.waitText("API server unreachable")
	if !strings.Contains(s, "refused") {
		t.Errorf("the banner does not say why:\n%s", s)
	}
	tm.waitDone()
	s = tm.toChecklist()
	for _, want := range []string{"✖ api.reachable", "versions.kubectl"} {
		if !strings.Contains(s, want) {
			t.Errorf("with the API server down the cockpit lacks %q:\n%s", want, s)
		}
	}
	tm.keys("q")
	tm.waitText("kockpit exited 0")
}

// TestDemoCleansUpWhenTheTerminalCloses: the demo unpacks its node's files to a temporary
// directory; closing the terminal (SIGHUP) mid-run still removes them, as q and ctrl+c do.
func TestDemoCleansUpWhenTheTerminalCloses(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	bin := buildKockpit(t)
	tmp := t.TempDir()
	for _, end := range []string{"q", "close the terminal"} {
		t.Run(end, func(t *testing.T) {
			tm := newTmux(t, "env TERM=xterm-256color TMPDIR="+tmp+" "+bin+` --demo; echo "kockpit exited $?"; sleep 600`, 120, 40)
			tm.waitDone()
			if left, _ := filepath.Glob(filepath.Join(tmp, "kockpit-demo-node-*")); len(left) != 1 {
				t.Fatalf("while the demo runs, its node files should be unpacked once: %q", left)
			}
			if end == "q" {
				tm.keys("q")
				tm.waitText("kockpit exited 0")
			} else {
				tm.run("kill-server") // the pane's terminal hangs up: SIGHUP
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				left, _ := filepath.Glob(filepath.Join(tmp, "kockpit-demo-node-*"))
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after %s the demo left %q behind", end, left)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestDemoDrillsIntoANodesFile: enter on a host finding shows the node's file around the line it
// names, with the line marked, in the real binary and terminal.
func TestDemoDrillsIntoANodesFile(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	bin := buildKockpit(t)
	tm := newTmux(t, "env TERM=xterm-256color "+bin+" --demo", 120, 40)
	tm.waitDone()
	tm.toChecklist()
	tm.keys("/")
	tm.keys("-l", "host.shell")
	tm.keys("Enter", "Tab", "Enter")
	s := tm.waitText("FILE  lines 1–4")
	for _, want := range []string{"checks › host.shell › ", "  3 │ PATH=/usr/local/sbin", "▶ 4 │ * * * * * root sed -i '/^nameserver/d' /etc/resolv.conf"} {
		if !strings.Contains(s, want) {
			t.Errorf("the drill-in lacks %q:\n%s", want, s)
		}
	}
	tm.keys("Escape")
	tm.waitFor("the findings again", 10*time.Second, func(s string) bool { return !strings.Contains(s, "FILE  lines") })
	tm.keys("q")
}

// TestDemoFlowsPane: f opens the demo's recorded flows, with the recorded drop and its reason;
// enter drills into the dropped flow's pod with the hubble observe line that shows it.
func TestDemoFlowsPane(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	bin := buildKockpit(t)
	tm := newTmux(t, "env TERM=xterm-256color "+bin+" --demo", 120, 40)
	tm.waitDone()
	tm.toChecklist()
	tm.keys("f")
	s := tm.waitText("recording the demo's Hubble recording · 9 flows · window 2026-11-25 09:20:07..09:21:03 UTC · replayed once")
	for _, want := range []string{"09:20:07 DROPPED   ingress → storefront/frontend-7b9c6d5f4-2xq8p TCP/8080 policy denied",
		"09:21:03 DROPPED   world → storefront/frontend-7b9c6d5f4-2xq8p TCP/8080 policy denied"} {
		if !strings.Contains(s, want) {
			t.Errorf("the Flows pane lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "● live") {
		t.Errorf("a recording is said live:\n%s", s)
	}
	tm.keys("Enter")
	s = tm.waitText("flows › Pod storefront/frontend-7b9c6d5f4-2xq8p")
	if !strings.Contains(s, "$ hubble observe --verdict DROPPED --from-identity reserved:world --to-pod storefront/frontend-7b9c6d5f4-2xq8p") {
		t.Errorf("the flow's drill-in lacks its hubble observe line:\n%s", s)
	}
	tm.keys("q")
}

// TestCockpitRefusesToCopyHiddenCharacters: y on a command that holds a bidi control (a crafted
// selector in a snapshot) copies nothing and says why; y on a plain one copies it (OSC 52,
// which tmux keeps as a paste buffer).
func TestCockpitRefusesToCopyHiddenCharacters(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	snap := filepath.Join(t.TempDir(), "snapshot.yaml")
	const yaml = `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}, spec: {selector: {app: "pay\u202eload"}, ports: [{port: 80}]}}
- {apiVersion: v1, kind: Pod, metadata: {name: web-1, namespace: shop, labels: {app: payload}}, status: {phase: Running}}
- {apiVersion: v1, kind: Service, metadata: {name: zz, namespace: shop}, spec: {selector: {app: zz}, ports: [{port: 80}]}}
`
	if err := os.WriteFile(snap, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildKockpit(t)
	tm := newTmux(t, shellLine(bin, "--snapshot", snap, "--only", "network.services"), 120, 40)
	tm.run("set-option", "-g", "set-clipboard", "on")
	tm.waitDone()
	tm.toChecklist()
	tm.keys("Tab")
	time.Sleep(150 * time.Millisecond)
	tm.keys("y")
	s := tm.waitText("not copied: the command holds U+202E RIGHT-TO-LEFT OVERRIDE (bidi control)")
	if !strings.Contains(s, "$ kubectl -n shop get pods -l 'app=pay⟨U+202E⟩load'") {
		t.Errorf("the command is not shown made visible:\n%s", s)
	}
	if raw := tm.screen(true); strings.ContainsRune(raw, '\u202e') {
		t.Error("U+202E reached the terminal raw")
	}
	if bufs := strings.TrimSpace(tm.run("list-buffers")); bufs != "" {
		t.Errorf("y copied a command holding U+202E: %s", bufs)
	}
	// The next finding's command is plain: y copies it, so the copy above was refused, not lost.
	tm.keys("j")
	time.Sleep(150 * time.Millisecond)
	tm.keys("y")
	tm.waitText("copied: kubectl -n shop get pods -l app=zz")
	tm.waitFor("the paste buffer", 10*time.Second, func(string) bool {
		out, _ := exec.Command("tmux", "-L", tm.socket, "show-buffer").Output()
		return strings.TrimSpace(string(out)) == "kubectl -n shop get pods -l app=zz"
	})
	tm.keys("q")
	tm.waitText("kockpit exited 0")
}

// TestDemoShowsTheCausesFirst: once the demo's run ends, the first view is the triage screen,
// the Cilium DaemonSet that skips three nodes first; enter shows the node it leaves NotReady
// under it.
func TestDemoShowsTheCausesFirst(t *testing.T) {
	t.Parallel() // its own terminal and inputs (e2e_test.go says when)
	bin := buildKockpit(t)
	tm := newTmux(t, shellLine(bin, "--demo"), 120, 40)
	tm.waitDone()
	s := tm.waitText("╭─ causes")
	first := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, " 1 ✖ ") {
			first = l
		}
	}
	if !strings.Contains(first, "symptoms network.cni") || !strings.Contains(first, "Cilium DaemonSet cannot run on 3 of 4 nodes") {
		t.Errorf("the first cause is not the demo's CNI:\n%s", s)
	}
	tm.keys("Enter")
	s = tm.waitText("EXPLAINS")
	if !strings.Contains(s, "network.cni Node worker-3: node worker-3 is NotReady") {
		t.Errorf("the cause's drill-in does not list its NotReady node:\n%s", s)
	}
	tm.keys("Escape")
	time.Sleep(150 * time.Millisecond)
	tm.keys("c")
	tm.waitText("╭─ checks")
	tm.keys("q")
	tm.waitText("kockpit exited 0")
}
