package dns

import (
	"slices"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// The DNS checks against the real test API server, one breakage per test. Fixtures that break a
// healthy object replace it for the test (testCluster.Replace); the others are added to it.

const dnsFixtures = "../../testdata/fixtures/"

var dnsCheckIDs = []string{"dns.policy", "dns.service", "dns.corefile", "dns.kubelet-clusterdns", "dns.probe"}

// findingAbout returns the first finding about the object (kind/namespace/name) or nil.
func findingAbout(r checks.Result, kind, namespace, name string) *checks.Finding {
	for i, f := range r.Findings {
		if o := f.Object; o != nil && o.Kind == kind && o.Namespace == namespace && o.Name == name {
			return &r.Findings[i]
		}
	}
	return nil
}

// findingAt returns the first finding on the Corefile line, or nil.
func findingAt(r checks.Result, line int, severity checks.Status) *checks.Finding {
	for i, f := range r.Findings {
		if f.File != nil && f.File.Line == line && f.Severity == severity {
			return &r.Findings[i]
		}
	}
	return nil
}

func TestDNSHealthy(t *testing.T) {
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	env.Active = true
	for _, id := range dnsCheckIDs {
		r := checktest.RunCheck(t, env, id)
		if r.Status == checks.StatusWarn || r.Status == checks.StatusFail || r.Status == checks.StatusError {
			t.Errorf("%s on the healthy cluster: %v %q %+v", id, r.Status, r.Summary, r.Findings)
		}
	}
	if r := checktest.RunCheck(t, env, "dns.service"); r.Summary != "Service kube-dns at 10.96.0.10 with 2 ready endpoint(s); Deployment coredns 2/2 ready" {
		t.Errorf("dns.service summary = %q", r.Summary)
	}
	if r := checktest.RunCheck(t, env, "dns.corefile"); r.Status != checks.StatusOK || !strings.HasSuffix(r.Summary, "parses (1 server blocks) and serves cluster.local") {
		t.Errorf("dns.corefile = %v %q", r.Status, r.Summary)
	}
}

func TestDNSPolicyDefault(t *testing.T) {
	checktest.Cluster(t).Apply(t, dnsFixtures+"dns-policy-default")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.policy")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status = %v (%s)", r.Status, r.Summary)
	}
	f := findingAbout(r, "Deployment", "team-a", "shop")
	if f == nil || f.Severity != checks.StatusWarn || !strings.HasPrefix(f.Message, "shop uses dnsPolicy Default, which is not the default") {
		t.Fatalf("no finding on Deployment team-a/shop: %+v", r.Findings)
	}
	// The two replicas fold into their Deployment's finding.
	if len(f.Evidence) != 2 || f.Evidence[0] != "spec.template.spec.dnsPolicy: Default" ||
		f.Evidence[1] != "2 running pod(s) with it: shop-7d9f8c6b5d-abcde, shop-7d9f8c6b5d-fghij" {
		t.Errorf("evidence = %q", f.Evidence)
	}
	if f.Commands[0].String() != "kubectl -n team-a get deployment shop -o 'jsonpath={.spec.template.spec.dnsPolicy}'" {
		t.Errorf("command = %q", f.Commands[0])
	}
	if debug := findingAbout(r, "Pod", "team-a", "debug"); debug == nil || debug.Evidence[0] != "spec.dnsPolicy: Default" {
		t.Errorf("the bare pod is its own subject: %+v", r.Findings)
	}
	if len(r.Findings) != 2 {
		t.Errorf("CoreDNS's own Default must not be reported: %+v", r.Findings)
	}
}

func TestDNSPolicyHostNetwork(t *testing.T) {
	checktest.Cluster(t).Apply(t, dnsFixtures+"dns-policy-hostnet")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.policy")
	f := findingAbout(r, "DaemonSet", "team-a", "node-agent")
	if r.Status != checks.StatusWarn || f == nil || len(r.Findings) != 1 {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	if !strings.Contains(f.Message, "host network with dnsPolicy ClusterFirst") || f.Hint != "Set dnsPolicy: ClusterFirstWithHostNet next to hostNetwork: true." ||
		f.Evidence[2] != "1 running pod(s) with it: node-agent-x7k2p" {
		t.Errorf("finding = %+v", f)
	}
}

func TestDNSPolicyNdots(t *testing.T) {
	checktest.Cluster(t).Apply(t, dnsFixtures+"dns-policy-ndots")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.policy")
	f := findingAbout(r, "StatefulSet", "team-a", "db")
	if r.Status != checks.StatusWarn || f == nil || f.Evidence[0] != "spec.template.spec.dnsConfig.options: ndots=15" {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSServiceScaledToZero(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-coredns-scaled-to-zero")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.service")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s)", r.Status, r.Summary)
	}
	f := r.Findings[0] // the cause comes first
	if f.Object.Kind != "Deployment" || f.Object.Name != "coredns" || !f.Cause || len(f.Explains) != 1 || f.Explains[0].Name != "kube-dns" ||
		f.Evidence[0] != "spec.replicas: 0" || !strings.Contains(f.Message, "scaled to zero") {
		t.Errorf("cause = %+v", f)
	}
	if ep := findingAbout(r, "Service", "kube-system", "kube-dns"); ep == nil || !strings.Contains(ep.Message, "no ready endpoints") || ep.Cause {
		t.Errorf("the empty endpoints are a symptom: %+v", r.Findings)
	}
}

