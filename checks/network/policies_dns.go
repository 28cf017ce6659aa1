package network

import (
	"fmt"
	"sort"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/netpolicy"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/safetext"
)

// groupDNS gathers what the policies selecting one pod group say about its DNS queries.
type groupDNS struct {
	isolated, allowed, unknown bool
	minAllow, minDeny          float64
	deniers, blockers          []*netpolicy.Part
}

// blockedGroups returns, per policy part to blame, the pod groups whose DNS queries it blocks.
// A group is blocked when a deny that applies before any allow covers DNS, or when some policy
// isolates its egress and none allows DNS; kockpit says nothing when a policy it cannot
// evaluate selects the group.
func (ev *policyEval) blockedGroups(policies []*netpolicy.Policy) (map[*netpolicy.Part][]*netpolicy.PodGroup, map[*netpolicy.Part]netpolicy.DNSVerdict) {
	verdicts := map[*netpolicy.Part]netpolicy.DNSVerdict{}
	state := map[*netpolicy.PodGroup]*groupDNS{}
	for _, p := range policies {
		if p.Unknown != "" {
			continue
		}
		for _, part := range p.Parts {
			v := ev.dns.EgressDNSVerdict(part)
			if v.Kind == "" {
				continue
			}
			verdicts[part] = v
			ev.idx.EachSelected(part.Selects, func(g *netpolicy.PodGroup) bool {
				if g.HostNetwork || !g.ClusterDNS || ev.dns.IsDNSGroup(g) {
					return true
				}
				st := state[g]
				if st == nil {
					st = &groupDNS{minAllow: netpolicy.OrderLast, minDeny: netpolicy.OrderLast}
					state[g] = st
				}
				switch v.Kind {
				case "deny":
					st.minDeny = min(st.minDeny, v.Order)
					st.deniers = append(st.deniers, part)
				case "allow":
					st.isolated, st.allowed = true, true
					st.minAllow = min(st.minAllow, v.Order)
				case "none":
					st.isolated = true
					st.blockers = append(st.blockers, part)
				case "unknown":
					st.isolated, st.unknown = true, true
				}
				return true
			})
		}
	}
	blame := map[*netpolicy.Part][]*netpolicy.PodGroup{}
	for g, st := range state {
		switch {
		case len(st.deniers) > 0 && (!st.allowed || st.minDeny <= st.minAllow):
			for _, part := range st.deniers {
				blame[part] = append(blame[part], g)
			}
		case st.isolated && !st.allowed && !st.unknown:
			for _, part := range st.blockers {
				blame[part] = append(blame[part], g)
			}
		}
	}
	return blame, verdicts
}

// dnsEgressFindings reports, per policy part to blame, the pods that cannot resolve names.
func (ev *policyEval) dnsEgressFindings(policies []*netpolicy.Policy) []checks.Finding {
	blame, verdicts := ev.blockedGroups(policies)
	var out []checks.Finding
	for _, p := range policies {
		for _, part := range p.Parts {
			groups := blame[part]
			if len(groups) == 0 {
				continue
			}
			out = append(out, ev.dnsBlockedFinding(part, verdicts[part], groups))
		}
	}
	return out
}

