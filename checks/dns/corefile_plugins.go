package dns

import (
	"fmt"
	"net"
	"net/netip"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/safetext"
)

// forwardFindings checks a forward plugin's upstreams: each must be an IP address (with an
// optional port), a dns:// or tls:// URL of one, or an absolute path to a resolv.conf file.
func forwardFindings(cf *corefile, s *corefileSubject, p corefilePlugin) []checks.Finding {
	evidence := cf.quote(p.line, p.line, 1)
	if len(p.args) < 2 {
		return []checks.Finding{{
			Severity: checks.StatusFail, File: s.file(p.line, cf.column(p.line, "forward")), Cause: true,
			Message:  "forward names no upstream, so CoreDNS refuses the Corefile and names outside the cluster cannot resolve",
			Evidence: evidence,
			Hint:     "Write the zone and at least one upstream: forward . /etc/resolv.conf",
			Commands: []checks.Command{s.showCommand()},
		}}
	}
	var findings []checks.Finding
	for _, to := range p.args[1:] {
		if hasEnvRef(to) {
			continue // set from CoreDNS's environment: kockpit does not guess it
		}
		if why := upstreamProblem(to, s.deployment != nil && s.deployment.Spec.Template.Spec.HostNetwork); why != "" {
			findings = append(findings, checks.Finding{
				Severity: checks.StatusFail, File: s.file(p.line, cf.column(p.line, to)), Cause: true,
				Message: fmt.Sprintf("forward sends queries for %s to %q, which CoreDNS cannot use, so names outside the cluster do not resolve",
					p.args[0], to),
				Evidence: append(append([]string(nil), evidence...), fmt.Sprintf("upstream %q: %s", to, why)),
				Hint:     "Forward to /etc/resolv.conf (the node's resolvers, with CoreDNS on dnsPolicy Default) or to resolver IP addresses: forward . 1.1.1.1 8.8.8.8",
				Commands: []checks.Command{s.showCommand()},
			})
		}
		if to == "/etc/resolv.conf" {
			if f, ok := selfForwardFinding(cf, s, p); ok {
				findings = append(findings, f)
			}
		}
	}
	return findings
}

// upstreamProblem says why CoreDNS cannot forward to the upstream, "" when it can.
func upstreamProblem(to string, hostNetwork bool) string {
	if strings.HasPrefix(to, "/") {
		if chars := safetext.Suspicious(to); len(chars) > 0 {
			return fmt.Sprintf("the path has %s outside ASCII (%s), so it names a file that does not exist in the CoreDNS image",
				phrase.Plural(len(chars), "a character", "characters"), chars[0])
		}
		return ""
	}
	rest := to
	if scheme, after, ok := strings.Cut(to, "://"); ok {
		switch strings.ToLower(scheme) {
		case "dns", "tls":
			rest = after
		default:
			return fmt.Sprintf("forward speaks only dns:// and tls://, not %s://", scheme)
		}
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
	}
	addr, err := netip.ParseAddr(host)
	switch {
	case err != nil && len(safetext.Suspicious(rest)) > 0:
		return fmt.Sprintf("not an IP address: it has characters outside ASCII (%s)", safetext.Suspicious(rest)[0])
	case err != nil && (strings.Contains(rest, "/") || strings.HasSuffix(rest, ".conf")):
		return "a relative path: CoreDNS looks for it in its working directory; write it absolute, as /etc/resolv.conf"
	case err != nil:
		return "not an IP address: forward takes IP addresses (with an optional port), dns:// or tls:// URLs, or a resolv.conf path, not host names"
	case addr.IsUnspecified():
		return "an unspecified address (0.0.0.0 or ::) is nowhere to send queries"
	case addr.IsLoopback() && !hostNetwork:
		return "a loopback address: inside the CoreDNS pod that is CoreDNS itself, or nothing"
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("port %q is not a port number", port)
		}
	}
	return ""
}

