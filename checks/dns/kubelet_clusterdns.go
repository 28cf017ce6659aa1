package dns

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// kubeletClusterdnsCheck is the dns.kubelet-clusterdns check.
var kubeletClusterdnsCheck = checks.Check{
	ID:       "dns.kubelet-clusterdns",
	Title:    "Every kubelet gives pods the kube-dns Service as their nameserver",
	Category: checks.CategoryDNS,
	Learn:    learn("dns.kubelet-clusterdns"),
	Needs:    checks.NeedsLiveAPI | checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Nodes, kube.Services, kube.DaemonSets},
	Run:      runKubeletClusterDNS,
}

const (
	// kubeletConfigNodes caps how many kubelets one run asks: enough to catch a bad node in most
	// clusters without a thousand requests through the API server.
	kubeletConfigNodes = 50
	// kubeletConfigParallel bounds the requests in flight at once.
	kubeletConfigParallel = 8
	// kubeletGroupNames is how many node names a finding lists before "and N more".
	kubeletGroupNames = 5
)

// kubeletAnswer is one node's configuration, or why it could not be read.
type kubeletAnswer struct {
	node string
	cfg  *kube.KubeletConfig
	err  error
}

func runKubeletClusterDNS(ctx context.Context, env *checks.Env) checks.Result {
	svcs, err := kube.ListOf[*corev1.Service](ctx, env.Snapshot, kube.Services)
	if err != nil {
		return checks.SkipOrError(err)
	}
	svc := clusterdns.FindService(svcs)
	if svc == nil || svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return checks.Skipped(checks.SkipNotApplicable, "no kube-dns Service with a ClusterIP to compare the kubelets with (dns.service reports it)")
	}
	nodes, err := kube.ListOf[*corev1.Node](ctx, env.Snapshot, kube.Nodes)
	if err != nil {
		return checks.SkipOrError(err)
	}
	if len(nodes) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no nodes")
	}
	var p checks.Partial
	dss, err := checks.ListPartial[*appsv1.DaemonSet](ctx, env.Snapshot, &p, kube.DaemonSets)
	if err != nil {
		return checks.SkipOrError(err)
	}
	// DaemonSets that could not be read may hold NodeLocal DNSCache: a kubelet pointing at a
	// link-local address is then not judged wrong.
	nodeLocal := hasNodeLocalDNS(dss) || !p.Read(kube.DaemonSets)
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	sort.Strings(names)
	asked := names[:min(len(names), kubeletConfigNodes)]
	answers := askKubelets(ctx, env.Snapshot, asked)
	if ctx.Err() != nil {
		return checks.Errored("stopped before every kubelet answered: " + ctx.Err().Error())
	}
	return p.Note(judgeKubeletClusterDNS(svc, answers, len(names), nodeLocal))
}

// askKubelets reads the nodes' kubelet configurations, a few at a time, each within the
// request timeout.
func askKubelets(ctx context.Context, snap *kube.Snapshot, nodes []string) []kubeletAnswer {
	out := make([]kubeletAnswer, len(nodes))
	var g errgroup.Group
	g.SetLimit(kubeletConfigParallel)
	for i, n := range nodes {
		g.Go(func() error {
			if err := ctx.Err(); err != nil { // cancelled while waiting for its turn
				out[i] = kubeletAnswer{node: n, err: err}
				return nil
			}
			cfg, err := snap.KubeletConfig(ctx, n)
			out[i] = kubeletAnswer{node: n, cfg: cfg, err: err}
			return nil
		})
	}
	_ = g.Wait() // the goroutines report their errors in out
	return out
}

// hasNodeLocalDNS reports a NodeLocal DNSCache DaemonSet: with it, kubelets rightly point pods
// at its link-local address instead of the kube-dns Service.
func hasNodeLocalDNS(dss []*appsv1.DaemonSet) bool {
	for _, d := range dss {
		if d.Namespace == clusterdns.Namespace && (d.Name == "node-local-dns" || d.Spec.Template.Labels[clusterdns.LabelKey] == "node-local-dns") {
			return true
		}
	}
	return false
}

