package network

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/netpolicy"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// policiesCheck is the network.policies check.
var policiesCheck = checks.Check{
	ID:       "network.policies",
	Title:    "Network policies of every flavour let pods resolve names",
	Category: checks.CategoryNetwork,
	Learn:    learn("network.policies"),
	Needs:    checks.NeedsObjects,
	Reads: []kube.Resource{kube.Pods, kube.Namespaces, kube.Services, kube.NetworkPolicies,
		kube.CiliumNetworkPolicies, kube.CiliumClusterwideNetworkPolicies, kube.CalicoNetworkPolicies, kube.CalicoGlobalNetworkPolicies},
	Run: runNetworkPolicies,
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
	policies      []*netpolicy.Policy
	// skipped says, per flavour, why its policies are not in: "not installed", "forbidden: ...".
	skipped map[netpolicy.Flavour]string
}

func runNetworkPolicies(ctx context.Context, env *checks.Env) checks.Result {
	pods, err := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	if err != nil {
		return checks.SkipOrError(err)
	}
	in := policyInput{pods: pods, skipped: map[netpolicy.Flavour]string{}}
	in.namespaces, in.namespacesErr = kube.ListOf[*corev1.Namespace](ctx, env.Snapshot, kube.Namespaces)
	// Services find the cluster DNS; without them DNS reachability is not judged, and said.
	var p checks.Partial
	in.services, err = checks.ListPartial[*corev1.Service](ctx, env.Snapshot, &p, kube.Services)
	if err != nil {
		return checks.SkipOrError(err)
	}

	var firstErr error
	nps, err := kube.ListOf[*networkingv1.NetworkPolicy](ctx, env.Snapshot, kube.NetworkPolicies)
	if err != nil {
		in.skipped[netpolicy.FlavourKubernetes], firstErr = flavourSkipReason(err), err
	}
	for _, np := range nps {
		in.policies = append(in.policies, netpolicy.KubernetesPolicy(np))
	}
	for f := netpolicy.FlavourCilium; f <= netpolicy.FlavourCalicoGlobal; f++ {
		items, err := kube.ListUnstructured(ctx, env.Snapshot, netpolicy.Flavours[f].Res)
		if err != nil {
			in.skipped[f] = flavourSkipReason(err)
			if firstErr == nil && !errors.Is(err, kube.ErrNotInstalled) && !errors.Is(err, kube.ErrNotCollected) {
				firstErr = err
			}
			continue
		}
		for _, u := range items {
			switch f {
			case netpolicy.FlavourCilium, netpolicy.FlavourCiliumClusterwide:
				in.policies = append(in.policies, netpolicy.CiliumPolicy(u, f == netpolicy.FlavourCiliumClusterwide))
			default:
				in.policies = append(in.policies, netpolicy.CalicoPolicy(u, f == netpolicy.FlavourCalicoGlobal))
			}
		}
	}
	if len(in.skipped) == len(netpolicy.Flavours) {
		if firstErr == nil {
			return checks.Skipped(checks.SkipNotCollected, "no network policy of any flavour in the snapshot")
		}
		return checks.SkipOrError(firstErr)
	}
	return p.Note(judgePolicies(in))
}

// flavourSkipReason says why a flavour's policies could not be read, as the evidence shows it.
func flavourSkipReason(err error) string {
	switch {
	case errors.Is(err, kube.ErrNotInstalled):
		return "not installed (the API server does not serve its CRD)"
	case checks.IsForbidden(err):
		return "forbidden: " + err.Error()
	case errors.Is(err, kube.ErrNotCollected):
		return "not in the snapshot"
	case errors.Is(err, kube.ErrOffline):
		return "offline"
	}
	return "error: " + err.Error()
}