func TestDNSServiceNoUDP(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-service-no-udp")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.service")
	f := findingAbout(r, "Service", "kube-system", "kube-dns")
	if r.Status != checks.StatusFail || f == nil || !strings.Contains(f.Message, "has no port 53/UDP") ||
		f.Evidence[0] != "spec.ports: 53/TCP→53, 9153/TCP→9153" {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSServiceCrashLoop(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-coredns-crashloop")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.service")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s)", r.Status, r.Summary)
	}
	f := findingAbout(r, "Pod", "kube-system", "coredns-7c65d6cfc9-4xk2p")
	if f == nil || f.Severity != checks.StatusFail || !strings.Contains(f.Message, "crash-looping (9 restarts)") ||
		!f.Cause || len(f.Explains) != 1 || f.Explains[0].Name != "coredns" {
		t.Fatalf("no crash-loop finding explaining the Deployment: %+v", r.Findings)
	}
	if !strings.Contains(strings.Join(f.Evidence, "\n"), `last message: plugin/forward: not an IP address or file: "/etс/resolv.conf"`) ||
		f.Commands[0].String() != "kubectl -n kube-system logs coredns-7c65d6cfc9-4xk2p --previous" {
		t.Errorf("finding = %+v", f)
	}
	if d := findingAbout(r, "Deployment", "kube-system", "coredns"); d == nil || d.Severity != checks.StatusWarn || !strings.Contains(d.Message, "only 1 of the 2 pods") {
		t.Errorf("the Deployment is half ready: %+v", r.Findings)
	}
}

func TestDNSServiceFakeCoreDNS(t *testing.T) {
	checktest.Cluster(t).Apply(t, dnsFixtures+"dns-fake-coredns")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.service")
	f := findingAbout(r, "Pod", "kube-system", "coredns-fake")
	if r.Status != checks.StatusWarn || f == nil || len(r.Findings) != 1 {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	ev := strings.Join(f.Evidence, "\n")
	if !strings.Contains(f.Message, "the coredns Deployment does not own it") || !strings.Contains(ev, "owner: none") ||
		!strings.Contains(ev, "ready endpoint of the Service: 10.244.2.66") || !strings.Contains(ev, "image ghcr.io/evil/dns:latest") {
		t.Errorf("finding = %+v", f)
	}
}

func TestDNSCorefileLookalike(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-corefile-lookalike")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.corefile")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v (%s)", r.Status, r.Summary)
	}
	// Caught twice: as a bad upstream (the cause) and as a look-alike character.
	fwd := r.Findings[0]
	if fwd.File == nil || fwd.File.Path != "configmap kube-system/coredns: Corefile" || fwd.File.Line != 13 || fwd.File.Column != 15 ||
		!fwd.Cause || !strings.HasPrefix(fwd.Message, `forward sends queries for . to "/etс/resolv.conf"`) {
		t.Errorf("forward finding = %+v %+v", fwd, fwd.File)
	}
	var look *checks.Finding
	for i, f := range r.Findings {
		if strings.Contains(f.Message, "outside ASCII") {
			look = &r.Findings[i]
		}
	}
	if look == nil || look.File.Column != 18 || look.Evidence[1] != `line 13, column 18: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")` {
		t.Errorf("look-alike finding = %+v", look)
	}
}

func TestDNSCorefileSyntax(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-corefile-syntax")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.corefile")
	f := findingAt(r, 13, checks.StatusFail)
	if r.Status != checks.StatusFail || f == nil || f.File.Column != 5 || f.Evidence[0] != "Unknown directive 'forwrd'" ||
		f.Evidence[1] != "line 13: forwrd . /etc/resolv.conf" {
		t.Fatalf("got %v %q %+v", r.Status, r.Summary, r.Findings)
	}
	if len(f.Explains) != 3 || f.Explains[0].Kind != "Deployment" || f.Explains[1].Kind != "Pod" {
		t.Errorf("a Corefile CoreDNS refuses explains its Deployment and pods: %v", f.Explains)
	}
}

func TestDNSCorefileOverrides(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-corefile-overrides")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.corefile")
	if r.Status != checks.StatusWarn {
		t.Fatalf("status = %v (%s) %+v", r.Status, r.Summary, r.Findings)
	}
	tmpl, hosts, rewrite := findingAt(r, 7, checks.StatusWarn), findingAt(r, 11, checks.StatusWarn), findingAt(r, 15, checks.StatusWarn)
	if tmpl == nil || !strings.Contains(tmpl.Message, "(it answers NXDOMAIN)") || len(tmpl.Evidence) != 4 ||
		tmpl.Evidence[0] != "line 7: template IN A shop.svc.cluster.local {" || tmpl.Evidence[3] != "line 10: }" {
		t.Errorf("template = %+v", tmpl)
	}
	if hosts == nil || len(hosts.Evidence) != 4 || hosts.Evidence[1] != "line 12: 203.0.113.7 registry.k8s.io" {
		t.Errorf("hosts = %+v", hosts)
	}
	if rewrite == nil || rewrite.Evidence[0] != "line 15: rewrite name db.team-a.svc.cluster.local cache.team-a.svc.cluster.local" {
		t.Errorf("rewrite = %+v", rewrite)
	}
}

