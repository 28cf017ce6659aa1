package runtime

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// nodesCheck is the runtime.nodes check. Mixed runtimes and versions stay with
// versions.runtime, which compares the nodes; this check judges each node's runtime on its own.
var nodesCheck = checks.Check{
	ID:       "runtime.nodes",
	Title:    "Each node's container runtime answers and is supported for the cluster's version",
	Category: checks.CategoryRuntime,
	Learn:    learn("runtime.nodes"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Nodes},
	Run:      runNodes,
}

// lastContainerd1Minor is the last Kubernetes minor that supports containerd 1.x: from 1.36 on,
// the kubelet needs containerd 2.0 or later.
const lastContainerd1Minor = 35

// containerdEndOfLife is when each containerd 1.x release stopped getting fixes.
var containerdEndOfLife = map[string]time.Time{
	"1.5": time.Date(2023, 2, 28, 0, 0, 0, 0, time.UTC),
	"1.6": time.Date(2025, 7, 23, 0, 0, 0, 0, time.UTC),
	"1.7": time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
}

func runNodes(ctx context.Context, env *checks.Env) checks.Result {
	nodes, err := kube.ListOf[*corev1.Node](ctx, env.Snapshot, kube.Nodes)
	if err != nil {
		return checks.SkipOrError(err)
	}
	var server *version.Version
	if info, err := env.Snapshot.ServerVersion(ctx); err == nil {
		server, _ = version.ParseGeneric(info.GitVersion)
	}
	return judgeNodes(nodes, server, env.CurrentTime())
}

func judgeNodes(nodes []*corev1.Node, server *version.Version, now time.Time) checks.Result {
	if len(nodes) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no nodes")
	}
	sorted := append([]*corev1.Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var findings []checks.Finding
	for _, n := range sorted {
		findings = append(findings, readyMessageFindings(n)...)
		findings = append(findings, supportFindings(n, server, now)...)
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if r.Status == checks.StatusOK {
		r.Summary = fmt.Sprintf("the runtimes of %s answer and are supported", phrase.Count(len(nodes), "node", "nodes"))
		return r
	}
	r.Summary = findings[0].Message
	if len(findings) > 1 {
		r.Summary += fmt.Sprintf(" (and %d more)", len(findings)-1)
	}
	return r
}

func nodeRef(n *corev1.Node) *checks.ObjectRef {
	return &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name}
}

// readyMessageFindings reads the kubelet's Ready condition for what it says about the runtime:
// RuntimeReady=false (the runtime says it is not ready) and "PLEG is not healthy" (the runtime
// stopped answering the kubelet's relists: hung). NetworkReady=false is network.cni's: it says
// the CNI plugin is missing, and is reported there.
func readyMessageFindings(n *corev1.Node) []checks.Finding {
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		lower := strings.ToLower(c.Message)
		var what, hint string
		switch {
		case strings.Contains(lower, "runtimeready=false"):
			what = "reports RuntimeReady=false: its container runtime is not ready"
			hint = "The runtime answers the kubelet but says it is not ready: its journal says why (`journalctl -u containerd`), `crictl info` shows the condition."
		case strings.Contains(lower, "pleg is not healthy"):
			what = "reports PLEG is not healthy: its container runtime stopped answering"
			hint = "The kubelet's relist of containers did not complete in time: the runtime hangs or is overloaded. `crictl ps` on the node likely hangs too; restart the runtime and read its journal."
		case strings.Contains(lower, "container runtime is down"):
			what = "reports its container runtime is down"
			hint = "The kubelet cannot reach the runtime's socket: start the runtime (`systemctl status containerd`) and check the kubelet's --container-runtime-endpoint."
		default:
			return nil
		}
		sev := checks.StatusFail
		if c.Status == corev1.ConditionTrue {
			sev = checks.StatusWarn // ready again, but the message has not moved on
		}
		return []checks.Finding{{
			Severity: sev,
			Message:  fmt.Sprintf("node %s %s", safetext.Visible(n.Name), what),
			Object:   nodeRef(n),
			Evidence: []string{quoteMessage(fmt.Sprintf("condition Ready=%s", c.Status), c.Message),
				"runtime: " + safetext.Visible(orNone(n.Status.NodeInfo.ContainerRuntimeVersion))},
			Hint: hint,
			Commands: []checks.Command{
				checks.Cmd("kubectl", "get", "node", n.Name, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}"),
				checks.Cmd("journalctl", "-u", runtimeUnit(n.Status.NodeInfo.ContainerRuntimeVersion), "--since", "-1h").Note("on", n.Name),
			},
		}}
	}
	return nil
}