func judgePolicies(in policyInput) checks.Result {
	idx := netpolicy.NewPodIndex(in.pods, in.namespaces, true)
	dns := netpolicy.FindDNSTarget(idx, in.services)
	if dns != nil {
		dns.NsLabelsPartial = in.namespacesErr != nil
	}
	sort.Slice(in.policies, func(i, j int) bool {
		a, b := in.policies[i], in.policies[j]
		if a.Flavour != b.Flavour {
			return a.Flavour < b.Flavour
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	ev := &policyEval{idx: idx, dns: dns, samples: map[*netpolicy.Part]podSample{}}
	var findings []checks.Finding
	if dns != nil {
		findings = append(findings, ev.dnsEgressFindings(in.policies)...)
		findings = append(findings, ev.dnsIngressFindings(in.policies)...)
	}
	for _, p := range in.policies {
		if p.Unknown != "" {
			continue
		}
		findings = append(findings, ev.denyAllNamedAllow(p)...)
		findings = append(findings, denyRuleFindings(p)...)
		findings = append(findings, ev.worldOnlyFindings(p)...)
	}
	findings = append(findings, ev.systemPodFindings(in.policies, findings)...)
	findings = append(findings, ev.inventory(in))
	r := checks.Result{Status: checks.Worst(findings), Findings: findings, Summary: policySummary(in, findings, dns)}
	return r
}

func policySummary(in policyInput, findings []checks.Finding, dns *netpolicy.DNSTarget) string {
	problems := 0
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			problems++
		}
	}
	s := phrase.Count(len(in.policies), "network policy", "network policies")
	if problems == 0 {
		s += ", none in the way"
	} else {
		s += ", " + phrase.Count(problems, "problem", "problems")
	}
	if dns == nil {
		s += " (no cluster DNS pods found: DNS reachability not evaluated)"
	}
	if in.namespacesErr != nil {
		s += fmt.Sprintf(" (namespaces not read, namespace selectors not judged: %v)", in.namespacesErr)
	}
	var skipped []string
	for f := range netpolicy.Flavours {
		if why, ok := in.skipped[netpolicy.Flavour(f)]; ok {
			reason, _, _ := strings.Cut(why, ":")
			reason, _, _ = strings.Cut(reason, " (")
			skipped = append(skipped, netpolicy.Flavour(f).String()+" "+reason)
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
	idx     *netpolicy.PodIndex
	dns     *netpolicy.DNSTarget
	samples map[*netpolicy.Part]podSample
}

// podSample is a few of the pods a part selects (pods network policy applies to: not on the host
// network), enough for evidence and for "selects something".
type podSample struct {
	groups []*netpolicy.PodGroup
	pods   int
	more   bool // it selects more than the sample holds
}

// sampleLimit is how many pods a sample keeps: findings explain at most that many.
const sampleLimit = 20

func (ev *policyEval) sample(part *netpolicy.Part) podSample {
	if s, ok := ev.samples[part]; ok {
		return s
	}
	var s podSample
	ev.idx.EachSelected(part.Selects, func(g *netpolicy.PodGroup) bool {
		if g.HostNetwork {
			return true
		}
		if s.pods >= sampleLimit {
			s.more = true
			return false
		}
		s.groups = append(s.groups, g)
		s.pods += len(g.Pods)
		return true
	})
	ev.samples[part] = s
	return s
}

// inventory counts, per namespace and flavour, the policies and those that select pods, and
// lists the flavours that could not be read.
func (ev *policyEval) inventory(in policyInput) checks.Finding {
	type count struct{ total, selecting int }
	byNS := map[string]map[netpolicy.Flavour]*count{}
	for _, p := range in.policies {
		ns := p.Namespace
		if ns == "" {
			ns = "(cluster-wide)"
		}
		if byNS[ns] == nil {
			byNS[ns] = map[netpolicy.Flavour]*count{}
		}
		c := byNS[ns][p.Flavour]
		if c == nil {
			c = &count{}
			byNS[ns][p.Flavour] = c
		}
		c.total++
		for _, part := range p.Parts {
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
		for f := range netpolicy.Flavours {
			if c := byNS[ns][netpolicy.Flavour(f)]; c != nil {
				parts = append(parts, fmt.Sprintf("%d %s (%d select pods)", c.total, netpolicy.Flavour(f), c.selecting))
			}
		}
		evidence = append(evidence, ns+": "+strings.Join(parts, ", "))
	}
	for f := range netpolicy.Flavours {
		if why, ok := in.skipped[netpolicy.Flavour(f)]; ok {
			evidence = append(evidence, fmt.Sprintf("%s: skipped, %s", netpolicy.Flavour(f), why))
		}
	}
	for _, p := range in.policies {
		if p.Unknown != "" {
			evidence = append(evidence, fmt.Sprintf("%s: not evaluated, %s", p.Display(), p.Unknown))
		}
	}
	msg := fmt.Sprintf("%s in %s", phrase.Count(len(in.policies), "network policy", "network policies"), phrase.Count(len(names), "namespace", "namespaces"))
	if len(in.policies) == 0 {
		msg = "no network policies: every pod may talk to every other"
	}
	return checks.Finding{Severity: checks.StatusOK, Message: msg, Evidence: evidence,
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "networkpolicies", "-A"), checks.Cmd("kubectl", "get", "ciliumnetworkpolicies,ciliumclusterwidenetworkpolicies", "-A")}}
}
