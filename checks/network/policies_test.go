package network

import (
	"slices"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// policiesWith applies policy fixtures (with the CRDs they need) and runs network.policies.
func policiesWith(t *testing.T, crds []string, files ...string) checks.Result {
	t.Helper()
	paths := append([]string(nil), crds...)
	for _, f := range files {
		paths = append(paths, checktest.Fixture("net-policies/"+f))
	}
	checktest.Cluster(t).Apply(t, paths...)
	return checktest.RunLive(t, "network.policies")
}

func TestNetworkPoliciesHealthyCRDsAbsent(t *testing.T) {
	r := checktest.RunLive(t, "network.policies")
	checktest.RequireNoProblems(t, r)
	inv := checktest.FindingWith(r, "1 network policy in 1 namespace")
	if inv == nil || !slices.Contains(inv.Evidence, "team-a: 1 NetworkPolicy (1 select pods)") {
		t.Fatalf("no inventory:\n%s", checktest.DescribeObjectFindings(r))
	}
	for _, flavour := range []string{"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "Calico NetworkPolicy", "Calico GlobalNetworkPolicy"} {
		want := flavour + ": skipped, not installed (the API server does not serve its CRD)"
		if !slices.Contains(inv.Evidence, want) {
			t.Errorf("evidence lacks %q: %q", want, inv.Evidence)
		}
	}
	if !strings.Contains(r.Summary, "skipped: CiliumNetworkPolicy not installed") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestNetworkPoliciesCRDsInstalledNoPolicies(t *testing.T) {
	r := policiesWith(t, append(append([]string(nil), ciliumCRDs...), calicoCRDs...))
	checktest.RequireNoProblems(t, r)
	if strings.Contains(r.Summary, "skipped") {
		t.Errorf("summary = %q, want every flavour read", r.Summary)
	}
}

func TestNetworkPoliciesDefaultDenyEgressBlocksDNS(t *testing.T) {
	r := policiesWith(t, nil, "k8s-deny-egress.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "NetworkPolicy", "team-a", "default-deny-egress",
		"pods in team-a cannot resolve names: NetworkPolicy team-a/default-deny-egress isolates their egress and no policy allows DNS")
	if !f.Cause || len(f.Explains) != 2 || !slices.Contains(f.Evidence, "policyTypes: [Egress]") ||
		!slices.Contains(f.Evidence, "no egress rule: every packet out of the selected pods is dropped") {
		t.Errorf("finding = %+v", f)
	}
	inv := checktest.FindingWith(r, "2 network policies in 1 namespace")
	if inv == nil || !slices.Contains(inv.Evidence, "team-a: 2 NetworkPolicy (2 select pods)") {
		t.Errorf("inventory = %+v", inv)
	}
}

func TestNetworkPoliciesAllowDNSFixesDefaultDeny(t *testing.T) {
	r := policiesWith(t, nil, "k8s-deny-egress.yaml", "k8s-dns-allowed.yaml")
	checktest.RequireNoProblems(t, r)
}

func TestNetworkPoliciesDNSPortWithoutProtocolIsTCP(t *testing.T) {
	r := policiesWith(t, nil, "k8s-dns-tcp-only.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "NetworkPolicy", "team-a", "web-egress", "pods in team-a cannot resolve names")
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "reaches the DNS pods, but only on 53/TCP, not 53/UDP") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkPoliciesDNSToClusterIP(t *testing.T) {
	r := policiesWith(t, nil, "k8s-dns-clusterip.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "NetworkPolicy", "team-a", "egress-to-dns-service", "pods in team-a cannot resolve names")
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "the kube-dns ClusterIP 10.96.0.10, which policies never see") {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkPoliciesDenyAllNamedAllow(t *testing.T) {
	r := policiesWith(t, nil, "k8s-allow-named-deny-all.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "NetworkPolicy", "team-a", "allow-frontend",
		"NetworkPolicy team-a/allow-frontend denies all ingress of the pods it selects, though it says it allows")
	if !slices.Contains(f.Evidence, "name: allow-frontend") || !slices.Contains(f.Evidence, "ingress: no rules") || len(f.Explains) != 2 {
		t.Errorf("finding = %+v", f)
	}
}

func TestNetworkPoliciesKubeSystemDenyAllBlocksDNSPods(t *testing.T) {
	r := policiesWith(t, nil, "k8s-kube-system-deny-all.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "NetworkPolicy", "kube-system", "default-deny-ingress",
		"pods in every namespace cannot resolve names: NetworkPolicy kube-system/default-deny-ingress isolates the cluster DNS pods' ingress")
	if !f.Cause {
		t.Errorf("not a cause: %+v", f)
	}
	if len(checktest.FindingsWith(r, "selects the cluster DNS pods")) != 0 {
		t.Errorf("the same policy reported twice:\n%s", checktest.DescribeObjectFindings(r))
	}
}

func TestNetworkPoliciesCiliumEgressWithoutDNS(t *testing.T) {
	r := policiesWith(t, ciliumCRDs, "cilium-egress-no-dns.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "CiliumNetworkPolicy", "team-a", "web-to-db",
		"pods in team-a cannot resolve names: CiliumNetworkPolicy team-a/web-to-db isolates their egress")
	if !strings.Contains(strings.Join(f.Evidence, "\n"), `spec.egress[0] {"toEndpoints":[{"matchLabels":{"app":"db"}}],"toPorts":[{"ports":[{"port":"5432","protocol":"TCP"}]}]}: allows only 5432/TCP to pods that are not the DNS pods`) {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkPoliciesCiliumAllowDNS(t *testing.T) {
	r := policiesWith(t, ciliumCRDs, "cilium-egress-no-dns.yaml", "cilium-dns-allowed.yaml")
	checktest.RequireNoProblems(t, r)
	inv := checktest.FindingWith(r, "3 network policies in 1 namespace")
	if inv == nil || !slices.Contains(inv.Evidence, "team-a: 1 NetworkPolicy (1 select pods), 2 CiliumNetworkPolicy (2 select pods)") {
		t.Errorf("inventory = %+v", inv)
	}
}

func TestNetworkPoliciesCiliumEgressDenyWins(t *testing.T) {
	r := policiesWith(t, ciliumCRDs, "cilium-egress-deny.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "CiliumNetworkPolicy", "team-a", "block-lookups",
		"pods in team-a cannot resolve names: CiliumNetworkPolicy team-a/block-lookups denies their DNS queries (spec.egressDeny[0])")
	if !strings.HasPrefix(f.Evidence[0], "spec.egressDeny[0]: ") {
		t.Errorf("evidence = %q", f.Evidence)
	}
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "CiliumNetworkPolicy", "team-a", "block-lookups", "has egressDeny rules: they override every allow")
}

func TestNetworkPoliciesCiliumIngressDeny(t *testing.T) {
	r := policiesWith(t, ciliumCRDs, "cilium-ingress-deny.yaml")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status = %v:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "CiliumNetworkPolicy", "team-a", "quarantine", "CiliumNetworkPolicy team-a/quarantine has ingressDeny rules")
	if f.Evidence[0] != `spec.ingressDeny[0]: {"fromEntities":["all"]}` {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkPoliciesCiliumEmptyRuleNamedAllow(t *testing.T) {
	r := policiesWith(t, ciliumCRDs, "cilium-allow-named-deny-all.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "CiliumNetworkPolicy", "team-a", "web-ingress", "denies all ingress of the pods it selects, though it says it allows")
	if f.Evidence[0] != "description: Allow the frontend to reach web" {
		t.Errorf("evidence = %q", f.Evidence)
	}
}

func TestNetworkPoliciesClusterwideWorldOnly(t *testing.T) {
	r := policiesWith(t, ciliumCRDs, "ccnp-world-only.yaml")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "CiliumClusterwideNetworkPolicy", "", "egress-lockdown",
		"CiliumClusterwideNetworkPolicy egress-lockdown lets the pods it selects reach only the world entity")
	// It cuts every pod it selects off from the cluster: it explains them (a sample).
	if !f.Cause || len(f.Explains) == 0 || f.Explains[0].Kind != "Pod" {
		t.Errorf("not a cause of the pods it selects: %+v", f)
	}
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "CiliumClusterwideNetworkPolicy", "", "egress-lockdown", "pods in cert-manager, team-a cannot resolve names")
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "CiliumClusterwideNetworkPolicy", "", "egress-lockdown", "selects the cluster DNS pods")
}

func TestNetworkPoliciesCalicoGlobalDenyEgress(t *testing.T) {
	r := policiesWith(t, calicoCRDs, "calico-gnp-deny-egress.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "GlobalNetworkPolicy", "", "team-a-default-deny",
		"pods in team-a cannot resolve names: Calico GlobalNetworkPolicy team-a-default-deny isolates their egress")
}

func TestNetworkPoliciesCalicoAllowDNS(t *testing.T) {
	r := policiesWith(t, calicoCRDs, "calico-gnp-deny-egress.yaml", "calico-np-dns-allowed.yaml")
	checktest.RequireNoProblems(t, r)
}

func TestNetworkPoliciesCalicoDenyBeforeAllow(t *testing.T) {
	r := policiesWith(t, calicoCRDs, "calico-np-dns-allowed.yaml", "calico-gnp-deny-dns-first.yaml")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "GlobalNetworkPolicy", "", "no-dns",
		"pods in cert-manager, team-a cannot resolve names: Calico GlobalNetworkPolicy no-dns denies their DNS queries (spec.egress[0])")
}
