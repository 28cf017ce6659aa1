package host

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/kubeletconfig"
	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// kubeletCheck is the host.kubelet check.
var kubeletCheck = checks.Check{
	ID:       "host.kubelet",
	Title:    "The kubelet's config is sane and its static pods parse",
	Category: checks.CategoryHost,
	Learn:    learn("host.kubelet"),
	Needs:    checks.NeedsHost,
	Reads:    []kube.Resource{kube.Services},
	Run:      nodefs.Run(runHostKubelet),
}

func runHostKubelet(ctx context.Context, n *nodefs.FS) checks.Result {
	k, err := kubeletconfig.Load(ctx, n)
	if err != nil {
		return n.Result([]checks.Finding{n.Unreadable(k.Path, err)}, "")
	}
	// Unit files it could not read may set the --config that matters: said first, whatever follows.
	var findings []checks.Finding
	for _, u := range k.Service.Unreadable {
		findings = append(findings, n.Unreadable(u.Path, u.Err))
	}
	if !k.Exists {
		if k.Service.Unit == "" && k.FlagFile == "" {
			return checks.Skipped(checks.SkipNotInstalled, fmt.Sprintf("no kubelet under %s: no kubelet.service and no %s", n.Display("/"), kubeletconfig.DefaultPath))
		}
		missing := checks.Finding{Severity: checks.StatusFail, File: n.Ref(k.Path, 0, 0), Cause: true,
			Message:  fmt.Sprintf("the kubelet's config %s does not exist: the kubelet exits as it starts", k.Path),
			Evidence: []string{k.Origin(n)},
			Hint:     "Restore the file (kubeadm: `kubeadm init phase kubelet-start` or `kubeadm join phase kubelet-start`) or fix --config in the unit, then systemctl restart kubelet.",
			Commands: []checks.Command{checks.Cmd("systemctl", "cat", "kubelet"), checks.Cmd("journalctl", "-u", "kubelet", "-n", "20")}}
		if len(findings) > 0 {
			missing.Severity, missing.Cause = checks.StatusWarn, false
			missing.Message = fmt.Sprintf("the kubelet's config %s does not exist, unless a unit file kockpit could not read gives another --config", k.Path)
		}
		return n.Result(append(findings, missing), "")
	}
	if k.ParseErr != nil {
		return n.Result(append(findings, checks.Finding{Severity: checks.StatusFail, File: n.Ref(k.Path, k.ParseLine, k.ParseCol), Cause: true,
			Message:  fmt.Sprintf("the kubelet's config does not parse: %s; the kubelet exits as it starts", k.ParseErr),
			Evidence: []string{k.Origin(n)},
			Hint:     "Fix the YAML at that line, then systemctl restart kubelet.",
			Commands: []checks.Command{checks.Cmd("journalctl", "-u", "kubelet", "-n", "20"), checks.Cmd("cat", "-A", n.Display(k.Path)).Pipe("sed", "-n", "1,40p")}}), "")
	}
	findings = append(findings, kubeletKindFindings(n, k)...)
	findings = append(findings, staticPodFindings(ctx, n, k)...)
	findings = append(findings, clusterDNSFindings(ctx, n, k)...)
	findings = append(findings, maxPodsFindings(n, k)...)
	m := nodeMachine(ctx, n)
	findings = append(findings, evictionFindings(n, k, m)...)
	findings = append(findings, reservedFindings(n, k, m)...)
	findings = append(findings, logSizeFindings(n, k)...)
	findings = append(findings, featureGateFindings(n, k)...)
	findings = append(findings, checks.Finding{Severity: checks.StatusOK, File: n.Ref(k.Path, 0, 0),
		Message:  "the kubelet's config",
		Evidence: []string{k.Origin(n), "node: " + m.String()},
		Commands: []checks.Command{checks.Cmd("systemctl", "cat", "kubelet"), checks.Cmd("cat", n.Display(k.Path))}})
	return n.Result(findings, "the kubelet's config is sane: "+k.Path)
}

