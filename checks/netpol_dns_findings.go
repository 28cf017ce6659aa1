package checks

import (
	"fmt"
	"sort"

	"github.com/kockpit/kockpit/safetext"
)

// groupDNS gathers what the policies selecting one pod group say about its DNS queries.
type groupDNS struct {
	isolated, allowed, unknown bool
	minAllow, minDeny          float64
	deniers, blockers          []*npPart
}

// blockedGroups returns, per policy part to blame, the pod groups whose DNS queries it blocks.
// A group is blocked when a deny that applies before any allow covers DNS, or when some policy
// isolates its egress and none allows DNS; kockpit says nothing when a policy it cannot
// evaluate selects the group.
func (ev *policyEval) blockedGroups(policies []*netPolicy) (map[*npPart][]*podGroup, map[*npPart]dnsVerdict) {
	verdicts := map[*npPart]dnsVerdict{}
	state := map[*podGroup]*groupDNS{}
	for _, p := range policies {
		if p.unknown != "" {
			continue
		}
		for _, part := range p.parts {
			v := ev.dns.egressDNSVerdict(part)
			if v.kind == "" {
				continue
			}
			verdicts[part] = v
			ev.idx.eachSelected(part.selects, func(g *podGroup) bool {
				if g.hostNetwork || !g.clusterDNS || ev.dns.isDNSGroup(g) {
					return true
				}
				st := state[g]
				if st == nil {
					st = &groupDNS{minAllow: orderLast, minDeny: orderLast}
					state[g] = st
				}
				switch v.kind {
				case "deny":
					st.minDeny = min(st.minDeny, v.order)
					st.deniers = append(st.deniers, part)
				case "allow":
					st.isolated, st.allowed = true, true
					st.minAllow = min(st.minAllow, v.order)
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
	blame := map[*npPart][]*podGroup{}
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
func (ev *policyEval) dnsEgressFindings(policies []*netPolicy) []Finding {
	blame, verdicts := ev.blockedGroups(policies)
	var out []Finding
	for _, p := range policies {
		for _, part := range p.parts {
			groups := blame[part]
			if len(groups) == 0 {
				continue
			}
			out = append(out, ev.dnsBlockedFinding(part, verdicts[part], groups))
		}
	}
	return out
}

func (ev *policyEval) dnsBlockedFinding(part *npPart, v dnsVerdict, groups []*podGroup) Finding {
	p := part.policy
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].namespace != groups[j].namespace {
			return groups[i].namespace < groups[j].namespace
		}
		return groups[i].pods[0].Name < groups[j].pods[0].Name
	})
	byNS := map[string][]*podGroup{}
	var namespaces []string
	for _, g := range groups {
		if byNS[g.namespace] == nil {
			namespaces = append(namespaces, g.namespace)
		}
		byNS[g.namespace] = append(byNS[g.namespace], g)
	}
	why := fmt.Sprintf("%s isolates their egress and no policy allows DNS to the kube-dns pods", p.display())
	evidence := []string{part.egress.quote}
	if v.kind == "deny" {
		why = fmt.Sprintf("%s denies their DNS queries (%s)", p.display(), v.rule)
		for _, r := range append(append([]npRule(nil), part.egress.deny...), part.egress.allow...) {
			if r.path == v.rule {
				evidence = []string{r.path + ": " + r.text}
			}
		}
	} else {
		if len(part.egress.allow) == 0 {
			evidence = append(evidence, "no egress rule: every packet out of the selected pods is dropped")
		}
		evidence = append(evidence, firstN(v.reasons, 4)...)
		for _, r := range part.egress.allow {
			if chars := safetext.Suspicious(r.text); len(chars) > 0 {
				evidence = append(evidence, r.path+" has characters outside ASCII, which no label of the DNS pods has:")
				evidence = append(evidence, safetext.Describe(chars)...)
			}
		}
	}
	for i, ns := range namespaces {
		if i == 5 {
			evidence = append(evidence, fmt.Sprintf("... and %d more namespaces", len(namespaces)-i))
			break
		}
		pods := groupPods(byNS[ns])
		evidence = append(evidence, fmt.Sprintf("%s: %s that resolve through cluster DNS, e.g. %s", ns, countNoun(len(pods), "pod", "pods"), podNames(pods, 2)))
	}
	evidence = append(evidence, ev.dns.describe())
	example := byNS[namespaces[0]][0].pods[0]
	var explains []ObjectRef
	for _, pod := range groupPods(groups) {
		if len(explains) == sampleLimit {
			break
		}
		explains = append(explains, ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name})
	}
	return Finding{
		Severity: StatusFail,
		Object:   &p.ref,
		Message:  fmt.Sprintf("pods in %s cannot resolve names: %s", namesWithMore(namespaces, 3), why),
		Evidence: evidence,
		Hint:     dnsHint(p.flavour),
		Commands: []string{
			p.command,
			fmt.Sprintf("kubectl -n %s exec %s -- nslookup kubernetes.default", example.Namespace, example.Name),
		},
		Cause:    true,
		Explains: explains,
	}
}

// dnsHint is the rule that lets DNS through, in the policy's own flavour.
func dnsHint(f npFlavour) string {
	switch f {
	case flavourCilium, flavourCiliumClusterwide:
		return "Add an egress rule for DNS: toEndpoints [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, " +
			"k8s:k8s-app: kube-dns}}] with toPorts [{ports: [{port: \"53\", protocol: ANY}]}]. A deny rule beats " +
			"every allow: narrow it so it leaves DNS out."
	case flavourCalico, flavourCalicoGlobal:
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
func (ev *policyEval) ingressClients(part *npPart) (string, string) {
	t := ev.dns
	covers := func(r npRule) bool {
		if r.nothing || r.unknown != "" {
			return false
		}
		ok := r.anyPort
		for _, p := range r.ports {
			ok = ok || p.covers("UDP", t.port, t.names)
		}
		return ok
	}
	fromAll := func(r npRule) bool {
		if r.anyPeer {
			return true
		}
		for _, p := range r.peers {
			if p.pods != nil && p.pods.everywhere() {
				return true
			}
			for _, e := range p.entities {
				if e == "all" || e == "cluster" {
					return true
				}
			}
			for _, n := range p.nets {
				if ones, _ := n.Mask.Size(); ones == 0 {
					return true
				}
			}
		}
		return false
	}
	for _, r := range part.ingress.deny {
		if covers(r) && fromAll(r) {
			return "deny", r.path + ": " + r.text
		}
	}
	best, rule := "none", ""
	for _, r := range part.ingress.allow {
		if r.unknown != "" {
			return "unknown", r.unknown
		}
		if !covers(r) {
			continue
		}
		if r.action == "Deny" && fromAll(r) && best == "none" {
			return "deny", r.path + ": " + r.text
		}
		if r.action != "Allow" {
			continue
		}
		if fromAll(r) {
			return "all", ""
		}
		best, rule = "some", r.path+": "+r.text
	}
	return best, rule
}

// dnsIngressFindings reports policies that isolate the DNS pods' ingress without letting every
// pod's queries in: then pods in every namespace (or all but a few) cannot resolve names.
func (ev *policyEval) dnsIngressFindings(policies []*netPolicy) []Finding {
	type judged struct {
		part     *npPart
		verdict  string
		evidence string
	}
	var parts []judged
	open := false
	for _, p := range policies {
		if p.unknown != "" {
			continue
		}
		for _, part := range p.parts {
			if (!part.ingress.isolates && len(part.ingress.deny) == 0) || !ev.selectsDNS(part) {
				continue
			}
			v, e := ev.ingressClients(part)
			if v == "all" || v == "unknown" {
				open = open || part.ingress.isolates
				continue
			}
			parts = append(parts, judged{part, v, e})
		}
	}
	var out []Finding
	for _, j := range parts {
		if open && j.verdict != "deny" {
			continue // another policy lets every pod's queries in
		}
		p := j.part.policy
		f := Finding{
			Severity: StatusFail,
			Object:   &p.ref,
			Message:  fmt.Sprintf("pods in every namespace cannot resolve names: %s isolates the cluster DNS pods' ingress and lets no query in", p.display()),
			Evidence: []string{j.part.ingress.quote, ev.dns.describe()},
			Hint: "The DNS pods must accept port 53 (UDP and TCP) from every pod: add an ingress rule from all " +
				"namespaces (namespaceSelector: {}) on those ports, or stop selecting the DNS pods.",
			Commands: []string{p.command, "kubectl -n kube-system get pods -l " + quotePathForShell(ev.dns.selector) + " -o wide"},
			Cause:    true,
		}
		switch j.verdict {
		case "deny":
			f.Message = fmt.Sprintf("pods in every namespace cannot resolve names: %s denies queries into the cluster DNS pods", p.display())
			f.Evidence = append([]string{j.evidence}, f.Evidence...)
		case "some":
			f.Severity = StatusWarn
			f.Message = fmt.Sprintf("only some pods can resolve names: %s lets DNS queries into the cluster DNS pods from a few peers only", p.display())
			f.Evidence = append([]string{j.evidence}, f.Evidence...)
		}
		out = append(out, f)
	}
	return out
}

// selectsDNS says whether a part selects one of the cluster DNS pods.
func (ev *policyEval) selectsDNS(part *npPart) bool {
	for _, g := range ev.dns.groups {
		if part.selects.matches(g, ev.dns.ns) {
			return true
		}
	}
	return false
}
