package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/dnsprobe"
	"github.com/kockpit/kockpit/kube/portforward"
)

// probeCheck is the dns.probe check.
var probeCheck = checks.Check{
	ID:       "dns.probe",
	Title:    "CoreDNS answers for a Service and for a name outside the cluster",
	Category: checks.CategoryDNS,
	Learn:    learn("dns.probe"),
	Needs:    checks.NeedsLiveAPI | checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Pods, kube.Services, kube.Deployments, kube.Nodes},
	Run:      runDNSProbe,
}

// defaultProbeName is the external name asked when --dns-probe-name is not given: the registry
// every cluster pulls its own images from.
const defaultProbeName = "registry.k8s.io"

func runDNSProbe(ctx context.Context, env *checks.Env) checks.Result {
	if !env.Active {
		return checks.Skipped(checks.SkipNotApplicable, "active probes are off (--no-active): this check port-forwards to CoreDNS and sends it DNS queries")
	}
	svcs, err := kube.ListOf[*corev1.Service](ctx, env.Snapshot, kube.Services)
	if err != nil {
		return checks.SkipOrError(err)
	}
	pods, err := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	if err != nil {
		return checks.SkipOrError(err)
	}
	var unread checks.Partial // Deployments only help pick the pod to ask
	deps, err := checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, &unread, kube.Deployments)
	if err != nil {
		return checks.SkipOrError(err)
	}
	svc := clusterdns.FindService(svcs)
	pod := probeTarget(dnsServerPods(pods, svc), findDNSDeployment(deps, svc))
	if pod == nil {
		return checks.Skipped(checks.SkipNotApplicable, "no ready CoreDNS pod to ask (dns.service says why)")
	}
	domain, _ := clusterDomain(ctx, env)
	timeout := env.Cluster.RequestTimeout
	if timeout <= 0 {
		timeout = kube.DefaultRequestTimeout
	}
	tun, err := portforward.Forward(ctx, env.Cluster.Config, pod.Namespace, pod.Name, dnsPort, timeout)
	if err != nil {
		if apierrors.IsForbidden(err) {
			return checks.Skipped(checks.SkipForbidden, "forbidden: the probe needs \"create pods/portforward\" in kube-system: "+phrase.Clip(err.Error(), 300))
		}
		return checks.Skipped(checks.SkipUnreachable, "could not "+phrase.Clip(err.Error(), 300))
	}
	defer tun.Close()

	p := &probe{ctx: ctx, addr: tun.Addr, forwardErrors: tun.Errors, pod: pod, timeout: timeout, domain: domain}
	var findings []checks.Finding
	findings = append(findings, p.askService(kubernetesServiceIP(svcs)))
	name := env.DNSProbeName
	if name == "" {
		name = defaultProbeName
	}
	findings = append(findings, p.askExternal(name))
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	r.Summary = fmt.Sprintf("CoreDNS pod %s: %s; %s", pod.Name, p.said[0], p.said[1])
	return unread.Note(r)
}

// probeTarget picks a running, ready DNS pod, preferring those the DNS Deployment owns (a fake
// CoreDNS would answer for itself, not for the cluster).
func probeTarget(pods []*corev1.Pod, dep *appsv1.Deployment) *corev1.Pod {
	var fallback *corev1.Pod
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning || !podReady(p) {
			continue
		}
		if dep == nil || ownedByDeployment(p, dep) {
			return p
		}
		if fallback == nil {
			fallback = p
		}
	}
	return fallback
}

// kubernetesServiceIP is the ClusterIP of default/kubernetes, "" when unknown.
func kubernetesServiceIP(svcs []*corev1.Service) string {
	for _, s := range svcs {
		if s.Namespace == "default" && s.Name == "kubernetes" {
			return s.Spec.ClusterIP
		}
	}
	return ""
}

// probe asks one CoreDNS pod through one port-forward.
type probe struct {
	ctx context.Context
	// addr is the local end of the port-forward; forwardErrors what the forwarder reported.
	addr          string
	forwardErrors func() string
	pod           *corev1.Pod
	timeout       time.Duration
	domain        string
	said          []string // one line per question, for the summary
}

