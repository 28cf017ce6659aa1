package hubble

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/safetext"
)

// statusCheck is the hubble.status check.
var statusCheck = checks.Check{
	ID:       "hubble.status",
	Title:    "Hubble is on: enabled in Cilium, its relay ready, every node's flows readable",
	Category: checks.CategoryHubble,
	Learn:    learn("hubble.status"),
	Reads:    []kube.Resource{kube.ConfigMaps, kube.Services, kube.EndpointSlices},
	Run:      runStatus,
}

// ciliumNamespace is where Cilium's Helm chart installs; --hubble-server reaches others.
const ciliumNamespace = "kube-system"

func runStatus(ctx context.Context, env *checks.Env) checks.Result {
	var findings []checks.Finding
	var said []string
	var clusterRes *checks.Result // the cluster side had nothing to judge (no Cilium)
	if env.Snapshot != nil {
		f, note, res := clusterSide(ctx, env)
		if res != nil && env.Flows == nil {
			return *res
		}
		clusterRes = res
		findings = append(findings, f...)
		if note != "" {
			said = append(said, note)
		}
	}
	if env.Flows != nil {
		f, note, res := serverSide(ctx, env)
		if res != nil && res.Status == checks.StatusSkip {
			// The relay was not reached through a port-forward: what the cluster side judged
			// stands, and the summary says how the relay was tried.
			if clusterRes != nil || len(findings) == 0 {
				return skipWithNote(clusterRes, *res)
			}
			said = append(said, res.Summary)
			return checks.Result{Status: checks.Worst(findings), Summary: strings.Join(said, "; "), Findings: findings}
		}
		if res != nil {
			res.Findings = append(findings, res.Findings...)
			return *res
		}
		findings = append(findings, f...)
		said = append(said, note)
	}
	if env.Flows == nil && env.Cluster != nil && !env.Active && len(said) > 0 {
		said = append(said, checks.NoActiveFlows)
	}
	if len(said) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "no cluster objects and no Hubble flows: pass --hubble-server or --hubble-flows")
	}
	return checks.Result{Status: checks.Worst(findings), Summary: strings.Join(said, "; "), Findings: findings}
}

// skipWithNote is the skip of a run whose relay was not reached: the cluster side's own skip
// (not a Cilium cluster) when it has one, with how the relay was tried.
func skipWithNote(clusterRes *checks.Result, server checks.Result) checks.Result {
	if clusterRes == nil {
		return server
	}
	r := *clusterRes
	r.Summary += "; " + server.Summary
	return r
}

// clusterSide reads cilium-config and the relay's Service. A result instead means the check has
// nothing to judge there (no Cilium, or the objects cannot be read).
func clusterSide(ctx context.Context, env *checks.Env) ([]checks.Finding, string, *checks.Result) {
	cms, err := kube.ListOf[*corev1.ConfigMap](ctx, env.Snapshot, kube.ConfigMaps)
	if err != nil {
		r := checks.SkipOrError(err)
		return nil, "", &r
	}
	var config *corev1.ConfigMap
	for _, cm := range cms {
		if cm.Namespace == ciliumNamespace && cm.Name == "cilium-config" {
			config = cm
		}
	}
	if config == nil {
		r := checks.Skipped(checks.SkipNotApplicable, "not a Cilium cluster: no kube-system/cilium-config")
		return nil, "", &r
	}
	ref := &checks.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: ciliumNamespace, Name: "cilium-config"}
	if v := config.Data["enable-hubble"]; v != "true" {
		shown := safetext.Message(v)
		if v == "" {
			shown = "not set"
		}
		return []checks.Finding{{
			Severity: checks.StatusWarn,
			Problem:  "hubble-off",
			Message:  "Hubble is off in cilium-config (enable-hubble: " + shown + "): the network's flight recorder records nothing",
			Object:   ref,
			Evidence: []string{"enable-hubble: " + shown},
			Hint:     "Turn it on: `cilium hubble enable` (or hubble.enabled=true and hubble.relay.enabled=true in the Helm values).",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", ciliumNamespace, "get", "configmap", "cilium-config", "-o", "jsonpath={.data.enable-hubble}")},
		}}, "Hubble is off", nil
	}
	findings, note := relayService(ctx, env)
	return findings, note, nil
}

