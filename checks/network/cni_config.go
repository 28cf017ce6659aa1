package network

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/safetext"
)

// ciliumConfig returns the data of the cilium-config ConfigMap in the Cilium agent's namespace,
// or nil when Cilium does not run or the ConfigMap is not there.
func ciliumConfig(agents []cniAgent, cms map[string]*corev1.ConfigMap) map[string]string {
	for _, a := range agents {
		if a.plugin.name != "Cilium" {
			continue
		}
		if cm := cms[a.ds.Namespace+"/cilium-config"]; cm != nil {
			return cm.Data
		}
	}
	return nil
}

// needsPodCIDR says whether the CNI allocates pod IPs from the nodes' spec.podCIDR. Cilium does
// only in its "kubernetes" IPAM mode.
func needsPodCIDR(a cniAgent, cilium map[string]string) bool {
	if a.plugin.name == "Cilium" {
		return cilium["ipam"] == "kubernetes"
	}
	return a.plugin.needsPodCIDR
}

// podCIDRFindings reports nodes without spec.podCIDR when a CNI needs it.
func podCIDRFindings(in cniInput, agents []cniAgent, cilium map[string]string) []checks.Finding {
	var needs []string
	for _, a := range agents {
		if needsPodCIDR(a, cilium) {
			needs = append(needs, a.plugin.name)
		}
	}
	if len(needs) == 0 {
		return nil
	}
	allocate := controllerManagerFlag(in.pods, "--allocate-node-cidrs")
	var out []checks.Finding
	for _, n := range in.nodes {
		if n.Spec.PodCIDR != "" {
			continue
		}
		evidence := []string{"spec.podCIDR: (empty)"}
		if allocate != "" {
			evidence = append(evidence, "kube-controller-manager "+allocate)
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusFail,
			Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name},
			Message: fmt.Sprintf("node %s has no pod CIDR, and %s allocates pod IPs from it: pods on %s cannot get an address",
				n.Name, strings.Join(needs, " and "), n.Name),
			Evidence: evidence,
			Hint: "kube-controller-manager assigns each node a pod CIDR when it runs with --allocate-node-cidrs=true " +
				"and a --cluster-cidr large enough for every node; spec.podCIDR cannot change once set, so a node " +
				"that joined without one must be deleted and re-registered.",
			Commands: []checks.Command{
				checks.Cmd("kubectl", "get", "nodes", "-o", "custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR"),
				checks.Cmd("kubectl", "-n", "kube-system", "get", "pod", "-l", "component=kube-controller-manager", "-o", "yaml").Pipe("grep", "-e", "cidr", "-e", "allocate"),
			},
		})
	}
	return capNodeFindings(out, "have no pod CIDR either")
}

// controllerManagerFlag returns "--flag=value" as kube-controller-manager's static pod runs it.
func controllerManagerFlag(pods []*corev1.Pod, flag string) string {
	for _, p := range pods {
		if p.Namespace != "kube-system" || p.Labels["component"] != "kube-controller-manager" {
			continue
		}
		for _, c := range p.Spec.Containers {
			for _, arg := range append(append([]string(nil), c.Command...), c.Args...) {
				if arg == flag || strings.HasPrefix(arg, flag+"=") {
					return arg
				}
			}
		}
	}
	return ""
}

// ciliumKubeProxyReplacement are the values cilium-config's kube-proxy-replacement takes across
// Cilium releases; "true" and "strict" mean Cilium serves Services itself.
var ciliumKubeProxyReplacement = map[string]bool{"true": true, "strict": true, "false": false, "partial": false, "probe": false, "disabled": false}

// ciliumEnumOptions are the enable-* options of cilium-config that are not booleans.
var ciliumEnumOptions = map[string]bool{"enable-policy": true}

// cniSettingsFindings checks the CNIs' own configuration: cilium-config values that are typos or
// carry look-alike characters, and Flannel's net-conf.json against the nodes' pod CIDRs.
func cniSettingsFindings(in cniInput, agents []cniAgent, cilium map[string]string) []checks.Finding {
	var out []checks.Finding
	for _, a := range agents {
		switch a.plugin.name {
		case "Cilium":
			out = append(out, ciliumConfigFindings(a.ds.Namespace, cilium)...)
		case "Flannel", "Canal":
			if cm := flannelConfigMap(a.ds, in.configMaps); cm != nil {
				out = append(out, flannelConfigFindings(cm, in.nodes)...)
			}
		}
	}
	return out
}

