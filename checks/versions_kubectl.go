package checks

import (
	"bytes"
	"context"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// kubectlTimeout bounds `kubectl version --client`: it reads nothing but itself, so a kubectl
// that takes longer is stuck or is not kubectl.
const kubectlTimeout = 3 * time.Second

func init() {
	register(Check{
		ID:       "versions.kubectl",
		Title:    "kubectl on PATH runs and is within one minor of the server",
		Category: CategoryVersions,
		Learn: "The kubectl you type is the first file named kubectl on your PATH. kockpit reads its " +
			"header before running it: a file without its exec bit only says \"permission denied\", a " +
			"build for another system says \"exec format error\", and a script can be a wrapper that hides " +
			"namespaces or prints a fake error. Then it asks kubectl for its own version, without touching " +
			"the cluster, and holds it against the API server's: kubectl is supported one minor older or " +
			"newer than the server; far outside that it misreads or stops talking to the API. Fix by " +
			"restoring the exec bit (chmod can itself be run through the dynamic linker when it lost its own) " +
			"or by installing the kubectl release matching the server.",
		Needs: NeedsObjects,
		Run:   runKubectlVersion,
	})
}

func runKubectlVersion(ctx context.Context, env *Env) Result {
	search := env.Path
	if search == "" {
		search = os.Getenv("PATH")
	}
	server, serverErr := serverKubeVersion(ctx, env)
	return inspectKubectl(ctx, search, server, serverErr)
}

// serverKubeVersion is the API server's version, live or from the snapshot.
func serverKubeVersion(ctx context.Context, env *Env) (*version.Version, error) {
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
func inspectKubectl(ctx context.Context, search string, server *version.Version, serverErr error) Result {
	found := lookPathAnyMode(search, kubectlName())
	if found.path == "" {
		return Skipped(SkipNotInstalled, "kubectl is not on PATH")
	}
	var findings []Finding
	for _, p := range found.shadowed {
		// The shell passes over a file it may not execute and runs the next one: report the
		// skipped one, it is someone's kubectl.
		findings = append(findings, Finding{
			Severity: StatusWarn,
			Message:  fmt.Sprintf("%s comes first on PATH but has no exec bit: the shell passes over it and runs %s", p, found.path),
			File:     &FileRef{Path: p},
			Hint:     "Remove the stray file, or restore its exec bit if it is the kubectl you meant to run.",
			Commands: []string{"ls -l " + quotePathForShell(p)},
		})
	}
	if !found.executable {
		findings = append(findings, kubectlNoExecFinding(found, search))
	}

	// The header tells what running it would do; a file kockpit may execute but not read
	// (mode --x) is still run.
	head, readErr := readFileHead(found.path, 4096)
	if readErr == nil {
		hdr := readBinaryHeader(head)
		if what := hdr.mismatch(runtime.GOOS, runtime.GOARCH); what != "" {
			findings = append(findings, kubectlForeignFinding(found, hdr, what, server))
			return kubectlResult(findings, server, serverErr)
		}
		if hdr.format == formatScript {
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
		findings = append(findings, Finding{
			Severity: StatusOK,
			Message:  fmt.Sprintf("kubectl %s at %s", displayVersion(client), found.path),
			File:     &FileRef{Path: found.path},
			Evidence: []string{"path: " + found.path, "kubectl: " + displayVersion(client), "server: unknown"},
			Commands: []string{"kubectl version --client"},
		})
	} else {
		findings = append(findings, kubectlSkewFinding(found.path, client, server))
	}
	return kubectlResult(findings, server, serverErr)
}

// kubectlResult closes the check: findings decide the status; without any, an unknown server
// version means the check could not conclude.
func kubectlResult(findings []Finding, server *version.Version, serverErr error) Result {
	worst := Worst(findings)
	if server == nil && worst <= StatusOK {
		r := SkipOrError(fmt.Errorf("the server version is unknown: %w", serverErr))
		r.Findings = findings
		return r
	}
	r := Result{Status: worst, Findings: findings}
	// The gravest finding speaks for the check; the others are counted.
	lead, others := -1, 0
	for i, f := range findings {
		if lead < 0 || f.Severity > findings[lead].Severity {
			lead = i
		}
	}
	for i, f := range findings {
		if i != lead && f.Severity > StatusOK {
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

func kubectlNoExecFinding(found lookedUp, search string) Finding {
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
	hint := fmt.Sprintf("Restore it with `chmod +x %s`.", quotePathForShell(found.path))
	if loader := dynamicLoader(runtime.GOARCH); loader != "" {
		hint += fmt.Sprintf(" If chmod lost its exec bit too, the dynamic linker can still run it, as it only "+
			"needs to read the file: `%s %s +x %s`.", loader, chmodPath, quotePathForShell(found.path))
	}
	return Finding{
		Severity: StatusFail,
		Message:  fmt.Sprintf("kubectl at %s has no exec bit: the shell only says \"permission denied\"", found.path),
		File:     &FileRef{Path: found.path},
		Evidence: evidence,
		Hint:     hint,
		Commands: []string{"ls -l " + quotePathForShell(found.path)},
		Cause:    true,
	}
}

// dynamicLoader is the path of the dynamic linker of glibc systems for an architecture.
func dynamicLoader(goarch string) string {
	switch goarch {
	case "amd64":
		return "/lib64/ld-linux-x86-64.so.2"
	case "arm64":
		return "/lib/ld-linux-aarch64.so.1"
	case "386":
		return "/lib/ld-linux.so.2"
	case "arm":
		return "/lib/ld-linux-armhf.so.3"
	case "ppc64le":
		return "/lib64/ld64.so.2"
	case "s390x":
		return "/lib/ld64.so.1"
	case "riscv64":
		return "/lib/ld-linux-riscv64-lp64d.so.1"
	}
	return ""
}

func kubectlForeignFinding(found lookedUp, hdr binaryHeader, what string, server *version.Version) Finding {
	url := kubectlDownloadURL(nil)
	if server != nil {
		url = kubectlDownloadURL(server)
	}
	return Finding{
		Severity: StatusFail,
		Message: fmt.Sprintf("kubectl at %s is %s: it cannot run on this %s/%s host",
			found.path, what, runtime.GOOS, runtime.GOARCH),
		File:     &FileRef{Path: found.path},
		Evidence: []string{"path: " + found.path, "first bytes: " + hdr.hexPrefix()},
		Hint: fmt.Sprintf("Replace it with the %s/%s build of the server's release: %s",
			runtime.GOOS, runtime.GOARCH, url),
		Commands: []string{"file " + quotePathForShell(found.path), "od -A d -t x1 -N 20 " + quotePathForShell(found.path)},
		Cause:    true,
	}
}

func kubectlScriptFinding(found lookedUp, hdr binaryHeader) Finding {
	evidence := []string{"path: " + found.path}
	if found.resolved != "" {
		evidence = append(evidence, "links to: "+found.resolved)
	}
	for i, l := range hdr.lines {
		evidence = append(evidence, fmt.Sprintf("line %d: %s", i+1, l))
	}
	return Finding{
		Severity: StatusWarn,
		Message: fmt.Sprintf("kubectl at %s is a script run by %s, not the kubectl binary: a wrapper can hide or fake what kubectl shows",
			found.path, safetext.Visible(hdr.interpreter)),
		File:     &FileRef{Path: found.path},
		Evidence: evidence,
		Hint:     "Read the whole script. If it is not yours, call the binary it wraps by its full path, or reinstall kubectl.",
		Commands: []string{"head -n 20 " + quotePathForShell(found.path)},
	}
}

func kubectlSkewFinding(path string, client, server *version.Version) Finding {
	s := CompareSkew(ComponentKubectl, client, server)
	f := Finding{
		Severity: StatusOK,
		Message:  s.Sentence(),
		File:     &FileRef{Path: path},
		Evidence: []string{"path: " + path, "kubectl: " + displayVersion(client), "server: " + displayVersion(server)},
		Commands: []string{"kubectl version"},
	}
	if !s.Allowed {
		f.Severity = StatusFail
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
	release := "<version>"
	if server != nil {
		// Provider suffixes ("-eks-abc") name no upstream release; the patch does.
		release = fmt.Sprintf("v%d.%d.%d", server.Major(), server.Minor(), server.Patch())
	}
	return fmt.Sprintf("https://dl.k8s.io/release/%s/bin/%s/%s/kubectl", release, runtime.GOOS, runtime.GOARCH)
}

// runKubectlClientVersion asks kubectl for its own version. It runs with no environment but
// PATH and a KUBECONFIG that names no cluster, so even a kubectl that ignores --client cannot
// reach one. It returns a finding instead when kubectl fails or prints nothing readable.
func runKubectlClientVersion(ctx context.Context, path, search string) (*version.Version, *Finding) {
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

	fail := func(msg string, out []byte) *Finding {
		ev := []string{"path: " + path}
		for _, l := range printableLines(out, 5) {
			ev = append(ev, "output: "+l)
		}
		return &Finding{
			Severity: StatusFail,
			Message:  msg,
			File:     &FileRef{Path: path},
			Evidence: ev,
			Hint:     "Run it by hand to see what it does; reinstall kubectl if it is damaged or replaced.",
			Commands: []string{quotePathForShell(path) + " version --client"},
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
		f.Severity = StatusWarn
		f.Cause = false
		return nil, f
	}
	v, perr := ParseKubeVersion(raw)
	if perr != nil {
		f := fail(fmt.Sprintf("kubectl at %s reports a version kockpit cannot read: %q", path, safetext.Visible(raw)), nil)
		f.Severity = StatusWarn
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

// binaryFormat is what a file's first bytes say it is.
type binaryFormat int

const (
	formatUnknown binaryFormat = iota
	formatEmpty
	formatELF
	formatMachO
	formatMachOUniversal
	formatPE
	formatScript
)

// binaryHeader is what kockpit reads from the head of an executable.
type binaryHeader struct {
	format binaryFormat
	head   []byte // up to the first 16 bytes, for evidence

	// ELF
	class   elf.Class
	data    elf.Data
	osabi   elf.OSABI
	typ     elf.Type
	machine elf.Machine

	// Mach-O (thin)
	cpu macho.Cpu

	// script
	interpreter string
	lines       []string // the first lines, made safe to print
}

// readBinaryHeader classifies a file by its first bytes (a few KiB are enough).
func readBinaryHeader(b []byte) binaryHeader {
	h := binaryHeader{head: b[:min(len(b), 16)]}
	switch {
	case len(b) == 0:
		h.format = formatEmpty
	case bytes.HasPrefix(b, []byte("#!")):
		h.format = formatScript
		lines := printableLines(b, 5)
		h.interpreter = strings.TrimSpace(strings.TrimPrefix(string(headLine(b)), "#!"))
		h.lines = lines
	case bytes.HasPrefix(b, []byte(elf.ELFMAG)) && len(b) >= 20:
		h.format = formatELF
		h.class = elf.Class(b[elf.EI_CLASS])
		h.data = elf.Data(b[elf.EI_DATA])
		h.osabi = elf.OSABI(b[elf.EI_OSABI])
		var order binary.ByteOrder = binary.LittleEndian
		if h.data == elf.ELFDATA2MSB {
			order = binary.BigEndian
		}
		h.typ = elf.Type(order.Uint16(b[16:18]))
		h.machine = elf.Machine(order.Uint16(b[18:20]))
	case len(b) >= 8 && isMachOMagic(b):
		h.format = formatMachO
		if b[0] == 0xfe { // big-endian magic: fe ed fa ce / fe ed fa cf
			h.cpu = macho.Cpu(binary.BigEndian.Uint32(b[4:8]))
		} else {
			h.cpu = macho.Cpu(binary.LittleEndian.Uint32(b[4:8]))
		}
	case len(b) >= 4 && binary.BigEndian.Uint32(b) == macho.MagicFat:
		h.format = formatMachOUniversal
	case bytes.HasPrefix(b, []byte("MZ")):
		h.format = formatPE
	}
	return h
}

func isMachOMagic(b []byte) bool {
	be, le := binary.BigEndian.Uint32(b), binary.LittleEndian.Uint32(b)
	return be == macho.Magic32 || be == macho.Magic64 || le == macho.Magic32 || le == macho.Magic64
}

// elfArch is how an architecture's programs identify themselves in the ELF header.
type elfArch struct {
	machine elf.Machine
	class   elf.Class
	data    elf.Data
}

var elfArches = map[string]elfArch{
	"amd64":   {elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"386":     {elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"arm64":   {elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"arm":     {elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"ppc64le": {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"ppc64":   {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"s390x":   {elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"riscv64": {elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"loong64": {elf.EM_LOONGARCH, elf.ELFCLASS64, elf.ELFDATA2LSB},
}

var machoArches = map[macho.Cpu]string{
	macho.CpuAmd64: "amd64", macho.Cpu386: "386", macho.CpuArm64: "arm64", macho.CpuArm: "arm",
	macho.CpuPpc: "ppc", macho.CpuPpc64: "ppc64",
}

var elfOSNames = map[elf.OSABI]string{
	elf.ELFOSABI_FREEBSD: "FreeBSD", elf.ELFOSABI_NETBSD: "NetBSD", elf.ELFOSABI_OPENBSD: "OpenBSD",
	elf.ELFOSABI_SOLARIS: "Solaris", elf.ELFOSABI_AIX: "AIX",
}

// elfArchName names the architecture an ELF header is built for, as GOARCH would.
func (h binaryHeader) elfArchName() string {
	for name, a := range elfArches {
		if a == (elfArch{h.machine, h.class, h.data}) {
			return name
		}
	}
	return fmt.Sprintf("%s (%s, %s)", h.machine, h.class, h.data)
}

// mismatch says what the file is when it cannot run on goos/goarch ("a macOS binary"), or ""
// when it can, as far as its header tells. A script is for the kernel to run, so it matches.
func (h binaryHeader) mismatch(goos, goarch string) string {
	native := map[string]binaryFormat{"darwin": formatMachO, "windows": formatPE}[goos]
	if native == formatUnknown {
		native = formatELF
	}
	switch h.format {
	case formatScript:
		return ""
	case formatEmpty:
		return "an empty file"
	case formatUnknown:
		return fmt.Sprintf("neither a program nor a #! script (it starts with %s)", h.hexPrefix())
	case formatPE:
		if native == formatPE {
			return ""
		}
		return "a Windows binary"
	case formatMachOUniversal:
		if native == formatMachO {
			return ""
		}
		return "a macOS binary (universal)"
	case formatMachO:
		arch, ok := machoArches[h.cpu]
		if !ok {
			arch = fmt.Sprintf("CPU type %#x", uint32(h.cpu))
		}
		if native == formatMachO && arch == goarch {
			return ""
		}
		return "a macOS binary for " + arch
	}
	// ELF
	arch := h.elfArchName()
	if native != formatELF {
		return "an ELF binary for " + arch + " (Linux or another Unix)"
	}
	if goos == "linux" && h.osabi != elf.ELFOSABI_NONE && h.osabi != elf.ELFOSABI_LINUX {
		osName, ok := elfOSNames[h.osabi]
		if !ok {
			osName = h.osabi.String()
		}
		return fmt.Sprintf("a %s binary for %s", osName, arch)
	}
	if want, ok := elfArches[goarch]; ok && want != (elfArch{h.machine, h.class, h.data}) {
		return "an ELF binary for " + arch
	}
	if h.typ != elf.ET_EXEC && h.typ != elf.ET_DYN {
		return fmt.Sprintf("an ELF file of type %s, not a program", h.typ)
	}
	return ""
}

// hexPrefix writes the first bytes as hex, the way od shows them.
func (h binaryHeader) hexPrefix() string {
	parts := make([]string, len(h.head))
	for i, c := range h.head {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, " ")
}

func readFileHead(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

func headLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return bytes.TrimRight(b[:i], "\r")
	}
	return b
}

// firstLines returns up to n non-empty lines of b, each shortened and made safe to print.
func printableLines(b []byte, n int) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if len(out) == n {
			break
		}
		if r := []rune(l); len(r) > 120 {
			l = string(r[:120]) + "…"
		}
		out = append(out, safetext.Visible(l))
	}
	return out
}

// shellQuote quotes a path for a command a human will paste, only when it needs quoting.
func quotePathForShell(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == ':' ||
			('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
