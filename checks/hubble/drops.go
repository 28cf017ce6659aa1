package hubble

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/hubble"
)

// dropsCheck is the hubble.drops check.
var dropsCheck = checks.Check{
	ID:       "hubble.drops",
	Title:    "What the network dropped, why, and which policy did it",
	Category: checks.CategoryHubble,
	Learn:    learn("hubble.drops"),
	Needs:    checks.NeedsFlows,
	// Without *_denied_by in the flows, the policies that select the pod are evaluated.
	Reads: []kube.Resource{kube.Pods, kube.Namespaces, kube.NetworkPolicies, kube.CiliumNetworkPolicies,
		kube.CiliumClusterwideNetworkPolicies, kube.CalicoNetworkPolicies, kube.CalicoGlobalNetworkPolicies},
	Run: runDrops,
}

// dropGroup is the drops of one reason between the same two workloads on the same port.
type dropGroup struct {
	reason     flowpb.DropReason
	src, dst   peer
	proto      string
	port       uint32
	count      int
	when       window
	srcPods    witnesses
	dstPods    witnesses
	policies   witnesses // the policies the flows name in *_denied_by
	named      []checks.ObjectRef
	directions witnesses // ingress, egress
	// The endpoint labels of the group's first flow, each side: what the policies are evaluated
	// against when the pod is not in the snapshot.
	srcLabels, dstLabels []string
	// selecting is what evaluating the policies said, when the flows name none.
	selecting *selection
}

func runDrops(ctx context.Context, env *checks.Env) checks.Result {
	q := query(env, hubble.Query{Verdicts: []flowpb.Verdict{flowpb.Verdict_DROPPED}})
	groups := map[string]*dropGroup{}
	cov, failed := readFlows(ctx, env, q, func(f *flowpb.Flow) error {
		addDrop(groups, f)
		return nil
	})
	if failed != nil {
		return *failed
	}
	covered := coverageText(env, q, cov)
	// The read's gaps (lost events, unreachable nodes) are hubble.status's to report; the
	// summary says them, so no group is read as more than it is.
	var findings []checks.Finding
	if cov.Flows == 0 {
		return checks.Result{Status: checks.Worst(findings), Findings: findings,
			Summary: "no dropped flow in " + covered}
	}
	keys := sortedKeys(groups, func(g *dropGroup) int { return int(dropSeverity(g.reason)) }, func(g *dropGroup) int { return g.count })
	shown := keys[:min(len(keys), maxGroups)]
	selectPolicies(ctx, env, groups, shown)
	for i, k := range keys {
		if i == maxGroups {
			findings = append(findings, checks.Finding{
				Severity: checks.StatusWarn,
				Problem:  "more-drop-groups",
				Message:  fmt.Sprintf("%d more groups of drops not listed", len(keys)-maxGroups),
			})
			break
		}
		findings = append(findings, dropFinding(env, groups[k]))
	}
	return checks.Result{
		Status:   checks.Worst(findings),
		Summary:  fmt.Sprintf("%s in %s, %s", plural(cov.Flows, "dropped flow"), plural(len(groups), "group"), covered),
		Findings: findings,
	}
}

