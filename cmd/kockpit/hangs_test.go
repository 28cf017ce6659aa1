package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/klog/v2"

	"github.com/kockpit/kockpit/kube"
)

// Kockpit never hangs: on an API server that accepts and never answers, on special files, and
// whatever it is blocked on when it gets SIGINT or SIGTERM.

// silentServer listens on 127.0.0.1, accepts connections and never answers. With tls it looks
// like a TLS server that starts the handshake and never finishes it: it reads the ClientHello
// and sends the header of a handshake record whose body never comes. accepted counts the
// connections.
func silentServer(t *testing.T, tls bool) (addr string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = &atomic.Int32{}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if tls {
				go func() {
					buf := make([]byte, 512)
					if _, err := c.Read(buf); err == nil {
						c.Write([]byte{0x16, 0x03, 0x03, 0x00, 0x64})
					}
					io.Copy(io.Discard, c)
				}()
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String(), accepted
}

// kubeconfigFor writes a kubeconfig for server; user is the user entry's YAML.
func kubeconfigFor(t *testing.T, server, user string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: silent
  cluster: {server: %q, insecure-skip-tls-verify: true}
contexts:
- name: silent
  context: {cluster: silent, user: u}
current-context: silent
users:
- name: u
  user: %s
`, server, user)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// klogLine is how klog starts a line: severity, date, time.
var klogLine = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d`)

// TestSilentAPIServerEndsWithinTheRequestTimeout: against a server that accepts and never
// answers (plain, or stuck in the TLS handshake) the whole report takes one request timeout,
// not one per request; the checks that need no API still run; nothing from klog reaches stderr.
func TestSilentAPIServerEndsWithinTheRequestTimeout(t *testing.T) {
	const requestTimeout = 2 * time.Second
	bound := requestTimeout*3/2 + time.Second
	for _, c := range []struct {
		name, scheme, stalled string
		tls                   bool
	}{
		{"plain", "http://", "the request was sent and no answer came", false},
		{"TLS handshake never completes", "https://", "the TLS handshake never completed", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr, _ := silentServer(t, c.tls)
			kubeconfig := kubeconfigFor(t, c.scheme+addr, "{token: kockpit-test-token}")
			start := time.Now()
			code, out, errOut := kockpit(t, "--report", "--format", "json", "--kubeconfig", kubeconfig, "--request-timeout", requestTimeout.String())
			took := time.Since(start)
			t.Logf("report against a silent server (%s): %s, request timeout %s (ratio %.2f)", c.name, took.Round(time.Millisecond), requestTimeout, float64(took)/float64(requestTimeout))
			if took > bound {
				t.Errorf("the report took %s; the bound is %s (1.5 × --request-timeout + 1s)", took, bound)
			}
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr %s", code, errOut)
			}
			if klogLine.MatchString(errOut) || strings.Contains(errOut, "unable to cancel") {
				t.Errorf("a library wrote to stderr behind kockpit's back:\n%s", errOut)
			}
			r := parseReport(t, out)
			byID := map[string]string{}
			for _, ch := range r.Checks {
				byID[ch.ID] = ch.Summary
				switch {
				case ch.ID == "api.reachable" && (ch.Status != "fail" || !strings.Contains(ch.Summary, c.stalled)):
					t.Errorf("api.reachable: %s %q, want a fail saying %q", ch.Status, ch.Summary, c.stalled)
				case ch.Status == "error" && !strings.Contains(ch.Summary, "within the request timeout"):
					t.Errorf("%s: an error that does not say the server stopped answering: %q", ch.ID, ch.Summary)
				}
			}
			// The checks that need no API server ran and said something.
			for _, id := range []string{"versions.kubectl", "api.kubeconfig"} {
				if byID[id] == "" {
					t.Errorf("%s did not run (or said nothing)", id)
				}
			}
			if !strings.Contains(byID["api.kubeconfig"], "insecure-skip-tls-verify") {
				t.Errorf("api.kubeconfig: %q", byID["api.kubeconfig"])
			}
		})
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input.yaml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	return path
}

