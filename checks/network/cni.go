package network

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// cniCheck is the network.cni check.
var cniCheck = checks.Check{
	ID:       "network.cni",
	Title:    "The CNI and kube-proxy run on every node",
	Category: checks.CategoryNetwork,
	Learn:    learn("network.cni"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Nodes, kube.DaemonSets, kube.Pods, kube.ConfigMaps},
	Run:      runNetworkCNI,
}

// cniInput is what the CNI check reads. Pods and ConfigMaps are optional: without them the
// check says less, and its summary says why.
type cniInput struct {
	nodes      []*corev1.Node
	daemonSets []*appsv1.DaemonSet
	pods       []*corev1.Pod
	podsErr    error
	configMaps map[string]*corev1.ConfigMap // by namespace/name
	cmErr      error
}

// nodeFindingCap is how many nodes with the same problem get a finding each; the rest are
// named in one more finding, so a fleet-wide failure does not bury the cause.
const nodeFindingCap = 10

func runNetworkCNI(ctx context.Context, env *checks.Env) checks.Result {
	nodes, err := kube.ListOf[*corev1.Node](ctx, env.Snapshot, kube.Nodes)
	if err != nil {
		return checks.SkipOrError(err)
	}
	dss, err := kube.ListOf[*appsv1.DaemonSet](ctx, env.Snapshot, kube.DaemonSets)
	if err != nil {
		return checks.SkipOrError(err)
	}
	in := cniInput{nodes: nodes, daemonSets: dss, configMaps: map[string]*corev1.ConfigMap{}}
	in.pods, in.podsErr = kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	cms, cmErr := kube.ListOf[*corev1.ConfigMap](ctx, env.Snapshot, kube.ConfigMaps)
	in.cmErr = cmErr
	for _, cm := range cms {
		in.configMaps[cm.Namespace+"/"+cm.Name] = cm
	}
	return judgeCNI(in)
}

// cniAgent is a DaemonSet recognised as a CNI's node agent.
type cniAgent struct {
	plugin *cniPlugin
	ds     *appsv1.DaemonSet
	cov    agentCoverage
}

func judgeCNI(in cniInput) checks.Result {
	if len(in.nodes) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no nodes")
	}
	sort.Slice(in.nodes, func(i, j int) bool { return in.nodes[i].Name < in.nodes[j].Name })
	sort.Slice(in.daemonSets, func(i, j int) bool {
		return in.daemonSets[i].Namespace+"/"+in.daemonSets[i].Name < in.daemonSets[j].Namespace+"/"+in.daemonSets[j].Name
	})
	var agents []cniAgent
	var proxies []*appsv1.DaemonSet
	for _, ds := range in.daemonSets {
		if p, ok := cniForDaemonSet(ds); ok {
			agents = append(agents, cniAgent{plugin: p, ds: ds, cov: daemonSetCoverage(ds, in.nodes, in.pods)})
		} else if isKubeProxy(ds) {
			proxies = append(proxies, ds)
		}
	}
	cilium := ciliumConfig(agents, in.configMaps)

	var findings []checks.Finding
	blame := map[string][]string{} // node → the agent problems that explain its symptoms
	var summary []string
	for _, a := range agents {
		findings = append(findings, agentFindings(a.cov, a.plugin.name, "pod network", blame)...)
		summary = append(summary, coverageSummary(a.plugin.name, a.cov))
	}
	findings = append(findings, nodeNetworkFindings(in.nodes, blame)...)
	findings = append(findings, podCIDRFindings(in, agents, cilium)...)
	findings = append(findings, cniSettingsFindings(in, agents, cilium)...)
	proxyFindings, proxySummary := kubeProxyFindings(in, proxies, agents, cilium, blame)
	findings = append(findings, proxyFindings...)
	summary = append(summary, proxySummary)
	if len(agents) == 0 {
		findings = append(findings, noCNIFinding(in.nodes))
		summary = append([]string{"no CNI DaemonSet found"}, summary...)
	}
	findings = append(findings, cniInventory(in.nodes, agents, proxies, cilium))

	r := checks.Result{Status: checks.Worst(findings), Findings: findings, Summary: strings.Join(summary, "; ")}
	if in.podsErr != nil {
		r.Summary += fmt.Sprintf(" (pods not read, agents counted from the DaemonSets' status: %v)", in.podsErr)
	}
	if in.cmErr != nil {
		r.Summary += fmt.Sprintf(" (ConfigMaps not read, CNI configuration not checked: %v)", in.cmErr)
	}
	return r
}

