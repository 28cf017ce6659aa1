package checks

import (
	"fmt"
	"sort"
	"strings"
)

// allowsNothing says a direction isolates the selected pods and none of its rules lets traffic
// through: no rule (Kubernetes), only empty rules (Cilium), or no Allow rule (Calico).
func allowsNothing(d npDirection) bool {
	if !d.isolates {
		return false
	}
	for _, r := range d.allow {
		if !r.nothing && r.action == "Allow" {
			return false
		}
	}
	return true
}

// allowPromise returns where a policy says it allows: its name, an annotation or its
// description, quoted; "" when it says nothing of the kind.
func allowPromise(p *netPolicy) string {
	if suggestsAllow(p.name) {
		return "name: " + p.name
	}
	if suggestsAllow(p.description) {
		return "description: " + p.description
	}
	keys := make([]string, 0, len(p.annotations))
	for k := range p.annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "kubectl.kubernetes.io/last-applied-configuration" && suggestsAllow(p.annotations[k]) {
			return fmt.Sprintf("annotation %s: %s", k, p.annotations[k])
		}
	}
	return ""
}

// denyAllNamedAllow reports a policy that denies all traffic in a direction while its name,
// description or annotations say it allows: a trap for whoever reads the policy list.
func (ev *policyEval) denyAllNamedAllow(p *netPolicy) []Finding {
	promise := allowPromise(p)
	if promise == "" {
		return nil
	}
	for _, part := range p.parts {
		var dirs []string
		evidence := []string{promise}
		if allowsNothing(part.ingress) {
			dirs = append(dirs, "ingress")
			evidence = append(evidence, part.ingress.quote, rulesEvidence("ingress", part.ingress.allow))
		}
		if allowsNothing(part.egress) {
			dirs = append(dirs, "egress")
			if part.egress.quote != part.ingress.quote || len(dirs) == 1 {
				evidence = append(evidence, part.egress.quote)
			}
			evidence = append(evidence, rulesEvidence("egress", part.egress.allow))
		}
		if len(dirs) == 0 {
			continue
		}
		s := ev.sample(part)
		f := Finding{
			Severity: StatusFail,
			Object:   &p.ref,
			Message: fmt.Sprintf("%s denies all %s of the pods it selects, though it says it allows",
				p.display(), strings.Join(dirs, " and ")),
			Evidence: append(evidence, sampleEvidence(s)),
			Hint: "Whoever reads the policy list trusts the name. Give the policy the rules its name promises, " +
				"or rename it (default-deny-...) so it says what it does.",
			Commands: []string{p.command},
			Cause:    s.pods > 0,
			Explains: sampleRefs(s),
		}
		if s.pods == 0 {
			f.Severity = StatusWarn
		}
		return []Finding{f}
	}
	return nil
}

func rulesEvidence(dir string, rules []npRule) string {
	if len(rules) == 0 {
		return dir + ": no rules"
	}
	var texts []string
	for _, r := range rules {
		texts = append(texts, r.path+" "+r.text)
	}
	return strings.Join(texts, "; ")
}

func sampleEvidence(s podSample) string {
	if s.pods == 0 {
		return "selects no pod (yet)"
	}
	more := ""
	if s.more {
		more = " and more"
	}
	return fmt.Sprintf("selects %s%s", podNames(groupPods(s.groups), 3), more)
}

func sampleRefs(s podSample) []ObjectRef {
	var out []ObjectRef
	for _, p := range groupPods(s.groups) {
		out = append(out, ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name})
	}
	return out
}

// denyRuleFindings warns about Cilium ingressDeny and egressDeny rules: they win over every
// allow of every policy, so an allow added to fix things changes nothing.
func denyRuleFindings(p *netPolicy) []Finding {
	var out []Finding
	for _, part := range p.parts {
		var kinds, evidence []string
		for _, d := range []struct {
			name  string
			rules []npRule
		}{{"ingressDeny", part.ingress.deny}, {"egressDeny", part.egress.deny}} {
			if len(d.rules) == 0 {
				continue
			}
			kinds = append(kinds, d.name)
			for i, r := range d.rules {
				if i == 5 {
					evidence = append(evidence, fmt.Sprintf("... and %d more %s rules", len(d.rules)-i, d.name))
					break
				}
				evidence = append(evidence, r.path+": "+r.text)
			}
		}
		if len(kinds) == 0 {
			continue
		}
		out = append(out, Finding{
			Severity: StatusWarn,
			Object:   &p.ref,
			Message: fmt.Sprintf("%s has %s rules: they override every allow of every policy for the pods it selects",
				p.display(), strings.Join(kinds, " and ")),
			Evidence: evidence,
			Hint: "Deny rules are evaluated before any allow, whatever the policy: when traffic is dropped that an " +
				"allow should let through, look here first (hubble observe --verdict DROPPED shows the policy).",
			Commands: []string{p.command},
		})
	}
	return out
}

