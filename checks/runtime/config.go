package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/internal/kubeletconfig"
	"github.com/kockpit/kockpit/internal/nearmiss"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/safetext"
)

// configCheck is the runtime.config check.
var configCheck = checks.Check{
	ID:       "runtime.config",
	Title:    "The runtime's config, registries and unit agree with the kubelet and the cluster",
	Category: checks.CategoryRuntime,
	Learn:    learn("runtime.config"),
	Needs:    checks.NeedsHost,
	Run:      nodefs.Run(runConfig),
}

const containerdConfigPath = "/etc/containerd/config.toml"

// configRun is what one run of runtime.config knows besides the files: the kubelet's cgroup
// driver, and whether the runtime answered (then its own answers win over its files).
type configRun struct {
	n       *nodefs.FS
	kubelet *kubeletconfig.Setup
	// answered says the runtime answered Version over CRI: runtime.cri judges its live sandbox
	// image, so the files' is compared with the cluster only when it did not.
	answered bool
	// runtimeDriver is the cgroup driver the runtime reports over RuntimeConfig, "" when it
	// does not implement it (containerd before 2.0) or did not answer.
	runtimeDriver string
	findings      []checks.Finding
}

func runConfig(ctx context.Context, n *nodefs.FS) checks.Result {
	r := &configRun{n: n}
	s, err := openCRI(ctx, n)
	defer s.close()
	r.kubelet = s.kubelet
	if err == nil {
		if _, err := s.client.Version(ctx); err == nil {
			r.answered = true
			if rc, err := s.client.RuntimeConfig(ctx); err == nil {
				r.runtimeDriver = strings.ToLower(rc.GetLinux().GetCgroupDriver().String())
			} else if !errors.Is(err, cri.ErrUnimplemented) {
				r.answered = false
			}
		}
	}
	found := r.containerd(ctx)
	found = r.crio(ctx) || found
	found = r.units(ctx) || found
	if !found && !isNode(ctx, n) {
		return checks.Skipped(checks.SkipNotApplicable, "no containerd or CRI-O config or unit under "+n.Dir())
	}
	return n.Result(r.findings, "the runtime's config agrees with the kubelet")
}

// kubeletDriver is the kubelet's cgroup driver and where it is set; "" when the kubelet's
// config is not there to say.
func (r *configRun) kubeletDriver(ctx context.Context) (driver, where string) {
	k := r.kubelet
	if k == nil {
		return "", ""
	}
	if v, file, line := nodefs.FlagValue(ctx, r.n, k.Service.All(), "cgroup-driver"); v != "" {
		return v, fmt.Sprintf("%s:%d --cgroup-driver=%s", file, line, v)
	}
	if !k.Exists || k.ParseErr != nil {
		return "", ""
	}
	if k.Config.CgroupDriver == "" {
		return "cgroupfs", k.Path + ": cgroupDriver unset (the kubelet's default, cgroupfs)"
	}
	return k.Config.CgroupDriver, k.Path + ": " + strings.TrimPrefix(k.Quote("cgroupDriver"), "")
}

// cgroupFinding compares the runtime's cgroup driver as its file sets it with the kubelet's,
// only where the runtime does not report its own over CRI (since Kubernetes 1.34 the kubelet
// then follows the runtime and they cannot disagree).
func (r *configRun) cgroupFinding(ctx context.Context, runtimeName, runtimeDriver string, ref *checks.FileRef, quote string) {
	if r.runtimeDriver != "" {
		r.findings = append(r.findings, checks.Finding{Severity: checks.StatusOK, Problem: "cgroup-driver-from-runtime", File: ref,
			Message:  fmt.Sprintf("%s reports its cgroup driver (%s) over CRI: the kubelet (1.34 and later) follows it", runtimeName, r.runtimeDriver),
			Evidence: []string{quote}})
		return
	}
	kd, where := r.kubeletDriver(ctx)
	if kd == "" || kd == runtimeDriver {
		return
	}
	r.findings = append(r.findings, checks.Finding{Severity: checks.StatusFail, Cause: true, Problem: "cgroup-driver-mismatch", File: ref,
		Message:  fmt.Sprintf("%s uses the %s cgroup driver and the kubelet %s: pods are placed in cgroups the other does not manage, and the node turns unstable", runtimeName, runtimeDriver, safetext.Message(kd)),
		Evidence: []string{quote, "kubelet: " + safetext.Message(where)},
		Hint:     "On a systemd host set both to systemd (SystemdCgroup = true in the runc options, cgroupDriver: systemd), then restart the runtime and the kubelet.",
		Commands: []checks.Command{checks.Cmd("grep", "-n", "-i", "cgroup", r.n.Display(ref.Path)), checks.Cmd("grep", "-n", "cgroupDriver", r.n.Display(kubeletconfig.DefaultPath))}})
}