// TestSpecialFilesAreRefusedAtOnce: a FIFO or /dev/zero given as a snapshot or a kubeconfig is
// bad input (exit 2) at once, naming the file; nothing is opened, read or written.
func TestSpecialFilesAreRefusedAtOnce(t *testing.T) {
	fifo := mkfifo(t)
	dir := filepath.Dir(fifo) // a snapshot directory that holds the FIFO
	for _, c := range []struct {
		name string
		args []string
		env  string
		file string
	}{
		{"FIFO as --snapshot", []string{"--snapshot", fifo}, "", fifo},
		{"FIFO in a --snapshot directory", []string{"--snapshot", dir}, "", fifo},
		{"/dev/zero as --snapshot", []string{"--snapshot", "/dev/zero"}, "", "/dev/zero"},
		{"FIFO as --kubeconfig", []string{"--kubeconfig", fifo}, "", fifo},
		{"/dev/zero as --kubeconfig", []string{"--kubeconfig", "/dev/zero"}, "", "/dev/zero"},
		{"/dev/zero in KUBECONFIG", nil, "/dev/zero", "/dev/zero"},
		{"FIFO as --certificate-authority", []string{"--certificate-authority", fifo, "--server", "https://127.0.0.1:1"}, "", fifo},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", c.env)
			out := filepath.Join(t.TempDir(), "r.json")
			start := time.Now()
			code, stdout, errOut := kockpit(t, append([]string{"--report", "-o", out}, c.args...)...)
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %s", took)
			}
			if code != 2 || !strings.Contains(errOut, c.file) || !strings.Contains(errOut, "not a regular file") {
				t.Errorf("exit %d, stderr %q; want 2 naming %s", code, errOut, c.file)
			}
			if _, err := os.Stat(out); err == nil || stdout != "" {
				t.Errorf("bad input wrote a report")
			}
		})
	}
}

// TestSignalsEndKockpitWithinASecond runs the built binary, blocked on a silent API server
// (ended by cancelling its requests) or on a credential plugin that reads a FIFO (which no
// cancellation reaches), and sends it SIGTERM or SIGINT: it exits 143 or 130 within a second,
// and leaves no -o file, partial or not.
func TestSignalsEndKockpitWithinASecond(t *testing.T) {
	bin := buildKockpit(t)
	addr, accepted := silentServer(t, true)
	silent := kubeconfigFor(t, "https://"+addr, "{token: kockpit-test-token}")
	fifo := mkfifo(t)
	t.Cleanup(func() {
		// Let the plugins left reading the FIFO (kockpit did not wait for them) see its end.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	plugin := kubeconfigFor(t, "https://"+addr, fmt.Sprintf(
		"{exec: {apiVersion: client.authentication.k8s.io/v1, command: cat, args: [%q], interactiveMode: Never}}", fifo))

	for _, c := range []struct {
		name       string
		kubeconfig string
		sig        syscall.Signal
		want       int
	}{
		{"SIGTERM on a silent server", silent, syscall.SIGTERM, 143},
		{"SIGINT on a silent server", silent, syscall.SIGINT, 130},
		{"SIGTERM on a plugin reading a FIFO", plugin, syscall.SIGTERM, 143},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "report.json")
			cmd := exec.Command(bin, "--report", "--format", "json", "--kubeconfig", c.kubeconfig, "--request-timeout", "60s", "-o", out)
			// A file, not a pipe: a plugin kockpit left running keeps a pipe open, and Wait
			// would wait for it, not for kockpit.
			stderr := stderrToFile(t, cmd)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until the run is blocked: connected to the server, or the plugin started.
			before := accepted.Load()
			deadline := time.Now().Add(20 * time.Second)
			for (c.kubeconfig == silent && accepted.Load() == before) || (c.kubeconfig == plugin && !pluginRunning(cmd.Process.Pid)) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("kockpit never got blocked; stderr %s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			took := signalAndWait(t, c.name, cmd, c.sig, c.want, stderr)
			if took > time.Second {
				t.Errorf("took %s after %s, want at most a second", took, c.sig)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left %s behind", entries[0].Name())
			}
			if klogLine.MatchString(stderr.String()) {
				t.Errorf("klog wrote to stderr:\n%s", stderr.String())
			}
		})
	}
}

// fileText is a file's content as text, read when asked.
type fileText struct{ path string }