func TestDNSCorefileHostsNoFallthrough(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-corefile-hosts-no-fallthrough")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.corefile")
	f := findingAt(r, 7, checks.StatusFail)
	if r.Status != checks.StatusFail || f == nil || !f.Cause || !strings.HasPrefix(f.Message, "hosts has no fallthrough") {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
}

func TestDNSCorefileNoKubernetes(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-corefile-no-kubernetes")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.corefile")
	if r.Status != checks.StatusFail || len(r.Findings) != 2 {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	k := r.Findings[0]
	if !strings.HasPrefix(k.Message, "no kubernetes plugin serves the cluster domain cluster.local") ||
		k.Evidence[1] != "no server block uses the kubernetes plugin" || !strings.HasPrefix(k.Evidence[0], "cluster domain: cluster.local (the default; the kubelet of node cp1 did not say: ") {
		t.Errorf("kubernetes finding = %+v", k)
	}
	if loop := findingAt(r, 8, checks.StatusWarn); loop == nil || !strings.Contains(loop.Message, "without the loop plugin") {
		t.Errorf("loop finding: %+v", r.Findings)
	}
}

func TestDNSCorefileSelfForward(t *testing.T) {
	checktest.Cluster(t).Replace(t, dnsFixtures+"dns-corefile-self-forward")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.corefile")
	f := findingAbout(r, "Deployment", "kube-system", "coredns")
	if r.Status != checks.StatusFail || f == nil || !strings.Contains(f.Message, "forwards external names to itself") ||
		f.Evidence[1] != "spec.template.spec.dnsPolicy: ClusterFirst" {
		t.Fatalf("got %v %+v", r.Status, r.Findings)
	}
	// CoreDNS loops on it and stops: the finding explains the Deployment and its pods.
	want := []string{"Deployment kube-system/coredns", "Pod kube-system/coredns-7c65d6cfc9-4xk2p", "Pod kube-system/coredns-7c65d6cfc9-9wz7m"}
	var got []string
	for _, o := range f.Explains {
		got = append(got, o.String())
	}
	if !f.Cause || !f.Written || !slices.Equal(got, want) {
		t.Errorf("cause %v, written %v, explains %q, want %q", f.Cause, f.Written, got, want)
	}
}

func TestDNSProbeUnreachable(t *testing.T) {
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	if r := checktest.RunCheck(t, env, "dns.probe"); r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotApplicable || !strings.Contains(r.Summary, "--no-active") {
		t.Errorf("inactive: %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
	env.Active = true
	env.Cluster.RequestTimeout = 2 * time.Second
	start := time.Now()
	r := checktest.RunCheck(t, env, "dns.probe")
	// No kubelet runs: the port-forward cannot reach the pod, and the check says so in time.
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipUnreachable || !strings.HasPrefix(r.Summary, "could not port-forward to kube-system/coredns-7c65d6cfc9-4xk2p:53: ") {
		t.Errorf("got %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
	t.Logf("the probe gave up after %s: %s", time.Since(start).Round(time.Millisecond), r.Summary)
}

func TestDNSProbeForbidden(t *testing.T) {
	checktest.Cluster(t).Apply(t, dnsFixtures+"dns-probe-forbidden")
	kc := checktest.Cluster(t).KubeconfigWith(t, func(c *clientcmdapi.Config) {
		c.AuthInfos[testcluster.AdminUser].Impersonate = "dns-viewer"
	})
	env := checktest.LiveEnv(t, kc)
	env.Active = true
	r := checktest.RunCheck(t, env, "dns.probe")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipForbidden || !strings.Contains(r.Summary, "create pods/portforward") {
		t.Errorf("got %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
}

// TestDNSCorefileClusterDomainFromKubelet: the kubelet says the cluster domain is corp.example,
// which the healthy Corefile's kubernetes plugin does not serve.
func TestDNSCorefileClusterDomainFromKubelet(t *testing.T) {
	node, _ := fakeKubelet(t, []string{"10.96.0.10"}, "corp.example")
	r := checktest.RunCheck(t, checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig), "dns.corefile")
	if r.Status != checks.StatusFail || len(r.Findings) != 1 {
		t.Fatalf("got %v %q %+v", r.Status, r.Summary, r.Findings)
	}
	f := r.Findings[0]
	if f.Message != "no kubernetes plugin serves the cluster domain corp.example, so Service and pod names do not resolve" ||
		f.Evidence[0] != "cluster domain: corp.example (from the kubelet of node "+node+")" ||
		f.Evidence[1] != "the kubernetes plugin serves: cluster.local. in-addr.arpa. ip6.arpa." || f.File.Line != 7 {
		t.Errorf("finding = %+v %+v", f, f.File)
	}
}
