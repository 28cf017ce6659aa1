package checks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kockpit/kockpit/kube"
)

func init() {
	register(Check{
		ID:       "network.policies",
		Title:    "Network policies of every flavour let pods resolve names",
		Category: CategoryNetwork,
		Learn: "Network policy comes in flavours that all apply at once: Kubernetes NetworkPolicy, Cilium's " +
			"CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, Calico's NetworkPolicy and " +
			"GlobalNetworkPolicy. A pod that any policy selects for egress may send only what some policy " +
			"allows, so a policy that forgets DNS (UDP port 53 to the kube-dns pods in kube-system) leaves " +
			"its pods unable to resolve any name, which looks like every other network failure. kockpit " +
			"reads every flavour the cluster serves, works out which pods each selects, and follows the " +
			"rules the way the CNI does: policy types, empty rule lists that deny all, peers by namespace " +
			"and pod labels, ports and protocols (a port without a protocol is TCP only). It also flags " +
			"deny-all policies whose names promise to allow, Cilium deny rules (they beat every allow), " +
			"rules that allow only the world entity, and policies on the DNS or CNI pods themselves. Fix " +
			"by adding an egress rule for DNS to each policy that isolates egress, or one allow-dns policy.",
		Needs: NeedsObjects,
		Reads: []kube.Resource{kube.Pods, kube.Namespaces, kube.Services, kube.NetworkPolicies,
			kube.CiliumNetworkPolicies, kube.CiliumClusterwideNetworkPolicies, kube.CalicoNetworkPolicies, kube.CalicoGlobalNetworkPolicies},
		Run: runNetworkPolicies,
	})
}

// policyInput is what the check reads: the policies of every readable flavour, and why the
// others could not be read.
type policyInput struct {
	pods       []*corev1.Pod
	namespaces []*corev1.Namespace
	// namespacesErr says why namespaces could not be read: namespace selectors then see only
	// the kubernetes.io/metadata.name label, and a peer they do not match is not a sure miss.
	namespacesErr error
	services      []*corev1.Service
	policies      []*netPolicy
	// skipped says, per flavour, why its policies are not in: "not installed", "forbidden: ...".
	skipped map[npFlavour]string
}

func runNetworkPolicies(ctx context.Context, env *Env) Result {
	pods, err := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	if err != nil {
		return SkipOrError(err)
	}
	in := policyInput{pods: pods, skipped: map[npFlavour]string{}}
	in.namespaces, in.namespacesErr = kube.ListOf[*corev1.Namespace](ctx, env.Snapshot, kube.Namespaces)
	in.services, _ = kube.ListOf[*corev1.Service](ctx, env.Snapshot, kube.Services)

	var firstErr error
	nps, err := kube.ListOf[*networkingv1.NetworkPolicy](ctx, env.Snapshot, kube.NetworkPolicies)
	if err != nil {
		in.skipped[flavourKubernetes], firstErr = flavourSkipReason(err), err
	}
	for _, np := range nps {
		in.policies = append(in.policies, kubernetesPolicy(np))
	}
	for f := flavourCilium; f <= flavourCalicoGlobal; f++ {
		items, err := kube.ListUnstructured(ctx, env.Snapshot, npFlavours[f].res)
		if err != nil {
			in.skipped[f] = flavourSkipReason(err)
			if firstErr == nil && !errors.Is(err, kube.ErrNotInstalled) && !errors.Is(err, kube.ErrNotCollected) {
				firstErr = err
			}
			continue
		}
		for _, u := range items {
			switch f {
			case flavourCilium, flavourCiliumClusterwide:
				in.policies = append(in.policies, ciliumPolicy(u, f == flavourCiliumClusterwide))
			default:
				in.policies = append(in.policies, calicoPolicy(u, f == flavourCalicoGlobal))
			}
		}
	}
	if len(in.skipped) == len(npFlavours) {
		if firstErr == nil {
			return Skipped(SkipNotCollected, "no network policy of any flavour in the snapshot")
		}
		return SkipOrError(firstErr)
	}
	return judgePolicies(in)
}

// flavourSkipReason says why a flavour's policies could not be read, as the evidence shows it.
func flavourSkipReason(err error) string {
	switch {
	case errors.Is(err, kube.ErrNotInstalled):
		return "not installed (the API server does not serve its CRD)"
	case errors.Is(err, kube.ErrNotCollected):
		return "not in the snapshot"
	case errors.Is(err, kube.ErrOffline):
		return "offline"
	case apierrors.IsForbidden(err):
		return "forbidden: " + err.Error()
	}
	return "error: " + err.Error()
}

