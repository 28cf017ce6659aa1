package dns

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// policyCheck is the dns.policy check.
var policyCheck = checks.Check{
	ID:       "dns.policy",
	Title:    "Pods resolve names through cluster DNS",
	Category: checks.CategoryDNS,
	Learn:    learn("dns.policy"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Pods, kube.Deployments, kube.DaemonSets, kube.StatefulSets},
	Run:      runDNSPolicy,
}

// maxNdots is the resolver's default (and the kubelet's for ClusterFirst pods); more is extreme.
const maxNdots = 5

// policyPodNames is how many pod names a grouped finding lists before "and N more".
const policyPodNames = 3

// hostNetworkSystemNamespaces hold the node agents (kube-proxy, CNI, static control-plane pods)
// whose host-network pods resolve with the node's resolver on purpose.
var hostNetworkSystemNamespaces = map[string]bool{
	"kube-system": true, "kube-flannel": true, "calico-system": true, "tigera-operator": true,
	"cilium": true, "cilium-system": true,
}

// dnsServerLabels are k8s-app values of pods that serve DNS: they must use the node's resolver.
var dnsServerLabels = map[string]bool{"kube-dns": true, "coredns": true, "node-local-dns": true}

// Kinds of DNS policy problems; a workload gets at most one finding per kind.
const (
	policyDefault = "Default"
	policyHostNet = "ClusterFirst on the host network"
	policyNone    = "None without nameservers"
	policyNdots   = "ndots"
)

// dnsPolicyProblem is one thing wrong with a pod spec's DNS settings.
type dnsPolicyProblem struct {
	kind     string
	severity checks.Status
	// what completes "<workload> ...": "uses dnsPolicy Default: ...".
	what string
	// fields quote the offending fields, relative to the pod spec.
	fields []string
	// jsonpath shows the fields with kubectl, relative to the pod spec.
	jsonpath string
	hint     string
}

// judgePodDNS returns what is wrong with a pod spec's DNS settings, ignoring the uses that are
// right for cluster DNS servers and node agents.
func judgePodDNS(spec *corev1.PodSpec, namespace string, podLabels map[string]string, ownerName string) []dnsPolicyProblem {
	policy := spec.DNSPolicy
	if policy == "" {
		policy = corev1.DNSClusterFirst // what the API server defaults it to
	}
	var out []dnsPolicyProblem
	switch {
	case policy == corev1.DNSDefault && !isDNSServer(namespace, podLabels, ownerName):
		out = append(out, dnsPolicyProblem{
			kind: policyDefault, severity: checks.StatusWarn,
			what: "uses dnsPolicy Default, which is not the default: its pods get the node's resolver, " +
				"so Service names such as kubernetes.default.svc do not resolve",
			fields:   []string{"dnsPolicy: Default"},
			jsonpath: "{.dnsPolicy}",
			hint: "Remove dnsPolicy (the default is ClusterFirst) or set dnsPolicy: ClusterFirst; \"Default\" " +
				"is meant for DNS servers themselves.",
		})
	case policy == corev1.DNSClusterFirst && spec.HostNetwork && !hostNetworkSystemNamespaces[namespace]:
		out = append(out, dnsPolicyProblem{
			kind: policyHostNet, severity: checks.StatusWarn,
			what: "runs on the host network with dnsPolicy ClusterFirst, so its pods silently get the node's " +
				"resolver and Service names do not resolve",
			fields:   []string{"hostNetwork: true", "dnsPolicy: " + string(policy)},
			jsonpath: "{.hostNetwork} {.dnsPolicy}",
			hint:     "Set dnsPolicy: ClusterFirstWithHostNet next to hostNetwork: true.",
		})
	case policy == corev1.DNSNone && (spec.DNSConfig == nil || len(spec.DNSConfig.Nameservers) == 0):
		out = append(out, dnsPolicyProblem{
			kind: policyNone, severity: checks.StatusFail,
			what:     "uses dnsPolicy None without dnsConfig.nameservers, so its pods have no resolver at all",
			fields:   []string{"dnsPolicy: None", "dnsConfig.nameservers: (none)"},
			jsonpath: "{.dnsPolicy} {.dnsConfig}",
			hint: "Give dnsConfig.nameservers (the kube-dns Service IP for cluster names), or remove " +
				"dnsPolicy: None. Current API servers refuse such a pod; it comes from an older cluster or a file.",
		})
	}
	if p, ok := ndotsProblem(spec.DNSConfig); ok {
		out = append(out, p)
	}
	return out
}

