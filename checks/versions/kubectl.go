package versions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/executable"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// kubectlTimeout bounds `kubectl version --client`: it reads nothing but itself, so a kubectl
// that takes longer is stuck or is not kubectl.
const kubectlTimeout = 3 * time.Second

// kubectlCheck is the versions.kubectl check.
var kubectlCheck = checks.Check{
	ID:       "versions.kubectl",
	Title:    "kubectl on PATH runs and is within one minor of the server",
	Category: checks.CategoryVersions,
	Learn:    learn("versions.kubectl"),
	Needs:    checks.NeedsObjects,
	Run:      runKubectlVersion,
}

func runKubectlVersion(ctx context.Context, env *checks.Env) checks.Result {
	server, serverErr := serverKubeVersion(ctx, env)
	r := inspectKubectl(ctx, env.SearchPath(), server, serverErr)
	if env.Snapshot != nil && !env.Snapshot.Live() {
		return offlineKubectl(r, server)
	}
	return r
}

// offlineKubectl judges nothing: reading a snapshot, the kubectl on this machine does not talk
// to that cluster, so its skew (or its breakage) is no fault of the cluster. What the check saw
// stays as notes, and the summary says what it would compare live.
func offlineKubectl(r checks.Result, server *version.Version) checks.Result {
	notes := make([]checks.Finding, len(r.Findings))
	for i, f := range r.Findings {
		f.Severity, f.Cause = checks.StatusOK, false
		notes[i] = f
	}
	what := "the server's version"
	if server != nil {
		what = "the snapshot's server " + displayVersion(server)
	}
	out := checks.Skipped(checks.SkipOffline, "offline: the kubectl on this machine does not talk to the snapshot's cluster; live, this check compares it with "+what)
	out.Findings = notes
	return out
}

// serverKubeVersion is the API server's version, live or from the snapshot.
func serverKubeVersion(ctx context.Context, env *checks.Env) (*version.Version, error) {
	if env.Snapshot == nil {
		return nil, fmt.Errorf("no cluster objects: %w", kube.ErrNotCollected)
	}
	info, err := env.Snapshot.ServerVersion(ctx)
	if err != nil {
		return nil, err
	}
	v, err := VersionFromInfo(info)
	if err != nil {
		return nil, fmt.Errorf("reading the server version: %w", err)
	}
	return v, nil
}

// inspectKubectl does the work of the check for a PATH and the server version (or why it is
// unknown): find, inspect, run, compare.
func inspectKubectl(ctx context.Context, search string, server *version.Version, serverErr error) checks.Result {
	found := lookPathAnyMode(search, kubectlName())
	if found.path == "" {
		return checks.Skipped(checks.SkipNotInstalled, "kubectl is not on PATH")
	}
	var findings []checks.Finding
	for _, p := range found.shadowed {
		// The shell passes over a file it may not execute and runs the next one: report the
		// skipped one, it is someone's kubectl.
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%s comes first on PATH but has no exec bit: the shell passes over it and runs %s", p, found.path),
			File:     &checks.FileRef{Path: p},
			Hint:     "Remove the stray file, or restore its exec bit if it is the kubectl you meant to run.",
			Commands: []checks.Command{checks.Cmd("ls", "-l", p)},
		})
	}
	if !found.executable {
		findings = append(findings, kubectlNoExecFinding(found, search))
	}

	// The header tells what running it would do; a file kockpit may execute but not read
	// (mode --x) is still run.
	head, readErr := executable.ReadFileHead(found.path, 4096)
	if readErr == nil {
		hdr := executable.ReadHeader(head)
		if what := hdr.Mismatch(runtime.GOOS, runtime.GOARCH); what != "" {
			findings = append(findings, kubectlForeignFinding(found, hdr, what, server))
			return kubectlResult(findings, server, serverErr)
		}
		if hdr.Format == executable.FormatScript {
			findings = append(findings, kubectlScriptFinding(found, hdr))
		}
	}
	if !found.executable {
		return kubectlResult(findings, server, serverErr)
	}

	client, f := runKubectlClientVersion(ctx, found.path, search)
	if f != nil {
		findings = append(findings, *f)
		return kubectlResult(findings, server, serverErr)
	}
	if server == nil {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusOK,
			Message:  fmt.Sprintf("kubectl %s at %s", displayVersion(client), found.path),
			File:     &checks.FileRef{Path: found.path},
			Evidence: []string{"path: " + found.path, "kubectl: " + displayVersion(client), "server: unknown"},
			Commands: []checks.Command{checks.Cmd("kubectl", "version", "--client")},
		})
	} else {
		findings = append(findings, kubectlSkewFinding(found.path, client, server))
	}
	return kubectlResult(findings, server, serverErr)
}

