package hubble

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/safetext"
)

// dnsCheck is the hubble.dns check.
var dnsCheck = checks.Check{
	ID:       "hubble.dns",
	Title:    "DNS answers Hubble saw fail (NXDOMAIN, SERVFAIL, REFUSED)",
	Category: checks.CategoryHubble,
	Learn:    learn("hubble.dns"),
	Needs:    checks.NeedsFlows,
	Run:      runDNS,
}

// failedRcodes are the DNS answers that mean a name did not resolve.
var failedRcodes = map[uint32]string{2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}

// dnsGroup is the failed answers to one name for one client workload.
type dnsGroup struct {
	query  string
	rcode  string
	client peer
	count  int
	when   window
	pods   witnesses
}

func runDNS(ctx context.Context, env *checks.Env) checks.Result {
	q := query(env, hubble.Query{DNS: true})
	groups := map[string]*dnsGroup{}
	answers := 0
	cov, failed := readFlows(ctx, env, q, func(f *flowpb.Flow) error {
		dns := f.GetL7().GetDns()
		if f.GetL7().GetType() != flowpb.L7FlowType_RESPONSE {
			return nil
		}
		answers++
		rcode, bad := failedRcodes[dns.GetRcode()]
		if !bad {
			return nil
		}
		// A response travels from the server back to the client.
		client := hubble.PeerOf(f.GetDestination(), f.GetIP().GetDestination())
		if !f.GetIsReply().GetValue() && f.GetIsReply() != nil {
			client = hubble.PeerOf(f.GetSource(), f.GetIP().GetSource())
		}
		name := strings.TrimSuffix(dns.GetQuery(), ".")
		key := strings.Join([]string{name, rcode, client.Name}, "\x00")
		g := groups[key]
		if g == nil {
			g = &dnsGroup{query: name, rcode: rcode, client: client.Shown()}
			groups[key] = g
		}
		g.count++
		g.when.see(f)
		if client.Pod != "" {
			g.pods.add(client.Namespace + "/" + client.Pod)
		}
		return nil
	})
	if failed != nil {
		return *failed
	}
	covered := coverageText(env, q, cov)
	// The read's gaps (lost events, unreachable nodes) are hubble.status's to report; the
	// summary says them, so no group is read as more than it is.
	var findings []checks.Finding
	if answers == 0 {
		// Hubble sees DNS only through Cilium's DNS proxy: no answers means no visibility, not
		// no failures.
		r := checks.Skipped(checks.SkipNotApplicable, "DNS visibility off: Hubble saw no DNS answer in "+covered+
			"; it sees DNS only where a Cilium policy sends it through the DNS proxy (rules.dns or toFQDNs)")
		r.Findings = findings
		return r
	}
	keys := sortedKeys(groups, func(g *dnsGroup) int { return len(safetext.Suspicious(g.query)) }, func(g *dnsGroup) int { return g.count })
	for i, k := range keys {
		if i == maxGroups {
			findings = append(findings, checks.Finding{Severity: checks.StatusWarn, Problem: "more-dns-groups",
				Message: fmt.Sprintf("%d more groups of failed DNS answers not listed", len(keys)-maxGroups)})
			break
		}
		findings = append(findings, dnsFinding(env, groups[k]))
	}
	summary := fmt.Sprintf("%s, none failed, %s", plural(answers, "DNS answer"), covered)
	if len(groups) > 0 {
		summary = fmt.Sprintf("%s in %s of %s, %s", plural(countDNS(groups), "failed DNS answer"), plural(len(groups), "group"), plural(answers, "answer"), covered)
	}
	return checks.Result{Status: checks.Worst(findings), Summary: summary, Findings: findings}
}

func countDNS(groups map[string]*dnsGroup) int {
	n := 0
	for _, g := range groups {
		n += g.count
	}
	return n
}

func dnsFinding(env *checks.Env, g *dnsGroup) checks.Finding {
	shown := safetext.Message(g.query)
	f := checks.Finding{
		Severity: checks.StatusWarn,
		Problem:  "dns-" + strings.ToLower(g.rcode),
		Message:  fmt.Sprintf("%s got %s for %s %d times", g.client.Name, g.rcode, shown, g.count),
		Evidence: append([]string{"query: " + shown, "answer: " + g.rcode, "count: " + strconv.Itoa(g.count)}, g.when.evidence()...),
		Hint:     "Check the name the client asks for (a typo, a wrong namespace in name.namespace.svc.cluster.local), and that the Service exists.",
	}
	if len(g.pods.names) > 0 {
		f.Evidence = append(f.Evidence, "client pods: "+g.pods.text())
	}
	if chars := safetext.Suspicious(g.query); len(chars) > 0 {
		// A look-alike letter makes a name that looks right and never resolves.
		f.Severity = checks.StatusFail
		f.Cause = true
		f.Message += ": the name holds look-alike or invisible characters"
		f.Evidence = append(f.Evidence, safetext.Describe(chars)...)
		f.Hint = "Retype the name in the client's configuration: it holds characters that only look like the ones meant."
	}
	args := observeArgs(env, "--protocol", "dns")
	args = append(args, g.client.ObserveArgs("to")...)
	f.Commands = []checks.Command{checks.Cmd("hubble", args...)}
	return f
}