func addDrop(groups map[string]*dropGroup, f *flowpb.Flow) {
	reason := f.GetDropReasonDesc()
	if reason == flowpb.DropReason_POLICY_DENY {
		reason = flowpb.DropReason_POLICY_DENIED // an explicit deny rule is a policy drop too
	}
	src := hubble.PeerOf(f.GetSource(), f.GetIP().GetSource())
	dst := hubble.PeerOf(f.GetDestination(), f.GetIP().GetDestination())
	proto, port := hubble.PortOf(f)
	key := strings.Join([]string{reason.String(), src.Name, dst.Name, proto, strconv.FormatUint(uint64(port), 10)}, "\x00")
	g := groups[key]
	if g == nil {
		g = &dropGroup{reason: reason, src: src.Shown(), dst: dst.Shown(), proto: proto, port: port,
			srcLabels: slices.Clone(f.GetSource().GetLabels()), dstLabels: slices.Clone(f.GetDestination().GetLabels())}
		groups[key] = g
	}
	g.count++
	g.when.see(f)
	if src.Pod != "" {
		g.srcPods.add(src.Namespace + "/" + src.Pod)
	}
	if dst.Pod != "" {
		g.dstPods.add(dst.Namespace + "/" + dst.Pod)
	}
	for _, p := range f.GetIngressDeniedBy() {
		g.deniedBy(p)
		g.directions.add("ingress")
	}
	for _, p := range f.GetEgressDeniedBy() {
		g.deniedBy(p)
		g.directions.add("egress")
	}
	if len(f.GetIngressDeniedBy())+len(f.GetEgressDeniedBy()) == 0 {
		switch f.GetTrafficDirection() {
		case flowpb.TrafficDirection_INGRESS:
			g.directions.add("ingress")
		case flowpb.TrafficDirection_EGRESS:
			g.directions.add("egress")
		}
	}
}

// deniedBy records a policy a flow names; the first few are kept as objects, for ExplainedBy.
func (g *dropGroup) deniedBy(p *flowpb.Policy) {
	name := policyName(p)
	if g.policies.seen[name] {
		return
	}
	g.policies.add(name)
	if len(g.named) < maxWitnesses && p.GetName() != "" {
		g.named = append(g.named, policyRef(p))
	}
}

// policyRef is the object a flow's policy names, as network.policies names it.
func policyRef(p *flowpb.Policy) checks.ObjectRef {
	kind, version := p.GetKind(), "cilium.io/v2"
	if kind == "" {
		kind = "CiliumNetworkPolicy"
	}
	if kind == "NetworkPolicy" {
		version = "networking.k8s.io/v1"
	}
	return checks.ObjectRef{APIVersion: version, Kind: kind, Namespace: p.GetNamespace(), Name: p.GetName()}
}

// policyName is how a finding names a policy a flow reports: "CiliumNetworkPolicy shop/deny-web".
func policyName(p *flowpb.Policy) string {
	name := p.GetName()
	if p.GetNamespace() != "" {
		name = p.GetNamespace() + "/" + name
	}
	if p.GetKind() != "" {
		name = p.GetKind() + " " + name
	}
	return name
}

// reasonText is a drop reason in words: "policy denied", "stale or unroutable IP".
func reasonText(r flowpb.DropReason) string {
	return strings.ToLower(strings.ReplaceAll(r.String(), "_", " "))
}

