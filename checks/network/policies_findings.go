package network

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/netpolicy"
	"github.com/kockpit/kockpit/internal/podinfo"
)

// allowsNothing says a direction isolates the selected pods and none of its rules lets traffic
// through: no rule (Kubernetes), only empty rules (Cilium), or no Allow rule (Calico).
func allowsNothing(d netpolicy.Direction) bool {
	if !d.Isolates {
		return false
	}
	for _, r := range d.Allow {
		if !r.Nothing && r.Action == "Allow" {
			return false
		}
	}
	return true
}

// allowPromise returns where a policy says it allows: its name, an annotation or its
// description, quoted; "" when it says nothing of the kind.
func allowPromise(p *netpolicy.Policy) string {
	if netpolicy.SuggestsAllow(p.Name) {
		return "name: " + p.Name
	}
	if netpolicy.SuggestsAllow(p.Description) {
		return "description: " + p.Description
	}
	keys := make([]string, 0, len(p.Annotations))
	for k := range p.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "kubectl.kubernetes.io/last-applied-configuration" && netpolicy.SuggestsAllow(p.Annotations[k]) {
			return fmt.Sprintf("annotation %s: %s", k, p.Annotations[k])
		}
	}
	return ""
}

// denyAllNamedAllow reports a policy that denies all traffic in a direction while its name,
// description or annotations say it allows: a trap for whoever reads the policy list.
func (ev *policyEval) denyAllNamedAllow(p *netpolicy.Policy) []checks.Finding {
	promise := allowPromise(p)
	if promise == "" {
		return nil
	}
	for _, part := range p.Parts {
		var dirs []string
		evidence := []string{promise}
		if allowsNothing(part.Ingress) {
			dirs = append(dirs, "ingress")
			evidence = append(evidence, part.Ingress.Quote, rulesEvidence("ingress", part.Ingress.Allow))
		}
		if allowsNothing(part.Egress) {
			dirs = append(dirs, "egress")
			if part.Egress.Quote != part.Ingress.Quote || len(dirs) == 1 {
				evidence = append(evidence, part.Egress.Quote)
			}
			evidence = append(evidence, rulesEvidence("egress", part.Egress.Allow))
		}
		if len(dirs) == 0 {
			continue
		}
		s := ev.sample(part)
		f := checks.Finding{
			Severity: checks.StatusFail,
			Object:   &p.Ref,
			Message: fmt.Sprintf("%s denies all %s of the pods it selects, though it says it allows",
				p.Display(), strings.Join(dirs, " and ")),
			Evidence: append(evidence, sampleEvidence(s)),
			Hint: "Whoever reads the policy list trusts the name. Give the policy the rules its name promises, " +
				"or rename it (default-deny-...) so it says what it does.",
			Commands: []checks.Command{p.Command},
			Cause:    s.pods > 0,
			Explains: sampleRefs(s),
		}
		if s.pods == 0 {
			f.Severity = checks.StatusWarn
		}
		return []checks.Finding{f}
	}
	return nil
}

func rulesEvidence(dir string, rules []netpolicy.Rule) string {
	if len(rules) == 0 {
		return dir + ": no rules"
	}
	var texts []string
	for _, r := range rules {
		texts = append(texts, r.Path+" "+r.Text)
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
	return fmt.Sprintf("selects %s%s", podinfo.Names(netpolicy.GroupPods(s.groups), 3), more)
}

func sampleRefs(s podSample) []checks.ObjectRef {
	var out []checks.ObjectRef
	for _, p := range netpolicy.GroupPods(s.groups) {
		out = append(out, checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name})
	}
	return out
}

// denyRuleFindings warns about Cilium ingressDeny and egressDeny rules: they win over every
// allow of every policy, so an allow added to fix things changes nothing.
func denyRuleFindings(p *netpolicy.Policy) []checks.Finding {
	var out []checks.Finding
	for _, part := range p.Parts {
		var kinds, evidence []string
		for _, d := range []struct {
			name  string
			rules []netpolicy.Rule
		}{{"ingressDeny", part.Ingress.Deny}, {"egressDeny", part.Egress.Deny}} {
			if len(d.rules) == 0 {
				continue
			}
			kinds = append(kinds, d.name)
			for i, r := range d.rules {
				if i == 5 {
					evidence = append(evidence, fmt.Sprintf("... and %d more %s rules", len(d.rules)-i, d.name))
					break
				}
				evidence = append(evidence, r.Path+": "+r.Text)
			}
		}
		if len(kinds) == 0 {
			continue
		}
		out = append(out, checks.Finding{
			Severity: checks.StatusWarn,
			Object:   &p.Ref,
			Message: fmt.Sprintf("%s has %s rules: they override every allow of every policy for the pods it selects",
				p.Display(), strings.Join(kinds, " and ")),
			Evidence: evidence,
			Hint: "Deny rules are evaluated before any allow, whatever the policy: when traffic is dropped that an " +
				"allow should let through, look here first (hubble observe --verdict DROPPED shows the policy).",
			Commands: []checks.Command{p.Command},
		})
	}
	return out
}