// stderrToFile sends cmd's stderr to a file in the test's temporary directory, whose text the
// returned fileText reads.
func stderrToFile(t *testing.T, cmd *exec.Cmd) *fileText {
	t.Helper()
	stderr := &fileText{path: filepath.Join(t.TempDir(), "stderr")}
	f, err := os.Create(stderr.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cmd.Stderr = f
	return stderr
}

func (f *fileText) String() string {
	b, _ := os.ReadFile(f.path)
	return string(b)
}

// pluginRunning says whether the process pid has a child running cat (the credential plugin).
func pluginRunning(pid int) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(cat") {
			continue
		}
		var state string
		var ppid int
		if _, err := fmt.Sscanf(s[i+1:], " %s %d", &state, &ppid); err == nil && ppid == pid {
			return true
		}
	}
	return false
}

// TestLibraryLogIsSummedUpAsKockpitsOwnText: what client-go logs during a run comes out after
// it, on stderr, counted, terminal-safe and with credentials redacted.
func TestLibraryLogIsSummedUpAsKockpitsOwnText(t *testing.T) {
	l := kube.CaptureLibraryLog()
	mark := l.Mark()
	for range 5 {
		klog.Warning("exec plugin said \x1b]0;pwned\x07 --token=kockpit-secret-token")
	}
	var b strings.Builder
	reportLibraryLog(&b, l, mark)
	got := b.String()
	for _, want := range []string{"kockpit: the Kubernetes client library logged 5 messages during the run (held back from the screen):", "(and 2 more)", "<redacted>"} {
		if !strings.Contains(got, want) {
			t.Errorf("the summary lacks %q:\n%s", want, got)
		}
	}
	if strings.ContainsAny(got, "\x1b\x07") || strings.Contains(got, "kockpit-secret-token") {
		t.Errorf("the summary is not safe:\n%q", got)
	}
	b.Reset()
	reportLibraryLog(&b, l, l.Mark())
	if b.Len() != 0 {
		t.Errorf("nothing logged, yet: %q", b.String())
	}
}

// TestCockpitOnASilentAPIServer: in the cockpit too, a server that never answers costs one
// request timeout: every check has finished within 1.5 × --request-timeout + 1s of the first
// frame, and nothing but the cockpit drew on the screen (the header line is intact).
func TestCockpitOnASilentAPIServer(t *testing.T) {
	// Long enough that the bound's slack (half of it, plus a second) holds tmux and a loaded
	// machine's scheduling, which do not grow with it.
	const requestTimeout = 5 * time.Second
	bin := buildKockpit(t)
	addr, _ := silentServer(t, true)
	kubeconfig := kubeconfigFor(t, "https://"+addr, "{token: kockpit-test-token}")
	tm := newTmux(t, shellLine(bin, "--kubeconfig", kubeconfig, "--request-timeout", requestTimeout.String()), 120, 80) // tall enough to show every category, Versions last but one
	tm.waitFor("the first frame", 20*time.Second, func(s string) bool { return strings.Contains(s, "╭─ checks") })
	start := time.Now()
	s := tm.waitDone()
	took := time.Since(start)
	t.Logf("cockpit on a silent server: every check done %s after the first frame, request timeout %s", took.Round(time.Millisecond), requestTimeout)
	if bound := requestTimeout*3/2 + time.Second; took > bound {
		t.Errorf("the checks took %s after the first frame; the bound is %s", took, bound)
	}
	if first, _, _ := strings.Cut(s, "\n"); !strings.Contains(first, "⎈ kockpit") {
		t.Errorf("the header line was overwritten: %q", first)
	}
	if klogLine.MatchString(s) || strings.Contains(s, "unable to cancel") {
		t.Errorf("a library wrote over the screen:\n%s", s)
	}
	s = tm.toChecklist()
	for _, want := range []string{"✖ api.reachable", "versions.kubectl"} {
		if !strings.Contains(s, want) {
			t.Errorf("the cockpit lacks %q:\n%s", want, s)
		}
	}
	tm.keys("q")
	tm.waitText("kockpit exited 0")
}

// signalAndWait sends sig to a running kockpit and waits for it to end: a hang guard of 5 s
// (far under the request timeouts the tests set), then the exit code it must give. It returns
// how long kockpit took, which the caller logs or bounds.
func signalAndWait(t *testing.T, name string, cmd *exec.Cmd, sig os.Signal, want int, stderr fmt.Stringer) time.Duration {
	t.Helper()
	start := time.Now()
	cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 5s after %s; stderr %s", sig, stderr.String())
	}
	took := time.Since(start)
	t.Logf("%s: exited %s after the signal", name, took.Round(time.Millisecond))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != want {
		t.Errorf("exit %v, want %d; stderr %s", err, want, stderr.String())
	}
	return took
}