// selfForwardFinding reports CoreDNS forwarding to its own pod's resolv.conf while that pod uses
// cluster DNS: the file then names the kube-dns Service, and CoreDNS forwards to itself.
func selfForwardFinding(cf *corefile, s *corefileSubject, p corefilePlugin) (checks.Finding, bool) {
	d := s.deployment
	if d == nil {
		return checks.Finding{}, false
	}
	spec := d.Spec.Template.Spec
	policy := spec.DNSPolicy
	if policy == "" {
		policy = corev1.DNSClusterFirst
	}
	if !(policy == corev1.DNSClusterFirst && !spec.HostNetwork || policy == corev1.DNSClusterFirstWithHostNet) {
		return checks.Finding{}, false
	}
	ref := podinfo.WorkloadRef("Deployment", &d.ObjectMeta)
	return s.stopsCoreDNS(checks.Finding{
		Severity: checks.StatusFail, Object: &ref, Cause: true,
		Message: fmt.Sprintf("%s forwards to /etc/resolv.conf, but its pods use dnsPolicy %s, so that file names the kube-dns Service "+
			"and CoreDNS forwards external names to itself", d.Name, policy),
		Evidence: append(cf.quote(p.line, p.line, 1), "spec.template.spec.dnsPolicy: "+string(policy)),
		Hint: "Set dnsPolicy: Default on the " + d.Name + " Deployment, so its pods get the node's resolvers; the loop plugin " +
			"otherwise stops CoreDNS with \"Loop ... detected\".",
		Commands: []checks.Command{checks.Cmd("kubectl", "-n", d.Namespace, "get", "deployment", d.Name, "-o", "jsonpath={.spec.template.spec.dnsPolicy}")},
	}), true
}

// corefileHostsFindings reports a hosts plugin that answers names itself, and one without fallthrough
// whose zones cover the cluster: it answers NXDOMAIN for every name it does not list.
func corefileHostsFindings(cf *corefile, s *corefileSubject, b corefileBlock, p corefilePlugin) []checks.Finding {
	zones := b.zones()
	if len(p.args) > 1 {
		zones = normalizeZones(p.args[1:])
	}
	fallsThrough := false
	overriding := 0
	var fromFile []string // entries of a hosts file mounted from the ConfigMap, for the evidence
	for _, l := range p.body {
		switch {
		case l.words[0] == "fallthrough":
			fallsThrough = true
		case isIPAddress(l.words[0]) && !s.allNodes(l.words[1:]):
			overriding++
		}
	}
	// k3s mounts the hosts file from a key of the same ConfigMap (NodeHosts): read it there.
	if len(p.args) > 0 {
		if key := path.Base(p.args[0]); key != s.key && s.data[key] != "" {
			for _, line := range strings.Split(s.data[key], "\n") {
				if i := strings.IndexByte(line, '#'); i >= 0 {
					line = line[:i]
				}
				if f := strings.Fields(line); len(f) > 1 && isIPAddress(f[0]) && !s.allNodes(f[1:]) {
					overriding++
					fromFile = append(fromFile, fmt.Sprintf("%s: %s", key, strings.Join(f, " ")))
				}
			}
		}
	}
	var findings []checks.Finding
	quote := cf.quote(p.line, p.endLine, corefileQuoteLines)
	if !fallsThrough && coversDomain(zones, s.domain) {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusFail, File: s.file(p.line, cf.column(p.line, "hosts")), Cause: true,
			Message: fmt.Sprintf("hosts has no fallthrough, so for every name in %s that it does not list it answers NXDOMAIN itself: "+
				"Service names and external names stop resolving", strings.Join(zones, " ")),
			Evidence: quote,
			Hint:     "Add fallthrough to the hosts block, so names it does not list go on to the kubernetes and forward plugins.",
			Commands: []checks.Command{s.showCommand()},
		})
	}
	if overriding > 0 {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn, File: s.file(p.line, cf.column(p.line, "hosts")),
			Message: fmt.Sprintf("hosts answers %s itself, before the kubernetes and forward plugins: check that no Service or registry name is hijacked",
				phrase.Plural(overriding, "a name", "names")),
			Evidence: append(quote, compactNames(fromFile, corefileQuoteLines)...),
			Hint:     "Remove the entries nobody needs; for a name of the cluster, a Service is the way to give it an address.",
			Commands: []checks.Command{s.showCommand()},
		})
	}
	return findings
}

// allNodes reports whether every name is a node's: k3s's NodeHosts lists the nodes, and that is
// no hijack.
func (s *corefileSubject) allNodes(names []string) bool {
	if len(names) == 0 {
		return true
	}
	for _, n := range names {
		if !s.nodeNames[strings.ToLower(strings.TrimSuffix(n, "."))] {
			return false
		}
	}
	return true
}

func isIPAddress(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func normalizeZones(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, normalizeZone(k))
	}
	return out
}