func dropFinding(env *checks.Env, g *dropGroup) checks.Finding {
	to := g.dst.Name
	if g.proto != "" {
		to += " on " + g.proto
		if g.port != 0 {
			to += "/" + strconv.FormatUint(uint64(g.port), 10)
		}
	}
	f := checks.Finding{
		Severity: checks.StatusFail,
		Problem:  "dropped-" + strings.ToLower(strings.ReplaceAll(g.reason.String(), "_", "-")),
		Message:  fmt.Sprintf("%s from %s to %s dropped: %s", plural(g.count, "flow"), g.src.Name, to, reasonText(g.reason)),
		Evidence: append([]string{"drop reason: " + g.reason.String(), "flows: " + strconv.Itoa(g.count)}, g.when.evidence()...),
		Commands: []checks.Command{observeCommand(env, g)},
	}
	if len(g.srcPods.names) > 0 {
		f.Evidence = append(f.Evidence, "source pods: "+g.srcPods.text())
	}
	if len(g.dstPods.names) > 0 {
		f.Evidence = append(f.Evidence, "destination pods: "+g.dstPods.text())
	}
	if len(g.directions.names) > 0 {
		f.Evidence = append(f.Evidence, "direction: "+g.directions.text())
	}
	f.Flows = dropGroupData(g)
	f.Severity = dropSeverity(g.reason)
	if g.reason == flowpb.DropReason_POLICY_DENIED {
		switch {
		case len(g.policies.names) > 0:
			f.Message += " by " + g.policies.text()
			f.Evidence = append(f.Evidence, "denied by: "+g.policies.text())
			f.Hint = "If this traffic is wanted, allow it in " + g.policies.text() + " (or the policy that should allow it); `kubectl describe` the policy to see its rules."
			f.ExplainedBy = g.named
		case g.selecting != nil && len(g.selecting.names) > 0:
			sel := g.selecting
			f.Message += "; the policies that select " + sel.side + ": " + strings.Join(sel.names, ", ")
			f.Evidence = append(f.Evidence, sel.evidence...)
			f.Hint = "The flows do not name the policy; these select " + sel.side + " and decide its traffic there. If this traffic is wanted, allow it in one of them."
			f.ExplainedBy = sel.refs
			f.Commands = append(f.Commands, sel.commands...)
		default:
			if g.selecting != nil {
				f.Evidence = append(f.Evidence, g.selecting.evidence...)
			}
			f.Hint = "The flows do not name the policy (Cilium before 1.17, or a default deny of isolation): look at the policies that select " +
				isolatedSide(g) + " (network.policies lists them) and allow this traffic in one."
		}
		f.Cause = true
	} else {
		f.Hint = "A datapath drop, not a policy: look at the Cilium agent's logs on the node (`kubectl -n kube-system logs ds/cilium`) and `cilium-dbg monitor --type drop`."
	}
	return f
}

// dropSeverity: a policy doing its job also drops, so a policy drop is a Warn until someone
// says the traffic was wanted; any other reason is the datapath failing, a Fail.
func dropSeverity(r flowpb.DropReason) checks.Status {
	if r == flowpb.DropReason_POLICY_DENIED {
		return checks.StatusWarn
	}
	return checks.StatusFail
}

// isolatedSide is the side whose policies dropped the flows: the destination for ingress.
func isolatedSide(g *dropGroup) string {
	if len(g.directions.names) == 1 && g.directions.names[0] == "egress" {
		return g.src.Name + " (egress)"
	}
	return g.dst.Name + " (ingress)"
}

// observeCommand is the hubble CLI line that shows the same flows.
func observeCommand(env *checks.Env, g *dropGroup) checks.Command {
	args := observeArgs(env, "--verdict", "DROPPED")
	args = append(args, g.src.ObserveArgs("from")...)
	args = append(args, g.dst.ObserveArgs("to")...)
	if g.port != 0 {
		args = append(args, "--to-port", strconv.FormatUint(uint64(g.port), 10))
	}
	if g.proto != "" {
		args = append(args, "--protocol", hubble.ProtocolArg(g.proto))
	}
	return checks.Cmd("hubble", args...)
}

// recordingPath is the recording's file, for --input-file.
func recordingPath(env *checks.Env) (string, bool) {
	r, ok := env.Flows.(*hubble.Recording)
	if !ok {
		return "", false
	}
	return r.File()
}

// dropGroupData is the group as the JSON report carries it.
func dropGroupData(g *dropGroup) *checks.FlowGroup {
	out := &checks.FlowGroup{
		Verdict: flowpb.Verdict_DROPPED.String(), Reason: g.reason.String(),
		Source:      checks.FlowPeer{Name: g.src.Name, Pods: g.srcPods.shown(), PodCount: len(g.srcPods.seen)},
		Destination: checks.FlowPeer{Name: g.dst.Name, Pods: g.dstPods.shown(), PodCount: len(g.dstPods.seen)},
		Protocol:    g.proto, Port: g.port, Directions: g.directions.shown(), DeniedBy: g.policies.shown(),
		Count: g.count,
	}
	if !g.when.first.IsZero() {
		first, last := g.when.first.UTC(), g.when.last.UTC()
		out.FirstSeen, out.LastSeen = &first, &last
	}
	return out
}