// ndotsProblem reports an ndots option above the default, or one that is not a number.
func ndotsProblem(cfg *corev1.PodDNSConfig) (dnsPolicyProblem, bool) {
	if cfg == nil {
		return dnsPolicyProblem{}, false
	}
	for _, o := range cfg.Options {
		if o.Name != "ndots" {
			continue
		}
		value := ""
		if o.Value != nil {
			value = *o.Value
		}
		field := fmt.Sprintf("dnsConfig.options: ndots=%s", value)
		n, err := strconv.Atoi(value)
		switch {
		case err != nil || n < 0:
			return dnsPolicyProblem{
				kind: policyNdots, severity: checks.StatusWarn,
				what:     fmt.Sprintf("sets the resolver option ndots to %q, which is not a number: the resolver ignores it", value),
				fields:   []string{field},
				jsonpath: "{.dnsConfig.options}",
				hint:     "Give ndots a small whole number (the default is 5; 1 or 2 cut lookups for external names).",
			}, true
		case n > maxNdots:
			return dnsPolicyProblem{
				kind: policyNdots, severity: checks.StatusWarn,
				what: fmt.Sprintf("sets ndots to %d: every name with fewer dots is tried with each search domain "+
					"first, so each external lookup costs several failed queries and is slow", n),
				fields:   []string{field},
				jsonpath: "{.dnsConfig.options}",
				hint:     "Lower ndots to 5 or less (2 suits most workloads), or write external names with a trailing dot.",
			}, true
		}
	}
	return dnsPolicyProblem{}, false
}

// isDNSServer reports a kube-system pod that serves DNS itself: it must not resolve through
// itself, so dnsPolicy Default is right for it.
func isDNSServer(namespace string, podLabels map[string]string, ownerName string) bool {
	if namespace != clusterdns.Namespace {
		return false
	}
	if dnsServerLabels[podLabels[clusterdns.LabelKey]] {
		return true
	}
	for _, n := range append(dnsDeploymentNames, "node-local-dns") {
		if ownerName == n {
			return true
		}
	}
	return false
}

// policyGroup is one problem of one workload, from its template and/or its pods.
type policyGroup struct {
	owner    checks.ObjectRef
	problem  dnsPolicyProblem
	template bool     // the workload's pod template has it
	pods     []string // running pods that have it
}

func runDNSPolicy(ctx context.Context, env *checks.Env) checks.Result {
	pods, podsErr := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	deps, depsErr := kube.ListOf[*appsv1.Deployment](ctx, env.Snapshot, kube.Deployments)
	dss, dssErr := kube.ListOf[*appsv1.DaemonSet](ctx, env.Snapshot, kube.DaemonSets)
	sss, sssErr := kube.ListOf[*appsv1.StatefulSet](ctx, env.Snapshot, kube.StatefulSets)
	if podsErr != nil && depsErr != nil && dssErr != nil && sssErr != nil {
		return checks.SkipOrError(podsErr)
	}
	g := &policyGroups{byKey: map[string]*policyGroup{}}
	for _, d := range deps {
		g.template("Deployment", &d.ObjectMeta, &d.Spec.Template)
	}
	for _, d := range dss {
		g.template("DaemonSet", &d.ObjectMeta, &d.Spec.Template)
	}
	for _, s := range sss {
		g.template("StatefulSet", &s.ObjectMeta, &s.Spec.Template)
	}
	ix := podinfo.NewWorkloadIndex(deps, dss, sss)
	live := 0
	for _, p := range pods {
		if podinfo.Finished(p) {
			continue
		}
		live++
		owner := ix.OwnerOf(p)
		for _, prob := range judgePodDNS(&p.Spec, p.Namespace, p.Labels, owner.Name) {
			g.note(owner, prob, p.Name)
		}
	}
	findings := make([]checks.Finding, 0, len(g.order))
	for _, key := range g.order {
		findings = append(findings, policyFinding(g.byKey[key]))
	}
	sortFindingsCausesFirst(findings)
	return policyResult(findings, g.workloads, live, map[string]error{
		"pods": podsErr, "Deployments": depsErr, "DaemonSets": dssErr, "StatefulSets": sssErr,
	})
}

// policyGroups gathers the problems of one run by workload and kind, in the order first seen.
type policyGroups struct {
	byKey     map[string]*policyGroup
	order     []string
	workloads int
}

// note records a problem of a workload's template (pod "") or of one of its running pods.
func (g *policyGroups) note(owner checks.ObjectRef, p dnsPolicyProblem, pod string) {
	key := owner.Kind + "/" + owner.Namespace + "/" + owner.Name + "/" + p.kind
	grp := g.byKey[key]
	if grp == nil {
		grp = &policyGroup{owner: owner, problem: p}
		g.byKey[key] = grp
		g.order = append(g.order, key)
	}
	if pod == "" {
		grp.template = true
	} else {
		grp.pods = append(grp.pods, pod)
	}
}