func kubeletKindFindings(n *nodefs.FS, k *kubeletconfig.Setup) []checks.Finding {
	c := k.Config
	if c.Kind == "KubeletConfiguration" && strings.HasPrefix(c.APIVersion, "kubelet.config.k8s.io/") {
		return nil
	}
	return []checks.Finding{{Severity: checks.StatusFail, File: k.At(n, "kind"), Cause: true,
		Message:  fmt.Sprintf("the kubelet's config says kind %q, apiVersion %q: the kubelet wants KubeletConfiguration, kubelet.config.k8s.io/v1beta1", c.Kind, c.APIVersion),
		Hint:     "Fix `apiVersion: kubelet.config.k8s.io/v1beta1` and `kind: KubeletConfiguration` at the top of the file.",
		Commands: []checks.Command{checks.Cmd("head", "-n", "5", n.Display(k.Path))}}}
}

// clusterDNSFindings holds clusterDNS against the Service range in the API server's manifest
// and, when the run has a cluster, against the kube-dns Service itself.
func clusterDNSFindings(ctx context.Context, n *nodefs.FS, k *kubeletconfig.Setup) []checks.Finding {
	at := k.At(n, "clusterDNS")
	cmds := []checks.Command{checks.Cmd("grep", "-n", "-A2", "clusterDNS", n.Display(k.Path)),
		checks.Cmd("kubectl", "-n", "kube-system", "get", "service", "kube-dns", "-o", "jsonpath={.spec.clusterIP}")}
	if len(k.Config.ClusterDNS) == 0 {
		return []checks.Finding{{Severity: checks.StatusWarn, File: n.Ref(k.Path, 0, 0), Commands: cmds,
			Message: "the kubelet has no clusterDNS: pods with dnsPolicy ClusterFirst get the node's resolver instead of cluster DNS",
			Hint:    "Set clusterDNS to the kube-dns Service's IP (kubeadm: the 10th address of the Service range, often 10.96.0.10)."}}
	}
	var out []checks.Finding
	ranges, rangeFrom := serviceRanges(ctx, n)
	dnsIP := kubeDNSServiceIP(ctx, n)
	for _, s := range k.Config.ClusterDNS {
		ip := net.ParseIP(strings.TrimSpace(s))
		evidence := []string{"clusterDNS: " + strings.Join(k.Config.ClusterDNS, ", ")}
		switch {
		case ip == nil:
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: at, Cause: true, Commands: cmds, Evidence: evidence,
				Message: fmt.Sprintf("clusterDNS %q is not an IP address: the kubelet refuses the config", s),
				Hint:    "Write the kube-dns Service's cluster IP there."})
		case dnsIP != "" && !containsString(k.Config.ClusterDNS, dnsIP):
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: at, Cause: true, Commands: cmds,
				Evidence: append(evidence, "kube-system/kube-dns Service: "+dnsIP),
				Message:  fmt.Sprintf("clusterDNS %s is not the kube-dns Service's IP %s: pods send their DNS queries where no cluster DNS answers", s, dnsIP),
				Hint:     fmt.Sprintf("Set clusterDNS to [%s] in %s, systemctl restart kubelet, and recreate the pods (they keep the resolv.conf they started with).", dnsIP, n.Display(k.Path))})
			return out
		case len(ranges) > 0 && !inAny(ip, ranges):
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: at, Cause: true, Commands: cmds,
				Evidence: append(evidence, "Service range: "+rangeFrom),
				Message:  fmt.Sprintf("clusterDNS %s is outside the cluster's Service range: no Service can answer there, so pods resolve nothing", s),
				Hint:     "Set clusterDNS to the kube-dns Service's IP, systemctl restart kubelet, and recreate the pods."})
		}
	}
	return out
}