func coverageSummary(name string, cov agentCoverage) string {
	return fmt.Sprintf("%s ready on %d of %d nodes", name, cov.ready, cov.nodes)
}

// agentFindings reports the nodes a node agent leaves out and the nodes where it is broken. role
// says what the nodes lose ("pod network"). blame records, per node, what explains its symptoms.
func agentFindings(cov agentCoverage, name, role string, blame map[string][]string) []checks.Finding {
	ds := cov.ds
	ref := &checks.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: ds.Namespace, Name: ds.Name}
	selector := metav1.FormatLabelSelector(ds.Spec.Selector)
	listPods := checks.Cmd("kubectl", "-n", ds.Namespace, "get", "pods", "-l", selector, "-o", "wide")
	status := fmt.Sprintf("status: desired %d, current %d, ready %d; %d nodes in the cluster",
		ds.Status.DesiredNumberScheduled, ds.Status.CurrentNumberScheduled, ds.Status.NumberReady, cov.nodes)
	var out []checks.Finding
	if len(cov.excluded) > 0 {
		names := cov.excludedNames()
		evidence := []string{status}
		var explains []*corev1.Node
		for _, e := range cov.excluded {
			evidence = append(evidence, e.node.Name+": "+e.why)
			explains = append(explains, e.node)
			blame[e.node.Name] = append(blame[e.node.Name], fmt.Sprintf("the %s DaemonSet %s/%s cannot run on it (%s)", name, ds.Namespace, ds.Name, e.why))
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusFail,
			Object:   ref,
			Message: fmt.Sprintf("the %s DaemonSet cannot run on %d of %d nodes (%s), which are left without %s",
				name, len(cov.excluded), cov.nodes, phrase.List(names, 5), role),
			Evidence: evidence,
			Hint: "A node agent must run on every node. Remove or widen the nodeSelector and required node " +
				"affinity of the DaemonSet's pod template, and tolerate the nodes' taints (node agents usually " +
				"tolerate everything: `tolerations: [{operator: Exists}]`).",
			Commands: []checks.Command{
				checks.Cmd("kubectl", "-n", ds.Namespace, "get", "daemonset", ds.Name, "-o",
					`jsonpath={.spec.template.spec.nodeSelector}{"\n"}{.spec.template.spec.affinity}{"\n"}{.spec.template.spec.tolerations}{"\n"}`),
				checks.Cmd("kubectl", "get", "nodes", "--show-labels"),
				listPods,
			},
			Cause:    true,
			Explains: nodeRefs(explains),
		})
	}
	if len(cov.broken) > 0 {
		evidence := []string{status}
		var explains []*corev1.Node
		var names []string
		cmds := []checks.Command{listPods}
		for _, b := range cov.broken {
			names = append(names, b.node.Name)
			explains = append(explains, b.node)
			if b.pod == nil {
				evidence = append(evidence, b.node.Name+": no pod of the DaemonSet on this node")
				blame[b.node.Name] = append(blame[b.node.Name], fmt.Sprintf("the %s DaemonSet %s/%s has no pod on it", name, ds.Namespace, ds.Name))
				continue
			}
			state := podinfo.State(b.pod)
			evidence = append(evidence, fmt.Sprintf("%s: pod %s %s", b.node.Name, b.pod.Name, state))
			blame[b.node.Name] = append(blame[b.node.Name], fmt.Sprintf("its %s pod %s/%s is not ready (%s)", name, b.pod.Namespace, b.pod.Name, state))
			if len(cmds) < 3 {
				cmds = append(cmds, checks.Cmd("kubectl", "-n", b.pod.Namespace, "logs", b.pod.Name, "-c", agentContainer(b.pod), "--previous"))
			}
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusFail,
			Object:   ref,
			Message: fmt.Sprintf("the %s agent is not ready on %d of %d nodes (%s): their pods get no %s",
				name, len(cov.broken), cov.nodes, phrase.List(names, 5), role),
			Evidence: evidence,
			Hint: "Read the agent's logs on those nodes (the previous container's, when it restarts): a bad " +
				"configuration, a missing kernel module or an unreachable API server keeps it from starting.",
			Commands: cmds,
			Cause:    true,
			Explains: nodeRefs(explains),
		})
	}
	if !cov.podsKnown && ds.Status.NumberReady < ds.Status.DesiredNumberScheduled {
		out = append(out, checks.Finding{
			Severity: checks.StatusFail,
			Object:   ref,
			Message: fmt.Sprintf("only %d of the %s DaemonSet's %d pods are ready: pods on the other nodes get no %s",
				ds.Status.NumberReady, name, ds.Status.DesiredNumberScheduled, role),
			Evidence: []string{status},
			Commands: []checks.Command{listPods},
			Cause:    true,
		})
	}
	return out
}