// supportFindings judges the node's runtime release against the cluster's version (the server's,
// or else the node's kubelet's).
func supportFindings(n *corev1.Node, server *version.Version, now time.Time) []checks.Finding {
	raw := n.Status.NodeInfo.ContainerRuntimeVersion
	name, ver, _ := strings.Cut(raw, "://")
	v, err := version.ParseGeneric(ver)
	if err != nil {
		return nil // versions.runtime reports a runtime without a version
	}
	cluster := server
	if cluster == nil {
		cluster, _ = version.ParseGeneric(n.Status.NodeInfo.KubeletVersion)
	}
	cmd := checks.Cmd("kubectl", "get", "node", n.Name, "-o", "jsonpath={.status.nodeInfo.containerRuntimeVersion}")
	finding := func(sev checks.Status, problem, msg, hint string, ev ...string) checks.Finding {
		// The runtime release installed on the node: nothing about the node's state explains it.
		return checks.Finding{Severity: sev, Problem: problem, Object: nodeRef(n),
			Message:  fmt.Sprintf("node %s runs %s", safetext.Visible(n.Name), msg),
			Evidence: append([]string{"containerRuntimeVersion: " + safetext.Visible(raw)}, ev...),
			Hint:     hint, Commands: []checks.Command{cmd}, Written: true}
	}
	switch name {
	case "containerd":
		if v.Major() != 1 {
			return nil
		}
		minor := fmt.Sprintf("1.%d", v.Minor())
		if cluster != nil && cluster.Major() == 1 && cluster.Minor() > lastContainerd1Minor {
			return []checks.Finding{finding(checks.StatusFail, "containerd-unsupported-by-kubernetes",
				fmt.Sprintf("containerd %s, which Kubernetes %d.%d does not support", safetext.Visible(ver), cluster.Major(), cluster.Minor()),
				"Kubernetes 1.35 is the last release that supports containerd 1.x: upgrade the node's containerd to 2.x (and its config.toml to version 3).",
				fmt.Sprintf("cluster version: %s", cluster))}
		}
		if eol, ok := containerdEndOfLife[minor]; ok && now.After(eol) || v.Minor() < 5 {
			return []checks.Finding{finding(checks.StatusWarn, "containerd-end-of-life",
				fmt.Sprintf("containerd %s, past its end of life", safetext.Visible(ver)),
				"This containerd release gets no more fixes, and Kubernetes 1.36 drops containerd 1.x: plan the upgrade to 2.x.",
				"end of life: "+endOfLife(minor))}
		}
	case "cri-o":
		// CRI-O's minor follows Kubernetes': 1.33 is made and tested for kubelet 1.33.
		kubelet, err := version.ParseGeneric(n.Status.NodeInfo.KubeletVersion)
		if err != nil || kubelet.Minor() == v.Minor() {
			return nil
		}
		sev := checks.StatusWarn
		if cluster != nil && int(cluster.Minor())-int(v.Minor()) > 2 {
			sev = checks.StatusFail // older than the three minors Kubernetes supports
		}
		return []checks.Finding{finding(sev, "cri-o-minor-differs-from-kubelet",
			fmt.Sprintf("CRI-O %s under kubelet %s", safetext.Visible(ver), safetext.Visible(n.Status.NodeInfo.KubeletVersion)),
			"CRI-O releases follow Kubernetes minor for minor and are supported as long as that minor is: install the CRI-O minor that matches the kubelet.")}
	}
	return nil
}

func endOfLife(minor string) string {
	if eol, ok := containerdEndOfLife[minor]; ok {
		return eol.Format("2006-01-02")
	}
	return "before 2023"
}

// runtimeUnit is the systemd unit of the node's runtime, for its journal.
func runtimeUnit(raw string) string {
	if strings.HasPrefix(raw, "cri-o://") {
		return "crio"
	}
	return "containerd"
}