// serviceRanges reads --service-cluster-ip-range from the API server's static pod, when this
// node runs one.
func serviceRanges(ctx context.Context, n *nodefs.FS) ([]*net.IPNet, string) {
	p := kubeadmManifests + "/kube-apiserver.yaml"
	v, _, line := nodefs.FlagValue(ctx, n, []string{p}, "service-cluster-ip-range")
	if v == "" {
		return nil, ""
	}
	var out []*net.IPNet
	for _, c := range strings.Split(v, ",") {
		if _, ipnet, err := net.ParseCIDR(strings.TrimSpace(c)); err == nil {
			out = append(out, ipnet)
		}
	}
	return out, fmt.Sprintf("%s (--service-cluster-ip-range at %s:%d)", v, n.Display(p), line)
}

// kubeDNSServiceIP is the kube-dns Service's IP when the run also sees the cluster; "" when
// it does not (kockpit node), or cannot tell.
func kubeDNSServiceIP(ctx context.Context, n *nodefs.FS) string {
	if n.Env.Snapshot == nil {
		return ""
	}
	svcs, err := kube.ListOf[*corev1.Service](ctx, n.Env.Snapshot, kube.Services)
	if err != nil {
		return ""
	}
	if s := clusterdns.FindService(svcs); s != nil && net.ParseIP(s.Spec.ClusterIP) != nil {
		return s.Spec.ClusterIP
	}
	return ""
}

func inAny(ip net.IP, nets []*net.IPNet) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

// minMaxPods is below what DaemonSets and the control plane alone use on a node.
const minMaxPods = 10

func maxPodsFindings(n *nodefs.FS, k *kubeletconfig.Setup) []checks.Finding {
	mp := k.Config.MaxPods
	if mp == nil || *mp == 0 || *mp >= minMaxPods {
		return nil // 0 means the default, 110
	}
	return []checks.Finding{{Severity: checks.StatusFail, File: k.At(n, "maxPods"), Cause: true,
		Message:  fmt.Sprintf("maxPods is %d: once that many pods run here (DaemonSets alone come close), new pods stay Pending", *mp),
		Evidence: []string{k.Quote("maxPods")},
		Hint:     fmt.Sprintf("Remove maxPods (default 110) or raise it in %s, then systemctl restart kubelet.", n.Display(k.Path)),
		Commands: []checks.Command{checks.Cmd("grep", "-n", "maxPods", n.Display(k.Path)),
			checks.Cmd("kubectl", "get", "node").Shell("$(hostname)").Args("-o", "jsonpath={.status.capacity.pods}")}}}
}

// evictionSignals are the signals the kubelet knows; another one stops it at start.
var evictionSignals = map[string]bool{
	"memory.available": true, "allocatableMemory.available": true, "pid.available": true,
	"nodefs.available": true, "nodefs.inodesFree": true, "imagefs.available": true,
	"imagefs.inodesFree": true, "containerfs.available": true, "containerfs.inodesFree": true,
}

func evictionFindings(n *nodefs.FS, k *kubeletconfig.Setup, m machine) []checks.Finding {
	var out []checks.Finding
	cmds := []checks.Command{checks.Cmd("grep", "-n", "-A8", "evictionHard", n.Display(k.Path)),
		checks.Cmd("kubectl", "describe", "node").Shell("$(hostname)").Pipe("grep", "-i", "pressure")}
	for _, sig := range sortedKeys(k.Config.EvictionHard) {
		val := strings.TrimSpace(k.Config.EvictionHard[sig])
		at := k.At(n, "evictionHard", sig)
		ev := []string{k.Quote("evictionHard", sig)}
		if !evictionSignals[sig] {
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: at, Cause: true, Evidence: ev, Commands: cmds,
				Message: fmt.Sprintf("evictionHard names the unknown signal %q: the kubelet refuses the config", sig),
				Hint:    "Use memory.available, nodefs.available, nodefs.inodesFree, imagefs.available or pid.available."})
			continue
		}
		share, ok, err := evictionShare(val, sig, m)
		switch {
		case err != nil:
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: at, Cause: true, Evidence: ev, Commands: cmds,
				Message: fmt.Sprintf("evictionHard %s: %q is neither a percentage nor a quantity: the kubelet refuses the config", sig, val),
				Hint:    "Write a percentage (10%) or a quantity (100Mi)."})
		case ok && share >= 50:
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: at, Cause: true, Evidence: ev, Commands: cmds,
				Message: fmt.Sprintf("evictionHard %s<%s keeps %.0f%% of the node in reserve: the node is always under pressure, evicts its pods and takes no new ones", sig, val, share),
				Hint:    "Use the defaults (memory.available<100Mi, nodefs.available<10%, imagefs.available<15%) and systemctl restart kubelet."})
		case ok && share >= 30:
			out = append(out, checks.Finding{Severity: checks.StatusWarn, File: at, Evidence: ev, Commands: cmds,
				Message: fmt.Sprintf("evictionHard %s<%s keeps %.0f%% of the node in reserve: pods are evicted long before it is full", sig, val, share),
				Hint:    "The defaults are memory.available<100Mi, nodefs.available<10%, imagefs.available<15%."})
		}
	}
	return out
}