// kubeletTally sorts the kubelets' answers: which nodes have which wrong clusterDNS, which
// could not be read, and the cluster domains they use.
type kubeletTally struct {
	wrong      map[string][]string // clusterDNS as text → nodes
	wrongOrder []string
	failed     []string // "node NAME: why"
	forbidden  int
	read       int
	domains    map[string][]string // clusterDomain → nodes
}

func tallyKubelets(answers []kubeletAnswer, want map[string]bool, nodeLocal bool) kubeletTally {
	t := kubeletTally{wrong: map[string][]string{}, domains: map[string][]string{}}
	for _, a := range answers {
		if a.err != nil {
			t.failed = append(t.failed, fmt.Sprintf("node %s: %s", a.node, phrase.Clip(a.err.Error(), 200)))
			if apierrors.IsForbidden(a.err) {
				t.forbidden++
			}
			continue
		}
		t.read++
		t.domains[a.cfg.ClusterDomain] = append(t.domains[a.cfg.ClusterDomain], a.node)
		if clusterDNSFine(a.cfg.ClusterDNS, want, nodeLocal) {
			continue
		}
		key := "[" + strings.Join(a.cfg.ClusterDNS, ", ") + "]"
		if t.wrong[key] == nil {
			t.wrongOrder = append(t.wrongOrder, key)
		}
		t.wrong[key] = append(t.wrong[key], a.node)
	}
	return t
}

func judgeKubeletClusterDNS(svc *corev1.Service, answers []kubeletAnswer, totalNodes int, nodeLocal bool) checks.Result {
	want := map[string]bool{svc.Spec.ClusterIP: true}
	for _, ip := range svc.Spec.ClusterIPs {
		want[ip] = true
	}
	t := tallyKubelets(answers, want, nodeLocal)
	capped := ""
	if totalNodes > len(answers) {
		capped = fmt.Sprintf(" (asked the first %d of %d nodes, by name)", len(answers), totalNodes)
	}
	if t.read == 0 {
		if t.forbidden == len(answers) {
			return checks.Skipped(checks.SkipForbidden, "forbidden: reading a kubelet's configuration needs \"get nodes/proxy\": "+t.failed[0])
		}
		return checks.Skipped(checks.SkipUnreachable, fmt.Sprintf("no kubelet answered through the API server's node proxy: %s%s", t.failed[0], capped))
	}
	var findings []checks.Finding
	bad := 0
	for _, key := range t.wrongOrder {
		findings = append(findings, clusterDNSFinding(svc, key, t.wrong[key]))
		bad += len(t.wrong[key])
	}
	if f, ok := clusterDomainFinding(t.domains); ok {
		findings = append(findings, f)
	}
	if len(t.failed) > 0 {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusOK,
			Message:  fmt.Sprintf("%d kubelet(s) did not answer, so their clusterDNS is not checked", len(t.failed)),
			Evidence: compactNames(t.failed, kubeletGroupNames),
			Hint:     "A kubelet the API server cannot reach is down or firewalled (port 10250); the node's Ready condition says more.",
		})
	}
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	if bad == 0 {
		r.Summary = fmt.Sprintf("%d kubelet(s) give pods the kube-dns Service %s", t.read, svc.Spec.ClusterIP)
	} else {
		r.Summary = fmt.Sprintf("%d of %d kubelet(s) give pods another nameserver than the kube-dns Service %s", bad, t.read, svc.Spec.ClusterIP)
	}
	if len(t.failed) > 0 {
		r.Summary += fmt.Sprintf("; %d did not answer", len(t.failed))
	}
	r.Summary += capped
	return r
}

