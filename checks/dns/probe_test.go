package dns

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// The probe's judgement of answers, against a real DNS server on 127.0.0.1 standing in for the
// CoreDNS pod at the end of the port-forward (the test cluster has no kubelet to forward to).

// fakeCoreDNS answers A queries from the zone over TCP; other names get NXDOMAIN, and names in
// silent get no answer at all.
func fakeCoreDNS(t *testing.T, zone map[string]string, silent ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		q := r.Question[0]
		for _, s := range silent {
			if q.Name == s {
				time.Sleep(2 * time.Second)
				return
			}
		}
		m := new(dns.Msg)
		m.SetReply(r)
		if ip, ok := zone[q.Name]; ok {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.ParseIP(ip)})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{Listener: ln, Net: "tcp", Handler: mux, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

func testProbe(t *testing.T, addr string) *probe {
	return &probe{
		ctx: t.Context(), addr: addr, forwardErrors: func() string { return "" }, timeout: 300 * time.Millisecond, domain: "cluster.local",
		pod: pod("kube-system", "coredns-7c65d6cfc9-4xk2p", nil, corev1.PodSpec{}),
	}
}

func TestProbeAnswers(t *testing.T) {
	addr := fakeCoreDNS(t, map[string]string{
		"kubernetes.default.svc.cluster.local.": "10.96.0.1",
		"registry.k8s.io.":                      "34.96.108.209",
	})
	p := testProbe(t, addr)
	svc := p.askService("10.96.0.1")
	if svc.Severity != checks.StatusOK || svc.Object.Name != "coredns-7c65d6cfc9-4xk2p" ||
		!strings.HasPrefix(svc.Evidence[0], "kubernetes.default.svc.cluster.local. A → 10.96.0.1 (NOERROR, ") ||
		svc.Commands[1].String() != "dig +tcp -p 5353 @127.0.0.1 kubernetes.default.svc.cluster.local" {
		t.Errorf("service = %+v", svc)
	}
	ext := p.askExternal("registry.k8s.io")
	if ext.Severity != checks.StatusOK || !strings.HasPrefix(ext.Evidence[0], "registry.k8s.io. A → 34.96.108.209 (NOERROR, ") {
		t.Errorf("external = %+v", ext)
	}
	if len(p.said) != 2 || !strings.HasPrefix(p.said[1], "registry.k8s.io. A → 34.96.108.209") {
		t.Errorf("said = %q", p.said)
	}
}

func TestProbeWrongAnswer(t *testing.T) {
	p := testProbe(t, fakeCoreDNS(t, map[string]string{"kubernetes.default.svc.cluster.local.": "203.0.113.9"}))
	f := p.askService("10.96.0.1")
	if f.Severity != checks.StatusFail || !f.Cause || !strings.Contains(f.Message, "not the kubernetes Service's ClusterIP 10.96.0.1") {
		t.Errorf("finding = %+v", f)
	}
}

func TestProbeNXDOMAIN(t *testing.T) {
	p := testProbe(t, fakeCoreDNS(t, nil))
	if f := p.askService("10.96.0.1"); f.Severity != checks.StatusFail || !strings.Contains(f.Message, "with NXDOMAIN and no address") {
		t.Errorf("service = %+v", f)
	}
	if f := p.askExternal("registry.k8s.io"); f.Severity != checks.StatusWarn || !strings.Contains(f.Message, "answers registry.k8s.io with NXDOMAIN") {
		t.Errorf("external = %+v", f)
	}
}

func TestProbeTimeout(t *testing.T) {
	p := testProbe(t, fakeCoreDNS(t, nil, "kubernetes.default.svc.cluster.local.", "registry.k8s.io."))
	p.forwardErrors = func() string { return "error forwarding port 53 to pod 1234: connection reset" }
	f := p.askService("10.96.0.1")
	if f.Severity != checks.StatusFail || f.Message != "CoreDNS pod coredns-7c65d6cfc9-4xk2p did not answer for kubernetes.default.svc.cluster.local in 300ms" ||
		f.Evidence[1] != "port-forward: error forwarding port 53 to pod 1234: connection reset" {
		t.Errorf("service = %+v", f)
	}
	if f := p.askExternal("registry.k8s.io"); f.Severity != checks.StatusWarn || !strings.Contains(f.Message, "gave no answer for registry.k8s.io") {
		t.Errorf("external = %+v", f)
	}
	if p.said[0] != "kubernetes.default.svc.cluster.local. unanswered" {
		t.Errorf("said = %q", p.said)
	}
}

func TestProbeTarget(t *testing.T) {
	ready := func(name string, labels map[string]string) *corev1.Pod {
		p := pod("kube-system", name, labels, corev1.PodSpec{})
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		return p
	}
	fake := ready("coredns-fake", map[string]string{"k8s-app": "kube-dns"})
	own := ready("coredns-7c65d6cfc9-aaaaa", map[string]string{"k8s-app": "kube-dns", "pod-template-hash": "7c65d6cfc9"})
	notReady := pod("kube-system", "coredns-7c65d6cfc9-bbbbb", map[string]string{"k8s-app": "kube-dns", "pod-template-hash": "7c65d6cfc9"}, corev1.PodSpec{})
	d := corednsDeployment(2, 1)
	if got := probeTarget([]*corev1.Pod{fake, notReady, own}, d); got != own {
		t.Errorf("probe target = %v, want the Deployment's ready pod", got.Name)
	}
	if got := probeTarget([]*corev1.Pod{fake, notReady}, d); got != fake {
		t.Errorf("with no own pod ready, ask the one that answers: %v", got)
	}
	if got := probeTarget([]*corev1.Pod{notReady}, d); got != nil {
		t.Errorf("no ready pod: %v", got.Name)
	}
}