// evictionShare is the share of the node a threshold keeps free, in percent; ok is false when
// it cannot be told (a quantity for a resource whose size is unknown).
func evictionShare(val, sig string, m machine) (float64, bool, error) {
	if pct, isPct := strings.CutSuffix(val, "%"); isPct {
		f, err := strconv.ParseFloat(pct, 64)
		if err != nil || f < 0 || f > 100 {
			return 0, false, fmt.Errorf("bad percentage %q", val)
		}
		return f, true, nil
	}
	q, err := resource.ParseQuantity(val)
	if err != nil {
		return 0, false, err
	}
	if strings.HasPrefix(sig, "memory.") && m.memory > 0 {
		return 100 * float64(q.Value()) / float64(m.memory), true, nil
	}
	return 0, false, nil
}

// reservedFindings holds what systemReserved, kubeReserved and the hard memory threshold take
// against the node's size: what is left is what pods can have.
func reservedFindings(n *nodefs.FS, k *kubeletconfig.Setup, m machine) []checks.Finding {
	var out []checks.Finding
	total := map[string]int64{} // memory in bytes, cpu in millicores
	var ev []string
	for _, field := range []string{"systemReserved", "kubeReserved"} {
		res := k.Config.SystemReserved
		if field == "kubeReserved" {
			res = k.Config.KubeReserved
		}
		for _, name := range sortedKeys(res) {
			q, err := resource.ParseQuantity(strings.TrimSpace(res[name]))
			if err != nil {
				out = append(out, checks.Finding{Severity: checks.StatusFail, File: k.At(n, field, name), Cause: true,
					Message:  fmt.Sprintf("%s %s: %q is not a quantity: the kubelet refuses the config", field, name, res[name]),
					Evidence: []string{k.Quote(field, name)}, Hint: "Write a quantity such as 500m (CPU) or 1Gi (memory).",
					Commands: []checks.Command{checks.Cmd("grep", "-n", "-A4", field, n.Display(k.Path))}})
				continue
			}
			switch name {
			case "memory":
				total["memory"] += q.Value()
			case "cpu":
				total["cpu"] += q.MilliValue()
			default:
				continue
			}
			ev = append(ev, k.Quote(field, name))
		}
	}
	if v, err := resource.ParseQuantity(k.Config.EvictionHard["memory.available"]); err == nil {
		total["memory"] += v.Value()
	}
	at := k.At(n, "systemReserved")
	if k.Config.SystemReserved == nil {
		at = k.At(n, "kubeReserved")
	}
	cmds := []checks.Command{checks.Cmd("kubectl", "get", "node").Shell("$(hostname)").Args("-o", "jsonpath={.status.allocatable}"),
		checks.Cmd("grep", "-n", "-A4", "Reserved", n.Display(k.Path))}
	check := func(what string, reserved, capacity int64, show func(int64) string) {
		if capacity <= 0 || reserved <= 0 {
			return
		}
		share := 100 * float64(reserved) / float64(capacity)
		evidence := append(append([]string(nil), ev...), "node: "+m.String())
		switch {
		case reserved >= capacity:
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: at, Cause: true, Evidence: evidence, Commands: cmds,
				Message: fmt.Sprintf("the kubelet reserves %s of %s, all of the node's %s: nothing is left for pods, and none fits", show(reserved), what, show(capacity)),
				Hint:    "Lower systemReserved and kubeReserved (a few hundred MiB and millicores each), then systemctl restart kubelet."})
		case share >= 50:
			out = append(out, checks.Finding{Severity: checks.StatusWarn, File: at, Evidence: evidence, Commands: cmds,
				Message: fmt.Sprintf("the kubelet reserves %s of the node's %s of %s (%.0f%%): pods get what is left", show(reserved), show(capacity), what, share),
				Hint:    "Reserve a few hundred MiB and millicores each for the system and Kubernetes."})
		}
	}
	check("memory", total["memory"], m.memory, phrase.Bytes)
	check("CPU", total["cpu"], int64(m.cpus)*1000, func(v int64) string { return fmt.Sprintf("%gcpu", float64(v)/1000) })
	return out
}