// clusterDNSFine reports whether a kubelet's clusterDNS starts with the Service's address (or
// NodeLocal DNSCache's link-local one, when that cache runs).
func clusterDNSFine(clusterDNS []string, want map[string]bool, nodeLocal bool) bool {
	if len(clusterDNS) == 0 {
		return false
	}
	if want[clusterDNS[0]] {
		return true
	}
	ip, err := netip.ParseAddr(clusterDNS[0])
	return nodeLocal && err == nil && ip.IsLinkLocalUnicast()
}

func clusterDNSFinding(svc *corev1.Service, clusterDNS string, nodes []string) checks.Finding {
	sort.Strings(nodes)
	first := nodes[0]
	who := "the kubelet of node " + first
	if len(nodes) > 1 {
		who = fmt.Sprintf("the kubelets of %d nodes", len(nodes))
	}
	what := fmt.Sprintf("gives pods the nameserver %s instead of the kube-dns Service %s", strings.Trim(clusterDNS, "[]"), svc.Spec.ClusterIP)
	if clusterDNS == "[]" {
		what = "gives pods no nameserver, so ClusterFirst pods fall back to the node's resolver"
	}
	if len(nodes) > 1 {
		what = strings.Replace(what, "gives", "give", 1)
	}
	evidence := []string{"kubeletconfig.clusterDNS: " + clusterDNS, "kube-dns Service clusterIP: " + svc.Spec.ClusterIP}
	if len(nodes) > 1 {
		evidence = append(evidence, "nodes: "+strings.Join(compactNames(nodes, kubeletGroupNames), ", "))
	}
	explains := make([]checks.ObjectRef, 0, len(nodes)-1)
	for _, n := range nodes[1:] {
		explains = append(explains, checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n})
	}
	return checks.Finding{
		Severity: checks.StatusFail, Object: &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: first}, Cause: true, Explains: explains,
		Message:  fmt.Sprintf("%s %s: name lookups in the ClusterFirst pods there go unanswered", who, what),
		Evidence: evidence,
		Hint: fmt.Sprintf("On the node, set clusterDNS: [%s] in /var/lib/kubelet/config.yaml and restart the kubelet "+
			"(systemctl restart kubelet); pods get the new resolv.conf when they are recreated.", svc.Spec.ClusterIP),
		Commands: []checks.Command{
			checks.Cmd("kubectl", "get", "--raw", "/api/v1/nodes/"+first+"/proxy/configz").Pipe("jq", ".kubeletconfig.clusterDNS"),
			checks.Cmd("kubectl", "-n", svc.Namespace, "get", "service", svc.Name, "-o", "jsonpath={.spec.clusterIPs}"),
		},
	}
}

// clusterDomainFinding reports kubelets that disagree on the cluster domain: pods on the odd ones
// search a domain CoreDNS does not serve.
func clusterDomainFinding(domains map[string][]string) (checks.Finding, bool) {
	if len(domains) < 2 {
		return checks.Finding{}, false
	}
	var parts []string
	odd, oddCount := "", -1
	for d, nodes := range domains {
		sort.Strings(nodes)
		parts = append(parts, fmt.Sprintf("%q on %s", d, strings.Join(compactNames(nodes, kubeletGroupNames), ", ")))
		if oddCount < 0 || len(nodes) < oddCount || len(nodes) == oddCount && nodes[0] < odd {
			odd, oddCount = nodes[0], len(nodes)
		}
	}
	sort.Strings(parts)
	return checks.Finding{
		Severity: checks.StatusWarn, Object: &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: odd},
		Message:  "the kubelets disagree on the cluster domain, so pods on some nodes search a domain CoreDNS may not serve",
		Evidence: append([]string{"kubeletconfig.clusterDomain:"}, parts...),
		Hint:     "Give every kubelet the same clusterDomain (the one the Corefile's kubernetes plugin serves) and restart it.",
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "--raw", "/api/v1/nodes/"+odd+"/proxy/configz").Pipe("jq", ".kubeletconfig.clusterDomain")},
	}, true
}