// kubectlResult closes the check: findings decide the status; without any, an unknown server
// version means the check could not conclude.
func kubectlResult(findings []checks.Finding, server *version.Version, serverErr error) checks.Result {
	worst := checks.Worst(findings)
	if server == nil && worst <= checks.StatusOK {
		r := checks.SkipOrError(fmt.Errorf("the server version is unknown: %w", serverErr))
		r.Findings = findings
		return r
	}
	r := checks.Result{Status: worst, Findings: findings}
	// The gravest finding speaks for the check; the others are counted.
	lead, others := -1, 0
	for i, f := range findings {
		if lead < 0 || f.Severity > findings[lead].Severity {
			lead = i
		}
	}
	for i, f := range findings {
		if i != lead && f.Severity > checks.StatusOK {
			others++
		}
	}
	switch {
	case lead < 0:
		r.Summary = "kubectl is fine"
	case others == 0:
		r.Summary = findings[lead].Message
	default:
		r.Summary = fmt.Sprintf("%s (and %d more)", findings[lead].Message, others)
	}
	if server == nil {
		r.Summary += " (server version unknown: " + serverErr.Error() + ")"
	}
	return r
}

func kubectlName() string {
	if runtime.GOOS == "windows" {
		return "kubectl.exe"
	}
	return "kubectl"
}

// lookedUp is a command found on PATH, whatever its mode.
type lookedUp struct {
	path       string // the file the shell would run, or the first one found if none may run
	executable bool
	resolved   string // the symlink's target, when path is a symlink
	mode       os.FileMode
	// shadowed are files of the same name earlier on PATH that lack the exec bit.
	shadowed []string
}