// minLogSize is below what shows a useful tail of a container's log.
const minLogSize = 1 << 20

func logSizeFindings(n *nodefs.FS, k *kubeletconfig.Setup) []checks.Finding {
	v := strings.TrimSpace(k.Config.ContainerLogMaxSize)
	if v == "" {
		return nil
	}
	at, ev := k.At(n, "containerLogMaxSize"), []string{k.Quote("containerLogMaxSize")}
	cmds := []checks.Command{checks.Cmd("grep", "-n", "containerLogMaxSize", n.Display(k.Path)), checks.Cmd("ls", "-la", n.Display("/var/log/pods"))}
	q, err := resource.ParseQuantity(v)
	switch {
	case err != nil:
		return []checks.Finding{{Severity: checks.StatusFail, File: at, Evidence: ev, Commands: cmds, Cause: true,
			Message: fmt.Sprintf("containerLogMaxSize %q is not a quantity: the kubelet refuses the config", v),
			Hint:    "Write a size such as 10Mi (the default)."}}
	case q.Value() < minLogSize:
		return []checks.Finding{{Severity: checks.StatusWarn, File: at, Evidence: ev, Commands: cmds,
			Message: fmt.Sprintf("containerLogMaxSize is %s: the kubelet rotates logs every %s, so `kubectl logs` shows only the last few lines", v, phrase.Bytes(q.Value())),
			Hint:    "Remove it (default 10Mi) or raise it, then systemctl restart kubelet."}}
	}
	return nil
}

// featureGateName is the shape of every Kubernetes feature gate: UpperCamelCase.
var featureGateName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]+$`)

func featureGateFindings(n *nodefs.FS, k *kubeletconfig.Setup) []checks.Finding {
	if len(k.Config.FeatureGates) == 0 {
		return nil
	}
	var out []checks.Finding
	var all []string
	for _, name := range sortedKeys(k.Config.FeatureGates) {
		all = append(all, fmt.Sprintf("%s=%t", name, k.Config.FeatureGates[name]))
		if !featureGateName.MatchString(name) {
			out = append(out, checks.Finding{Severity: checks.StatusFail, File: k.At(n, "featureGates", name), Cause: true,
				Message:  fmt.Sprintf("feature gate %q cannot exist (gates are written UpperCamelCase): the kubelet refuses unrecognized gates and exits", name),
				Evidence: []string{k.Quote("featureGates", name)},
				Hint:     "Fix or remove it; `journalctl -u kubelet` shows \"unrecognized feature gate\".",
				Commands: []checks.Command{checks.Cmd("grep", "-n", "-A10", "featureGates", n.Display(k.Path))}})
		}
	}
	return append(out, checks.Finding{Severity: checks.StatusOK, File: k.At(n, "featureGates"),
		Message:  "the kubelet sets feature gates",
		Evidence: all, Commands: []checks.Command{checks.Cmd("grep", "-n", "-A10", "featureGates", n.Display(k.Path))}})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