// relayService judges the hubble-relay Service: present, with ready endpoints.
func relayService(ctx context.Context, env *checks.Env) ([]checks.Finding, string) {
	svcs, err := kube.ListOf[*corev1.Service](ctx, env.Snapshot, kube.Services)
	if err != nil {
		return nil, "enabled in cilium-config; the relay Service cannot be read: " + safetext.Message(err.Error())
	}
	var relay *corev1.Service
	for _, s := range svcs {
		if s.Namespace == ciliumNamespace && s.Name == "hubble-relay" {
			relay = s
		}
	}
	if relay == nil {
		return []checks.Finding{{
			Severity: checks.StatusWarn,
			Problem:  "no-relay",
			Message:  "Hubble is on but there is no hubble-relay Service in " + ciliumNamespace + ": flows can be read per node only",
			Hint:     "Enable the relay (hubble.relay.enabled=true in the Helm values, or `cilium hubble enable`).",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", ciliumNamespace, "get", "service", "hubble-relay")},
		}}, "Hubble is on, without a relay"
	}
	ref := &checks.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: ciliumNamespace, Name: "hubble-relay"}
	slices, err := kube.ListOf[*discoveryv1.EndpointSlice](ctx, env.Snapshot, kube.EndpointSlices)
	if err != nil {
		return nil, "Hubble is on; the relay's endpoints cannot be read: " + safetext.Message(err.Error())
	}
	ready := 0
	for _, s := range slices {
		if s.Namespace != ciliumNamespace || s.Labels[discoveryv1.LabelServiceName] != "hubble-relay" {
			continue
		}
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				ready++
			}
		}
	}
	if ready == 0 {
		return []checks.Finding{{
			Severity: checks.StatusFail,
			Problem:  "relay-not-ready",
			Message:  "the hubble-relay Service has no ready endpoint: `hubble observe` through it gets nothing",
			Object:   ref,
			Hint:     "Look at the relay's pod: it waits for the agents' Hubble servers (port 4244) and needs their TLS certificates.",
			Commands: []checks.Command{
				checks.Cmd("kubectl", "-n", ciliumNamespace, "get", "endpointslices", "-l", discoveryv1.LabelServiceName+"=hubble-relay"),
				checks.Cmd("kubectl", "-n", ciliumNamespace, "logs", "deploy/hubble-relay"),
			},
		}}, "Hubble is on; its relay is not ready"
	}
	return nil, fmt.Sprintf("Hubble is on; the relay has %d ready endpoint(s)", ready)
}

// serverSide asks the relay about itself, or says what the recording holds.
func serverSide(ctx context.Context, env *checks.Env) ([]checks.Finding, string, *checks.Result) {
	st, err := env.Flows.Status(ctx)
	if errors.Is(err, hubble.ErrNoStatus) {
		cov, failed := readFlows(ctx, env, hubble.Query{}, func(*flowpb.Flow) error { return nil })
		if failed != nil {
			return nil, "", failed
		}
		return coverageFindings(cov), fmt.Sprintf("%s holds %d flows", env.Flows.Describe(), cov.Flows), nil
	}
	if err != nil {
		r := readError(err)
		return nil, "", &r
	}
	note := fmt.Sprintf("%s: %d flows seen, %d of %d held", env.Flows.Describe(), st.SeenFlows, st.NumFlows, st.MaxFlows)
	if st.ConnectedNodes != nil {
		note += fmt.Sprintf(", %d nodes connected", *st.ConnectedNodes)
	}
	var findings []checks.Finding
	if len(st.UnavailableNodes) > 0 || (st.UnavailableNodeCount != nil && *st.UnavailableNodeCount > 0) {
		names := make([]string, len(st.UnavailableNodes))
		for i, n := range st.UnavailableNodes {
			names[i] = safetext.Message(n)
		}
		count := len(names)
		if st.UnavailableNodeCount != nil && int(*st.UnavailableNodeCount) > count {
			count = int(*st.UnavailableNodeCount)
		}
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn,
			Problem:  "nodes-unavailable",
			Message:  fmt.Sprintf("the relay cannot reach %d node(s): no flows from them (%s)", count, strings.Join(names, ", ")),
			Evidence: append([]string{fmt.Sprintf("unavailable nodes: %d", count)}, names...),
			Hint:     "Look at the Cilium agent on those nodes, and that port 4244 is open between the relay and them.",
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", ciliumNamespace, "get", "pods", "-l", "k8s-app=cilium", "-o", "wide")},
		})
	}
	if st.SeenFlows == 0 {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn,
			Problem:  "no-flows-seen",
			Message:  "Hubble has seen no flow at all: it records nothing yet",
		})
	}
	return findings, note, nil
}