// agentContainer is the container to read logs from: the one that is not ready, else the first.
func agentContainer(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if !cs.Ready {
			return cs.Name
		}
	}
	if len(p.Spec.Containers) > 0 {
		return p.Spec.Containers[0].Name
	}
	return ""
}

// cniNotReadyMarkers are what the kubelet and runtimes write in a node's Ready condition when the
// pod network is missing, lower-cased.
var cniNotReadyMarkers = []string{
	"cni plugin not initialized", "network plugin is not ready", "networkpluginnotready",
	"cni config uninitialized", "networkready=false", "no networks found in /etc/cni/net.d",
	"failed to load cni config",
}

// nodeNetworkFindings reports nodes whose conditions say their network is missing: the symptom
// an agent problem (in blame) explains.
func nodeNetworkFindings(nodes []*corev1.Node, blame map[string][]string) []checks.Finding {
	var unavailable, notReady []checks.Finding
	for _, n := range nodes {
		ref := &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name}
		cmds := []checks.Command{
			checks.Cmd("kubectl", "describe", "node", n.Name),
			checks.Cmd("ls", "-l", "/etc/cni/net.d", "/opt/cni/bin").Note("on", n.Name),
			checks.Cmd("journalctl", "-u", "kubelet", "--since", "-1h").Pipe("grep", "-i", "cni").Note("on", n.Name),
		}
		for _, c := range n.Status.Conditions {
			evidence := []string{conditionText(c)}
			for _, cause := range blame[n.Name] {
				evidence = append(evidence, "cause: "+cause)
			}
			switch {
			case c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionTrue:
				unavailable = append(unavailable, checks.Finding{
					Severity: checks.StatusFail,
					Object:   ref,
					Message:  fmt.Sprintf("node %s reports NetworkUnavailable: its routes or CNI are not set up, so its pods cannot reach the rest of the cluster", n.Name),
					Evidence: evidence,
					Hint:     "The CNI (or the cloud route controller) sets this condition; it stays True until the CNI agent on the node reports in.",
					Commands: cmds,
				})
			case c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue && cniMessage(c.Message+" "+c.Reason):
				notReady = append(notReady, checks.Finding{
					Severity: checks.StatusFail,
					Object:   ref,
					Message:  fmt.Sprintf("node %s is NotReady because its pod network is not set up: no pod can start on it", n.Name),
					Evidence: evidence,
					Hint: "The kubelet waits for a CNI configuration in /etc/cni/net.d, which the CNI's agent pod " +
						"writes when it starts on the node. Make the agent run there; check the plugin binaries in /opt/cni/bin.",
					Commands: cmds,
				})
			}
		}
	}
	return append(capNodeFindings(unavailable, "report NetworkUnavailable too"), capNodeFindings(notReady, "are NotReady for the same reason")...)
}

