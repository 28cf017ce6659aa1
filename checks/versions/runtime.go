package versions

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// runtimeCheck is the versions.runtime check.
var runtimeCheck = checks.Check{
	ID:       "versions.runtime",
	Title:    "Nodes run one container runtime, at one version",
	Category: checks.CategoryVersions,
	Learn:    learn("versions.runtime"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Nodes},
	Run:      runRuntimeVersions,
}

// runtimeColumnsCommand lists every node's runtime; a Command is a value, so findings share it.
var runtimeColumnsCommand = checks.Cmd("kubectl", "get", "nodes", "-o", "custom-columns=NAME:.metadata.name,RUNTIME:.status.nodeInfo.containerRuntimeVersion")

func runRuntimeVersions(ctx context.Context, env *checks.Env) checks.Result {
	nodes, err := kube.ListOf[*corev1.Node](ctx, env.Snapshot, kube.Nodes)
	if err != nil {
		return checks.SkipOrError(err)
	}
	return judgeRuntimeVersions(nodes)
}

// runtimeGroup is the nodes that report one runtime string.
type runtimeGroup struct {
	name, version string // "containerd", "2.1.4"
	raw           string
	nodes         []string
}

// splitRuntimeVersion reads "containerd://2.1.4" as its runtime and version.
func splitRuntimeVersion(raw string) (name, version string) {
	name, version, found := strings.Cut(raw, "://")
	if !found {
		return raw, ""
	}
	return name, version
}

func judgeRuntimeVersions(nodes []*corev1.Node) checks.Result {
	if len(nodes) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no nodes")
	}
	sorted := append([]*corev1.Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })

	byRaw := map[string]*runtimeGroup{}
	var groups []*runtimeGroup
	var unversioned []*corev1.Node
	for _, n := range sorted {
		raw := n.Status.NodeInfo.ContainerRuntimeVersion
		name, version := splitRuntimeVersion(raw)
		if strings.TrimSpace(name) == "" || strings.TrimSpace(version) == "" {
			unversioned = append(unversioned, n)
			continue
		}
		g := byRaw[raw]
		if g == nil {
			g = &runtimeGroup{name: name, version: version, raw: raw}
			byRaw[raw] = g
			groups = append(groups, g)
		}
		g.nodes = append(g.nodes, n.Name)
	}
	// The most common first: the odd ones out read as exceptions to it.
	sort.SliceStable(groups, func(i, j int) bool {
		if len(groups[i].nodes) != len(groups[j].nodes) {
			return len(groups[i].nodes) > len(groups[j].nodes)
		}
		return groups[i].raw < groups[j].raw
	})

	var findings []checks.Finding
	findings = append(findings, unversionedRuntimeFindings(unversioned)...)
	findings = append(findings, mixedRuntimeFindings(groups)...)
	if len(groups) > 0 {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusOK,
			Message:  fmt.Sprintf("container runtimes on %d nodes", len(nodes)),
			Evidence: runtimeGroupEvidence(groups),
			Commands: []checks.Command{runtimeColumnsCommand},
		})
	}

	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case r.Status == checks.StatusOK && len(groups) == 1:
		r.Summary = fmt.Sprintf("all %d nodes run %s", len(nodes), safetext.Visible(groups[0].raw))
	case r.Status == checks.StatusOK:
		r.Summary = fmt.Sprintf("%d nodes run one container runtime", len(nodes))
	default:
		var parts []string
		for _, f := range findings {
			if f.Severity > checks.StatusOK {
				parts = append(parts, f.Message)
			}
		}
		r.Summary = strings.Join(parts, "; ")
	}
	return r
}

// unversionedRuntimeFindings reports nodes without a runtime version, one by one or grouped.
func unversionedRuntimeFindings(nodes []*corev1.Node) []checks.Finding {
	if len(nodes) == 0 {
		return nil
	}
	hint := "The kubelet fills this in from its runtime's answer: an empty version means it never got one. " +
		"On the node, see whether the runtime runs and answers on the socket the kubelet uses " +
		"(`systemctl status containerd`, `crictl version`, the kubelet's --container-runtime-endpoint)."
	if len(nodes) > skewGroupAbove {
		names := make([]string, len(nodes))
		for i, n := range nodes {
			names[i] = n.Name
		}
		return []checks.Finding{{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%d nodes report no container runtime version", len(nodes)),
			Evidence: []string{"nodes: " + phrase.List(names, skewGroupNames)},
			Hint:     hint,
			Commands: []checks.Command{runtimeColumnsCommand},
		}}
	}
	var out []checks.Finding
	for _, n := range nodes {
		raw := n.Status.NodeInfo.ContainerRuntimeVersion
		msg := fmt.Sprintf("node %s reports no container runtime version", n.Name)
		if raw != "" {
			msg = fmt.Sprintf("node %s reports a container runtime without a version: %q", n.Name, raw)
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  msg,
			Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name},
			Evidence: []string{fmt.Sprintf("containerRuntimeVersion: %q", raw)},
			Hint:     hint,
			Commands: []checks.Command{checks.Cmd("kubectl", "get", "node", n.Name, "-o", "jsonpath={.status.nodeInfo.containerRuntimeVersion}")},
		})
	}
	return out
}

// mixedRuntimeFindings warns once when nodes run different runtimes, and once per runtime
// whose version differs across nodes.
func mixedRuntimeFindings(groups []*runtimeGroup) []checks.Finding {
	var names []string
	count := map[string]int{}
	versions := map[string][]*runtimeGroup{}
	for _, g := range groups {
		if _, seen := count[g.name]; !seen {
			names = append(names, g.name)
		}
		count[g.name] += len(g.nodes)
		versions[g.name] = append(versions[g.name], g)
	}
	var out []checks.Finding
	if len(names) > 1 {
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s on %s", safetext.Visible(n), nodeCount(count[n]))
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  "nodes run different container runtimes: " + strings.Join(parts, ", "),
			Evidence: runtimeGroupEvidence(groups),
			Hint: "One runtime across the cluster is the norm; a node on another one was rebuilt by hand or had " +
				"its runtime swapped under the kubelet. Look at the odd node: `crictl version` and the kubelet's " +
				"--container-runtime-endpoint.",
			Commands: []checks.Command{runtimeColumnsCommand},
		})
	}
	for _, n := range names {
		vs := versions[n]
		if len(vs) < 2 {
			continue
		}
		parts := make([]string, len(vs))
		for i, g := range vs {
			parts[i] = fmt.Sprintf("%s on %s", safetext.Visible(g.version), nodeCount(len(g.nodes)))
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Message:  fmt.Sprintf("%s versions differ across nodes: %s", safetext.Visible(n), strings.Join(parts, ", ")),
			Evidence: runtimeGroupEvidence(vs),
			Hint: "During a rolling upgrade this is expected; otherwise a node was left behind or downgraded. " +
				"Compare the runtime on the odd node (`" + safetext.Visible(checks.Cmd(n, "--version").String()) + "`, `crictl version`) with the others.",
			Commands: []checks.Command{runtimeColumnsCommand},
		})
	}
	return out
}

func runtimeGroupEvidence(groups []*runtimeGroup) []string {
	ev := make([]string, len(groups))
	for i, g := range groups {
		ev[i] = fmt.Sprintf("%s: %s", safetext.Visible(g.raw), phrase.List(g.nodes, skewGroupNames))
	}
	return ev
}

func nodeCount(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}
