package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"

	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/util/version"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// criCheck is the runtime.cri check.
var criCheck = checks.Check{
	ID:       "runtime.cri",
	Title:    "The node's container runtime answers over CRI, is ready, and runs the cluster's pause image",
	Category: checks.CategoryRuntime,
	Learn:    learn("runtime.cri"),
	Needs:    checks.NeedsHost,
	Reads:    []kube.Resource{kube.RuntimeClasses},
	Run:      nodefs.Run(runCRI),
}

func runCRI(ctx context.Context, n *nodefs.FS) checks.Result {
	if r, skip := unpackedScenario(n); skip {
		return r
	}
	s, err := openCRI(ctx, n)
	defer s.close()
	switch {
	case errors.Is(err, cri.ErrNoSocket) && n.IsSystemRoot() && isNode(ctx, n):
		return n.Result([]checks.Finding{noSocketFinding(err)}, "")
	case errors.Is(err, cri.ErrNoSocket):
		// A copy of a node's tree, or a pod that mounts the node without its /run: no socket
		// here says nothing about the node's runtime.
		return checks.Skipped(checks.SkipNotApplicable, safetext.Message(err.Error())+" (give --cri-endpoint unix:///PATH to reach the runtime)")
	case err != nil:
		return checks.Errored(safetext.Message(err.Error()))
	}
	v, err := s.client.Version(ctx)
	if err != nil {
		return checks.Errored(safetext.Message(s.socket + ": " + err.Error()))
	}
	findings := []checks.Finding{{Severity: checks.StatusOK, Problem: "runtime-version", File: s.ref(n),
		Message:  fmt.Sprintf("%s %s answers on %s (CRI %s)", safetext.Message(v.RuntimeName), safetext.Message(v.RuntimeVersion), safetext.Message(s.socket), safetext.Message(v.RuntimeApiVersion)),
		Evidence: []string{s.describe()},
		Commands: []checks.Command{s.crictl("version")}}}
	st, err := s.client.Status(ctx)
	if err != nil {
		return checks.Errored(safetext.Message(s.socket + ": " + err.Error()))
	}
	findings = append(findings, conditionFindings(n, s, st.GetStatus())...)
	info, err := parseStatusInfo(st.GetInfo())
	if err != nil {
		findings = append(findings, checks.Finding{Severity: checks.StatusWarn, File: s.ref(n), Problem: "status-info-unreadable",
			Message:  safetext.Message(err.Error()) + ": its sandbox image and handlers were not judged",
			Commands: []checks.Command{s.crictl("info")}})
	}
	findings = append(findings, cniStatusFindings(n, s, info)...)
	findings = append(findings, sandboxImageFindings(ctx, n, s, info)...)
	findings = append(findings, criHandlerFindings(ctx, n, s, st, info)...)
	return n.Result(findings, fmt.Sprintf("%s %s is ready", safetext.Message(v.RuntimeName), safetext.Message(v.RuntimeVersion)))
}

// ref names the runtime's socket for a finding.
func (s *criSession) ref(n *nodefs.FS) *checks.FileRef {
	if s.from == "--cri-endpoint" {
		return &checks.FileRef{Path: s.local}
	}
	return n.Ref(s.socket, 0, 0)
}

func noSocketFinding(err error) checks.Finding {
	msg := err.Error()
	var evidence []string
	if _, tried, ok := strings.Cut(msg, "tried "); ok {
		evidence = strings.Split(tried, "; ")
	}
	for i := range evidence {
		evidence[i] = safetext.Message(evidence[i])
	}
	return checks.Finding{Severity: checks.StatusFail, Cause: true, Problem: "no-runtime-socket",
		Message:  "no container runtime socket: the kubelet can start no pod on this node",
		Evidence: evidence,
		Hint:     "Start the runtime (systemctl start containerd) and read why it stopped in its journal; if it listens elsewhere, point crictl.yaml and the kubelet's containerRuntimeEndpoint at it.",
		Commands: []checks.Command{checks.Cmd("systemctl", "status", "containerd", "crio"), checks.Cmd("journalctl", "-u", "containerd", "-u", "crio", "--since", "-30m")}}
}