func ciliumConfigFindings(ns string, data map[string]string) []checks.Finding {
	ref := &checks.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: ns, Name: "cilium-config"}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []checks.Finding
	for _, k := range keys {
		v := data[k]
		cmd := checks.Cmd("kubectl", "-n", ns, "get", "configmap", "cilium-config", "-o", "jsonpath={.data."+k+"}")
		if chars := append(safetext.Suspicious(k), safetext.Suspicious(v)...); len(chars) > 0 {
			out = append(out, checks.Finding{
				Severity: checks.StatusWarn,
				Object:   ref,
				Message:  fmt.Sprintf("cilium-config %s has characters outside ASCII: Cilium reads a look-alike as a different key or value", k),
				Evidence: append([]string{fmt.Sprintf("%s: %s", k, v)}, safetext.Describe(chars)...),
				Hint: "Retype the key and value in ASCII, then restart the Cilium agents (" +
					checks.Cmd("kubectl", "-n", ns, "rollout", "restart", "daemonset", "cilium").String() + ").",
				Commands: []checks.Command{cmd},
			})
			continue
		}
		bad := false
		switch {
		case k == "kube-proxy-replacement":
			_, ok := ciliumKubeProxyReplacement[v]
			bad = !ok
		case strings.HasPrefix(k, "enable-") && !ciliumEnumOptions[k]:
			_, err := strconv.ParseBool(v)
			bad = err != nil
		}
		if bad {
			out = append(out, checks.Finding{
				Severity: checks.StatusWarn,
				Object:   ref,
				Message:  fmt.Sprintf("cilium-config %s is %q, which is not a value Cilium accepts: depending on the option, the agent refuses to start or reads it as false", k, v),
				Evidence: []string{fmt.Sprintf("%s: %q", k, v)},
				Hint:     "Set it to true or false, then restart the Cilium agents.",
				Commands: []checks.Command{cmd},
			})
		}
	}
	return out
}

// flannelConfigMap is the ConfigMap the Flannel DaemonSet mounts its net-conf.json from.
func flannelConfigMap(ds *appsv1.DaemonSet, cms map[string]*corev1.ConfigMap) *corev1.ConfigMap {
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			if cm := cms[ds.Namespace+"/"+v.ConfigMap.Name]; cm != nil && cm.Data["net-conf.json"] != "" {
				return cm
			}
		}
	}
	return nil
}

func flannelConfigFindings(cm *corev1.ConfigMap, nodes []*corev1.Node) []checks.Finding {
	ref := &checks.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: cm.Namespace, Name: cm.Name}
	cmd := checks.Cmd("kubectl", "-n", cm.Namespace, "get", "configmap", cm.Name, "-o", `jsonpath={.data.net-conf\.json}`)
	raw := cm.Data["net-conf.json"]
	var conf struct{ Network string }
	if err := json.Unmarshal([]byte(raw), &conf); err != nil {
		return []checks.Finding{{
			Severity: checks.StatusFail, Object: ref, Cause: true,
			Message:  "Flannel's net-conf.json is not valid JSON: every Flannel agent fails to start",
			Evidence: []string{err.Error()}, Commands: []checks.Command{cmd},
		}}
	}
	_, network, err := net.ParseCIDR(conf.Network)
	if err != nil {
		return []checks.Finding{{
			Severity: checks.StatusFail, Object: ref, Cause: true,
			Message:  fmt.Sprintf("Flannel's net-conf.json Network %q is not a CIDR: every Flannel agent fails to start", conf.Network),
			Evidence: []string{"Network: " + conf.Network}, Commands: []checks.Command{cmd},
		}}
	}
	var outside []string
	var explains []*corev1.Node
	for _, n := range nodes {
		_, cidr, err := net.ParseCIDR(n.Spec.PodCIDR)
		if err == nil && !network.Contains(cidr.IP) {
			outside = append(outside, fmt.Sprintf("%s: spec.podCIDR %s", n.Name, n.Spec.PodCIDR))
			explains = append(explains, n)
		}
	}
	if len(outside) == 0 {
		return nil
	}
	return []checks.Finding{{
		Severity: checks.StatusFail, Object: ref, Cause: true, Explains: nodeRefs(explains),
		Message: fmt.Sprintf("Flannel's Network %s does not contain the pod CIDR of %s: Flannel will not route their pods",
			conf.Network, phrase.Count(len(outside), "node", "nodes")),
		Evidence: append([]string{"net-conf.json Network: " + conf.Network}, outside...),
		Hint:     "Network must be the cluster CIDR kube-controller-manager allocates node pod CIDRs from (--cluster-cidr).",
		Commands: []checks.Command{cmd, checks.Cmd("kubectl", "get", "nodes", "-o", "custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR")},
	}}
}

