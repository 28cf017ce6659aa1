package dnsprobe

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/kockpit/kockpit/kube/portforward"
	"github.com/kockpit/kockpit/kube/portforward/portforwardtest"
)

// TestForwardAndLookup is the probe's whole path: a port-forward (falling back to SPDY) to a
// "pod" whose port 53 is a real DNS server, and a question asked through it.
func TestForwardAndLookup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.ParseIP("10.96.0.1")})
		_ = w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{Listener: ln, Net: "tcp", Handler: mux, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	defer func() { _ = srv.Shutdown() }()

	srv2 := portforwardtest.Start(t, ln.Addr().String())
	tun, err := portforward.Forward(t.Context(), srv2.Config, "kube-system", "coredns-abc", 53, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	if !strings.HasPrefix(tun.Addr, "127.0.0.1:") {
		t.Errorf("local end %q", tun.Addr)
	}
	ans, err := Lookup(t.Context(), tun.Addr, "kubernetes.default.svc.cluster.local", dns.TypeA, 5*time.Second)
	if err != nil {
		t.Fatalf("lookup through the port-forward: %v (forwarder: %s)", err, tun.Errors())
	}
	if ans.Rcode != "NOERROR" || len(ans.Addresses) != 1 || ans.Addresses[0] != "10.96.0.1" || srv2.Streams.Load() != 1 {
		t.Errorf("answer %+v over %d streams", ans, srv2.Streams.Load())
	}
	if tun.Errors() != "" {
		t.Errorf("forwarder errors: %s", tun.Errors())
	}
	tun.Close()
	if c, err := net.DialTimeout("tcp", tun.Addr, time.Second); err == nil {
		c.Close()
		t.Error("the local port still listens after Close")
	}
}