func judgePolicies(in policyInput) Result {
	idx := newNetPodIndex(in.pods, in.namespaces, true)
	dns := findDNSTarget(idx, in.services)
	if dns != nil {
		dns.nsLabelsPartial = in.namespacesErr != nil
	}
	sort.Slice(in.policies, func(i, j int) bool {
		a, b := in.policies[i], in.policies[j]
		if a.flavour != b.flavour {
			return a.flavour < b.flavour
		}
		return a.namespace+"/"+a.name < b.namespace+"/"+b.name
	})
	ev := &policyEval{idx: idx, dns: dns, samples: map[*npPart]podSample{}}
	var findings []Finding
	if dns != nil {
		findings = append(findings, ev.dnsEgressFindings(in.policies)...)
		findings = append(findings, ev.dnsIngressFindings(in.policies)...)
	}
	for _, p := range in.policies {
		if p.unknown != "" {
			continue
		}
		findings = append(findings, ev.denyAllNamedAllow(p)...)
		findings = append(findings, denyRuleFindings(p)...)
		findings = append(findings, worldOnlyFindings(p)...)
	}
	findings = append(findings, ev.systemPodFindings(in.policies, findings)...)
	findings = append(findings, ev.inventory(in))
	r := Result{Status: Worst(findings), Findings: findings, Summary: policySummary(in, findings, dns)}
	return r
}

func policySummary(in policyInput, findings []Finding, dns *dnsTarget) string {
	problems := 0
	for _, f := range findings {
		if f.Severity > StatusOK {
			problems++
		}
	}
	s := countNoun(len(in.policies), "network policy", "network policies")
	if problems == 0 {
		s += ", none in the way"
	} else {
		s += ", " + countNoun(problems, "problem", "problems")
	}
	if dns == nil {
		s += " (no cluster DNS pods found: DNS reachability not evaluated)"
	}
	if in.namespacesErr != nil {
		s += fmt.Sprintf(" (namespaces not read, namespace selectors not judged: %v)", in.namespacesErr)
	}
	var skipped []string
	for f := range npFlavours {
		if why, ok := in.skipped[npFlavour(f)]; ok {
			reason, _, _ := strings.Cut(why, ":")
			reason, _, _ = strings.Cut(reason, " (")
			skipped = append(skipped, npFlavour(f).String()+" "+reason)
		}
	}
	if len(skipped) > 0 {
		s += "; skipped: " + strings.Join(skipped, ", ")
	}
	return s
}

// policyEval holds what the findings share: the pod index, the DNS target, and the pods each
// part selects, sampled once.
type policyEval struct {
	idx     *netPodIndex
	dns     *dnsTarget
	samples map[*npPart]podSample
}

// podSample is a few of the pods a part selects (pods network policy applies to: not on the host
// network), enough for evidence and for "selects something".
type podSample struct {
	groups []*podGroup
	pods   int
	more   bool // it selects more than the sample holds
}

// sampleLimit is how many pods a sample keeps: findings explain at most that many.
const sampleLimit = 20

func (ev *policyEval) sample(part *npPart) podSample {
	if s, ok := ev.samples[part]; ok {
		return s
	}
	var s podSample
	ev.idx.eachSelected(part.selects, func(g *podGroup) bool {
		if g.hostNetwork {
			return true
		}
		if s.pods >= sampleLimit {
			s.more = true
			return false
		}
		s.groups = append(s.groups, g)
		s.pods += len(g.pods)
		return true
	})
	ev.samples[part] = s
	return s
}

// inventory counts, per namespace and flavour, the policies and those that select pods, and
// lists the flavours that could not be read.
func (ev *policyEval) inventory(in policyInput) Finding {
	type count struct{ total, selecting int }
	byNS := map[string]map[npFlavour]*count{}
	for _, p := range in.policies {
		ns := p.namespace
		if ns == "" {
			ns = "(cluster-wide)"
		}
		if byNS[ns] == nil {
			byNS[ns] = map[npFlavour]*count{}
		}
		c := byNS[ns][p.flavour]
		if c == nil {
			c = &count{}
			byNS[ns][p.flavour] = c
		}
		c.total++
		for _, part := range p.parts {
			if ev.sample(part).pods > 0 {
				c.selecting++
				break
			}
		}
	}
	names := make([]string, 0, len(byNS))
	for ns := range byNS {
		names = append(names, ns)
	}
	sort.Strings(names)
	var evidence []string
	for i, ns := range names {
		if i == 30 {
			evidence = append(evidence, fmt.Sprintf("... and %d more namespaces", len(names)-i))
			break
		}
		var parts []string
		for f := range npFlavours {
			if c := byNS[ns][npFlavour(f)]; c != nil {
				parts = append(parts, fmt.Sprintf("%d %s (%d select pods)", c.total, npFlavour(f), c.selecting))
			}
		}
		evidence = append(evidence, ns+": "+strings.Join(parts, ", "))
	}
	for f := range npFlavours {
		if why, ok := in.skipped[npFlavour(f)]; ok {
			evidence = append(evidence, fmt.Sprintf("%s: skipped, %s", npFlavour(f), why))
		}
	}
	for _, p := range in.policies {
		if p.unknown != "" {
			evidence = append(evidence, fmt.Sprintf("%s: not evaluated, %s", p.display(), p.unknown))
		}
	}
	msg := fmt.Sprintf("%s in %s", countNoun(len(in.policies), "network policy", "network policies"), countNoun(len(names), "namespace", "namespaces"))
	if len(in.policies) == 0 {
		msg = "no network policies: every pod may talk to every other"
	}
	return Finding{Severity: StatusOK, Message: msg, Evidence: evidence,
		Commands: []string{"kubectl get networkpolicies -A", "kubectl get ciliumnetworkpolicies,ciliumclusterwidenetworkpolicies -A"}}
}

// countNoun writes "1 policy", "2 policies".
func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