// containerd judges config.toml; it reports whether there is one.
func (r *configRun) containerd(ctx context.Context) bool {
	f, ok, err := r.n.ReadOptional(ctx, containerdConfigPath)
	switch {
	case err != nil:
		r.findings = append(r.findings, r.n.Unreadable(containerdConfigPath, err))
		return true
	case !ok:
		return false
	case f.Truncated:
		r.findings = append(r.findings, checks.Finding{Severity: checks.StatusWarn, Problem: "config-too-large", File: r.n.Ref(containerdConfigPath, 0, 0),
			Message: fmt.Sprintf("%s is larger than kockpit reads (%d bytes): it was not judged", containerdConfigPath, len(f.Data))})
		return true
	}
	r.lookalikes(containerdConfigPath, f.Data)
	c, err := parseContainerdConfig(f.Data)
	if err != nil {
		var te *tomlError
		errors.As(err, &te)
		r.findings = append(r.findings, checks.Finding{Severity: checks.StatusFail, Cause: true, Problem: "config-invalid", File: r.n.Ref(containerdConfigPath, te.Row, te.Col),
			Message:  "containerd cannot read its config: " + safetext.Message(te.Msg) + "; it does not start until it is fixed",
			Hint:     "Fix the line (containerd config dump shows what it reads once it does), then restart containerd.",
			Commands: []checks.Command{checks.Cmd("journalctl", "-u", "containerd", "-n", "50")}})
		return true
	}
	for _, k := range c.Unknown {
		r.findings = append(r.findings, r.unknownKeyFinding(c.Version, k))
	}
	name, rt, ok := c.defaultRuntime()
	if ok && isRunc(rt.RuntimeType) {
		driver, quote := "cgroupfs", "SystemdCgroup unset (runc's default: cgroupfs)"
		if rt.Options.SystemdCgroup != nil && *rt.Options.SystemdCgroup {
			driver = "systemd"
		}
		line := keyLine(f.Data, "SystemdCgroup")
		if rt.Options.SystemdCgroup != nil {
			quote = fmt.Sprintf("line %d: SystemdCgroup = %t (runtime %s)", line, *rt.Options.SystemdCgroup, safetext.Message(name))
		}
		r.cgroupFinding(ctx, "containerd", driver, r.n.Ref(containerdConfigPath, line, 0), quote)
	}
	if img := c.sandboxImage(); img != "" && !r.answered {
		key := "sandbox_image"
		if c.Version >= 3 {
			key = "sandbox"
		}
		line := keyLine(f.Data, key)
		base := checks.Finding{File: r.n.Ref(containerdConfigPath, line, 0), Evidence: []string{fmt.Sprintf("line %d: %s = %q", line, key, safetext.Message(img))},
			Commands: []checks.Command{checks.Cmd("grep", "-n", key, r.n.Display(containerdConfigPath))}}
		r.findings = append(r.findings, pauseVersionFinding(ctx, r.n, base, parseImageRef(img))...)
	}
	r.registries(ctx, c, f.Data)
	return true
}

// knownKeyNames are the keys a near miss is most often meant for.
var knownKeyNames = []string{"SystemdCgroup", "BinaryName", "sandbox_image", "config_path", "endpoint",
	"runtime_type", "default_runtime_name", "snapshotter", "conf_dir", "bin_dir", "max_conf_num", "sandbox"}

func (r *configRun) unknownKeyFinding(version int, k unknownKey) checks.Finding {
	last := k.Key[strings.LastIndex(k.Key, ".")+1:]
	f := checks.Finding{Severity: checks.StatusWarn, Problem: "config-unknown-key", File: r.n.Ref(containerdConfigPath, k.Row, k.Col),
		Message:  fmt.Sprintf("containerd ignores %s: config version %d has no such key, so the default applies", safetext.Message(k.Key), max(version, 1)),
		Hint:     "A typo, or a key of the other config version (2 for containerd 1.x, 3 for 2.x): `containerd config default` prints the keys of this one.",
		Commands: []checks.Command{checks.Cmd("containerd", "config", "dump")}}
	for _, known := range knownKeyNames {
		if last != known && nearmiss.Nearness(known, last, "") != "" {
			f.Message = fmt.Sprintf("containerd ignores %s (%s away from %s): config version %d has no such key, so the default applies", safetext.Message(k.Key), nearmiss.Nearness(known, last, ""), known, max(version, 1))
			f.Severity = checks.StatusFail
		}
	}
	return f
}

// lookalikes reports each line of a runtime file holding characters that only look like
// others: a registry, image or key that reads right and is not.
func (r *configRun) lookalikes(p string, data []byte) {
	byLine := map[int][]safetext.Char{}
	var lines []int
	for _, c := range safetext.Flagged(string(data)) {
		if _, seen := byLine[c.Line]; !seen {
			lines = append(lines, c.Line)
		}
		byLine[c.Line] = append(byLine[c.Line], c)
	}
	for _, line := range lines {
		chars := byLine[line]
		r.findings = append(r.findings, checks.Finding{Severity: checks.StatusFail, Problem: "config-lookalike", File: r.n.Ref(p, line, chars[0].Column),
			Message:  fmt.Sprintf("line %d holds characters that only look like others: the runtime reads a key, image or registry other than the one you see", line),
			Evidence: append([]string{safetext.Message(lineOf(data, line))}, safetext.Describe(chars)...),
			Hint:     "Retype the line in ASCII and restart the runtime.",
			Commands: []checks.Command{checks.Cmd("grep", "-n", "-P", `[^\x00-\x7F]`, r.n.Display(p))}})
	}
}

func lineOf(data []byte, line int) string {
	lines := strings.Split(string(data), "\n")
	if line-1 < len(lines) && line > 0 {
		return strings.TrimSpace(lines[line-1])
	}
	return ""
}

// keyLine is the line of the last assignment to key, 0 when there is none: the last one wins
// in the runtime's default table more often than not, and the line is for the reader.
func keyLine(data []byte, key string) int {
	re := regexp.MustCompile(`^\s*"?` + regexp.QuoteMeta(key) + `"?\s*=`)
	found := 0
	for i, l := range strings.Split(string(data), "\n") {
		if re.MatchString(l) {
			found = i + 1
		}
	}
	return found
}