// worldOnlyFindings reports Cilium rules whose only peer is the world entity: the pods they
// select may talk only to (or be reached only from) outside the cluster. Cluster-wide, that cuts
// every selected pod off from the cluster, DNS included.
func worldOnlyFindings(p *netPolicy) []Finding {
	if p.flavour != flavourCilium && p.flavour != flavourCiliumClusterwide {
		return nil
	}
	var out []Finding
	for _, part := range p.parts {
		for _, d := range []struct {
			dir   npDirection
			name  string
			words string
		}{
			{part.egress, "egress", "lets the pods it selects reach only the world entity: nothing inside the cluster, DNS included"},
			{part.ingress, "ingress", "lets only the world entity reach the pods it selects: no pod or node of the cluster can"},
		} {
			if !d.dir.isolates || !worldOnly(d.dir.allow) {
				continue
			}
			f := Finding{
				Severity: StatusWarn,
				Object:   &p.ref,
				Message:  fmt.Sprintf("%s %s", p.display(), d.words),
				Evidence: []string{rulesEvidence(d.name, d.dir.allow)},
				Hint: "The world entity is everything outside the cluster. Add the cluster entity (or the endpoints " +
					"that must be reached) next to it, or remove the policy.",
				Commands: []string{p.command},
			}
			if p.flavour == flavourCiliumClusterwide {
				f.Severity, f.Cause = StatusFail, true
			}
			out = append(out, f)
		}
	}
	return out
}

func worldOnly(rules []npRule) bool {
	if len(rules) == 0 {
		return false
	}
	for _, r := range rules {
		if r.anyPeer || r.nothing || len(r.peers) == 0 {
			return false
		}
		for _, peer := range r.peers {
			if len(peer.entities) == 0 {
				return false
			}
			for _, e := range peer.entities {
				if e != "world" && e != "world-ipv4" && e != "world-ipv6" {
					return false
				}
			}
		}
	}
	return true
}

// systemPodFindings warns about policies that select the cluster DNS pods or the CNI's own pods:
// a mistake in them takes name resolution or the pod network down for everyone. Policies already
// reported for the DNS pods' ingress are not repeated.
func (ev *policyEval) systemPodFindings(policies []*netPolicy, reported []Finding) []Finding {
	already := map[ObjectRef]bool{}
	for _, f := range reported {
		if f.Object != nil && strings.Contains(f.Message, "cluster DNS pods") {
			already[*f.Object] = true
		}
	}
	var cniGroups []*podGroup
	for _, name := range ev.idx.names {
		for _, g := range ev.idx.namespaces[name].groups {
			if _, ok := cniForPod(g.pods[0]); ok && !g.hostNetwork {
				cniGroups = append(cniGroups, g)
			}
		}
	}
	var out []Finding
	for _, p := range policies {
		if p.unknown != "" || already[p.ref] {
			continue
		}
		for _, part := range p.parts {
			if !part.ingress.isolates && !part.egress.isolates {
				continue
			}
			var what []string
			var pods []*podGroup
			if ev.dns != nil && ev.selectsDNS(part) {
				what = append(what, "the cluster DNS pods")
				pods = append(pods, ev.dns.groups...)
			}
			for _, g := range cniGroups {
				if part.selects.matches(g, ev.idx.namespaces[g.namespace]) {
					if len(what) == 0 || what[len(what)-1] != "the CNI's pods" {
						what = append(what, "the CNI's pods")
					}
					pods = append(pods, g)
				}
			}
			if len(what) == 0 {
				continue
			}
			evidence := []string{part.ingress.quote, "selects " + podNames(groupPods(pods), 4)}
			if part.egress.quote != part.ingress.quote {
				evidence = append(evidence, part.egress.quote)
			}
			out = append(out, Finding{
				Severity: StatusWarn,
				Object:   &p.ref,
				Message:  fmt.Sprintf("%s selects %s: a mistake in it takes the cluster's DNS or pod network down for everyone", p.display(), strings.Join(what, " and ")),
				Evidence: nonEmpty(evidence),
				Hint:     "Keep policies off kube-system's DNS and CNI pods unless you mean it, and then allow port 53 from every namespace and the CNI's own traffic.",
				Commands: []string{p.command},
			})
			break
		}
	}
	return out
}

func nonEmpty(lines []string) []string {
	out := lines[:0]
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