// lookPathAnyMode finds name on the PATH like a shell would, but also reports a file that lacks
// the exec bit, which exec.LookPath silently passes over: that is the breakage to show.
func lookPathAnyMode(search, name string) lookedUp {
	var first lookedUp
	var notExec []string
	for _, dir := range filepath.SplitList(search) {
		if dir == "" {
			continue // an empty entry means the working directory; kockpit does not run from there
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		// Windows has no exec bit: its file modes never carry one.
		l := lookedUp{path: p, mode: st.Mode(), executable: st.Mode().Perm()&0o111 != 0 || runtime.GOOS == "windows"}
		if target, err := filepath.EvalSymlinks(p); err == nil && target != p {
			l.resolved = target
		}
		if l.executable {
			l.shadowed = notExec
			return l
		}
		if first.path == "" {
			first = l
		}
		notExec = append(notExec, p)
	}
	return first
}

func kubectlNoExecFinding(found lookedUp, search string) checks.Finding {
	chmod := lookPathAnyMode(search, "chmod")
	chmodPath := chmod.path
	if chmodPath == "" {
		chmodPath = "/usr/bin/chmod"
	}
	evidence := []string{"path: " + found.path, "mode: " + found.mode.String()}
	if found.resolved != "" {
		evidence = append(evidence, "links to: "+found.resolved)
	}
	if chmod.path != "" && !chmod.executable {
		evidence = append(evidence, fmt.Sprintf("chmod at %s has no exec bit either (%s)", chmod.path, chmod.mode))
	}
	hint := fmt.Sprintf("Restore it with `%s`.", checks.Cmd("chmod", "+x", found.path))
	if loader := executable.DynamicLoader(runtime.GOARCH); loader != "" {
		hint += fmt.Sprintf(" If chmod lost its exec bit too, the dynamic linker can still run it, as it only "+
			"needs to read the file: `%s`.", checks.Cmd(loader, chmodPath, "+x", found.path))
	}
	return checks.Finding{
		Severity: checks.StatusFail,
		Message:  fmt.Sprintf("kubectl at %s has no exec bit: the shell only says \"permission denied\"", found.path),
		File:     &checks.FileRef{Path: found.path},
		Evidence: evidence,
		Hint:     hint,
		Commands: []checks.Command{checks.Cmd("ls", "-l", found.path)},
		Cause:    true,
	}
}

func kubectlForeignFinding(found lookedUp, hdr executable.Header, what string, server *version.Version) checks.Finding {
	url := kubectlDownloadURL(nil)
	if server != nil {
		url = kubectlDownloadURL(server)
	}
	return checks.Finding{
		Severity: checks.StatusFail,
		Message: fmt.Sprintf("kubectl at %s is %s: it cannot run on this %s/%s host",
			found.path, what, runtime.GOOS, runtime.GOARCH),
		File:     &checks.FileRef{Path: found.path},
		Evidence: []string{"path: " + found.path, "first bytes: " + hdr.HexPrefix()},
		Hint: fmt.Sprintf("Replace it with the %s/%s build of the server's release: %s",
			runtime.GOOS, runtime.GOARCH, url),
		Commands: []checks.Command{checks.Cmd("file", found.path), checks.Cmd("od", "-A", "d", "-t", "x1", "-N", "20", found.path)},
		Cause:    true,
	}
}

func kubectlScriptFinding(found lookedUp, hdr executable.Header) checks.Finding {
	evidence := []string{"path: " + found.path}
	if found.resolved != "" {
		evidence = append(evidence, "links to: "+found.resolved)
	}
	for i, l := range hdr.Lines {
		evidence = append(evidence, fmt.Sprintf("line %d: %s", i+1, l))
	}
	return checks.Finding{
		Severity: checks.StatusWarn,
		Message: fmt.Sprintf("kubectl at %s is a script run by %s, not the kubectl binary: a wrapper can hide or fake what kubectl shows",
			found.path, safetext.Visible(hdr.Interpreter)),
		File:     &checks.FileRef{Path: found.path},
		Evidence: evidence,
		Hint:     "Read the whole script. If it is not yours, call the binary it wraps by its full path, or reinstall kubectl.",
		Commands: []checks.Command{checks.Cmd("head", "-n", "20", found.path)},
	}
}

func kubectlSkewFinding(path string, client, server *version.Version) checks.Finding {
	s := CompareSkew(ComponentKubectl, client, server)
	f := checks.Finding{
		Severity: checks.StatusOK,
		Message:  s.Sentence(),
		File:     &checks.FileRef{Path: path},
		Evidence: []string{"path: " + path, "kubectl: " + displayVersion(client), "server: " + displayVersion(server)},
		Commands: []checks.Command{checks.Cmd("kubectl", "version")},
	}
	if !s.Allowed {
		f.Severity = checks.StatusFail
		f.Message += ": " + s.Rule()
		f.Hint = fmt.Sprintf("Install kubectl %s (%s to %s are supported): %s",
			MinorString(server), MinorString(server.SubtractMinor(1)), MinorString(server.AddMinor(1)),
			kubectlDownloadURL(server))
		f.Cause = true
	}
	return f
}

// kubectlDownloadURL is where the upstream kubectl of the server's release is, for this host.
func kubectlDownloadURL(server *version.Version) string {
	return kubectlDownloadURLFor(server, runtime.GOOS, runtime.GOARCH)
}

// kubectlDownloadURLFor is the same for another system (a node's, read from its kubectl).
func kubectlDownloadURLFor(server *version.Version, goos, goarch string) string {
	release := "<version>"
	if server != nil {
		// Provider suffixes ("-eks-abc") name no upstream release; the patch does.
		release = fmt.Sprintf("v%d.%d.%d", server.Major(), server.Minor(), server.Patch())
	}
	return fmt.Sprintf("https://dl.k8s.io/release/%s/bin/%s/%s/kubectl", release, goos, goarch)
}

// runKubectlClientVersion asks kubectl for its own version. It runs with no environment but
// PATH and a KUBECONFIG that names no cluster, so even a kubectl that ignores --client cannot
// reach one. It returns a finding instead when kubectl fails or prints nothing readable.
func runKubectlClientVersion(ctx context.Context, path, search string) (*version.Version, *checks.Finding) {
	ctx, cancel := context.WithTimeout(ctx, kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version", "--client", "-o", "json")
	cmd.Env = []string{"PATH=" + search, "KUBECONFIG=" + os.DevNull}
	cmd.Dir = os.TempDir()
	stdout := &outputCap{max: 64 << 10}
	stderr := &outputCap{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A child that keeps the pipes open (a wrapper's background job) must not hold us.
	cmd.WaitDelay = 500 * time.Millisecond
	err := cmd.Run()

	fail := func(msg string, out []byte) *checks.Finding {
		ev := []string{"path: " + path}
		for _, l := range executable.PrintableLines(out, 5) {
			ev = append(ev, "output: "+l)
		}
		return &checks.Finding{
			Severity: checks.StatusFail,
			Message:  msg,
			File:     &checks.FileRef{Path: path},
			Evidence: ev,
			Hint:     "Run it by hand to see what it does; reinstall kubectl if it is damaged or replaced.",
			Commands: []checks.Command{checks.Cmd(path, "version", "--client")},
			Cause:    true,
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fail(fmt.Sprintf("kubectl at %s did not answer `kubectl version --client` within %s", path, kubectlTimeout), stdout.Bytes())
	case err != nil:
		out := stderr.Bytes()
		if len(bytes.TrimSpace(out)) == 0 {
			out = stdout.Bytes()
		}
		return nil, fail(fmt.Sprintf("kubectl at %s fails `kubectl version --client`: %v", path, err), out)
	}
	raw, perr := parseKubectlClientVersion(stdout.Bytes())
	if perr != nil {
		f := fail(fmt.Sprintf("kubectl at %s printed no version kockpit can read", path), stdout.Bytes())
		f.Severity = checks.StatusWarn
		f.Cause = false
		return nil, f
	}
	v, perr := ParseKubeVersion(raw)
	if perr != nil {
		f := fail(fmt.Sprintf("kubectl at %s reports a version kockpit cannot read: %q", path, safetext.Visible(raw)), nil)
		f.Severity = checks.StatusWarn
		f.Cause = false
		return nil, f
	}
	return v, nil
}

var (
	// kubectl before -o json, or a text format: `Client Version: version.Info{Major:"1", ...,
	// GitVersion:"v1.12.0", ...}`.
	gitVersionInfoRE = regexp.MustCompile(`GitVersion:"([^"]+)"`)
	// kubectl 1.28 and later without -o: `Client Version: v1.28.0`.
	clientVersionLineRE = regexp.MustCompile(`(?m)^Client Version:\s*(v?[0-9][^\s]*)`)
)

// parseKubectlClientVersion reads the client's gitVersion from `kubectl version --client -o
// json`, falling back to the text forms old or wrapped kubectls print.
func parseKubectlClientVersion(out []byte) (string, error) {
	if i := bytes.IndexByte(out, '{'); i >= 0 {
		var doc struct {
			ClientVersion *struct {
				GitVersion string `json:"gitVersion"`
				Major      string `json:"major"`
				Minor      string `json:"minor"`
			} `json:"clientVersion"`
		}
		dec := json.NewDecoder(bytes.NewReader(out[i:]))
		if err := dec.Decode(&doc); err == nil && doc.ClientVersion != nil {
			cv := doc.ClientVersion
			if cv.GitVersion != "" {
				return cv.GitVersion, nil
			}
			if cv.Major != "" && cv.Minor != "" {
				return "v" + cv.Major + "." + strings.TrimRight(cv.Minor, "+"), nil
			}
		}
	}
	if m := gitVersionInfoRE.FindSubmatch(out); m != nil {
		return string(m[1]), nil
	}
	if m := clientVersionLineRE.FindSubmatch(out); m != nil {
		return string(m[1]), nil
	}
	return "", errors.New("no client version in the output")
}

// outputCap keeps the first max bytes written and discards the rest, so a command that
// floods its output cannot grow kockpit's memory.
type outputCap struct {
	buf bytes.Buffer
	max int
}

func (c *outputCap) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *outputCap) Bytes() []byte { return c.buf.Bytes() }