// isKubeProxy recognises kube-proxy's DaemonSet by name or container.
func isKubeProxy(ds *appsv1.DaemonSet) bool {
	if ds.Name == "kube-proxy" {
		return true
	}
	for _, c := range ds.Spec.Template.Spec.Containers {
		repo := imageRepository(c.Image)
		if c.Name == "kube-proxy" || repo == "kube-proxy" || strings.HasSuffix(repo, "/kube-proxy") {
			return true
		}
	}
	return false
}

var antreaProxyAll = regexp.MustCompile(`(?m)^\s*proxyAll:\s*true\s*$`)

// kubeProxyReplacement says which running CNI serves Services in kube-proxy's place, if any.
func kubeProxyReplacement(in cniInput, agents []cniAgent, cilium map[string]string) (string, bool) {
	for _, a := range agents {
		switch a.plugin.name {
		case "Cilium":
			if v := cilium["kube-proxy-replacement"]; ciliumKubeProxyReplacement[v] {
				return "Cilium (cilium-config kube-proxy-replacement: " + v + ")", true
			}
		case "OVN-Kubernetes":
			return "OVN-Kubernetes (it always serves Services itself)", true
		case "kube-router":
			for _, c := range a.ds.Spec.Template.Spec.Containers {
				for _, arg := range c.Args {
					if arg == "--run-service-proxy" || arg == "--run-service-proxy=true" {
						return "kube-router (" + arg + ")", true
					}
				}
			}
		case "Antrea":
			for _, cm := range in.configMaps {
				if cm.Namespace == a.ds.Namespace && antreaProxyAll.MatchString(cm.Data["antrea-agent.conf"]) {
					return "Antrea (antrea-agent.conf proxyAll: true)", true
				}
			}
		}
	}
	return "", false
}

// kubeProxyFindings checks kube-proxy's DaemonSets, or that something replaces kube-proxy.
func kubeProxyFindings(in cniInput, proxies []*appsv1.DaemonSet, agents []cniAgent, cilium map[string]string, blame map[string][]string) ([]checks.Finding, string) {
	replacement, replaced := kubeProxyReplacement(in, agents, cilium)
	if len(proxies) == 0 {
		if replaced {
			return nil, "kube-proxy replaced by " + replacement
		}
		evidence := []string{"no DaemonSet runs kube-proxy"}
		if v, ok := cilium["kube-proxy-replacement"]; ok {
			evidence = append(evidence, "cilium-config kube-proxy-replacement: "+v)
		}
		return []checks.Finding{{
			Severity: checks.StatusFail,
			Message:  "kube-proxy is not running and no CNI is configured to replace it: Service ClusterIPs, kube-dns's included, lead nowhere",
			Evidence: evidence,
			Hint: "Restore the kube-proxy DaemonSet (kubeadm init phase addon kube-proxy), or turn on your CNI's " +
				"replacement (Cilium: kube-proxy-replacement: \"true\" in cilium-config, then restart the agents). " +
				"A replacement kockpit cannot see (Calico's eBPF data plane) looks like this too.",
			Commands: []checks.Command{
				checks.Cmd("kubectl", "-n", "kube-system", "get", "daemonset", "kube-proxy"),
				checks.Cmd("kubectl", "-n", "kube-system", "get", "configmap", "cilium-config", "-o", "jsonpath={.data.kube-proxy-replacement}"),
			},
			Cause: true,
		}}, "kube-proxy missing"
	}
	var out []checks.Finding
	var summary []string
	for _, ds := range proxies {
		cov := daemonSetCoverage(ds, in.nodes, in.pods)
		if !replaced {
			out = append(out, agentFindings(cov, "kube-proxy", "Service routing", blame)...)
		}
		summary = append(summary, coverageSummary("kube-proxy", cov))
	}
	if replaced {
		summary = append(summary, "Services served by "+replacement)
	}
	return out, strings.Join(summary, ", ")
}