// conditionFindings judges RuntimeReady and NetworkReady: the kubelet marks the node NotReady
// with the same reason and message when either is false.
func conditionFindings(n *nodefs.FS, s *criSession, st *runtimeapi.RuntimeStatus) []checks.Finding {
	var out []checks.Finding
	seen := map[string]bool{}
	for _, c := range st.GetConditions() {
		seen[c.Type] = true
		if c.Status {
			continue
		}
		f := checks.Finding{Severity: checks.StatusFail, Cause: true, File: s.ref(n),
			Message:  fmt.Sprintf("the runtime reports %s=false: %s", safetext.Message(c.Type), safetext.Message(conditionText(c))),
			Evidence: []string{fmt.Sprintf("%s=false reason=%q message=%q", safetext.Message(c.Type), safetext.Message(c.Reason), safetext.Message(c.Message))},
			Commands: []checks.Command{s.crictl("info")}}
		switch c.Type {
		case runtimeapi.NetworkReady:
			f.Problem = "network-not-ready"
			f.Message += "; the node is NotReady and no pod sandbox gets a network"
			f.Hint = "The CNI plugin has written no config the runtime can load: check /etc/cni/net.d and that the CNI's pods run on this node (see host.cni)."
			f.Commands = append(f.Commands, checks.Cmd("ls", "-la", n.Display("/etc/cni/net.d")))
		case runtimeapi.RuntimeReady:
			f.Problem = "runtime-not-ready"
			f.Hint = "Read the runtime's journal for why it is not ready, and restart it once the cause is fixed."
			f.Commands = append(f.Commands, checks.Cmd("journalctl", "-u", "containerd", "-u", "crio", "--since", "-30m"))
		default:
			f.Severity = checks.StatusWarn
		}
		out = append(out, f)
	}
	for _, want := range []string{runtimeapi.RuntimeReady, runtimeapi.NetworkReady} {
		if !seen[want] {
			out = append(out, checks.Finding{Severity: checks.StatusWarn, File: s.ref(n), Problem: "condition-missing",
				Message:  fmt.Sprintf("the runtime reports no %s condition: the kubelet counts that as not ready", want),
				Commands: []checks.Command{s.crictl("info")}})
		}
	}
	return out
}

func conditionText(c *runtimeapi.RuntimeCondition) string {
	switch {
	case c.Reason != "" && c.Message != "":
		return c.Reason + ": " + c.Message
	case c.Message != "":
		return c.Message
	case c.Reason != "":
		return c.Reason
	}
	return "no reason given"
}

// cniStatusFindings judges containerd's lastCNILoadStatus: why its CNI config did not load.
func cniStatusFindings(n *nodefs.FS, s *criSession, info statusInfo) []checks.Finding {
	if !info.HasCNIStatus || info.CNIStatus == "OK" {
		return nil
	}
	return []checks.Finding{{Severity: checks.StatusFail, File: s.ref(n), Problem: "cni-load-failed",
		Message:  "containerd's last CNI config load failed: " + safetext.Message(info.CNIStatus),
		Evidence: []string{"lastCNILoadStatus: " + safetext.Message(info.CNIStatus)},
		Hint:     "containerd reloads /etc/cni/net.d when it changes: fix or restore the config there (see host.cni).",
		Commands: []checks.Command{s.crictl("info").Pipe("grep", "-i", "lastCNILoadStatus")}}}
}

// sandboxImageFindings compares the runtime's pause image with the cluster's, and says
// whether the node holds it (an air-gapped node cannot pull it).
func sandboxImageFindings(ctx context.Context, n *nodefs.FS, s *criSession, info statusInfo) []checks.Finding {
	img := info.SandboxImage
	if img == "" {
		return nil
	}
	quoted := safetext.Message(img)
	base := checks.Finding{File: s.ref(n), Evidence: []string{"sandbox image: " + quoted}, Commands: []checks.Command{s.crictl("info").Pipe("grep", "-i", "sandbox")}}
	var out []checks.Finding
	if flagged := safetext.Flagged(img); len(flagged) > 0 {
		f := base
		f.Severity, f.Problem, f.Cause = checks.StatusFail, "sandbox-image-lookalike", true
		f.Message = fmt.Sprintf("the sandbox image %s holds characters that only look like others: every pod sandbox starts from an image you did not mean", quoted)
		f.Evidence = append(f.Evidence, safetext.Describe(flagged)...)
		f.Hint = "Retype sandbox_image (containerd) or pause_image (CRI-O) in ASCII and restart the runtime (see runtime.config)."
		out = append(out, f)
	}
	ref := parseImageRef(img)
	if ref.Registry != "registry.k8s.io" && ref.Registry != "k8s.gcr.io" || !strings.HasSuffix(ref.Repository, "pause") {
		f := base
		f.Severity, f.Problem = checks.StatusWarn, "sandbox-image-not-pause"
		f.Message = fmt.Sprintf("the sandbox image %s is not Kubernetes' pause image from registry.k8s.io: every pod runs it", quoted)
		f.Hint = "A mirror of registry.k8s.io/pause is fine; anything else is not. Set sandbox_image back and restart the runtime."
		out = append(out, f)
	}
	out = append(out, pauseVersionFinding(ctx, n, base, ref)...)
	has, err := s.client.HasImage(ctx, img)
	switch {
	case err != nil:
		f := base
		f.Severity, f.Problem = checks.StatusWarn, "sandbox-image-unknown"
		f.Message = "could not ask the runtime whether it holds the sandbox image: " + safetext.Message(err.Error())
		out = append(out, f)
	case !has:
		f := base
		f.Severity, f.Problem = checks.StatusWarn, "sandbox-image-absent"
		f.Message = fmt.Sprintf("the node does not hold the sandbox image %s: the next pod pulls it, and cannot start if the registry is out of reach", quoted)
		f.Hint = "Pull it now (crictl pull), or import it on an air-gapped node (ctr -n k8s.io images import)."
		f.Commands = append(f.Commands, s.crictl("pull", img))
		out = append(out, f)
	}
	return out
}