// worldOnlyFindings reports Cilium rules whose only peer is the world entity: the pods they
// select may talk only to (or be reached only from) outside the cluster. Cluster-wide, that cuts
// every selected pod off from the cluster, DNS included: the finding explains those pods.
func (ev *policyEval) worldOnlyFindings(p *netpolicy.Policy) []checks.Finding {
	if p.Flavour != netpolicy.FlavourCilium && p.Flavour != netpolicy.FlavourCiliumClusterwide {
		return nil
	}
	var out []checks.Finding
	for _, part := range p.Parts {
		for _, d := range []struct {
			dir   netpolicy.Direction
			name  string
			words string
		}{
			{part.Egress, "egress", "lets the pods it selects reach only the world entity: nothing inside the cluster, DNS included"},
			{part.Ingress, "ingress", "lets only the world entity reach the pods it selects: no pod or node of the cluster can"},
		} {
			if !d.dir.Isolates || !worldOnly(d.dir.Allow) {
				continue
			}
			f := checks.Finding{
				Severity: checks.StatusWarn,
				Object:   &p.Ref,
				Message:  fmt.Sprintf("%s %s", p.Display(), d.words),
				Evidence: []string{rulesEvidence(d.name, d.dir.Allow)},
				Hint: "The world entity is everything outside the cluster. Add the cluster entity (or the endpoints " +
					"that must be reached) next to it, or remove the policy.",
				Commands: []checks.Command{p.Command},
			}
			if p.Flavour == netpolicy.FlavourCiliumClusterwide {
				f.Severity, f.Cause = checks.StatusFail, true
				f.Explains = sampleRefs(ev.sample(part))
			}
			out = append(out, f)
		}
	}
	return out
}

func worldOnly(rules []netpolicy.Rule) bool {
	if len(rules) == 0 {
		return false
	}
	for _, r := range rules {
		if r.AnyPeer || r.Nothing || len(r.Peers) == 0 {
			return false
		}
		for _, peer := range r.Peers {
			if len(peer.Entities) == 0 {
				return false
			}
			for _, e := range peer.Entities {
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
func (ev *policyEval) systemPodFindings(policies []*netpolicy.Policy, reported []checks.Finding) []checks.Finding {
	already := map[checks.ObjectRef]bool{}
	for _, f := range reported {
		if f.Object != nil && strings.Contains(f.Message, "cluster DNS pods") {
			already[*f.Object] = true
		}
	}
	var cniGroups []*netpolicy.PodGroup
	for _, name := range ev.idx.Names {
		for _, g := range ev.idx.Namespaces[name].Groups {
			if _, ok := cniForPod(g.Pods[0]); ok && !g.HostNetwork {
				cniGroups = append(cniGroups, g)
			}
		}
	}
	var out []checks.Finding
	for _, p := range policies {
		if p.Unknown != "" || already[p.Ref] {
			continue
		}
		for _, part := range p.Parts {
			if !part.Ingress.Isolates && !part.Egress.Isolates {
				continue
			}
			var what []string
			var pods []*netpolicy.PodGroup
			if ev.dns != nil && ev.selectsDNS(part) {
				what = append(what, "the cluster DNS pods")
				pods = append(pods, ev.dns.Groups...)
			}
			for _, g := range cniGroups {
				if part.Selects.Matches(g, ev.idx.Namespaces[g.Namespace]) {
					if len(what) == 0 || what[len(what)-1] != "the CNI's pods" {
						what = append(what, "the CNI's pods")
					}
					pods = append(pods, g)
				}
			}
			if len(what) == 0 {
				continue
			}
			evidence := []string{part.Ingress.Quote, "selects " + podinfo.Names(netpolicy.GroupPods(pods), 4)}
			if part.Egress.Quote != part.Ingress.Quote {
				evidence = append(evidence, part.Egress.Quote)
			}
			out = append(out, checks.Finding{
				Severity: checks.StatusWarn,
				Object:   &p.Ref,
				Message:  fmt.Sprintf("%s selects %s: a mistake in it takes the cluster's DNS or pod network down for everyone", p.Display(), strings.Join(what, " and ")),
				Evidence: nonEmpty(evidence),
				Hint:     "Keep policies off kube-system's DNS and CNI pods unless you mean it, and then allow port 53 from every namespace and the CNI's own traffic.",
				Commands: []checks.Command{p.Command},
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