func (ev *policyEval) dnsBlockedFinding(part *netpolicy.Part, v netpolicy.DNSVerdict, groups []*netpolicy.PodGroup) checks.Finding {
	p := part.Policy
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].Namespace != groups[j].Namespace {
			return groups[i].Namespace < groups[j].Namespace
		}
		return groups[i].Pods[0].Name < groups[j].Pods[0].Name
	})
	byNS := map[string][]*netpolicy.PodGroup{}
	var namespaces []string
	for _, g := range groups {
		if byNS[g.Namespace] == nil {
			namespaces = append(namespaces, g.Namespace)
		}
		byNS[g.Namespace] = append(byNS[g.Namespace], g)
	}
	why := fmt.Sprintf("%s isolates their egress and no policy allows DNS to the kube-dns pods", p.Display())
	evidence := []string{part.Egress.Quote}
	if v.Kind == "deny" {
		why = fmt.Sprintf("%s denies their DNS queries (%s)", p.Display(), v.Rule)
		for _, r := range append(append([]netpolicy.Rule(nil), part.Egress.Deny...), part.Egress.Allow...) {
			if r.Path == v.Rule {
				evidence = []string{r.Path + ": " + r.Text}
			}
		}
	} else {
		if len(part.Egress.Allow) == 0 {
			evidence = append(evidence, "no egress rule: every packet out of the selected pods is dropped")
		}
		evidence = append(evidence, firstN(v.Reasons, 4)...)
		for _, r := range part.Egress.Allow {
			if chars := safetext.Suspicious(r.Text); len(chars) > 0 {
				evidence = append(evidence, r.Path+" has characters outside ASCII, which no label of the DNS pods has:")
				evidence = append(evidence, safetext.Describe(chars)...)
			}
		}
	}
	for i, ns := range namespaces {
		if i == 5 {
			evidence = append(evidence, fmt.Sprintf("... and %d more namespaces", len(namespaces)-i))
			break
		}
		pods := netpolicy.GroupPods(byNS[ns])
		evidence = append(evidence, fmt.Sprintf("%s: %s that resolve through cluster DNS, e.g. %s", ns, phrase.Count(len(pods), "pod", "pods"), podinfo.Names(pods, 2)))
	}
	evidence = append(evidence, ev.dns.Describe())
	example := byNS[namespaces[0]][0].Pods[0]
	var explains []checks.ObjectRef
	for _, pod := range netpolicy.GroupPods(groups) {
		if len(explains) == sampleLimit {
			break
		}
		explains = append(explains, checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name})
	}
	return checks.Finding{
		Severity: checks.StatusFail,
		Object:   &p.Ref,
		Message:  fmt.Sprintf("pods in %s cannot resolve names: %s", phrase.List(namespaces, 3), why),
		Evidence: evidence,
		Hint:     dnsHint(p.Flavour),
		Commands: []checks.Command{
			p.Command,
			checks.Cmd("kubectl", "-n", example.Namespace, "exec", example.Name, "--", "nslookup", "kubernetes.default"),
		},
		Cause:    true,
		Explains: explains,
	}
}

// dnsHint is the rule that lets DNS through, in the policy's own flavour.
func dnsHint(f netpolicy.Flavour) string {
	switch f {
	case netpolicy.FlavourCilium, netpolicy.FlavourCiliumClusterwide:
		return "Add an egress rule for DNS: toEndpoints [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, " +
			"k8s:k8s-app: kube-dns}}] with toPorts [{ports: [{port: \"53\", protocol: ANY}]}]. A deny rule beats " +
			"every allow: narrow it so it leaves DNS out."
	case netpolicy.FlavourCalico, netpolicy.FlavourCalicoGlobal:
		return "Add, before any Deny rule, an egress rule {action: Allow, protocol: UDP, destination: {selector: " +
			"\"k8s-app == 'kube-dns'\", namespaceSelector: \"projectcalico.org/name == 'kube-system'\", ports: [53]}}, " +
			"and the same for TCP."
	}
	return "Add an egress rule for DNS: to [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, " +
		"podSelector: {matchLabels: {k8s-app: kube-dns}}}] with ports [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}] " +
		"(a port without a protocol is TCP only)."
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string(nil), s[:n]...), fmt.Sprintf("... and %d more rules", len(s)-n))
}