func (p *probe) finding(severity checks.Status, message string, evidence []string, name string) checks.Finding {
	ref := podinfo.Ref(p.pod)
	return checks.Finding{
		Severity: severity, Object: &ref, Message: message, Evidence: evidence,
		Commands: []checks.Command{
			checks.Cmd("kubectl", "-n", p.pod.Namespace, "port-forward", "pod/"+p.pod.Name, "5353:53"),
			checks.Cmd("dig", "+tcp", "-p", "5353", "@127.0.0.1", name),
		},
	}
}

// ask sends one question and returns the answer, or the evidence of why there was none.
func (p *probe) ask(name string, qtype uint16) (dnsprobe.Answer, []string, error) {
	ans, err := dnsprobe.Lookup(p.ctx, p.addr, name, qtype, p.timeout)
	if err != nil {
		evidence := []string{err.Error()}
		if fw := p.forwardErrors(); fw != "" {
			evidence = append(evidence, "port-forward: "+phrase.Clip(fw, 300))
		}
		p.said = append(p.said, dns.Fqdn(name)+" unanswered")
		return ans, evidence, err
	}
	p.said = append(p.said, ans.String())
	return ans, append([]string{ans.String()}, ans.Records...), nil
}

func (p *probe) askService(wantIP string) checks.Finding {
	name := "kubernetes.default.svc." + p.domain
	qtype := dns.TypeA
	if ip, err := netip.ParseAddr(wantIP); err == nil && ip.Is6() {
		qtype = dns.TypeAAAA
	}
	ans, evidence, err := p.ask(name, qtype)
	var f checks.Finding
	switch {
	case errors.Is(err, dnsprobe.ErrTimeout):
		f = p.finding(checks.StatusFail, fmt.Sprintf("CoreDNS pod %s did not answer for %s in %s", p.pod.Name, name, p.timeout), evidence, name)
		f.Hint = "A pod that is ready but does not answer is stuck or overloaded; its log and the Corefile's findings say more."
	case err != nil:
		f = p.finding(checks.StatusFail, fmt.Sprintf("asking CoreDNS pod %s for %s failed: %s", p.pod.Name, name, phrase.Clip(err.Error(), 200)), evidence, name)
		f.Hint = "The port-forward reached the pod but the query did not: is CoreDNS listening on port 53 (the Corefile's server blocks)?"
	case ans.Rcode != "NOERROR" || len(ans.Addresses) == 0:
		f = p.finding(checks.StatusFail, fmt.Sprintf("CoreDNS answers %s with %s and no address, so pods cannot find Services", name, ans.Rcode), evidence, name)
		f.Hint = "The kubernetes plugin does not serve the cluster domain, or a template, hosts, rewrite or acl block answers first: see dns.corefile."
		f.Cause = true
	case wantIP != "" && !slices.Contains(ans.Addresses, wantIP):
		evidence = append(evidence, "the kubernetes Service's ClusterIP: "+wantIP)
		f = p.finding(checks.StatusFail, fmt.Sprintf("CoreDNS answers %s with %v, not the kubernetes Service's ClusterIP %s: something rewrites or overrides the answer", name, ans.Addresses, wantIP), evidence, name)
		f.Hint = "Look for template, hosts, rewrite or file blocks in the Corefile (dns.corefile quotes them), or a fake CoreDNS pod (dns.service)."
		f.Cause = true
	default:
		f = p.finding(checks.StatusOK, fmt.Sprintf("CoreDNS answers %s with the kubernetes Service's ClusterIP", name), evidence, name)
	}
	return f
}

func (p *probe) askExternal(name string) checks.Finding {
	ans, evidence, err := p.ask(name, dns.TypeA)
	hint := "CoreDNS sends names outside the cluster to its forward upstreams: check the forward line (dns.corefile) and that the nodes' resolvers answer."
	var f checks.Finding
	switch {
	case err != nil:
		f = p.finding(checks.StatusWarn, fmt.Sprintf("CoreDNS pod %s gave no answer for %s: %s", p.pod.Name, name, phrase.Clip(err.Error(), 200)), evidence, name)
	case ans.Rcode != "NOERROR" || len(ans.Addresses) == 0:
		f = p.finding(checks.StatusWarn, fmt.Sprintf("CoreDNS answers %s with %s and no address, so pods cannot reach it by name (an air-gapped cluster expects this)", name, ans.Rcode), evidence, name)
	default:
		return p.finding(checks.StatusOK, fmt.Sprintf("CoreDNS resolves %s, a name outside the cluster", name), evidence, name)
	}
	f.Hint = hint
	return f
}