// pauseVersionFinding compares the sandbox image's tag with the pause of the cluster's
// version; offline it says what it would compare.
func pauseVersionFinding(ctx context.Context, n *nodefs.FS, base checks.Finding, ref imageRef) []checks.Finding {
	f := base
	f.Severity, f.Problem = checks.StatusOK, "sandbox-image-version"
	snap := n.Env.Snapshot
	if snap == nil {
		f.Message = fmt.Sprintf("no cluster to compare with: the sandbox image's tag %q would be compared with the pause of the cluster's version (3.10 for 1.31 to 1.33, 3.10.1 for 1.34 and 1.35)", safetext.Message(ref.Tag))
		return []checks.Finding{f}
	}
	sv, err := snap.ServerVersion(ctx)
	var v *version.Version
	if err == nil {
		v, err = version.ParseGeneric(sv.GitVersion)
	}
	if err != nil {
		f.Message = "the cluster's version is unknown, so the sandbox image's tag was not compared: " + safetext.Message(err.Error())
		return []checks.Finding{f}
	}
	want, exact := expectedPause(int(v.Minor()))
	if want == "" {
		f.Message = fmt.Sprintf("kockpit knows no pause image for Kubernetes %d.%d: the sandbox image was not compared", v.Major(), v.Minor())
		return []checks.Finding{f}
	}
	c, ok := compareVersions(ref.Tag, want)
	f.Evidence = append(f.Evidence, fmt.Sprintf("Kubernetes %s uses pause %s", safetext.Message(sv.GitVersion), want))
	switch {
	case !ok:
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("the sandbox image's tag %q is not a pause version; Kubernetes %d.%d uses pause:%s", safetext.Message(ref.Tag), v.Major(), v.Minor(), want)
	case c < 0 || c > 0 && exact:
		f.Severity = checks.StatusWarn
		f.Message = fmt.Sprintf("the sandbox image is pause:%s, Kubernetes %d.%d uses pause:%s: kubeadm warns about it and the kubelet may garbage-collect the one it pinned", safetext.Message(ref.Tag), v.Major(), v.Minor(), want)
		f.Hint = "Set sandbox_image (containerd) or pause_image (CRI-O) to registry.k8s.io/pause:" + want + " and restart the runtime."
	default:
		f.Message = fmt.Sprintf("the sandbox image pause:%s matches Kubernetes %d.%d", safetext.Message(ref.Tag), v.Major(), v.Minor())
	}
	return []checks.Finding{f}
}

// criHandlerFindings compares the runtime's handlers with the cluster's RuntimeClasses: a pod of
// a class whose handler this runtime lacks fails here with "no runtime for handler".
func criHandlerFindings(ctx context.Context, n *nodefs.FS, s *criSession, st *runtimeapi.StatusResponse, info statusInfo) []checks.Finding {
	handlers := info.Handlers
	for _, h := range st.GetRuntimeHandlers() {
		if h.Name != "" && !containsString(handlers, h.Name) {
			handlers = append(handlers, h.Name)
		}
	}
	if len(handlers) == 0 || n.Env.Snapshot == nil {
		return nil
	}
	objs, err := n.Env.Snapshot.List(ctx, kube.RuntimeClasses)
	if err != nil {
		return []checks.Finding{{Severity: checks.StatusOK, Problem: "handlers-not-compared", File: s.ref(n),
			Message: "the runtime's handlers were not compared with the cluster's RuntimeClasses: " + safetext.Message(err.Error())}}
	}
	var out []checks.Finding
	for _, o := range objs {
		rc, ok := o.(*nodev1.RuntimeClass)
		if !ok || containsString(handlers, rc.Handler) {
			continue
		}
		out = append(out, checks.Finding{Severity: checks.StatusWarn, Problem: "handler-missing",
			Object:   &checks.ObjectRef{APIVersion: "node.k8s.io/v1", Kind: "RuntimeClass", Name: rc.Name},
			Message:  fmt.Sprintf("RuntimeClass %s names the handler %q, which this node's runtime does not have: its pods fail here", safetext.Message(rc.Name), safetext.Message(rc.Handler)),
			Evidence: []string{"runtime handlers: " + safetext.Message(strings.Join(handlers, ", "))},
			Hint:     "Add the handler to the runtime's config (a [plugins...runtimes.NAME] table) or keep the class's pods off this node (scheduling.nodeSelector).",
			Commands: []checks.Command{s.crictl("info").Pipe("grep", "-A3", "runtimes"), checks.Cmd("kubectl", "get", "runtimeclass", rc.Name, "-o", "yaml")}})
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