// ingressClients says from whom a part lets DNS queries into the DNS pods: "all" (every pod of
// the cluster), "some", "none", or "deny" (a deny rule covers them).
func (ev *policyEval) ingressClients(part *netpolicy.Part) (string, string) {
	t := ev.dns
	covers := func(r netpolicy.Rule) bool {
		if r.Nothing || r.Unknown != "" {
			return false
		}
		ok := r.AnyPort
		for _, p := range r.Ports {
			ok = ok || p.Covers("UDP", t.Port, t.Names)
		}
		return ok
	}
	fromAll := func(r netpolicy.Rule) bool {
		if r.AnyPeer {
			return true
		}
		for _, p := range r.Peers {
			if p.Pods != nil && p.Pods.Everywhere() {
				return true
			}
			for _, e := range p.Entities {
				if e == "all" || e == "cluster" {
					return true
				}
			}
			for _, n := range p.Nets {
				if ones, _ := n.Mask.Size(); ones == 0 {
					return true
				}
			}
		}
		return false
	}
	for _, r := range part.Ingress.Deny {
		if covers(r) && fromAll(r) {
			return "deny", r.Path + ": " + r.Text
		}
	}
	best, rule := "none", ""
	for _, r := range part.Ingress.Allow {
		if r.Unknown != "" {
			return "unknown", r.Unknown
		}
		if !covers(r) {
			continue
		}
		if r.Action == "Deny" && fromAll(r) && best == "none" {
			return "deny", r.Path + ": " + r.Text
		}
		if r.Action != "Allow" {
			continue
		}
		if fromAll(r) {
			return "all", ""
		}
		best, rule = "some", r.Path+": "+r.Text
	}
	return best, rule
}

// dnsIngressFindings reports policies that isolate the DNS pods' ingress without letting every
// pod's queries in: then pods in every namespace (or all but a few) cannot resolve names.
func (ev *policyEval) dnsIngressFindings(policies []*netpolicy.Policy) []checks.Finding {
	type judged struct {
		part     *netpolicy.Part
		verdict  string
		evidence string
	}
	var parts []judged
	open := false
	for _, p := range policies {
		if p.Unknown != "" {
			continue
		}
		for _, part := range p.Parts {
			if (!part.Ingress.Isolates && len(part.Ingress.Deny) == 0) || !ev.selectsDNS(part) {
				continue
			}
			v, e := ev.ingressClients(part)
			if v == "all" || v == "unknown" {
				open = open || part.Ingress.Isolates
				continue
			}
			parts = append(parts, judged{part, v, e})
		}
	}
	var out []checks.Finding
	for _, j := range parts {
		if open && j.verdict != "deny" {
			continue // another policy lets every pod's queries in
		}
		p := j.part.Policy
		f := checks.Finding{
			Severity: checks.StatusFail,
			Object:   &p.Ref,
			Message:  fmt.Sprintf("pods in every namespace cannot resolve names: %s isolates the cluster DNS pods' ingress and lets no query in", p.Display()),
			Evidence: []string{j.part.Ingress.Quote, ev.dns.Describe()},
			Hint: "The DNS pods must accept port 53 (UDP and TCP) from every pod: add an ingress rule from all " +
				"namespaces (namespaceSelector: {}) on those ports, or stop selecting the DNS pods.",
			Commands: []checks.Command{p.Command, checks.Cmd("kubectl", "-n", "kube-system", "get", "pods", "-l", ev.dns.Selector, "-o", "wide")},
			Cause:    true,
		}
		switch j.verdict {
		case "deny":
			f.Message = fmt.Sprintf("pods in every namespace cannot resolve names: %s denies queries into the cluster DNS pods", p.Display())
			f.Evidence = append([]string{j.evidence}, f.Evidence...)
		case "some":
			f.Severity = checks.StatusWarn
			f.Message = fmt.Sprintf("only some pods can resolve names: %s lets DNS queries into the cluster DNS pods from a few peers only", p.Display())
			f.Evidence = append([]string{j.evidence}, f.Evidence...)
		}
		out = append(out, f)
	}
	return out
}

// selectsDNS says whether a part selects one of the cluster DNS pods.
func (ev *policyEval) selectsDNS(part *netpolicy.Part) bool {
	for _, g := range ev.dns.Groups {
		if part.Selects.Matches(g, ev.dns.Ns) {
			return true
		}
	}
	return false
}