// coversDomain reports whether a zone is the root, the domain, or a parent of it.
func coversDomain(zones []string, domain string) bool {
	d := normalizeZone(domain)
	for _, z := range zones {
		if z == "." || z == d || strings.HasSuffix(d, "."+z) {
			return true
		}
	}
	return false
}

// overridePlugins say what each answer-changing plugin does, for the finding's message and hint.
var overridePlugins = map[string]struct{ what, hint string }{
	"template": {
		"a template block answers matching queries itself, before the kubernetes and forward plugins see them",
		"Check the block's match patterns and answers; remove it if nobody knows why it is there.",
	},
	"rewrite": {
		"rewrite changes queries or answers before the other plugins see them, so a name can get another name's records",
		"Check what it rewrites; remove it if nobody knows why it is there.",
	},
	"acl": {
		"acl blocks or filters queries: the clients and names it matches get REFUSED or empty answers",
		"Check which sources and names it blocks; remove it if nobody knows why it is there.",
	},
	"file": {
		"file serves a zone from a zone file, answering for those names instead of the kubernetes and forward plugins",
		"Check that the zone is meant to be served from a file and does not cover the cluster domain.",
	},
}

// overrideFinding quotes a template, rewrite, acl or file block: each answers or changes
// queries itself.
func overrideFinding(cf *corefile, s *corefileSubject, p corefilePlugin) checks.Finding {
	o := overridePlugins[p.name]
	msg := o.what
	for _, l := range p.body {
		if p.name == "template" && l.words[0] == "rcode" && len(l.words) > 1 {
			msg += fmt.Sprintf(" (it answers %s)", l.words[1])
			break
		}
	}
	return checks.Finding{
		Severity: checks.StatusWarn, File: s.file(p.line, cf.column(p.line, p.name)),
		Message:  msg,
		Evidence: cf.quote(p.line, p.endLine, corefileQuoteLines),
		Hint:     o.hint,
		Commands: []checks.Command{s.showCommand()},
	}
}

// loopFinding reports a server block that forwards without the loop plugin.
func loopFinding(cf *corefile, s *corefileSubject, b corefileBlock) []checks.Finding {
	if b.has("loop") {
		return nil
	}
	for _, p := range b.plugins {
		if p.name != "forward" {
			continue
		}
		return []checks.Finding{{
			Severity: checks.StatusWarn, File: s.file(p.line, cf.column(p.line, "forward")),
			Message: fmt.Sprintf("the server block %s forwards without the loop plugin: a forwarding loop goes undetected and "+
				"CoreDNS spends CPU and memory on it until it is killed", strings.Join(b.keys, " ")),
			Evidence: cf.quote(p.line, p.line, 1),
			Hint:     "Add the line loop to the server block, as kubeadm's default Corefile has.",
			Commands: []checks.Command{s.showCommand()},
		}}
	}
	return nil
}

// kubernetesZoneFinding reports a Corefile in which no kubernetes plugin serves the cluster domain.
func kubernetesZoneFinding(cf *corefile, s *corefileSubject) (checks.Finding, bool) {
	want := normalizeZone(s.domain)
	var served []string
	line := 0
	for _, b := range cf.blocks {
		for _, p := range b.plugins {
			if p.name != "kubernetes" {
				continue
			}
			zones := b.zones()
			if len(p.args) > 0 {
				zones = normalizeZones(p.args)
			}
			for _, z := range zones {
				if z == want {
					return checks.Finding{}, false
				}
			}
			served = append(served, zones...)
			if line == 0 {
				line = p.line
			}
		}
	}
	evidence := []string{fmt.Sprintf("cluster domain: %s (%s)", s.domain, s.domainSource)}
	if len(served) == 0 {
		evidence = append(evidence, "no server block uses the kubernetes plugin")
	} else {
		evidence = append(evidence, "the kubernetes plugin serves: "+strings.Join(served, " "))
		evidence = append(evidence, cf.quote(line, line, 1)...)
	}
	return checks.Finding{
		Severity: checks.StatusFail, File: s.file(line, 0), Cause: true,
		Message:  fmt.Sprintf("no kubernetes plugin serves the cluster domain %s, so Service and pod names do not resolve", s.domain),
		Evidence: evidence,
		Hint:     fmt.Sprintf("Add the kubernetes plugin for the cluster domain to the \".:53\" block: kubernetes %s in-addr.arpa ip6.arpa { ... }", s.domain),
		Commands: []checks.Command{s.showCommand()},
	}, true
}