func (g *policyGroups) template(kind string, m *metav1.ObjectMeta, spec *corev1.PodTemplateSpec) {
	g.workloads++
	for _, p := range judgePodDNS(&spec.Spec, m.Namespace, spec.Labels, m.Name) {
		g.note(podinfo.WorkloadRef(kind, m), p, "")
	}
}

func policyFinding(g *policyGroup) checks.Finding {
	o := g.owner
	kind := strings.ToLower(o.Kind)
	path := ".spec"
	if o.Kind != "Pod" {
		path = ".spec.template.spec"
	}
	var evidence []string
	for _, f := range g.problem.fields {
		evidence = append(evidence, strings.TrimPrefix(path, ".")+"."+f)
	}
	if len(g.pods) > 0 && o.Kind != "Pod" {
		names := g.pods
		sort.Strings(names)
		more := ""
		if len(names) > policyPodNames {
			more = fmt.Sprintf(" and %d more", len(names)-policyPodNames)
			names = names[:policyPodNames]
		}
		evidence = append(evidence, fmt.Sprintf("%d running pod(s) with it: %s%s", len(g.pods), strings.Join(names, ", "), more))
	} else if !g.template && o.Kind != "Pod" {
		evidence = append(evidence, "the template no longer has it; its running pods still do")
	}
	jsonpath := strings.ReplaceAll(g.problem.jsonpath, "{.", "{"+path+".")
	// The workload's own DNS settings are why its pods cannot resolve: a cause, explaining them.
	var explains []checks.ObjectRef
	for _, p := range g.pods {
		explains = append(explains, checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: o.Namespace, Name: p})
	}
	return checks.Finding{
		Cause:    len(explains) > 0,
		Explains: explains,
		Severity: g.problem.severity,
		Object:   &checks.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name},
		Message:  o.Name + " " + g.problem.what,
		Evidence: evidence,
		Hint:     g.problem.hint,
		Commands: []checks.Command{checks.Cmd("kubectl", "-n", o.Namespace, "get", kind, o.Name, "-o", "jsonpath="+jsonpath)},
	}
}

// sortFindingsCausesFirst orders findings gravest first, causes before symptoms, then by the object they
// are about; findings about files keep their order (by line).
func sortFindingsCausesFirst(fs []checks.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Severity != fs[j].Severity {
			return fs[i].Severity > fs[j].Severity
		}
		if fs[i].Cause != fs[j].Cause {
			return fs[i].Cause
		}
		a, b := fs[i].Object, fs[j].Object
		if a == nil || b == nil {
			return b == nil && a != nil
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
}

func policyResult(findings []checks.Finding, workloads, pods int, errs map[string]error) checks.Result {
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if len(findings) == 0 {
		r.Summary = fmt.Sprintf("%d workloads and %d pods resolve through cluster DNS", workloads, pods)
	} else {
		var names []string
		objects := map[checks.ObjectRef]bool{}
		for _, f := range findings {
			names = append(names, f.Object.Name)
			objects[*f.Object] = true
		}
		r.Summary = fmt.Sprintf("%d workload(s) bypass or break cluster DNS: %s", len(objects), strings.Join(compactNames(names, 5), ", "))
	}
	r.Summary += unreadNote(errs)
	return r
}

// unreadNote says which optional lists a check went without and why, for its summary:
// " (not in the snapshot: DaemonSets; forbidden: pods)". Empty when all were read.
func unreadNote(errs map[string]error) string {
	byReason := map[string][]string{}
	for what, err := range errs {
		switch {
		case err == nil:
		case checks.IsForbidden(err):
			byReason["forbidden"] = append(byReason["forbidden"], what)
		case errors.Is(err, kube.ErrNotCollected):
			byReason["not in the snapshot"] = append(byReason["not in the snapshot"], what)
		default:
			byReason["not read"] = append(byReason["not read"], what)
		}
	}
	if len(byReason) == 0 {
		return ""
	}
	var parts []string
	for _, reason := range []string{"forbidden", "not in the snapshot", "not read"} {
		if list := byReason[reason]; len(list) > 0 {
			sort.Strings(list)
			parts = append(parts, reason+": "+strings.Join(list, ", "))
		}
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// compactNames drops repeats and keeps the first n, with "and N more".
func compactNames(names []string, n int) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range names {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) > n {
		return append(out[:n], fmt.Sprintf("and %d more", len(out)-n))
	}
	return out
}