func cniMessage(s string) bool {
	s = strings.ToLower(s)
	for _, m := range cniNotReadyMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

func conditionText(c corev1.NodeCondition) string {
	s := fmt.Sprintf("%s=%s reason=%s", c.Type, c.Status, c.Reason)
	if c.Message != "" {
		s += " message: " + c.Message
	}
	return s
}

// capNodeFindings keeps the first nodeFindingCap findings and folds the rest into one more.
func capNodeFindings(fs []checks.Finding, same string) []checks.Finding {
	if len(fs) <= nodeFindingCap {
		return fs
	}
	rest := fs[nodeFindingCap:]
	var names []string
	for _, f := range rest {
		names = append(names, f.Object.Name)
	}
	more := rest[0]
	more.Message = fmt.Sprintf("%d more nodes %s: %s", len(rest), same, phrase.List(names, 10))
	return append(fs[:nodeFindingCap:nodeFindingCap], more)
}

// noCNIFinding is what the check says when no DaemonSet is a CNI it knows: a Fail when nodes
// say their network is missing, evidence otherwise (the CNI may run outside Kubernetes, as
// k3s's built-in Flannel or a managed cluster's does).
func noCNIFinding(nodes []*corev1.Node) checks.Finding {
	var broken []string
	for _, n := range nodes {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue && cniMessage(c.Message+" "+c.Reason) {
				broken = append(broken, n.Name)
			}
		}
	}
	f := checks.Finding{
		Severity: checks.StatusOK,
		Message:  "no DaemonSet runs a CNI kockpit knows; the nodes report their network ready, so it runs outside Kubernetes or is one kockpit does not recognise",
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "daemonsets", "-A", "-o", "wide"), checks.Cmd("ls", "/etc/cni/net.d").Note("on a node")},
	}
	if len(broken) > 0 {
		f.Severity = checks.StatusFail
		f.Message = fmt.Sprintf("no CNI runs: no DaemonSet is a CNI's node agent, and %s report their pod network missing", phrase.List(broken, 5))
		f.Hint = "Install a CNI (or bring back the one that was removed): its DaemonSet writes the configuration the kubelet waits for."
		f.Cause = true
	}
	return f
}

// cniInventory is the evidence of what runs: each CNI agent and its coverage, kube-proxy or
// its replacement, and CNIs seen only in node annotations.
func cniInventory(nodes []*corev1.Node, agents []cniAgent, proxies []*appsv1.DaemonSet, cilium map[string]string) checks.Finding {
	var evidence []string
	seen := map[string]bool{}
	var ref *checks.ObjectRef
	for _, a := range agents {
		seen[a.plugin.name] = true
		if ref == nil {
			ref = &checks.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: a.ds.Namespace, Name: a.ds.Name}
		}
		evidence = append(evidence, fmt.Sprintf("%s: DaemonSet %s/%s, ready on %d of %d nodes",
			a.plugin.name, a.ds.Namespace, a.ds.Name, a.cov.ready, a.cov.nodes))
	}
	for _, p := range knownCNIs {
		if n := p.annotatedNodes(nodes); n > 0 && !seen[p.name] {
			evidence = append(evidence, fmt.Sprintf("%s: its annotations are on %d nodes, but no DaemonSet of it runs", p.name, n))
		}
	}
	for _, ds := range proxies {
		evidence = append(evidence, fmt.Sprintf("kube-proxy: DaemonSet %s/%s, %d of %d ready", ds.Namespace, ds.Name, ds.Status.NumberReady, ds.Status.DesiredNumberScheduled))
	}
	if v, ok := cilium["kube-proxy-replacement"]; ok {
		evidence = append(evidence, "cilium-config kube-proxy-replacement: "+v)
	}
	names := make([]string, 0, len(agents))
	for _, a := range agents {
		names = append(names, a.plugin.name)
	}
	msg := "CNI: " + strings.Join(names, ", ")
	if len(names) == 0 {
		msg = "CNI: none recognised"
	}
	return checks.Finding{Severity: checks.StatusOK, Object: ref, Message: msg, Evidence: evidence,
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "daemonsets", "-A", "-o", "wide")}}
}
